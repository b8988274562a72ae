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
import os
import random
import signal
import subprocess
import sys
import threading
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
