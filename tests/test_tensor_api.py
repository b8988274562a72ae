"""The Tensor's public surface: creation, dtypes, repr, conversions, memory sharing, comparisons."""
import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr import tensor
from conftest import optional


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
