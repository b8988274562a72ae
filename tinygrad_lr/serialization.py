"""``save`` and ``load``: checkpoints as NumPy ``.npz`` files, never pickles.

A checkpoint is a state_dict (or any nesting of dicts, lists and tuples of
tensors, arrays, numbers, strings and None — an optimizer's state_dict with
its momentum buffers, say).  ``save`` stores every tensor and array as a
named ``.npy`` entry of the zip (``0.weight``, ``state.0.momentum_buffer``)
and the nesting as JSON in one more entry, ``__tinygrad_lr__``; so
``np.load(path)`` can read the arrays too.

Why not pickle: unpickling runs whatever code the file names, so loading a
pickled checkpoint from someone else means running their code.  ``load``
reads with ``allow_pickle=False`` and refuses pickled files outright.

Why a temporary file: ``save`` writes next to the target, flushes it to
disk, and only then renames it over the target (``os.replace`` is atomic),
so a crash mid-save leaves the previous checkpoint intact.
"""
import json
import os
import struct
import tempfile
import zipfile

import numpy as np

from .core import Tensor
from .core import internal

_STRUCTURE = "__tinygrad_lr__"
_VERSION = 1
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_NPY_MAGIC = b"\x93NUMPY"


# ---- save ----------------------------------------------------------------------
def save(obj, f):
    """Write ``obj`` (e.g. ``model.state_dict()``) to ``f`` (a path or a binary file object).

    Example::

        tinygrad_lr.save({"model": net.state_dict(), "optimizer": trainer.state_dict(), "epoch": 3},
                         "checkpoint.npz")
    """
    arrays = {}
    structure = _encode(obj, "", arrays, {})
    payload = json.dumps({"format": "tinygrad_lr", "version": _VERSION, "structure": structure})
    arrays[_STRUCTURE] = np.array(payload)  # a unicode array: stored without pickle
    if hasattr(f, "write"):
        _write_npz(f, arrays)
        return
    path = _path(f, "save")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: the directory '{directory}' does not exist; create it first "
                                "(os.makedirs(directory, exist_ok=True))")
    mode = _file_mode(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_npz(fh, arrays)
            fh.flush()
            os.fsync(fh.fileno())   # the bytes are on disk before the rename makes them the checkpoint
        os.chmod(tmp, mode)         # mkstemp makes the file private (0600); give it a normal file's mode
        os.replace(tmp, path)       # atomic: the old file or the new one, never half of one
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _write_npz(fh, arrays):
    """What ``np.savez`` writes, without its keyword names (``file``) clashing with ours."""
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in arrays.items():
            with zf.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _file_mode(path):
    """The permissions of the file being replaced, or those a new file gets (0666 minus the umask)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # e.g. Windows: directories cannot be opened; the rename is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _encode(obj, name, arrays, memo):
    """The JSON structure of ``obj``; its tensors and arrays go into ``arrays`` under readable names."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return {"__numpy_scalar__": _store(np.asarray(obj), name, arrays, memo, obj)}
    if isinstance(obj, Tensor):
        entry = {"__tensor__": _store(internal.values(obj), name, arrays, memo, obj)}
        if obj.requires_grad:
            entry["requires_grad"] = True
        if type(obj).__name__ == "Parameter":
            entry["parameter"] = True
        return entry
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": _store(obj, name, arrays, memo, obj)}
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if not (key is None or isinstance(key, (bool, int, float, str))):
                raise TypeError(f"save: dict keys must be strings or numbers, got the key {key!r} "
                                f"({type(key).__name__}) at '{name or '<top>'}'")
            items.append([key, _encode(value, f"{name}.{key}" if name else str(key), arrays, memo)])
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        values = [_encode(v, f"{name}.{i}" if name else str(i), arrays, memo) for i, v in enumerate(obj)]
        return values if isinstance(obj, list) else {"__tuple__": values}
    kind = type(obj).__name__
    if hasattr(obj, "state_dict"):
        raise TypeError(f"save: cannot save a {kind} object itself; save its state: "
                        f"tinygrad_lr.save(obj.state_dict(), path)")
    raise TypeError(f"save: cannot save an object of type {kind} (at '{name or '<top>'}'); a checkpoint holds "
                    "tensors, NumPy arrays, numbers, strings, None, and dicts/lists/tuples of them")


def _store(array, name, arrays, memo, owner):
    """Add ``array`` under a unique name derived from its path; an object saved twice is stored once."""
    if id(owner) in memo:
        return memo[id(owner)]
    if array.dtype.kind not in "biufc":
        raise TypeError(f"save: the array at '{name or '<top>'}' has dtype {array.dtype}, which cannot be "
                        "saved without pickle; use numeric arrays")
    base = (name or "tensor").replace("/", "_")
    key, n = base, 1
    while key in arrays or key == _STRUCTURE:
        n += 1
        key = f"{base}#{n}"
    arrays[key] = array
    memo[id(owner)] = key
    return key


# ---- load ----------------------------------------------------------------------
def load(f, map_location=None, weights_only=None):
    """Read a checkpoint written by ``save`` (or a plain ``.npz`` / ``.npy`` of numeric arrays).

    Tensors come back as tensors (parameters as ``nn.Parameter``, with their
    ``requires_grad``), arrays as arrays, everything else as saved.
    ``map_location`` and ``weights_only`` are accepted so PyTorch code runs;
    loading is always CPU and never runs code from the file.

    Raises:
        FileNotFoundError: no file at the path.
        ValueError: the file is pickled (refused), corrupt, or not a checkpoint.
    """
    if isinstance(f, (str, os.PathLike)):
        path = _path(f, "load")
        if not os.path.exists(path):
            raise FileNotFoundError(f"load: no checkpoint file at '{path}'")
        if os.path.isdir(path):
            raise IsADirectoryError(f"load: '{path}' is a directory, not a checkpoint file")
        with open(path, "rb") as fh:
            return _load_file(fh, f"'{path}'")
    if not hasattr(f, "read"):
        raise TypeError(f"load: expected a file path or a binary file object, got {type(f).__name__}")
    return _load_file(f, "the file object")


def _load_file(fh, where):
    start = fh.tell()
    magic = fh.read(len(_NPY_MAGIC))
    fh.seek(start)
    if magic.startswith(_NPY_MAGIC):
        return internal.wrap(_read(lambda: np.load(fh, allow_pickle=False), where))
    if not magic.startswith(_ZIP_MAGIC):
        if magic[:1] == b"\x80":
            raise _pickled(where)
        raise _corrupt(where, "it is neither a NumPy .npz nor .npy file" if magic else "it is empty")
    try:
        names = zipfile.ZipFile(fh).namelist()
    except _ZIP_ERRORS as e:
        raise _corrupt(where, f"the zip archive is damaged ({e})") from None
    fh.seek(start)
    if _hidden_entries(fh, start, len(names)):
        raise _corrupt(where, "its zip directory is damaged (it lists fewer entries than the archive holds)")
    if any(n.endswith(".pkl") for n in names):
        raise _pickled(where, " (a PyTorch torch.save file?)")
    others = [n for n in names if not n.endswith(".npy")]
    if not names or others:
        raise _corrupt(where, f"it is a zip archive but not a NumPy .npz (it holds {others[:3]})" if others
                       else "the archive is empty")
    with _read(lambda: np.load(fh, allow_pickle=False), where) as npz:
        if _STRUCTURE not in npz.files:  # a plain np.savez file: its arrays by name, as tensors
            return {name: internal.wrap(_read(lambda name=name: npz[name], where)) for name in npz.files}
        text = _read(lambda: npz[_STRUCTURE], where)
        try:
            header = json.loads(str(text))
            if header.get("format") != "tinygrad_lr":
                raise ValueError("unknown format")
        except (ValueError, AttributeError, TypeError):
            raise _corrupt(where, f"its {_STRUCTURE} entry is not valid") from None
        if header.get("version", 0) > _VERSION:
            raise ValueError(f"load: {where} was written by a newer tinygrad_lr (checkpoint format "
                             f"{header['version']}, this one reads {_VERSION}); upgrade tinygrad_lr")
        return _decode(header["structure"], npz, where, {})


def _read(fn, where):
    """Run a NumPy read; a pickled entry is refused, any other failure is reported as a corrupt file."""
    try:
        return fn()
    except ValueError as e:
        if "pickle" in str(e) or "Object arrays" in str(e):
            raise _pickled(where) from None
        raise _corrupt(where, str(e)) from None
    except _ZIP_ERRORS + (KeyError,) as e:
        raise _corrupt(where, str(e)) from None


# what zipfile raises on a damaged archive: besides BadZipFile, a garbled header field can read as an
# unsupported feature (NotImplementedError: compression, version), encryption (RuntimeError) or nonsense
_ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, struct.error,
               OverflowError)


