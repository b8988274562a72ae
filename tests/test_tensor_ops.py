"""The tensor ops of the classification issue, beyond the catalog: second derivatives, result types,
index dtypes and shapes, empty selections, float32, in place, views, and every mistake's message.

(Values and first derivatives of every op, against NumPy, finite differences and PyTorch, come from
the catalog entries in tests/_catalog_tensor.py.)
"""
import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr.autograd import gradcheck, gradgradcheck
from tinygrad_lr.ops.gathering import one_hot
from conftest import optional

RNG = np.random.default_rng(12)


def t(shape, requires_grad=True):
    return tinygrad_lr.tensor(RNG.standard_normal(shape), requires_grad=requires_grad)


def idx(values):
    return tinygrad_lr.tensor(values)


# ---- second order: gradgradcheck (float64) of every new op, squared so that its backward is differentiated too ----
SECOND_ORDER = {
    "gather, repeated": (lambda x: x.gather(1, idx([[0, 0], [2, 1], [1, 1]])) ** 2, [(3, 3)]),
    "index_select, repeated": (lambda x: x.index_select(0, idx([2, 0, 2])) ** 2, [(3, 2)]),
    "scatter src": (lambda x, s: x.scatter(1, idx([[2], [0]]), s) ** 2, [(2, 3), (2, 1)]),
    "scatter src larger than the index": (lambda x, s: x.scatter(0, idx([[1, 0]]), s) ** 2, [(2, 2), (3, 3)]),
    "scatter value": (lambda x: x.scatter(1, idx([[2], [0]]), 1.5) ** 2, [(2, 3)]),
    "scatter_add, repeated": (lambda x, s: x.scatter_add(0, idx([[0, 1], [0, 1]]), s) ** 2, [(2, 2), (2, 2)]),
    "masked_fill, 0-d tensor value": (lambda x, v: x.masked_fill(idx([True, False, True]), v) ** 2, [(2, 3), ()]),
    "sort": (lambda x: (x + idx(np.arange(6.0).reshape(2, 3))).sort(descending=True).values ** 2, [(2, 3)]),
    "topk": (lambda x: (x * 0.1 + idx(np.arange(4.0))).topk(2).values ** 2, [(4,)]),
    "x[range(n), y]": (lambda x: x[range(3), idx([1, 0, 1])] ** 2, [(3, 2)]),
    "x[[rows, cols]]": (lambda x: x[[[0, 0, 2], [1, 1, 0]]] ** 2, [(3, 2)]),
    "dot": (lambda x, y: tinygrad_lr.dot(x, y) ** 2, [(3,), (3,)]),
    "mv": (lambda A, v: A.mv(v) ** 2, [(2, 3), (3,)]),
    "mm": (lambda A, B: A.mm(B) ** 2, [(2, 3), (3, 2)]),
    "bmm": (lambda A, B: A.bmm(B) ** 2, [(2, 2, 3), (2, 3, 1)]),
    "outer": (lambda x, y: x.outer(y) ** 2, [(2,), (3,)]),
    "repeat": (lambda x: x.repeat(2, 1, 2) ** 2, [(2, 2)]),
    "tile": (lambda x: x.tile(2) ** 2, [(2, 2)]),
    "flip": (lambda x: x.flip(0, 1) ** 2, [(2, 3)]),
    "permute": (lambda x: x.permute(2, 0, 1) ** 2, [(2, 1, 3)]),
    "movedim": (lambda x: x.movedim(0, -1) ** 2, [(2, 1, 3)]),
    "split": (lambda x: x.split([1, 2], 1)[1] ** 2, [(2, 3)]),
    "chunk": (lambda x: x.chunk(2)[0] ** 2, [(3, 2)]),
    "unbind": (lambda x: x.unbind(1)[1] ** 2, [(2, 3)]),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_second_derivatives_match_finite_differences(name):
    f, shapes = SECOND_ORDER[name]
    inputs = [t(s) for s in shapes]
    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


def test_in_place_scatter_and_masked_fill_have_second_derivatives():
    def f(x, s):
        y = x * 1.0
        y.scatter_(1, idx([[1], [0]]), s)
        y.masked_fill_(idx([True, False]), 0.5)
        return y ** 2
    inputs = [t((2, 2)), t((2, 1))]
    assert gradcheck(f, inputs) and gradgradcheck(f, inputs)


# ---- results -----------------------------------------------------------------------------------
def test_sort_and_topk_return_named_tuples_of_values_and_indices():
    x = tinygrad_lr.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    s = x.sort()
    values, indices = s
    assert type(s).__name__ == "sort" and s.values is values and s.indices is indices and s[0] is values
    assert values.tolist() == [[1.0, 2.0, 3.0], [0.0, 4.0, 5.0]] and indices.tolist() == [[1, 2, 0], [0, 2, 1]]
    assert indices.dtype == tinygrad_lr.int64 and not indices.requires_grad
    assert x.gather(-1, indices).tolist() == values.tolist()
    k = tinygrad_lr.topk(x, 2, dim=1)
    assert type(k).__name__ == "topk" and k.values.tolist() == [[3.0, 2.0], [5.0, 4.0]]
    assert k.indices.tolist() == [[0, 2], [1, 2]]
    assert repr(s).startswith("sort(values=tensor(")
    assert x.argsort(dim=0, descending=True).tolist() == [[0, 1, 1], [1, 0, 0]]


def test_sort_is_stable_and_puts_nan_where_pytorch_does():
    x = tinygrad_lr.tensor([2.0, 1.0, 2.0, float("nan"), 1.0, float("inf")])
    assert x.sort().indices.tolist() == [1, 4, 0, 2, 5, 3]                    # NaN last: it is the largest
    assert x.sort(descending=True).indices.tolist() == [3, 5, 0, 2, 1, 4]     # ties keep their order
    assert x.argsort(stable=True).tolist() == [1, 4, 0, 2, 5, 3]
    b = tinygrad_lr.tensor([True, False, True])
    assert b.sort(descending=True).indices.tolist() == [0, 2, 1] and b.sort().values.dtype == np.bool_
    u = tinygrad_lr.tensor(np.array([3, 1, 2], dtype=np.uint8))
    assert u.sort(descending=True).values.tolist() == [3, 2, 1]


def test_sort_topk_and_argsort_agree_with_torch_at_ties_with_stable(torch_or_skip):
    torch = torch_or_skip
    x = np.array([[2.0, 1.0, 2.0, 1.0, 3.0], [0.0, 0.0, 0.0, -1.0, 5.0]])
    for desc in (False, True):
        ours = tinygrad_lr.tensor(x).sort(dim=1, descending=desc, stable=True)
        theirs = torch.tensor(x).sort(dim=1, descending=desc, stable=True)
        assert ours.indices.tolist() == theirs.indices.tolist()
        assert tinygrad_lr.tensor(x).argsort(dim=0, descending=desc).tolist() == \
            torch.tensor(x).argsort(dim=0, descending=desc, stable=True).tolist()


def test_the_gradient_of_sort_goes_back_where_each_value_came_from():
    x = tinygrad_lr.tensor([3.0, 1.0, 2.0], requires_grad=True)
    (x.sort().values * tinygrad_lr.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [100.0, 1.0, 10.0]
    x.grad = None
    x.topk(1).values.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 0.0]


def test_zero_dimensional_tensors_act_as_vectors_of_one_element_as_in_pytorch():
    x = tinygrad_lr.tensor(2.0, requires_grad=True)
    assert x.sort().values.shape == () and x.sort().indices.tolist() == 0
    assert x.topk(1).values.item() == 2.0 and x.argsort().tolist() == 0
    assert x.gather(0, idx(0)).shape == () and x.gather(0, idx([0, 0])).tolist() == [2.0, 2.0]
    assert x.index_select(0, idx([0])).shape == ()
    assert x.scatter(0, idx(0), tinygrad_lr.tensor(5.0)).item() == 5.0
    out = x.scatter_add(0, idx([0, 0]), tinygrad_lr.tensor([1.0, 2.0], requires_grad=True))
    assert out.shape == () and out.item() == 5.0
    out.backward()
    assert x.grad.item() == 1.0
    assert x.repeat(3).tolist() == [2.0] * 3 and x.flip(0).shape == () and x.permute().shape == ()


# ---- indices: dtypes, shapes, ranges, empty selections ---------------------------------------------
def test_index_tensors_may_be_int64_or_int32_as_in_pytorch():
    x = tinygrad_lr.arange(12.0).reshape(4, 3)
    for dtype in (tinygrad_lr.int64, tinygrad_lr.int32):
        i = tinygrad_lr.tensor([[0, 2]], dtype=dtype)
        assert x.gather(1, i).tolist() == [[0.0, 2.0]]
        assert x.index_select(0, tinygrad_lr.tensor([3], dtype=dtype)).tolist() == [[9.0, 10.0, 11.0]]
        assert x.scatter(1, i, -1.0)[0].tolist() == [-1.0, 1.0, -1.0]
        assert x[tinygrad_lr.tensor([1], dtype=dtype)].shape == (1, 3)


@pytest.mark.parametrize("op", ["gather", "scatter", "scatter_add", "index_select"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "bool", "int16", "uint8"])
def test_an_index_that_is_not_int64_or_int32_is_refused(op, dtype):
    x = tinygrad_lr.zeros(3, 3)
    i = tinygrad_lr.tensor([[0, 1]]).to(getattr(tinygrad_lr, dtype if dtype != "bool" else "bool_"))
    call = {"gather": lambda: x.gather(1, i), "scatter": lambda: x.scatter(1, i, 1.0),
            "scatter_add": lambda: x.scatter_add(1, i, tinygrad_lr.ones(1, 2)),
            "index_select": lambda: x.index_select(1, i[0])}[op]
    with pytest.raises(TypeError, match=rf"^{op}: index must be an int64 \(or int32\) tensor, got {dtype}; "
                                        r"convert it with \.long\(\)$"):
        call()


def test_ranges_and_lists_of_lists_index_as_in_pytorch(torch_or_skip):
    torch = torch_or_skip
    x = np.arange(24.0).reshape(4, 3, 2)
    cases = [lambda L: (range(4), L.tensor([0, 2, 1, 1])), lambda L: range(1, 4, 2), lambda L: [[0, 3], [2, 2]],
             lambda L: [[0, 1]], lambda L: [range(2), [1, 0]], lambda L: (slice(None), range(2), 1),
             lambda L: [L.tensor(0), 1], lambda L: [[0, 1], 2], lambda L: [0, slice(None)], lambda L: [None],
             lambda L: True, lambda L: (False, 0), lambda L: range(0), lambda L: [[], []], lambda L: [[]],
             lambda L: [np.array([0, 3]), np.array([1, 1])], lambda L: [[0, 1], [1]]]
    import warnings
    for case in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # PyTorch warns that it will read a list of lists differently one day
            expected = torch.tensor(x)[case(torch)].numpy()
        got = tinygrad_lr.tensor(x)[case(tinygrad_lr)]
        assert got.shape == expected.shape, case(tinygrad_lr)
        np.testing.assert_array_equal(got.numpy(), expected)


def test_repeated_indices_add_their_gradients():
    x = tinygrad_lr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x[[0, 0, 2]].sum() + x[range(1)].sum() + x.gather(0, idx([2, 2])).sum() + x.index_select(0, idx([0])).sum()).backward()
    assert x.grad.tolist() == [4.0, 0.0, 3.0]
    src = tinygrad_lr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = tinygrad_lr.zeros(2).scatter_add(0, idx([1, 1, 1]), src) * tinygrad_lr.tensor([5.0, 7.0])
    z.sum().backward()
    assert z.tolist() == [0.0, 42.0] and src.grad.tolist() == [7.0, 7.0, 7.0]


