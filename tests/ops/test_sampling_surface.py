"""Sampling, counting and the small names PyTorch programs use, through both doors, against PyTorch:
``multinomial`` (statistics, without-replacement rules, seeds, errors), ``randint``'s call forms and
``randint_like``, ``histogram`` and ``histc``, ``all``/``any`` with dims, ``out=``, the legacy tensor types,
``meshgrid``, ``scatter_(..., value=)`` and the device boilerplate (``torch.backends``, ``torch.accelerator``).

The differentiable one, ``meshgrid``, is also a catalog entry (tests/_catalog_sampling.py).
Draws equal to PyTorch's are not a goal (docs/porting.md: "PyTorch's random streams" do not port); their
distribution is, and it is checked with a chi-squared test.
"""
import math
import warnings

import numpy as np
import pytest

import tinygrad_lr
import tinygrad_lr.torch as ttorch
from conftest import optional


@pytest.fixture(scope="module")
def torch():
    return optional("torch")


def same(ours, theirs):
    """Values, shape and dtype agree (a torch dtype 'torch.int64' is our 'int64')."""
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(np.asarray(ours.detach().numpy(), dtype=float),
                               np.asarray(theirs.detach().numpy(), dtype=float), rtol=1e-6, atol=1e-6)


def raises_like_torch(torch, call, match):
    """``call(torch)`` raises, and ``call(tinygrad_lr)`` raises an error whose message matches ``match``."""
    with pytest.raises(Exception):
        call(torch)
    with pytest.raises((RuntimeError, TypeError, ValueError, IndexError), match=match):
        call(tinygrad_lr)


