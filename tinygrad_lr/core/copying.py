"""``copy.copy(t)``, ``copy.deepcopy(t)`` and pickling: PyTorch's rules, and why pickle is refused.

- ``copy.deepcopy(t)`` of a leaf: a new leaf with a copy of the values, a deep copy of ``.grad``,
  the same ``requires_grad`` (``best = copy.deepcopy(model.state_dict())`` keeps a snapshot);
- ``copy.copy(t)`` of a leaf: a new tensor over the *same* values (no copy of memory), with
  the same ``requires_grad`` and no ``.grad``: what matplotlib does to the data it is given;
- a non-leaf (a tensor computed by an op, with a ``grad_fn``) is refused by both, as PyTorch
  refuses its deepcopy: a copy cannot carry the graph, and a copy silently cut from the graph
  would stop the gradients.  ``detach()`` or ``clone()`` say which of the two is meant;
- ``pickle.dumps(t)`` is refused: ``tinygrad_lr.load`` never unpickles (unpickling can run
  arbitrary code), so a pickle could not be read back; ``tinygrad_lr.save`` writes ``.npz``.

A tensor's instance attributes (``t.name = ...``; ``__dict__``) are copied the same way, shallow
or deep.  This module imports nothing of the package: the functions work on any Tensor
subclass, through the private fields that only ``core/`` may touch.
"""
import copy


def shallow_copy(t):
    """``copy.copy(t)``: a new tensor of the same type sharing ``t``'s values and version counter."""
    _refuse_a_non_leaf("copy.copy", t)
    new = object.__new__(type(t))
    new._data, new._vc = t._data, t._vc  # shared memory, so in-place changes count for both
    new._requires_grad, new.grad_fn, new._grad = t._requires_grad, None, None
    new.__dict__.update(t.__dict__)
    return new


def deep_copy(t, memo):
    """``copy.deepcopy(t)``: a new leaf with copied values, a deep-copied ``.grad`` and the same requires_grad."""
    _refuse_a_non_leaf("copy.deepcopy", t)
    new = object.__new__(type(t))
    memo[id(t)] = new  # registered first: t.grad or an attribute may lead back to t
    # Through the memo: tensors that shared an array (t and t.detach()) share its copy, and its counter.
    new._data, new._vc = copy.deepcopy(t._data, memo), copy.deepcopy(t._vc, memo)
    new._requires_grad, new.grad_fn = t._requires_grad, None
    new._grad = copy.deepcopy(t._grad, memo)
    new.__dict__.update(copy.deepcopy(t.__dict__, memo))
    return new


def refuse_pickle(t):
    """``pickle.dumps(t)``: refused, with how to save instead."""
    raise TypeError(
        f"pickle: a {type(t).__name__} is not pickled, because tinygrad_lr.load never unpickles (unpickling "
        "can run arbitrary code); save with tinygrad_lr.save(model.state_dict(), 'model.npz') and read back "
        "with model.load_state_dict(tinygrad_lr.load('model.npz')); to copy a tensor in memory use "
        "copy.deepcopy(t) or t.clone()")


def _refuse_a_non_leaf(op, t):
    if t.grad_fn is not None:
        raise RuntimeError(
            f"{op}: only leaf tensors (made by the user, not computed by an op) can be copied, and this one was "
            f"computed by {t.grad_fn.name()}; use t.detach() for its values without the graph (to keep them, or to "
            "plot them: plt.plot(t.detach())), or t.clone() for a copy that gradients flow back through")