def test_empty_selections_give_empty_tensors_and_zero_gradients():
    x = t((3, 2))
    pieces = [x[[]], x[range(0)], x[[], []], x.gather(0, tinygrad_lr.zeros(0, 2, dtype=tinygrad_lr.int64)),
              x.index_select(1, tinygrad_lr.tensor([], dtype=tinygrad_lr.int64)), x.topk(0).values,
              x.split([0, 3])[0], x.repeat(0, 1), x.masked_fill(tinygrad_lr.zeros(3, 2).bool(), 1.0)[:0]]
    assert [tuple(p.shape) for p in pieces] == [(0, 2), (0, 2), (0,), (0, 2), (3, 0), (3, 0), (0, 2), (0, 2), (0, 2)]
    sum(p.sum() for p in pieces).backward()
    assert x.grad.tolist() == [[0.0, 0.0]] * 3
    assert x.scatter(1, tinygrad_lr.zeros(3, 0, dtype=tinygrad_lr.int64), 1.0).tolist() == x.tolist()
    assert one_hot(tinygrad_lr.tensor([], dtype=tinygrad_lr.int64), 3).shape == (0, 3)
    e = tinygrad_lr.zeros(0)
    assert [p.shape for p in e.chunk(3)] == [(0,)] * 3 and [p.shape for p in e.split(0)] == [(0,)]


