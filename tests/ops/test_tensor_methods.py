"""The Tensor's methods beyond the op catalog: what a tensor is, and PyTorch's rules for its ops.

- what a tensor is: creation, dtypes and type promotion, repr, conversions, memory shared with NumPy,
  comparisons;
- the tensor ops of the classification issue (indexing with lists and ranges, gather, scatter,
  index_select, masked_fill, sort, topk, one_hot, ...): second derivatives, result types, index dtypes
  and shapes, empty selections, float32, in place, views, and every mistake's message;
- the surface without gradients (or with PyTorch's special rules), against PyTorch: // and integer %,
  rounding of integers, logical and bitwise operators, in-place methods and their rules, new_*
  constructors, introspection, unique, count_nonzero, median's ties, and the errors, each one line
  naming op, dtype or shape and the fix.

Values and first derivatives of every differentiable op (and second derivatives, and PyTorch parity)
come from the catalog entries in tests/_catalog_tensor.py and tests/_catalog_surface.py.
"""
import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr import tensor
from tinygrad_lr.autograd import gradcheck, gradgradcheck
from tinygrad_lr.ops.gathering import one_hot
from conftest import optional


@pytest.fixture(scope="module")
def torch():
    return optional("torch")


def same(ours, theirs):
    """Values, shape and dtype agree (a torch dtype 'torch.int64' is our 'int64')."""
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (ours.dtype, theirs.dtype)
    np.testing.assert_array_equal(np.asarray(ours.detach().numpy()), theirs.detach().numpy())


def both(torch, values, dtype=None):
    return tinygrad_lr.tensor(values, dtype=dtype), torch.tensor(values, dtype=getattr(torch, str(dtype)) if dtype
                                                                    else None)


# ==================================================================================================
# what a tensor is: creation, dtypes, repr, conversions, comparisons
# ==================================================================================================
# ---- creation ---------------------------------------------------------------------------
def test_tensor_copies_its_data():
    a = np.array([1.0, 2.0])
    t = tensor(a)
    a[0] = 9.0
    assert t.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("make, shape, value", [
    (lambda: tinygrad_lr.zeros(2, 3), (2, 3), 0.0),
    (lambda: tinygrad_lr.zeros((2, 3)), (2, 3), 0.0),
    (lambda: tinygrad_lr.zeros(()), (), 0.0),
    (lambda: tinygrad_lr.ones(4), (4,), 1.0),
    (lambda: tinygrad_lr.ones([1, 2]), (1, 2), 1.0),
    (lambda: tinygrad_lr.full((2, 2), 1.5), (2, 2), 1.5),
    (lambda: tinygrad_lr.full(3, -2.0), (3,), -2.0),
    (lambda: tinygrad_lr.zeros_like(tinygrad_lr.ones(2, 1)), (2, 1), 0.0),
    (lambda: tinygrad_lr.ones_like(tinygrad_lr.zeros(3)), (3,), 1.0),
])
def test_filled_tensors(make, shape, value):
    t = make()
    assert t.shape == shape and t.dtype == tinygrad_lr.float32 and t.is_leaf and not t.requires_grad
    assert np.all(t.numpy() == value)


def test_like_functions_keep_dtype_and_take_requires_grad():
    x = tensor([1.0, 2.0], dtype=tinygrad_lr.float64)
    assert tinygrad_lr.zeros_like(x).dtype == tinygrad_lr.float64
    assert tinygrad_lr.ones_like(tensor([1, 2])).dtype == tinygrad_lr.int64
    assert tinygrad_lr.ones_like(x, requires_grad=True).requires_grad
    assert tinygrad_lr.zeros_like(x, dtype=tinygrad_lr.float32).dtype == tinygrad_lr.float32


def test_arange():
    assert tinygrad_lr.arange(4).tolist() == [0, 1, 2, 3] and tinygrad_lr.arange(4).dtype == tinygrad_lr.int64
    assert tinygrad_lr.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert tinygrad_lr.arange(3, 0, -1).tolist() == [3, 2, 1]
    f = tinygrad_lr.arange(0, 1, 0.25)
    assert f.dtype == tinygrad_lr.float32 and f.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert tinygrad_lr.arange(3, dtype=tinygrad_lr.float64).dtype == tinygrad_lr.float64


def test_requires_grad_at_creation():
    for t in (tinygrad_lr.zeros(2, requires_grad=True), tinygrad_lr.ones(2, requires_grad=True),
              tinygrad_lr.randn(2, requires_grad=True), tinygrad_lr.rand(2, requires_grad=True),
              tinygrad_lr.normal(0, 1, (2,), requires_grad=True), tensor([1.0], requires_grad=True),
              tinygrad_lr.full((2,), 1.0, requires_grad=True)):
        assert t.requires_grad and t.is_leaf and t.grad is None


def test_randn_rand_normal_shapes_dtypes_and_statistics():
    tinygrad_lr.manual_seed(0)
    z = tinygrad_lr.randn(200, 50)
    assert z.shape == (200, 50) and z.dtype == tinygrad_lr.float32
    assert abs(z.mean().item()) < 0.03 and abs(z.numpy().std() - 1) < 0.03
    u = tinygrad_lr.rand((10_000,))
    assert u.dtype == tinygrad_lr.float32 and 0 <= u.numpy().min() and u.numpy().max() < 1
    assert abs(u.mean().item() - 0.5) < 0.02
    n = tinygrad_lr.normal(3.0, 0.5, (10_000,))
    assert n.shape == (10_000,) and abs(n.mean().item() - 3) < 0.02 and abs(n.numpy().std() - 0.5) < 0.02
    assert tinygrad_lr.normal(0, 0.01, size=(2, 1)).shape == (2, 1)
    assert tinygrad_lr.randn(3, dtype=tinygrad_lr.float64).dtype == tinygrad_lr.float64
    assert tinygrad_lr.normal(0, 1, (3,), dtype=tinygrad_lr.float64).dtype == tinygrad_lr.float64


