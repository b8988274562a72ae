"""Checkpoints under faults: a process killed in the middle of ``save``, truncated and corrupted files.

``save`` writes a temporary file next to the checkpoint, fsyncs it and renames
it over the old one (``os.replace`` is atomic), so whatever moment a process
dies at, the path holds the previous checkpoint or the new one, whole.  The
subprocess tests kill (SIGKILL: no cleanup runs) a child that saves a large
state_dict in a loop, and load what is left.

``load`` reads with CRC checks and never unpickles, so a truncated or damaged
file gives a ValueError that names the path — for every truncation length and
every flipped byte of a checkpoint, it is that error or the original data,
never anything else.
"""
import io
import json
import os
import random
import signal
import struct
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr import nn, optim

ROOT = Path(__file__).resolve().parents[2]   # the checkout the child must import tinygrad_lr from
N = 1_000_000                                # 8 MB per save: a save takes a while, kills land inside it

CHILD = """
import itertools, sys, time
import numpy as np
import tinygrad_lr

path, mode, pause_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
write_array, count = np.lib.format.write_array, {"save": 0, "arrays": 0}

def write_and_maybe_stop(*args, **kwargs):
    write_array(*args, **kwargs)
    count["arrays"] += 1
    if mode == "pause" and count["save"] == pause_at and count["arrays"] == 2:
        print("mid-save", flush=True)      # this save is half written: kill me now
        time.sleep(120)

np.lib.format.write_array = write_and_maybe_stop
for k in itertools.count():
    count["save"], count["arrays"] = k, 0
    tinygrad_lr.save({"weight": tinygrad_lr.full((%d,), float(k), dtype=tinygrad_lr.float64),
                      "bias": tinygrad_lr.full((3,), float(k)), "step": k}, path)
    print(k, flush=True)                   # save number k is complete
""" % N

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")


def run_and_kill(tmp_path, mode, until, delay=0.0, pause_at=1):
    """Start the saving child, read its lines until ``until(line)``, wait ``delay`` seconds, SIGKILL it.
    In mode "pause" the child stops in the middle of save number ``pause_at`` and says "mid-save".

    Returns the save numbers the child reported complete."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen([sys.executable, str(script), str(tmp_path / "checkpoint.npz"), mode, str(pause_at)],
                             stdout=subprocess.PIPE, text=True, env=env)
    watchdog = threading.Timer(60, child.kill)   # a child that hangs must not hang the test suite
    watchdog.start()
    lines = []
    try:
        for line in child.stdout:
            lines.append(line.strip())
            if until(lines[-1]):
                break
        if delay:
            threading.Event().wait(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        lines += [line.strip() for line in child.stdout]
    finally:
        watchdog.cancel()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL, f"the child ended by itself: {lines[-3:]}"
    return [int(line) for line in lines if line.isdigit()]


def assert_whole(path, possible):
    """The checkpoint at ``path`` loads, and is exactly one of the saves in ``possible``."""
    state = tinygrad_lr.load(path)
    k = state["step"]
    assert k in possible, f"loaded save {k}, expected one of {possible}"
    assert state["weight"].shape == (N,) and np.all(state["weight"].numpy() == k)
    assert np.all(state["bias"].numpy() == k)
    return k


def test_a_kill_in_the_middle_of_a_save_leaves_the_previous_checkpoint(tmp_path):
    done = run_and_kill(tmp_path, "pause", until=lambda line: line == "mid-save")
    assert done == [0]                       # save 0 complete, save 1 half written when killed
    assert assert_whole(tmp_path / "checkpoint.npz", {0}) == 0
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1 and leftovers[0].startswith(".checkpoint.npz.")   # the half-written save
    # the next run saves over it as usual; the stale temporary file is just a file
    tinygrad_lr.save({"step": 7}, tmp_path / "checkpoint.npz")
    assert tinygrad_lr.load(tmp_path / "checkpoint.npz") == {"step": 7}


@pytest.mark.parametrize("seed", range(4))
def test_a_kill_at_a_random_moment_leaves_a_whole_checkpoint(tmp_path, seed):
    delay = random.Random(seed).uniform(0.0, 0.4)
    done = run_and_kill(tmp_path, "loop", until=lambda line: line == "0", delay=delay)
    last = max(done)
    # the save after the last one reported may have completed too (killed between rename and print)
    assert_whole(tmp_path / "checkpoint.npz", {last, last + 1})


def test_a_kill_during_the_first_save_leaves_no_file_at_the_path(tmp_path):
    done = run_and_kill(tmp_path, "pause", until=lambda line: line == "mid-save", pause_at=0)
    assert done == []
    assert not (tmp_path / "checkpoint.npz").exists()     # no half-written checkpoint at the path
    with pytest.raises(FileNotFoundError, match=r"^load: no checkpoint file at '.*checkpoint\.npz'"):
        tinygrad_lr.load(tmp_path / "checkpoint.npz")


# ---- truncated and corrupted files ------------------------------------------------------------
@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A real training checkpoint: a model, an optimizer with momentum buffers, numbers and text."""
    tinygrad_lr.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    trainer = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        trainer.zero_grad()
        net(tinygrad_lr.randn(4, 3)).sum().backward()
        trainer.step()
    state = {"model": net.state_dict(), "optimizer": trainer.state_dict(), "epoch": 3, "note": "lr 0.1"}
    path = tmp_path_factory.mktemp("good") / "checkpoint.npz"
    tinygrad_lr.save(state, path)
    return state, path.read_bytes()


