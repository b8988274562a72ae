"""PyTorch's ``out=`` keyword: the result written into a tensor the caller gives, which is returned.

``torch.add(a, b, out=c)`` computes ``a + b`` and copies it into ``c``'s memory, the rules being PyTorch's:

- nothing is recorded: if ``out`` or an input requires grad while grad mode is on, it is an error (do it
  under ``no_grad()``, or write ``c = a + b``);
- the result is cast to ``out``'s dtype if the cast loses no kind (float → integer and number → bool are
  errors); matrix products want exactly ``out``'s dtype; creation functions (``zeros``, ``arange``,
  ``randn`` ...) make ``out``'s dtype when no ``dtype=`` is given;
- an ``out`` of another shape is resized, with a UserWarning unless it was empty (PyTorch deprecates
  resizing one that holds elements), or unless a creation function (``zeros``, ``randn``, but not
  ``arange``) made the result, which PyTorch resizes silently;
- ``out`` counts one more change (its version counter), as after any in-place op.

``accepts_out`` gives a function this keyword, so each function that takes ``out=`` is written once.
"""
import functools
import warnings

import numpy as np

from ..core import dtypes, grad_mode
from ..core.tensor import Tensor
from . import inplace


def accepts_out(op, *, exact_dtype=False, creation=False, warn_resize=None):
    """A decorator: ``fn(..., out=None)``; with ``out`` the result of ``fn`` is written into it (see above).

    ``creation``: ``fn`` takes ``dtype=``, which defaults to out's, and resizes ``out`` silently unless
    ``warn_resize``.
    """
    warn = not creation if warn_resize is None else warn_resize

    def decorate(fn):
        @functools.wraps(fn)
        def with_out(*args, out=None, **kwargs):
            if out is None:
                return fn(*args, **kwargs)
            if not isinstance(out, Tensor):
                raise TypeError(f"{op}: out must be a Tensor, got {type(out).__name__}")
            if creation:
                kwargs["dtype"] = _creation_dtype(op, out, kwargs.get("dtype"))
            _refuse_grad(op, out, args, kwargs)
            with grad_mode.no_grad():
                result = fn(*args, **kwargs)
            return write(op, out, result, exact_dtype, warn)
        return with_out
    return decorate


def _creation_dtype(op, out, dtype):
    """``out``'s dtype, which an explicit ``dtype=`` must equal (as in PyTorch)."""
    if dtype is not None and dtypes.to_dtype(dtype, op) != out.dtype:
        raise RuntimeError(f"{op}: dtype={dtypes.dtype_name(dtype)} does not match the dtype of out "
                           f"({dtypes.dtype_name(out.dtype)}); leave dtype out, or pass an out of that dtype")
    return out.dtype


def _tensors(values):
    """The tensors among the arguments, and inside lists and tuples of them (cat, stack)."""
    for v in values:
        if isinstance(v, Tensor):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from (t for t in v if isinstance(t, Tensor))


def _refuse_grad(op, out, args, kwargs):
    if not grad_mode.is_grad_enabled():
        return
    if out.requires_grad or any(t.requires_grad for t in _tensors((*args, *kwargs.values()))):
        which = "out" if out.requires_grad else "an input"
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation, "
                           f"but one of the arguments requires grad ({which}); write y = {op}(...) without out= "
                           "to record the graph, or call it under no_grad()")


def write(op, out, result, exact_dtype=False, warn_resize=True):
    """Copy ``result`` into ``out`` (resized if its shape differs) and return ``out``."""
    have, want = out.dtype, result.dtype
    if exact_dtype and have != want:
        raise RuntimeError(f"{op}: the result is {dtypes.dtype_name(want)} but out is {dtypes.dtype_name(have)}; "
                           f"{op} writes only into an out of the result's dtype")
    if dtypes._category(want) > dtypes._category(have):
        raise RuntimeError(f"{op}: the result is {dtypes.dtype_name(want)}, which can't be cast to out's dtype "
                           f"{dtypes.dtype_name(have)} (it would lose the fraction or the value); pass an out of "
                           f"dtype {dtypes.dtype_name(want)}")
    if out.shape != result.shape:
        if out.numel() and warn_resize:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape {list(out.shape)}, which "
                f"does not match the required output shape {list(result.shape)}. This behavior is deprecated, "
                "and in a future PyTorch release outputs will not be resized unless they have zero elements. "
                f"Pass an out of shape {list(result.shape)}, or an empty one (empty(0)).", UserWarning, stacklevel=3)
        out._data = np.empty(result.shape, have)
    return inplace.overwrite(op, out, result)  # copy into out's memory, with the checks of any in-place change
