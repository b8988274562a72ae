"""``DataLoader``: iterate over a data set in (shuffled) mini-batches, one epoch per ``for`` loop.

One epoch visits every sample exactly once: the sample order is a
permutation of 0 … n−1 (drawn afresh for each epoch when shuffling) cut into
consecutive batches of ``batch_size``; the last one is shorter unless
``drop_last``.  ``batch_size=1`` is stochastic gradient descent,
``batch_size=len(dataset)`` is batch gradient descent.
"""
import math
import numbers

from ..core import internal
from ..ops.creation import randperm
from ..core.grad_mode import is_grad_enabled
from ..core.random import Generator
from .collate import default_collate
from .dataset import TensorDataset


class DataLoader:
    """Mini-batches of a data set.

    Args:
        dataset: a ``Dataset`` (``__getitem__`` and ``__len__``).
        batch_size: samples per batch (≥ 1; default 1).  ``None`` yields the samples one by one, uncollated.
        shuffle: draw a new random order for every epoch (from ``generator``, or from
            the global generator seeded by ``tinygrad_lr.manual_seed``).
        drop_last: leave out the last batch when it has fewer than ``batch_size`` samples.
        generator: a ``tinygrad_lr.Generator`` for the shuffling.
        collate_fn: turns a list of samples into a batch (default: ``default_collate``).
        num_workers, pin_memory: accepted so that PyTorch code runs; loading always
            happens in the main process.

    A ``TensorDataset`` (without a custom ``collate_fn``) is batched with one
    gather per tensor, ``X[perm[i:i+B]]`` (computed as ``X.take(perm[i:i+B], axis=0)``),
    instead of indexing each sample and stacking; without shuffling the batches are
    read-only views (no copy).

    Example::

        >>> loader = DataLoader(TensorDataset(features, labels), batch_size=10, shuffle=True)
        >>> len(loader)                  # batches per epoch
        100
        >>> for X, y in loader: ...      # X: (10, 2), y: (10, 1)
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, *, drop_last=False, generator=None,
                 collate_fn=None, num_workers=0, pin_memory=False):
        if batch_size is not None:
            if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
                raise TypeError(f"DataLoader: batch_size should be a positive integer, got {batch_size!r}")
            if batch_size < 1:
                raise ValueError(f"DataLoader: batch_size should be a positive integer, got {batch_size}; "
                                 "use 1 for stochastic and len(dataset) for batch gradient descent")
            batch_size = int(batch_size)
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"generator must be a tinygrad_lr.Generator, got {type(generator).__name__}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative integer, got {num_workers!r}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, bool(shuffle), drop_last
        self.generator, self.collate_fn = generator, collate_fn
        self.num_workers, self.pin_memory = num_workers, pin_memory

    def _num_samples(self):
        try:
            return len(self.dataset)
        except TypeError:
            raise TypeError(f"DataLoader: the dataset ({type(self.dataset).__name__}) has no __len__; "
                            "define __len__ (the number of samples) in the Dataset") from None

    def __len__(self):
        """The number of batches in one epoch: ⌈n / B⌉, or ⌊n / B⌋ with drop_last."""
        n = self._num_samples()
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        n = self._num_samples()
        order = internal.values(randperm(n, generator=self.generator)) if self.shuffle else None
        if self.batch_size is None:
            return (self.dataset[i] for i in (range(n) if order is None else order.tolist()))
        ds = self.dataset
        if (self.collate_fn is None and isinstance(ds, TensorDataset)
                and type(ds).__getitem__ is TensorDataset.__getitem__):
            return self._tensor_batches(ds.tensors, n, order)
        return self._sample_batches(n, order)

    def _starts(self, n):
        stop = n - n % self.batch_size if self.drop_last else n
        return range(0, stop, self.batch_size)

    def _tensor_batches(self, tensors, n, order):
        """The fast path: one slice or gather per tensor and batch."""
        bs = self.batch_size
        if is_grad_enabled() and any(t.requires_grad for t in tensors):
            for i in self._starts(n):  # rare: a data set that requires grad keeps its graph
                index = slice(i, i + bs) if order is None else order[i:i + bs]
                yield [t[index] for t in tensors]
            return
        arrays = [internal.values(t) for t in tensors]
        if order is None:
            for i in self._starts(n):
                yield [internal.wrap(_read_only(a[i:i + bs])) for a in arrays]
        else:
            for i in self._starts(n):
                index = order[i:i + bs]
                yield [internal.wrap(a.take(index, axis=0)) for a in arrays]  # a[index], a copy; take is faster

    def _sample_batches(self, n, order):
        """The general path: fetch each sample with dataset[i], then collate."""
        collate = self.collate_fn or default_collate
        ds, bs = self.dataset, self.batch_size
        indices = range(n) if order is None else order.tolist()
        for i in self._starts(n):
            yield collate([ds[j] for j in indices[i:i + bs]])

    def __repr__(self):
        return (f"DataLoader(dataset={type(self.dataset).__name__}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last})")


def _read_only(view):
    """A view of the data set that refuses in-place changes (which would change the data set)."""
    view.flags.writeable = False
    return view