def chi2_pvalue(observed, expected):
    """P(χ² ≥ statistic) for k − 1 degrees of freedom, by the Wilson–Hilferty cube-root normal approximation."""
    observed, expected = np.asarray(observed, float), np.asarray(expected, float)
    keep = expected > 0
    assert observed[~keep].sum() == 0, "a category of probability 0 was drawn"
    stat = float(((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum())
    k = int(keep.sum()) - 1
    z = ((stat / k) ** (1 / 3) - (1 - 2 / (9 * k))) / math.sqrt(2 / (9 * k))
    return 0.5 * math.erfc(z / math.sqrt(2))


def test_the_chi2_helper_tells_a_fair_sample_from_a_biased_one():
    expected = np.array([2500.0, 2500, 2500, 2500])
    assert chi2_pvalue([2510, 2490, 2480, 2520], expected) > 0.5
    assert chi2_pvalue([2700, 2300, 2500, 2500], expected) < 1e-4


# ---- multinomial: the distribution ---------------------------------------------------------------------
PROBS = [0.1, 0.0, 0.25, 0.05, 0.6]


@pytest.mark.parametrize("lib", [tinygrad_lr, ttorch], ids=["tinygrad_lr", "facade"])
def test_multinomial_with_replacement_draws_each_category_with_its_probability(lib):
    gen = lib.Generator().manual_seed(0)
    weights = lib.tensor(PROBS) * 7  # weights need not sum to 1
    draws = lib.multinomial(weights, 20000, replacement=True, generator=gen)
    assert draws.shape == (20000,) and draws.dtype == lib.int64
    counts = np.bincount(draws.numpy(), minlength=5)
    assert counts[1] == 0
    assert chi2_pvalue(counts, 20000 * np.array(PROBS)) > 1e-4


def test_multinomial_of_a_matrix_draws_each_row_from_its_own_distribution():
    rows = np.array([PROBS, [0.5, 0.5, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 1.0]])
    tinygrad_lr.manual_seed(1)
    draws = tinygrad_lr.tensor(rows).multinomial(20000, replacement=True)
    assert draws.shape == (3, 20000) and draws.dtype == tinygrad_lr.int64
    for row, p in zip(draws.numpy(), rows):
        counts = np.bincount(row, minlength=5)
        if (p > 0).sum() > 1:
            assert chi2_pvalue(counts, 20000 * p) > 1e-4
        else:
            assert counts[p > 0] == 20000


def test_multinomial_without_replacement_never_repeats_and_its_first_draw_has_the_probabilities():
    tinygrad_lr.manual_seed(2)
    weights = tinygrad_lr.tensor([PROBS]).expand(20000, 5).contiguous()
    draws = tinygrad_lr.multinomial(weights, 4).numpy()
    assert draws.shape == (20000, 4)
    assert all(len(set(row)) == 4 for row in draws)
    assert chi2_pvalue(np.bincount(draws[:, 0], minlength=5), 20000 * np.array(PROBS)) > 1e-4
    # the second draw: P(k second) = Σ_{j ≠ k} p_j · p_k / (1 − p_j)
    p = np.array(PROBS)
    second = np.array([sum(p[j] * p[k] / (1 - p[j]) for j in range(5) if j != k) for k in range(5)])
    assert chi2_pvalue(np.bincount(draws[:, 1], minlength=5), 20000 * second) > 1e-4
    # the zero weight comes only once the four others are drawn, as in PyTorch
    assert not (draws == 1).any()


def test_multinomial_without_replacement_of_all_categories_is_a_permutation_and_zeros_come_last(torch):
    tinygrad_lr.manual_seed(3)
    weights = tinygrad_lr.tensor([[0.0, 1.0, 0.0, 0.0, 2.0], [1.0, 1.0, 1.0, 1.0, 1.0]])
    draws = tinygrad_lr.multinomial(weights, 5).numpy()
    assert sorted(draws[0]) == sorted(draws[1]) == [0, 1, 2, 3, 4]
    assert set(draws[0][:2]) == {1, 4}
    theirs = torch.multinomial(torch.tensor([[0.0, 1.0, 0.0, 0.0, 2.0]]), 5)[0].tolist()  # PyTorch does the same
    assert set(theirs[:2]) == {1, 4} and sorted(theirs) == [0, 1, 2, 3, 4]


def test_multinomial_with_one_positive_weight_is_that_category_as_in_torch(torch):
    for lib in (tinygrad_lr, torch):
        assert lib.multinomial(lib.tensor([0.0, 3.0, 0.0]), 4, True).tolist() == [1, 1, 1, 1]


# ---- multinomial: seeds and generators --------------------------------------------------------------------
def test_multinomial_the_same_seed_gives_the_same_draws():
    weights = tinygrad_lr.tensor([[1.0, 2.0, 3.0, 4.0]] * 3)
    runs = []
    for _ in range(2):
        tinygrad_lr.manual_seed(123)
        runs.append((tinygrad_lr.multinomial(weights, 50, True).tolist(), tinygrad_lr.multinomial(weights, 3).tolist()))
    assert runs[0] == runs[1]
    gens = [tinygrad_lr.Generator().manual_seed(9) for _ in range(2)]
    assert (weights.multinomial(30, True, generator=gens[0]).tolist()
            == weights.multinomial(30, True, generator=gens[1]).tolist())


def test_a_generator_leaves_the_global_stream_alone():
    weights = tinygrad_lr.tensor([1.0, 1.0, 1.0, 1.0])
    tinygrad_lr.manual_seed(5)
    plain = [tinygrad_lr.multinomial(weights, 20, True).tolist() for _ in range(2)]
    tinygrad_lr.manual_seed(5)
    first = tinygrad_lr.multinomial(weights, 20, True).tolist()
    tinygrad_lr.multinomial(weights, 20, True, generator=tinygrad_lr.Generator().manual_seed(0))
    second = tinygrad_lr.multinomial(weights, 20, True).tolist()
    assert [first, second] == plain


# ---- multinomial: errors ----------------------------------------------------------------------------
MULTINOMIAL_ERRORS = {
    "negative": (lambda lib: lib.multinomial(lib.tensor([1.0, -1.0]), 1), r"multinomial: .*shape \(2,\).*negative"),
    "inf": (lambda lib: lib.multinomial(lib.tensor([1.0, float("inf")]), 1), r"multinomial: .*inf, nan"),
    "nan": (lambda lib: lib.multinomial(lib.tensor([[1.0, float("nan")]]), 1, True), r"multinomial: .*\(1, 2\)"),
    "all-zero row": (lambda lib: lib.multinomial(lib.tensor([[1.0, 1.0], [0.0, 0.0]]), 1),
                     r"multinomial: a row .*\(2, 2\)\) sums to 0"),
    "num_samples 0": (lambda lib: lib.multinomial(lib.tensor([1.0, 1.0]), 0), r"multinomial: .*num_samples = 0"),
    "num_samples < 0": (lambda lib: lib.multinomial(lib.tensor([1.0, 1.0]), -2, True), r"multinomial: .*-2"),
    "num_samples float": (lambda lib: lib.multinomial(lib.tensor([1.0, 1.0]), 2.0), r"multinomial: .*integer"),
    "0-d": (lambda lib: lib.multinomial(lib.tensor(1.0), 1), r"multinomial: .*1-d .* or 2-d .*shape \(\)"),
    "3-d": (lambda lib: lib.multinomial(lib.ones(2, 2, 2), 1), r"multinomial: .*shape \(2, 2, 2\)"),
    "integers": (lambda lib: lib.multinomial(lib.tensor([1, 2]), 1), r"multinomial: .*floating.*int64.*\.float\(\)"),
    "more than the categories": (lambda lib: lib.multinomial(lib.tensor([1.0, 0.0, 2.0]), 4),
                                 r"multinomial: cannot draw 4 samples without replacement from 3 .*replacement=True"),
}


@pytest.mark.parametrize("case", list(MULTINOMIAL_ERRORS))
def test_multinomial_errors_where_torch_errs_naming_the_op(torch, case):
    call, match = MULTINOMIAL_ERRORS[case]
    raises_like_torch(torch, call, match)


def test_multinomial_edge_shapes_as_torch(torch):
    for lib in (tinygrad_lr, torch):
        assert tuple(lib.multinomial(lib.zeros(0, 3), 2).shape) == (0, 2)
        assert tuple(lib.multinomial(lib.ones(3, dtype=lib.float64), lib.tensor(2)).shape) == (2,)


# ---- randint and randint_like --------------------------------------------------------------------------
RANDINT = {
    "(high, size)": lambda lib: lib.randint(5, (3,)),
    "(low, high, size)": lambda lib: lib.randint(3, 7, (2, 2)),
    "size=": lambda lib: lib.randint(5, size=(4,)),
    "(low, high, size=)": lambda lib: lib.randint(-3, 3, size=(2, 3)),
    "all keywords": lambda lib: lib.randint(low=2, high=5, size=(3,)),
    "high= size=": lambda lib: lib.randint(high=5, size=(3, 1)),
    "low positional, high=": lambda lib: lib.randint(2, high=5, size=(3,)),
    "0-d size": lambda lib: lib.randint(5, ()),
    "a Size": lambda lib: lib.randint(5, lib.zeros(2, 3).shape),
    "dtype float32": lambda lib: lib.randint(5, (3,), dtype=lib.float32),
    "dtype int32": lambda lib: lib.randint(-5, 5, (3,), dtype=lib.int32),
    "dtype bool": lambda lib: lib.randint(2, (6,), dtype=lib.bool),
    "dtype uint8": lambda lib: lib.randint(250, 256, (6,), dtype=lib.uint8),
    "generator": lambda lib: lib.randint(5, (3,), generator=lib.Generator().manual_seed(0)),
    "float requires_grad": lambda lib: lib.randint(5, (3,), dtype=lib.float32, requires_grad=True),
    "randint_like(x, high)": lambda lib: lib.randint_like(lib.zeros(2, 3), 5),
    "randint_like(x, low, high)": lambda lib: lib.randint_like(lib.zeros(2, 3, dtype=lib.int32), 3, 5),
    "randint_like(x, high=)": lambda lib: lib.randint_like(lib.zeros(2, 3), high=5),
    "randint_like(x, low=, high=, dtype=)": lambda lib: lib.randint_like(lib.zeros(4), low=1, high=3, dtype=lib.int64),
}
RANGES = {"(low, high, size)": (3, 7), "(low, high, size=)": (-3, 3), "all keywords": (2, 5),
          "low positional, high=": (2, 5), "dtype int32": (-5, 5), "dtype bool": (0, 2), "dtype uint8": (250, 256),
          "randint_like(x, low, high)": (3, 5), "randint_like(x, low=, high=, dtype=)": (1, 3)}


@pytest.mark.parametrize("form", list(RANDINT))
def test_randint_forms_give_torchs_shape_dtype_and_range(torch, form):
    ours, theirs = RANDINT[form](tinygrad_lr), RANDINT[form](torch)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert ours.requires_grad == theirs.requires_grad
    low, high = RANGES.get(form, (0, 5))
    values = ours.detach().numpy().astype(np.int64)
    assert ((values >= low) & (values < high)).all() and (values == values.round()).all()
    assert RANDINT[form](ttorch).shape == ours.shape


def test_randint_draws_every_value_of_its_range_evenly_and_the_seed_repeats_them():
    tinygrad_lr.manual_seed(7)
    values = tinygrad_lr.randint(-2, 3, (20000,)).numpy()
    assert chi2_pvalue(np.bincount(values + 2, minlength=5), np.full(5, 4000.0)) > 1e-4
    tinygrad_lr.manual_seed(7)
    assert (tinygrad_lr.randint(-2, 3, (20000,)).numpy() == values).all()


RANDINT_ERRORS = {
    "no size": (lambda lib: lib.randint(5), r"randint: missing size"),
    "int size": (lambda lib: lib.randint(5, 3), r"randint: size must be a tuple of ints, got 3; write \(3,\)"),
    "empty range": (lambda lib: lib.randint(5, 5, (2,)), r"randint: low must be smaller than high.*5 and high = 5"),
    "float high": (lambda lib: lib.randint(2.5, (2,)), r"randint: high must be an integer, got float 2.5"),
    "bool high": (lambda lib: lib.randint(True, (2,)), r"randint: high must be an integer"),
    "too big for bool": (lambda lib: lib.randint(5, (3,), dtype=lib.bool), r"randint: .*\[0, 5\) does not fit .*bool"),
    "too big for uint8": (lambda lib: lib.randint(300, (2,), dtype=lib.uint8), r"randint: .*does not fit .*uint8"),
    "integers requiring grad": (lambda lib: lib.randint(5, (2,), requires_grad=True), r"floating-point"),
    "randint_like without high": (lambda lib: lib.randint_like(lib.zeros(2)), r"randint_like: missing high"),
}


@pytest.mark.parametrize("case", list(RANDINT_ERRORS))
def test_randint_errors_where_torch_errs(torch, case):
    call, match = RANDINT_ERRORS[case]
    raises_like_torch(torch, call, match)


# ---- histogram and histc --------------------------------------------------------------------------------
DATA = np.array([1.0, 2.0, 1.0, 4.0, 2.5, 3.0, -0.5, 0.75, 2.0, 3.75])
HISTOGRAMS = {
    "bins=4": lambda lib, x: lib.histogram(x, bins=4),
    "range": lambda lib, x: lib.histogram(x, 5, range=(0.0, 4.0)),
    "a list range": lambda lib, x: lib.histogram(x, 3, range=[0, 4]),
    "edges": lambda lib, x: lib.histogram(x, lib.tensor([-1.0, 1.5, 3.0, 4.0]).to(x.dtype)),
    "weight": lambda lib, x: lib.histogram(x, 3, weight=x * x),
    "density": lambda lib, x: lib.histogram(x, 3, density=True),
    "edges density": lambda lib, x: lib.histogram(x, lib.tensor([0.0, 1.5, 3.0, 4.0]).to(x.dtype), density=True),
    "weight density": lambda lib, x: lib.histogram(x, 4, weight=x.abs(), density=True),
    "method": lambda lib, x: x.histogram(6),
    "2-d input": lambda lib, x: lib.histogram(x.reshape(2, 5), 3),
    "empty range (2, 2)": lambda lib, x: lib.histogram(x, 4, range=(2.0, 2.0)),
    "constant data": lambda lib, x: lib.histogram(x * 0 + 1, 3),
    "no data": lambda lib, x: lib.histogram(x[:0], 3),
    "nan and inf outside a range": lambda lib, x: lib.histogram(x / (x - 2), 4, range=(-3.0, 3.0)),
    "edge values": lambda lib, x: lib.histogram(lib.tensor([0.0, 0.3, 0.6, 0.9, 1.0]).to(x.dtype), 3, range=(0, 0.9)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(HISTOGRAMS))
def test_histogram_matches_torch(torch, case, dtype):
    with np.errstate(divide="ignore", invalid="ignore"):
        ours = HISTOGRAMS[case](tinygrad_lr, tinygrad_lr.tensor(DATA, dtype=getattr(tinygrad_lr, dtype)))
    theirs = HISTOGRAMS[case](torch, torch.tensor(DATA, dtype=getattr(torch, dtype)))
    assert type(ours).__name__ == "histogram" and ours._fields == ("hist", "bin_edges")
    same(ours.hist, theirs.hist)
    same(ours.bin_edges, theirs.bin_edges)
    hist, edges = ours  # unpacks as PyTorch's
    assert hist is ours.hist and edges is ours.bin_edges and not hist.requires_grad


HISTCS = {
    "default 100 bins": lambda lib, x: lib.histc(x),
    "bins=4": lambda lib, x: lib.histc(x, bins=4),
    "min, max": lambda lib, x: lib.histc(x, bins=4, min=0, max=3),
    "positional": lambda lib, x: lib.histc(x, 5, -1, 5),
    "method": lambda lib, x: x.histc(4),
    "min = max: the data's range": lambda lib, x: lib.histc(x, 4, min=2, max=2),
    "constant data": lambda lib, x: lib.histc(x * 0 + 1, 4),
    "no data": lambda lib, x: lib.histc(x[:0], 4),
    "nan and inf outside min, max": lambda lib, x: lib.histc(x / (x - 2), 4, 0, 2),
    "edge values by division": lambda lib, x: lib.histc(lib.tensor([0.0, 0.3, 0.6, 0.9]).to(x.dtype), 3, 0, 0.9),
    "just below the top": lambda lib, x: lib.histc(lib.tensor([0.0, 1.0, 0.9999999]).to(x.dtype), 3, 0, 1),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(HISTCS))
def test_histc_matches_torch(torch, case, dtype):
    with np.errstate(divide="ignore", invalid="ignore"):
        ours = HISTCS[case](tinygrad_lr, tinygrad_lr.tensor(DATA, dtype=getattr(tinygrad_lr, dtype)))
    same(ours, HISTCS[case](torch, torch.tensor(DATA, dtype=getattr(torch, dtype))))


def test_histogram_and_histc_of_random_data_match_torch(torch):
    x = np.random.default_rng(0).standard_normal(5000).astype(np.float32)
    for bins in (1, 7, 50):
        ours, theirs = tinygrad_lr.histogram(tinygrad_lr.tensor(x), bins), torch.histogram(torch.tensor(x), bins)
        same(ours.hist, theirs.hist)
        same(ours.bin_edges, theirs.bin_edges)
        same(tinygrad_lr.histc(tinygrad_lr.tensor(x), bins, -1, 1), torch.histc(torch.tensor(x), bins, -1, 1))


HISTOGRAM_ERRORS = {
    "integers": (lambda lib: lib.histogram(lib.tensor([1, 2]), 3), r"histogram: needs a floating tensor, got int64"),
    "bins 0": (lambda lib: lib.histogram(lib.tensor([1.0, 2.0]), 0), r"histogram: bins must be > 0, got 0"),
    "min > max": (lambda lib: lib.histogram(lib.tensor([1.0]), 3, range=(4.0, 0.0)), r"histogram: .*min > max"),
    "nan data": (lambda lib: lib.histogram(lib.tensor([1.0, float("nan")]), 3), r"histogram: the range .* not finite"),
    "2-d edges": (lambda lib: lib.histogram(lib.tensor([1.0]), lib.tensor([[0.0, 3.0], [1.5, 4.0]])),
                  r"histogram: the bin edges must be a non-empty 1-d tensor"),
    "edges of another dtype": (lambda lib: lib.histogram(lib.tensor([1.0]), lib.tensor([0.0, 3.0]).double()),
                               r"histogram: the input is float32 but the bin edges are float64"),
    "a list of edges": (lambda lib: lib.histogram(lib.tensor([1.0]), bins=[0.0, 1.0]), r"histogram: .*pass tensor"),
    "weight of another shape": (lambda lib: lib.histogram(lib.tensor([1.0, 2.0]), 3, weight=lib.tensor([1.0])),
                                r"histogram: weight must be a tensor of the input's shape \(2,\)"),
    "weight of another dtype": (lambda lib: lib.histogram(lib.tensor([1.0]), 3, weight=lib.ones(1).double()),
                                r"histogram: .*weight is float64"),
    "histc integers": (lambda lib: lib.histc(lib.tensor([1, 2]), 3), r"histc: needs a floating tensor"),
    "histc bins 0": (lambda lib: lib.histc(lib.tensor([1.0]), 0), r"histc: bins must be > 0"),
    "histc min > max": (lambda lib: lib.histc(lib.tensor([1.0]), 4, min=3, max=1),
                        r"histc: max \(1.0\) must be larger"),
    "histc inf data": (lambda lib: lib.histc(lib.tensor([1.0, float("inf")]), 4), r"histc: the range .* not finite"),
}


@pytest.mark.parametrize("case", list(HISTOGRAM_ERRORS))
def test_histogram_errors_where_torch_errs(torch, case):
    call, match = HISTOGRAM_ERRORS[case]
    raises_like_torch(torch, call, match)


def test_unsorted_bin_edges_are_an_error_here_where_torch_counts_nonsense():
    with pytest.raises(RuntimeError, match=r"histogram: the bin edges must increase monotonically"):
        tinygrad_lr.histogram(tinygrad_lr.tensor([1.0]), tinygrad_lr.tensor([0.0, 3.0, 1.5]))


# ---- all and any ----------------------------------------------------------------------------------------
TRUTH = np.array([[[1.0, 0.0, 2.0], [3.0, 4.0, 5.0]], [[0.0, 0.0, 0.0], [1.0, float("nan"), 1.0]]])
DIM_CASES = [{}, {"dim": 0}, {"dim": 1}, {"dim": -1}, {"dim": 2, "keepdim": True}, {"dim": (0, 2)},
             {"dim": (0, 1, 2), "keepdim": True}, {"dim": ()}, {"dim": None, "keepdim": True}]


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "uint8"])
@pytest.mark.parametrize("kwargs", DIM_CASES, ids=str)
@pytest.mark.parametrize("name", ["all", "any"])
def test_all_and_any_match_torch(torch, name, kwargs, dtype):
    data = np.nan_to_num(TRUTH, nan=7.0) if dtype != "float32" else TRUTH
    ours = tinygrad_lr.tensor(data.astype(dtype))
    theirs = torch.tensor(data.astype(dtype))
    same(getattr(ours, name)(**kwargs), getattr(theirs, name)(**kwargs))
    same(getattr(ttorch, name)(ours, **kwargs), getattr(torch, name)(theirs, **kwargs))
    if "dim" in kwargs and kwargs["dim"] is not None:
        same(getattr(tinygrad_lr, name)(ours, kwargs["dim"], kwargs.get("keepdim", False)),
             getattr(torch, name)(theirs, kwargs["dim"], kwargs.get("keepdim", False)))


def test_all_and_any_of_0d_and_empty_tensors_match_torch(torch):
    for lib in (tinygrad_lr, torch):
        assert lib.all(lib.tensor(1.0), 0).item() is True and lib.any(lib.tensor(0.0), -1, keepdim=True).shape == ()
        assert lib.all(lib.zeros(0)).item() is True and lib.any(lib.zeros(0)).item() is False
        assert lib.all(lib.zeros(2, 0), 1).tolist() == [True, True]
    with pytest.raises(IndexError, match=r"all: dim 3 is out of range"):
        tinygrad_lr.all(tinygrad_lr.ones(2, 2), 3)


# ---- out= -------------------------------------------------------------------------------------------------
A = np.arange(6.0).reshape(2, 3) / 4 + 0.5
B = np.arange(6.0).reshape(3, 2) / 3 - 0.5
OUT_CALLS = {
    "matmul": (lambda lib, a, b: (lib.matmul, (a, b), {}), (2, 2)),
    "mm": (lambda lib, a, b: (lib.mm, (a, b), {}), (2, 2)),
    "mul": (lambda lib, a, b: (lib.mul, (a, 2.5), {}), (2, 3)),
    "add alpha": (lambda lib, a, b: (lib.add, (a, a), {"alpha": 2}), (2, 3)),
    "sub": (lambda lib, a, b: (lib.sub, (a, 1), {}), (2, 3)),
    "div": (lambda lib, a, b: (lib.div, (a, b.T), {}), (2, 3)),
    "cat": (lambda lib, a, b: (lib.cat, ([a, a],), {"dim": 1}), (2, 6)),
    "stack": (lambda lib, a, b: (lib.stack, ([a, a],), {}), (2, 2, 3)),
    "exp": (lambda lib, a, b: (lib.exp, (a,), {}), (2, 3)),
    "log": (lambda lib, a, b: (lib.log, (a,), {}), (2, 3)),
    "sqrt": (lambda lib, a, b: (lib.sqrt, (a,), {}), (2, 3)),
    "abs": (lambda lib, a, b: (lib.abs, (-a,), {}), (2, 3)),
    "pow": (lambda lib, a, b: (lib.pow, (a, 3), {}), (2, 3)),
    "clamp": (lambda lib, a, b: (lib.clamp, (a, 0.75, 1.5), {}), (2, 3)),
    "clamp min=": (lambda lib, a, b: (lib.clamp, (a,), {"min": 1.0}), (2, 3)),
    "where": (lambda lib, a, b: (lib.where, (a > 1, a, b.T), {}), (2, 3)),
    "sum(dim)": (lambda lib, a, b: (lib.sum, (a, 0), {}), (3,)),
    "mean(dim)": (lambda lib, a, b: (lib.mean, (a, 1), {}), (2,)),
    "sigmoid": (lambda lib, a, b: (lib.sigmoid, (a,), {}), (2, 3)),
    "maximum": (lambda lib, a, b: (lib.maximum, (a, b.T), {}), (2, 3)),
    "zeros": (lambda lib, a, b: (lib.zeros, (2, 3), {}), (2, 3)),
    "ones": (lambda lib, a, b: (lib.ones, ((4,),), {}), (4,)),
    "arange": (lambda lib, a, b: (lib.arange, (1, 4, 0.5), {}), (6,)),
}


def _run_out(lib, case, out):
    """The call with out= and without: the inputs are float64, as out is."""
    make, shape = OUT_CALLS[case]
    fn, args, kwargs = make(lib, lib.tensor(A), lib.tensor(B))
    return fn(*args, out=out, **kwargs), fn(*args, **kwargs)


@pytest.mark.parametrize("case", list(OUT_CALLS))
def test_out_writes_the_result_into_out_and_returns_it_as_torch(torch, case):
    shape = OUT_CALLS[case][1]
    for lib in (tinygrad_lr, ttorch):
        out = lib.empty(shape, dtype=lib.float64)
        before = out._version
        result, plain = _run_out(lib, case, out)
        assert result is out and out._version == before + 1
        np.testing.assert_array_equal(out.numpy(), plain.numpy())
    theirs, _ = _run_out(torch, case, torch.empty(shape, dtype=torch.float64))
    same(out, theirs)


@pytest.mark.parametrize("case", ["mul", "cat", "exp", "matmul"])
def test_out_of_another_shape_is_resized_with_torchs_warning_unless_empty(torch, case):
    for lib in (tinygrad_lr, torch):
        with pytest.warns(UserWarning, match="An output with one or more elements was resized"):
            out, plain = _run_out(lib, case, lib.empty(7, dtype=lib.float64))
        assert tuple(out.shape) == tuple(plain.shape)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out, _ = _run_out(lib, case, lib.empty(0, dtype=lib.float64))
        assert tuple(out.shape) == tuple(plain.shape) and out.tolist() == plain.tolist()


def test_creation_functions_resize_out_silently_and_take_its_dtype_as_torch(torch):
    for lib in (tinygrad_lr, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            z = lib.zeros(2, 3, out=lib.empty(1, dtype=lib.int64))
            r = lib.randn(2, out=lib.empty(5, dtype=lib.float64))
            i = lib.randint(0, 3, (4,), out=lib.empty(0))
        assert (tuple(z.shape), str(z.dtype)[-5:], str(r.dtype)[-7:], str(i.dtype)[-7:]) == (
            (2, 3), "int64", "float64", "float32")
        with pytest.raises(RuntimeError, match="dtype"):
            lib.zeros(2, dtype=lib.float64, out=lib.empty(2))
        with pytest.warns(UserWarning):
            lib.arange(5, out=lib.empty(3))


def test_out_writes_through_a_view_into_its_base(torch):
    for lib in (tinygrad_lr, torch):
        y = lib.ones(4, 3)
        lib.add(lib.ones(2, 3), 1, out=y[:2])
        assert y.tolist() == [[2.0] * 3] * 2 + [[1.0] * 3] * 2


@pytest.mark.parametrize("who", ["out", "input"])
def test_out_refuses_to_record_a_graph_as_torch(torch, who):
    for lib in (tinygrad_lr, torch):
        a = lib.ones(2, 3, requires_grad=who == "input")
        out = lib.empty(2, 3, requires_grad=who == "out")
        with pytest.raises(RuntimeError, match=r"mul\(\): functions with out=\.\.\. arguments don't support "
                                               r"automatic differentiation, but one of the arguments requires grad"):
            lib.mul(a, 2, out=out)
        with lib.no_grad():
            assert lib.mul(a, 2, out=out) is out and out.tolist() == [[2.0] * 3] * 2


OUT_ERRORS = {
    "float into int64": (lambda lib: lib.add(lib.ones(2), lib.ones(2), out=lib.empty(2, dtype=lib.int64)),
                         r"add: the result is float32, which can't be cast to out's dtype int64"),
    "float into bool": (lambda lib: lib.exp(lib.ones(2), out=lib.empty(2, dtype=lib.bool)), r"exp: .*bool"),
    "matmul of another dtype": (lambda lib: lib.matmul(lib.ones(2, 2), lib.ones(2, 2), out=lib.empty(2, 2).double()),
                                r"matmul: the result is float32 but out is float64"),
    "all into a float": (lambda lib: lib.all(lib.ones(2), 0, out=lib.empty(0)), r"all: the result is bool but out"),
}


@pytest.mark.parametrize("case", list(OUT_ERRORS))
def test_out_dtype_errors_where_torch_errs(torch, case):
    call, match = OUT_ERRORS[case]
    raises_like_torch(torch, call, match)


def test_out_casts_up_where_torch_casts(torch):
    for lib in (tinygrad_lr, torch):
        assert str(lib.add(lib.ones(2), 1, out=lib.empty(2, dtype=lib.float64)).dtype)[-7:] == "float64"
        assert lib.add(lib.ones(2).long(), 1, out=lib.empty(2)).tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match=r"mul: out must be a Tensor, got int"):
        tinygrad_lr.mul(tinygrad_lr.ones(2), 2, out=5)


# ---- the legacy tensor types ------------------------------------------------------------------------------
LEGACY = {
    "FloatTensor(list)": lambda lib: lib.FloatTensor([1, 2]),
    "FloatTensor(sizes)": lambda lib: lib.FloatTensor(2, 3).zero_(),
    "FloatTensor(tuple) is data": lambda lib: lib.FloatTensor((2, 3)),
    "FloatTensor(Size)": lambda lib: lib.FloatTensor(lib.zeros(2, 3).shape).zero_(),
    "FloatTensor()": lambda lib: lib.FloatTensor(),
    "FloatTensor(0)": lambda lib: lib.FloatTensor(0),
    "FloatTensor(array)": lambda lib: lib.FloatTensor(np.array([1.0, 2.0])),
    "FloatTensor(float tensor)": lambda lib: lib.FloatTensor(lib.tensor([1.0, 2.0])),
    "LongTensor truncates": lambda lib: lib.LongTensor([1.7, 2]),
    "IntTensor": lambda lib: lib.IntTensor([1, 2]),
    "BoolTensor": lambda lib: lib.BoolTensor([1, 0]),
    "DoubleTensor": lambda lib: lib.DoubleTensor([[1, 2]]),
    "HalfTensor": lambda lib: lib.HalfTensor([1]),
    "ByteTensor": lambda lib: lib.ByteTensor([1, 255]),
    "ShortTensor": lambda lib: lib.ShortTensor([3]),
    "CharTensor": lambda lib: lib.CharTensor([-3]),
    "device=": lambda lib: lib.FloatTensor([1, 2], device="cpu"),
    "type(FloatTensor)": lambda lib: lib.zeros(2).long().type(lib.FloatTensor),
    "type('torch.LongTensor')": lambda lib: lib.zeros(2).type("torch.LongTensor"),
    "type(DoubleTensor) of a float": lambda lib: lib.tensor([1.5, 2.0]).type(lib.DoubleTensor),
}


@pytest.mark.parametrize("case", list(LEGACY))
def test_legacy_constructors_match_torch(torch, case):
    same(LEGACY[case](ttorch), LEGACY[case](torch))
    assert LEGACY[case](tinygrad_lr).dtype == LEGACY[case](ttorch).dtype


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
                                  "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"])
