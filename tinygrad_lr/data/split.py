"""``random_split``: cut a data set at random into non-overlapping parts (train / validation / test)."""
import math
import numbers
import warnings

from ..core import internal
from ..ops.creation import randperm
from .dataset import Subset


def random_split(dataset, lengths, generator=None):
    """Subsets of ``dataset`` with the given lengths, from one random permutation of its samples.

    ``lengths`` are sample counts that add up to ``len(dataset)``, or fractions that add up to
    1 (PyTorch ≥ 1.13): each part then gets ⌊n·fraction⌋ samples and the samples left over
    go one each to the parts in order.  The permutation comes from ``generator`` (or the
    global generator seeded by ``tinygrad_lr.manual_seed``), so a seed gives the same split.

    Example::

        >>> train, valid = random_split(dataset, [0.8, 0.2], generator=tinygrad_lr.Generator().manual_seed(0))
    """
    lengths = list(lengths)
    n = len(dataset)
    for i, x in enumerate(lengths):
        if isinstance(x, bool) or not isinstance(x, numbers.Real) or x < 0:
            raise ValueError(f"random_split: lengths must be sample counts or fractions >= 0; length at index {i} "
                             f"is {x!r}")
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= n:
        lengths = _from_fractions(lengths, n)
    if sum(lengths) != n or any(int(x) != x for x in lengths):
        raise ValueError(f"random_split: Sum of input lengths does not equal the length of the input dataset! "
                         f"The lengths {lengths} add up to {sum(lengths)} but the data set has {n} samples; give "
                         f"counts that add up to {n}, or fractions that add up to 1")
    order = internal.values(randperm(n, generator=generator)).tolist()
    parts, start = [], 0
    for length in lengths:
        parts.append(Subset(dataset, order[start:start + int(length)]))
        start += int(length)
    return parts


def _from_fractions(fractions, n):
    for i, f in enumerate(fractions):
        if not 0 <= f <= 1:
            raise ValueError(f"random_split: Fraction at index {i} is not between 0 and 1, got {f}")
    counts = [int(math.floor(n * f)) for f in fractions]
    for i in range(n - sum(counts)):  # the remainder, one each, round-robin
        counts[i % len(counts)] += 1
    for i, c in enumerate(counts):
        if c == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.", UserWarning,
                          stacklevel=3)
    return counts
