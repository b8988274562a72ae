"""The surface without gradients (or with PyTorch's special rules), against PyTorch: // and integer %,
rounding of integers, logical and bitwise operators, in-place methods and their rules, new_* constructors,
introspection, unique, count_nonzero, median's ties, and the errors, each one line naming op, dtype or shape
and the fix.

The differentiable ops of the same surface are catalog entries (tests/_catalog_surface.py): forward, finite
differences at first and second order, and PyTorch parity come from there.
"""
import numpy as np
import pytest

import tinygrad_lr
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
