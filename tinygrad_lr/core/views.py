"""Views: tensors that share memory with another tensor, and writes into them.

``v = h[0:2]``, ``h.T``, ``h.reshape(...)`` are *views*: NumPy arrays over ``h``'s memory, so
``v += 1`` changes ``h`` too, as in PyTorch.  When such a write is recorded (something in it
requires grad), autograd must see it as well:

- the *base* (the tensor that owns the memory, here ``h``) gets a new node, ``CopySlices``:
  "h with the part v replaced by the new values".  Its backward sends g to the old h with zeros
  in that part, and g's part to the new values (see ``primitives.CopySlices``);
- every view of the base is rebuilt from the base when it is next used (``refresh``), so that its
  ``grad_fn`` goes through the base's new node.

So that the part can be found again, a view remembers ``_view = (base, steps, base's grad_fn then,
recorded)``: ``steps`` are the view ops (``Index``, ``Reshape``, ``Transpose``, ``Permute``,
``Expand``, each with its arguments) that lead from the base to the view.

Every write bumps the memory's version counter (shared by the base and its views), so a node that
saved the old values refuses to run backward instead of giving a wrong gradient.
"""
import numpy as np

from . import grad_mode


def share_memory(out, args, cls, kwargs):
    """``out`` (an op's result) shares memory with an input: give it that input's version counter, and,
    when the op is a view op, remember how to get from the base to ``out``."""
    owner = _owner(out._data)
    for a in args:
        if isinstance(a, type(out)) and _owner(a._data) is owner:  # (a Tensor, as out is)
            out._vc = a._vc
            if cls.is_view:
                if a._view is None:
                    base, steps = a, ()
                else:
                    base, steps = a._view[0], a._view[1]
                out._view = (base, steps + ((cls, kwargs),), base.grad_fn, grad_mode._enabled)
                base._has_views = True
            return


def fresh(v):
    """Make sure view ``v``'s node goes through its base's current node (see refresh)."""
    if v._view is not None and v._view[0].grad_fn is not v._view[2]:
        refresh(v)


def _owner(array):
    """The array that owns ``array``'s memory (NumPy points every view's ``base`` at it)."""
    while array.base is not None and isinstance(array.base, np.ndarray):
        array = array.base
    return array


def refresh(v):
    """Rebuild view ``v``'s node from its base, whose node changed since (it was written in place)."""
    base, steps, _, recorded = v._view
    t = base
    if recorded:
        with grad_mode.enable_grad():
            for cls, kwargs in steps:
                t = cls.apply(t, **kwargs)
        v.grad_fn, v._requires_grad = t.grad_fn, t._requires_grad
    v._view = (base, steps, base.grad_fn, recorded)


def is_shared(x):
    """True when other tensors see x's memory (x is a view, or has views): a write must go into that memory."""
    return x._view is not None or x._has_views
