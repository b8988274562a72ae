"""Making tensors: from data (``tensor``, ``from_numpy``), filled (``zeros``, ``full``, ``arange``) or random.

Dtypes follow PyTorch: Python floats become the default dtype (float32, see
``set_default_dtype``), Python ints int64, Python bools bool; NumPy arrays keep
their dtype.  Every function makes a new, writable array, 0-d ones included.
"""
import operator

import numpy as np

from ..core import batching, dtypes, random
from ..core.arrays import check_device as _check_device
from ..core.tensor import Tensor, array_from
from .out import accepts_out


def _leaf(arr, requires_grad):
    if type(arr) is not np.ndarray:  # NumPy arithmetic on 0-d arrays gives read-only scalars
        arr = np.asarray(arr)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, requires_grad=False, *, device=None):
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array, a Tensor).

    Example::

        >>> tensor([[1., 2.]], requires_grad=True)
        tensor([[1., 2.]], requires_grad=True)
    """
    _check_device(device, "tensor")
    return _leaf(array_from(data, dtype, "tensor"), requires_grad)


def from_numpy(array):
    """A tensor sharing memory with ``array`` (no copy: a ``np.memmap`` stays on disk)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}")
    if array.dtype not in dtypes._NAMES:
        raise TypeError(f"from_numpy: unsupported dtype {array.dtype}; supported: "
                        + ", ".join(sorted(dtypes._NAMES.values())))
    return Tensor._make(array)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor``, but shares memory with a NumPy array (or a Tensor) when no conversion is needed."""
    _check_device(device, "as_tensor")
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)):
        return data
    if isinstance(data, np.ndarray) and data.dtype in dtypes._NAMES and (dtype is None or data.dtype == np.dtype(dtype)):
        return Tensor._make(data)
    return tensor(data, dtype=dtype)


def _size(size, op, keyword=None):
    """The shape asked for: sizes one by one (2, 3), one tuple or list ((2, 3)), or ``size=(2, 3)`` (``keyword``)."""
    if keyword is not None:
        if size:
            raise TypeError(f"{op}: give the size once, as {op}(2, 3) or as {op}(size=(2, 3)), not both")
        size = (keyword,)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0 for n in size):
        raise ValueError(f"{op}: sizes must be non-negative integers, got {tuple(size)}")
    return tuple(int(n) for n in size)


def _filled(op, size, value, dtype, requires_grad, device=None, keyword=None):
    _check_device(device, op)
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, (complex, np.complexfloating)):  # NumPy would keep the real part (a ComplexWarning)
        raise TypeError(f"{op}: the fill value {value!r} is complex, which is not supported: tensors hold bool, "
                        "int or float numbers; fill with its .real part (or abs())")
    dt = dtypes.to_dtype(dtype, op) or dtypes._DEFAULT_FOR_PYTHON.get(type(value), dtypes.get_default_dtype())
    return _leaf(np.full(_size(size, op, keyword), value, dtype=dt), requires_grad)


@accepts_out("zeros", creation=True)
def zeros(*sizes, size=None, dtype=None, requires_grad=False, device=None):
    """A tensor of zeros, of the default dtype (float32) unless ``dtype`` says otherwise."""
    return _filled("zeros", sizes, 0.0, dtype, requires_grad, device, size)


@accepts_out("ones", creation=True)
def ones(*sizes, size=None, dtype=None, requires_grad=False, device=None):
    return _filled("ones", sizes, 1.0, dtype, requires_grad, device, size)


def full(size, fill_value, dtype=None, requires_grad=False, *, device=None):
    """A tensor filled with one value; its dtype follows the value (1.0 → float32, 1 → int64)."""
    size = (size,) if isinstance(size, (int, np.integer)) else size
    return _filled("full", (size,), fill_value, dtype, requires_grad, device)


def empty(*sizes, size=None, dtype=None, requires_grad=False, device=None):
    return _filled("empty", sizes, 0.0, dtype, requires_grad, device, size)


def zeros_like(t, dtype=None, requires_grad=False, *, device=None):
    return _filled("zeros_like", t.shape, 0, dtype or t.dtype, requires_grad, device)


def ones_like(t, dtype=None, requires_grad=False, *, device=None):
    return _filled("ones_like", t.shape, 1, dtype or t.dtype, requires_grad, device)


def full_like(t, fill_value, dtype=None, requires_grad=False, *, device=None):
    return _filled("full_like", t.shape, fill_value, dtype or t.dtype, requires_grad, device)


def empty_like(t, dtype=None, requires_grad=False, *, device=None):
    return _filled("empty_like", t.shape, 0, dtype or t.dtype, requires_grad, device)


@accepts_out("arange", creation=True, warn_resize=True)
def arange(start, end=None, step=1, dtype=None, requires_grad=False, *, device=None):
    """[start, start+step, …) up to ``end`` (excluded); int64 for integers, the default dtype otherwise."""
    _check_device(device, "arange")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(f"arange: the range from {start} to {end} with step {step} is empty in the wrong "
                         "direction; use a step of the opposite sign")
    all_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    dt = dtypes.to_dtype(dtype, "arange") or (dtypes.int64 if all_int else dtypes.get_default_dtype())
    return _leaf(np.arange(start, end, step).astype(dt), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False, *, device=None):
    _check_device(device, "linspace")
    dt = dtypes.to_dtype(dtype, "linspace") or dtypes.get_default_dtype()
    return _leaf(np.linspace(start, end, steps).astype(dt), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False, *, device=None):
    _check_device(device, "eye")
    return _leaf(np.eye(n, m, dtype=dtypes.to_dtype(dtype, "eye") or dtypes.get_default_dtype()), requires_grad)


# ---- random (all from the one seeded generator, see random.py) ----------------
@accepts_out("randn", creation=True)
def randn(*sizes, size=None, dtype=None, requires_grad=False, generator=None, device=None):
    """Samples of the standard normal N(0, 1): ``randn(2, 3)``, ``randn((2, 3))`` or ``randn(size=(2, 3))``."""
    _check_device(device, "randn")
    order, batch = batching.random_batch("randn")  # (inside vmap: see core/batching.py)
    shape = batch + _size(sizes, "randn", size)
    return batching.tag(_leaf(random._normal_array(0.0, 1.0, shape, dtype, generator), requires_grad), order)


@accepts_out("rand", creation=True)
def rand(*sizes, size=None, dtype=None, requires_grad=False, generator=None, device=None):
    """Samples of the uniform U(0, 1), sized as ``randn``'s."""
    _check_device(device, "rand")
    order, batch = batching.random_batch("rand")  # (inside vmap: see core/batching.py)
    shape = batch + _size(sizes, "rand", size)
    return batching.tag(_leaf(random._uniform_array(0.0, 1.0, shape, dtype, generator), requires_grad), order)


