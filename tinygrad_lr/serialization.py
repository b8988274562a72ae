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
so a crash mid-save leaves the previous checkpoint intact.  Saving to a
symbolic link replaces the file it points to, as ``open(path, 'wb')`` does.

Why ``load`` checks so much: a checkpoint is data from elsewhere.  Each
array's header is read first (is its dtype one a tensor can hold, are the
bytes it declares in the file?), and each node of the JSON structure is
checked against what ``save`` writes, so a damaged or crafted file is one
clear error, never a MemoryError or a KeyError from deep inside.
"""
import io
import json
import math
import os
import struct
import tempfile
import zipfile
import zlib

import numpy as np

from .core import Tensor, dtypes
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
        _check_file_object(f, "save")
        _write_npz(f, arrays)
        return
    path = _path(f, "save")
    target = _target(path)
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: the directory '{directory}' does not exist; create it first "
                                "(os.makedirs(directory, exist_ok=True))")
    mode = _file_mode(target)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_npz(fh, arrays)
            fh.flush()
            os.fsync(fh.fileno())   # the bytes are on disk before the rename makes them the checkpoint
        os.chmod(tmp, mode)         # mkstemp makes the file private (0600); give it a normal file's mode
        os.replace(tmp, target)     # atomic: the old file or the new one, never half of one
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _target(path):
    """The file ``save(obj, path)`` replaces: the file a symbolic link points to, not the link.

    ``open(path, 'wb')`` and ``torch.save`` write through a link; renaming a new file over the link
    itself would cut it from its target (a ``latest.npz`` link to ``run-7/checkpoint.npz``, say).
    """
    target = os.path.realpath(path) if os.path.islink(path) else os.path.abspath(path)
    if os.path.islink(target):   # realpath gives up on a loop
        raise OSError(f"save: '{path}' is a symbolic link in a loop (through links it points back to itself); "
                      "point it at a file, or remove it")
    if os.path.isdir(target):
        raise IsADirectoryError(f"save: '{path}' is a directory; save to a file inside it "
                                f"('{os.path.join(path, 'checkpoint.npz')}')")
    return target


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
        TypeError: a file object opened in text mode.
        ValueError: the file is pickled (refused), corrupt, not a checkpoint, or holds
            arrays a tensor cannot hold (text, records, complex numbers).
    """
    if isinstance(f, (str, os.PathLike)):
        path = _path(f, "load")
        if not os.path.exists(path):
            raise FileNotFoundError(f"load: no checkpoint file at '{path}'")
        if os.path.isdir(path):
            raise IsADirectoryError(f"load: '{path}' is a directory, not a checkpoint file")
        with open(path, "rb") as fh:
            return _load_file(fh, f"'{path}'")
    _check_file_object(f, "load")
    return _load_file(f, "the file object")


def _load_file(fh, where):
    start = fh.tell()
    magic = fh.read(len(_NPY_MAGIC))
    if isinstance(magic, str):   # a file-like object that reads text
        raise _text_mode("load")
    fh.seek(0, os.SEEK_END)
    size = fh.tell() - start
    fh.seek(start)
    if magic.startswith(_NPY_MAGIC):
        _check_header(fh, where, "its array", size, "__tensor__")
        fh.seek(start)
        return internal.wrap(_tensor_values(_read(lambda: np.load(fh, allow_pickle=False), where)))
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
        archive = _Archive(npz, where, size)
        if _STRUCTURE not in npz.files:  # a plain np.savez file: its arrays by name, as tensors
            return {name: internal.wrap(archive.array(name, "__tensor__")) for name in npz.files}
        header = _header(archive.array(_STRUCTURE, _STRUCTURE), where)
        try:
            return _decode(header["structure"], "", archive)
        except RecursionError:
            raise _corrupt(where, "its structure is nested too deeply") from None


def _check_file_object(f, op):
    """A file object must be binary and open, and readable (``load``) or writable (``save``)."""
    mode, method = ("rb", "read") if op == "load" else ("wb", "write")
    if not hasattr(f, method):
        raise TypeError(f"{op}: expected a file path or a binary file object, got {type(f).__name__}")
    if isinstance(f, io.TextIOBase):
        raise _text_mode(op)
    if getattr(f, "closed", False):
        raise ValueError(f"{op}: the file object is closed; call {op} inside the with block that opened it, or "
                         f"open it again with open(path, '{mode}')")
    able = getattr(f, "readable" if op == "load" else "writable", None)
    if callable(able) and not able():
        raise ValueError(f"{op}: the file object is not open for {'reading' if op == 'load' else 'writing'}; "
                         f"open it with open(path, '{mode}')")
    if op == "load" and callable(getattr(f, "seekable", None)) and not f.seekable():
        raise ValueError("load: the file object cannot seek (a pipe or a socket?), and a checkpoint is not read "
                         "front to back; read it into memory first: tinygrad_lr.load(io.BytesIO(f.read()))")