# ---- one_hot ---------------------------------------------------------------------------------------
def test_one_hot():
    y = tinygrad_lr.tensor([0, 2, 1])
    assert one_hot(y).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]] and one_hot(y).dtype == tinygrad_lr.int64
    assert one_hot(y, num_classes=4).shape == (3, 4) and one_hot(tinygrad_lr.tensor(1), 3).tolist() == [0, 1, 0]
    assert one_hot(tinygrad_lr.tensor([[1, 0]]), 2).tolist() == [[[0, 1], [1, 0]]]


# ---- dtypes ----------------------------------------------------------------------------------------
FLOAT32 = {
    "gather": lambda x: x.gather(0, idx([[1, 0]])), "index_select": lambda x: x.index_select(1, idx([0])),
    "scatter": lambda x: x.scatter(0, idx([[1, 0]]), x[:1]), "scatter value": lambda x: x.scatter(0, idx([[1]]), 2.5),
    "scatter_add": lambda x: x.scatter_add(0, idx([[1, 1]]), x[:1]),
    "masked_fill": lambda x: x.masked_fill(x > 0, 2.5),
    "masked_fill float64 value": lambda x: x.masked_fill(x > 0, tinygrad_lr.tensor(2.5, dtype=tinygrad_lr.float64)),
    "sort": lambda x: x.sort().values, "topk": lambda x: x.topk(1, 0).values, "list index": lambda x: x[[[0, 1], [1, 0]]],
    "dot": lambda x: x[0].dot(x[1]), "mv": lambda x: x.mv(x[0]), "mm": lambda x: x.mm(x), "outer": lambda x: x[0].outer(x[1]),
    "bmm": lambda x: x[None].bmm(x[None]), "repeat": lambda x: x.repeat(2, 1), "flip": lambda x: x.flip(0),
    "permute": lambda x: x.permute(1, 0), "split": lambda x: x.split(1)[1], "unbind": lambda x: x.unbind(1)[0],
}


