"""Differential fuzzing of ``vmap``: random programs, batched, must equal the same program in a loop.

tests/_fuzz_graphs.py draws a random program over leaves ``x0, x1, …`` (broadcasting, reductions over random
dims, reshapes, transposes, indexing, values used twice, in place on fresh clones, every op family of the
fuzzer).  Here the program is a function of *one sample*: ``f(x0, x1, …)`` returns every value it computes.
Each leaf gets a batch of samples (the drawn value and nearby ones: each entry scaled by a factor in
[0.8, 1.25], so signs and domains hold), and

- ``vmap(f, in_dims, out_dims)(stacked leaves)`` equals ``stack([f(sample_i) for i])`` moved to ``out_dims``:
  every value, in dtype and shape, to 1e-12 (float64);
- ``vmap(grad(L, argnums=the leaves that require grad))`` equals the per-sample ``autograd.grad`` of a loop,
  with L = Σₖ Σ(vₖ · Wₖ) the fuzzer's loss (weights that differ entry by entry);

with the batch dim of each leaf at a random place (negative in_dims too), some leaves shared (in_dims=None:
the same tensor for every sample, and still a per-sample gradient), random out_dims, and a nested
``vmap(vmap(f))`` over two batch dims where each leaf is mapped by the outer vmap, the inner, both or neither.

A refusal PyTorch's vmap shares (a shape that depends on the values; writing what differs from sample to
sample into a tensor the samples share) is not a mismatch; neither is a Function without a batch rule
running in vmap's loop (with a warning).  Any other error, and any difference, is a bug.

CI runs 200 programs and 80 nested ones (derandomized: the same ones every run);
``pytest tests/func/test_vmap_fuzz.py --fuzz-long`` (or ``TINYGRAD_LR_FUZZ_LONG=1``) draws 10,000 and 4,000.
A failing case prints the program as a script (``Program.source()``) and the vmap call (``Case``).
"""
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_lr
from _fuzz_graphs import budget, namespace, programs
from tinygrad_lr.func import grad, vmap

FUZZ = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=not budget.long, print_blob=True,
            database=None)
RTOL = 1e-12

# Refusals PyTorch's vmap makes too: the message says why the program has no batched form.
REFUSALS = ("a shape that depends on the values", "differs from sample to sample into a tensor the samples share")


# ============================================================================
# the program as a function of one sample
# ============================================================================
def as_function(program):
    """``f(x0, x1, …)``: the program on these leaves; returns every value it computes, in order."""
    consts = program.consts

    def f(*leaves):
        ns = namespace(tinygrad_lr)
        ns.update(zip(program.leaves, leaves))
        ns.update(consts)
        exec(program.code(), ns)
        return tuple(ns[name] for name in program.values)
    return f


def as_loss(program):
    """``L(x0, x1, …) = Σₖ Σ(vₖ · Wₖ)`` over the outputs: a scalar, with weights that differ entry by entry."""
    consts, outputs = program.consts, program.outputs
    weights = {o: tinygrad_lr.from_numpy(program.weights[o].astype("float64")) for o in outputs}

    def loss(*leaves):
        ns = namespace(tinygrad_lr)
        ns.update(zip(program.leaves, leaves))
        ns.update(consts)
        exec(program.code(), ns)
        terms = [(ns[o] * weights[o]).sum() for o in outputs]
        return sum(terms[1:], terms[0])
    return loss


def differentiated(program):
    """The positions of the leaves that require grad (the argnums of grad)."""
    return tuple(i for i, (_, rg) in enumerate(program.leaves.values()) if rg)


# ============================================================================
# the batch: where each leaf's samples come from and where its batch dim goes
# ============================================================================
class Case:
    """How a program is vmapped: batch sizes, each leaf's role and in_dims, out_dims, the samples' seed."""

    def __init__(self, sizes, roles, in_dims, out_dims, seed):
        self.sizes = sizes          # (B,) or (outer B, inner B)
        self.roles = roles          # per leaf: the levels it is mapped over, a subset of ("outer", "inner")
        self.in_dims = in_dims      # per level (outer first): one in_dim per leaf (None: shared)
        self.out_dims = out_dims    # per level (outer first): one out_dim per value
        self.seed = seed

    def __repr__(self):
        call = "f"
        for in_dims, out_dims in zip(reversed(self.in_dims), reversed(self.out_dims)):
            call = f"vmap({call}, in_dims={tuple(in_dims)!r}, out_dims={tuple(out_dims)!r})"
        return f"Case({call}, batch sizes {self.sizes}, samples seed {self.seed})"