def test_manual_seed_makes_every_random_function_reproducible():
    def draw():
        t = tinygrad_lr.zeros(3)
        t.normal_()
        return [tinygrad_lr.randn(3).tolist(), tinygrad_lr.rand(2).tolist(),
                tinygrad_lr.normal(0, 1, (2,)).tolist(), t.tolist(), tinygrad_lr.randperm(5).tolist()]
    tinygrad_lr.manual_seed(42)
    first = draw()
    tinygrad_lr.manual_seed(42)
    assert draw() == first
    tinygrad_lr.manual_seed(43)
    assert draw() != first


def test_generator_is_an_independent_stream():
    g = tinygrad_lr.Generator().manual_seed(7)
    a = tinygrad_lr.randn(4, generator=g).tolist()
    tinygrad_lr.manual_seed(1)
    b = tinygrad_lr.randn(4).tolist()
    g.manual_seed(7)
    tinygrad_lr.manual_seed(1)
    assert tinygrad_lr.randn(4, generator=g).tolist() == a
    assert tinygrad_lr.randn(4).tolist() == b  # the generator did not consume the global stream
    assert g.initial_seed() == 7


# ---- dtypes ------------------------------------------------------------------------------
@pytest.mark.parametrize("data, dtype", [
    (1.5, tinygrad_lr.float32), ([1.0, 2.0], tinygrad_lr.float32), ([1, 2.5], tinygrad_lr.float32),
    (3, tinygrad_lr.int64), ([[1, 2]], tinygrad_lr.int64), (True, tinygrad_lr.bool),
    (np.ones(2), tinygrad_lr.float64), (np.ones(2, np.float32), tinygrad_lr.float32),
    (np.ones(2, np.int32), tinygrad_lr.int32), (np.float64(1.0), tinygrad_lr.float64),
    ([np.float64(1.0), 2.0], tinygrad_lr.float64),
])
def test_dtype_of_data_as_in_pytorch(data, dtype):
    assert tensor(data).dtype == dtype


def test_float64_on_request_keeps_full_precision():
    assert tensor([0.1, 0.3], dtype=tinygrad_lr.float64).tolist() == [0.1, 0.3]
    assert tensor(0.1, dtype=tinygrad_lr.float64).item() == 0.1
    assert tinygrad_lr.full((1,), 0.1, dtype=tinygrad_lr.float64).item() == 0.1
    assert tensor([1, 2], dtype=tinygrad_lr.float64).dtype == tinygrad_lr.float64


def test_full_dtype_follows_the_value():
    assert tinygrad_lr.full((2,), 1.0).dtype == tinygrad_lr.float32
    assert tinygrad_lr.full((2,), 1).dtype == tinygrad_lr.int64
    assert tinygrad_lr.full((2,), True).dtype == tinygrad_lr.bool


I32, I64, F32, F64 = "int32", "int64", "float32", "float64"
PROMOTION = [  # PyTorch's rule, not NumPy's; each written once for tinygrad_lr and torch (L)
    (lambda L: L.tensor([1, 2]) * 2.5, F32),                # int tensor · Python float → float32
    (lambda L: L.tensor([1, 2]) / 2, F32),                  # true division of integers → float32
    (lambda L: L.tensor([1, 2]) / L.tensor([2, 4]), F32),
    (lambda L: 1 / L.tensor([1, 2]), F32),
    (lambda L: L.tensor([1, 2]) + 1, I64),
    (lambda L: L.tensor([1, 2]) ** 2, I64),
    (lambda L: L.tensor([1], dtype=L.int32) + 5, I32),      # a Python int does not widen int32
    (lambda L: L.tensor([1], dtype=L.int32) + L.tensor([1]), I64),
    (lambda L: L.tensor([1.0]) * 2, F32),
    (lambda L: L.tensor([1.0]) * np.float64(2.0), F32),     # a NumPy scalar acts like a Python number
    (lambda L: L.tensor([1.0]) + L.tensor(1.0, dtype=L.float64), F32),  # a 0-d tensor does not widen ...
    (lambda L: L.tensor([1]) * L.tensor(2.5, dtype=L.float64), F64),    # ... unless it is of a higher kind
    (lambda L: L.tensor([1.0]) + L.tensor([1.0], dtype=L.float64), F64),
    (lambda L: (L.tensor([1, 2]) > 1) + 1, I64),
    (lambda L: L.tensor([1, 2]).exp(), F32),
    (lambda L: L.tensor([1, 4]).sqrt(), F32),
    (lambda L: L.tensor([-1, 4]).abs(), I64),
    (lambda L: L.tensor([-1, 4]).relu(), I64),
    (lambda L: -L.tensor([1, 4]), I64),
    (lambda L: L.tensor([1, 2]).sum(), I64),
    (lambda L: L.tensor([1.0], dtype=L.float16) + 1.5, "float16"),
]


@pytest.mark.parametrize("expr, dtype", PROMOTION)
def test_type_promotion_as_in_pytorch(expr, dtype):
    assert expr(tinygrad_lr).dtype == np.dtype(dtype)


@pytest.mark.parametrize("expr, dtype", PROMOTION)
def test_type_promotion_agrees_with_torch(expr, dtype):
    torch = optional("torch")
    assert expr(torch).dtype == getattr(torch, dtype)


def test_an_array_operand_is_a_tensor_of_its_dtype():
    assert (tensor([1.0]) + np.ones(1)).dtype == tinygrad_lr.float64
    assert (np.ones(1, np.float32) * tensor([1.0])).dtype == tinygrad_lr.float32


def test_values_of_promoted_int_division():
    np.testing.assert_allclose((tensor([1, 2]) / 4).numpy(), [0.25, 0.5])


