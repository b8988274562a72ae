"""The small things PyTorch programs touch besides the math: sizes, devices, the default dtype, type
names, whole-tensor comparisons, and writable 0-d tensors from every creation function.

These live in the main package, so ``import tinygrad_lr`` and ``import tinygrad_lr.torch`` both have them.
"""
import inspect

import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr.ops import creation
from conftest import optional


@pytest.fixture(scope="module")
def torch():
    return optional("torch")


@pytest.fixture
def default_float64():
    """set_default_dtype(float64) for one test, then float32 again (also after a failure)."""
    tinygrad_lr.set_default_dtype(tinygrad_lr.float64)
    try:
        yield
    finally:
        tinygrad_lr.set_default_dtype(tinygrad_lr.float32)


# ---- 0-d tensors are writable, whatever made them -----------------------------------------------------
t0 = tinygrad_lr.tensor(1.5)
ZERO_D = {  # every creation function, asked for a 0-d tensor (or the smallest it makes)
    "tensor": lambda: tinygrad_lr.tensor(1.5),
    "as_tensor": lambda: tinygrad_lr.as_tensor(1.5),
    "from_numpy": lambda: tinygrad_lr.from_numpy(np.array(1.5, np.float32)),
    "zeros": lambda: tinygrad_lr.zeros(()),
    "ones": lambda: tinygrad_lr.ones(size=()),
    "full": lambda: tinygrad_lr.full((), 2.0),
    "empty": lambda: tinygrad_lr.empty(()),
    "zeros_like": lambda: tinygrad_lr.zeros_like(t0),
    "ones_like": lambda: tinygrad_lr.ones_like(t0),
    "full_like": lambda: tinygrad_lr.full_like(t0, 3.0),
    "empty_like": lambda: tinygrad_lr.empty_like(t0),
    "arange": lambda: tinygrad_lr.arange(1.0),
    "linspace": lambda: tinygrad_lr.linspace(0, 1, 1),
    "eye": lambda: tinygrad_lr.eye(1),
    "randn": lambda: tinygrad_lr.randn(()),
    "rand": lambda: tinygrad_lr.rand(()),
    "normal": lambda: tinygrad_lr.normal(0, 1, ()),
    "normal of tensors": lambda: tinygrad_lr.normal(tinygrad_lr.tensor(0.0), tinygrad_lr.tensor(1.0)),
    "randn_like": lambda: tinygrad_lr.randn_like(t0),
    "rand_like": lambda: tinygrad_lr.rand_like(t0),
    "randint": lambda: tinygrad_lr.randint(0, 5, ()),
    "randint_like": lambda: tinygrad_lr.randint_like(t0, 5),
    "multinomial": lambda: tinygrad_lr.multinomial(tinygrad_lr.tensor([1.0]), 1),
    "randperm": lambda: tinygrad_lr.randperm(1),
}


def test_the_zero_d_cases_cover_every_creation_function():
    functions = {name for name, f in vars(creation).items()
                 if inspect.isfunction(f) and f.__module__ == creation.__name__ and not name.startswith("_")}
    assert functions <= {name.split()[0] for name in ZERO_D}, f"not checked: {functions - set(ZERO_D)}"


@pytest.mark.parametrize("name", list(ZERO_D))
def test_every_creation_function_makes_a_writable_array(name):
    t = ZERO_D[name]()
    assert isinstance(t.numpy(), np.ndarray) and t.numpy().flags.writeable
    with tinygrad_lr.no_grad():
        t += 1
    t.zero_()


@pytest.mark.parametrize("make", [lambda: tinygrad_lr.randn(()), lambda: tinygrad_lr.rand(()),
                                  lambda: tinygrad_lr.normal(0, 1, ())], ids=["randn", "rand", "normal"])
def test_sgd_on_a_0d_random_parameter(make):
    """The bug: ``a -= lr * a.grad`` on randn(()) was refused as 'read-only (a DataLoader batch ...)'."""
    a = make().requires_grad_()
    before = a.item()
    (a * a).backward()
    with tinygrad_lr.no_grad():
        a -= 0.1 * a.grad
    assert a.item() == pytest.approx(0.8 * before)