def _hidden_entries(fh, start, listed):
    """True if the zip's end record counts more (or fewer) entries than its directory lists.

    zipfile reads the central directory entry by entry and never compares with that count, so a
    damaged length field can hide entries; a checkpoint that lost its structure entry that way would
    load as a plain .npz of some of its arrays, silently.  (The end record is the last 22 bytes, or
    up to 64 KiB more with a zip comment; 0xFFFF means a ZIP64 count, which we leave to zipfile.)
    """
    fh.seek(0, os.SEEK_END)
    end = fh.tell()
    fh.seek(max(start, end - 22 - 65535))
    tail = fh.read()
    fh.seek(start)
    i = tail.rfind(b"PK\x05\x06")
    if i < 0 or len(tail) < i + 22:
        return False
    total, = struct.unpack("<H", tail[i + 10:i + 12])
    return total not in (listed, 0xFFFF)


def _decode(node, npz, where, memo):
    if isinstance(node, list):
        return [_decode(v, npz, where, memo) for v in node]
    if not isinstance(node, dict):
        return node
    if "__dict__" in node:
        return {key: _decode(value, npz, where, memo) for key, value in node["__dict__"]}
    if "__tuple__" in node:
        return tuple(_decode(v, npz, where, memo) for v in node["__tuple__"])
    for tag in ("__tensor__", "__ndarray__", "__numpy_scalar__"):
        if tag in node:
            name = node[tag]
            if name in memo:
                return memo[name]
            if name not in npz.files:
                raise _corrupt(where, f"the array '{name}' is missing")
            array = _read(lambda: npz[name], where)
            if tag == "__ndarray__":
                value = array
            elif tag == "__numpy_scalar__":
                value = array[()]
            else:
                value = _tensor(array, node)
            memo[name] = value
            return value
    raise _corrupt(where, f"unknown entry {sorted(node)} in its structure")


def _tensor(array, node):
    if node.get("parameter"):
        from .nn import Parameter
        return Parameter(array, requires_grad=node.get("requires_grad", False))
    t = internal.wrap(array)
    if node.get("requires_grad"):
        t.requires_grad_(True)
    return t


def _path(f, op):
    try:
        return os.fspath(f)
    except TypeError:
        raise TypeError(f"{op}: expected a file path or a binary file object, got {type(f).__name__}") from None


def _pickled(where, what=""):
    return ValueError(f"load: {where} contains pickled data{what}; tinygrad_lr refuses to unpickle, because "
                      "unpickling can run arbitrary code. Load it with the program that wrote it and "
                      "re-save the arrays (np.savez, or tinygrad_lr.save of a state_dict)")


def _corrupt(where, why):
    return ValueError(f"load: {where} is not a valid tinygrad_lr checkpoint: {why}. The file may be truncated or "
                      "corrupt; tinygrad_lr.save writes .npz files")
