"""``tinygrad_lr.torch``: PyTorch's module paths over the main package, and PyTorch's semantics where
the main package differs on purpose (the variants of ``tinygrad_lr/torch/_variants.py``).

- the facade re-exports: each of its names is the main package's object, but the variants; a name
  added to the main package appears in the facade by itself;
- ``import tinygrad_lr`` alone never imports the facade;
- each variant equals PyTorch (values, gradients, second derivatives);
- docs/porting.md's facade table is the one in the code.
"""
import importlib
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_lr
import tinygrad_lr.torch as ttorch
from tinygrad_lr.torch import _variants
from conftest import optional
from test_twins import my_relu, scaled_cube

# the facade's modules and the main package's modules they re-export
PATHS = {"": "", "nn": "nn", "nn.functional": "nn.functional", "nn.init": "nn.init", "optim": "optim",
         "optim.lr_scheduler": "optim.lr_scheduler", "autograd": "autograd", "utils.data": "utils.data",
         "utils.benchmark": "utils.benchmark", "linalg": "linalg"}
VARIANTS = {name for names, *_ in _variants.TABLE for name in names}


def _module(root, path):
    return importlib.import_module(root + ("." + path if path else ""))


@pytest.fixture(scope="module")
def torch():
    return optional("torch")


# ---- the facade is the main package under PyTorch's paths ---------------------------------------------
def test_import_tinygrad_lr_alone_never_imports_the_facade():
    code = "import sys, tinygrad_lr; print([m for m in sys.modules if m.startswith('tinygrad_lr.torch')])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_facade_imports_no_pytorch():
    code = "import sys, tinygrad_lr.torch; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("path", list(PATHS), ids=lambda p: p or "torch")
def test_pytorchs_module_paths_import_and_reexport_every_public_name(path):
    facade, main = _module("tinygrad_lr.torch", path), _module("tinygrad_lr", PATHS[path])
    public = {n for n, v in vars(main).items() if not n.startswith("_") and not isinstance(v, type(np))
              and not (isinstance(v, type) and issubclass(v, tinygrad_lr.autograd.Function)
                       and v is not tinygrad_lr.autograd.Function)}  # (our op classes are not PyTorch's names)
    assert public <= set(facade.__all__), f"missing in tinygrad_lr.torch.{path}: {public - set(facade.__all__)}"
    for name in facade.__all__:
        where = f"{path}.{name}" if path else name
        if where in VARIANTS:
            assert getattr(facade, name) is not getattr(main, name), f"{where} is a variant, but the same object"
        else:
            assert getattr(facade, name) is getattr(main, name), f"tinygrad_lr.torch.{where} is a second copy"


def test_from_the_facade_import_star_gives_pytorchs_top_level_names():
    names = {}
    exec("from tinygrad_lr.torch import *", names)
    assert {"tensor", "randn", "no_grad", "float32", "Size", "device", "manual_seed"} <= set(names)
    assert names["tensor"] is tinygrad_lr.tensor


def test_the_submodules_are_the_facades_own():
    assert ttorch.nn.functional.__name__ == "tinygrad_lr.torch.nn.functional"
    assert ttorch.nn.init.__name__ == "tinygrad_lr.torch.nn.init"
    assert ttorch.optim.lr_scheduler.__name__ == "tinygrad_lr.torch.optim.lr_scheduler"
    assert ttorch.utils.data.__name__ == "tinygrad_lr.torch.utils.data"
    assert ttorch.autograd.functional is tinygrad_lr.autograd.functional


def test_a_name_added_to_the_main_package_later_is_reached_through_the_fallback(monkeypatch):
    marker = object()
    monkeypatch.setattr(tinygrad_lr.nn, "SomethingNew", marker, raising=False)
    assert ttorch.nn.SomethingNew is marker
    with pytest.raises(AttributeError, match=r"module 'tinygrad_lr.torch.nn' has no attribute 'Nope'"):
        ttorch.nn.Nope  # noqa: B018


def test_reexport_copies_public_names_but_not_submodules_and_the_facades_own_win():
    import types

    from tinygrad_lr.torch import _reexport
    source = types.ModuleType("source")
    source.f, source.g, source._private, source.sub = (lambda: 1), (lambda: 2), 3, types.ModuleType("sub")
    mine = lambda: 0  # noqa: E731
    namespace = {"g": mine}
    assert _reexport.reexport(source, namespace) == ["f", "g"]
    assert namespace["f"] is source.f and namespace["g"] is mine and "sub" not in namespace


# ---- MSELoss and F.mse_loss: PyTorch's, without the ½ ------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mse_loss_equals_pytorchs_in_value_and_gradient(torch, reduction, dtype):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 5, 3)).astype(dtype)
    G = rng.standard_normal((5, 3)).astype(dtype) if reduction == "none" else np.array(0.7, dtype)
    tol = dict(rtol=1e-6) if dtype == "float32" else dict(rtol=1e-13)
    for ours_loss, torch_loss in [(ttorch.nn.MSELoss(reduction=reduction), torch.nn.MSELoss(reduction=reduction)),
                                  (lambda x, y: ttorch.nn.functional.mse_loss(x, y, reduction=reduction),
                                   lambda x, y: torch.nn.functional.mse_loss(x, y, reduction=reduction))]:
        x, y = ttorch.tensor(a, requires_grad=True), ttorch.tensor(b, requires_grad=True)
        tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        out, ref = ours_loss(x, y), torch_loss(tx, ty)
        assert out.dtype == np.dtype(dtype) and tuple(out.shape) == tuple(ref.shape)
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **tol)
        out.backward(ttorch.tensor(G))
        ref.backward(torch.tensor(G))
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **tol)
        np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), **tol)