# ---- size= keywords -----------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [tinygrad_lr.randn, tinygrad_lr.rand, tinygrad_lr.zeros, tinygrad_lr.ones,
                                  tinygrad_lr.empty], ids=lambda f: f.__name__)
def test_sizes_one_by_one_as_a_tuple_or_as_the_size_keyword(make):
    for t in (make(2, 3), make((2, 3)), make([2, 3]), make(size=(2, 3)), make(tinygrad_lr.Size([2, 3]))):
        assert t.shape == (2, 3) and t.dtype == tinygrad_lr.float32
    assert make(size=4).shape == (4,)
    assert make(2, 3, dtype=tinygrad_lr.float64).dtype == tinygrad_lr.float64
    with pytest.raises(TypeError, match=rf"{make.__name__}: give the size once"):
        make(2, size=(2, 3))


def test_normal_takes_size_as_a_keyword():
    assert tinygrad_lr.normal(0, 0.01, size=(1000, 2)).shape == (1000, 2)
    assert tinygrad_lr.normal(mean=1.0, std=2.0, size=(3,)).shape == (3,)


def test_the_keyword_spellings_are_pytorchs(torch):
    for name in ("randn", "rand", "zeros", "ones", "empty"):
        assert tuple(getattr(torch, name)(size=(2, 3)).shape) == getattr(tinygrad_lr, name)(size=(2, 3)).shape
    assert tuple(torch.normal(0, 1, size=(2,)).shape) == tinygrad_lr.normal(0, 1, size=(2,)).shape


# ---- the default dtype --------------------------------------------------------------------------------
DEFAULTED = {  # what the default dtype decides
    "tensor(1.5)": lambda lib: lib.tensor(1.5),
    "tensor([1., 2.])": lambda lib: lib.tensor([1.0, 2.0]),
    "zeros": lambda lib: lib.zeros(2),
    "ones": lambda lib: lib.ones(2),
    "empty": lambda lib: lib.empty(2),
    "full float": lambda lib: lib.full((2,), 1.5),
    "randn": lambda lib: lib.randn(2),
    "rand": lambda lib: lib.rand(2),
    "normal": lambda lib: lib.normal(0.0, 1.0, (2,)),
    "arange float": lambda lib: lib.arange(0.5, 2),
    "linspace": lambda lib: lib.linspace(0, 1, 3),
    "eye": lambda lib: lib.eye(2),
    "int tensor * 2.5": lambda lib: lib.tensor([1, 2]) * 2.5,
    "int / int": lambda lib: lib.tensor([1, 2]) / lib.tensor([2, 2]),
    "exp(int)": lambda lib: lib.exp(lib.tensor([1, 2])),
    "int ** 0.5": lambda lib: lib.tensor([1, 4]) ** 0.5,
    "2.0 ** int": lambda lib: 2.0 ** lib.tensor([1, 2]),
    "logsumexp(int)": lambda lib: lib.logsumexp(lib.tensor([1, 2]), 0),
    "nn.Linear weight": lambda lib: lib.nn.Linear(2, 1).weight,
    "nn.Linear bias": lambda lib: lib.nn.Linear(2, 1).bias,
}
KEPT = {  # what it does not decide
    "tensor([1, 2])": lambda lib: lib.tensor([1, 2]),
    "arange int": lambda lib: lib.arange(3),
    "full int": lambda lib: lib.full((2,), 1),
    "float32 tensor * 2.5": lambda lib: lib.tensor([1.0], dtype=lib.float32) * 2.5,
    "zeros_like float32": lambda lib: lib.zeros_like(lib.ones(2, dtype=lib.float32)),
    "tensor of a float32 array": lambda lib: lib.tensor(np.ones(2, np.float32)),
}


def test_the_default_dtype_is_float32():
    assert tinygrad_lr.get_default_dtype() == tinygrad_lr.float32
    assert all(f(tinygrad_lr).dtype == tinygrad_lr.float32 for f in DEFAULTED.values())