def test_isinstance_of_a_legacy_type_tests_the_dtype_as_torch(torch, name):
    for dtype in ("float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"):
        ours, theirs = ttorch.zeros(2, dtype=getattr(ttorch, dtype)), torch.zeros(2, dtype=getattr(torch, dtype))
        assert isinstance(ours, getattr(ttorch, name)) is isinstance(theirs, getattr(torch, name)), (name, dtype)
        assert ours.type() == theirs.type()
    made = getattr(ttorch, name)([1])
    assert isinstance(made, ttorch.Tensor) and type(made) is ttorch.Tensor and made.type() == f"torch.{name}"
    assert repr(getattr(ttorch, name)) == repr(getattr(torch, name)) and getattr(ttorch, name).__name__ == name
    assert not issubclass(getattr(ttorch, name), ttorch.Tensor)
    assert getattr(ttorch, name) is getattr(tinygrad_lr, name)


LEGACY_ERRORS = {
    "a number": (lambda lib: lib.FloatTensor(2.5), r"FloatTensor: data must be a sequence.*FloatTensor\(\[2.5\]\)"),
    "a tensor of another dtype": (lambda lib: lib.FloatTensor(lib.tensor([1, 2])), r"FloatTensor: got a int64 tensor"),
    "a negative size": (lambda lib: lib.FloatTensor(-1), r"FloatTensor: sizes must be >= 0"),
    "two lists": (lambda lib: lib.FloatTensor([1], [2]), r"FloatTensor: takes sizes"),
    "requires_grad=": (lambda lib: lib.FloatTensor([1], requires_grad=True), r"requires_grad"),
}


