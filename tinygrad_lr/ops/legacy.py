"""PyTorch's legacy tensor types: ``FloatTensor``, ``DoubleTensor``, ``HalfTensor``, ``LongTensor``,
``IntTensor``, ``ByteTensor``, ``BoolTensor``.

Old PyTorch code still uses them three ways, and each works as in PyTorch:

- as constructors: ``FloatTensor([1, 2])`` holds the data as float32; ``FloatTensor(2, 3)`` (sizes, or a
  ``Size``) is a tensor of that shape (uninitialised in PyTorch; zeros here); ``FloatTensor()`` is empty;
- as types: ``isinstance(x, FloatTensor)`` is True for a float32 tensor (there is one Tensor class: the
  test is on the dtype, as in PyTorch, where ``type(x)`` is ``torch.Tensor`` too);
- as names of dtypes: ``x.type(FloatTensor)`` converts, ``x.type()`` gives ``'torch.FloatTensor'``
  (each type carries its ``dtype``, which is what NumPy and ``Tensor.to`` read).
"""
import numpy as np

from ..core import dtypes
from ..core.arrays import Size, check_device
from ..core.tensor import Tensor, array_from


class _LegacyType(type):
    """The metaclass of the legacy types: calling one makes a Tensor, ``isinstance`` tests the dtype."""

    def __call__(cls, *args, device=None):
        check_device(device, cls.__name__)
        if len(args) == 1 and isinstance(args[0], Size) or args and all(_is_size(a) for a in args):
            shape = tuple(args[0]) if isinstance(args[0], Size) else args
            if any(n < 0 for n in shape):
                raise RuntimeError(f"{cls.__name__}: sizes must be >= 0, got {tuple(shape)}")
            return Tensor._make(np.zeros(tuple(int(n) for n in shape), dtype=cls.dtype))
        if len(args) > 1:
            raise TypeError(f"{cls.__name__}: takes sizes ({cls.__name__}(2, 3)) or one sequence of data "
                            f"({cls.__name__}([1, 2])), got {args!r}")
        if not args:
            return Tensor._make(np.zeros(0, dtype=cls.dtype))
        data = args[0]
        if isinstance(data, Tensor):
            if data.dtype != cls.dtype:
                raise TypeError(f"{cls.__name__}: got a {dtypes.dtype_name(data.dtype)} tensor; a "
                                f"{cls.__name__} holds {dtypes.dtype_name(cls.dtype)}: convert it with "
                                f".to({dtypes.dtype_name(cls.dtype)})")
            return data
        if not isinstance(data, (list, tuple, np.ndarray)):
            raise TypeError(f"{cls.__name__}: data must be a sequence (a list or an array), got "
                            f"{type(data).__name__} {data!r}; write {cls.__name__}([{data!r}])")
        return Tensor._make(array_from(data, cls.dtype, cls.__name__))

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"


def _is_size(a):
    return isinstance(a, (int, np.integer)) and not isinstance(a, bool)


def _legacy(dtype):
    name = dtypes.type_name(dtype)[len("torch."):]
    doc = (f"``{name}(data)``: a {dtypes.dtype_name(dtype)} tensor of the data; ``{name}(*sizes)``: one of that "
           f"shape (zeros); ``isinstance(x, {name})``: x is a {dtypes.dtype_name(dtype)} tensor.")
    return _LegacyType(name, (), {"dtype": dtype, "__doc__": doc, "__module__": __name__})


FloatTensor = _legacy(dtypes.float32)
DoubleTensor = _legacy(dtypes.float64)
HalfTensor = _legacy(dtypes.float16)
LongTensor = _legacy(dtypes.int64)
IntTensor = _legacy(dtypes.int32)
ShortTensor = _legacy(dtypes.int16)
CharTensor = _legacy(dtypes.int8)
ByteTensor = _legacy(dtypes.uint8)
BoolTensor = _legacy(dtypes.bool_)