def randn_like(t, dtype=None, requires_grad=False, *, generator=None, device=None):
    """``randn`` of ``t``'s shape and dtype."""
    return randn(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, generator=generator, device=device)


def rand_like(t, dtype=None, requires_grad=False, *, generator=None, device=None):
    """``rand`` of ``t``'s shape and dtype."""
    return rand(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, generator=generator, device=device)


def normal(mean, std, size=None, *, dtype=None, requires_grad=False, generator=None, device=None):
    """Samples of N(mean, std²): ``normal(0, 0.01, (1000, 2))``.

    ``mean`` and ``std`` may also be tensors (element-wise parameters; then ``size`` is their shape).
    """
    _check_device(device, "normal")
    order, batch = batching.random_batch("normal")  # (inside vmap: see core/batching.py)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        dt = dtype or next(t.dtype for t in (mean, std) if isinstance(t, Tensor))
        z = random._normal_array(0.0, 1.0, shape, dt, generator)
        if np.any(np.asarray(s) < 0):
            raise ValueError("normal: std must be >= 0")
        return batching.tag(_leaf((z * s + m).astype(dt), requires_grad), batching.union((mean, std))[0])
    if size is None:
        raise TypeError("normal: with numbers for mean and std, pass size, e.g. normal(0, 1, (3, 2))")
    size = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    shape = batch + _size(size, "normal")
    return batching.tag(_leaf(random._normal_array(mean, std, shape, dtype, generator), requires_grad), order)


def _randint_bounds(op, args, low, high, size):
    """low, high and size from PyTorch's two forms: ``(high, size)`` and ``(low, high, size)``, by position or
    by keyword (``randint(10, (3,))``, ``randint(0, 10, size=(3,))``, ``randint(high=10, size=(3,))``)."""
    given = {"low": low, "high": high, "size": size}
    three = len(args) == 3 or low is not None or len(args) + (high is not None) + (size is not None) == 3
    names = ("low", "high", "size") if three else ("high", "size")
    if len(args) > len(names):
        raise TypeError(f"{op}: takes (high, size) or (low, high, size), got {len(args)} positional arguments")
    for name, value in zip(names, args):
        if given[name] is not None:
            raise TypeError(f"{op}: got {name} twice, by position and as {name}=")
        given[name] = value
    missing = [name for name in names if given[name] is None]
    if missing:
        raise TypeError(f"{op}: missing {' and '.join(missing)}; pass (high, size) or (low, high, size), "
                        f"e.g. {op}(10, (3,)) or {op}(0, 10, (3,))")
    return (0 if given["low"] is None else given["low"]), given["high"], given["size"]


def _integer(op, name, value):
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{op}: {name} must be an integer, got {type(value).__name__} {value!r}")
    return operator.index(value)