@pytest.mark.parametrize("case", list(LEGACY_ERRORS))
def test_legacy_constructor_errors_where_torch_errs(torch, case):
    call, match = LEGACY_ERRORS[case]
    raises_like_torch(torch, call, match)


# ---- meshgrid ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("sizes", [(3,), (3, 2), (2, 4, 3), (3, 1)], ids=str)
def test_meshgrid_values_and_gradients_match_torch(torch, indexing, sizes):
    rng = np.random.default_rng(len(sizes))
    arrays = [rng.standard_normal(n) for n in sizes]
    shape = (sizes[1], sizes[0]) + sizes[2:] if indexing == "xy" and len(sizes) > 1 else sizes
    weight = rng.standard_normal(shape)
    results = []
    for lib in (ttorch, torch):
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        grids = lib.meshgrid(*xs, indexing=indexing)
        assert isinstance(grids, tuple) and len(grids) == len(xs) and all(tuple(g.shape) == shape for g in grids)
        sum((g * lib.tensor(weight) * (k + 1)).sum() for k, g in enumerate(grids)).backward()
        results.append(([g.detach().numpy() for g in grids], [x.grad.numpy() for x in xs]))
    for ours, theirs in zip(*results):
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def test_meshgrid_takes_a_list_0d_tensors_and_warns_as_torch_without_indexing(torch):
    for lib in (tinygrad_lr, torch):
        a, b = lib.tensor([1.0, 2.0, 3.0]), lib.tensor([4.0, 5.0])
        with pytest.warns(UserWarning, match=r"torch.meshgrid: in an upcoming release, it will be required to pass "
                                             r"the indexing argument\."):
            x, y = lib.meshgrid(a, b)
        assert x.tolist() == [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]] and y.tolist() == [[4.0, 5.0]] * 3
        x, y = lib.meshgrid([a, b], indexing="xy")
        assert x.tolist() == [[1.0, 2.0, 3.0]] * 2 and y.tolist() == [[4.0] * 3, [5.0] * 3]
        x, y = lib.meshgrid(lib.tensor(1.0), b, indexing="ij")
        assert x.tolist() == [[1.0, 1.0]] and tuple(y.shape) == (1, 2)


