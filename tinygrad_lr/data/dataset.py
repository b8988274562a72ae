"""Data sets: ``Dataset`` (anything with ``__getitem__`` and ``__len__``), ``TensorDataset``,
and the views of other data sets ``Subset`` (some of the samples) and ``ConcatDataset`` (several, one after the other).
"""
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

    def __add__(self, other):
        """``a + b``: the samples of a, then those of b (a ``ConcatDataset``)."""
        return ConcatDataset([self, other])


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


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``: ``subset[i] = dataset[indices[i]]``.

    What ``random_split`` returns; no data is copied.
    """

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Data sets one after the other: the samples of the first, then those of the second, ...

    ``len`` is the sum of the lengths; ``concat[i]`` finds the data set that holds sample i
    (negative i count from the end).  ``a + b`` on two Datasets makes one.
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable; pass a list of data sets")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        n = len(self)
        if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)):
            raise TypeError(f"ConcatDataset indices must be integers, not {type(idx).__name__}")
        if not -n <= idx < n:
            raise IndexError(f"ConcatDataset: index {idx} is out of range for {n} samples")
        idx = int(idx) % n
        k = int(np.searchsorted(self.cumulative_sizes, idx, side="right"))  # the data set that holds sample idx
        return self.datasets[k][idx - (self.cumulative_sizes[k - 1] if k else 0)]