def _randint_array(op, low, high, shape, dtype, generator):
    """Integers uniformly from [low, high), in ``dtype`` (int64 by default), which must hold low and high − 1."""
    low, high = _integer(op, "low", low), _integer(op, "high", high)
    if low >= high:
        raise RuntimeError(f"{op}: low must be smaller than high (integers from low to high - 1 are drawn), "
                           f"got low = {low} and high = {high}")
    dt = dtypes.to_dtype(dtype, op) or dtypes.int64
    if dt.kind in "biu":
        info = np.iinfo(dt) if dt.kind != "b" else np.iinfo(np.uint8)
        top = 1 if dt.kind == "b" else info.max
        if low < info.min or high - 1 > top:
            raise RuntimeError(f"{op}: the range [{low}, {high}) does not fit dtype {dtypes.dtype_name(dt)} "
                               f"(values {info.min} … {top}); use a larger dtype, e.g. int64")
    return random._rng(generator).integers(low, high, shape, dtype=np.int64).astype(dt)


@accepts_out("randint", creation=True)
def randint(*args, low=None, high=None, size=None, generator=None, dtype=None, requires_grad=False, device=None):
    """Integers drawn uniformly from [low, high) (low = 0 by default), int64 unless ``dtype`` says otherwise:
    ``randint(10, (3,))``, ``randint(0, 10, (2, 2))``, ``randint(high=10, size=(3,))``."""
    _check_device(device, "randint")
    low, high, size = _randint_bounds("randint", args, low, high, size)
    if isinstance(size, (int, np.integer)):
        raise TypeError(f"randint: size must be a tuple of ints, got {size!r}; write ({size},)")
    order, batch = batching.random_batch("randint")  # (inside vmap: see core/batching.py)
    shape = batch + _size((size,), "randint")
    return batching.tag(_leaf(_randint_array("randint", low, high, shape, dtype, generator), requires_grad), order)


def randint_like(input, *args, low=None, high=None, dtype=None, requires_grad=False, generator=None,  # noqa: A002
                 device=None):
    """``randint`` of ``input``'s shape and dtype: ``randint_like(x, 10)`` or ``randint_like(x, 0, 10)``."""
    _check_device(device, "randint_like")
    low, high, _ = _randint_bounds("randint_like", args, low, high, input.shape)
    order, batch = batching.random_batch("randint_like")  # (inside vmap: see core/batching.py)
    return batching.tag(_leaf(_randint_array("randint_like", low, high, batch + tuple(input.shape),
                                             dtype or input.dtype, generator), requires_grad), order)


def randperm(n, *, dtype=None, generator=None, device=None):
    """A random permutation of 0 … n−1."""
    _check_device(device, "randperm")
    dt = dtypes.to_dtype(dtype, "randperm") or dtypes.int64
    order, batch = batching.random_batch("randperm")  # (inside vmap: see core/batching.py)
    if order:  # one permutation per sample
        rows = np.broadcast_to(np.arange(n), batch + (n,))
        return batching.tag(_leaf(random._rng(generator).permuted(rows, axis=-1).astype(dt), False), order)
    return _leaf(random._rng(generator).permutation(n).astype(dt), False)


def multinomial(input, num_samples, replacement=False, *, generator=None):  # noqa: A002  (PyTorch's names)
    """Indices of categories drawn with probabilities proportional to each row of ``input``: int64, of shape
    (num_samples,) for 1-d weights or (rows, num_samples) for 2-d ones; the weights need not sum to 1.

    Without replacement no index repeats within a row (see ``random._multinomial_array`` for how).  The
    draws come from ``generator`` or the global generator: the same seed gives the same draws.

    Example::

        >>> probs = tensor([0.1, 0.0, 0.9])
        >>> multinomial(probs, 4, replacement=True)        # e.g. tensor([2, 2, 0, 2])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial: input must be a tensor of probabilities, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"multinomial: the probabilities must be a floating tensor, got "
                           f"{dtypes.dtype_name(input.dtype)} of shape {tuple(input.shape)}; convert them "
                           "with .float()")
    batching.random_batch("multinomial")  # (inside vmap: an error unless vmap's randomness allows it)
    if input._levels:  # inside vmap: each sample's rows drawn from as rows of one batch
        data = input._data
        rows = random._multinomial_array(data.reshape(-1, data.shape[-1]), num_samples, replacement, generator)
        return batching.tag(_leaf(rows.reshape(data.shape[:-1] + (num_samples,)), False), input._levels)
    return _leaf(random._multinomial_array(input._data, num_samples, replacement, generator), False)


# ---- the Tensor methods: sampling --------------------------------------------------------------------------
class CreationMethods:
    """Tensor's methods for sampling.

    ``tinygrad_lr/ops/__init__.py`` attaches them to ``Tensor``; each calls this module's function that does
    the work.
    """

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """Indices drawn with probabilities proportional to each row of this tensor (int64, no gradient)."""
        return multinomial(self, num_samples, replacement, generator=generator)
