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


# ---- file objects: binary, open, readable or writable ------------------------------------------
@pytest.mark.parametrize("make", [lambda path: open(path, "r"), lambda path: open(path, "r", encoding="latin-1"),
                                  lambda path: io.StringIO("PK")], ids=["open-r", "open-r-latin-1", "StringIO"])
def test_load_from_a_file_opened_in_text_mode_says_open_it_in_binary_mode(tmp_path, make):
    tg.save({"w": tg.ones(2)}, tmp_path / "m.npz")
    with make(tmp_path / "m.npz") as fh:
        with pytest.raises(TypeError, match=r"^load: the file object is open in text mode, but a checkpoint is "
                                            r"binary; open it in binary mode \('rb'\): open\(path, 'rb'\)$"):
            tg.load(fh)


def test_save_to_a_file_opened_in_text_mode_says_open_it_in_binary_mode(tmp_path):
    with open(tmp_path / "m.npz", "w") as fh:
        with pytest.raises(TypeError, match=r"^save: the file object is open in text mode, but a checkpoint is "
                                            r"binary; open it in binary mode \('wb'\): open\(path, 'wb'\)$"):
            tg.save({"w": tg.ones(2)}, fh)
    with pytest.raises(TypeError, match=r"^save: the file object is open in text mode.*\('wb'\)"):
        tg.save({"w": tg.ones(2)}, io.StringIO())


def test_a_file_like_object_that_reads_text_is_told_the_same():
    class TextReader:   # not an io class: read() just returns str
        def read(self, n=-1):
            return "\x93NUMPY"

        def tell(self):
            return 0

        def seek(self, *args):
            return 0

    with pytest.raises(TypeError, match=r"^load: the file object is open in text mode.*\('rb'\)"):
        tg.load(TextReader())


def test_closed_wrong_direction_and_unseekable_file_objects(tmp_path):
    path = tmp_path / "m.npz"
    tg.save({"w": tg.ones(2)}, path)
    with open(path, "rb") as fh:
        pass
    with pytest.raises(ValueError, match=r"^load: the file object is closed; call load inside the with block that "
                                         r"opened it, or open it again with open\(path, 'rb'\)$"):
        tg.load(fh)
    with open(tmp_path / "other.npz", "wb") as out:
        pass
    with pytest.raises(ValueError, match=r"^save: the file object is closed; call save inside the with block .*"
                                         r"open\(path, 'wb'\)$"):
        tg.save({"w": tg.ones(2)}, out)
    with open(tmp_path / "new.npz", "wb") as fh:
        with pytest.raises(ValueError, match=r"^load: the file object is not open for reading; open it with "
                                             r"open\(path, 'rb'\)$"):
            tg.load(fh)
    with open(path, "rb") as fh:
        with pytest.raises(ValueError, match=r"^save: the file object is not open for writing; open it with "
                                             r"open\(path, 'wb'\)$"):
            tg.save({"w": tg.ones(2)}, fh)
    assert tg.load(path)["w"].tolist() == [1.0, 1.0]        # the file it was opened from is untouched
    read_end, write_end = os.pipe()
    with open(read_end, "rb") as pipe:
        os.close(write_end)
        with pytest.raises(ValueError, match=r"^load: the file object cannot seek \(a pipe or a socket\?\).*"
                                             r"tinygrad_lr\.load\(io\.BytesIO\(f\.read\(\)\)\)$"):
            tg.load(pipe)


# ---- symbolic links: save writes through them, atomically, as open(path, 'wb') and torch.save do ----
needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink") or os.name != "posix", reason="POSIX symbolic links")


@needs_symlinks
def test_save_over_a_symlink_writes_the_file_it_points_to_and_keeps_the_link(tmp_path):
    (tmp_path / "runs").mkdir()
    target, link = tmp_path / "runs" / "checkpoint.npz", tmp_path / "latest.npz"
    tg.save({"step": 1}, target)
    os.symlink(os.path.join("runs", "checkpoint.npz"), link)     # a relative link, as `ln -s` makes
    tg.save({"step": 2}, link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("runs", "checkpoint.npz")
    assert tg.load(target) == {"step": 2} and tg.load(link) == {"step": 2}
    assert sorted(os.listdir(tmp_path)) == ["latest.npz", "runs"]
    assert os.listdir(tmp_path / "runs") == ["checkpoint.npz"]


@needs_symlinks
def test_save_over_a_symlink_is_atomic_at_the_target(tmp_path, monkeypatch):
    """The temporary file is written beside the target (same directory, so same file system) and renamed
    over the target: a crash before the rename leaves the target whole and the link unchanged."""
    (tmp_path / "store").mkdir()
    target, link = tmp_path / "store" / "model.npz", tmp_path / "model.npz"
    tg.save({"w": tg.ones(3)}, target)
    link.symlink_to(target)
    renames, replace = [], os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (renames.append((src, dst)), replace(src, dst)))
    tg.save({"w": tg.zeros(3)}, link)
    (src, dst), = renames
    assert dst == str(target) and os.path.dirname(src) == str(tmp_path / "store")
    assert tg.load(link)["w"].tolist() == [0.0, 0.0, 0.0]

    def crash(src, dst):
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        tg.save({"w": tg.full((3,), 7.0)}, link)
    assert tg.load(target)["w"].tolist() == [0.0, 0.0, 0.0] and link.is_symlink()
    assert os.listdir(tmp_path / "store") == ["model.npz"]      # the temporary file was removed


@needs_symlinks
def test_save_follows_a_chain_of_links_and_a_dangling_link_creates_its_target(tmp_path):
    c = tmp_path / "c.npz"
    tg.save({"v": 0}, c)
    (tmp_path / "b.npz").symlink_to(c)
    (tmp_path / "a.npz").symlink_to(tmp_path / "b.npz")
    tg.save({"v": 1}, tmp_path / "a.npz")
    assert tg.load(c) == {"v": 1} and (tmp_path / "a.npz").is_symlink() and (tmp_path / "b.npz").is_symlink()
    (tmp_path / "dangling.npz").symlink_to(tmp_path / "not-yet.npz")
    tg.save({"v": 2}, tmp_path / "dangling.npz")                # as open(path, 'wb') does: the target is created
    assert tg.load(tmp_path / "not-yet.npz") == {"v": 2} and (tmp_path / "dangling.npz").is_symlink()


@needs_symlinks
def test_a_link_into_a_missing_directory_a_link_loop_and_a_directory(tmp_path):
    (tmp_path / "lost.npz").symlink_to(tmp_path / "gone" / "model.npz")
    with pytest.raises(FileNotFoundError, match=r"^save: the directory '.*gone' does not exist; create it first"):
        tg.save({"v": 1}, tmp_path / "lost.npz")
    (tmp_path / "loop.npz").symlink_to(tmp_path / "loop.npz")
    with pytest.raises(OSError, match=r"^save: '.*loop\.npz' is a symbolic link in a loop \(through links it points "
                                      r"back to itself\); point it at a file, or remove it$"):
        tg.save({"v": 1}, tmp_path / "loop.npz")
    assert (tmp_path / "loop.npz").is_symlink()
    with pytest.raises(IsADirectoryError, match=r"^save: '.*' is a directory; save to a file inside it "
                                                r"\('.*checkpoint\.npz'\)$"):
        tg.save({"v": 1}, tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["loop.npz", "lost.npz"]