@pytest.mark.parametrize("name", list(FLOAT32))
def test_float32_stays_float32(name):
    x = tinygrad_lr.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    out = FLOAT32[name](x)
    assert out.dtype == tinygrad_lr.float32
    out.sum().backward()
    assert x.grad.dtype == tinygrad_lr.float32


def test_integer_tensors_keep_their_dtype():
    n = tinygrad_lr.tensor([[3, 1], [2, 5]])
    assert n.sort().values.dtype == tinygrad_lr.int64 and n.gather(1, idx([[1]])).dtype == tinygrad_lr.int64
    assert n.masked_fill(n > 2, 2.7).tolist() == [[2, 1], [2, 2]]          # the value is cast, as in PyTorch
    assert n.scatter(1, idx([[0]]), 9).tolist() == [[9, 1], [2, 5]] and tinygrad_lr.dot(n[0], n[1]).item() == 11


# ---- in place, copies and views ------------------------------------------------------------------
def test_in_place_scatter_and_masked_fill_follow_the_in_place_rules():
    w = t((2, 3))
    with pytest.raises(RuntimeError, match=r"^scatter_: a leaf tensor that requires grad"):
        w.scatter_(1, idx([[0]]), 1.0)
    with tinygrad_lr.no_grad():
        w.masked_fill_(idx([True, False, False]), 0.0)   # an optimizer-style update is fine
    assert w[:, 0].tolist() == [0.0, 0.0] and w._version == 1
    h = w * 2
    h.scatter_add_(1, idx([[2, 2]]), tinygrad_lr.ones(1, 2, dtype=tinygrad_lr.float64))
    h.masked_fill_(idx([[False], [True]]), -1.0)
    h.sum().backward()
    assert w.grad.tolist() == [[2.0, 2.0, 2.0], [0.0, 0.0, 0.0]]


def test_repeat_and_flip_copy_while_split_permute_and_unbind_are_views_as_in_pytorch():
    x = tinygrad_lr.zeros(2, 2)
    r, f = x.repeat(1, 1), x.flip(0)
    r.add_(1.0)
    f.add_(1.0)
    assert x.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    x.split(1)[1].add_(1.0)
    x.permute(1, 0)[0].add_(1.0)
    x.unbind(1)[1].add_(1.0)
    assert x.tolist() == [[1.0, 1.0], [2.0, 2.0]]