# ---- repr -----------------------------------------------------------------------------------
REPRS = {
    "tensor([[1., 2.]], requires_grad=True)": lambda L: L.tensor([[1.0, 2.0]], requires_grad=True),
    "tensor([[2., 4.]], grad_fn=<MulBackward>)": lambda L: L.tensor([[1.0, 2.0]], requires_grad=True) * 2,
    "tensor(3.5000)": lambda L: L.tensor(3.5),
    "tensor(3)": lambda L: L.tensor(3),
    "tensor([1, 2])": lambda L: L.tensor([1, 2]),
    "tensor([False,  True])": lambda L: L.tensor([1, 2]) > 1,
    "tensor([1.5000, 2.2500], dtype=tinygrad_lr.float64)": lambda L: L.tensor([1.5, 2.25], dtype=L.float64),
    "tensor([1, 2], dtype=tinygrad_lr.int32)": lambda L: L.tensor([1, 2], dtype=L.int32),
    "tensor([1., 1.], dtype=tinygrad_lr.float64, requires_grad=True)":
        lambda L: L.ones(2, dtype=L.float64, requires_grad=True),
    "tensor(2., dtype=tinygrad_lr.float64, grad_fn=<SumBackward>)":
        lambda L: L.ones(2, dtype=L.float64, requires_grad=True).sum(),
    "tensor([1.0000e-05, 1.0000e+00])": lambda L: L.tensor([1e-5, 1.0]),
    "tensor([ 0.1235, 12.5000])": lambda L: L.tensor([0.1234567, 12.5]),
    "tensor([nan, 1., inf])": lambda L: L.tensor([float("nan"), 1.0, float("inf")]),
    "tensor([-0., 1.])": lambda L: L.tensor([-0.0, 1.0]),
    "tensor([])": lambda L: L.zeros(0),
    "tensor([], dtype=tinygrad_lr.int64)": lambda L: L.zeros(0, dtype=L.int64),
    "tensor([], size=(2, 0))": lambda L: L.zeros(2, 0),
    "tensor([[-1.5000,  2.0000],\n        [ 3.0000, -4.0000]])": lambda L: L.tensor([[-1.5, 2.0], [3.0, -4.0]]),
    "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])": lambda L: L.arange(2000),
    "tensor([[[1., 1.]],\n\n        [[1., 1.]]])": lambda L: L.ones(2, 1, 2),
}
MORE_REPRS = [  # compared with torch only: long, wrapped, summarized, scientific
    lambda L: L.arange(3000.0).reshape(1000, 3), lambda L: L.arange(3000.0).reshape(3, 1000),
    lambda L: L.arange(8000.0).reshape(20, 20, 20) / 7, lambda L: (L.arange(30.0) / 7).reshape(2, 15),
    lambda L: L.arange(1500.0) / 7, lambda L: L.tensor([10 ** 12, 1]), lambda L: L.tensor([2e8, 1.0]),
    lambda L: L.tensor([1001.0, 1.0]), lambda L: L.tensor([1000.0, 1.0]), lambda L: L.tensor(float("nan")),
    lambda L: L.arange(1200) > 600, lambda L: L.arange(60).reshape(2, 30), lambda L: L.tensor([1e30, -2.0]),
    lambda L: L.zeros(2, 0, requires_grad=True), lambda L: L.tensor([0.1, 2.0], dtype=L.float16),
    lambda L: L.tensor(np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)),
    lambda L: L.zeros(0, dtype=L.bool), lambda L: L.tensor([[True, False]]),
]


@pytest.mark.parametrize("text", list(REPRS))
def test_repr_like_pytorch(text):
    assert repr(REPRS[text](tinygrad_lr)) == text
    assert str(REPRS[text](tinygrad_lr)) == text


@pytest.mark.parametrize("make", list(REPRS.values()) + MORE_REPRS)
def test_repr_matches_torch_text(make):
    torch = optional("torch")
    ours = repr(make(tinygrad_lr)).replace("tinygrad_lr.", "torch.")
    theirs = repr(make(torch)).replace("Backward0", "Backward")  # PyTorch numbers its backward classes
    assert ours == theirs


# ---- conversions ------------------------------------------------------------------------------
def test_item_tolist_numpy_float_int():
    t = tensor([[1.5, 2.0]])
    assert tensor(2.5).item() == 2.5 and isinstance(tensor(3).item(), int)
    assert tensor([[7.0]]).item() == 7.0  # one element, any number of dimensions
    assert t.tolist() == [[1.5, 2.0]] and tensor(1.5).tolist() == 1.5
    assert isinstance(t.numpy(), np.ndarray) and t.numpy().dtype == np.float32
    assert float(tensor([2.5])) == 2.5 and int(tensor(2.7)) == 2
    assert tensor([1.0], requires_grad=True).detach().numpy().tolist() == [1.0]


def test_numpy_shares_memory():
    t = tensor([1.0, 2.0])
    t.numpy()[0] = 5.0
    assert t[0].item() == 5.0


def test_f_string_formatting_of_one_element_tensors():
    loss = tensor(0.123456)
    assert f"{loss:f}" == "0.123456"
    assert f"{loss:.3f}" == "0.123" and f"{loss:8.2f}" == "    0.12" and f"{tensor(1234.5):.2e}" == "1.23e+03"
    assert f"{tensor(3):d}" == "3"
    assert f"{tensor([0.5]):.1f}" == "0.5"  # one element in a 1-d tensor: formatted too (PyTorch raises)
    assert f"{loss}" == str(loss.item())
    assert f"{tensor([1.0, 2.0])}" == "tensor([1., 2.])"


def test_shape_size_dim_numel_len():
    t = tinygrad_lr.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert t.dim() == 3 and t.ndim == 3 and t.numel() == 24 and len(t) == 2
    s = tensor(1.0)
    assert s.shape == () and s.dim() == 0 and s.numel() == 1


def test_iteration_and_truth_value():
    assert [t.item() for t in tensor([1.0, 2.0])] == [1.0, 2.0]
    assert bool(tensor([1.0])) and not bool(tensor(0.0))
    assert 2.0 in tensor([1.0, 2.0])


# ---- from_numpy -------------------------------------------------------------------------------
def test_from_numpy_shares_memory_both_ways():
    a = np.array([1.0, 2.0])
    t = tinygrad_lr.from_numpy(a)
    assert t.dtype == tinygrad_lr.float64
    a[0] = 10.0
    assert t[0].item() == 10.0
    t.add_(1)
    assert a.tolist() == [11.0, 3.0]