def _same(a, b):
    """Two checkpoints hold the same values (tensors compared exactly)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, tinygrad_lr.Tensor):
        return isinstance(b, tinygrad_lr.Tensor) and a.dtype == b.dtype and np.array_equal(a.numpy(), b.numpy())
    return a == b


def _load_damaged(path, data):
    path.write_bytes(data)
    return tinygrad_lr.load(path)


def test_every_truncation_is_a_clear_error_naming_the_path(checkpoint, tmp_path):
    _, data = checkpoint
    path = tmp_path / "truncated.npz"
    for n in range(len(data)):
        with pytest.raises(ValueError, match=r"^load: '.*truncated\.npz' is not a valid tinygrad_lr checkpoint: "
                                             r".*The file may be truncated or corrupt") as info:
            _load_damaged(path, data[:n])
        assert "Traceback" not in str(info.value), n


def test_every_flipped_byte_is_a_clear_error_or_changes_nothing(checkpoint, tmp_path):
    """CRC-32 guards every entry, names are checked against the zip directory, and the structure entry is
    written first so a damaged directory cannot hide it: a flipped byte anywhere is caught, or falls in
    bytes that carry no data (a timestamp, say) and the checkpoint loads unchanged."""
    state, data = checkpoint
    path = tmp_path / "damaged.npz"
    caught = harmless = 0
    for i in range(len(data)):
        damaged = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
        try:
            loaded = _load_damaged(path, damaged)
        except ValueError as e:
            assert str(e).startswith(f"load: '{path}' is not a valid tinygrad_lr checkpoint"), (i, str(e))
            caught += 1
        else:
            assert _same(loaded, state), f"byte {i} flipped: the checkpoint loads with other contents"
            harmless += 1
    assert caught > 0.8 * len(data) and harmless > 0


def test_random_multi_byte_damage(checkpoint, tmp_path):
    state, data = checkpoint
    path = tmp_path / "damaged.npz"
    rng = random.Random(0)
    for _ in range(300):
        damaged = bytearray(data)
        for _ in range(rng.randint(2, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            loaded = _load_damaged(path, bytes(damaged))
        except ValueError as e:
            assert "is not a valid tinygrad_lr checkpoint" in str(e) and str(path) in str(e)
        else:
            assert _same(loaded, state)


def test_a_damaged_file_object_is_named_too(checkpoint):
    import io
    _, data = checkpoint
    with pytest.raises(ValueError, match=r"^load: the file object is not a valid tinygrad_lr checkpoint"):
        tinygrad_lr.load(io.BytesIO(data[: len(data) // 2]))


# ---- hostile files: arrays a tensor cannot hold, crafted structures, crafted headers ------------------
# Each is the one-line "not a valid tinygrad_lr checkpoint" ValueError that names the file and what is
# wrong, raised by our code (no NumPy, json or zipfile exception underneath), never a raw exception.
def _assert_one_line(info, path):
    message = str(info.value)
    assert message.startswith(f"load: '{path}' is not a valid tinygrad_lr checkpoint: "), message
    assert "\n" not in message and "Traceback" not in message
    assert info.value.__cause__ is None and (info.value.__context__ is None or info.value.__suppress_context__)


NOT_NUMBERS = {   # name: (what np.save / np.savez store, what the message says)
    "text": (np.array(["abc", "d"]), r"holds text \(dtype <U3\), not numbers"),
    "bytes": (np.array([b"abc"]), r"holds bytes \(dtype \|S3\), not numbers"),
    "records": (np.zeros(2, dtype=[("a", "<i4"), ("b", "<f8")]),
                r"is a structured array \(dtype \[\('a', '<i4'\), \('b', '<f8'\)\]\), not numbers"),
    "dates": (np.array(["2020-01-01"], dtype="datetime64[D]"), r"holds dates \(dtype datetime64\[D\]\)"),
    "raw bytes": (np.zeros(2, dtype="V4"), r"holds raw bytes \(dtype \|V4\)"),
    "complex": (np.ones(2, dtype=np.complex128), r"is complex128, which is not supported: tensors hold bool, int "
                                                  r"and float numbers; read it with np\.load\(path\) and make tensors "
                                                  r"of its \.real and \.imag parts"),
}


@pytest.mark.parametrize("kind", list(NOT_NUMBERS))
def test_a_npy_or_npz_of_text_records_or_complex_numbers_is_a_clear_error(tmp_path, kind):
    array, what = NOT_NUMBERS[kind]
    np.save(tmp_path / "one.npy", array)
    with pytest.raises(ValueError, match=rf"^load: '.*one\.npy' is not a valid tinygrad_lr checkpoint: its array "
                                         rf"{what}") as info:
        tinygrad_lr.load(tmp_path / "one.npy")
    _assert_one_line(info, tmp_path / "one.npy")
    np.savez(tmp_path / "many.npz", weight=np.ones(2), a=array)
    with pytest.raises(ValueError, match=rf"^load: '.*many\.npz' is not a valid tinygrad_lr checkpoint: the array "
                                         rf"'a' {what}") as info:
        tinygrad_lr.load(tmp_path / "many.npz")
    _assert_one_line(info, tmp_path / "many.npz")


def test_plain_arrays_of_other_numeric_dtypes_load_as_tensor_would_make_them(tmp_path):
    """Big-endian float32 stays float32 (in the native order); uint32 becomes int64, as tensor(array) does."""
    np.savez(tmp_path / "plain.npz", big_endian=np.arange(3, dtype=">f4"), wide=np.arange(3, dtype=np.uint32))
    loaded = tinygrad_lr.load(tmp_path / "plain.npz")
    assert loaded["big_endian"].dtype == tinygrad_lr.float32 and loaded["big_endian"].tolist() == [0.0, 1.0, 2.0]
    assert loaded["wide"].dtype == tinygrad_lr.int64 and (loaded["wide"] * 2).tolist() == [0, 2, 4]


def test_complex_numpy_arrays_in_a_checkpoint_still_round_trip(tmp_path):
    """save stores complex NumPy arrays (not tensors); they come back as arrays."""
    tinygrad_lr.save({"spectrum": np.array([1 + 2j, 3j]), "scale": np.complex64(2j)}, tmp_path / "c.npz")
    loaded = tinygrad_lr.load(tmp_path / "c.npz")
    assert loaded["spectrum"].tolist() == [1 + 2j, 3j] and loaded["scale"] == np.complex64(2j)


def _crafted(path, header, arrays=None):
    """A checkpoint with the JSON ``header`` (a dict, or text as it is) and the arrays (default: w, 2 floats)."""
    text = header if isinstance(header, str) else json.dumps(header)
    entries = {"__tinygrad_lr__": np.array(text), **(arrays if arrays is not None else {"w": np.ones(2)})}
    with zipfile.ZipFile(path, "w") as zf:
        for name, array in entries.items():
            with zf.open(name + ".npy", "w") as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
    return path


def _header(structure):
    return {"format": "tinygrad_lr", "version": 1, "structure": structure}


W = {"__tensor__": "w"}
CRAFTED = {   # name: (the header, or its structure, or (header, arrays); a pattern of what the message names)
    # the header
    "no structure": ({"format": "tinygrad_lr", "version": 1}, r"its __tinygrad_lr__ entry has no structure"),
    "the version a string": ({"format": "tinygrad_lr", "version": "1", "structure": W},
                             r"its format version is '1' \(str\), not a positive integer"),
    "no version": ({"format": "tinygrad_lr", "structure": W}, r"its format version is None \(NoneType\)"),
    "version 0": ({"format": "tinygrad_lr", "version": 0, "structure": W}, r"its format version is 0 \(int\)"),
    "the version true": ({"format": "tinygrad_lr", "version": True, "structure": W},
                         r"its format version is True \(bool\)"),
    "another format": ({"format": "safetensors", "version": 1, "structure": W},
                       r"its __tinygrad_lr__ entry is not valid"),
    "the header a list": ("[1, 2]", r"its __tinygrad_lr__ entry is not valid"),
    "the header not JSON": ("{'format': ", r"its __tinygrad_lr__ entry is not valid"),
    "the header nested too deeply": ("[" * 5000 + "]" * 5000, r"its __tinygrad_lr__ entry is not valid"),
    "the header an int array": (({}, {"__tinygrad_lr__": np.array(3)}), r"its __tinygrad_lr__ entry is not valid"),
    "the header two strings": (({}, {"__tinygrad_lr__": np.array(["{}", "{}"])}),
                               r"the header of its __tinygrad_lr__ entry declares the shape \(2,\)"),
    # dicts
    "__dict__ a string": ({"__dict__": [["model", {"__dict__": "ab"}]]},
                          r"wrong at 'model': '__dict__' must be a list of \[key, value\] pairs, got 'ab' \(str\)"),
    "__dict__ of strings": ({"__dict__": ["ab"]},
                            r"wrong at '<top>': '__dict__' must be a list of \[key, value\] pairs"),
    "__dict__ of triples": ({"__dict__": [["a", 1, 2]]}, r"'__dict__' must be a list of \[key, value\] pairs"),
    "a list as a dict key": ({"__dict__": [[["a"], 1]]}, r"wrong at '<top>': a dict key must be a string or a number, "
                                                          r"got \['a'\] \(list\)"),
    "a dict as a dict key": ({"__dict__": [["x", {"__dict__": [[{}, 1]]}]]},
                             r"wrong at 'x': a dict key must be a string or a number, got \{\} \(dict\)"),
    # tuples and unknown nodes
    "__tuple__ a number": ({"__tuple__": 3}, r"'__tuple__' must be a list, got 3 \(int\)"),
    "__tuple__ a string": ({"__dict__": [["t", {"__tuple__": "abc"}]]}, r"wrong at 't': '__tuple__' must be a list"),
    "an unknown node": ({"__set__": [1, 2]}, r"wrong at '<top>': unknown entry \['__set__'\]"),
    "two tags": ({"__tuple__": [], "__dict__": []}, r"unknown entry \['__dict__', '__tuple__'\]"),
    "an extra key": ({"__ndarray__": "w", "requires_grad": True}, r"unknown entry \['__ndarray__', 'requires_grad'\]"),
    "nested too deeply": ('{"format": "tinygrad_lr", "version": 1, "structure": ' + "[" * 600 + "]" * 600 + "}",
                          r"its structure is nested too deeply"),   # JSON reads it, decoding it recurses twice as deep
    # tensors and arrays
    "a tensor name a list": ({"__dict__": [["w", {"__tensor__": ["w"]}]]},
                             r"wrong at 'w': the array name of '__tensor__' must be a string, got \['w'\] \(list\)"),
    "a tensor name a number": ([{"__ndarray__": 0}], r"wrong at '0': the array name of '__ndarray__' must be a string"),
    "a missing array": ({"__tensor__": "nope"}, r"the array 'nope' is missing"),
    "requires_grad a string": ({"__tensor__": "w", "requires_grad": "yes"},
                               r"'requires_grad' must be true or false, got 'yes' \(str\)"),
    "parameter a number": ({"__tensor__": "w", "parameter": 1}, r"'parameter' must be true or false, got 1 \(int\)"),
    "an integer tensor requiring grad": (({"__dict__": [["n", {"__tensor__": "n", "requires_grad": True}]]},
                                          {"n": np.arange(3)}),
                                         r"wrong at 'n': a tensor of int64 cannot require grad"),
    "an integer parameter requiring grad": (({"__tensor__": "n", "parameter": True, "requires_grad": True},
                                             {"n": np.arange(3)}), r"a tensor of int64 cannot require grad"),
    "a tensor of the header's text": ({"__tensor__": "__tinygrad_lr__"},
                                      r"the array '__tinygrad_lr__' holds text \(dtype <U\d+\), not numbers"),
    "a NumPy scalar of many values": ({"__numpy_scalar__": "w"},
                                      r"the header of the array 'w' declares the shape \(2,\)"),
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_crafted_metadata_is_a_one_line_error_naming_what_is_wrong(tmp_path, case):
    header, what = CRAFTED[case]
    arrays = None
    if isinstance(header, tuple):
        header, arrays = header
    if not isinstance(header, str) and "format" not in header:
        header = _header(header)
    path = _crafted(tmp_path / "crafted.npz", header, arrays)
    with pytest.raises(ValueError, match=rf"^load: '.*crafted\.npz' is not a valid tinygrad_lr checkpoint: .*{what}") \
            as info:
        tinygrad_lr.load(path)
    _assert_one_line(info, path)


def test_well_formed_crafted_metadata_loads(tmp_path):
    """The checks refuse only what save never writes: a hand-made structure in save's format loads."""
    structure = {"__dict__": [["w", {"__tensor__": "w", "requires_grad": True}], [3, {"__tuple__": [None, 1.5]}],
                              ["a", {"__ndarray__": "w"}]]}
    loaded = tinygrad_lr.load(_crafted(tmp_path / "hand-made.npz", _header(structure)))
    assert loaded["w"].requires_grad and loaded[3] == (None, 1.5) and loaded["a"].tolist() == [1.0, 1.0]