def _dim_in(draw, ndim):
    """A dim of an array with ``ndim`` dims, counted from the front or (negative) from the end."""
    return draw(st.integers(-ndim, ndim - 1))


@st.composite
def cases(draw, program, nested=False):
    """A random vmap of ``program``: one level (or two, ``nested``), every level mapping at least one leaf."""
    names = list(program.leaves)
    levels = ("outer", "inner") if nested else ("outer",)
    sizes = tuple(draw(st.sampled_from([3, 2, 1, 3])) for _ in levels)
    subsets = [(), ("outer",)] + ([("inner",), ("outer", "inner")] if nested else [])
    roles = [draw(st.sampled_from(subsets[1:] + subsets)) for _ in names]
    for level in levels:   # a vmap that maps no input is an error: map one
        if not any(level in r for r in roles):
            i = draw(st.integers(0, len(names) - 1))
            roles[i] = tuple(lv for lv in levels if lv in roles[i] or lv == level)
    in_dims = []
    for k, level in enumerate(levels):
        dims = []
        for name, role in zip(names, roles):
            # the array this level sees: the sample's dims, plus the dims of this level and the inner ones
            ndim = program.leaves[name][0].ndim + sum(lv in role for lv in levels[k:])
            dims.append(_dim_in(draw, ndim) if level in role else None)
        in_dims.append(dims)
    f = as_function(program)
    leaves = [tinygrad_lr.tensor(a) for a, _ in program.leaves.values()]
    with tinygrad_lr.no_grad():
        ndims = [v.ndim for v in f(*leaves)]
    out_dims = [[_dim_in(draw, n + 1 + len(levels) - 1 - k) for n in ndims] for k in range(len(levels))]
    return Case(sizes, roles, in_dims, out_dims, draw(st.integers(0, 2 ** 16)))


def samples(program, case):
    """Each leaf's value for every sample index (i,) or (i, j): the drawn value scaled entry by entry (sample
    (0, …) is the drawn value itself); a leaf not mapped over a level has the same value along it."""
    rng = np.random.default_rng(case.seed)
    levels = ("outer", "inner")[:len(case.sizes)]
    out = []
    for (a, _), role in zip(program.leaves.values(), case.roles):
        own = {}
        for index in np.ndindex(*case.sizes):
            key = tuple(i if lv in role else 0 for i, lv in zip(index, levels))
            if key not in own:
                own[key] = a if not any(key) else a * rng.uniform(0.8, 1.25, a.shape)
            own[index] = own[key]
        out.append({index: own[index] for index in np.ndindex(*case.sizes)})
    return out


def stacked(program, case, values):
    """The vmap inputs: each leaf's samples stacked at its in_dims (inner level first, then outer)."""
    levels = ("outer", "inner")[:len(case.sizes)]
    inputs = []
    for k, role in enumerate(case.roles):
        def build(prefix, depth):
            if depth == len(levels):
                return values[k][prefix]
            level = levels[depth]
            if level not in role:
                return build(prefix + (0,), depth + 1)
            parts = [build(prefix + (i,), depth + 1) for i in range(case.sizes[depth])]
            return np.stack(parts, axis=case.in_dims[depth][k])
        inputs.append(tinygrad_lr.tensor(build((), 0)))
    return inputs


def vmapped(fn, case):
    """``fn`` under one vmap per level, the outer one outermost."""
    for in_dims, out_dims in zip(reversed(case.in_dims), reversed(case.out_dims)):
        fn = vmap(fn, in_dims=tuple(in_dims), out_dims=tuple(out_dims))
    return fn