MESHGRID_ERRORS = {
    "no tensors": (lambda lib: lib.meshgrid(indexing="ij"), r"meshgrid: expects at least one tensor"),
    "bad indexing": (lambda lib: lib.meshgrid(lib.ones(2), indexing="foo"), r"meshgrid: indexing must be 'ij' or 'xy'"),
    "two dtypes": (lambda lib: lib.meshgrid(lib.ones(2), lib.ones(2).double(), indexing="ij"),
                   r"meshgrid: expects tensors of one dtype, got float32 and float64"),
    "a matrix": (lambda lib: lib.meshgrid(lib.ones(2, 2), lib.ones(2), indexing="ij"),
                 r"meshgrid: expects 0-d or 1-d tensors, got shape \(2, 2\)"),
    "a list of numbers": (lambda lib: lib.meshgrid([1, 2], indexing="xy"), r"meshgrid: expects tensors, got int"),
}


@pytest.mark.parametrize("case", list(MESHGRID_ERRORS))
def test_meshgrid_errors_where_torch_errs(torch, case):
    call, match = MESHGRID_ERRORS[case]
    raises_like_torch(torch, call, match)


# ---- scatter_(value=) and one_hot: the "Learn the Basics" transforms page ------------------------------------------
def test_the_tutorials_one_hot_target_transform_runs_as_in_torch(torch):
    for y in (0, 3, 9):
        same(ttorch.zeros(10, dtype=ttorch.float).scatter_(0, ttorch.tensor(y), value=1),
             torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1))


