"""Conversions: ``to``, ``float()``, ``type()``, ``clone()`` and tensors made like another (``new_zeros`` ...).

A change of dtype is the primitive ``Cast`` (recorded: gradients flow back, cast to the input's dtype);
``clone`` is ``Clone``.  Converting to the dtype a tensor already has returns the tensor itself, as in PyTorch.
"""
import numpy as np

from ..core import batching, dtypes, primitives
from ..core.arrays import check_device
from ..core.tensor import Tensor
from . import creation


# ---- the Tensor methods: dtype conversions and copies (recorded, so gradients flow through), and new tensors like this one 
class ConversionMethods:
    """Tensor's methods for dtype conversions and copies (recorded, so gradients flow through), and new tensors like this one.

    ``tinygrad_lr/ops/__init__.py`` attaches them to ``Tensor``; each calls this module's function that does
    the work.
    """

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False):
        """Convert to a dtype and/or device: ``to(float64)``, ``to('cpu')``, ``to(device, dtype)``, ``to(other)``."""
        for a in args:
            if isinstance(a, str):  # a device (a name, or a device object, which is a str too)
                device = a
            else:
                dtype = a.dtype if isinstance(a, Tensor) else a
        check_device(device, "to")  # 'cpu' is fine, 'cuda' gets an error that says why
        dt = self.dtype if dtype is None else dtypes.to_dtype(dtype, "to")
        if dt == self.dtype:
            return self.clone() if copy else self
        return primitives.Cast.apply(self, dtype=dt)

    def type(self, dtype=None):
        """Without ``dtype``, its type's name ('torch.FloatTensor'); else ``to(dtype)`` (a dtype or such a name)."""
        if dtype is None:
            return dtypes.type_name(self.dtype)
        return self.to(dtypes.from_type_name(dtype, "type") if isinstance(dtype, str) else dtype)

    def is_floating_point(self):
        """True for float16, float32 and float64 tensors."""
        return dtypes.is_floating(self.dtype)

    def isnan(self):
        """x ≠ x element-wise: True where the value is NaN (a bool tensor, no gradient)."""
        return batching.like(self, np.isnan(self._data))

    def isinf(self):
        """True where the value is +inf or −inf (a bool tensor, no gradient)."""
        return batching.like(self, np.isinf(self._data))

    def isfinite(self):
        """True where the value is neither NaN nor ±inf (a bool tensor, no gradient)."""
        return batching.like(self, np.isfinite(self._data))

    def cpu(self):
        """Itself: the CPU is the only device."""
        return self

    def float(self):
        """A float32 copy (itself if already float32); recorded, so gradients flow back."""
        return self.to(dtypes.float32)

    def double(self):
        """A float64 copy (itself if already float64); recorded, so gradients flow back."""
        return self.to(dtypes.float64)

    def half(self):
        """A float16 copy (itself if already float16); recorded, so gradients flow back."""
        return self.to(dtypes.float16)

    def type_as(self, other):
        """This tensor in ``other``'s dtype (``to(other.dtype)``)."""
        return self.to(other.dtype)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """A tensor of zeros of the given size, with this tensor's dtype."""
        return creation.zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """A tensor of ones of the given size, with this tensor's dtype."""
        return creation.ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """A tensor of the given size with this tensor's dtype (its values are zeros here)."""
        return creation.empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """A tensor of the given size filled with ``fill_value``, with this tensor's dtype."""
        return creation.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A new leaf holding a copy of ``data``, with this tensor's dtype (no history)."""
        return creation.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device)

    def long(self):
        """An int64 copy (no gradient flows through integers)."""
        return self.to(dtypes.int64)

    def int(self):
        """An int32 copy."""
        return self.to(dtypes.int32)

    def bool(self):
        """A bool copy (nonzero is True)."""
        return self.to(dtypes.bool_)

    def clone(self):
        """A copy of the values; gradients flow back to the original."""
        return primitives.Clone.apply(self)

    def contiguous(self):
        """Itself: NumPy handles the memory layout."""
        return self