def test_from_numpy_of_a_memmap_is_not_copied(tmp_path):
    path = tmp_path / "X.f32"
    mm = np.memmap(path, dtype=np.float32, mode="w+", shape=(100, 2))
    mm[:] = np.arange(200, dtype=np.float32).reshape(100, 2)
    mm.flush()
    data = np.memmap(path, dtype=np.float32, mode="r", shape=(100, 2))
    X = tinygrad_lr.from_numpy(data)
    assert np.shares_memory(X.numpy(), data) and X.shape == (100, 2)
    batch = X[tensor([3, 97])]
    w = tensor([[1.0], [0.5]], requires_grad=True)
    (batch @ w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [[6.0 + 194.0], [7.0 + 195.0]])
    assert type(batch.numpy()) is np.ndarray


# ---- comparisons ------------------------------------------------------------------------------
COMPARISONS = [(lambda a, b: a == b, np.equal), (lambda a, b: a != b, np.not_equal),
               (lambda a, b: a < b, np.less), (lambda a, b: a <= b, np.less_equal),
               (lambda a, b: a > b, np.greater), (lambda a, b: a >= b, np.greater_equal)]


@pytest.mark.parametrize("op, ref", COMPARISONS)
@pytest.mark.parametrize("other", [2.0, 2, np.array([[1.0], [3.0]]), tensor([[3.0], [1.0]])], ids=repr)
def test_comparisons_give_bool_tensors_without_grad(op, ref, other):
    xa = np.array([1.0, 2.0, 3.0])
    x = tensor(xa, requires_grad=True)
    oa = other.numpy() if isinstance(other, tinygrad_lr.Tensor) else np.asarray(other)
    for result, expected in ((op(x, other), ref(xa, oa)), (op(other, x), ref(oa, xa))):
        assert isinstance(result, tinygrad_lr.Tensor) and result.dtype == tinygrad_lr.bool
        assert not result.requires_grad and result.grad_fn is None
        np.testing.assert_array_equal(result.numpy(), expected)


def test_a_mask_from_a_comparison_selects_with_gradient():
    x = tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    x[x > 0].sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 1.0]


# ==================================================================================================
# the tensor ops: indexing, gather, scatter, sort, topk, one_hot
# ==================================================================================================
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


def test_sort_topk_and_argsort_agree_with_torch_at_ties_with_stable(torch):
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


def test_ranges_and_lists_of_lists_index_as_in_pytorch(torch):
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


# ---- float32 and integer tensors keep their dtype --------------------------------------------------
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


# ==================================================================================================
# the surface without gradients, against PyTorch
# ==================================================================================================
INTS = [[7, -7, 5, -5, 0, 9], [2, 2, -3, -3, 4, 4]]
FLOATS = [[7.5, -7.5, 5.0, -5.0, 0.0, 2.25], [2.0, 2.0, -3.0, -3.0, 4.0, -0.5]]