@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(10).scatter_(0, lib.tensor([3, 5]), value=1),
    lambda lib: lib.zeros(3, 4).scatter_(1, lib.tensor([[1], [2], [0]]), 2.5),
    lambda lib: lib.zeros(3, 4).scatter_(1, lib.tensor([[1], [2], [0]]), lib.ones(3, 1)),
    lambda lib: lib.zeros(3, 4).scatter(1, lib.tensor([[1], [2], [0]]), value=3),
    lambda lib: lib.zeros(3, 4, dtype=lib.long).scatter_(1, lib.tensor([[1], [2], [0]]), value=2.7),
    lambda lib: lib.arange(5.0).gather(0, lib.tensor(2)),
    lambda lib: lib.arange(5.0).scatter(0, lib.tensor(2), lib.tensor(9.0)),
    lambda lib: lib.arange(5.0).scatter_add(0, lib.tensor(2), lib.tensor(9.0)),
    lambda lib: lib.nn.functional.one_hot(lib.tensor([0, 2]), 4),
    lambda lib: lib.nn.functional.one_hot(lib.tensor([0, 2])),
    lambda lib: lib.nn.functional.one_hot(lib.tensor(3), 5),
], ids=["value= 1-d", "value positional", "src", "scatter value=", "long value 2.7", "gather 0-d index",
        "scatter 0-d index and src", "scatter_add 0-d index", "one_hot", "one_hot inferred", "one_hot 0-d"])