def test_mse_loss_second_derivative_equals_pytorchs(torch):
    a = np.array([0.5, -1.0, 2.0])
    x = ttorch.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    for lib, t in ((ttorch, x), (torch, tx)):
        g, = lib.autograd.grad(lib.nn.functional.mse_loss(t ** 2, lib.zeros_like(t)), t, create_graph=True)
        g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-13)


def test_mse_loss_is_exactly_twice_ours_bit_for_bit():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 1000, 1)).astype(np.float32)
    for reduction in ("mean", "sum", "none"):
        x, y = tinygrad_lr.tensor(a, requires_grad=True), tinygrad_lr.tensor(b)
        half = tinygrad_lr.nn.MSELoss(reduction=reduction)(x, y)
        half.sum().backward()
        half_grad = x.grad.numpy().copy()
        x.grad = None
        full = ttorch.nn.MSELoss(reduction=reduction)(x, y)
        full.sum().backward()
        assert np.array_equal(full.detach().numpy(), 2 * half.detach().numpy())
        assert np.array_equal(x.grad.numpy(), 2 * half_grad)


def test_the_facades_mse_loss_keeps_the_main_packages_checks():
    with pytest.raises(ValueError, match=r"MSELoss: input \(prediction\) has shape \(5, 1\) but target has shape \(5,\)"):
        ttorch.nn.MSELoss()(ttorch.zeros(5, 1), ttorch.zeros(5))
    with pytest.raises(ValueError, match="reduction='avg' is not a valid value"):
        ttorch.nn.MSELoss(reduction="avg")
    assert repr(ttorch.nn.MSELoss()) == "MSELoss()"
    assert isinstance(ttorch.nn.MSELoss(), tinygrad_lr.nn.Module)


# ---- autograd.Function: Tensors in and out ---------------------------------------------------------------
def _exp(lib):
    class MyExp(lib.autograd.Function):  # saves its output; twice differentiable through it
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            y, = ctx.saved_tensors
            return grad_output * y
    return MyExp


def _mul(lib):
    class MyMul(lib.autograd.Function):  # two inputs; computes only the gradients asked for
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, grad_output):
            a, b = ctx.saved_tensors
            return (grad_output * b if ctx.needs_input_grad[0] else None,
                    grad_output * a if ctx.needs_input_grad[1] else None)
    return MyMul


A = np.array([[0.5, -1.0, 2.0], [-0.3, 1.5, 0.2]])
B = np.array([[1.5, 0.25, -2.0], [0.7, -0.4, 3.0]])


@pytest.mark.parametrize("make, args", [(my_relu, (A,)), (_exp, (A,)), (scaled_cube, (A, 0.5)), (_mul, (A, B))],
                         ids=["relu-with-clamp", "exp-saves-output", "cube-with-a-number", "mul-two-inputs"])