# ---- function forms and spellings --------------------------------------------------------------
def test_function_forms_and_pytorch_keywords():
    x = t((2, 3), requires_grad=False)
    v = t((3,), requires_grad=False)
    np.testing.assert_allclose(tinygrad_lr.matmul(input=x, other=v).numpy(), x.numpy() @ v.numpy())
    assert tinygrad_lr.permute(x, dims=(1, 0)).shape == (3, 2) and x.permute(dims=[1, 0]).shape == (3, 2)
    assert tinygrad_lr.flip(x, dims=[0]).tolist() == x.numpy()[::-1].tolist()
    assert x.scatter(1, idx([[0]]), value=7.0)[0, 0].item() == 7.0
    assert [p.shape for p in tinygrad_lr.split(x, [1, 2], dim=1)] == [(2, 1), (2, 2)]
    assert tinygrad_lr.moveaxis(t((1, 2, 3)), 0, 2).shape == (2, 3, 1)
    assert tinygrad_lr.tile(x, (2,)).shape == (2, 6) and len(tinygrad_lr.unbind(x, dim=1)) == 3
    assert tinygrad_lr.sort(v, descending=True).values.tolist() == sorted(v.tolist(), reverse=True)
    assert tinygrad_lr.argsort([3.0, 1.0]).tolist() == [1, 0]