def test_set_default_dtype_float64_and_back(default_float64):
    assert tinygrad_lr.get_default_dtype() == tinygrad_lr.float64
    for name, f in DEFAULTED.items():
        assert f(tinygrad_lr).dtype == tinygrad_lr.float64, name
    tinygrad_lr.set_default_dtype(tinygrad_lr.float32)
    for name, f in DEFAULTED.items():
        assert f(tinygrad_lr).dtype == tinygrad_lr.float32, name


def test_the_default_dtype_decides_what_it_decides_in_pytorch(torch, default_float64):
    torch.set_default_dtype(torch.float64)
    try:
        for name, f in {**DEFAULTED, **KEPT}.items():
            assert str(f(tinygrad_lr).dtype) == str(f(torch).dtype).replace("torch.", ""), name
    finally:
        torch.set_default_dtype(torch.float32)


def test_a_tensor_prints_its_dtype_only_when_it_is_not_the_default_as_in_pytorch(torch, default_float64):
    torch.set_default_dtype(torch.float64)
    try:
        for make in (lambda lib: lib.tensor([1.5, 2.0]), lambda lib: lib.tensor([1.5], dtype=lib.float32),
                     lambda lib: lib.tensor([1, 2]), lambda lib: lib.zeros(0)):
            assert repr(make(tinygrad_lr)) == repr(make(torch)).replace("torch.", "tinygrad_lr.")
    finally:
        torch.set_default_dtype(torch.float32)


def test_only_float32_and_float64_can_be_the_default():
    with pytest.raises(TypeError, match="set_default_dtype: only float32 and float64 can be the default type, got int64"):
        tinygrad_lr.set_default_dtype(tinygrad_lr.int64)
    with pytest.raises(TypeError, match="set_default_dtype: dtype='x' is not a data type"):
        tinygrad_lr.set_default_dtype("x")
    assert tinygrad_lr.get_default_dtype() == tinygrad_lr.float32


# ---- devices ------------------------------------------------------------------------------------------
def test_device_objects_print_and_compare_as_pytorchs(torch):
    for args in (("cpu",), ("cuda",), ("cuda:1",), ("cuda", 0), ("cpu", 0)):
        ours, theirs = tinygrad_lr.device(*args), torch.device(*args)
        assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
        assert (ours.type, ours.index) == (theirs.type, theirs.index)
    assert tinygrad_lr.device("cpu") == tinygrad_lr.device("cpu") != tinygrad_lr.device("cuda")
    d = tinygrad_lr.device("cpu")
    assert tinygrad_lr.device(d) is d


def test_bad_device_strings_are_errors():
    with pytest.raises(RuntimeError, match="device: expected one of cpu, cuda, mps, xpu, meta at the start of the "
                                           "device string, got 'gpu'"):
        tinygrad_lr.device("gpu")
    with pytest.raises(RuntimeError, match="device: invalid device string 'cuda:x'"):
        tinygrad_lr.device("cuda:x")
    with pytest.raises(TypeError, match="device: expected a device name such as 'cpu' or 'cuda:0', got 3.5"):
        tinygrad_lr.device(3.5)


def test_a_cpu_device_object_is_accepted_wherever_a_device_is():
    cpu = tinygrad_lr.device("cpu")
    t = tinygrad_lr.zeros(2, device=cpu)
    assert t.device == cpu and t.device == "cpu" and repr(t.device) == "device(type='cpu')"
    assert tinygrad_lr.tensor([1.0], device=cpu).device == cpu
    assert tinygrad_lr.randn(2, device=cpu).shape == (2,)
    assert t.to(cpu) is t and t.to(device=cpu) is t and t.cpu() is t
    net = tinygrad_lr.nn.Linear(2, 1)
    assert net.to(cpu) is net
    device = tinygrad_lr.device("cuda" if tinygrad_lr.cuda.is_available() else "cpu")  # the usual idiom
    assert device == cpu and tinygrad_lr.ones(1).to(device).device == cpu


def test_a_cuda_device_is_refused_where_it_would_be_used():
    cuda = tinygrad_lr.device("cuda")
    msg = r"computes with NumPy on the CPU only, so device='cuda' is not available"
    with pytest.raises(RuntimeError, match="to: tinygrad_lr " + msg):
        tinygrad_lr.zeros(2).to(cuda)
    with pytest.raises(RuntimeError, match="zeros: tinygrad_lr " + msg):
        tinygrad_lr.zeros(2, device=cuda)
    with pytest.raises(RuntimeError, match="Module.to: tinygrad_lr " + msg):
        tinygrad_lr.nn.Linear(1, 1).to(cuda)
    with pytest.raises(RuntimeError, match="set_default_device: tinygrad_lr " + msg):
        tinygrad_lr.set_default_device("cuda")