def test_scatter_with_value_and_one_hot_match_torch(torch, call):
    same(call(ttorch), call(torch))


def test_a_0d_index_gathers_with_a_gradient_as_torch(torch):
    grads = []
    for lib in (ttorch, torch):
        x = lib.arange(5.0, requires_grad=True)
        (x.gather(0, lib.tensor(2)) * 3).backward()
        grads.append(x.grad.tolist())
    assert grads[0] == grads[1] == [0.0, 0.0, 3.0, 0.0, 0.0]
    with pytest.raises(ValueError, match=r"scatter: index must have as many dims as the tensor of shape \(2, 3\)"):
        tinygrad_lr.zeros(2, 3).scatter(0, tinygrad_lr.tensor(1), 9.0)


# ---- the device boilerplate ---------------------------------------------------------------------------------
def test_the_learn_the_basics_device_line_picks_the_cpu(torch):
    device = (ttorch.accelerator.current_accelerator().type if ttorch.accelerator.is_available() else "cpu")
    assert device == "cpu" and ttorch.zeros(2, device=device).device == "cpu"
    assert ttorch.accelerator.device_count() == 0 and ttorch.accelerator.current_accelerator(True) is None
    mps = "mps" if ttorch.backends.mps.is_available() else "cpu"
    assert mps == "cpu" and ttorch.backends.mps.is_built() is False


