"""The catalogues of user mistakes: every plausible misuse of the public API, and what the learner sees.

Every mistake raises ValueError, TypeError, RuntimeError or IndexError whose message names the op, the
shapes or the value, and the fix; a test asserts each message.  Two catalogues:

- ``MISTAKES``, the learner's path: a model, a loss, a training loop, a data loader, a checkpoint.
  Each entry is one row: what was done, the code that does it, and either the exception (its family,
  and a pattern its message must match: the message names the problem and the fix) or, where PyTorch
  carries on, a check that tinygrad_lr carries on the same way (``step()`` with no gradients is a
  no-op; forgetting ``zero_grad`` accumulates).  The troubleshooting page, docs/troubleshooting.md,
  is this table: ``python tests/tools/test_mistakes.py > docs/troubleshooting.md`` writes it.
- ``OP_MISTAKES``, the core ops: broadcasting, reshapes, dims, joining, indexing, bad data, operands,
  gradients, in place, conversions.  Each entry is the call, the exception, and a pattern its message
  must match, which starts with the op's name.
"""
import os
import pickle
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr import nn, optim, tensor
from tinygrad_lr.autograd import Function
from tinygrad_lr.data import DataLoader, TensorDataset


@dataclass(frozen=True)
class Mistake:
    id: str
    what: str                     # the mistake, in the learner's words
    action: Callable              # does it; gets a temporary directory (a Path)
    error: Optional[type] = None  # the exception it must raise, or None: PyTorch carries on, and so do we
    match: str = ""               # a pattern the message must match (re.search)
    check: Optional[Callable] = None   # for the carry-on entries: asserts on what action returned
    seen: str = ""                # for the carry-on entries: what you see
    fix: str = ""


# ---- a few things to make mistakes with --------------------------------------------------
def _data(n=5):
    g = tinygrad_lr.Generator().manual_seed(0)
    X = tinygrad_lr.randn(n, 2, generator=g)
    return X, X @ tinygrad_lr.tensor([[2.0], [-3.4]]) + 4.2


def _net():
    tinygrad_lr.manual_seed(0)
    return nn.Linear(2, 1)


def _step_before_backward(tmp):
    net = _net()
    before = net.weight.detach().clone()
    trainer = optim.SGD(net.parameters(), lr=0.1)
    trainer.step()                        # no backward yet: no gradients
    return before, net.weight.detach()


def _no_zero_grad(tmp):
    X, y = _data()
    net, loss = _net(), nn.MSELoss()
    loss(net(X), y).backward()
    once = net.weight.grad.clone()
    loss(net(X), y).backward()            # the next step, without trainer.zero_grad()
    return once, net.weight.grad


def _backward_twice(tmp):
    X, y = _data()
    l = nn.MSELoss()(_net()(X), y)
    l.backward()
    l.backward()


def _step_between_forward_and_backward(tmp):
    X, y = _data()
    net = _net()
    trainer = optim.SGD(net.parameters(), lr=0.1)
    l = nn.MSELoss()(net(X), y)
    l.backward(retain_graph=True)
    trainer.step()                        # the weights change in place...
    l.backward()                          # ...but this graph was computed with the old ones


def _in_place_on_a_saved_output(tmp):
    w = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    h = w.exp()
    h += 1                                # exp saved its output for backward
    h.sum().backward()


def _update_outside_no_grad(tmp):
    w = tinygrad_lr.zeros(2, 1, requires_grad=True)
    X, y = _data()
    ((X @ w - y) ** 2).mean().backward()
    w -= 0.1 * w.grad


def _rebind_the_parameter(tmp):
    X, y = _data()
    w = tinygrad_lr.zeros(2, 1, requires_grad=True)
    ((X @ w - y) ** 2).mean().backward()
    w = w - 0.1 * w.grad                  # a new tensor, computed from w: not a leaf any more
    ((X @ w - y) ** 2).mean().backward()
    return w


def _forgot_requires_grad(tmp):
    X, y = _data()
    w = tinygrad_lr.zeros(2, 1)
    ((X @ w - y) ** 2).mean().backward()


def _loss_under_no_grad(tmp):
    X, y = _data()
    net = _net()
    with tinygrad_lr.no_grad():
        l = nn.MSELoss()(net(X), y)
    l.backward()


def _grad_before_backward(tmp):
    return _net().weight.grad


def _zero_a_missing_grad(tmp):
    net = _net()
    optim.SGD(net.parameters(), lr=0.1).zero_grad()   # sets .grad to None (PyTorch's default)
    net.weight.grad.zero_()


def _accumulate_the_loss_tensor(tmp):
    X, y = _data()
    net = _net()
    trainer = optim.SGD(net.parameters(), lr=0.01)
    total = 0
    for _ in range(3):
        l = nn.MSELoss()(net(X), y)
        trainer.zero_grad()
        l.backward()
        trainer.step()
        total += l                        # keeps every step's graph alive
    return total


def _in_place_on_a_batch(tmp):
    X, y = _data()
    for xb, yb in DataLoader(TensorDataset(X, y), batch_size=2):
        xb -= xb.mean()


def _broadcast_by_hand(tmp):
    X, y = _data()
    w, b = tinygrad_lr.zeros(2, requires_grad=True), tinygrad_lr.zeros(1, requires_grad=True)
    return (X @ w + b) - y                # (5,) − (5, 1): broadcasts to (5, 5)


def _float64_into_float32(tmp):
    net = _net()
    out = net(tinygrad_lr.from_numpy(np.ones((3, 2))))
    out.sum().backward()
    return out, net


def _used_up_generator(tmp):
    params = _net().parameters()
    optim.SGD(params, lr=0.1)
    optim.SGD(params, lr=0.1)             # the generator is empty now


class _NoSuperInit(nn.Module):
    def __init__(self):
        self.linear = nn.Linear(2, 1)


