"""The layout is the design: layers import only what is below them, and talk through named APIs.

- core imports nothing above it, and its leaf modules import nothing of the package (but dtypes);
- the only import cycle is Tensor ↔ the ops (Tensor's methods call the front end, which builds
  on Tensor), closed by the imports at the end of tensor.py;
- no module outside core touches a Tensor's private fields or another layer's private names:
  they use the public API or core/internal.py;
- every public Tensor method has a docstring (``help(t.exp)`` says something);
- a custom Function that forgets forward or backward is told what to write.
"""
import ast
import inspect
import pathlib
import re

import pytest

import tinygrad_lr
from tinygrad_lr.autograd import Function

PACKAGE = pathlib.Path(tinygrad_lr.__file__).parent
CORE = PACKAGE / "core"
LEAVES = {"dtypes", "grad_mode", "random", "arrays", "broadcast", "printing", "copying"}


def _imports(path):
    """The modules of the package that ``path`` imports, as dotted names relative to the package."""
    tree = ast.parse(path.read_text())
    here = path.relative_to(PACKAGE).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[:len(here) - node.level + 1]
            module = tuple(node.module.split(".")) if node.module else ()
            if node.module:
                found.add(".".join(base + module))
            else:
                found.update(".".join(base + (alias.name,)) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tinygrad_lr"):
            found.add(node.module[len("tinygrad_lr."):])
        elif isinstance(node, ast.Import):
            found.update(a.name[len("tinygrad_lr."):] for a in node.names if a.name.startswith("tinygrad_lr."))
    return found


def _sources(folder=PACKAGE):
    return sorted(p for p in folder.rglob("*.py"))


def test_core_imports_nothing_above_it():
    for path in _sources(CORE):
        outside = {m for m in _imports(path) if not m.startswith("core")}
        assert not outside, f"{path.name} imports {outside}, which stand above the core"


@pytest.mark.parametrize("leaf", sorted(LEAVES))
def test_the_leaf_modules_of_core_import_nothing_of_the_package_but_the_dtype_table(leaf):
    assert _imports(CORE / f"{leaf}.py") <= {"core.dtypes", "core"}


def _core_graph():
    graph = {}
    for path in _sources(CORE):
        name = "core." + path.stem if path.stem != "__init__" else "core"
        graph[name] = {m.split(".", 1)[0] + "." + m.split(".")[1] if m.count(".") else m
                       for m in _imports(path) if m.startswith("core.")}
    return graph


def test_the_one_import_cycle_is_tensor_and_the_ops_and_tensor_closes_it_at_its_end():
    graph = _core_graph()
    # every cycle passes through tensor: without it the graph is acyclic
    without = {m: {d for d in deps if d != "core.tensor"} for m, deps in graph.items() if m != "core.tensor"}
    state = {}

    def visit(m, path):
        state[m] = "open"
        for d in without.get(m, ()):
            assert state.get(d) != "open", f"an import cycle without Tensor: {path + [d]}"
            if d not in state:
                visit(d, path + [d])
        state[m] = "done"

    for m in without:
        if m not in state:
            visit(m, [m])
    # ... and tensor.py imports the ops only at its very end, once Tensor exists
    tree = ast.parse((CORE / "tensor.py").read_text())
    class_line = next(n.lineno for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor")
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level:
            names = {a.name for a in node.names} | {node.module or ""}
            if names & {"arithmetic", "engine", "primitives", "shapes", "indexing", "inplace", "operands",
                        "function"}:
                assert node.lineno > class_line, "tensor.py must import the ops after the class"


PRIVATE = re.compile(r"\._data\b|\b_make\b|\._grad\b|\._vc\b|\._requires_grad\b|grad_mode\._|engine\._|"
                     r"\._saved\b|\._next\b|\._seq\b")


@pytest.mark.parametrize("path", [p for p in _sources() if CORE not in p.parents],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_above_the_core_reaches_into_its_private_names(path):
    hits = [f"{path.relative_to(PACKAGE)}:{i}: {line.strip()}"
            for i, line in enumerate(path.read_text().splitlines(), 1) if PRIVATE.search(line)]
    assert not hits, "use the public API or core/internal.py instead:\n" + "\n".join(hits)


def _layer(dotted):
    """The layer of a module: its folder under the package (core, nn, ...), or the file's own name."""
    return dotted.split(".")[0]


def test_no_layer_imports_a_private_name_of_another_layer():
    for path in _sources():
        rel = path.relative_to(PACKAGE).with_suffix("").parts
        here = rel[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.level):
                continue
            base = here[:len(here) - node.level + 1]
            target = ".".join(base + tuple((node.module or "").split(".")))
            if _layer(target) == _layer(".".join(rel)):
                continue
            private = [a.name for a in node.names if a.name.startswith("_")]
            assert not private, f"{'/'.join(rel)}.py imports {private} from {target}, another layer's private names"


def _public_methods():
    for name, member in inspect.getmembers(tinygrad_lr.Tensor):
        if name.startswith("_") or not (inspect.isfunction(member) or isinstance(
                inspect.getattr_static(tinygrad_lr.Tensor, name), property)):
            continue
        yield name


@pytest.mark.parametrize("name", sorted(_public_methods()))
def test_every_public_tensor_method_has_a_docstring(name):
    member = inspect.getattr_static(tinygrad_lr.Tensor, name)
    assert (member.__doc__ or "").strip(), f"Tensor.{name} has no docstring: help(t.{name}) would be empty"


def test_a_function_without_backward_says_what_to_write():
    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

    y = Double.apply(tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)).sum()
    with pytest.raises(NotImplementedError, match=r"^Double: a Function subclass must define a static method "
                                                  r"backward\(ctx, grad_output\)"):
        y.backward()


def test_a_function_without_forward_says_what_to_write():
    class Nothing(Function):
        pass

    with pytest.raises(NotImplementedError, match=r"^Nothing: a Function subclass must define a static method "
                                                  r"forward\(ctx, \*args\)"):
        Nothing.apply(tinygrad_lr.tensor([1.0]))


def test_import_tinygrad_lr_loads_no_optional_dependency():
    import subprocess
    import sys
    code = ("import sys, tinygrad_lr; bad = [m for m in ('torch', 'matplotlib', 'graphviz', 'sklearn') "
            "if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