def _text_mode(op):
    mode = "rb" if op == "load" else "wb"
    return TypeError(f"{op}: the file object is open in text mode, but a checkpoint is binary; open it in binary "
                     f"mode ('{mode}'): open(path, '{mode}')")


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
# unsupported feature (NotImplementedError: compression, version), encryption (RuntimeError) or nonsense;
# a damaged compressed entry (np.savez_compressed) fails in zlib
_ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, struct.error,
               OverflowError, zlib.error)


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


# ---- load: the arrays, each checked before it is read ----------------------------------------------
# the dtype kinds each role accepts: tensors hold bool, int and float numbers; arrays and NumPy scalars
# also complex ones (what save stores); the structure is one unicode string
_KINDS = {"__tensor__": "biuf", "__ndarray__": "biufc", "__numpy_scalar__": "biufc", _STRUCTURE: "U"}
_WHAT = {"U": "text", "S": "bytes", "V": "raw bytes", "M": "dates", "m": "time spans"}


class _Archive:
    """The arrays of one open .npz, for ``load``: each array's header is checked (``_check_header``)
    before NumPy reads the array, and an array used twice is read once."""

    def __init__(self, npz, where, size):
        self.npz, self.where, self.size, self.memo = npz, where, size, {}

    def array(self, name, role):
        """The array stored as ``name``, which the file uses as ``role`` (a key of ``_KINDS``)."""
        if name not in self.npz.files:
            raise _corrupt(self.where, f"the array '{name}' is missing")
        info = self.npz.zip.getinfo(name + ".npy")
        label = f"its {_STRUCTURE} entry" if role == _STRUCTURE else f"the array '{name}'"
        size = _read(lambda: _member_bytes(self.npz.zip, info, self.size), self.where)
        with _read(lambda: self.npz.zip.open(info), self.where) as member:
            _check_header(member, self.where, label, size, role)
        array = _read(lambda: self.npz[name], self.where)
        return _tensor_values(array) if role == "__tensor__" else array

    def value(self, tag, node, at):
        """The tensor, array or NumPy scalar that a node ``{tag: name, ...}`` of the structure stands for."""
        name = node[tag]
        if not isinstance(name, str):
            raise self.wrong(at, f"the array name of '{tag}' must be a string, got {_short(name)}")
        for flag in ("requires_grad", "parameter"):
            if not isinstance(node.get(flag, False), bool):
                raise self.wrong(at, f"'{flag}' must be true or false, got {_short(node[flag])}")
        if (tag, name) not in self.memo:   # an object saved twice was stored once, and comes back shared
            array = self.array(name, tag)
            if tag == "__tensor__":
                if node.get("requires_grad") and array.dtype.kind != "f":
                    raise self.wrong(at, f"a tensor of {array.dtype} cannot require grad (only float ones can)")
                value = _tensor(array, node)
            else:
                value = array if tag == "__ndarray__" else array[()]
            self.memo[tag, name] = value
        return self.memo[tag, name]

    def wrong(self, at, what):
        return _corrupt(self.where, f"its structure is wrong at '{at or '<top>'}': {what}")


def _check_header(fp, where, label, size, role):
    """Check the .npy header at ``fp`` before NumPy reads the array it declares.

    NumPy allocates the whole array the header declares before it reads a byte of it, so a damaged or
    crafted header (a shape of 745 GiB in a 300-byte file) would be a MemoryError; the declared bytes,
    ∏ shape · itemsize, must fit in the ``size`` bytes that hold the entry.  The dtype must suit the
    entry's ``role`` (a key of ``_KINDS``): a tensor cannot hold text, records or complex numbers.
    """
    begin = fp.tell()
    try:
        version = np.lib.format.read_magic(fp)
        if version not in ((1, 0), (2, 0), (3, 0)):
            raise ValueError(f"unknown .npy format version {version[0]}.{version[1]}")
        # format 3.0 is 2.0 with a utf-8 header (for non-latin-1 field names): the same layout
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(fp)
    except _ZIP_ERRORS as e:   # the zip entry itself is damaged (a bad CRC, say)
        raise _corrupt(where, str(e)) from None
    except (ValueError, TypeError, SyntaxError) as e:   # NumPy's message quotes the header: cut it short
        why = str(e) if len(str(e)) <= 100 else str(e)[:100] + "…"
        raise _corrupt(where, f"the header of {label} is damaged ({why})") from None
    if dtype.hasobject:
        raise _pickled(where)
    if dtype.kind not in _KINDS[role]:
        raise _unsupported(where, label, dtype, role)
    if any(n < 0 for n in shape) or (role in ("__numpy_scalar__", _STRUCTURE) and shape != ()):
        raise _corrupt(where, f"the header of {label} declares the shape {shape}")
    declared, held = math.prod(shape) * dtype.itemsize, size - (fp.tell() - begin)
    if declared > held:
        raise _corrupt(where, f"{label} declares {_bytes(declared)} (shape {shape}, {dtype}) but the file holds "
                              f"{_bytes(max(held, 0))} for it")