class _Misspelled(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def foward(self, x):
        return self.linear(x)


def _checkpoint(tmp, name="checkpoint.npz"):
    path = tmp / name
    tinygrad_lr.save(_net().state_dict(), path)
    return path


def _truncated(tmp):
    path = _checkpoint(tmp)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    tinygrad_lr.load(path)


def _corrupted(tmp):
    path = _checkpoint(tmp)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF          # one flipped byte in the middle (the bias array's bytes)
    path.write_bytes(bytes(data))
    tinygrad_lr.load(path)


def _pickled(tmp):
    path = tmp / "model.pt"
    path.write_bytes(pickle.dumps({"weight": np.ones((1, 2))}))   # what torch.save / pickle.dump write
    tinygrad_lr.load(path)


def _text_npy(tmp):
    np.save(tmp / "names.npy", np.array(["alice", "bob"]))
    tinygrad_lr.load(tmp / "names.npy")


def _complex_npz(tmp):
    np.savez(tmp / "spectrum.npz", spectrum=np.fft.fft(np.arange(4.0)))
    tinygrad_lr.load(tmp / "spectrum.npz")


def _edited_structure(tmp):
    path = _checkpoint(tmp)
    with np.load(path) as npz:
        arrays = {name: npz[name] for name in npz.files}
    header = str(arrays["__tinygrad_lr__"])                  # the JSON of the structure
    arrays["__tinygrad_lr__"] = np.array(header.replace('"version": 1', '"version": "1"'))   # another program's edit
    np.savez(path, **arrays)
    tinygrad_lr.load(path)


def _huge_header(tmp):
    path = tmp / "model.npy"
    with open(path, "wb") as fh:                             # the header of a 745 GiB array, then 24 bytes
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": (100000, 1000000)})
        fh.write(bytes(24))
    tinygrad_lr.load(path)


def _load_text_mode(tmp):
    with open(_checkpoint(tmp)) as fh:                       # open() reads text unless told 'rb'
        tinygrad_lr.load(fh)


def _save_text_mode(tmp):
    with open(tmp / "checkpoint.npz", "w") as fh:
        tinygrad_lr.save(_net().state_dict(), fh)


def _load_after_the_with_block(tmp):
    with open(_checkpoint(tmp), "rb") as fh:
        pass
    tinygrad_lr.load(fh)


def _load_a_write_mode_file(tmp):
    with open(tmp / "checkpoint.npz", "wb") as fh:
        tinygrad_lr.load(fh)


def _load_from_a_pipe(tmp):
    read_end, write_end = os.pipe()
    os.close(write_end)
    with open(read_end, "rb") as pipe:                       # like sys.stdin.buffer or a subprocess's stdout
        tinygrad_lr.load(pipe)


def _link(tmp, name, to):
    link = tmp / name
    if link.is_symlink():
        link.unlink()
    link.symlink_to(to)
    return link


def _save_over_a_symlink(tmp):
    (tmp / "run-7").mkdir(exist_ok=True)
    target = _checkpoint(tmp / "run-7")
    link = _link(tmp, "latest.npz", target)                  # latest.npz -> run-7/checkpoint.npz
    tinygrad_lr.save({"step": 8}, link)
    return link, target


def _file(tmp, name, content):
    path = tmp / name
    path.write_bytes(content)
    return path


def _checks(expected):
    def check(result):
        assert expected(result)
    return check


def _equal(pair):
    a, b = pair
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def _doubled(pair):
    once, twice = pair
    np.testing.assert_allclose(twice.numpy(), 2 * once.numpy(), rtol=1e-6)


X, Y = _data()

# ============================================================================
# the learner's path: the catalogue (the rows of docs/troubleshooting.md)
# ============================================================================
MISTAKES = [
    # ---- shapes ----------------------------------------------------------------------------
    Mistake("linear-in-features", "Feeding a Linear layer samples with the wrong number of features",
            lambda tmp: nn.Linear(2, 1)(tinygrad_lr.randn(5, 3)), ValueError,
            r"^Linear\(2 → 1\) got input of shape \(5, 3\): the last dimension must be in_features = 2",
            fix="make the layer's in_features the number of columns of X: nn.Linear(X.shape[1], 1)"),
    Mistake("samples-in-columns", "Passing the data matrix transposed (features × samples)",
            lambda tmp: nn.Linear(2, 1)(X.T), ValueError,
            r"got input of shape \(2, 5\).*the samples seem to be in the columns: transpose the input \(x\.T\)",
            fix="one sample per row: net(X.T) → net(X)"),
    Mistake("1d-batch-into-linear", "Feeding a 1-d vector of n numbers to Linear(1, 1)",
            lambda tmp: nn.Linear(1, 1)(tinygrad_lr.randn(5)), ValueError,
            r"for a batch of 5 numbers reshape it to \(5, 1\): x\.reshape\(-1, 1\)",
            fix="x.reshape(-1, 1): a batch of n samples with one feature is (n, 1)"),
    Mistake("weights-transposed", "Writing the model as X @ w with w of shape (1, d) instead of (d, 1)",
            lambda tmp: X @ tinygrad_lr.zeros(1, 2), ValueError,
            r"^matmul: shapes \(5, 2\) and \(1, 2\) cannot be multiplied \(inner dimensions 2 and 1 differ\)",
            fix="w = zeros(d, 1), or X @ w.T"),
    Mistake("mse-n1-vs-n", "MSELoss on a prediction of shape (N, 1) and labels of shape (N,)",
            lambda tmp: nn.MSELoss()(_net()(X), Y.reshape(-1)), ValueError,
            r"^MSELoss: input \(prediction\) has shape \(5, 1\) but target has shape \(5,\); they must be "
            r"equal\. Broadcasting .*\(a \(5, 5\) matrix\).* y\.reshape\(-1, 1\)",
            fix="y.reshape(-1, 1) (PyTorch only warns here and broadcasts to (N, N): a wrong loss)"),
    Mistake("mse-lengths", "MSELoss on predictions and labels of different lengths (e.g. a mis-sliced batch)",
            lambda tmp: nn.MSELoss()(_net()(X), Y[:4]), ValueError,
            r"^MSELoss: input \(prediction\) has shape \(5, 1\) but target has shape \(4, 1\)",
            fix="slice X and y with the same indices (a DataLoader over TensorDataset(X, y) does)"),
    Mistake("broadcast-by-hand", "A hand-written loss on (N,) predictions and (N, 1) labels",
            _broadcast_by_hand, check=_checks(lambda r: tuple(r.shape) == (5, 5)),
            seen="no error, as in PyTorch: (N,) − (N, 1) broadcasts to (N, N), and the loss is silently wrong",
            fix="make the shapes equal (y.reshape(-1) or (X @ w).reshape(-1, 1)); nn.MSELoss checks this"),
    Mistake("dataset-lengths", "A TensorDataset of features and labels with different numbers of samples",
            lambda tmp: TensorDataset(X, Y[:4]), ValueError,
            r"^Size mismatch between tensors: tensor 0 has 5 samples \(shape \(5, 2\)\) but tensor 1 has 4",
            fix="one label per sample: X.shape[0] == y.shape[0]"),
    Mistake("dataloader-on-a-tuple", "DataLoader((X, y)) instead of DataLoader(TensorDataset(X, y))",
            lambda tmp: next(iter(DataLoader((X, Y), batch_size=2))), ValueError,
            r"^default_collate: samples have different shapes.*pass TensorDataset\(X, y\)",
            fix="DataLoader(TensorDataset(X, y), batch_size=...)"),
    Mistake("backward-of-a-vector", "Calling backward() on a vector (reduction='none', or the model's output)",
            lambda tmp: nn.MSELoss(reduction="none")(_net()(X), Y).backward(), RuntimeError,
            r"^backward: grad can be implicitly created only for scalar outputs, but the output has shape "
            r"\(5, 1\)\. Reduce it to a scalar first",
            fix="loss.mean() or loss.sum() first (or backward(gradient=...) of the output's shape)"),
    Mistake("item-of-a-batch", "Calling .item() on a tensor of many values",
            lambda tmp: _net()(X).item(), RuntimeError,
            r"^item: a tensor with 5 elements \(shape \(5, 1\)\) cannot be converted to a Python number",
            fix="reduce first (loss.item()), or t.tolist() for all the values"),
    Mistake("load-other-shapes", "load_state_dict from a model with other layer sizes",
            lambda tmp: _net().load_state_dict(nn.Linear(3, 1).state_dict()), RuntimeError,
            r"size mismatch for weight: copying a param with shape \(1, 3\) from checkpoint, the shape in "
            r"current model is \(1, 2\)",
            fix="build the model with the sizes it was saved with"),
    Mistake("load-other-names", "load_state_dict of a Sequential's state into the bare Linear (or back)",
            lambda tmp: _net().load_state_dict(nn.Sequential(nn.Linear(2, 1)).state_dict()), RuntimeError,
            r'Missing key\(s\) in state_dict: "weight", "bias"\.\s+Unexpected key\(s\) in state_dict: '
            r'"0\.weight", "0\.bias"',
            fix="load into the same architecture (keys are attribute paths: net[0].weight is '0.weight')"),
    Mistake("load-whole-checkpoint", "model.load_state_dict(checkpoint) where the checkpoint holds model and optimizer",
            lambda tmp: _net().load_state_dict({"model": _net().state_dict(), "optimizer": {}}), RuntimeError,
            r'Unexpected key\(s\) in state_dict: "model", "optimizer"',
            fix="model.load_state_dict(checkpoint['model'])"),
    Mistake("index-past-the-end", "Indexing past the last sample",
            lambda tmp: X[10], IndexError,
            r"^index: index 10 is out of bounds for axis 0 with size 5 \(indexing a tensor of shape \(5, 2\)\)",
            fix="indices go from 0 to n − 1 (and −n to −1)"),
    # ---- dtypes ----------------------------------------------------------------------------
    Mistake("requires-grad-on-integers", "Making the weights from integers: tensor([0, 0], requires_grad=True)",
            lambda tmp: tinygrad_lr.tensor([0, 0], requires_grad=True), TypeError,
            r"^requires_grad_: only floating-point tensors can require gradients, this one is int64; create it "
            r"with floats \(e\.g\. 1\.0 rather than 1\)",
            fix="tensor([0.0, 0.0], requires_grad=True), or zeros(2, requires_grad=True)"),
    Mistake("integer-features", "Integer features into a float32 model",
            lambda tmp: _net()(tinygrad_lr.tensor([[1, 2], [3, 4]])),
            check=_checks(lambda r: r.dtype == np.float32 and r.requires_grad),
            seen="works: the integers are promoted to float32 (PyTorch raises: mat1 and mat2 must have the "
                 "same dtype)",
            fix="nothing to do; tensor(data, dtype=tinygrad_lr.float32) makes it explicit"),
    Mistake("float64-data-float32-model", "NumPy float64 data (from_numpy) into a float32 model",
            _float64_into_float32,
            check=_checks(lambda r: r[0].dtype == np.float64 and r[1].weight.grad.dtype == np.float32),
            seen="works, and the output is float64 (PyTorch raises); the parameters' gradients stay float32",
            fix="from_numpy(X.astype(np.float32)) to compute in float32, or net.double() for float64"),
    Mistake("integer-labels", "Integer labels in MSELoss",
            lambda tmp: nn.MSELoss()(_net()(X), tinygrad_lr.tensor([[1], [2], [3], [4], [5]])),
            check=_checks(lambda r: r.dtype == np.float32 and r.requires_grad),
            seen="works: the labels are promoted to float32",
            fix="nothing to do; y.float() makes it explicit"),
    Mistake("mean-of-integers", "mean() of an integer tensor",
            lambda tmp: tinygrad_lr.tensor([1, 2, 3]).mean(), TypeError,
            r"^mean: needs a floating-point tensor, got int64; convert it first with \.float\(\)",
            fix="t.float().mean()"),
    Mistake("numpy-into-a-layer", "Passing a NumPy array to a layer",
            lambda tmp: _net()(np.ones((3, 2))), TypeError,
            r"^Linear\(2 → 1\): expected a Tensor as input, got ndarray; convert it with tinygrad_lr\.tensor",
            fix="net(tinygrad_lr.from_numpy(X)) (or tensor(X))"),
    Mistake("list-into-the-loss", "Passing a Python list to the loss",
            lambda tmp: nn.MSELoss()(_net()(X), [[1.0]] * 5), TypeError,
            r"^MSELoss: target must be a Tensor, got list",
            fix="tinygrad_lr.tensor(y)"),
    Mistake("numpy-of-a-parameter", "Calling .numpy() (or np.array, or plotting) on a tensor that requires grad",
            lambda tmp: np.array(_net().weight), RuntimeError,
            r"^numpy: can't call numpy\(\) on a tensor that requires grad; use tensor\.detach\(\)\.numpy\(\)",
            fix="t.detach().numpy()"),
    Mistake("misspelled-dtype", "A misspelled dtype string",
            lambda tmp: tinygrad_lr.tensor([1.0], dtype="flaot32"), TypeError,
            r"^tensor: dtype='flaot32' is not a data type",
            fix="dtype=tinygrad_lr.float32 (or 'float32')"),
    # ---- order of calls -----------------------------------------------------------------------
    Mistake("step-before-backward", "Calling optimizer.step() before loss.backward()",
            _step_before_backward, check=_equal,
            seen="nothing happens, as in PyTorch: parameters without a gradient are skipped",
            fix="loss.backward() first, then trainer.step()"),
    Mistake("no-zero-grad", "Forgetting optimizer.zero_grad() between steps",
            _no_zero_grad, check=_doubled,
            seen="no error, as in PyTorch: gradients accumulate, so the second step's gradient is twice as large",
            fix="trainer.zero_grad() once per step, before loss.backward()"),
    Mistake("backward-twice", "Calling backward() twice on the same loss",
            _backward_twice, RuntimeError,
            r"trying to backward through the graph a second time: its saved values were freed by the first "
            r"backward\. Pass retain_graph=True",
            fix="compute the loss again for every backward, or backward(retain_graph=True) the first time"),
    Mistake("step-between-forward-and-backward", "Changing the weights (step()) between a forward pass and its backward",
            _step_between_forward_and_backward, RuntimeError,
            r"^LinearBackward: an input saved for backward was modified by an in-place operation \(it is at "
            r"version 2; expected version 1\)\. The gradient would be wrong",
            fix="forward, backward, step — in that order, every step"),
    Mistake("in-place-on-a-saved-tensor", "Changing in place a tensor the graph needs (h = w.exp(); h += 1)",
            _in_place_on_a_saved_output, RuntimeError,
            r"^ExpBackward: the output saved for backward was modified by an in-place operation.*x = x \+ 1 "
            r"rather than x \+= 1",
            fix="h = h + 1 (out of place), or h = w.exp().clone() before changing it"),
    Mistake("update-outside-no-grad", "Updating a parameter by hand without no_grad: w -= lr * w.grad",
            _update_outside_no_grad, RuntimeError,
            r"^sub_: a leaf tensor that requires grad \(shape \(2, 1\)\) cannot be changed in place while "
            r"operations are recorded.*with tinygrad_lr\.no_grad\(\):",
            fix="with tinygrad_lr.no_grad(): w -= lr * w.grad (and then w.grad = None)"),
    Mistake("rebinding-the-parameter", "Updating by hand with w = w - lr * w.grad",
            _rebind_the_parameter, check=_checks(lambda w: not w.is_leaf and _grad_quietly(w) is None),
            seen="no error, as in PyTorch: w is now a new tensor computed from the old one (not a leaf), "
                 "so w.grad stays None (with PyTorch's warning, see grad-of-a-non-leaf) and the next update fails",
            fix="update in place under no_grad: with tinygrad_lr.no_grad(): w -= lr * w.grad"),
    Mistake("forgot-requires-grad", "Forgetting requires_grad=True on the weights",
            _forgot_requires_grad, RuntimeError,
            r"^backward: this tensor does not require grad and has no grad_fn.*requires_grad=True",
            fix="w = zeros(2, 1, requires_grad=True)"),
    Mistake("loss-under-no-grad", "Computing the loss inside no_grad() and then calling backward()",
            _loss_under_no_grad, RuntimeError,
            r"^backward: this tensor does not require grad.*outside no_grad\(\)",
            fix="no_grad() is for evaluation and updates; compute the training loss outside it"),
    Mistake("grad-before-backward", "Reading w.grad before any backward()",
            _grad_before_backward, check=_checks(lambda g: g is None),
            seen="None, as in PyTorch", fix="call loss.backward() first"),
    Mistake("grad-of-a-non-leaf", "Reading .grad of a tensor computed by an op (the model's output, a hidden layer)",
            lambda tmp: _grad_of_a_non_leaf(), check=_checks(lambda r: r == (None, 1)),
            seen="None, with PyTorch's UserWarning: The .grad attribute of a Tensor that is not a leaf Tensor is "
                 "being accessed … use .retain_grad() on the non-leaf Tensor",
            fix="read the parameters' .grad (the leaves); for a hidden value call h.retain_grad() before backward()"),
    Mistake("scheduler-before-optimizer", "Calling scheduler.step() before trainer.step() (the order before PyTorch 1.1)",
            lambda tmp: _scheduler_before_optimizer(), check=_checks(lambda warned: warned == 1),
            seen="PyTorch's UserWarning, once: Detected call of `lr_scheduler.step()` before `optimizer.step()` … "
                 "(the schedule skips its first learning rate)",
            fix="trainer.step() for every batch, then scheduler.step() once per epoch"),
    Mistake("zero-a-missing-grad", "w.grad.zero_() after zero_grad() (which sets .grad to None)",
            _zero_a_missing_grad, AttributeError, r"'NoneType' object has no attribute 'zero_'",
            fix="trainer.zero_grad() is enough (or zero_grad(set_to_none=False) to keep zero tensors)"),
    Mistake("accumulating-the-loss-tensor", "Summing losses over steps with total += loss",
            _accumulate_the_loss_tensor, check=_checks(lambda t: t.requires_grad and t.grad_fn is not None),
            seen="no error, as in PyTorch: total is a tensor that keeps every step's graph alive (memory grows)",
            fix="total += loss.item()"),
    Mistake("in-place-on-a-batch", "Changing a DataLoader batch in place (xb -= xb.mean())",
            _in_place_on_a_batch, RuntimeError,
            r"^sub_: this tensor's memory is read-only \(e\.g\. a DataLoader batch that is a view of its data set",
            fix="xb = xb - xb.mean() (the batch is a view of your data set: in place would change the data)"),
    # ---- argument values ------------------------------------------------------------------------
    Mistake("negative-lr", "A negative learning rate",
            lambda tmp: optim.SGD(_net().parameters(), lr=-0.1), ValueError,
            r"^Invalid learning rate: -0\.1 \(the learning rate must be >= 0",
            fix="lr > 0, e.g. lr=0.03"),
    Mistake("lr-as-text", "A learning rate read from the command line as text",
            lambda tmp: optim.SGD(_net().parameters(), lr="0.1"), TypeError,
            r"^Invalid learning rate: '0\.1' \(lr must be a number\)",
            fix="lr=float(args.lr)"),
    Mistake("parameters-not-called", "optim.SGD(net.parameters, ...) without the parentheses",
            lambda tmp: optim.SGD(_net().parameters, lr=0.1), TypeError,
            r"but got method; call the method: model\.parameters\(\)",
            fix="optim.SGD(net.parameters(), lr=...)"),
    Mistake("model-to-optimizer", "Passing the model itself to the optimizer",
            lambda tmp: optim.SGD(_net(), lr=0.1), TypeError,
            r"but got Linear; pass model\.parameters\(\)",
            fix="optim.SGD(net.parameters(), lr=...)"),
    Mistake("named-parameters", "Passing named_parameters() to the optimizer",
            lambda tmp: optim.SGD(_net().named_parameters(), lr=0.1), TypeError,
            r"one of the params is tuple \(pass model\.parameters\(\), not named_parameters\(\)\)",
            fix="optim.SGD(net.parameters(), lr=...)"),
    Mistake("used-up-generator", "Reusing the generator returned by parameters() for a second optimizer",
            _used_up_generator, ValueError,
            r"^optimizer got an empty parameter list.*a generator of parameters can only be used once",
            fix="call net.parameters() again (or keep list(net.parameters()))"),
    Mistake("nesterov-without-momentum", "nesterov=True without momentum",
            lambda tmp: optim.SGD(_net().parameters(), lr=0.1, nesterov=True), ValueError,
            r"^Nesterov momentum requires a momentum and zero dampening",
            fix="optim.SGD(params, lr=..., momentum=0.9, nesterov=True)"),
    Mistake("loss-called-on-tensors", "nn.MSELoss(y_hat): giving the tensors to the constructor",
            lambda tmp: nn.MSELoss(_net()(X)), TypeError,
            r"^MSELoss: reduction must be 'mean', 'sum' or 'none', got a Tensor\. Create the loss first, then "
            r"call it on the prediction and the target: loss = nn\.MSELoss\(\); l = loss\(y_hat, y\)",
            fix="loss = nn.MSELoss(); l = loss(y_hat, y)"),
    Mistake("loss-given-both-tensors", "nn.MSELoss(y_hat, y): the prediction and the target given to the constructor",
            lambda tmp: nn.MSELoss(_net()(X), Y), TypeError,
            r"^MSELoss: reduction must be 'mean', 'sum' or 'none', got a Tensor\. Create the loss first",
            fix="loss = nn.MSELoss(); l = loss(y_hat, y)"),
    Mistake("bad-reduction", "A reduction that does not exist",
            lambda tmp: nn.MSELoss(reduction="avg"), ValueError,
            r"^MSELoss: reduction='avg' is not a valid value; use 'mean', 'sum' or 'none'",
            fix="reduction='mean'"),
    Mistake("batch-size-zero", "DataLoader(batch_size=0)",
            lambda tmp: DataLoader(TensorDataset(X, Y), batch_size=0), ValueError,
            r"^DataLoader: batch_size should be a positive integer, got 0; use 1 for stochastic and "
            r"len\(dataset\) for batch gradient descent",
            fix="batch_size ≥ 1"),
    Mistake("batch-size-float", "A batch size computed with / (a float)",
            lambda tmp: DataLoader(TensorDataset(X, Y), batch_size=len(X) / 5), TypeError,
            r"^DataLoader: batch_size should be a positive integer, got 1\.0",
            fix="batch_size=len(X) // 5"),
    Mistake("numpy-generator", "Shuffling with a NumPy Generator",
            lambda tmp: DataLoader(TensorDataset(X, Y), shuffle=True, generator=np.random.default_rng(0)),
            TypeError, r"generator must be a tinygrad_lr\.Generator, got Generator",
            fix="generator=tinygrad_lr.Generator().manual_seed(0)"),
    Mistake("seed-as-text", "manual_seed('0')",
            lambda tmp: tinygrad_lr.manual_seed("0"), TypeError,
            r"^manual_seed: the seed must be an integer, got '0'", fix="manual_seed(0)"),
    Mistake("features-as-float", "nn.Linear(2.0, 1)",
            lambda tmp: nn.Linear(2.0, 1), TypeError,
            r"^Linear: in_features must be an integer, got 2\.0", fix="nn.Linear(2, 1)"),
    Mistake("sequential-of-a-class", "nn.Sequential(nn.Linear): the class, not a layer",
            lambda tmp: nn.Sequential(nn.Linear), TypeError,
            r"^Sequential: argument 0 is the class Linear, not a module; create one: Linear\(\.\.\.\)",
            fix="nn.Sequential(nn.Linear(2, 1))"),
    Mistake("sequential-of-a-list", "nn.Sequential([layer1, layer2]): a list",
            lambda tmp: nn.Sequential([nn.Linear(2, 3), nn.Linear(3, 1)]), TypeError,
            r"^Sequential: argument 0 is a list, not a Module; pass the layers one by one: Sequential\(\*layers\)",
            fix="nn.Sequential(*layers)"),
    Mistake("no-super-init", "A custom Module without super().__init__()",
            lambda tmp: _NoSuperInit(), AttributeError,
            r"cannot assign module 'linear' before Module\.__init__\(\) call: call super\(\)\.__init__\(\) at the "
            r"start of _NoSuperInit\.__init__",
            fix="super().__init__() first in __init__"),
    Mistake("misspelled-forward", "A custom Module whose forward is misspelled (foward)",
            lambda tmp: _Misspelled()(X), NotImplementedError,
            r'Module \[_Misspelled\] is missing the required "forward" function',
            fix="def forward(self, x): ..."),
    Mistake("scheduler-of-a-model", "StepLR(model, ...) instead of StepLR(optimizer, ...)",
            lambda tmp: optim.lr_scheduler.StepLR(_net(), step_size=1), TypeError,
            r"^StepLR: Linear is not an Optimizer", fix="StepLR(trainer, step_size=...)"),
    Mistake("cuda", "device='cuda' in code written for a GPU",
            lambda tmp: tinygrad_lr.zeros(2, device="cuda"), RuntimeError,
            r"^zeros: tinygrad_lr computes with NumPy on the CPU only, so device='cuda' is not available",
            fix="device='cpu', or leave device= out"),
    Mistake("tensor-to-cuda", "x.to('cuda') or x.to(device)",
            lambda tmp: X.to("cuda"), RuntimeError,
            r"^to: tinygrad_lr computes with NumPy on the CPU only, so device='cuda' is not available",
            fix="x.to('cpu') or nothing"),
    Mistake("model-to-cuda", "net.to('cuda')",
            lambda tmp: _net().to("cuda"), RuntimeError,
            r"^Module\.to: tinygrad_lr computes with NumPy on the CPU only, so device='cuda' is not available",
            fix="net.to('cpu') or nothing"),
    Mistake("gradcheck-in-float32", "gradcheck with float32 inputs",
            lambda tmp: tinygrad_lr.autograd.gradcheck(lambda x: (x * x).sum(),
                                                       (tinygrad_lr.randn(3, requires_grad=True),)),
            UserWarning, r"input 0 is float32, not float64\. Finite differences need double precision",
            fix="inputs with dtype=tinygrad_lr.float64"),
    # ---- files ---------------------------------------------------------------------------------
    Mistake("load-missing-file", "Loading a checkpoint that does not exist (a typo in the path)",
            lambda tmp: tinygrad_lr.load(tmp / "chekpoint.npz"), FileNotFoundError,
            r"^load: no checkpoint file at '.*chekpoint\.npz'", fix="check the path (os.path.exists)"),
    Mistake("load-truncated-file", "Loading a truncated checkpoint (a copy or download cut short)",
            _truncated, ValueError,
            r"^load: '.*checkpoint\.npz' is not a valid tinygrad_lr checkpoint: .*The file may be truncated or "
            r"corrupt", fix="save it again (a save is atomic: an interrupted save leaves the old file whole)"),
    Mistake("load-corrupted-file", "Loading a checkpoint with a damaged byte",
            _corrupted, ValueError,
            r"^load: '.*checkpoint\.npz' is not a valid tinygrad_lr checkpoint: .*(CRC|corrupt)",
            fix="save it again from the model"),
    Mistake("load-a-pickle", "Loading a pickle (a torch.save or pickle.dump file)",
            _pickled, ValueError,
            r"^load: '.*model\.pt' contains pickled data; tinygrad_lr refuses to unpickle, because unpickling "
            r"can run arbitrary code",
            fix="re-save the arrays with the program that wrote them (np.savez, or tinygrad_lr.save)"),
    Mistake("load-a-text-file", "Loading a CSV or text file as a checkpoint",
            lambda tmp: tinygrad_lr.load(_file(tmp, "data.csv", b"x,y\n1,2\n")), ValueError,
            r"^load: '.*data\.csv' is not a valid tinygrad_lr checkpoint: it is neither a NumPy \.npz nor \.npy file",
            fix="read data with np.loadtxt; load only what tinygrad_lr.save wrote"),
    Mistake("load-an-empty-file", "Loading an empty file (a save into a full disk, an interrupted copy)",
            lambda tmp: tinygrad_lr.load(_file(tmp, "checkpoint.npz", b"")), ValueError,
            r"^load: '.*checkpoint\.npz' is not a valid tinygrad_lr checkpoint: it is empty",
            fix="save it again"),
    Mistake("load-a-directory", "Loading a directory",
            lambda tmp: tinygrad_lr.load(tmp), IsADirectoryError,
            r"^load: '.*' is a directory, not a checkpoint file", fix="the path of the .npz file inside it"),
    Mistake("save-the-module", "tinygrad_lr.save(net, path): saving the model object",
            lambda tmp: tinygrad_lr.save(_net(), tmp / "checkpoint.npz"), TypeError,
            r"^save: cannot save a Linear object itself; save its state: tinygrad_lr\.save\(obj\.state_dict\(\), "
            r"path\)", fix="tinygrad_lr.save(net.state_dict(), path)"),
    Mistake("save-into-missing-directory", "Saving into a directory that does not exist",
            lambda tmp: tinygrad_lr.save(_net().state_dict(), tmp / "runs" / "checkpoint.npz"),
            FileNotFoundError, r"^save: the directory '.*runs' does not exist; create it first",
            fix="os.makedirs('runs', exist_ok=True)"),
    Mistake("load-state-dict-of-a-path", "net.load_state_dict('checkpoint.npz'): a path instead of a state_dict",
            lambda tmp: _net().load_state_dict(str(_checkpoint(tmp))), TypeError,
            r"^load_state_dict: expected state_dict to be dict-like, got str",
            fix="net.load_state_dict(tinygrad_lr.load('checkpoint.npz'))"),
    Mistake("optimizer-loads-the-model", "optimizer.load_state_dict(model's state_dict)",
            lambda tmp: optim.SGD(_net().parameters(), lr=0.1).load_state_dict(_net().state_dict()), ValueError,
            r"^load_state_dict: expected the dict made by optimizer\.state_dict\(\), with 'state' and "
            r"'param_groups' entries", fix="save and load model.state_dict() and trainer.state_dict() separately"),
    Mistake("load-text-array", "Loading a .npy or .npz of text or records (np.save of strings, a structured array)",
            _text_npy, ValueError,
            r"^load: '.*names\.npy' is not a valid tinygrad_lr checkpoint: its array holds text \(dtype <U5\), not "
            r"numbers; tensors hold bool, int and float numbers; read the file with np\.load\(path\)",
            fix="np.load(path) for text and records; a tensor holds numbers"),
    Mistake("load-complex-array", "Loading a .npz of complex numbers (an FFT's output)", _complex_npz, ValueError,
            r"^load: '.*spectrum\.npz' is not a valid tinygrad_lr checkpoint: the array 'spectrum' is complex128, "
            r"which is not supported: tensors hold bool, int and float numbers; .*\.real and \.imag parts",
            fix="z = np.load(path)['spectrum']; tensor(z.real), tensor(z.imag)"),
    Mistake("load-edited-structure", "Loading a checkpoint whose structure another program rewrote (the version as "
            "\"1\", a list as a dict key)", _edited_structure, ValueError,
            r"^load: '.*checkpoint\.npz' is not a valid tinygrad_lr checkpoint: its format version is '1' \(str\), not "
            r"a positive integer", fix="change the state_dict in Python and save it with tinygrad_lr.save"),
    Mistake("load-huge-header", "Loading a .npy whose header declares far more data than the file holds (745 GiB)",
            _huge_header, ValueError,
            r"^load: '.*model\.npy' is not a valid tinygrad_lr checkpoint: its array declares 745\.1 GiB \(shape "
            r"\(100000, 1000000\), float64\) but the file holds 24 bytes for it",
            fix="get the file again: its header is damaged (nothing was allocated)"),
    Mistake("load-text-mode-file", "tinygrad_lr.load(open(path)): a file object opened in text mode",
            _load_text_mode, TypeError,
            r"^load: the file object is open in text mode, but a checkpoint is binary; open it in binary mode "
            r"\('rb'\)", fix="open(path, 'rb'), or pass the path itself"),
    Mistake("save-text-mode-file", "tinygrad_lr.save(obj, open(path, 'w')): a file object opened in text mode",
            _save_text_mode, TypeError,
            r"^save: the file object is open in text mode, but a checkpoint is binary; open it in binary mode "
            r"\('wb'\)", fix="open(path, 'wb'), or pass the path itself"),
    Mistake("load-a-closed-file", "Calling load(fh) after the with open(...) block has closed fh",
            _load_after_the_with_block, ValueError,
            r"^load: the file object is closed; call load inside the with block that opened it",
            fix="call load inside the with block, or pass the path"),
    Mistake("load-a-write-mode-file", "load(fh) with fh opened for writing ('wb')", _load_a_write_mode_file,
            ValueError, r"^load: the file object is not open for reading; open it with open\(path, 'rb'\)",
            fix="open(path, 'rb')"),
    Mistake("load-from-a-pipe", "Loading from a pipe (sys.stdin.buffer, a subprocess's stdout)", _load_from_a_pipe,
            ValueError, r"^load: the file object cannot seek \(a pipe or a socket\?\)",
            fix="tinygrad_lr.load(io.BytesIO(pipe.read()))"),
    Mistake("save-to-a-directory", "Saving to a directory's path (the run's folder) instead of a file in it",
            lambda tmp: tinygrad_lr.save(_net().state_dict(), tmp), IsADirectoryError,
            r"^save: '.*' is a directory; save to a file inside it", fix="os.path.join(run_dir, 'checkpoint.npz')"),
    Mistake("save-over-a-symlink", "Saving over a symbolic link (latest.npz -> run-7/checkpoint.npz)",
            _save_over_a_symlink,
            check=_checks(lambda pair: pair[0].is_symlink() and tinygrad_lr.load(pair[1]) == {"step": 8}),
            seen="the file the link points to is replaced, atomically, and the link stays (as with open(path, 'wb') "
                 "and torch.save)", fix="nothing to do"),
    Mistake("save-over-a-link-loop", "Saving over a symbolic link that points back to itself",
            lambda tmp: tinygrad_lr.save({}, _link(tmp, "loop.npz", tmp / "loop.npz")), OSError,
            r"^save: '.*loop\.npz' is a symbolic link in a loop", fix="point the link at a file, or remove it"),
    Mistake("complex-data", "Making a tensor of complex numbers (an FFT's output, np.roots)",
            lambda tmp: tinygrad_lr.tensor(np.fft.fft(np.arange(4.0))), TypeError,
            r"^tensor: complex128 is not supported: tensors hold bool, int or float numbers, not complex ones",
            fix="tensor(z.real) and tensor(z.imag), or tensor(np.abs(z))"),
    # ---- optimizers and schedules beyond SGD (helpers below the list) ---------------------------
    Mistake("adam-beta-of-one", "Adam with a beta of 1 (or above): the running averages would never move",
            lambda tmp: optim.Adam(_net().parameters(), betas=(1.0, 0.999)), ValueError,
            r"^Invalid beta parameter at index 0: 1\.0 \(betas\[0\] must be in \[0, 1\)",
            fix="betas=(0.9, 0.999), each in [0, 1)"),
    Mistake("adam-negative-eps", "A negative eps (a sign slipped into 1e-8)",
            lambda tmp: optim.Adam(_net().parameters(), eps=-1e-8), ValueError,
            r"^Invalid epsilon value: -1e-08 \(eps must be >= 0", fix="eps=1e-8"),
    Mistake("rmsprop-negative-alpha", "RMSprop with a negative alpha",
            lambda tmp: optim.RMSprop(_net().parameters(), alpha=-0.99), ValueError,
            r"^Invalid alpha value: -0\.99 \(alpha must be >= 0", fix="alpha=0.99"),
    Mistake("lbfgs-without-closure", "trainer.step() with L-BFGS, as with SGD",
            lambda tmp: optim.LBFGS(_net().parameters()).step(), TypeError,
            r"^LBFGS\.step\(\) needs a closure that re-evaluates the loss",
            fix="def closure(): trainer.zero_grad(); l = loss(net(X), y); l.backward(); return l — "
                "then trainer.step(closure)"),
    Mistake("lbfgs-unknown-line-search", "L-BFGS with a line search it does not have",
            lambda tmp: optim.LBFGS(_net().parameters(), line_search_fn="wolfe"), ValueError,
            r"^Invalid line_search_fn: 'wolfe' \(LBFGS supports line_search_fn=None or 'strong_wolfe'\)",
            fix="line_search_fn='strong_wolfe' (or None)"),
    Mistake("lbfgs-no-history", "L-BFGS with history_size=0",
            lambda tmp: optim.LBFGS(_net().parameters(), history_size=0), ValueError,
            r"^Invalid history_size value: 0 \(history_size must be a whole number >= 1",
            fix="history_size=10 or more (default 100)"),
    Mistake("lbfgs-closure-without-backward", "An L-BFGS closure that returns the loss without calling backward()",
            lambda tmp: _lbfgs_without_backward(), check=lambda moved: _assert_not(moved),
            seen="no error, as in PyTorch: without gradients L-BFGS sees a zero gradient, takes it for a minimum "
                 "and returns at once, leaving the parameters as they were",
            fix="call l.backward() in the closure before returning l"),
    Mistake("one-cycle-too-many-steps", "OneCycleLR stepped more often than its total_steps (planned per epoch, "
            "stepped per batch)",
            lambda tmp: _one_cycle_overrun(), ValueError,
            r"^OneCycleLR: tried to step 4 times, but the specified number of total steps is 3",
            fix="OneCycleLR(trainer, max_lr, epochs=E, steps_per_epoch=len(data_iter)), stepped every batch"),
    # ---- classification: losses, dropout, containers (helpers below the list) -------------------
    Mistake("ce-float-targets", "Class labels loaded as floats, given to CrossEntropyLoss",
            lambda tmp: nn.CrossEntropyLoss()(_logits(), _labels().float()), TypeError,
            r"^CrossEntropyLoss: target of shape \(6,\) is float32: class indices must be integers, convert them "
            r"with y\.long\(\)", fix="loss(y_hat, y.long())"),
    Mistake("ce-labels-from-one", "Class labels numbered 1 … C instead of 0 … C − 1",
            lambda tmp: nn.CrossEntropyLoss()(_logits(), _labels() + tinygrad_lr.tensor(1)), IndexError,
            r"^CrossEntropyLoss: target 3 is out of bounds for input of shape \(6, 3\), which has 3 classes; class "
            r"indices must be in 0 … 2", fix="y - 1 (classes are 0 … C − 1), or one more output"),
    Mistake("ce-negative-label", "A label of −1 for 'unknown' in the targets",
            lambda tmp: nn.CrossEntropyLoss()(_logits(), tinygrad_lr.tensor([0, 1, -1, 2, 0, 1])), IndexError,
            r"^CrossEntropyLoss: target -1 is out of bounds.*targets equal to ignore_index=-100 are skipped",
            fix="nn.CrossEntropyLoss(ignore_index=-1) to skip them"),
    Mistake("ce-one-logit", "A binary classifier with one output (N, 1) trained with CrossEntropyLoss",
            lambda tmp: nn.CrossEntropyLoss()(_logits(1), tinygrad_lr.tensor([0, 1, 1, 0, 1, 0])), ValueError,
            r"^CrossEntropyLoss: input of shape \(6, 1\) has one class: the softmax of one score is always 1, so the "
            r"loss is 0 and nothing is learned\. For two classes with one output use nn\.BCEWithLogitsLoss\(\)",
            fix="nn.BCEWithLogitsLoss() with y.float().reshape(-1, 1), or nn.Linear(d, 2) and CrossEntropyLoss"),
    Mistake("ce-target-column", "Class labels as a column (N, 1), as for regression",
            lambda tmp: nn.CrossEntropyLoss()(_logits(), _labels().reshape(-1, 1)), RuntimeError,
            r"^CrossEntropyLoss: target has shape \(6, 1\), a column; class indices need shape \(6,\), one per "
            r"sample: y\.reshape\(-1\)", fix="y.reshape(-1)"),
    Mistake("ce-constructed-with-tensors", "nn.CrossEntropyLoss(y_hat, y): the tensors given to the constructor",
            lambda tmp: nn.CrossEntropyLoss(_logits(), _labels()), TypeError,
            r"^CrossEntropyLoss: got a Tensor as size_average; the constructor takes the loss's settings\. Create the "
            r"loss first, then call it on the prediction and the target: loss = nn\.CrossEntropyLoss\(\); "
            r"l = loss\(y_hat, y\)", fix="loss = nn.CrossEntropyLoss(); l = loss(y_hat, y)"),
    Mistake("ce-arguments-swapped", "loss(y, y_hat): the target first",
            lambda tmp: nn.CrossEntropyLoss()(_labels(), _logits()), TypeError,
            r"^CrossEntropyLoss: input \(the scores, one per class\) must be floating point, got int64 of shape "
            r"\(6,\)\. The target is floating point: the arguments look swapped", fix="loss(y_hat, y)"),
    Mistake("bce-on-logits", "BCELoss on the raw outputs of a Linear layer (logits, not probabilities)",
            lambda tmp: nn.BCELoss()(_logits(1), tinygrad_lr.tensor([[0.0], [1.0]] * 3)), RuntimeError,
            r"^BCELoss: all elements of input should be between 0 and 1, found .*pass logits to BCEWithLogitsLoss "
            r"instead", fix="nn.BCEWithLogitsLoss() on the logits (or BCELoss on y_hat.sigmoid())"),
    Mistake("bce-targets-outside-0-1", "BCELoss with labels −1/+1 (as for an SVM)",
            lambda tmp: nn.BCELoss()(_logits(1).sigmoid(), tinygrad_lr.tensor([[1.0], [-1.0]] * 3)), RuntimeError,
            r"^BCELoss: all elements of target should be between 0 and 1, found -1\.0",
            fix="targets 0 and 1: (y + 1) / 2"),
    Mistake("cosine-embedding-targets-0-1", "CosineEmbeddingLoss (or MarginRankingLoss) with labels 0/1 for "
            "dissimilar/similar", lambda tmp: nn.CosineEmbeddingLoss()(_logits(), _logits(),
                                                                        tinygrad_lr.tensor([1, 0, 1, 1, 0, 0])),
            ValueError, r"^CosineEmbeddingLoss: targets must be 1 or -1, found 0 \(target of shape \(6,\)\); 1 for a "
            r"similar pair, -1 for a dissimilar one\. For labels 0/1 pass 2 \* y - 1", fix="loss(x1, x2, 2 * y - 1)"),
    Mistake("kl-div-log-target", "KLDivLoss given log-probabilities as the target (or its two arguments swapped)",
            lambda tmp: nn.KLDivLoss(reduction="batchmean")(_logits().log_softmax(1), _logits().log_softmax(1)),
            ValueError, r"^KLDivLoss: the target holds probabilities \(log_target=False\) but has -\d+\.\d+ < 0 .*"
            r"pass log_target=True", fix="nn.KLDivLoss(reduction='batchmean', log_target=True), or probabilities as "
                                         "the target; the log-probabilities first: loss(log_softmax(z, 1), p)"),
    Mistake("kl-div-mean", "KLDivLoss() with its default reduction='mean'", lambda tmp: _kl_div_mean(),
            check=_checks(lambda r: r[0] and abs(r[1] - r[2] / 18) < 1e-6),
            seen="a UserWarning, as in PyTorch: 'mean' divides the sum by every element (N·C), not by the batch "
                 "size N, so the loss is C times smaller than the KL divergence",
            fix="nn.KLDivLoss(reduction='batchmean')"),
    Mistake("poisson-rate-from-linear", "PoissonNLLLoss(log_input=False) on a Linear layer's raw output (it can be "
            "negative)", lambda tmp: nn.PoissonNLLLoss(log_input=False)(_logits(1), tinygrad_lr.ones(6, 1)),
            ValueError, r"^PoissonNLLLoss: with log_input=False the input is the rate λ ≥ 0, but it has -\d\.\d+ .*"
            r"use log_input=True", fix="nn.PoissonNLLLoss() (log_input=True: the output is ln λ)"),
    Mistake("prelu-num-parameters", "nn.PReLU(num_parameters=C) with a C other than the input's channels (dim 1)",
            lambda tmp: nn.Sequential(nn.Linear(2, 8), nn.PReLU(4))(X), RuntimeError,
            r"^PReLU: Mismatch of parameter numbers and input channel size: 4 slopes \(num_parameters=4\) but the "
            r"input of shape \(5, 8\) has 8 channels in dim 1",
            fix="nn.PReLU(8), the features of the layer before (or nn.PReLU(): one slope)"),
    Mistake("dropout-as-percent", "nn.Dropout(50): a percentage instead of a probability",
            lambda tmp: nn.Dropout(50), ValueError,
            r"^dropout probability has to be between 0 and 1, but got 50", fix="nn.Dropout(0.5)"),
    Mistake("empty-batch", "The loss of an empty batch (a filter that kept nothing, a last batch of 0)",
            lambda tmp: nn.CrossEntropyLoss()(_logits()[:0], _labels()[:0]), check=_checks(lambda l: np.isnan(l.item())),
            seen="nan, as in PyTorch: the mean over zero samples is 0/0", fix="skip empty batches: if len(xb) == 0: continue"),
    Mistake("dropout-on-in-evaluation", "Evaluating without net.eval(): dropout still on",
            lambda tmp: _evaluate_twice(), check=_checks(lambda pair: not np.array_equal(*pair)),
            seen="no error, as in PyTorch: dropout keeps zeroing activations, so two evaluations of the same data "
                 "differ and the accuracy is noisy and low", fix="net.eval() before evaluating, net.train() after"),
    Mistake("layers-in-a-python-list", "Keeping the layers of a custom Module in a plain Python list",
            lambda tmp: _ListNet(), check=_checks(lambda net: list(net.parameters()) == []),
            seen="no error, as in PyTorch: a list is not registered, so parameters() misses those layers and the "
                 "optimizer never updates them", fix="self.layers = nn.ModuleList([...])"),
    Mistake("images-into-linear", "Feeding (N, 28, 28) images to nn.Linear(784, ...) without flattening",
            lambda tmp: nn.Linear(784, 10)(tinygrad_lr.zeros(4, 28, 28)), ValueError,
            r"^Linear\(784 → 10\) got input of shape \(4, 28, 28\).*each sample is \(28, 28\): flatten it first",
            fix="nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), or x.reshape(x.shape[0], -1)"),
    Mistake("accuracy-of-bools", "The accuracy as (y_hat.argmax(1) == y).mean(): the mean of a bool tensor",
            lambda tmp: (_logits().argmax(1) == _labels()).mean(), TypeError,
            r"^mean: needs a floating-point tensor, got bool; convert it first with \.float\(\)",
            fix="(y_hat.argmax(1) == y).float().mean()"),
    Mistake("plateau-without-metric", "ReduceLROnPlateau's step() without the validation loss",
            lambda tmp: optim.lr_scheduler.ReduceLROnPlateau(optim.SGD(_net().parameters(), lr=0.1)).step(),
            TypeError, r"^ReduceLROnPlateau\.step\(\) needs the value it watches, once per epoch",
            fix="scheduler.step(val_loss) once per epoch"),
    # ---- PyTorch habits: hooks, grad modes, both doors in one program (helpers below the list) ---
    Mistake("hook-on-a-constant", "register_hook on a tensor that does not require grad (the data, a detached value)",
            lambda tmp: X.register_hook(print), RuntimeError,
            r"^register_hook: cannot register a hook on a tensor that doesn't require gradient",
            fix="hook a parameter, or a value computed from one: only those get gradients"),
    Mistake("backward-hook-on-the-first-layer", "A full backward hook on the first layer (its input, the data, needs "
            "no gradient)", lambda tmp: _backward_hook_on_the_first_layer(),
            check=_checks(lambda r: r == (1, (None,))),
            seen="PyTorch's UserWarning: Full backward hook is firing when gradients are computed with respect to "
                 "module outputs since no inputs require gradients; grad_input is (None,)",
            fix="nothing to do: grad_output is the layer's output gradient (hook a later layer to see a grad_input)"),
    Mistake("backward-hook-returns-too-many", "A full backward hook returning more gradients than grad_input has",
            lambda tmp: _backward_hook_returning_two(), RuntimeError,
            r"^full backward hook returned an invalid number of grad_input, got 2, but expected 1",
            fix="return a tuple as long as grad_input (one entry per positional argument of forward), or None"),
    Mistake("deprecated-backward-hook", "module.register_backward_hook(hook), deprecated in PyTorch",
            lambda tmp: _net().register_backward_hook(lambda m, grad_input, grad_output: None), RuntimeError,
            r"^register_backward_hook is deprecated in PyTorch .* use register_full_backward_hook\(hook\)",
            fix="module.register_full_backward_hook(hook): the same hook, with the gradients of the module's inputs"),
    Mistake("no-grad-with-an-argument", "Giving no_grad an argument: no_grad(x)",
            lambda tmp: tinygrad_lr.no_grad(X), TypeError,
            r"^no_grad\(\) takes no arguments \(got one of type Tensor\): write 'with no_grad\(\):'",
            fix="with tinygrad_lr.no_grad(): ... (or @no_grad / @no_grad() on a function)"),
    Mistake("set-grad-enabled-without-a-mode", "@set_grad_enabled on a function, without the mode",
            lambda tmp: tinygrad_lr.set_grad_enabled(_evaluate), TypeError,
            r"^set_grad_enabled: mode must be True or False, got the function _evaluate; as a decorator: "
            r"@set_grad_enabled\(False\)",
            fix="@set_grad_enabled(False), or @no_grad"),
    Mistake("both-mse-doors", "Using tinygrad_lr.nn.MSELoss (with the ½) and tinygrad_lr.torch.nn.MSELoss "
            "(PyTorch's) in one program", lambda tmp: _both_mse_doors(), check=_checks(lambda r: r == (1, 2.0)),
            seen="a UserWarning, once per process: tinygrad_lr.nn's MSELoss gives half the loss and half the "
                 "gradient of PyTorch's (with SGD, the same lr takes half the step)",
            fix="import nn from one door: from tinygrad_lr.torch import nn (PyTorch's numbers), or from tinygrad_lr "
                "import nn (the notes')"),
    # ---- copies, pickles and plots -------------------------------------------------------------
    Mistake("deepcopy-a-non-leaf", "copy.deepcopy of the loss or another tensor computed by an op",
            lambda tmp: __import__("copy").deepcopy(nn.MSELoss()(_net()(X), Y)), RuntimeError,
            r"^copy\.deepcopy: only leaf tensors .* can be copied.*use t\.detach\(\) .* or t\.clone\(\)",
            fix="copy.deepcopy(t.detach()) for the values, or t.clone() for a copy gradients flow through"),
    Mistake("plot-a-parameter", "plt.plot(w) of a tensor that requires grad (a parameter, a model's output)",
            lambda tmp: __import__("copy").copy(_net().weight[0]), RuntimeError,
            r"^copy\.copy: only leaf tensors .*plt\.plot\(t\.detach\(\)\)",
            fix="plt.plot(w.detach())"),
    Mistake("pickle-a-tensor", "Pickling a tensor or a state_dict (pickle.dump, joblib)",
            lambda tmp: pickle.dumps(_net().state_dict()), TypeError,
            r"^pickle: a Tensor is not pickled.*tinygrad_lr\.save\(model\.state_dict\(\), 'model\.npz'\)",
            fix="tinygrad_lr.save(model.state_dict(), path); copy.deepcopy(...) to copy in memory"),
    Mistake("best-model-by-deepcopy", "best = copy.deepcopy(model.state_dict()) for early stopping",
            lambda tmp: _best_state_dict(tmp), check=_checks(lambda r: r[0] != r[1]),
            seen="works, as in PyTorch: the copy keeps the values of that moment while training goes on",
            fix="nothing to do; net.load_state_dict(best) restores them"),
    # ---- a character-level GPT and makemore's MLP -----------------------------------------------
    Mistake("embedding-index-out-of-range", "nn.Embedding smaller than the vocabulary (a token index >= "
            "num_embeddings)",
            lambda tmp: nn.Embedding(10, 4)(tinygrad_lr.tensor([[3, 10, 2]])), IndexError,
            r"^embedding: index 10 is out of range for num_embeddings=10 \(weight of shape \(10, 4\)\); indices must "
            r"be in 0 … 9: make num_embeddings the vocabulary size \(at least 11\)",
            fix="nn.Embedding(vocab_size, n_embd) with vocab_size = len(chars)"),
    Mistake("embedding-float-indices", "Token indices as floats (a tensor made from a float array) into nn.Embedding",
            lambda tmp: nn.Embedding(10, 4)(tinygrad_lr.tensor([[3.0, 1.0]])), TypeError,
            r"^embedding: indices must be integers \(int64\), got float32 of shape \(1, 2\); convert them with "
            r"\.long\(\)", fix="emb(idx.long()), or tensor(data, dtype=tinygrad_lr.long)"),
    Mistake("batchnorm-batch-of-one", "BatchNorm1d in training mode on a batch of one sample (a last batch of "
            "one, or generating one sample)",
            lambda tmp: nn.BatchNorm1d(4)(tinygrad_lr.randn(1, 4)), ValueError,
            r"^Expected more than 1 value per channel when training, got input size torch\.Size\(\[1, 4\]\)",
            fix="batches of 2 or more (DataLoader(..., drop_last=True)); model.eval() before sampling"),
    Mistake("batchnorm-channels-last", "BatchNorm1d(C) on (N, L, C) activations (the channels last, as a "
            "transformer's (B, T, C))",
            lambda tmp: nn.BatchNorm1d(4)(tinygrad_lr.randn(8, 6, 4)), ValueError,
            r"^batch_norm: running_mean should contain 6 elements not 4: .*It looks like \(N, L, C\): transpose it "
            r"to \(N, C, L\)",
            fix="bn(x.transpose(1, 2)).transpose(1, 2), or nn.LayerNorm(C) for (B, T, C)"),
    Mistake("layernorm-shape", "nn.LayerNorm(n) on an input whose last dim is not n",
            lambda tmp: nn.LayerNorm(4)(tinygrad_lr.randn(2, 3, 5)), ValueError,
            r"^layer_norm: Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input of "
            r"size\[2, 3, 5\]", fix="nn.LayerNorm(x.shape[-1]): normalized_shape is the last dims (n_embd)"),
    # ---- convolutional networks and vmap ---------------------------------------------------------------------
    Mistake("conv-channels", "A Conv2d(3, ...) fed grayscale images (one channel)",
            lambda tmp: nn.Conv2d(3, 6, 5)(tinygrad_lr.randn(1, 1, 32, 32)), ValueError,
            r"^conv2d: Given groups=1, weight of size \[6, 3, 5, 5\], expected input\[1, 1, 32, 32\] to have 3 "
            r"channels, but got 1 channels instead; .*make the layer's in_channels 1",
            fix="nn.Conv2d(1, 6, 5) for one channel (or images with 3 channels)"),
    Mistake("conv-kernel-too-large", "A 5 × 5 kernel on 3 × 3 feature maps (too many poolings before it)",
            lambda tmp: nn.Conv2d(1, 6, 5)(tinygrad_lr.randn(1, 1, 3, 3)), ValueError,
            r"^conv2d: Calculated padded input size per channel: \(3 x 3\)\. Kernel size: \(5 x 5\)\. Kernel size "
            r"can't be greater than actual input size; pad the input",
            fix="padding=2, a smaller kernel, or fewer poolings before the layer"),
    Mistake("conv-2d-input", "One image as (H, W) into Conv2d (the batch and channel dims left out)",
            lambda tmp: nn.Conv2d(1, 6, 5)(tinygrad_lr.randn(32, 32)), ValueError,
            r"^conv2d: Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: "
            r"\[32, 32\]; .*x\.unsqueeze\(0\)",
            fix="x.unsqueeze(0) for (C, H, W), x[None, None] for a batch of one (N, C, H, W)"),
    Mistake("linear-after-conv", "The Linear after a conv's Flatten with the wrong in_features",
            lambda tmp: nn.Sequential(nn.Conv2d(1, 6, 5), nn.Flatten(), nn.Linear(100, 10))(
                tinygrad_lr.randn(2, 1, 28, 28)), ValueError,
            r"^Linear\(100 → 10\) got input of shape \(2, 3456\): .*the flattened output of shape \(2, 6, 24, 24\), "
            r"6·24·24 = 3456 features per sample, so in_features should be 3456",
            fix="nn.Linear(3456, 10), or nn.LazyLinear(10), which takes the size from the first batch"),
    Mistake("vmap-item", "Calling .item() (or if x > 0:) on a sample inside vmap",
            lambda tmp: tinygrad_lr.func.vmap(lambda x: x.sum().item())(tinygrad_lr.randn(3, 4)), RuntimeError,
            r"^vmap: \.item\(\) on a batched tensor .*Compute with tensor ops instead",
            fix="tensor ops (torch.where for a branch); take Python values after vmap returns"),
    Mistake("vmap-sizes", "vmap over inputs whose batch dims differ in size",
            lambda tmp: tinygrad_lr.func.vmap(lambda x, y: x + y)(tinygrad_lr.randn(3, 4), tinygrad_lr.randn(5, 4)),
            ValueError, r"^vmap\(.*\): Expected all tensors to have the same size in the mapped dimension, got "
            r"sizes \[3, 5\]", fix="the same number of samples in every batched input, or in_dims=None for a shared one"),
    # ---- the command, tinygrad-lr (helpers below the list; what you see is the line it exits with) --------
    Mistake("cli-semicolon-file", "tinygrad-lr fit on a ';'-separated file (a spreadsheet's CSV in many countries) "
            "without --delimiter", lambda tmp: _cli_semicolon_file(tmp), SystemExit,
            r"^tinygrad-lr: error: .*data\.csv looks ';'-separated: its header row 'x1;x2;y' has no ',' between the "
            r"column names; pass --delimiter ';'$",
            fix="tinygrad-lr fit data.csv --target y --delimiter ';' (a tab-separated file: --delimiter tab)"),
    Mistake("cli-decimal-commas", "Decimal commas (2,5) in the numbers of a CSV file",
            lambda tmp: _cli_decimal_commas(tmp), SystemExit,
            r"^tinygrad-lr: error: the target column 'y' of .*prices\.csv is not numeric: .*\(line 2: '2,5', line 3: "
            r"'4,5'\); write the decimal commas as points \(1,5 → 1\.5\)",
            fix="write 2.5: export the file with '.' as the decimal separator"),
    Mistake("cli-dash-from-a-terminal", "tinygrad-lr fit - (standard input) with nothing piped into it",
            lambda tmp: _cli_dash_from_a_terminal(tmp), SystemExit,
            r"^tinygrad-lr: error: the file name '-' reads the CSV from standard input, but nothing is piped in: "
            r"cat data\.csv \| tinygrad-lr fit - --target y$",
            fix="give the file's name, or pipe the file in: cat data.csv, piped into tinygrad-lr fit - --target y"),
    Mistake("cli-dash-twice", "tinygrad-lr compare - - : standard input given twice",
            lambda tmp: _cli(["compare", "-", "-", "--target", "y"], stdin="x,y\n1,2\n"), SystemExit,
            r"^tinygrad-lr: error: compare: '-' \(standard input\) is given 2 times; it can be read once",
            fix="give '-' once, and the other data sets as files"),
    Mistake("cli-piped-csv", "Piping a CSV file into the command (cat data.csv, piped into tinygrad-lr fit - "
            "--target y)",
            lambda tmp: _cli(["fit", "-", "--target", "y", "--method", "closed"], stdin="x,y\n0,1\n1,3\n2,5\n"),
            check=_checks(lambda out_err: out_err[0].startswith("fit: standard input, 3 rows: y from x")),
            seen="works, as with most command-line tools: the file name '-' reads standard input, in fit and compare",
            fix="nothing to do; give '-' once per command"),
    Mistake("cli-target-near-1e300", "tinygrad-lr fit on data whose target is near 1e300 (its squared residuals "
            "overflow float64)", lambda tmp: _cli_target_near_1e300(tmp), SystemExit,
            r"^tinygrad-lr: error: the target 'y' \(values up to 3\.62e\+299\) is too large: the loss "
            r"½·mean\(\(ŷ − y\)²\) overflows float64 even at the best fit θ\* .*; divide the column by 1e299$",
            fix="divide the target column by the power of ten the message names"),
    Mistake("cli-gradient-descent-on-a-huge-target", "Gradient descent (tinygrad-lr fit's default) on a target "
            "beyond 1e154, whose loss at θ = 0 overflows", lambda tmp: _cli_gradient_descent_on_a_huge_target(tmp),
            SystemExit,
            r"^tinygrad-lr: error: gradient descent cannot start: at θ = 0 the loss ½·mean\(y²\) overflows float64 "
            r"\(the target 'y' has values up to 1\.21e\+160\); divide the column by 1e160, or use --method closed$",
            fix="--method closed, or divide the target column by 1e160"),
    Mistake("cli-exact-fit-gaps", "tinygrad-lr compare on data that fit exactly (y an exact linear function of the "
            "features)", lambda tmp: _cli_exact_compare(tmp),
            check=_checks(lambda out: "loss − L*" in out[0] and "L* ≈ 0: the data fit exactly" in out[0]),
            seen="the gap column is the absolute gap, loss − L*, with a line saying why: an L* below "
                 "1e-12·½·var(y) is rounding noise, and a percentage of it would mean nothing",
            fix="nothing to do; in --json, loss_gap is the gap and relative_loss_gap is null"),
    Mistake("cli-fewer-rows-than-features", "tinygrad-lr fit on fewer rows than features (30 samples, 300 features)",
            lambda tmp: _cli_wide_closed(tmp),
            check=_checks(lambda out_err: "there are fewer rows (30) than coefficients (301, counting the bias)"
                          in out_err[1]),
            seen="a warning line: there are fewer rows (30) than coefficients (301, counting the bias), so many θ fit "
                 "equally well; the closed form returns the one with the smallest ‖θ‖",
            fix="--l2 λ (ridge) for a unique fit, or fewer --features"),
]


# ---- helpers of the PyTorch-habit entries ---------------------------------------------------------
def _user_warnings(action):
    """What ``action()`` returns, and the UserWarnings it gave."""
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = action()
    return result, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def _grad_quietly(t):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return t.grad


def _grad_of_a_non_leaf():
    """(the .grad read, how many warnings said to use retain_grad)."""
    net = _net()
    out = net(X)
    nn.MSELoss()(out, Y).backward()
    grad, messages = _user_warnings(lambda: out.grad)
    return grad, sum("use .retain_grad() on the non-leaf Tensor" in m for m in messages)


def _scheduler_before_optimizer():
    """How many times a 3-epoch loop stepping the scheduler first warns."""
    net = _net()
    trainer = optim.SGD(net.parameters(), lr=0.1)
    scheduler = optim.lr_scheduler.StepLR(trainer, step_size=1)

    def loop():
        for _ in range(3):
            nn.MSELoss()(net(X), Y).backward()
            scheduler.step()
            trainer.step()
    return sum("before `optimizer.step()`" in m for m in _user_warnings(loop)[1])


def _backward_hook_on_the_first_layer():
    """(how many warnings said the hook fires on the outputs, the grad_input the hook got)."""
    net, seen = _net(), []
    net.register_full_backward_hook(lambda m, grad_input, grad_output: seen.append(grad_input))
    _, messages = _user_warnings(lambda: nn.MSELoss()(net(X), Y).backward())
    return sum("no inputs require gradients" in m for m in messages), seen[0]


def _backward_hook_returning_two():
    layer = nn.Tanh()
    layer.register_full_backward_hook(lambda m, grad_input, grad_output: (grad_input[0], grad_input[0]))
    layer(tinygrad_lr.ones(2, requires_grad=True)).sum().backward()


def _evaluate():
    pass


def _both_mse_doors():
    """(how many warnings a program mixing both doors gets, the ratio of their losses), from no door used."""
    import tinygrad_lr.torch as torch
    from tinygrad_lr.nn import loss as loss_module
    used = set(loss_module._DOORS_USED)
    loss_module._DOORS_USED.clear()      # tests/conftest.py noted both doors for the rest of the suite
    try:
        def program():
            return [(nn.MSELoss()(X, X + 1), torch.nn.MSELoss()(X, X + 1)) for _ in range(3)]
        pairs, messages = _user_warnings(program)
    finally:
        loss_module._DOORS_USED.update(used)
    return sum("half the loss and half the gradient" in m for m in messages), pairs[0][1].item() / pairs[0][0].item()


def _best_state_dict(tmp):
    """Snapshot the state_dict, train one step, and compare the snapshot with the model."""
    import copy
    net = _net()
    best = copy.deepcopy(net.state_dict())
    trainer = optim.SGD(net.parameters(), lr=0.1)
    nn.MSELoss()(net(X), Y).backward()
    trainer.step()
    return float(best["weight"][0, 0]), float(net.weight[0, 0].detach())


# ---- helpers of the optimizer entries at the end of the list ---------------------------------------
def _lbfgs_without_backward():
    net = _net()
    before = net.weight.detach().clone()
    trainer = optim.LBFGS(net.parameters())
    trainer.step(lambda: nn.MSELoss()(net(X), Y))       # no backward(): no gradients
    return not np.array_equal(before.numpy(), net.weight.detach().numpy())


def _assert_not(moved):
    assert not moved


def _one_cycle_overrun():
    trainer = optim.SGD(_net().parameters(), lr=0.1, momentum=0.9)
    scheduler = optim.lr_scheduler.OneCycleLR(trainer, max_lr=0.1, total_steps=3)
    for _ in range(4):
        trainer.step()
        scheduler.step()


# ---- helpers of the classification entries at the end of the list ----------------------------------
def _logits(classes=3):
    return tinygrad_lr.randn(6, classes, generator=tinygrad_lr.Generator().manual_seed(0))


def _labels():
    return tinygrad_lr.tensor([0, 2, 1, 2, 0, 1])


def _kl_div_mean():
    """KLDivLoss() on (6, 3): (whether it warned, its value, the sum): 'mean' is the sum over 18 elements."""
    import warnings
    log_q, p = _logits().log_softmax(1), (2 * _logits()).softmax(1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss = nn.KLDivLoss()(log_q, p).item()
    warned = any("'batchmean' divides only by the batch size" in str(w.message) for w in caught)
    return warned, loss, nn.KLDivLoss(reduction="sum")(log_q, p).item()


def _evaluate_twice():
    tinygrad_lr.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 1))   # still in training mode
    return net(X).detach().numpy(), net(X).detach().numpy()