# ---- mistakes: one line, naming the op, the shapes or values, and the fix -------------------------
X = tinygrad_lr.arange(12.0).reshape(4, 3)
V = tinygrad_lr.ones(3)
MISTAKES = {
    "gather index of the wrong ndim": (lambda: X.gather(0, idx([0, 1])), ValueError,
        r"^gather: index must have as many dims as the tensor of shape \(4, 3\), got an index of shape \(2,\)$"),
    "gather index too large outside dim": (lambda: X.gather(0, tinygrad_lr.zeros(2, 4, dtype=tinygrad_lr.int64)), ValueError,
        r"^gather: an index of shape \(2, 4\) does not fit the tensor of shape \(4, 3\): outside dim 0 it may not be "
        r"larger \(dim 1: 4 > 3\)$"),
    "gather index out of range": (lambda: X.gather(0, idx([[5]])), IndexError,
        r"^gather: index 5 is out of bounds for dim 0 with size 4 \(a tensor of shape \(4, 3\)\); the indices must be "
        r"from 0 to 3$"),
    "gather negative index": (lambda: X.gather(1, idx([[-1]])), IndexError,
        r"^gather: index -1 is out of bounds for dim 1 with size 3"),
    "gather bad dim": (lambda: X.gather(2, idx([[0]])), IndexError,
        r"^gather: dim 2 is out of range for a tensor with 2 dimension\(s\) \(expected a dim from -2 to 1\)$"),
    "gather a number index": (lambda: X.gather(0, 1), TypeError, r"^gather: index must be an integer tensor, got int 1$"),
    "scatter src of another dtype": (lambda: X.scatter(1, idx([[0]]), tinygrad_lr.ones(1, 1, dtype=tinygrad_lr.float64)),
        TypeError, r"^scatter: src is float64 but the tensor is float32; convert it with src\.to\(x\.dtype\)$"),
    "scatter src smaller than the index": (lambda: X.scatter(1, idx([[0, 1]]), tinygrad_lr.ones(1, 1)), ValueError,
        r"^scatter: src of shape \(1, 1\) does not cover the index of shape \(1, 2\): it needs as many dims, and a "
        r"value for every index$"),
    "scatter index out of range": (lambda: X.scatter(1, idx([[3]]), 0.0), IndexError,
        r"^scatter: index 3 is out of bounds for dim 1 with size 3"),
    "scatter_add of a number": (lambda: X.scatter_add(1, idx([[0]]), 1.0), TypeError,
        r"^scatter_add: src must be a tensor, got float 1\.0$"),
    "scatter_ index out of range": (lambda: X.clone().scatter_(0, idx([[4]]), 0.0), IndexError,
        r"^scatter_: index 4 is out of bounds for dim 0 with size 4"),
    "index_select of a 2-d index": (lambda: X.index_select(0, idx([[0]])), ValueError,
        r"^index_select: index must be 1-d \(a list of positions\), got an index of shape \(1, 1\)$"),
    "index_select out of range": (lambda: X.index_select(1, idx([3])), IndexError,
        r"^index_select: index 3 is out of bounds for dim 1 with size 3 \(a tensor of shape \(4, 3\)\)"),
    "masked_fill with a float mask": (lambda: X.masked_fill(tinygrad_lr.ones(4, 3), 1.0), TypeError,
        r"^masked_fill: mask must be a bool tensor, got float32; build it with a comparison, e\.g\. x > 0$"),
    "masked_fill mask that does not broadcast": (lambda: X.masked_fill(idx([True, False]), 1.0), ValueError,
        r"^masked_fill: shapes \(4, 3\) and \(2,\) cannot be broadcast together \(dimension -1: 3 vs 2\)"),
    "masked_fill_ mask larger than the tensor": (lambda: V.clone().masked_fill_(tinygrad_lr.ones(2, 3).bool(), 1.0),
        ValueError, r"^masked_fill_: a mask of shape \(2, 3\) cannot be broadcast to the tensor's shape \(3,\) \(in place "
        r"keeps the tensor's shape\)$"),
    "masked_fill with a 1-d value": (lambda: X.masked_fill(X > 2, tinygrad_lr.tensor([1.0])), ValueError,
        r"^masked_fill: value must be a number or a 0-d tensor, got a tensor of shape \(1,\)$"),
    "one_hot of floats": (lambda: one_hot(tinygrad_lr.tensor([0.0, 1.0])), TypeError,
        r"^one_hot: needs an int64 tensor of class indices, got float32; convert it with \.long\(\)$"),
    "one_hot negative class": (lambda: one_hot(idx([0, -1])), ValueError, r"^one_hot: class values must be >= 0, got -1$"),
    "one_hot class too large": (lambda: one_hot(idx([0, 3]), 3), ValueError,
        r"^one_hot: class value 3 is too large for num_classes=3 \(classes are 0 … 2\)$"),
    "one_hot of nothing": (lambda: one_hot(tinygrad_lr.tensor([], dtype=tinygrad_lr.int64)), ValueError,
        r"^one_hot: cannot infer the number of classes from an empty tensor; pass num_classes$"),
    "topk k too large": (lambda: X.topk(4), ValueError,
        r"^topk: k = 4 is out of range for dim 1 of size 3 \(tensor of shape \(4, 3\)\); k must be from 0 to 3$"),
    "topk k not an integer": (lambda: X.topk(1.5), TypeError, r"^topk: k must be an integer, got 1\.5$"),
    "sort bad dim": (lambda: X.sort(2), IndexError, r"^sort: dim 2 is out of range for a tensor with 2 dimension\(s\)"),
    "dot of matrices": (lambda: tinygrad_lr.dot(X, X), ValueError,
        r"^dot: expects two vectors \(1-d\), got shapes \(4, 3\) and \(4, 3\); matmul \(@\) takes any of these$"),
    "dot of different lengths": (lambda: tinygrad_lr.dot(V, tinygrad_lr.ones(4)), ValueError,
        r"^dot: shapes \(3,\) and \(4,\) cannot be multiplied \(inner dimensions 3 and 4 differ\)$"),
    "mv with a vector of the wrong size": (lambda: X.mv(tinygrad_lr.ones(4)), ValueError,
        r"^mv: shapes \(4, 3\) and \(4,\) cannot be multiplied \(inner dimensions 3 and 4 differ\) \(the first operand's "
        r"rows are the second's inner size: did you mean to transpose it\?\)$"),
    "mv of two vectors": (lambda: V.mv(V), ValueError,
        r"^mv: expects a matrix \(2-d\) and a vector \(1-d\), got shapes \(3,\) and \(3,\)"),
    "mm of a vector": (lambda: X.mm(V), ValueError, r"^mm: expects two matrices \(2-d\), got shapes \(4, 3\) and \(3,\)"),
    "mm shapes": (lambda: X.mm(X), ValueError, r"^mm: shapes \(4, 3\) and \(4, 3\) cannot be multiplied"),
    "bmm of matrices": (lambda: tinygrad_lr.bmm(X, X), ValueError,
        r"^bmm: expects two batches of matrices \(3-d\), got shapes \(4, 3\) and \(4, 3\)"),
    "bmm batch sizes": (lambda: tinygrad_lr.bmm(tinygrad_lr.ones(2, 2, 3), tinygrad_lr.ones(3, 3, 4)), ValueError,
        r"^bmm: the batch sizes of shapes \(2, 2, 3\) and \(3, 3, 4\) differ \(2 and 3\); bmm does not broadcast, "
        r"matmul \(@\) does$"),
    "outer of a matrix": (lambda: tinygrad_lr.outer(X, V), ValueError,
        r"^outer: expects two vectors \(1-d\), got shapes \(4, 3\) and \(3,\)$"),
    "repeat with fewer sizes than dims": (lambda: X.repeat(2), ValueError,
        r"^repeat: the sizes \(2,\) are fewer than the dims of the tensor of shape \(4, 3\); give one size per dim \(1 "
        r"keeps a dim\), or use tile, which fills in leading 1s$"),
    "repeat a negative size": (lambda: X.repeat(2, -1), ValueError, r"^repeat: the sizes must be >= 0, got \(2, -1\)$"),
    "repeat a float size": (lambda: X.repeat(2.0, 1), TypeError, r"^repeat: the sizes must be integers, got \(2\.0, 1\)$"),
    "flip without dims": (lambda: X.flip(), TypeError, r"^flip: name the dims to reverse, e\.g\. x\.flip\(0\) or "
                          r"x\.flip\(\(0, 1\)\)$"),
    "flip a dim twice": (lambda: X.flip(0, 0), ValueError,
        r"^flip: dims \(0, 0\) name the same dimension twice; name each dim at most once$"),
    "permute a repeated dim": (lambda: X.permute(1, 1), ValueError,
        r"^permute: dims \(1, 1\) name the same dimension twice; name each dim at most once$"),
    "permute too few dims": (lambda: X.permute(1), ValueError,
        r"^permute: a tensor of shape \(4, 3\) has 2 dims, so dims must name each of them once, got 1 dims \(1,\)$"),
    "permute a dim out of range": (lambda: X.permute(2, 0), IndexError, r"^permute: dim 2 is out of range"),
    "movedim a dim twice": (lambda: tinygrad_lr.zeros(2, 3, 4).movedim((0, 0), (2, 1)), ValueError,
        r"^movedim: dims \(0, 0\) name the same dimension twice"),
    "movedim lengths": (lambda: tinygrad_lr.zeros(2, 3, 4).movedim((0, 1), (2,)), ValueError,
        r"^movedim: source \(0, 1\) and destination \(2,\) must name as many dims$"),
    "split sizes that do not sum to the size": (lambda: X.split([1, 2]), ValueError,
        r"^split: the sections \[1, 2\] sum to 3, but dim 0 of the tensor of shape \(4, 3\) has size 4; they must add "
        r"up to 4 exactly$"),
    "split a negative section": (lambda: X.split([-1, 5]), ValueError, r"^split: the sections \[-1, 5\] must be sizes >= 0$"),
    "split size 0": (lambda: X.split(0), ValueError,
        r"^split: split_size must be > 0 \(0 only for a dim of size 0\), got 0 for dim 0 of size 4$"),
    "split a 0-d tensor": (lambda: tinygrad_lr.tensor(1.0).split(1), ValueError,
        r"^split: expects a tensor with at least 1 dimension, got a 0-d tensor$"),
    "chunk into 0": (lambda: X.chunk(0), ValueError, r"^chunk: chunks must be > 0, got 0$"),
    "unbind a 0-d tensor": (lambda: tinygrad_lr.tensor(1.0).unbind(), IndexError,
        r"^unbind: a 0-d tensor has no dimension to unbind$"),
    "index a range out of range": (lambda: X[range(5)], IndexError,
        r"^index: index 4 is out of bounds for axis 0 with size 4 \(indexing a tensor of shape \(4, 3\)\)$"),
    "index pairs out of range": (lambda: X[[[0, 1], [1, 5]]], IndexError,
        r"^index: index 5 is out of bounds for axis 1 with size 3 \(indexing a tensor of shape \(4, 3\)\)$"),
    "index with a float list": (lambda: X[[1.0]], IndexError,
        r"^index: tensors used as indices must be integer or bool, got float64$"),
    "index with a float tensor among pairs": (lambda: X[range(2), tinygrad_lr.tensor([0.0, 1.0])], IndexError,
        r"^index: tensors used as indices must be integer or bool, got float32$"),
}


@pytest.mark.parametrize("name", list(MISTAKES))
def test_each_mistake_gets_a_one_line_message(name):
    call, kind, message = MISTAKES[name]
    with pytest.raises(kind, match=message) as info:
        call()
    assert "\n" not in str(info.value)


@pytest.fixture
def torch_or_skip():
    return optional("torch")