def expected_stack(case, per_sample, position):
    """The loop's results for output ``position`` stacked as vmap returns them: inner level first, each batch
    dim moved to its out_dims."""
    def build(prefix, depth):
        if depth == len(case.sizes):
            return per_sample[prefix][position]
        parts = [build(prefix + (i,), depth + 1) for i in range(case.sizes[depth])]
        return np.moveaxis(np.stack(parts), 0, case.out_dims[depth][position])
    return build((), 0)


# ============================================================================
# the oracle: a Python loop over the samples
# ============================================================================
def loop_values(program, case, values):
    f = as_function(program)
    out = {}
    for index in np.ndindex(*case.sizes):
        with tinygrad_lr.no_grad():
            results = f(*[tinygrad_lr.tensor(v[index]) for v in values])
        out[index] = [r.detach().numpy().copy() for r in results]
    return out


def loop_gradients(program, values):
    """Per sample: ∂L/∂leaf for the leaves that require grad (zeros where L does not depend on one)."""
    loss, argnums = as_loss(program), differentiated(program)
    out = {}
    for index in values[0]:
        leaves = [tinygrad_lr.tensor(v[index], requires_grad=i in argnums) for i, v in enumerate(values)]
        total = loss(*leaves)
        picked = [leaves[i] for i in argnums]
        found = (tinygrad_lr.autograd.grad(total, picked, allow_unused=True) if total.requires_grad
                 else [None] * len(picked))
        out[index] = [np.zeros_like(x.detach().numpy()) if g is None else g.numpy() for x, g in zip(picked, found)]
    return out


def assert_close(actual, expected, what):
    """Equal in shape and, up to RTOL of the largest entry, in value (NaN where the loop has NaN)."""
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, the loop's {expected.shape}"
    if expected.size and expected.dtype.kind in "fc":
        finite = np.abs(expected[np.isfinite(expected)])
        scale = max(1.0, float(finite.max(initial=0)))
        np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * scale, err_msg=what)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=what)


def refused(error):
    """True for a refusal PyTorch's vmap makes too (REFUSALS); other errors are bugs."""
    return isinstance(error, RuntimeError) and any(r in str(error) for r in REFUSALS)


def check(program, case):
    """vmap's values and per-sample gradients equal the loop's (see the module docstring)."""
    values = samples(program, case)
    inputs = stacked(program, case, values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # a Function without a batch rule loops, with a warning: not a mismatch
        try:
            got = vmapped(as_function(program), case)(*inputs)
        except Exception as e:
            if refused(e):
                return "refused"
            raise
        expected = loop_values(program, case, values)
        for position, (name, out) in enumerate(zip(program.values, got)):
            want = expected_stack(case, expected, position)
            assert out.numpy().dtype == want.dtype, f"{name}: dtype {out.dtype}, the loop's {want.dtype}"
            assert_close(out.numpy(), want, f"value of {name}")
        argnums = differentiated(program)
        if not argnums:
            return "values"
        per_sample = loop_gradients(program, values)
        grads_case = Case(case.sizes, case.roles, case.in_dims, [[0] * len(argnums)] * len(case.sizes), case.seed)
        got = vmapped(grad(as_loss(program), argnums=argnums), grads_case)(*inputs)
        for position, i in enumerate(argnums):
            want = expected_stack(grads_case, per_sample, position)
            assert str(got[position].dtype) == "float64", f"gradient of x{i}: dtype {got[position].dtype}"
            assert_close(got[position].numpy(), want, f"per-sample gradient of x{i}")
    return "checked"


# ============================================================================
# the tests
# ============================================================================
@settings(max_examples=budget(200, 10_000), **FUZZ)
@given(data=st.data())
def test_vmap_of_random_programs_equals_the_loop(data):
    program = data.draw(programs(max_ops=8), label="program")
    check(program, data.draw(cases(program), label="case"))


@settings(max_examples=budget(80, 4_000), **FUZZ)
@given(data=st.data())
def test_nested_vmap_of_random_programs_equals_the_double_loop(data):
    program = data.draw(programs(max_ops=6), label="program")
    check(program, data.draw(cases(program, nested=True), label="case"))