class _ListNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(2, 8), nn.Linear(8, 1)]


# ---- helpers of the command entries at the end of the list (tinygrad-lr, run in-process) ------------
def _cli(argv, stdin=None):
    """Run ``tinygrad-lr argv``: (stdout, stderr), or SystemExit carrying the error line the program exits with."""
    import contextlib
    import io
    from tinygrad_lr import cli
    out, err, saved = io.StringIO(), io.StringIO(), sys.stdin
    sys.stdin = io.StringIO(stdin) if isinstance(stdin, str) else (stdin or saved)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main([str(a) for a in argv], exit=False)
    finally:
        sys.stdin = saved
    if status:
        raise SystemExit(err.getvalue().strip())
    return out.getvalue(), err.getvalue()


def _csv(path, X, y, delimiter=","):
    names = [f"x{k + 1}" for k in range(X.shape[1])] + ["y"]
    np.savetxt(path, np.c_[X, y], delimiter=delimiter, header=delimiter.join(names), comments="", fmt="%.17g")
    return path


def _cli_semicolon_file(tmp):
    X = np.random.default_rng(0).normal(size=(20, 2))
    _cli(["fit", _csv(tmp / "data.csv", X, X @ [1.5, -2.0], delimiter=";"), "--target", "y"])


def _cli_decimal_commas(tmp):
    path = tmp / "prices.csv"
    path.write_text("x;y\n1;2,5\n2;4,5\n")
    _cli(["fit", path, "--target", "y", "--delimiter", ";"])