# ---- % and // : integers stay integers, Python's sign rule ----------------------------------------
@pytest.mark.parametrize("values", [INTS, FLOATS], ids=["int64", "float32"])
@pytest.mark.parametrize("op", ["%", "//", "remainder", "fmod", "floor_divide", "rmod number", "rfloordiv number"])
def test_division_ops_match_torch(torch, values, op):
    (a, ta), (b, tb) = both(torch, values[0]), both(torch, values[1])
    f = {"%": lambda lib, x, y: x % y, "//": lambda lib, x, y: x // y,
         "remainder": lambda lib, x, y: lib.remainder(x, y), "fmod": lambda lib, x, y: lib.fmod(x, y),
         "floor_divide": lambda lib, x, y: lib.floor_divide(x, y),
         "rmod number": lambda lib, x, y: 13 % y, "rfloordiv number": lambda lib, x, y: 13 // y}[op]
    same(f(tinygrad_lr, a, b), f(torch, ta, tb))


def test_int_tensor_mod_a_float_is_float32_as_in_torch(torch):
    (a, ta) = both(torch, INTS[0])
    same(a % 2.5, ta % 2.5)
    same(a // 2.5, ta // 2.5)
    same(tinygrad_lr.fmod(a, -2), torch.fmod(ta, -2))


@pytest.mark.parametrize("op", ["%", "//", "fmod"])
def test_integer_division_by_zero_is_an_error_naming_the_op(torch, op):
    a, b = tinygrad_lr.tensor([5, -5]), tinygrad_lr.tensor([2, 0])
    f = {"%": lambda lib, x, y: x % y, "//": lambda lib, x, y: x // y, "fmod": lambda lib, x, y: lib.fmod(x, y)}[op]
    name = {"%": "remainder", "//": "floor_divide", "fmod": "fmod"}[op]
    with pytest.raises(RuntimeError, match=rf"^{name}: integer division by zero .*use a nonzero divisor"):
        f(tinygrad_lr, a, b)
    with pytest.raises(RuntimeError):   # PyTorch refuses too ("ZeroDivisionError")
        f(torch, torch.tensor([5, -5]), torch.tensor([2, 0]))
    with pytest.raises(RuntimeError, match=rf"^{name}: integer division by zero"):
        f(tinygrad_lr, a, 0)


def test_float_division_by_zero_is_nan_or_inf_silently_as_in_torch(torch):
    a, ta = both(torch, [1.0, -1.0, 0.0])
    np.testing.assert_array_equal((a % 0.0).numpy(), (ta % 0.0).numpy())
    np.testing.assert_array_equal((a // 0.0).numpy(), (ta // 0.0).numpy())


def test_floor_divide_requires_grad_but_has_no_derivative_as_in_torch(torch):
    x = tinygrad_lr.tensor([5.0, -3.0], requires_grad=True)
    tx = torch.tensor([5.0, -3.0], requires_grad=True)
    y, ty = x // 2, tx // 2
    assert y.requires_grad and ty.requires_grad
    with pytest.raises(RuntimeError, match=r"^floor_divide: x // y has no derivative .*\(x / y\)\.floor\(\)"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match="floor_divide"):
        ty.sum().backward()
    with tinygrad_lr.no_grad():
        assert not (x // 2).requires_grad
    assert not (x.detach() // 2).requires_grad


def test_remainder_gradients_match_torch_at_a_glance(torch):
    x, tx = tinygrad_lr.tensor([5.3, -3.7], requires_grad=True), torch.tensor([5.3, -3.7], requires_grad=True)
    y, ty = tinygrad_lr.tensor([2.0, 1.5], requires_grad=True), torch.tensor([2.0, 1.5], requires_grad=True)
    (x % y + tinygrad_lr.fmod(x, y)).sum().backward()
    (tx % ty + torch.fmod(tx, ty)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy())


def test_remainder_of_bools_is_refused():
    with pytest.raises(TypeError, match=r"^remainder: not defined for bool tensors; convert them first"):
        tinygrad_lr.tensor([True]) % tinygrad_lr.tensor([True])


# ---- rounding ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round", "fix"])
def test_rounding_an_integer_tensor_keeps_its_dtype(torch, name):
    a, ta = both(torch, INTS[0])
    same(getattr(a, name)(), getattr(ta, name)())
    same(getattr(tinygrad_lr, name)(a), getattr(torch, name)(ta))


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round", "frac"])
def test_rounding_gradients_are_zero_or_one_and_results_require_grad(torch, name):
    values = [-2.5, -0.5, 0.5, 1.5, 2.7, -1.2]
    x, tx = tinygrad_lr.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, ty = getattr(x, name)(), getattr(tx, name)()
    same(y, ty)
    assert y.requires_grad and ty.requires_grad
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_frac_of_an_integer_tensor_is_refused():
    with pytest.raises(TypeError, match=r"^frac: needs a floating-point tensor, got int64 .*\.float\(\)"):
        tinygrad_lr.tensor([1, 2]).frac()


@pytest.mark.parametrize("name", ["log2", "log10", "exp2", "sinh", "cosh", "asin", "acos", "atan", "erf"])
def test_math_of_integers_is_float32_and_powers_are_exact(torch, name):
    values = [0, 1, 2, 8] if name not in ("asin", "acos") else [0, 1, -1, 0]
    a, ta = both(torch, values)
    ours, theirs = getattr(tinygrad_lr, name)(a), getattr(torch, name)(ta)
    assert ours.dtype == tinygrad_lr.float32 and theirs.dtype == torch.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_log2_log10_exp2_are_exact_at_powers():
    assert tinygrad_lr.tensor([8.0, 1024.0], dtype=tinygrad_lr.float64).log2().tolist() == [3.0, 10.0]
    assert tinygrad_lr.tensor([1000.0, 1e-3], dtype=tinygrad_lr.float64).log10().tolist() == [3.0, -3.0]
    assert tinygrad_lr.exp2(tinygrad_lr.tensor([3.0, -2.0, 10.0])).tolist() == [8.0, 0.25, 1024.0]


def test_atan2_of_integers_and_hypot_of_large_values(torch):
    (y, ty), (x, tx) = both(torch, [1, -1, 0]), both(torch, [-1, -1, 1])
    np.testing.assert_allclose(tinygrad_lr.atan2(y, x).numpy(), torch.atan2(ty, tx).numpy(), rtol=1e-6)
    big = tinygrad_lr.tensor([3e30], dtype=tinygrad_lr.float32)
    assert np.isfinite(big.hypot(big).item())   # (x² + y²) ** 0.5 would overflow float32
    with pytest.raises(TypeError, match=r"^hypot: needs floating-point tensors, got int64; convert them first"):
        tinygrad_lr.hypot(tinygrad_lr.tensor([3]), tinygrad_lr.tensor([4]))


def test_asin_outside_its_domain_is_nan_as_in_torch(torch):
    with np.errstate(invalid="ignore"):
        a = tinygrad_lr.tensor([2.0]).asin()
    assert np.isnan(a.item()) and torch.tensor([2.0]).asin().isnan().item()


# ---- logical and bitwise -------------------------------------------------------------------------
LOGICAL_INPUTS = {"bool": ([True, False, True, False], [True, True, False, False]),
                  "int64": ([0, 3, -2, 0], [5, 0, 1, 0]), "float32": ([0.0, 1.5, -2.0, 0.0], [2.0, 0.0, 0.5, 0.0])}


@pytest.mark.parametrize("kind", list(LOGICAL_INPUTS))
@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_ops_match_torch_for_every_dtype(torch, kind, name):
    (a, ta), (b, tb) = (both(torch, v) for v in LOGICAL_INPUTS[kind])
    same(getattr(tinygrad_lr, name)(a, b), getattr(torch, name)(ta, tb))
    same(getattr(a, name)(b), getattr(ta, name)(tb))
    same(a.logical_not(), ta.logical_not())
    same(tinygrad_lr.logical_not(a), torch.logical_not(ta))


def test_logical_ops_of_tensors_that_require_grad_are_bool_and_record_nothing():
    x = tinygrad_lr.tensor([0.0, 1.0], requires_grad=True)
    out = tinygrad_lr.logical_and(x, x > 0.5)
    assert out.dtype == tinygrad_lr.bool and not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize("kind", ["bool", "int64"])
@pytest.mark.parametrize("op", ["&", "|", "^", "~", "& number", "number |", "method"])
def test_bitwise_operators_match_torch(torch, kind, op):
    (a, ta), (b, tb) = (both(torch, v) for v in LOGICAL_INPUTS[kind])
    one = True if kind == "bool" else 6
    f = {"&": lambda x, y: x & y, "|": lambda x, y: x | y, "^": lambda x, y: x ^ y, "~": lambda x, y: ~x,
         "& number": lambda x, y: x & one, "number |": lambda x, y: one | y,
         "method": lambda x, y: x.bitwise_xor(y).bitwise_not()}[op]
    same(f(a, b), f(ta, tb))


def test_masks_combine_with_and_or_not():
    x = tinygrad_lr.tensor([-2.0, -0.5, 0.5, 2.0])
    inside = (x > -1) & (x < 1)
    assert inside.tolist() == [False, True, True, False]
    assert (~inside | (x > 1)).tolist() == [True, False, False, True]
    assert x[inside].tolist() == [-0.5, 0.5]


@pytest.mark.parametrize("op", ["~", "&", "|", "^"])
def test_bitwise_on_a_float_tensor_is_a_type_error_naming_the_fix(torch, op):
    x = tinygrad_lr.tensor([1.0, 0.0])
    f = {"~": lambda x: ~x, "&": lambda x: x & x, "|": lambda x: x | 1, "^": lambda x: True ^ x}[op]
    name = {"~": "bitwise_not", "&": "bitwise_and", "|": "bitwise_or", "^": "bitwise_xor"}[op]
    with pytest.raises(TypeError, match=rf"^{name}: works on integer and bool tensors only, got .*float32.*"
                                        r"\(x > 0\) & \(y > 0\), or use logical_and"):
        f(x)
    with pytest.raises((TypeError, NotImplementedError)):   # PyTorch refuses too
        f(torch.tensor([1.0, 0.0]))


# ---- in place ------------------------------------------------------------------------------------
INPLACE = {
    "abs_": lambda t: t.abs_(), "exp_": lambda t: t.exp_(), "log_": lambda t: t.abs_().log_(),
    "sqrt_": lambda t: t.abs_().sqrt_(), "square_": lambda t: t.square_(), "neg_": lambda t: t.neg_(),
    "pow_": lambda t: t.pow_(3), "clamp_": lambda t: t.clamp_(-1, 0.5), "clip_": lambda t: t.clip_(max=0.25),
    "relu_": lambda t: t.relu_(), "sigmoid_": lambda t: t.sigmoid_(), "tanh_": lambda t: t.tanh_(),
    "floor_": lambda t: t.floor_(), "round_": lambda t: t.round_(), "ceil_": lambda t: t.ceil_(),
    "trunc_": lambda t: t.trunc_(), "unsqueeze_": lambda t: t.unsqueeze_(1), "squeeze_": lambda t: t.unsqueeze_(0).squeeze_(),
    "t_": lambda t: t.t_(),
}
VALUES = [[-1.5, 0.25, 2.0], [0.7, -0.2, -3.0]]


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_methods_change_the_tensor_itself_as_torch_does(torch, name):
    x, tx = tinygrad_lr.tensor(VALUES), torch.tensor(VALUES)
    out, tout = INPLACE[name](x), INPLACE[name](tx)
    assert out is x and tout is tx
    np.testing.assert_allclose(x.numpy(), tx.numpy(), rtol=1e-6)
    assert tuple(x.shape) == tuple(tx.shape)
    assert x._version == tx._version > 0   # each change bumps the version counter, as in PyTorch


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_on_a_leaf_that_requires_grad_is_refused_and_allowed_under_no_grad(torch, name):
    x = tinygrad_lr.tensor(VALUES, requires_grad=True)
    with pytest.raises(RuntimeError, match=rf"^{name}: a leaf tensor that requires grad .*cannot be changed in "
                                           r"place.*no_grad"):
        getattr(x, name)(*((3,) if name == "pow_" else (1,) if name == "unsqueeze_" else ()))
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        INPLACE[name](torch.tensor(VALUES, requires_grad=True))
    with tinygrad_lr.no_grad():
        INPLACE[name](x)
    assert x.is_leaf and x.requires_grad


CHAINS = ["h.clamp_(-0.9, 0.9).pow_(2)", "h.pow_(2).tanh_()", "h.abs_().sqrt_()", "h.square_().neg_().exp_()",
          "h.neg_().relu_()", "h.clamp_(-0.9, 0.9).unsqueeze_(0).squeeze_(0).t_()", "h.tanh_().clamp_(-0.9, 0.9)",
          "h.sigmoid_().mul_(3)", "h.exp_().log_()", "h.sigmoid_().unsqueeze_(0)", "h.round_().abs_()"]


@pytest.mark.parametrize("chain", CHAINS)
def test_inplace_on_a_non_leaf_is_recorded_and_refused_exactly_where_torch_refuses(torch, chain):
    """Recorded in place on h = 2x: the same gradient as PyTorch, or, where an op saved the value a later
    one changes (tanh saves its output, which clamp_ overwrites), the same refusal at backward."""
    def run(lib):
        x = lib.tensor(VALUES, requires_grad=True)
        h = x * 2
        eval(chain)
        try:
            (h * lib.tensor(np.arange(h.numel()).reshape(tuple(h.shape)) - 2.5)).sum().backward()
        except RuntimeError as e:
            return "refused: " + ("in-place" if "in-place" in str(e) or "inplace" in str(e) else str(e))
        return h.detach().numpy(), x.grad.numpy()
    ours, theirs = run(tinygrad_lr), run(torch)
    if isinstance(theirs, str):
        assert ours == theirs
        return
    assert not isinstance(ours, str), ours
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def test_relu_saves_its_input_so_changing_its_output_in_place_is_safe_here(torch):
    """PyTorch's relu saves its output and refuses h.relu_().floor_(); ours saves its input (as its formula
    [x > 0] reads), so the same line gives the gradient, 0 through floor."""
    x = tinygrad_lr.tensor(VALUES, requires_grad=True)
    h = x * 2
    h.relu_().floor_()
    h.sum().backward()
    assert x.grad.tolist() == [[0.0] * 3] * 2
    tx = torch.tensor(VALUES, requires_grad=True)
    th = tx * 2
    th.relu_().floor_()
    with pytest.raises(RuntimeError, match="inplace"):
        th.sum().backward()


def test_a_saved_value_changed_in_place_refuses_backward_as_in_torch(torch):
    for lib in (tinygrad_lr, torch):
        x = lib.tensor([0.5, 1.5], requires_grad=True)
        h = x * 1
        y = h.exp_().mul_(h)    # exp_ saved its output, which mul_ changes
        with pytest.raises(RuntimeError, match="modified by an inplace operation|modified by an in-place operation"):
            y.sum().backward()


def test_inplace_math_into_an_integer_tensor_says_so(torch):
    with pytest.raises(TypeError, match=r"^exp_: the result is float32, which cannot be stored in place in a "
                                        r"int64 tensor; .*x = x\.float\(\)"):
        tinygrad_lr.tensor([1, 2]).exp_()
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).exp_()
    x = tinygrad_lr.tensor([-3, 2])
    x.abs_().neg_().clamp_(min=-2)
    assert x.tolist() == [-2, -2] and x.dtype == tinygrad_lr.int64


def test_t_of_a_3d_tensor_in_place_is_refused_like_t():
    with pytest.raises(ValueError, match=r"^t: expects a tensor with at most 2 dimensions"):
        tinygrad_lr.zeros(2, 3, 4).t_()


def test_unsqueeze_in_place_keeps_sharing_memory():
    x = tinygrad_lr.zeros(3)
    before = x.data_ptr()
    x.unsqueeze_(0)
    assert x.shape == (1, 3) and x.data_ptr() == before


# ---- new tensors like this one, and what a tensor is -------------------------------------------
@pytest.mark.parametrize("call", [
    lambda t: t.new_zeros(2, 3), lambda t: t.new_zeros((2,)), lambda t: t.new_ones([1, 2]),
    lambda t: t.new_full((2, 2), 7), lambda t: t.new_full((3,), 1.5, dtype=t.dtype), lambda t: t.new_tensor([1, 2]),
    lambda t: t.new_tensor([[1.5]]), lambda t: t.new_zeros(2, requires_grad=True),
    lambda t: t.new_empty(2, 3).zero_(), lambda t: t.new_ones(2).new_zeros(3)],
    ids=["zeros(2, 3)", "zeros((2,))", "ones([1, 2])", "full int fill", "full dtype=", "tensor ints",
         "tensor nested", "requires_grad", "empty", "chained"])
@pytest.mark.parametrize("dtype", ["float64", "int64", "float32"])
def test_new_constructors_match_torch(torch, call, dtype):
    t = tinygrad_lr.tensor([1, 2], dtype=getattr(tinygrad_lr, dtype))
    tt = torch.tensor([1, 2], dtype=getattr(torch, dtype))
    if dtype == "int64" and call(tinygrad_lr.zeros(1, dtype=tinygrad_lr.float32)).requires_grad:
        with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
            call(t)
        return
    ours, theirs = call(t), call(tt)
    same(ours, theirs)
    assert ours.requires_grad == theirs.requires_grad and ours.is_leaf


def test_new_tensor_copies_and_has_no_history():
    x = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    data = np.array([3.0, 4.0])
    y = x.new_tensor(data)
    data[0] = 0
    assert y.tolist() == [3.0, 4.0] and y.dtype == tinygrad_lr.float32 and not y.requires_grad


def test_introspection_matches_torch(torch):
    for dtype in ("float32", "float64", "int64", "int32", "bool", "float16", "uint8"):
        t = tinygrad_lr.zeros(2, 3, dtype=getattr(tinygrad_lr, dtype))
        tt = torch.zeros(2, 3, dtype=getattr(torch, dtype))
        assert t.element_size() == tt.element_size(), dtype
        assert t.nelement() == tt.nelement() == 6 and t.ndimension() == tt.ndimension() == 2
        assert t.is_contiguous() and tt.is_contiguous()
    x = tinygrad_lr.randn(3, 2)
    assert x.data_ptr() == x.detach().data_ptr() == x.data.data_ptr()
    assert x.clone().data_ptr() != x.data_ptr()
    assert x.half().dtype == tinygrad_lr.float16 == torch.tensor([1.0]).half().dtype.__str__().replace("torch.", "")
    assert x.mH.shape == x.mT.shape == (2, 3)


def test_half_is_recorded_and_the_gradient_comes_back_in_the_leaf_dtype():
    x = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    (x.half() * 2).sum().backward()
    assert x.grad.dtype == tinygrad_lr.float32 and x.grad.tolist() == [2.0, 2.0]


def test_as_methods_match_torch(torch):
    a, ta = tinygrad_lr.arange(6), torch.arange(6)
    b, tb = tinygrad_lr.zeros(2, 3, dtype=tinygrad_lr.float64), torch.zeros(2, 3, dtype=torch.float64)
    same(a.view_as(b), ta.view_as(tb))
    same(a.reshape_as(b), ta.reshape_as(tb))
    same(a.type_as(b), ta.type_as(tb))
    same(tinygrad_lr.ones(3).expand_as(b), torch.ones(3).expand_as(tb))
    with pytest.raises(ValueError, match=r"^expand: a tensor of shape \(4,\) cannot be expanded to \(2, 3\)"):
        tinygrad_lr.ones(4).expand_as(b)


# ---- structure: the parts without gradients, and the errors -----------------------------------------
def test_unique_matches_torch(torch):
    values = [[3, 1, 3], [2, 1, 7]]
    a, ta = both(torch, values)
    same(a.unique(), ta.unique())
    for ours, theirs in zip(tinygrad_lr.unique(a, return_inverse=True, return_counts=True),
                            torch.unique(ta, return_inverse=True, return_counts=True)):
        same(ours, theirs)
    for ours, theirs in zip(a.unique(return_counts=True), ta.unique(return_counts=True)):
        same(ours, theirs)
    f = tinygrad_lr.tensor([0.5, -1.0, 0.5], requires_grad=True)
    assert f.unique().tolist() == [-1.0, 0.5] and not f.unique().requires_grad   # (no gradient: see README)
    with pytest.raises(NotImplementedError, match=r"^unique: dim= is not supported"):
        a.unique(dim=0)


def test_count_nonzero_matches_torch(torch):
    a, ta = both(torch, [[0.0, 1.5, 0.0], [2.0, -1.0, 0.0]])
    same(a.count_nonzero(), ta.count_nonzero())
    same(tinygrad_lr.count_nonzero(a, dim=0), torch.count_nonzero(ta, dim=0))
    same(a.count_nonzero(dim=(0, 1)), ta.count_nonzero(dim=(0, 1)))


def test_median_ties_get_pytorch_gradients(torch):
    values = [[1.0, 2.0, 2.0, 3.0], [5.0, 4.0, 4.0, 1.0]]
    x, tx = tinygrad_lr.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    m, tm = x.median(), tx.median()
    same(m, tm)
    (m * 3).backward()
    (tm * 3).backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())   # shared by the tied elements
    v, tv = x.median(1), tx.median(1)
    same(v.values, tv.values)
    same(v.indices, tv.indices)


def test_median_of_integers_and_of_an_even_count_is_the_lower_middle(torch):
    a, ta = both(torch, [4, 1, 3, 2])
    same(a.median(), ta.median())
    same(tinygrad_lr.median(a, 0).values, torch.median(ta, 0).values)
    with pytest.raises(RuntimeError, match=r"^median: the tensor is empty"):
        tinygrad_lr.zeros(0).median()


def test_integer_structure_ops_match_torch(torch):
    a, ta = both(torch, [[1, 2, 3], [4, 5, 6], [7, 8, 10]])
    same(a.cumprod(1), ta.cumprod(1))
    same(a.trace(), ta.trace())
    same(a.triu(), ta.triu())
    same(a.tril(-1), ta.tril(-1))
    same(a.diag(), ta.diag())
    same(a.diff(dim=0), ta.diff(dim=0))
    same(a.roll(2), ta.roll(2))
    same(a.roll((1, -1), (0, 1)), ta.roll((1, -1), (0, 1)))
    same(tinygrad_lr.tensor([True, False, False]).diff(), torch.tensor([True, False, False]).diff())
    same(tinygrad_lr.tensor([True, False]).cumprod(0), torch.tensor([True, False]).cumprod(0))
    same(a.narrow(0, -2, 2), ta.narrow(0, -2, 2))


def test_einsum_matches_torch_on_a_few_equations(torch):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5))
    for eq, args in [("bij,jk->bik", (a, b)), ("bij->j", (a,)), ("bij,jk", (a, b)),
                     ("jii->j", (rng.standard_normal((3, 2, 2)),))]:
        ours = tinygrad_lr.einsum(eq, *[tinygrad_lr.tensor(x) for x in args])
        theirs = torch.einsum(eq, *[torch.tensor(x) for x in args])
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("call, error, message", [
    (lambda: tinygrad_lr.einsum("...ij,jk", tinygrad_lr.zeros(2, 3), tinygrad_lr.zeros(3, 2)), NotImplementedError,
     r"^einsum: '\.\.\.' \(ellipsis\) is not supported; name every dim"),
    (lambda: tinygrad_lr.einsum("ij,jk->ik", tinygrad_lr.zeros(2, 3)), ValueError,
     r"^einsum: the equation 'ij,jk->ik' names 2 operand\(s\), got 1"),
    (lambda: tinygrad_lr.einsum("ij,jk->ik", tinygrad_lr.zeros(2, 3), tinygrad_lr.zeros(4, 2)), ValueError,
     r"^einsum: the letter 'j' has size 3 in one operand and 4 in another"),
    (lambda: tinygrad_lr.einsum("ijk", tinygrad_lr.zeros(2, 3)), ValueError,
     r"^einsum: the term 'ijk' names 3 dims, but its operand has shape \(2, 3\)"),
    (lambda: tinygrad_lr.zeros(4, 3).narrow(0, 3, 2), RuntimeError,
     r"^narrow: start \(3\) \+ length \(2\) exceeds the size 4 of dim 0 \(shape \(4, 3\)\); use a length from 0 to 1"),
    (lambda: tinygrad_lr.zeros(4).narrow(0, 5, 0), IndexError, r"^narrow: start 5 is out of range for dim 0 of size 4"),
    (lambda: tinygrad_lr.zeros(2, 2, 2).diag(), RuntimeError, r"^diag: expects a vector \(1-d\) or a matrix \(2-d\)"),
    (lambda: tinygrad_lr.zeros(3).triu(), RuntimeError, r"^triu: expects a tensor with at least 2 dimensions, got shape \(3,\)"),
    (lambda: tinygrad_lr.zeros(2, 2, 2).trace(), RuntimeError, r"^trace: expects a matrix \(2-d\), got shape \(2, 2, 2\)"),
    (lambda: tinygrad_lr.zeros(3).roll((1, 2)), RuntimeError, r"^roll: without dims, give one shift"),
    (lambda: tinygrad_lr.zeros(3).roll((1, 2), (0,)), RuntimeError, r"^roll: shifts \(1, 2\) and dims \(0,\) must have"),
    (lambda: tinygrad_lr.zeros(()).diff(), RuntimeError, r"^diff: expects a tensor with at least 1 dimension"),
    (lambda: tinygrad_lr.zeros(3).cumprod(1), IndexError, r"^cumprod: dim 1 is out of range"),
], ids=["einsum ellipsis", "einsum operands", "einsum sizes", "einsum dims", "narrow length", "narrow start",
        "diag 3-d", "triu 1-d", "trace 3-d", "roll shifts", "roll lengths", "diff 0-d", "cumprod dim"])
def test_structure_errors_name_the_op_and_the_fix(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---- the names: function forms and the torch facade -------------------------------------------------
NAMES = ["remainder", "fmod", "floor_divide", "floor", "ceil", "trunc", "frac", "log2", "log10", "exp2", "sinh",
         "cosh", "asin", "acos", "atan", "atan2", "erf", "hypot", "logical_and", "logical_or", "logical_not",
         "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "narrow", "roll", "diag", "triu",
         "tril", "trace", "cumprod", "diff", "unique", "count_nonzero", "median", "einsum"]


@pytest.mark.parametrize("name", NAMES)
def test_function_forms_exist_where_pytorch_has_them(torch, name):
    import tinygrad_lr.torch as facade
    assert hasattr(torch, name)
    assert getattr(facade, name) is getattr(tinygrad_lr, name)