def test_set_default_device_cpu_and_the_cuda_namespace():
    tinygrad_lr.set_default_device("cpu")
    tinygrad_lr.set_default_device(tinygrad_lr.device("cpu"))
    assert tinygrad_lr.get_default_device() == tinygrad_lr.device("cpu")
    assert tinygrad_lr.cuda.is_available() is False and tinygrad_lr.cuda.device_count() == 0
    assert tinygrad_lr.cuda.manual_seed(0) is None and tinygrad_lr.cuda.manual_seed_all(0) is None


# ---- torch.Size ---------------------------------------------------------------------------------------
def test_shape_and_size_are_a_size_that_prints_as_pytorchs(torch):
    t, ref = tinygrad_lr.zeros(2, 3), torch.zeros(2, 3)
    for ours, theirs in ((t.shape, ref.shape), (t.size(), ref.size()), (tinygrad_lr.tensor(1.0).shape, ref[0, 0].shape)):
        assert isinstance(ours, tinygrad_lr.Size) and isinstance(ours, tuple)
        assert repr(ours) == repr(theirs) and str(ours) == str(theirs) and f"{ours}" == f"{theirs}"
        assert ours.numel() == theirs.numel()
    assert repr(tinygrad_lr.Size([2, 3])) == "torch.Size([2, 3])" and tinygrad_lr.Size([]).numel() == 1


def test_a_size_is_the_tuple():
    s = tinygrad_lr.zeros(2, 3).shape
    assert s == (2, 3) and (2, 3) == s and s != (3, 2) and hash(s) == hash((2, 3)) and {s: 1}[(2, 3)] == 1
    n, d = s
    assert (n, d) == (2, 3) and s[-1] == 3 and len(s) == 2 and list(s) == [2, 3]
    assert tinygrad_lr.zeros(2, 3).size(1) == 3 and type(tinygrad_lr.zeros(2, 3).size(1)) is int
    assert np.zeros(s).shape == (2, 3) and tinygrad_lr.zeros(s).shape == s


# ---- type names and .to ---------------------------------------------------------------------------------
DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


@pytest.mark.parametrize("name", DTYPES)
def test_type_names_the_dtype_as_pytorch(torch, name):
    ours = tinygrad_lr.zeros(2).to(getattr(tinygrad_lr, name))
    assert ours.type() == torch.zeros(2).to(getattr(torch, name)).type()
    assert tinygrad_lr.zeros(2).type(ours.type()).dtype == ours.dtype


def test_type_converts_with_a_dtype_or_a_name_and_the_gradient_flows():
    x = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    y = x.type(tinygrad_lr.float64)
    assert y.dtype == tinygrad_lr.float64 and x.type(tinygrad_lr.float32) is x
    assert x.type("torch.DoubleTensor").dtype == tinygrad_lr.float64
    (y * y).sum().backward()
    assert x.grad.dtype == tinygrad_lr.float32 and x.grad.tolist() == [2.0, 4.0]
    with pytest.raises(ValueError, match="type: invalid type 'float64'; use a dtype"):
        x.type("float64")


def test_to_takes_pytorchs_combinations_of_device_and_dtype():
    x = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    cpu, f64 = tinygrad_lr.device("cpu"), tinygrad_lr.float64
    for y in (x.to(f64), x.to("cpu", f64), x.to(cpu, f64), x.to(cpu, dtype=f64), x.to(dtype=f64, device="cpu"),
              x.to(tinygrad_lr.zeros(1, dtype=f64)), x.to(f64, non_blocking=True)):
        assert y.dtype == f64 and y.grad_fn is not None
    assert x.to("cpu") is x and x.to(tinygrad_lr.float32) is x
    c = x.to(copy=True)
    assert c is not x and c.tolist() == x.tolist() and c.grad_fn is not None
    with pytest.raises(TypeError, match="to: dtype='x' is not a data type"):
        x.to(dtype="x")