def _member_bytes(zf, info, archive_size):
    """How many bytes a zip entry can deliver: the size the zip directory declares is data from the file too."""
    if info.compress_type == zipfile.ZIP_STORED:
        return min(info.file_size, info.compress_size, archive_size)
    if info.compress_type == zipfile.ZIP_DEFLATED:   # deflate expands at most 1032-fold
        return min(info.file_size, 1032 * min(info.compress_size, archive_size))
    count = 0   # bzip2, lzma (np.savez never writes them) have no such bound: count what the entry holds
    with zf.open(info) as member:
        while chunk := member.read(1 << 20):
            count += len(chunk)
    return count


def _bytes(n):
    """745.1 GiB, 3.0 KiB, 12 bytes."""
    if n.bit_length() > 64:
        return "more than 16 EiB"
    for unit, scale in (("EiB", 2 ** 60), ("PiB", 2 ** 50), ("TiB", 2 ** 40), ("GiB", 2 ** 30), ("MiB", 2 ** 20),
                        ("KiB", 2 ** 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def _unsupported(where, label, dtype, role):
    """The error for an array whose dtype its role cannot take (text where a tensor belongs, say)."""
    if role == _STRUCTURE:
        return _corrupt(where, f"its {_STRUCTURE} entry is not valid")
    if dtype.kind == "c":
        why = f"{label} is {dtype}, which is not supported: tensors hold bool, int and float numbers"
        fix = "read it with np.load(path) and make tensors of its .real and .imag parts"
    else:
        what = "is a structured array" if dtype.names else f"holds {_WHAT.get(dtype.kind, 'values')}"
        why = f"{label} {what} (dtype {dtype}), not numbers"
        fix = ("tensors hold bool, int and float numbers" if role == "__tensor__" else
               "a checkpoint's arrays hold bool, int, float and complex numbers") + "; read the file with np.load(path)"
    return ValueError(f"load: {where} is not a valid tinygrad_lr checkpoint: {why}; {fix}")


def _tensor_values(array):
    """``array`` in a dtype a tensor has, converted as ``tinygrad_lr.tensor(array)`` converts: the native
    byte order, and uint32, uint64 to int64 and long double to float64."""
    if array.dtype in dtypes._NAMES:
        return array
    native = array.dtype.newbyteorder("=")
    return array.astype(native if native in dtypes._NAMES else np.float64 if native.kind == "f" else np.int64)


# ---- load: the structure ------------------------------------------------------------------------
# the tagged nodes of the structure (what _encode writes) and the keys each may have
_NODE_KEYS = {"__dict__": {"__dict__"}, "__tuple__": {"__tuple__"}, "__ndarray__": {"__ndarray__"},
              "__numpy_scalar__": {"__numpy_scalar__"}, "__tensor__": {"__tensor__", "requires_grad", "parameter"}}


def _header(text, where):
    """The checkpoint's JSON header, checked: its format, its version, and that it has a structure."""
    try:
        header = json.loads(str(text))
    except (ValueError, RecursionError):
        header = None
    if not isinstance(header, dict) or header.get("format") != "tinygrad_lr":
        raise _corrupt(where, f"its {_STRUCTURE} entry is not valid")
    version = header.get("version")
    if type(version) is not int or version < 1:
        raise _corrupt(where, f"its format version is {_short(version)}, not a positive integer")
    if version > _VERSION:
        raise ValueError(f"load: {where} was written by a newer tinygrad_lr (checkpoint format "
                         f"{version}, this one reads {_VERSION}); upgrade tinygrad_lr")
    if "structure" not in header:
        raise _corrupt(where, f"its {_STRUCTURE} entry has no structure")
    return header


def _decode(node, at, archive):
    """The object a node of the structure stands for; ``at`` is its path ('optimizer.state.0') for messages.

    The structure comes from a file, so each node is checked against what ``_encode`` writes.
    """
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, _child(at, i), archive) for i, v in enumerate(node)]
    tags = [tag for tag in _NODE_KEYS if tag in node]   # JSON leaves only dicts here
    if len(tags) != 1 or not node.keys() <= _NODE_KEYS[tags[0]]:
        raise archive.wrong(at, f"unknown entry {sorted(node)}")
    tag, value = tags[0], node[tags[0]]
    if tag == "__dict__":
        if not isinstance(value, list) or not all(isinstance(pair, list) and len(pair) == 2 for pair in value):
            raise archive.wrong(at, f"'__dict__' must be a list of [key, value] pairs, got {_short(value)}")
        result = {}
        for key, v in value:
            if not (key is None or isinstance(key, (bool, int, float, str))):
                raise archive.wrong(at, f"a dict key must be a string or a number, got {_short(key)}")
            result[key] = _decode(v, _child(at, key), archive)
        return result
    if tag == "__tuple__":
        if not isinstance(value, list):
            raise archive.wrong(at, f"'__tuple__' must be a list, got {_short(value)}")
        return tuple(_decode(v, _child(at, i), archive) for i, v in enumerate(value))
    return archive.value(tag, node, at)


def _child(at, key):
    return f"{at}.{key}" if at else str(key)


def _short(value):
    """A value from the file, for a message: its repr, cut short, and its type."""
    text = repr(value)
    return f"{text[:40] + '…' if len(text) > 40 else text} ({type(value).__name__})"


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