def test_the_cudnn_switches_keep_torchs_defaults_and_can_be_set(torch):
    for name in ("enabled", "benchmark", "deterministic"):
        assert getattr(ttorch.backends.cudnn, name) == getattr(torch.backends.cudnn, name), name
    assert ttorch.backends.cudnn.is_available() is False and ttorch.backends.cuda.is_built() is False
    ttorch.backends.cudnn.benchmark = True
    try:
        assert ttorch.backends.cudnn.benchmark is True
    finally:
        ttorch.backends.cudnn.benchmark = False


@pytest.mark.parametrize("lib", [tinygrad_lr, ttorch], ids=["tinygrad_lr", "facade"])
def test_determinism_and_precision_switches_are_accepted(torch, lib):
    assert lib.are_deterministic_algorithms_enabled() is torch.are_deterministic_algorithms_enabled() is False
    assert lib.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "highest"
    lib.use_deterministic_algorithms(True)
    lib.set_float32_matmul_precision("high")
    try:
        assert lib.are_deterministic_algorithms_enabled() is True and lib.get_float32_matmul_precision() == "high"
        with pytest.warns(UserWarning, match="'fast' is not one of 'highest', 'high', or 'medium'"):
            lib.set_float32_matmul_precision("fast")
        assert lib.get_float32_matmul_precision() == "high"
    finally:
        lib.use_deterministic_algorithms(False)
        lib.set_float32_matmul_precision("highest")
    lib.cuda.manual_seed(0)
    lib.cuda.manual_seed_all(0)


# ---- both doors ---------------------------------------------------------------------------------------
NEW_NAMES = ["multinomial", "randint", "randint_like", "histogram", "histc", "all", "any", "meshgrid", "FloatTensor",
             "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor", "HalfTensor", "ByteTensor",
             "use_deterministic_algorithms", "set_float32_matmul_precision"]


@pytest.mark.parametrize("name", NEW_NAMES)
def test_each_new_name_is_in_both_doors_as_one_object_and_in_torch(torch, name):
    assert hasattr(torch, name)
    assert getattr(ttorch, name) is getattr(tinygrad_lr, name)


@pytest.mark.parametrize("name", ["multinomial", "histogram", "histc", "all", "any"])
def test_the_tensor_methods_exist_as_in_torch(torch, name):
    assert callable(getattr(tinygrad_lr.Tensor, name)) and hasattr(torch.Tensor, name)