def test_a_newer_format_version_asks_for_an_upgrade(tmp_path):
    path = _crafted(tmp_path / "future.npz", {"format": "tinygrad_lr", "version": 99, "structure": W})
    with pytest.raises(ValueError, match=r"^load: '.*future\.npz' was written by a newer tinygrad_lr \(checkpoint "
                                         r"format 99, this one reads 1\); upgrade tinygrad_lr"):
        tinygrad_lr.load(path)


def _npy_declaring(shape, descr="<f8", data=b"\0" * 24):
    """The bytes of an .npy file whose header declares ``shape`` but which holds only ``data``."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + data


HUGE = (100_000, 1_000_000)   # 10¹¹ float64: 745 GiB


@pytest.mark.parametrize("container", ["npy", "npz", "npz compressed", "file object"])
def test_a_header_declaring_745_gib_is_refused_before_anything_is_allocated(tmp_path, container):
    data = _npy_declaring(HUGE)
    path = tmp_path / ("huge.npy" if container in ("npy", "file object") else "huge.npz")
    if container.startswith("npz"):
        compression = zipfile.ZIP_DEFLATED if container == "npz compressed" else zipfile.ZIP_STORED
        with zipfile.ZipFile(path, "w", compression=compression) as zf:
            zf.writestr("w.npy", data)
    else:
        path.write_bytes(data)
    label = "its array" if container in ("npy", "file object") else "the array 'w'"
    what = rf"{label} declares 745\.1 GiB \(shape \(100000, 1000000\), float64\) but the file holds 24 bytes for it"
    if container == "file object":
        with pytest.raises(ValueError, match=rf"^load: the file object is not a valid tinygrad_lr checkpoint: {what}"):
            tinygrad_lr.load(io.BytesIO(data))
        return
    with pytest.raises(ValueError, match=rf"^load: '.*huge\.np[yz]' is not a valid tinygrad_lr checkpoint: {what}\. "
                                         r"The file may be truncated or corrupt") as info:
        tinygrad_lr.load(path)
    _assert_one_line(info, path)


def test_a_zip_entry_claiming_more_bytes_than_the_archive_has_is_refused(tmp_path):
    """The sizes in the zip directory are data from the file too: an entry that claims 4 GiB in an archive
    of a few hundred bytes cannot hold the 3 GiB its header declares."""
    path = tmp_path / "liar.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("w.npy", _npy_declaring((400_000_000,), data=b"\0" * 8000))
    data = path.read_bytes()
    i = data.rindex(b"PK\x01\x02") + 20    # the compressed and uncompressed sizes in the central directory
    path.write_bytes(data[:i] + struct.pack("<II", 2**32 - 1, 2**32 - 1) + data[i + 8:])
    with pytest.raises(ValueError, match=r"^load: '.*liar\.npz' is not a valid tinygrad_lr checkpoint: the array 'w' "
                                         r"declares 3\.0 GiB \(shape \(400000000,\), float64\) but the file holds "
                                         r"[\d.]+ KiB for it"):
        tinygrad_lr.load(path)


@pytest.mark.parametrize("compression", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA], ids=["bzip2", "lzma"])
def test_entries_compressed_without_a_size_bound_are_measured_not_trusted(tmp_path, compression):
    """bzip2 and lzma can expand a few bytes into gigabytes, so an entry's declared size proves nothing:
    load counts the bytes the entry really holds.  An honest entry loads; a lying one is refused."""
    honest = tmp_path / "honest.npz"
    with zipfile.ZipFile(honest, "w", compression=compression) as zf:
        with zf.open("w.npy", "w") as member:
            np.lib.format.write_array(member, np.arange(1000.0))
    assert tinygrad_lr.load(honest)["w"].tolist() == list(range(1000))
    liar = tmp_path / "liar.npz"
    with zipfile.ZipFile(liar, "w", compression=compression) as zf:
        zf.writestr("w.npy", _npy_declaring((400_000_000,), data=b"\0" * 8000))
    data = liar.read_bytes()
    i = data.rindex(b"PK\x01\x02") + 24    # the uncompressed size in the central directory
    liar.write_bytes(data[:i] + struct.pack("<I", 2**32 - 1) + data[i + 4:])
    with pytest.raises(ValueError, match=r"^load: '.*liar\.npz' is not a valid tinygrad_lr checkpoint: the array 'w' "
                                         r"declares 3\.0 GiB \(shape \(400000000,\), float64\) but the file holds "
                                         r"7\.8 KiB for it"):
        tinygrad_lr.load(liar)


@pytest.mark.parametrize("shape, what", [
    ((2**40, 2**40, 2**40), r"declares more than 16 EiB \(shape \(1099511627776, 1099511627776, 1099511627776\)"),
    ((2**62, 4), r"declares more than 16 EiB"),   # NumPy's int64 count would wrap around to 0 here
    ((-1, 3), r"the header of its array declares the shape \(-1, 3\)"),
])
def test_absurd_and_negative_shapes_are_refused(tmp_path, shape, what):
    path = tmp_path / "absurd.npy"
    path.write_bytes(_npy_declaring(shape))
    with pytest.raises(ValueError, match=rf"^load: '.*absurd\.npy' is not a valid tinygrad_lr checkpoint: .*{what}"):
        tinygrad_lr.load(path)


def test_an_honest_compressed_npz_still_loads(tmp_path):
    np.savez_compressed(tmp_path / "small.npz", w=np.zeros((200, 300)))
    assert tinygrad_lr.load(tmp_path / "small.npz")["w"].shape == (200, 300)
