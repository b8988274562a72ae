"""Differential fuzzing: random computation graphs must give the same values and gradients as PyTorch.

tests/_fuzz_graphs.py draws a random program (broadcasting, every op family
of the catalog, values used twice, reductions over random dims, indexing with
repeated indices, reshapes and transposes, Python numbers and arrays on both
sides of operators, in place on fresh tensors, detached values, F.linear and
the loss), and the very same text runs in tinygrad_lr and in PyTorch, in
float64.  Every value must agree in dtype, shape, requires_grad and value
(rtol 1e-9; 2e-5 when PyTorch's promotion rule left a float32 value in the
graph), and every leaf's gradient — taken by ``loss.backward()``,
``autograd.grad``, ``out.backward(gradient=W)``, ``backward(inputs=...)``,
``grad_outputs=`` or two backwards through a retained graph — must agree too
(``None`` where PyTorch has ``None``), and so must a ``retain_grad()``
value's gradient.  An in-place change between forward and backward must be
refused or harmless; float32 programs must keep PyTorch's dtypes.

Without PyTorch the same generator runs with central finite differences as the
oracle (``test_gradients_match_finite_differences``: always runs).

CI runs a few hundred graphs.  ``pytest tests/core/test_fuzz.py --fuzz-long`` (or
``TINYGRAD_LR_FUZZ_LONG=1``) runs tens of thousands; ``TINYGRAD_LR_FUZZ_EXAMPLES=N``
sets the number of graphs of the main test.  A failing graph is printed as a
tinygrad_lr script (``Program.source()``) that reproduces it.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_lr
from _fuzz_graphs import OPS, as_array, budget, gradients, grad_leaves, loss_of, namespace, programs, run
from conftest import optional

FUZZ = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=not budget.long,
            print_blob=True)


def assert_close(actual, expected, what, rtol=1e-9):
    """Equal up to rtol, relative to the largest entry (a sum's rounding error scales with its terms)."""
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, PyTorch {expected.shape}"
    if expected.size:
        scale = max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def compare_with_torch(program, torch):
    ours, theirs = run(program, tinygrad_lr), run(program, torch)
    for name in program.values:
        a, t = ours[name], theirs[name]
        assert str(a.dtype) == str(t.dtype).replace("torch.", ""), f"{name}: dtype {a.dtype}, PyTorch {t.dtype}"
        assert a.requires_grad == t.requires_grad, f"{name}: requires_grad {a.requires_grad}, PyTorch's {t.requires_grad}"
    # a float32 value (a float32 tensor next to a 0-d float64 one stays float32, as in PyTorch) carries
    # float32 rounding, which NumPy and PyTorch do differently in the last bit: compare at float32's precision
    rtol = 1e-9 if all(ours[n].dtype != np.float32 for n in program.values) else 2e-5
    for name in program.values:
        assert_close(as_array(ours[name]), as_array(theirs[name]), f"value of {name}", rtol)
    g_ours, kept_ours = gradients(program, ours, tinygrad_lr)
    if program.backward == "loss.backward(retain_graph=True) twice":
        # The oracle is twice one backward: PyTorch 2.13 itself accumulates wrongly when leaves' gradients share
        # a buffer (torch.stack([a, b]).sum(), two backwards: a.grad = 3, not 2; see test_regressions.py)
        g_theirs, kept_theirs = gradients(program, theirs, torch, mode="loss.backward()")
        g_theirs = [None if g is None else 2 * g for g in g_theirs]
        kept_theirs = None if kept_theirs is None else 2 * kept_theirs
    else:
        g_theirs, kept_theirs = gradients(program, theirs, torch)
    names = [n for n, (_, rg) in program.leaves.items() if rg]
    for name, a, t in zip(names, g_ours, g_theirs):
        assert (a is None) == (t is None), f"gradient of {name}: ours is {a}, PyTorch's is {t}"
        if a is not None:
            assert a.dtype == np.float64 and not a.requires_grad
            assert_close(as_array(a), as_array(t), f"gradient of {name}", rtol)
    if program.retain is None or any(theirs[n] is theirs[program.retain]
                                     for n in list(program.leaves) + program.values if n != program.retain):
        return  # PyTorch's flatten of a 1-d tensor is the tensor itself: retain_grad() then keeps another's grad
    assert (kept_ours is None) == (kept_theirs is None), f"retained grad of {program.retain}"
    if kept_ours is not None:
        assert_close(as_array(kept_ours), as_array(kept_theirs), f"retained grad of {program.retain}", rtol)


@settings(max_examples=budget(300, 20_000), **FUZZ)
@given(programs())
def test_random_graphs_match_pytorch(program):
    compare_with_torch(program, optional("torch"))


@pytest.mark.parametrize("op", sorted(OPS))
@settings(max_examples=budget(8, 500), **FUZZ)
@given(data=st.data())
def test_every_op_family_matches_pytorch(op, data):
    """Graphs made of one op family (plus leaves): each family is fuzzed in CI, not just on average."""
    compare_with_torch(data.draw(programs(ops=[op], max_ops=4)), optional("torch"))


# ---- no silently wrong gradient after an in-place change -------------------------------
IN_PLACE = ("with lib.no_grad():\n    {t}.mul_(0.5)", "with lib.no_grad():\n    {t} += 1", "{t}.detach().add_(1.0)")


@settings(max_examples=budget(100, 5_000), **FUZZ)
@given(programs(), st.data())
def test_an_in_place_change_before_backward_is_caught_or_harmless(program, data):
    """The classic slip — a tensor the graph used is changed in place between the forward pass and
    backward (say, optimizer.step() before loss.backward()).  tinygrad_lr must either refuse with a
    RuntimeError that says so, or give exactly the gradient of the graph as it was computed: never a
    silently different one."""
    if any(".data" in text for _, text in program.lines):
        return  # changing x.data in place is not tracked, by design (as in PyTorch): that is what .data is for
    expected, _ = gradients(program, run(program, tinygrad_lr), tinygrad_lr)
    floats = [n for n in list(program.leaves) + program.values if n not in program.outputs]
    ns = run(program, tinygrad_lr)
    floats = [n for n in floats if ns[n].dtype.kind == "f" and ns[n].numel() and ns[n]._data.flags.writeable]
    if not floats:
        return
    target = data.draw(st.sampled_from(floats))
    change = data.draw(st.sampled_from(IN_PLACE)).format(t=target)
    exec(change, ns)
    try:
        grads, _ = gradients(program, ns, tinygrad_lr)
    except RuntimeError as e:
        assert "modified by an in-place operation" in str(e), str(e)
        return
    for name, a, e in zip([n for n, (_, rg) in program.leaves.items() if rg], grads, expected):
        assert (a is None) == (e is None), f"gradient of {name} after `{change}`"
        if a is not None:
            assert_close(as_array(a), as_array(e), f"gradient of {name} after `{change}` (silently wrong)")


# ---- without PyTorch: central finite differences are the oracle ----------------------
def finite_difference_gradient(program, leaf_name, h=1e-6):
    """∂L/∂leaf by central differences, (L(x + h·eᵢ) − L(x − h·eᵢ)) / 2h, each run of the program in float64."""
    base, _ = program.leaves[leaf_name]
    out = np.zeros_like(base)
    for i in np.ndindex(base.shape):
        values = []
        for step in (h, -h):
            x = base.copy()
            x[i] += step
            program.leaves[leaf_name] = (x, True)
            with tinygrad_lr.no_grad():
                ns = run(program, tinygrad_lr)
                values.append(loss_of(program, ns, tinygrad_lr).item())
        out[i] = (values[0] - values[1]) / (2 * h)
    program.leaves[leaf_name] = (base, True)
    return out


@settings(max_examples=budget(60, 3_000), **FUZZ)
@given(programs(fd_safe=True, max_ops=6))
def test_gradients_match_finite_differences(program):
    program.backward = "autograd.grad(loss, leaves)"
    ns = run(program, tinygrad_lr)
    grads, _ = gradients(program, ns, tinygrad_lr)
    names = [n for n, (_, rg) in program.leaves.items() if rg]
    for name, g in zip(names, grads):
        fd = finite_difference_gradient(program, name)
        if g is None:   # no path to the loss: the loss does not change with this leaf
            np.testing.assert_allclose(fd, 0, atol=1e-6, err_msg=f"gradient of {name} is None")
        else:
            scale = max(1.0, float(np.abs(fd).max(initial=0)))   # (an empty leaf has no entries)
            np.testing.assert_allclose(as_array(g), fd, rtol=1e-5, atol=1e-5 * scale, err_msg=f"gradient of {name}")


# ---- float32 stays float32, as in PyTorch ---------------------------------------------
@settings(max_examples=budget(60, 3_000), **FUZZ)
@given(programs())
def test_float32_graphs_keep_pytorchs_dtypes(program):
    """The same program on float32 leaves: every value's dtype is PyTorch's, and so are the gradients'."""
    torch = optional("torch")
    if any(".double()" in text or "to(lib.float64)" in text for _, text in program.lines):
        return  # float64 meeting float32 in matmul: tinygrad_lr promotes, PyTorch refuses (docs/porting.md)
    ours = run(program, tinygrad_lr, "float32")
    try:
        theirs = run(program, torch, "float32")
    except RuntimeError as e:   # e.g. a 0-d float64 made a float64 value that then meets float32 in matmul
        assert "dtype" in str(e), str(e)
        return                  # PyTorch refuses mixed dtypes there; tinygrad_lr promotes (docs/porting.md)
    for name in program.values:
        assert str(ours[name].dtype) == str(theirs[name].dtype).replace("torch.", ""), name
        assert ours[name].shape == tuple(theirs[name].shape), name
    g_ours, _ = gradients(program, ours, tinygrad_lr, "float32")
    g_theirs, _ = gradients(program, theirs, torch, "float32")
    for a, t in zip(g_ours, g_theirs):
        assert (a is None) == (t is None)
        if a is not None:
            assert a.dtype == np.float32 and str(t.dtype) == "torch.float32"


# ---- compiled mode: the same graph as a step under tinygrad_lr.compile gives eager's numbers ------------
def _fuzz_step(program):
    """A step that runs ``program`` on its leaves (the step's arguments), then loss.backward()."""
    weights = {o: tinygrad_lr.from_numpy(program.weights[o].astype("float64")) for o in program.outputs}

    def step(*leaves):
        ns = namespace(tinygrad_lr)
        for name, t in zip(program.leaves, leaves):
            ns[name] = t
        ns.update(program.consts)
        exec(program.code(), ns)
        terms = [(ns[o] * weights[o]).sum() for o in program.outputs]   # loss_of, with weights made once
        loss = sum(terms[1:], terms[0])
        if loss.requires_grad:
            loss.backward()
        return loss
    return step


@settings(max_examples=budget(60, 5_000), **FUZZ)
@given(programs())
def test_random_graphs_compiled_match_eager(program):
    """Six calls of the compiled step (recorded, then replayed when the recordings agree, else eager), on
    other leaf values each call, give exactly the eager step's loss and gradients, call by call."""
    import warnings
    eager, compiled = _fuzz_step(program), tinygrad_lr.compile(_fuzz_step(program))

    def leaves(call):   # other values each call: a value the program wrongly baked in would show
        return [tinygrad_lr.tensor(a * (1 + 0.125 * call) if a.dtype.kind == "f" else a, requires_grad=rg)
                for a, rg in program.leaves.values()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # steps that cannot be compiled say so once; that is fine here
        for call in range(6):
            a, b = leaves(call), leaves(call)
            la, lb = eager(*a), compiled(*b)
            np.testing.assert_array_equal(as_array(la), as_array(lb))
            for x, y in zip(a, b):
                assert (x.grad is None) == (y.grad is None)
                if x.grad is not None:
                    np.testing.assert_array_equal(as_array(x.grad), as_array(y.grad))
