"""vmap of every op of the catalog (tests/_catalog.py) against a Python loop over the samples.

For each entry: a batch of 3 samples (float64, drawn from the op's shapes and domain), ``vmap(op)`` equals
``stack([op(sample) for sample in batch])``; with the first input batched and the others shared
(in_dims=(0, None, …)) too; and where the op has a gradient, ``vmap(grad(Σ op))`` equals the per-sample
gradients of a loop.  One example per entry: Hypothesis's second (max_examples=2, derandomized), as its first
is the simplest one (all zeros: three equal samples could not tell the samples apart), and the catalog has
~500 entries (the ops themselves are checked by tests/core).
"""
import importlib
import importlib.util
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lr as tg
from _catalog import CATALOG
from tinygrad_lr.autograd import Function
from tinygrad_lr.func import grad, vmap

BATCH = 3
ONE_EXAMPLE = settings(max_examples=2, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
                       suppress_health_check=list(HealthCheck))  # (no shrinking: the failing example as drawn)

# The Functions of the files other work owns (the normalisation modules, sparse) may have no batch rule yet: vmap
# runs them in its loop fallback, which must still be right (and warn).  The convolutions, pools, pad and
# interpolate have their rules: they must not loop.
_OTHERS = ("normalization", "sparse")
LOOPED = {name for module in _OTHERS if importlib.util.find_spec(f"tinygrad_lr.nn.{module}")
          for name, value in vars(importlib.import_module(f"tinygrad_lr.nn.{module}")).items()
          if isinstance(value, type) and issubclass(value, Function)}
CASES = CATALOG

# Ops whose result has a shape that depends on the values (a mask picked by the data): no batch can hold
# them; vmap must say so (PyTorch raises too).
DATA_DEPENDENT = {"index [x > 0] (data-dependent mask)"}


_SIMPLEST_SEEN = set()


def _draw_batch(data, op):
    shapes = data.draw(op.shapes)
    return [data.draw(hnp.arrays(np.float64, (BATCH,) + tuple(s), elements=op.domain_of(i), fill=st.nothing()))
            for i, s in enumerate(shapes)]


def _loop(op, arrays, shared):
    """op on each sample, stacked (the inputs in ``shared`` are the same for every sample: their sample 0)."""
    outs = [op.fn(tg, *[tg.tensor(a[0] if i in shared else a[k]) for i, a in enumerate(arrays)])
            for k in range(BATCH)]
    return np.stack([o.detach().numpy() for o in outs])


def _vmapped(op, arrays, shared):
    dims = tuple(None if i in shared else 0 for i in range(len(arrays)))
    xs = [tg.tensor(a[0] if i in shared else a) for i, a in enumerate(arrays)]
    return vmap(lambda *xs: op.fn(tg, *xs), in_dims=dims)(*xs)


def _per_sample_grads(op, arrays):
    grads = []
    for k in range(BATCH):
        leaves = [tg.tensor(a[k], requires_grad=True) for a in arrays]
        out = op.fn(tg, *leaves)
        if not out.requires_grad:
            return None
        out.sum().backward()
        grads.append([np.zeros_like(a[k]) if x.grad is None else x.grad.numpy() for x, a in zip(leaves, arrays)])
    return [np.stack([g[i] for g in grads]) for i in range(len(arrays))]


@pytest.mark.parametrize("op", CASES, ids=repr)
@ONE_EXAMPLE
@given(data=st.data())
def test_vmap_of_every_op_equals_the_loop(op, data):
    arrays = _draw_batch(data, op)
    if op.name not in _SIMPLEST_SEEN:  # Hypothesis's first example: all zeros (see the module docstring)
        _SIMPLEST_SEEN.add(op.name)
        return
    if op.name in DATA_DEPENDENT:
        with pytest.raises(RuntimeError, match="vmap"):
            _vmapped(op, arrays, shared=())
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for shared in [()] + ([tuple(range(1, len(arrays)))] if len(arrays) > 1 else []):
            out = _vmapped(op, arrays, shared)
            expected = _loop(op, arrays, shared)
            assert tuple(out.shape) == expected.shape, f"{op.name} (shared {shared}): shape"
            np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12,
                                       err_msg=f"{op.name} (shared inputs {shared})")

        expected = _per_sample_grads(op, arrays)
        if expected is not None:
            argnums = tuple(range(len(arrays)))
            got = vmap(grad(lambda *xs: op.fn(tg, *xs).sum(), argnums=argnums))(*[tg.tensor(a) for a in arrays])
            for i, (g, e) in enumerate(zip(got, expected)):
                np.testing.assert_allclose(g.numpy(), e, rtol=1e-10, atol=1e-12,
                                           err_msg=f"{op.name}: per-sample gradient of input {i}")
    looped = {m.group(1) for w in caught if (m := re.match(r"vmap: (\w+) has no batching rule", str(w.message)))}
    assert looped <= LOOPED, f"{op.name}: a built-in op ran vmap's loop fallback: {looped - LOOPED} needs a batch rule"