def test_a_pytorch_style_function_gives_pytorchs_values_gradients_and_second_derivatives(torch, make, args):
    results = []
    for lib in (ttorch, torch):
        fn = make(lib)
        leaves = [lib.tensor(a, requires_grad=True) if isinstance(a, np.ndarray) else a for a in args]
        tensors = [t for t in leaves if not isinstance(t, float)]
        out = fn.apply(*leaves)
        grads = lib.autograd.grad((out * lib.tensor(B)).sum(), tensors, create_graph=True)
        total = sum(((g * g).sum() for g in grads), lib.zeros((), dtype=lib.float64))
        if total.requires_grad:  # not for relu: its gradient g·[x > 0] does not depend on x
            total.backward()
        results.append([total.requires_grad, out.detach().numpy()] + [g.detach().numpy() for g in grads]
                       + [t.grad.numpy() if t.grad is not None else np.zeros_like(t.detach().numpy())
                          for t in tensors])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_forward_runs_under_no_grad_and_backward_records_only_under_create_graph():
    seen = {}

    class Probe(ttorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen["forward"] = ttorch.is_grad_enabled()
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            seen.setdefault("backward", []).append((ttorch.is_grad_enabled(), type(grad_output).__name__,
                                                    type(x).__name__))
            return grad_output * 2

    x = ttorch.tensor([1.0, 2.0], requires_grad=True)
    y = Probe.apply(x)
    assert seen["forward"] is False and y.requires_grad and repr(y.grad_fn) == "<ProbeBackward>"
    assert isinstance(y.grad_fn, Probe)  # the node is the ctx, an instance of the user's class
    y.sum().backward()
    g, = ttorch.autograd.grad(Probe.apply(x).sum(), x, create_graph=True)
    assert seen["backward"] == [(False, "Tensor", "Tensor"), (True, "Tensor", "Tensor")]
    assert x.grad.tolist() == [2.0, 2.0] and g.tolist() == [2.0, 2.0]


def test_needs_input_grad_says_which_inputs_want_a_gradient():
    MyMul = _mul(ttorch)
    a, b = ttorch.tensor([1.0, 2.0], requires_grad=True), ttorch.tensor([3.0, 4.0])
    out = MyMul.apply(a, b)
    assert out.grad_fn.needs_input_grad == (True, False)
    out.sum().backward()
    assert a.grad.tolist() == [3.0, 4.0] and b.grad is None


def test_mark_non_differentiable_output_does_not_require_grad():
    class Sign(ttorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = (x > 0).float() * 2 - 1
            ctx.mark_non_differentiable(out)
            return out

        @staticmethod
        def backward(ctx, grad_output):
            raise AssertionError("never called")

    y = Sign.apply(ttorch.tensor([-1.0, 2.0], requires_grad=True))
    assert y.tolist() == [-1.0, 1.0] and not y.requires_grad and y.grad_fn is None


def test_the_setup_context_style_of_pytorch_2(torch):
    def make(lib):
        class Square(lib.autograd.Function):
            @staticmethod
            def forward(x):
                return x * x

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, = inputs
                ctx.save_for_backward(x)

            @staticmethod
            def backward(ctx, grad_output):
                x, = ctx.saved_tensors
                return 2 * x * grad_output
        return Square

    grads = []
    for lib in (ttorch, torch):
        x = lib.tensor([1.5, -2.0], requires_grad=True)
        make(lib).apply(x).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(*grads)


def test_a_saved_input_changed_in_place_is_caught_as_in_the_main_package():
    MyExp = _exp(ttorch)
    x = ttorch.tensor([1.0, 2.0], requires_grad=True)
    y = MyExp.apply(x)
    with ttorch.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="MyExpBackward: the output saved for backward was modified"):
        y.sum().backward()


def test_a_forward_that_returns_no_tensor_says_so():
    class Two(ttorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x, x

    with pytest.raises(TypeError, match=r"Two.forward must return a Tensor, got tuple; a Function with several "
                                        "outputs is not supported"):
        Two.apply(ttorch.tensor([1.0], requires_grad=True))


def test_the_main_packages_function_still_gets_arrays():
    class Double(tinygrad_lr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            assert isinstance(x, np.ndarray)
            return 2 * x

        @staticmethod
        def backward(ctx, g):
            assert isinstance(g, np.ndarray)
            return 2 * g

    x = tinygrad_lr.tensor([1.0], requires_grad=True)
    Double.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0]


# ---- the table of docs/porting.md is the code's ------------------------------------------------------------
def table_markdown():
    """The facade's table as docs/porting.md shows it, from ``_variants.TABLE``."""
    rows = ["| Name | `import tinygrad_lr` (the notes) | `import tinygrad_lr.torch as torch` (PyTorch) | Why |",
            "|---|---|---|---|"]
    for names, main, facade, why in _variants.TABLE:
        rows.append(f"| {', '.join(f'`{n}`' for n in names)} | {main} | {facade} | {why} |")
    return "\n".join(rows)


def test_every_variant_in_the_table_is_a_name_of_the_facade_and_differs_from_the_main_package():
    for name in VARIANTS:
        path, _, attr = name.rpartition(".")
        assert getattr(_module("tinygrad_lr.torch", path), attr) is not getattr(_module("tinygrad_lr", path), attr)


def test_the_porting_page_table_is_the_one_in_the_code():
    page = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "porting.md").read_text()
    start, end = "<!-- facade-table -->", "<!-- /facade-table -->"
    assert start in page and end in page, (
        f"docs/porting.md needs the facade table between {start} and {end}; it is:\n{table_markdown()}")
    assert page.split(start)[1].split(end)[0].strip() == table_markdown()


def test_a_name_the_facade_lacks_says_so_and_where_the_list_is():
    import tinygrad_lr.torch as torch
    with pytest.raises(AttributeError, match=r"module 'tinygrad_lr.torch.nn' has no attribute 'Conv3d' \(nor has "
                                             r"'tinygrad_lr.nn'\).*docs/porting\.md lists what does not port"):
        torch.nn.Conv3d


@pytest.mark.parametrize("module, name", [("nn.functional", "_mse_loss"), ("nn.functional", "HalfSquaredError"),
                                          ("nn.functional", "loss_args"), ("nn.functional", "Exp"),
                                          ("nn", "module"), ("optim", "sgd")])
def test_the_facade_refuses_private_names_as_it_refuses_missing_ones(module, name):
    """Our private functions, op classes and file modules are not PyTorch's names: the facade does not serve
    them, and says so with the message of any missing name."""
    import importlib
    target = importlib.import_module("tinygrad_lr.torch" + ("." + module if module else ""))
    with pytest.raises(AttributeError, match=r"has no attribute .* docs/porting\.md lists what does not port"):
        getattr(target, name)
