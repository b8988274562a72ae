"""The layout is the design: layers import only what is below them, and talk through named APIs.

- core (the teaching core) imports nothing above it, and its leaf modules import nothing of the package
  (but dtypes); its one import cycle is tensor ↔ operators ↔ engine (at most 3 modules), closed by the
  imports at the end of tensor.py, and tensor.py stays small;
- ops (the Tensor surface) imports the core and is never imported by it; its methods are attached to
  Tensor, so they may use a Tensor's fields as Tensor's own methods do;
- no other module touches a Tensor's private fields or another layer's private names: they use the public
  API or core/internal.py;
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


def _module_name(path):
    """core/tensor.py -> core.tensor; core/primitives/unary.py -> core.primitives (a package is one module here)."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    parts = parts[:-1] if parts[-1] == "__init__" else parts
    return ".".join(parts[:2])


def _graph(folder):
    layer = folder.name
    graph = {}
    for path in _sources(folder):
        name = _module_name(path)
        deps = {".".join(m.split(".")[:2]) for m in _imports(path) if m.startswith(layer + ".")}
        graph.setdefault(name, set()).update(deps - {name})
    return graph


def _cycles(graph):
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def test_the_core_has_one_import_cycle_of_at_most_three_modules_closed_at_the_end_of_tensor_py():
    cycles = _cycles(_graph(CORE))
    assert cycles == [{"core.tensor", "core.operators", "core.engine"}], cycles
    tree = ast.parse((CORE / "tensor.py").read_text())
    class_line = next(n.lineno for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor")
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level:
            names = {a.name for a in node.names} | {node.module or ""}
            if names & {"operators", "engine"}:
                assert node.lineno > class_line, "tensor.py must import operators and engine after the class"


def test_the_surface_imports_the_core_and_has_no_import_cycle():
    for path in _sources(PACKAGE / "ops"):
        outside = {m for m in _imports(path) if not m.startswith(("core", "ops"))}
        assert not outside, f"ops/{path.name} imports {outside}: the surface builds on the core only"
    assert _cycles(_graph(PACKAGE / "ops")) == []


def test_the_teaching_core_stays_small():
    """A learner reads tensor.py, function.py and engine.py and has seen all of autograd."""
    assert len((CORE / "tensor.py").read_text().splitlines()) <= 400
    for path in _sources():
        assert len(path.read_text().splitlines()) <= 800, f"{path.relative_to(PACKAGE)}: one room, one job"


PRIVATE = re.compile(r"\._data\b|\b_make\b|\._grad\b|\._vc\b|\._requires_grad\b|grad_mode\._|engine\._|"
                     r"\._saved\b|\._next\b|\._seq\b")


@pytest.mark.parametrize("path", [p for p in _sources() if CORE not in p.parents and PACKAGE / "ops" not in p.parents],
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


# ---- tinygrad_lr.compile attaches through one documented seam: core/capture.py ----------------------------
def _lines_naming_the_recorder(path):
    """The lines of ``path`` that use the seam: an attribute of the module ``capture`` (``capture.recorder``,
    ``capture.apply(...)``).  Its import, and comments that point to capture.py, are not counted."""
    tree = ast.parse(path.read_text())
    return {node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "capture"}


def test_the_library_names_the_recorder_on_at_most_eight_lines():
    """The core (and the surface above it) calls capture.py at a few named points, each one test of a module
    global; everything else of compile lives in jit/."""
    found = {}
    for path in _sources():
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] != "jit" and rel != pathlib.Path("core", "capture.py"):
            found.update({f"{rel}:{line}": None for line in _lines_naming_the_recorder(path)})
    assert len(found) <= 8, f"{len(found)} lines name the recorder: {sorted(found)}"


FRAMES_PATHS_DOCSTRINGS = re.compile(r"\bsys\._getframe\b|\bco_name\b|\bco_filename\b|\bf_back\b|\bf_locals\b|"
                                     r"\binspect\.(currentframe|stack|getframeinfo|getdoc|getsourcefile)\b|"
                                     r"__doc__|__file__|\bos\.path\b")


@pytest.mark.parametrize("path", _sources(PACKAGE / "jit"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_compile_never_recognises_code_by_frames_paths_or_docstrings(path):
    """What an op is, the recorder learns from what core/capture.py passes it (the Function class), never from
    the call stack, file names or docstrings: renaming a function or rewording a docstring changes nothing."""
    hits = [f"{path.relative_to(PACKAGE)}:{i}: {line.strip()}"
            for i, line in enumerate(path.read_text().splitlines(), 1) if FRAMES_PATHS_DOCSTRINGS.search(line)]
    assert not hits, "\n".join(hits)