def _cli_dash_from_a_terminal(tmp):
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    _cli(["fit", "-", "--target", "y"], stdin=Terminal())


def _cli_target_near_1e300(tmp):
    X = np.random.default_rng(0).normal(size=(50, 2)) * 3e299
    _cli(["fit", _csv(tmp / "huge.csv", X, X @ [0.5, 0.2]), "--target", "y", "--method", "closed"])


def _cli_gradient_descent_on_a_huge_target(tmp):
    X = np.random.default_rng(0).normal(size=(40, 2)) * 1e160
    _cli(["fit", _csv(tmp / "big.csv", X, X @ [0.5, 0.2]), "--target", "y", "--standardize", "--quiet"])


def _cli_exact_compare(tmp):
    X = np.random.default_rng(0).normal(size=(50, 2))
    return _cli(["compare", _csv(tmp / "exact.csv", X, X @ [1.5, -2.0] + 0.7), "--target", "y", "--quiet"])


def _cli_wide_closed(tmp):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 300))
    return _cli(["fit", _csv(tmp / "wide.csv", X, X[:, 0]), "--target", "y", "--method", "closed"])


BY_ID = {m.id: m for m in MISTAKES}
assert len(BY_ID) == len(MISTAKES), "mistake ids must be unique"


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.id for m in MISTAKES])
def test_mistake(mistake, tmp_path):
    if mistake.error is None:          # PyTorch carries on: so do we, the same way
        mistake.check(mistake.action(tmp_path))
    elif issubclass(mistake.error, Warning):
        with pytest.warns(mistake.error, match=mistake.match):
            with pytest.raises(Exception):   # the check fails after the warning said it would
                mistake.action(tmp_path)
    else:
        with pytest.raises(mistake.error, match=mistake.match) as info:
            mistake.action(tmp_path)
        assert type(info.value).__module__ in ("builtins", "tinygrad_lr.autograd.gradcheck")  # no NumPy error
        cause = info.value.__cause__ or (None if info.value.__suppress_context__ else info.value.__context__)
        assert cause is None or isinstance(cause, (KeyError, AttributeError)), "a raw error underneath"


