"""data: Dataset, TensorDataset, DataLoader (epochs, shuffling, drop_last, len, both paths), default_collate."""
import collections
import re

import numpy as np
import pytest
from conftest import optional
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lr as tg
from tinygrad_lr import data
from tinygrad_lr.utils import data as utils_data


def _dataset(n=23, d=3):
    X = tg.arange(n * d).reshape(n, d).float()
    y = tg.arange(n).float().reshape(n, 1)
    return data.TensorDataset(X, y)


def _ids(batch):
    """The sample ids in a batch (y holds each sample's index)."""
    return [int(v) for v in batch[1].numpy().ravel()]


class Squares(data.Dataset):
    """A generic data set: sample i is (x_i, i²), computed on demand."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return tg.tensor([float(i), 2.0 * i]), float(i * i)

    def __len__(self):
        return self.n


def test_import_paths_are_the_same_objects():
    from tinygrad_lr.utils.data import DataLoader
    assert DataLoader is data.DataLoader and utils_data.TensorDataset is data.TensorDataset
    assert tg.utils.data.Dataset is data.Dataset and tg.data.default_collate is data.default_collate


# ---- TensorDataset --------------------------------------------------------------------
def test_tensor_dataset_indexing_and_len():
    ds = _dataset()
    assert len(ds) == 23
    x, y = ds[4]
    assert x.tolist() == [12.0, 13.0, 14.0] and y.tolist() == [4.0]
    array = np.zeros((5, 2))
    assert data.TensorDataset(array).tensors[0].numpy() is array      # wrapped without a copy


def test_tensor_dataset_size_mismatch_and_bad_arguments():
    with pytest.raises(ValueError, match=re.escape("Size mismatch between tensors: tensor 0 has 1000 samples "
                                                   "(shape (1000, 2)) but tensor 1 has 999 (shape (999, 1))")):
        data.TensorDataset(tg.zeros(1000, 2), tg.zeros(999, 1))
    with pytest.raises(ValueError, match="TensorDataset needs at least one tensor"):
        data.TensorDataset()
    with pytest.raises(TypeError, match=r"TensorDataset: argument 1 is a list, not a Tensor"):
        data.TensorDataset(tg.zeros(3), [1, 2, 3])
    with pytest.raises(ValueError, match="TensorDataset: tensor 0 is 0-dimensional"):
        data.TensorDataset(tg.tensor(1.0))


# ---- DataLoader: epochs ----------------------------------------------------------------
@pytest.mark.parametrize("batch_size", [1, 4, 10, 23, 50])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("generic", [False, True])
def test_every_sample_exactly_once_per_epoch(batch_size, shuffle, generic):
    ds = _dataset()
    if generic:   # the per-sample path, with the same samples
        ds = _Wrapped(ds)
    loader = data.DataLoader(ds, batch_size=batch_size, shuffle=shuffle)
    for _ in range(2):
        batches = list(loader)
        ids = [i for b in batches for i in _ids(b)]
        assert sorted(ids) == list(range(23))
        if not shuffle:
            assert ids == list(range(23))
        assert [len(b[0]) for b in batches[:-1]] == [batch_size] * (len(batches) - 1)
        assert len(batches) == len(loader) == -(-23 // batch_size)
        for b in batches:    # features travel with their labels
            assert b[0].shape[1:] == (3,) and b[1].shape[1:] == (1,)
            np.testing.assert_array_equal(b[0].numpy()[:, 0], 3 * b[1].numpy()[:, 0])


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), batch_size=st.integers(1, 45), shuffle=st.booleans(), drop_last=st.booleans(),
       seed=st.integers(0, 2 ** 32 - 1))
def test_epochs_partition_the_samples_for_any_sizes(n, batch_size, shuffle, drop_last, seed):
    tg.manual_seed(seed)
    loader = data.DataLoader(_dataset(n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last)
    sizes = [len(b[0]) for b in loader]
    ids = [i for b in loader for i in _ids(b)]
    full, rest = divmod(n, batch_size)
    assert sizes == [batch_size] * full + ([rest] if rest and not drop_last else [])
    assert len(loader) == len(sizes)
    assert len(ids) == len(set(ids)) == sum(sizes) and set(ids) <= set(range(n))


def test_a_memmap_data_set_is_not_copied(tmp_path):
    X = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=np.float32, shape=(50, 2))
    X[:] = np.arange(100, dtype=np.float32).reshape(50, 2)
    ds = data.TensorDataset(tg.from_numpy(X))
    assert np.shares_memory(ds.tensors[0].numpy(), X)
    batches = list(data.DataLoader(ds, batch_size=8, shuffle=True))
    assert sorted(int(v) for b in batches for v in b[0].numpy()[:, 0]) == list(range(0, 100, 2))


class _Wrapped(data.Dataset):
    def __init__(self, ds):
        self.ds = ds

    def __getitem__(self, i):
        return self.ds[i]

    def __len__(self):
        return len(self.ds)


@pytest.mark.parametrize("shuffle", [False, True])
def test_drop_last(shuffle):
    loader = data.DataLoader(_dataset(), batch_size=5, shuffle=shuffle, drop_last=True)
    batches = list(loader)
    assert len(loader) == len(batches) == 4 and all(len(b[0]) == 5 for b in batches)
    ids = [i for b in batches for i in _ids(b)]
    assert len(set(ids)) == 20
    exact = data.DataLoader(_dataset(20), batch_size=5, drop_last=True)
    assert len(exact) == 4 and len(list(exact)) == 4


def test_batch_gd_and_stochastic_gd_batch_sizes():
    ds = _dataset()
    whole = list(data.DataLoader(ds, batch_size=len(ds)))
    assert len(whole) == 1 and whole[0][0].shape == (23, 3)
    np.testing.assert_array_equal(whole[0][0].numpy(), ds.tensors[0].numpy())
    single = list(data.DataLoader(ds, batch_size=1, shuffle=True))
    assert len(single) == 23 and single[0][0].shape == (1, 3) and single[0][1].shape == (1, 1)


def test_shuffling_is_reproducible_from_manual_seed_and_from_a_generator():
    loader = data.DataLoader(_dataset(), batch_size=4, shuffle=True)

    def epoch():
        return [i for b in loader for i in _ids(b)]

    tg.manual_seed(0)
    first, second = epoch(), epoch()
    tg.manual_seed(0)
    assert epoch() == first and epoch() == second
    assert first != second and first != list(range(23))     # a new order every epoch

    def with_generator(seed):
        g = tg.Generator().manual_seed(seed)
        return [i for b in data.DataLoader(_dataset(), 4, shuffle=True, generator=g) for i in _ids(b)]

    tg.manual_seed(1)
    a = with_generator(7)
    tg.manual_seed(2)                                       # the global seed does not matter then
    assert with_generator(7) == a and with_generator(8) != a


def test_fast_and_generic_paths_give_the_same_batches():
    ds = _dataset()
    tg.manual_seed(3)
    fast = list(data.DataLoader(ds, batch_size=6, shuffle=True))
    tg.manual_seed(3)
    generic = list(data.DataLoader(_Wrapped(ds), batch_size=6, shuffle=True))
    assert len(fast) == len(generic)
    for a, b in zip(fast, generic):
        assert isinstance(a, list) and isinstance(b, list)
        for u, v in zip(a, b):
            assert u.dtype == v.dtype and np.array_equal(u.numpy(), v.numpy())


def test_unshuffled_batches_are_read_only_views_and_shuffled_batches_are_copies():
    ds = _dataset()
    X, _ = next(iter(data.DataLoader(ds, batch_size=5)))
    assert np.shares_memory(X.numpy(), ds.tensors[0].numpy())
    with pytest.raises(RuntimeError, match=r"add_: this tensor's memory is read-only \(e\.g\. a DataLoader batch"):
        X += 1
    X = X + 1                       # out of place is fine
    assert ds.tensors[0][0, 0].item() == 0.0
    Xs, _ = next(iter(data.DataLoader(ds, batch_size=5, shuffle=True)))
    Xs += 1
    assert not np.shares_memory(Xs.numpy(), ds.tensors[0].numpy())


def test_a_custom_collate_fn_and_a_dataset_subclass_use_the_general_path():
    ds = _dataset(6)
    loader = data.DataLoader(ds, batch_size=4, collate_fn=lambda samples: len(samples))
    assert list(loader) == [4, 2]

    class Doubled(data.TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 2, y

    batch = next(iter(data.DataLoader(Doubled(*ds.tensors), batch_size=3)))
    np.testing.assert_array_equal(batch[0].numpy(), 2 * ds.tensors[0].numpy()[:3])


def test_generic_dataset_with_numbers():
    loader = data.DataLoader(Squares(7), batch_size=3)
    batches = list(loader)
    assert len(loader) == 3 and [len(b[1]) for b in batches] == [3, 3, 1]
    x, y = batches[1]
    assert x.tolist() == [[3.0, 6.0], [4.0, 8.0], [5.0, 10.0]]
    assert y.tolist() == [9.0, 16.0, 25.0] and y.dtype == tg.float64


def test_batch_size_none_yields_samples():
    samples = list(data.DataLoader(Squares(3), batch_size=None))
    assert len(samples) == 3 and samples[2][1] == 4.0
    assert len(data.DataLoader(Squares(3), batch_size=None)) == 3


def test_dataset_requiring_grad_keeps_the_graph():
    X = tg.randn(6, 2, requires_grad=True)
    batch = next(iter(data.DataLoader(data.TensorDataset(X, tg.zeros(6)), batch_size=3, shuffle=True)))
    batch[0].sum().backward()
    assert X.grad.sum().item() == 6.0


def test_dataloader_bad_arguments():
    ds = _dataset()
    with pytest.raises(ValueError, match="DataLoader: batch_size should be a positive integer, got 0"):
        data.DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="got -3"):
        data.DataLoader(ds, batch_size=-3)
    with pytest.raises(TypeError, match="DataLoader: batch_size should be a positive integer, got 2.5"):
        data.DataLoader(ds, batch_size=2.5)
    with pytest.raises(TypeError, match="generator must be a tinygrad_lr.Generator, got int"):
        data.DataLoader(ds, shuffle=True, generator=0)
    with pytest.raises(TypeError, match="DataLoader: collate_fn must be callable, got str"):
        data.DataLoader(ds, collate_fn="stack")

    class NoLen(data.Dataset):
        def __getitem__(self, i):
            return i

    with pytest.raises(TypeError, match=r"DataLoader: the dataset \(NoLen\) has no __len__"):
        len(data.DataLoader(NoLen()))
    with pytest.raises(NotImplementedError, match="NoItem must define __getitem__"):
        type("NoItem", (data.Dataset,), {})()[0]


def test_num_workers_and_pin_memory_are_accepted():
    loader = data.DataLoader(_dataset(), batch_size=5, num_workers=4, pin_memory=True)
    assert len(list(loader)) == 5


# ---- default_collate -----------------------------------------------------------------
def test_collate_stacks_tensors_arrays_and_numbers():
    out = data.default_collate([tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0])])
    assert out.tolist() == [[1.0, 2.0], [3.0, 4.0]] and out.dtype == tg.float32
    out = data.default_collate([np.array([1, 2]), np.array([3, 4])])
    assert isinstance(out, tg.Tensor) and out.dtype == tg.int64 and out.shape == (2, 2)
    assert data.default_collate([1.5, 2.5]).dtype == tg.float64
    assert data.default_collate([1, 2]).dtype == tg.int64
    assert data.default_collate([True, False]).dtype == tg.bool
    assert data.default_collate([np.float32(1), np.float32(2)]).dtype == tg.float32
    assert data.default_collate(["a", "b"]) == ["a", "b"]


def test_collate_of_tuples_dicts_and_named_tuples():
    Sample = collections.namedtuple("Sample", ["x", "label"])
    batch = [{"x": tg.ones(2), "meta": (1, "a")}, {"x": tg.zeros(2), "meta": (2, "b")}]
    out = data.default_collate(batch)
    assert set(out) == {"x", "meta"} and out["x"].shape == (2, 2)
    assert isinstance(out["meta"], list) and out["meta"][0].tolist() == [1, 2] and out["meta"][1] == ["a", "b"]
    out = data.default_collate([(tg.ones(3), 0), (tg.zeros(3), 1)])
    assert isinstance(out, list) and out[0].shape == (2, 3) and out[1].tolist() == [0, 1]
    out = data.default_collate([Sample(tg.ones(1), 0.5), Sample(tg.ones(1), 1.5)])
    assert isinstance(out, Sample) and out.x.shape == (2, 1) and out.label.tolist() == [0.5, 1.5]


def test_collate_structure_matches_pytorch():
    torch = optional("torch")
    from torch.utils.data import default_collate as torch_collate
    samples = [{"x": np.ones(2, np.float32), "y": (1, 2.0)}, {"x": np.zeros(2, np.float32), "y": (3, 4.0)}]
    ours, theirs = data.default_collate(samples), torch_collate(samples)
    assert type(ours) is type(theirs) and type(ours["y"]) is type(theirs["y"])
    for a, b in [(ours["x"], theirs["x"]), (ours["y"][0], theirs["y"][0]), (ours["y"][1], theirs["y"][1])]:
        assert a.tolist() == b.tolist() and str(a.dtype) == str(b.dtype).replace("torch.", "")


def test_collate_errors():
    with pytest.raises(ValueError, match=re.escape("default_collate: samples have different shapes: sample 0 has "
                                                   "(2,) but sample 1 has (3,)")):
        data.default_collate([tg.zeros(2), tg.zeros(3)])
    with pytest.raises(TypeError, match="default_collate: sample 1 is a float but sample 0 is a Tensor"):
        data.default_collate([tg.zeros(2), 1.0])
    with pytest.raises(ValueError, match="each element in list of batch should be of equal size: sample 1 has 1"):
        data.default_collate([(1, 2), (3,)])
    with pytest.raises(ValueError, match=r"sample 1 has keys \['b'\] but sample 0 has \['a'\]"):
        data.default_collate([{"a": 1}, {"b": 2}])
    with pytest.raises(TypeError, match="found object"):
        data.default_collate([object(), object()])
    with pytest.raises(ValueError, match="expects a non-empty list of samples"):
        data.default_collate([])
