"""save/load: .npz checkpoints, bit-exact round trips, atomic saves, no unpickling, clear errors."""
import io
import os
import pickle
import zipfile

import numpy as np
import pytest
from conftest import optional

import tinygrad_lr as tg
from tinygrad_lr import nn, optim


def _trained(seed=0):
    tg.manual_seed(seed)
    net = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
    trainer = optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    for _ in range(3):
        X, y = tg.randn(8, 3), tg.randn(8, 1)
        trainer.zero_grad()
        nn.MSELoss()(net(X), y).backward()
        trainer.step()
    return net, trainer


def _same(a, b):
    """Equal structure and bit-identical arrays of the same dtype."""
    if isinstance(a, tg.Tensor):
        assert isinstance(b, tg.Tensor) and a.dtype == b.dtype and a.shape == b.shape
        assert a.detach().numpy().tobytes() == b.detach().numpy().tobytes()
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.tobytes() == b.tobytes()
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        assert type(a) is type(b) and (a == b or a != a and b != b)  # nan equals nan here


def test_module_state_dict_round_trip_is_bit_exact(tmp_path):
    net, _ = _trained()
    path = tmp_path / "model.npz"
    tg.save(net.state_dict(), path)
    loaded = tg.load(path)
    _same(net.state_dict(), loaded)
    fresh = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
    fresh.load_state_dict(loaded)
    _same(net.state_dict(), fresh.state_dict())


def test_optimizer_state_with_momentum_round_trips_and_training_resumes_identically(tmp_path):
    net, trainer = _trained()
    path = str(tmp_path / "checkpoint.npz")
    tg.save({"model": net.state_dict(), "optimizer": trainer.state_dict(), "epoch": 3}, path)
    checkpoint = tg.load(path)
    _same(trainer.state_dict(), checkpoint["optimizer"])
    assert checkpoint["epoch"] == 3 and sorted(checkpoint["optimizer"]["state"]) == [0, 1, 2, 3]

    twin = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
    twin.load_state_dict(checkpoint["model"])
    twin_trainer = optim.SGD(twin.parameters(), lr=1.0)
    twin_trainer.load_state_dict(checkpoint["optimizer"])
    for model, opt in ((net, trainer), (twin, twin_trainer)):
        tg.manual_seed(9)
        for _ in range(3):
            X, y = tg.randn(8, 3), tg.randn(8, 1)
            opt.zero_grad()
            nn.MSELoss()(model(X), y).backward()
            opt.step()
    _same(net.state_dict(), twin.state_dict())


def test_nested_structures_numbers_strings_and_arrays_round_trip(tmp_path):
    obj = {
        "tensor": tg.tensor([1.5, -2.0]), "float64": tg.randn(2, 2, dtype=tg.float64), "ints": tg.arange(5),
        "bools": tg.tensor([True, False]), "array": np.arange(6, dtype=np.int32).reshape(2, 3),
        "empty": tg.zeros(0, 3), "scalar": tg.tensor(3.0), "np_scalar": np.float32(2.5),
        "numbers": [1, 2.5, True, None, float("nan"), float("inf")], "text": "héllo",
        "tuple": (1, (2, "x")), 7: "int key", "nested": {"a": {"b": [tg.ones(1)]}},
    }
    path = tmp_path / "everything.npz"
    tg.save(obj, path)
    _same(obj, tg.load(path))


def test_requires_grad_and_parameters_are_restored(tmp_path):
    w = tg.randn(2, requires_grad=True)
    p = nn.Parameter(tg.randn(3))
    tg.save({"w": w, "p": p, "plain": tg.ones(1)}, tmp_path / "x.npz")
    loaded = tg.load(tmp_path / "x.npz")
    assert loaded["w"].requires_grad and type(loaded["p"]) is nn.Parameter and loaded["p"].requires_grad
    assert not loaded["plain"].requires_grad


def test_shared_tensors_are_stored_once_and_stay_shared(tmp_path):
    t = tg.randn(3)
    tg.save({"a": t, "b": t}, tmp_path / "shared.npz")
    assert len(np.load(tmp_path / "shared.npz").files) == 2     # one array + the structure
    loaded = tg.load(tmp_path / "shared.npz")
    assert loaded["a"] is loaded["b"]


def test_the_file_is_a_plain_npz_with_readable_names(tmp_path):
    net, trainer = _trained()
    tg.save({"model": net.state_dict(), "optimizer": trainer.state_dict()}, tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as npz:
        assert "model.0.weight" in npz.files and "optimizer.state.0.momentum_buffer" in npz.files
        np.testing.assert_array_equal(npz["model.0.weight"], net[0].weight.detach().numpy())


def test_plain_npz_and_npy_files_load_as_tensors(tmp_path):
    np.savez(tmp_path / "plain.npz", weight=np.ones((2, 2)), bias=np.zeros(2))
    loaded = tg.load(tmp_path / "plain.npz")
    assert sorted(loaded) == ["bias", "weight"] and isinstance(loaded["weight"], tg.Tensor)
    np.save(tmp_path / "one.npy", np.arange(3))
    assert tg.load(tmp_path / "one.npy").tolist() == [0, 1, 2]


def test_file_objects_work_too():
    net, _ = _trained()
    buffer = io.BytesIO()
    tg.save(net.state_dict(), buffer)
    buffer.seek(0)
    _same(net.state_dict(), tg.load(buffer))


def test_save_overwrites_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "model.npz"
    tg.save({"v": tg.ones(1)}, path)
    tg.save({"v": tg.zeros(1)}, path)
    assert tg.load(path)["v"].item() == 0.0
    assert os.listdir(tmp_path) == ["model.npz"]


def test_the_saved_file_gets_a_normal_files_permissions(tmp_path):
    path = tmp_path / "model.npz"
    umask = os.umask(0o022)
    try:
        tg.save({"w": tg.ones(1)}, path)
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644      # not mkstemp's private 0600
    os.chmod(path, 0o640)
    tg.save({"w": tg.zeros(1)}, path)
    assert path.stat().st_mode & 0o777 == 0o640      # replacing keeps the old file's mode


def test_saving_into_a_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"save: the directory '.*missing' does not exist; create it first"):
        tg.save({"w": tg.ones(1)}, tmp_path / "missing" / "model.npz")


