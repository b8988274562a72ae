"""``default_collate``: turn a list of samples into one batch.

The rule, applied recursively (as PyTorch's ``default_collate``):

- tensors, arrays → one tensor stacked along a new first dimension
- Python floats → float64 tensor, ints → int64, bools → bool; NumPy scalars keep their dtype
- strings → the list as it is
- dicts → a dict of collated values, key by key
- tuples and lists → a list of collated fields (a named tuple stays one)
"""
import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from ..core import Tensor
from ..core import internal
from ..ops import shapes
from ..core.grad_mode import is_grad_enabled


def _kind(x):
    if isinstance(x, Tensor):
        return "a Tensor"
    return f"a {type(x).__name__}"


def _check_same(batch, test, what):
    for i, x in enumerate(batch):
        if not test(x):
            raise TypeError(f"default_collate: sample {i} is {_kind(x)} but sample 0 is {what}; every sample "
                            "must have the same structure (or pass collate_fn=...)")


def _stack_arrays(arrays, batch):
    sizes = [a.shape for a in arrays]
    for i, s in enumerate(sizes):
        if s != sizes[0]:
            raise ValueError(f"default_collate: samples have different shapes: sample 0 has {sizes[0]} but "
                             f"sample {i} has {s}; stacking needs equal shapes (pad them, or pass collate_fn=...). "
                             "If you passed (X, y) to DataLoader, it sees two samples, X and y: pass "
                             "TensorDataset(X, y)")
    return np.stack(arrays)


def default_collate(batch):
    """Collate a list of samples into a batch (see the module docstring for the rule)."""
    if not isinstance(batch, Sequence) or not batch:
        raise ValueError("default_collate: expects a non-empty list of samples")
    elem = batch[0]
    if isinstance(elem, Tensor):
        _check_same(batch, lambda x: isinstance(x, Tensor), "a Tensor")
        if is_grad_enabled() and any(x.requires_grad for x in batch):
            return shapes.stack(list(batch))  # keep the graph
        return internal.wrap(_stack_arrays([internal.values(x) for x in batch], batch))
    if isinstance(elem, np.ndarray):
        _check_same(batch, lambda x: isinstance(x, np.ndarray), "a NumPy array")
        if elem.dtype.kind not in "biuf":
            raise TypeError(f"default_collate: arrays of dtype {elem.dtype} cannot become a tensor; "
                            "use numbers (or pass collate_fn=...)")
        return internal.wrap(_stack_arrays(batch, batch))
    if isinstance(elem, np.generic) and elem.dtype.kind in "biuf":
        return internal.wrap(np.array(batch))
    if isinstance(elem, (bool, np.bool_)):
        _check_same(batch, lambda x: isinstance(x, (bool, np.bool_)), "a bool")
        return internal.wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        _check_same(batch, lambda x: isinstance(x, numbers.Integral), "an int")
        return internal.wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        _check_same(batch, lambda x: isinstance(x, numbers.Real), "a float")
        return internal.wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        _check_same(batch, lambda x: isinstance(x, Mapping), "a dict")
        for i, x in enumerate(batch):
            if set(x) != set(elem):
                raise ValueError(f"default_collate: sample {i} has keys {sorted(map(str, x))} but sample 0 has "
                                 f"{sorted(map(str, elem))}; every sample needs the same keys")
        return {key: default_collate([x[key] for x in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple stays one
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, (tuple, list)):
        _check_same(batch, lambda x: isinstance(x, (tuple, list)), f"a {type(elem).__name__}")
        for i, x in enumerate(batch):
            if len(x) != len(elem):
                raise ValueError(f"default_collate: each element in list of batch should be of equal size: sample "
                                 f"{i} has {len(x)} fields but sample 0 has {len(elem)}")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, NumPy arrays, numbers, strings, dicts or "
                    f"lists; found {type(elem).__name__} (pass collate_fn=... to batch it yourself)")