def test_every_entry_says_what_to_do():
    for m in MISTAKES:
        assert m.fix, m.id
        assert (m.error is None) == (m.check is not None) == bool(m.seen), m.id
        assert re.fullmatch(r"[a-z0-9-]+", m.id), m.id


def test_the_catalogue_covers_the_issue():
    """Wrong shapes, wrong dtypes, calls in the wrong order, wrong argument values, bad files."""
    must = ["linear-in-features", "mse-n1-vs-n", "requires-grad-on-integers", "integer-features",
            "step-before-backward", "backward-twice", "no-zero-grad", "step-between-forward-and-backward",
            "in-place-on-a-saved-tensor", "negative-lr", "batch-size-zero", "load-missing-file",
            "load-truncated-file", "load-corrupted-file", "load-a-pickle"]
    assert set(must) <= set(BY_ID)


# ============================================================================
# the core ops' mistakes: one message each, starting with the op's name
# ============================================================================
def _backward_with_hook(hook):
    w = tensor([1.0, 2.0], requires_grad=True)
    w.register_hook(hook)
    (w * 2).sum().backward()


def _backward_through_a_product_twice():
    w = tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    loss.backward()


def _inplace_on_leaf():
    w = tinygrad_lr.zeros(2, 1, requires_grad=True)
    w -= 0.1


