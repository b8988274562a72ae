"""``Parameter``: a tensor that a ``Module`` registers as one of its learnable weights.

Also the placeholders of the lazy modules (``nn.LazyLinear`` ..., ``lazy.py``): ``UninitializedParameter``
and ``UninitializedBuffer``, tensors with a dtype but no values and no shape yet, until ``materialize``.
"""
import numpy as np

from ..core import Tensor
from ..core import dtypes, internal
from ..core.arrays import check_device
from ..core.printing import tensor_repr


class Parameter(Tensor):
    """A leaf tensor that requires grad and is registered by the module it is assigned to.

    Assigning a ``Parameter`` as a module attribute (``self.weight = Parameter(...)``)
    adds it to ``module.parameters()``; a plain tensor is not registered.  The
    parameter shares memory with the tensor or array it is built from.

    Args:
        data: a Tensor or NumPy array holding the initial values (not copied);
            an empty float32 tensor if omitted.
        requires_grad: whether the optimizer should see gradients for it (default True).

    Example::

        >>> w = Parameter(tinygrad_lr.zeros(2, 1))
        >>> w.requires_grad, w.is_leaf
        (True, True)
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty(0, dtype=dtypes.get_default_dtype())
        elif not isinstance(data, (Tensor, np.ndarray)):
            raise TypeError(f"Parameter: data must be a Tensor or a NumPy array, got {type(data).__name__}; "
                            "wrap numbers or lists with tinygrad_lr.tensor(...) first")
        internal.init_leaf(self, data)  # shares data's memory (and a Tensor's version counter)
        if requires_grad:
            self.requires_grad_(True)  # refuses integer data, with a message that says so

    def __deepcopy__(self, memo):
        """``copy.deepcopy(model)``: a new parameter with copied values, the same requires_grad and no ``.grad``.

        As in PyTorch, the gradient stays behind (a plain tensor's deep copy takes it along): the
        copy of a model (a target network, the best model so far) starts without gradients.
        """
        copy = Parameter(internal.copy_array(self), self.requires_grad)
        memo[id(self)] = copy  # a parameter shared by two layers stays shared in the copy
        return copy

    def __repr__(self):
        return "Parameter containing:\n" + tensor_repr(self)

    __str__ = __repr__


# ---- placeholders of lazy modules --------------------------------------------------------------------------

class UninitializedError(RuntimeError, ValueError):
    """Using a parameter or buffer that has no values yet.

    Both a RuntimeError and a ValueError: PyTorch raises the first for the shape, the second for math,
    so a ported ``except`` clause catches it either way.
    """


def _no_values_error(kind):
    return UninitializedError(
        f"an uninitialized {kind} has no values yet (no shape, no data): it belongs to a lazy module "
        "(nn.LazyLinear, nn.LazyConv2d, nn.LazyBatchNorm2d, ...), which takes its sizes from its first input. "
        "Run the model once on a batch first, e.g. net(torch.zeros(1, 1, 28, 28)), then read shapes, count or "
        "initialise the parameters (net.apply(init_fn)); loading a state_dict into the model also gives them "
        "their sizes")


class _NoValues:
    """Stands where the NumPy array of an uninitialized tensor will be: it knows the dtype, and any other use
    (``.shape``, NumPy's conversion, an operator) raises ``UninitializedError``.  So every Tensor method and op
    refuses the placeholder with one message, without each having to check for it."""
    __slots__ = ("dtype", "kind")

    def __init__(self, dtype, kind):
        self.dtype, self.kind = dtype, kind

    def __getattr__(self, name):
        if name.startswith("__"):  # a protocol probe (NumPy's __array_interface__, copy's __deepcopy__): absent
            raise AttributeError(name)
        raise _no_values_error(self.kind)

    def _refuse(self, *args, **kwargs):
        raise _no_values_error(self.kind)

    __array__ = __len__ = __iter__ = __getitem__ = __setitem__ = __bool__ = __float__ = __int__ = __index__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _refuse
    __pow__ = __rpow__ = __matmul__ = __rmatmul__ = __neg__ = __abs__ = __iadd__ = __isub__ = __imul__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __hash__ = object.__hash__


class _UninitializedTensor:
    """What UninitializedParameter and UninitializedBuffer share: a dtype, no values, and ``materialize``.

    ``cls_to_become`` is the class the tensor turns into once it has values (Parameter, or Tensor).
    """
    __slots__ = ()
    cls_to_become = None
    _kind = ""

    def __init__(self, requires_grad=False, device=None, dtype=None):
        check_device(device, type(self).__name__)
        dt = dtypes.to_dtype(dtype, type(self).__name__) or dtypes.get_default_dtype()
        internal.init_leaf(self, _NoValues(dt, self._kind))
        if requires_grad:
            self.requires_grad_(True)  # refuses an integer dtype, with a message that says so

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor values of ``shape`` (zeros; the module initialises them next) and make it an ordinary
        ``cls_to_become`` — **the same object**, so an optimizer or a dict that holds it sees the values.

        ``dtype``: of the values (default: the one given at construction).
        """
        check_device(device, "materialize")
        dt = dtypes.to_dtype(dtype, "materialize") or self.dtype
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        internal.set_values(self, np.zeros(shape, dtype=dt))
        self.__class__ = self.cls_to_become

    def detach(self):
        """Refused: there are no values to share yet."""
        raise _no_values_error(self._kind)

    @property
    def data(self):
        """Refused: there are no values yet."""
        raise _no_values_error(self._kind)

    def __deepcopy__(self, memo):
        copy = type(self)(self.requires_grad, dtype=self.dtype)
        memo[id(self)] = copy
        return copy

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __str__ = __repr__


class UninitializedParameter(_UninitializedTensor, Parameter):
    """A ``Parameter`` whose shape is not known yet: a lazy module's weight before its first forward.

    It has a dtype and ``requires_grad``, but no values: reading its shape, its values or its number of
    elements, or computing with it, raises ``UninitializedError``.  ``materialize(shape)`` gives it
    values and makes it an ordinary ``Parameter``, the same object (so an optimizer built before the first
    forward updates it afterwards, as in PyTorch).

    Example::

        >>> w = UninitializedParameter()
        >>> w.materialize((2, 3))
        >>> type(w).__name__, tuple(w.shape)
        ('Parameter', (2, 3))
    """
    __slots__ = ()
    cls_to_become = Parameter
    _kind = "parameter"

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(requires_grad, device, dtype)


class UninitializedBuffer(_UninitializedTensor, Tensor):
    """A buffer whose shape is not known yet (a lazy batch norm's running statistics); ``materialize(shape)``
    makes it an ordinary ``Tensor``, the same object.  See ``UninitializedParameter``.

    ``persistent`` is accepted for PyTorch's signature; whether a buffer is saved is decided by
    ``Module.register_buffer(name, tensor, persistent)``.
    """
    __slots__ = ()
    cls_to_become = Tensor
    _kind = "buffer"

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        super().__init__(requires_grad, device, dtype)


def is_lazy(tensor):
    """True for a tensor with no values yet: an ``UninitializedParameter`` or an ``UninitializedBuffer``."""
    return isinstance(tensor, _UninitializedTensor)
