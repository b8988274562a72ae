"""Data sets: ``Dataset`` (anything with ``__getitem__`` and ``__len__``) and ``TensorDataset``."""
import numpy as np

from ..core import Tensor
from ..core import internal


class Dataset:
    """Base class of map-style data sets: ``dataset[i]`` is sample i, ``len(dataset)`` their number.

    Subclass it and define ``__getitem__(self, i)`` and ``__len__(self)``; a
    ``DataLoader`` then fetches samples one by one and collates them into
    batches (see ``default_collate``).
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(self, index) to be a Dataset")


class TensorDataset(Dataset):
    """Samples are rows: ``dataset[i] = (features[i], labels[i], …)``.

    All tensors share their first dimension, the sample index.  NumPy arrays
    are wrapped without copying (a ``np.memmap`` stays on disk).  A
    ``DataLoader`` over a TensorDataset fetches a whole batch with one
    fancy-index (or slice) per tensor instead of sample by sample.

    Example::

        >>> dataset = TensorDataset(features, labels)   # shapes (1000, 2) and (1000, 1)
        >>> len(dataset), dataset[0][0].shape
        (1000, (2,))
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor, e.g. TensorDataset(features, labels)")
        wrapped = []
        for i, t in enumerate(tensors):
            if isinstance(t, np.ndarray):
                t = internal.wrap(t)
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} is a {type(t).__name__}, not a Tensor "
                                "(convert it with tinygrad_lr.tensor(...))")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-dimensional; every tensor needs a first "
                                 "dimension indexing the samples")
            wrapped.append(t)
        n = wrapped[0].shape[0]
        for i, t in enumerate(wrapped[1:], 1):
            if t.shape[0] != n:
                raise ValueError(f"Size mismatch between tensors: tensor 0 has {n} samples (shape "
                                 f"{tuple(wrapped[0].shape)}) but tensor {i} has {t.shape[0]} (shape "
                                 f"{tuple(t.shape)}); all tensors must have the same size in dim 0")
        self.tensors = tuple(wrapped)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]
