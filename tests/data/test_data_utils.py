"""random_split, Subset and ConcatDataset: PyTorch's rules, and DataLoader batches them like any data set."""
import warnings

import numpy as np
import pytest
from conftest import optional

import tinygrad_lr as tg
from tinygrad_lr import data
from tinygrad_lr.utils import data as utils_data


def _dataset(n=10):
    X = tg.arange(2 * n).reshape(n, 2).float()
    return data.TensorDataset(X, tg.arange(n))


def test_both_import_paths_have_the_names():
    for name in ("random_split", "Subset", "ConcatDataset"):
        assert getattr(data, name) is getattr(utils_data, name)


def test_random_split_counts_is_a_partition_of_the_samples():
    parts = data.random_split(_dataset(10), [3, 7], generator=tg.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    assert all(isinstance(p, data.Subset) for p in parts)
    x, y = parts[1][2]
    assert y.item() == parts[1].indices[2] and x.tolist() == [2.0 * y.item(), 2.0 * y.item() + 1]


def test_random_split_fractions_as_pytorch():
    torch = optional("torch")
    for n, fractions in [(10, [0.7, 0.3]), (11, [0.5, 0.5]), (10, [0.33, 0.33, 0.34]), (7, [0.1, 0.1, 0.8]),
                         (5, [0.25, 0.25, 0.25, 0.25])]:
        ours = [len(p) for p in data.random_split(_dataset(n), fractions)]
        theirs = [len(p) for p in torch.utils.data.random_split(range(n), fractions)]
        assert ours == theirs, (n, fractions)


def test_random_split_is_seeded():
    ds = _dataset(20)
    a = data.random_split(ds, [0.5, 0.5], generator=tg.Generator().manual_seed(3))
    b = data.random_split(ds, [0.5, 0.5], generator=tg.Generator().manual_seed(3))
    assert a[0].indices == b[0].indices
    tg.manual_seed(4)
    c = data.random_split(ds, [10, 10])
    tg.manual_seed(4)
    assert data.random_split(ds, [10, 10])[1].indices == c[1].indices


def test_random_split_warns_about_an_empty_part_as_pytorch():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parts = data.random_split(_dataset(2), [0.9, 0.05, 0.05])
    assert [str(w.message) for w in caught] == [f"Length of split at index {i} is 0. This might result in an empty "
                                                "dataset." for i in (1, 2)]
    assert [len(p) for p in parts] == [2, 0, 0]


@pytest.mark.parametrize("lengths, match", [
    ([3, 3], r"^random_split: Sum of input lengths does not equal the length of the input dataset! The lengths "
             r"\[3, 3\] add up to 6 but the data set has 10 samples"),
    ([0.5, 0.6], r"Sum of input lengths does not equal"),
    ([1.5, -0.5], r"^random_split: lengths must be sample counts or fractions >= 0; length at index 1 is -0\.5"),
    (["3", 7], r"length at index 0 is '3'"),
])
def test_random_split_mistakes(lengths, match):
    with pytest.raises(ValueError, match=match):
        data.random_split(_dataset(10), lengths)


def test_dataloader_batches_a_subset_and_a_concat_dataset():
    train, valid = data.random_split(_dataset(10), [0.8, 0.2], generator=tg.Generator().manual_seed(1))
    batches = list(data.DataLoader(train, batch_size=3))
    assert [tuple(x.shape) for x, _ in batches] == [(3, 2), (3, 2), (2, 2)]
    assert sum((y.tolist() for _, y in batches), []) == train.indices
    seen = [y.item() for _, y in data.DataLoader(train + valid, batch_size=1, shuffle=True)]
    assert sorted(seen) == list(range(10))


def test_subset_indexing():
    ds = _dataset(6)
    sub = data.Subset(ds, [5, 1, 3])
    assert len(sub) == 3 and sub[0][1].item() == 5 and sub[-1][1].item() == 3
    assert sub[[0, 2]][1].tolist() == [5, 3]   # a list of indices goes to the data set at once


def test_concat_dataset_indexing_as_pytorch():
    torch = optional("torch")
    parts = [list(range(3)), list(range(10, 12)), [], list(range(20, 24))]

    class L(data.Dataset):
        def __init__(self, xs):
            self.xs = xs

        def __getitem__(self, i):
            return self.xs[i]

        def __len__(self):
            return len(self.xs)

    ours = data.ConcatDataset([L(p) for p in parts])
    theirs = torch.utils.data.ConcatDataset(parts)
    assert len(ours) == len(theirs) == 9 and ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-9, 9)] == [theirs[i] for i in range(-9, 9)]
    with pytest.raises(IndexError, match=r"^ConcatDataset: index 9 is out of range for 9 samples"):
        ours[9]
    with pytest.raises(ValueError, match=r"^ConcatDataset: datasets should not be an empty iterable"):
        data.ConcatDataset([])
    with pytest.raises(TypeError, match=r"^ConcatDataset indices must be integers, not str"):
        ours["a"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(L([1]) + L([2, 3])) == 3