# ---- crash safety --------------------------------------------------------------------
def test_a_save_interrupted_before_the_rename_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    tg.save({"version": 1, "w": tg.ones(3)}, path)

    def crash(src, dst):
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        tg.save({"version": 2, "w": tg.zeros(3)}, path)
    monkeypatch.undo()
    old = tg.load(path)
    assert old["version"] == 1 and old["w"].tolist() == [1.0, 1.0, 1.0]
    assert os.listdir(tmp_path) == ["model.npz"]      # the temporary file was removed


def test_a_save_interrupted_while_writing_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    tg.save({"w": tg.ones(3)}, path)
    write_array = np.lib.format.write_array
    calls = []

    def crash_on_second(fh, array, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return write_array(fh, array, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        tg.save({"w": tg.zeros(3), "b": tg.zeros(1)}, path)
    monkeypatch.undo()
    assert tg.load(path)["w"].tolist() == [1.0, 1.0, 1.0]
    assert os.listdir(tmp_path) == ["model.npz"]


# ---- refusing pickles ------------------------------------------------------------------
def test_a_pickled_npz_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, payload=np.array([{"code": "runs on load"}], dtype=object))   # object arrays are pickled
    with pytest.raises(ValueError, match=r"load: '.*evil\.npz' contains pickled data; tinygrad_lr refuses to "
                                         r"unpickle, because unpickling can run arbitrary code"):
        tg.load(path)


def test_a_raw_pickle_is_refused_without_unpickling(tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo should-never-run",))

    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ValueError, match="contains pickled data"):
        tg.load(path)


def test_a_pytorch_checkpoint_is_refused(tmp_path):
    torch = optional("torch")
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 1).state_dict(), path)
    with pytest.raises(ValueError, match=r"contains pickled data \(a PyTorch torch\.save file\?\)"):
        tg.load(path)


def test_save_refuses_what_it_cannot_store_without_pickle(tmp_path):
    net = nn.Linear(2, 1)
    with pytest.raises(TypeError, match=r"save: cannot save a Linear object itself; save its state: "
                                        r"tinygrad_lr.save\(obj.state_dict\(\), path\)"):
        tg.save(net, tmp_path / "x.npz")
    with pytest.raises(TypeError, match=r"save: cannot save an object of type set \(at 'a.b'\)"):
        tg.save({"a": {"b": {1, 2}}}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match=r"the array at 'arr' has dtype object, which cannot be saved without pickle"):
        tg.save({"arr": np.array([None])}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match=r"save: dict keys must be strings or numbers, got the key \(1, 2\)"):
        tg.save({(1, 2): 3}, tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


# ---- missing and corrupt files -------------------------------------------------------------
def test_missing_file(tmp_path):
    path = tmp_path / "nope.npz"
    with pytest.raises(FileNotFoundError, match=r"load: no checkpoint file at '.*nope\.npz'"):
        tg.load(path)


@pytest.mark.parametrize("content, why", [
    (b"", "it is empty"),
    (b"hello, world", "it is neither a NumPy .npz nor .npy file"),
    (b"PK\x03\x04garbage", "the zip archive is damaged"),
])
def test_corrupt_files(tmp_path, content, why):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=rf"load: '.*bad\.npz' is not a valid tinygrad_lr checkpoint: {why}"):
        tg.load(path)


def test_truncated_and_foreign_zip_files(tmp_path):
    good = tmp_path / "good.npz"
    tg.save({"w": tg.randn(100)}, good)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:-40])
    with pytest.raises(ValueError, match=r"truncated\.npz' is not a valid tinygrad_lr checkpoint"):
        tg.load(truncated)
    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match=r"it is a zip archive but not a NumPy \.npz \(it holds \['readme.txt'\]\)"):
        tg.load(foreign)
    damaged = tmp_path / "damaged.npz"
    with zipfile.ZipFile(damaged, "w") as zf:
        zf.writestr("__tinygrad_lr__.npy", b"\x93NUMPY not really")
    with pytest.raises(ValueError, match=r"damaged\.npz' is not a valid tinygrad_lr checkpoint"):
        tg.load(damaged)


def test_load_accepts_pytorch_keyword_arguments(tmp_path):
    tg.save({"w": tg.ones(1)}, tmp_path / "m.npz")
    assert tg.load(tmp_path / "m.npz", map_location="cpu", weights_only=True)["w"].item() == 1.0