# ---- whole-tensor comparisons ---------------------------------------------------------------------------
def test_allclose_and_equal_agree_with_pytorch(torch):
    nan, inf = float("nan"), float("inf")
    cases = [([1.0, 2.0], [1.0, 2.0 + 1e-6]), ([1.0, 2.0], [1.0, 2.1]), ([inf, 1.0], [inf, 1.0]),
             ([nan, 1.0], [nan, 1.0]), ([[1.0, 2.0], [1.0, 2.0]], [1.0, 2.0]), ([0.0], [1e-9])]
    for a, b in cases:
        for kwargs in ({}, {"equal_nan": True}, {"rtol": 0.1}, {"atol": 0.2}):
            ours = tinygrad_lr.allclose(tinygrad_lr.tensor(a), tinygrad_lr.tensor(b), **kwargs)
            assert ours is bool(torch.allclose(torch.tensor(a), torch.tensor(b), **kwargs)), (a, b, kwargs)
        assert tinygrad_lr.equal(tinygrad_lr.tensor(a), tinygrad_lr.tensor(b)) is torch.equal(torch.tensor(a), torch.tensor(b))
    assert tinygrad_lr.equal(tinygrad_lr.zeros(2), tinygrad_lr.zeros(2, dtype=tinygrad_lr.float64))
    assert torch.equal(torch.zeros(2), torch.zeros(2, dtype=torch.float64))


def test_allclose_mistakes_are_errors():
    with pytest.raises(RuntimeError, match="allclose: input is float32 but other is float64; convert one first"):
        tinygrad_lr.allclose(tinygrad_lr.zeros(2), tinygrad_lr.zeros(2, dtype=tinygrad_lr.float64))
    with pytest.raises(ValueError, match=r"allclose: shapes \(2,\) and \(3,\) do not broadcast"):
        tinygrad_lr.allclose(tinygrad_lr.zeros(2), tinygrad_lr.zeros(3))
    with pytest.raises(TypeError, match="allclose: other must be a Tensor, got list"):
        tinygrad_lr.allclose(tinygrad_lr.zeros(2), [0.0, 0.0])


def test_allclose_works_on_tensors_that_require_grad():
    x = tinygrad_lr.tensor([1.0], requires_grad=True)
    assert tinygrad_lr.allclose(x, x * 1) and tinygrad_lr.equal(x, x)


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
def test_isnan_isinf_isfinite_as_methods_and_functions(torch, name):
    values = [1.0, float("nan"), float("inf"), -float("inf"), 0.0]
    for data in (values, [1, 2]):
        ours = getattr(tinygrad_lr.tensor(data), name)()
        assert ours.dtype == tinygrad_lr.bool and not ours.requires_grad
        assert ours.tolist() == getattr(torch, name)(torch.tensor(data)).tolist()
        assert getattr(tinygrad_lr, name)(tinygrad_lr.tensor(data)).tolist() == ours.tolist()
    assert not getattr(tinygrad_lr.tensor(values, requires_grad=True), name)().requires_grad


def test_is_floating_point():
    for name in DTYPES:
        t = tinygrad_lr.zeros(1, dtype=getattr(tinygrad_lr, name))
        assert t.is_floating_point() is tinygrad_lr.is_floating_point(t) is name.startswith("float")


@pytest.mark.parametrize("values", [[[1.0, 0.0], [0.0, -2.0]], [0.0, 3.0, 0.0, 4.0], 3.0, 0.0, [[0.0]], []])
def test_nonzero_as_pytorch(torch, values):
    ours, theirs = tinygrad_lr.tensor(values), torch.tensor(values)
    for a, b in [(ours.nonzero(), theirs.nonzero()), (tinygrad_lr.nonzero(ours), torch.nonzero(theirs))]:
        assert a.dtype == tinygrad_lr.int64 and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    ours_t, theirs_t = ours.nonzero(as_tuple=True), theirs.nonzero(as_tuple=True)
    assert len(ours_t) == len(theirs_t)
    for a, b in zip(ours_t, theirs_t):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