def _setitem_into_a_saved_output():
    x = tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()   # exp saves its output for backward
    h[0] = 5.0    # recorded (as in PyTorch), and it bumps h's version
    h.sum().backward()


def _inplace_on_a_view_of_a_leaf():
    w = tinygrad_lr.zeros(3, requires_grad=True)
    w[0:2].add_(1)


def _inplace_on_a_view_made_in_no_grad():
    h = tinygrad_lr.zeros(3, requires_grad=True) * 2
    with tinygrad_lr.no_grad():
        v = h[0:2]
    v.mul_(2)


class _TwoGradients(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g, g


class _WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x.sum()

    @staticmethod
    def backward(ctx, g):
        return np.ones(5)


M32, M31 = tinygrad_lr.ones(3, 2), tinygrad_lr.ones(3, 1)
M23 = tinygrad_lr.ones(2, 3)
LEAF = tensor([1.0, 2.0], requires_grad=True)

OP_MISTAKES = {
    # ---- shapes: matmul and broadcasting
    "matmul inner dims": (
        lambda: M32 @ M31, ValueError,
        r"^matmul: shapes \(3, 2\) and \(3, 1\) cannot be multiplied \(inner dimensions 2 and 3 differ\)"),
    "matmul function": (
        lambda: tinygrad_lr.matmul(tinygrad_lr.ones(3), tinygrad_lr.ones(2)), ValueError,
        r"^matmul: shapes \(3,\) and \(2,\) cannot be multiplied \(inner dimensions 3 and 2 differ\)"),
    "matmul 0-d": (
        lambda: tinygrad_lr.ones(3) @ tensor(2.0), ValueError,
        r"^matmul: both arguments need at least 1 dimension, got shapes \(3,\) and \(\); use \*"),
    "matmul batch dims": (
        lambda: tinygrad_lr.ones(2, 3, 4) @ tinygrad_lr.ones(3, 4, 5), ValueError,
        r"^matmul: the batch dimensions of shapes \(2, 3, 4\) and \(3, 4, 5\) cannot be broadcast"),
    "add broadcast": (
        lambda: tinygrad_lr.ones(3) + tinygrad_lr.ones(4), ValueError,
        r"^add: shapes \(3,\) and \(4,\) cannot be broadcast together \(dimension -1: 3 vs 4\).*reshape"),
    "mul broadcast": (
        lambda: M23 * tinygrad_lr.ones(3, 2), ValueError,
        r"^mul: shapes \(2, 3\) and \(3, 2\) cannot be broadcast together"),
    "sub broadcast with an array": (
        lambda: np.ones((5, 1)) - tinygrad_lr.ones(4, 2), ValueError,
        r"^sub: shapes \(5, 1\) and \(4, 2\) cannot be broadcast together \(dimension -2: 5 vs 4\)"),
    "div broadcast": (
        lambda: M23 / tinygrad_lr.ones(2), ValueError,
        r"^div: shapes \(2, 3\) and \(2,\)"),
    "compare broadcast": (
        lambda: M23 < tinygrad_lr.ones(2), ValueError,
        r"^lt: shapes \(2, 3\) and \(2,\) cannot be broadcast"),
    "predictions and labels of different lengths": (
        lambda: tinygrad_lr.ones(10) - tinygrad_lr.ones(8), ValueError,
        r"^sub: shapes \(10,\) and \(8,\) cannot be broadcast"),
    # ---- reshape
    "reshape count": (
        lambda: tinygrad_lr.ones(6).reshape(4, 2), ValueError,
        r"^reshape: cannot reshape a tensor of shape \(6,\) \(6 elements\) into shape \(4, 2\)"),
    "reshape -1 not dividing": (
        lambda: tinygrad_lr.ones(6).reshape(-1, 4), ValueError,
        r"^reshape: cannot reshape a tensor of shape \(6,\) \(6 elements\) into shape \(-1, 4\)"),
    "reshape two -1": (
        lambda: tinygrad_lr.ones(6).reshape(-1, -1), ValueError,
        r"^reshape: invalid shape \(-1, -1\): .*at most one may be -1"),
    "reshape negative": (
        lambda: tinygrad_lr.ones(6).reshape(-2, 3), ValueError,
        r"^reshape: invalid shape \(-2, 3\)"),
    "reshape not integers": (
        lambda: tinygrad_lr.ones(6).reshape(2.5, 2), TypeError,
        r"^reshape: the shape must be integers"),
    "view count": (
        lambda: tinygrad_lr.ones(6).view(5), ValueError,
        r"^view: cannot reshape a tensor of shape \(6,\)"),
    "expand": (
        lambda: M23.expand(4, 3), ValueError,
        r"^expand: a tensor of shape \(2, 3\) cannot be expanded to \(4, 3\); only dimensions of size 1"),
    "t of 3-d": (
        lambda: tinygrad_lr.ones(2, 2, 2).t(), ValueError,
        r"^t: expects a tensor with at most 2 dimensions, got shape \(2, 2, 2\); use transpose"),
    # ---- dims
    "sum dim": (
        lambda: M23.sum(2), IndexError,
        r"^sum: dim 2 is out of range for a tensor with 2 dimension\(s\) \(expected a dim from -2 to 1\)"),
    "sum negative dim": (
        lambda: M23.sum(dim=-3), IndexError,
        r"^sum: dim -3 is out of range .*from -2 to 1"),
    "sum dim tuple": (
        lambda: M23.sum((0, 5)), IndexError,
        r"^sum: dim 5 is out of range"),
    "sum repeated dim": (
        lambda: M23.sum((0, -2)), ValueError,
        r"^sum: dim \(0, -2\) names the same dimension twice"),
    "sum dim float": (
        lambda: M23.sum(0.5), TypeError,
        r"^sum: dim must be an integer, got 0.5"),
    "mean dim": (
        lambda: M23.mean(dim=5), IndexError,
        r"^mean: dim 5 is out of range"),
    "mean of integers": (
        lambda: tensor([1, 2]).mean(), TypeError,
        r"^mean: needs a floating-point tensor, got int64; convert it first with .float\(\)"),
    "transpose dim": (
        lambda: M23.transpose(0, 2), IndexError,
        r"^transpose: dim 2 is out of range"),
    "size dim": (
        lambda: M23.size(2), IndexError,
        r"^size: dim 2 is out of range"),
    "unsqueeze dim": (
        lambda: M23.unsqueeze(4), IndexError,
        r"^unsqueeze: dim 4 is out of range .*from -3 to 2"),
    "cat dim": (
        lambda: tinygrad_lr.cat([M23, M23], dim=2), IndexError,
        r"^cat: dim 2 is out of range"),
    "stack dim": (
        lambda: tinygrad_lr.stack([M23, M23], dim=3), IndexError,
        r"^stack: dim 3 is out of range .*from -3 to 2"),
    # ---- joining
    "stack shapes": (
        lambda: tinygrad_lr.stack([tinygrad_lr.ones(2), tinygrad_lr.ones(3)]), ValueError,
        r"^stack: expects tensors of the same shape, but tensor 0 has shape \(2,\) and tensor 1 has shape \(3,\)"),
    "cat shapes": (
        lambda: tinygrad_lr.cat([M23, tinygrad_lr.ones(3, 2)]), ValueError,
        r"^cat: expects tensors of the same shape except in dim 0, but tensor 0 has shape \(2, 3\) and tensor 1 has "
        r"shape \(3, 2\)"),
    "cat 0-d": (
        lambda: tinygrad_lr.cat([tensor(1.0), tensor(2.0)]), ValueError,
        r"^cat: zero-dimensional tensors cannot be concatenated; use stack"),
    "cat nothing": (
        lambda: tinygrad_lr.cat([]), TypeError,
        r"^cat: expects a non-empty list or tuple of tensors"),
    "stack a tensor": (
        lambda: tinygrad_lr.stack(M23), TypeError,
        r"^stack: expects a non-empty list or tuple"),
    # ---- indexing
    "index out of range": (
        lambda: M23[5], IndexError,
        r"^index: index 5 is out of bounds for axis 0 with size 2 \(indexing a tensor of shape \(2, 3\)\)"),
    "negative index out of range": (
        lambda: M23[0, -4], IndexError,
        r"^index: index -4 is out of bounds for axis 1 with size 3 .*\(2, 3\)"),
    "index tensor out of range": (
        lambda: M23[tensor([0, 7])], IndexError,
        r"^index: index 7 is out of bounds for axis 0 with size 2"),
    "too many indices": (
        lambda: M23[0, 0, 0], IndexError,
        r"^index: too many indices .*shape \(2, 3\)"),
    "float index": (
        lambda: M23[1.5], IndexError,
        r"^index: only integers, slices, None, \.\.\., and integer or bool tensors/arrays are valid indices, got 1.5 "
        r"of type float"),
    "float index tensor": (
        lambda: M23[tensor([1.0])], IndexError,
        r"^index: tensors used as indices must be integer or bool, got float32"),
    "mask of the wrong shape": (
        lambda: M23[tensor([True, False, True])], IndexError,
        r"^index: a boolean mask of shape \(3,\) cannot select from a tensor of shape \(2, 3\) at dim 0: the mask "
        r"must have shape \(2,\)"),
    # ---- data
    "ragged": (
        lambda: tensor([[1, 2], [3]]), ValueError,
        r"^tensor: the nested sequence is ragged: at depth 1, element 1 is a sequence of length 1 but element 0 is a "
        r"sequence of length 2"),
    "ragged deeper": (
        lambda: tensor([[[1, 2], [3, 4]], [[1, 2], [3]]]), ValueError,
        r"^tensor: the nested sequence is ragged: at depth 2, element 1"),
    "number next to a list": (
        lambda: tensor([[1, 2], 3]), ValueError,
        r"^tensor: the nested sequence is ragged: .*element 1 is a number"),
    "text": (
        lambda: tensor(["1.5", "2"]), TypeError,
        r"^tensor: data must be numbers \(bool, int or float\), got '1.5' of type str"),
    "text among numbers": (
        lambda: tensor([1, "a"]), TypeError,
        r"^tensor: data must be numbers .*got 'a' of type str"),
    "None among numbers": (
        lambda: tensor([1.0, None]), TypeError,
        r"^tensor: data must be numbers .*got None of type NoneType"),
    "complex numbers": (
        lambda: tensor([1.0, 2j]), TypeError,
        r"^tensor: complex128 is not supported: tensors hold bool, int or float numbers.*\.real.*\.imag"),
    "an object array of numbers": (
        lambda: tensor(np.array([1, 2], dtype=object)), TypeError,
        r"^tensor: a NumPy array of dtype object is not supported; convert it first"),
    "an integer beyond int64": (
        lambda: tensor([2 ** 70]), TypeError,
        r"^tensor: the integer 1180591620717411303424 does not fit in int64 .*write it as a float"),
    "a dict": (
        lambda: tensor({"a": 1}), TypeError,
        r"^tensor: cannot make a tensor from dict"),
    "Tensor() of None": (
        lambda: tinygrad_lr.Tensor(None), TypeError,
        r"^Tensor: cannot make a tensor from NoneType"),
    "bad dtype": (
        lambda: tensor([1.0], dtype="float128x"), TypeError,
        r"^tensor: dtype='float128x' is not a data type"),
    "unsupported dtype": (
        lambda: tensor([1.0], dtype=np.complex64), TypeError,
        r"^tensor: dtype complex64 is not supported; supported: bool, float16, float32"),
    "negative size": (
        lambda: tinygrad_lr.zeros(2, -1), ValueError,
        r"^zeros: sizes must be non-negative integers, got \(2, -1\)"),
    "fractional size": (
        lambda: tinygrad_lr.randn(2.5), ValueError,
        r"^randn: sizes must be non-negative integers, got \(2.5,\)"),
    "negative std": (
        lambda: tinygrad_lr.normal(0, -1.0, (2,)), ValueError,
        r"^normal: std must be >= 0, got -1.0"),
    "normal without size": (
        lambda: tinygrad_lr.normal(0, 1), TypeError,
        r"^normal: .*pass size"),
    "arange step 0": (
        lambda: tinygrad_lr.arange(0, 5, 0), ValueError,
        r"^arange: step must be nonzero"),
    "seed not an integer": (
        lambda: tinygrad_lr.manual_seed(1.5), TypeError,
        r"^manual_seed: the seed must be an integer, got 1.5"),
    # ---- operands
    "a string operand": (
        lambda: M23 + "a", TypeError,
        r"^add: unsupported operand of type str; expected a Tensor, a NumPy array or a Python number"),
    "None operand": (
        lambda: None * M23, TypeError,
        r"^mul: unsupported operand of type NoneType"),
    "string exponent": (
        lambda: M23 ** "2", TypeError,
        r"^pow: the exponent must be a number or a tensor, got str"),
    "integer to a negative integer power": (
        lambda: tinygrad_lr.tensor([1, 2]) ** tinygrad_lr.tensor([-1, 1]), RuntimeError,
        r"^pow: integers to negative integer powers are not allowed"),
    # ---- gradients
    "requires_grad on integers": (
        lambda: tensor([1, 2], requires_grad=True), TypeError,
        r"^requires_grad_: only floating-point tensors can require gradients, this one is int64; create it with "
        r"floats \(e.g. 1.0 rather than 1\) or convert it with .float\(\)"),
    "requires_grad_ on integers": (
        lambda: tinygrad_lr.arange(3).requires_grad_(), TypeError,
        r"^requires_grad_: only floating-point tensors .* int64"),
    "requires_grad on bool": (
        lambda: tinygrad_lr.zeros(2, dtype=tinygrad_lr.bool, requires_grad=True), TypeError,
        r"^requires_grad_: only floating-point tensors .* bool"),
    "stop requiring grad on a non-leaf": (
        lambda: (LEAF * 2).requires_grad_(False), RuntimeError,
        r"^requires_grad_: this tensor was computed by MulBackward, .*\.detach\(\)"),
    "backward of a vector": (
        lambda: (LEAF * 2).backward(), RuntimeError,
        r"^backward: grad can be implicitly created only for scalar outputs, but the output has shape \(2,\)\. "
        r"Reduce it to a scalar first \(e.g. loss.sum\(\) or loss.mean\(\)\), or pass gradient= .* with shape \(2,\)"),
    "backward with a wrongly shaped gradient": (
        lambda: (LEAF * 2).backward(tinygrad_lr.ones(3)), RuntimeError,
        r"^backward: gradient has shape \(3,\) but the output has shape \(2,\); they must match"),
    "backward of a constant": (
        lambda: tinygrad_lr.ones(2).sum().backward(), RuntimeError,
        r"^backward: this tensor does not require grad and has no grad_fn.*requires_grad=True"),
    "backward computed under no_grad": (
        lambda: tinygrad_lr.no_grad()(lambda: (LEAF * LEAF).sum())().backward(), RuntimeError,
        r"^backward: this tensor does not require grad.*no_grad\(\)"),
    "register_hook returning another shape": (
        lambda: _backward_with_hook(lambda g: tinygrad_lr.ones(3)), RuntimeError,
        r"^register_hook: the hook '<lambda>' returned a gradient of shape \(3,\) and dtype float32, but the gradient "
        r"it was given has shape \(2,\) and dtype float32; return one of the same shape and dtype"),
    "register_hook returning a number": (
        lambda: _backward_with_hook(lambda g: 0.0), TypeError,
        r"^register_hook: the hook '<lambda>' returned float; a hook returns None or a Tensor"),
    "backward twice": (
        _backward_through_a_product_twice, RuntimeError,
        r"^MulBackward: trying to backward through the graph a second time.*retain_graph=True"),
    "grad() of an input not requiring grad": (
        lambda: tinygrad_lr.autograd.grad((LEAF * 2).sum(), tinygrad_lr.ones(2)), RuntimeError,
        r"^grad: input 0 \(shape \(2,\)\) does not require grad"),
    "grad() of an unused input": (
        lambda: tinygrad_lr.autograd.grad((LEAF * 2).sum(), tensor([1.0], requires_grad=True)), RuntimeError,
        r"^grad: input 0 \(shape \(1,\)\) was not used .*allow_unused=True"),
    "assigning a grad of another shape": (
        lambda: setattr(tensor([1.0, 2.0], requires_grad=True), "grad", tinygrad_lr.ones(3)), ValueError,
        r"^grad: assigned grad has shape \(3,\), but the tensor has shape \(2,\)"),
    "retain_grad without grad": (
        lambda: tinygrad_lr.ones(2).retain_grad(), RuntimeError,
        r"^retain_grad: the tensor does not require grad"),
    "custom Function returns too many gradients": (
        lambda: _TwoGradients.apply(LEAF).sum().backward(), RuntimeError,
        r"^_TwoGradientsBackward: backward returned 2 gradient\(s\) but forward took 1 positional argument\(s\)"),
    "custom Function returns a wrongly shaped gradient": (
        lambda: _WrongShape.apply(LEAF).backward(), RuntimeError,
        r"^_WrongShapeBackward: backward returned a gradient of shape \(5,\) for input 0, which has shape \(2,\)"),
    # ---- in place
    "in place on a leaf requiring grad": (
        _inplace_on_leaf, RuntimeError,
        r"^sub_: a leaf tensor that requires grad \(shape \(2, 1\)\) cannot be changed in place while operations are "
        r"recorded.*no_grad\(\)"),
    "in place of another shape": (
        lambda: tinygrad_lr.ones(2).add_(tinygrad_lr.ones(3, 2)), ValueError,
        r"^add_: an operand of shape \(3, 2\) cannot be applied in place to a tensor of shape \(2,\)"),
    "in place float into int": (
        lambda: tensor([1, 2]).div_(2), TypeError,
        r"^div_: the result of type float64 cannot be stored in place in a int64 tensor"),
    "copy_ of another shape": (
        lambda: tinygrad_lr.ones(2).copy_(tinygrad_lr.ones(3)), ValueError,
        r"^copy_: a source of shape \(3,\) cannot be copied into a tensor of shape \(2,\)"),
    "in place on a view of a leaf": (
        _inplace_on_a_view_of_a_leaf, RuntimeError,
        r"^add_: a view of a leaf tensor that requires grad \(the view has shape \(2,\), the leaf \(3,\)\) is being "
        r"used in an in-place operation.*no_grad"),
    "in place on a view made in no_grad": (
        _inplace_on_a_view_made_in_no_grad, RuntimeError,
        r"^mul_: this view \(shape \(2,\)\) was made in no_grad mode and is being changed in place with grad mode"),
    "in place on an expanded tensor": (
        lambda: tinygrad_lr.ones(1).expand(3).add_(1), RuntimeError,
        r"^add_: this tensor's memory is read-only"),
    "setitem into an output saved for backward": (
        _setitem_into_a_saved_output, RuntimeError,
        r"^ExpBackward: the output saved for backward was modified by an in-place operation \(it is at version 1; "
        r"expected version 0\)"),
    # ---- conversions
    "item of many": (
        lambda: tinygrad_lr.ones(2, 3).item(), RuntimeError,
        r"^item: a tensor with 6 elements \(shape \(2, 3\)\) cannot be converted to a Python number; select one "
        r"element first"),
    "float() of many": (
        lambda: float(tinygrad_lr.ones(2)), RuntimeError,
        r"^item: a tensor with 2 elements"),
    "bool of many": (
        lambda: bool(tinygrad_lr.ones(2)), RuntimeError,
        r"^bool: the truth value of a tensor with 2 elements is ambiguous"),
    "format of many": (
        lambda: f"{tinygrad_lr.ones(2):.3f}", TypeError,
        r"^format: a tensor with 2 elements cannot take the format '.3f'"),
    "numpy of a tensor requiring grad": (
        lambda: LEAF.numpy(), RuntimeError,
        r"^numpy: can't call numpy\(\) on a tensor that requires grad; use tensor.detach\(\).numpy\(\)"),
    "len of 0-d": (
        lambda: len(tensor(1.0)), TypeError,
        r"^len\(\) of a 0-d tensor"),
    "from_numpy of a list": (
        lambda: tinygrad_lr.from_numpy([1.0]), TypeError,
        r"^from_numpy: expected a NumPy array, got list"),
}


@pytest.mark.parametrize("name", list(OP_MISTAKES))
def test_user_mistake_raises_a_message_naming_the_problem(name):
    action, error, pattern = OP_MISTAKES[name]
    with pytest.raises(error, match=pattern) as info:
        action()
    assert info.value.__traceback__ is not None
    assert "Traceback" not in str(info.value)


def test_messages_do_not_chain_numpy_errors():
    """A user mistake shows our message only, not NumPy's exception underneath it."""
    for action in (lambda: M32 @ M31, lambda: tinygrad_lr.ones(3) + tinygrad_lr.ones(4), lambda: M23[5]):
        with pytest.raises((ValueError, IndexError)) as info:
            action()
        e = info.value
        assert e.__cause__ is None and (e.__context__ is None or e.__suppress_context__)


def test_the_catalogue_of_mistakes_covers_the_issue():
    must = ["matmul inner dims", "add broadcast", "reshape count", "sum dim", "index out of range", "ragged", "text",
            "requires_grad on integers", "item of many", "backward of a vector",
            "backward with a wrongly shaped gradient", "backward of a constant", "in place on a leaf requiring grad"]
    assert set(must) <= set(OP_MISTAKES)
    assert all(pattern.startswith("^") for _, _, pattern in OP_MISTAKES.values())  # every message starts with its op


# ---- the troubleshooting page (docs/troubleshooting.md) -----------------------------------------
def what_you_see(mistake, tmp):
    """The first line of the real message (or, for the carry-on entries, the description)."""
    if mistake.error is None:
        return mistake.seen
    import warnings
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mistake.action(tmp)
    except (Exception, SystemExit) as e:         # SystemExit: the error line a command (tinygrad-lr) exits with
        if issubclass(mistake.error, Warning) and caught:
            text, name = str(caught[0].message), mistake.error.__name__
        else:
            text, name = str(e), type(e).__name__
        text = text.replace(str(tmp) + os.sep, "").replace(str(tmp), ".")
        text = " ".join(text.split())
        first = re.match(r"(.{50,}?\.)\s+(?=[A-Z])", text)   # the first sentence says the problem
        text = first.group(1) if first and len(first.group(1)) < 200 else text[:200] + ("…" if len(text) > 200 else "")
        return f"`{text}`" if isinstance(e, SystemExit) else f"`{name}: {text}`"
    raise AssertionError(f"{mistake.id}: no error")


def troubleshooting_markdown():
    lines = ["# Troubleshooting: common mistakes", "",
             "Every row is a test (tests/tools/test_mistakes.py, the id in brackets). Where PyTorch carries on, "
             "tinygrad_lr does too, the same way.", "",
             "| Mistake | What you see | The fix |", "|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for m in MISTAKES:
            seen = what_you_see(m, Path(tmp)).replace("|", "\\|")
            lines.append(f"| {m.what} [`{m.id}`] | {seen} | {m.fix.replace('|', '/')} |")
    return "\n".join(lines)


def test_the_troubleshooting_page_is_this_table():
    page = (Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    start = page.index("# Troubleshooting: common mistakes")
    end = page.find("\n## ", start + 1)
    section = page[start:end if end >= 0 else len(page)].rstrip()
    assert section == troubleshooting_markdown(), \
        "regenerate it: python tests/tools/test_mistakes.py > docs/troubleshooting.md"


if __name__ == "__main__":
    sys.stdout.write(troubleshooting_markdown() + "\n")
