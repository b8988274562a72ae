"""The arguments of the losses, checked; and a classification target turned into one weight matrix.

Every loss of ``nn.functional`` starts here: its ``reduction`` (and PyTorch's legacy
``size_average`` / ``reduce``), its prediction and target (Tensors; of one shape for the
element-wise losses; promoted to one floating dtype) and its weights.  Each mistake gets a
one-line error that names the loss, the shapes or values, and the fix.

Cross entropy and NLL take class indices or class probabilities.  ``class_targets`` turns
either into one matrix A of the input's shape (N, C, d₁, …), so both losses are
ℓᵢ = −Σ_c A[i, c] · log pᵢc whatever the target:

    class indices y:         A[i, c] = w_yᵢ · [c = yᵢ]      (a row of zeros where yᵢ = ignore_index)
    class probabilities q:   A[i, c] = w_c · q[i, c]
    label smoothing ε:       (1 − ε) · the above  +  ε/C · w_c on every class (of the rows not ignored)

and 'mean' divides by D: Σᵢ w_yᵢ over the rows not ignored for indices (their number without
weights), the number of rows N·d₁·… for probabilities — PyTorch's rule in both cases.

The common case — input (N, C), class indices all in 0 … C − 1, no weight, no smoothing — takes a
shortcut (speed only, the same A and D to the bit): one range check, A = onehot(y), D = N; and it
hands on y itself, with which the loss picks log pᵢ,yᵢ directly instead of summing A · log p.
"""
import math
import warnings

import numpy as np

from ..core import Tensor
from ..core import dtypes, internal, operators

_REDUCTIONS = ("mean", "sum", "none")
_CREATE_FIRST = ("Create the loss first, then call it on the prediction and the target: "
                 "loss = nn.{op}(); l = loss(y_hat, y)")


# ---- reduction and the constructor ---------------------------------------------------------
def check_reduction(op, reduction):
    if not isinstance(reduction, str):  # nn.MSELoss(y_hat, ...): the loss is made first, then called
        raise TypeError(f"{op}: reduction must be 'mean', 'sum' or 'none', got a {type(reduction).__name__}. "
                        + _CREATE_FIRST.format(op=op))
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction={reduction!r} is not a valid value; use 'mean', 'sum' or 'none'")
    return reduction


def reduction(op, size_average, reduce, reduction):
    """The reduction: ``reduction=``, or PyTorch's deprecated ``size_average`` / ``reduce`` (with its warning)."""
    for name, value in (("size_average", size_average), ("reduce", reduce)):
        if isinstance(value, Tensor):  # nn.CrossEntropyLoss(y_hat, y): the tensors landed in the settings
            raise TypeError(f"{op}: got a Tensor as {name}; the constructor takes the loss's settings. "
                            + _CREATE_FIRST.format(op=op))
    if size_average is None and reduce is None:
        return check_reduction(op, reduction)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    legacy = "none" if not reduce else "mean" if size_average else "sum"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{legacy}' instead.",
                  UserWarning, stacklevel=3)
    return legacy


def check_weight(op, name, weight):
    """A constructor's ``weight`` / ``pos_weight``: None or a constant Tensor (a prediction there is a mistake)."""
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor or None, got {type(weight).__name__}; "
                        f"e.g. {name}=tinygrad_lr.tensor([1.0, 2.0])")
    if weight.requires_grad:
        raise TypeError(f"{op}: {name} is a Tensor that requires grad (a prediction?); {name} is a constant of the "
                        f"loss (no gradient flows to it): pass {name}.detach(). If it is the prediction: "
                        + _CREATE_FIRST.format(op=op))
    return weight


# ---- prediction and target ------------------------------------------------------------------
def check_tensors(op, input, target):
    if not isinstance(input, Tensor) or not isinstance(target, Tensor):
        name, t = ("input", input) if not isinstance(input, Tensor) else ("target", target)
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}; "
                        "convert it with tinygrad_lr.tensor(...) or tinygrad_lr.from_numpy(...)")


def same_shape(op, input, target):
    """The element-wise losses compare ŷ and y entry by entry: equal shapes, never a silent broadcast."""
    check_tensors(op, input, target)
    si, st = tuple(input.shape), tuple(target.shape)
    if si == st:
        return
    text = f"{op}: input (prediction) has shape {si} but target has shape {st}; they must be equal. "
    if len(si) == 2 and si[1] == 1 and st == si[:1] or len(st) == 2 and st[1] == 1 and si == st[:1]:
        n = si[0]
        text += (f"Broadcasting ({n}, 1) against ({n},) would compare every prediction with every target "
                 f"(a ({n}, {n}) matrix) and give a wrong loss without any error. ")
        raise ValueError(text + "Reshape the target to the prediction's shape: y.reshape(-1, 1) "
                                "(or the prediction: y_hat.reshape(-1))")
    raise ValueError(text + "Reshape one of them, e.g. target.reshape(input.shape)")


def floats(op, input, target):
    """Both in one floating dtype (PyTorch's promotion; integers become float32)."""
    if input.dtype != target.dtype or input.dtype.kind != "f":
        input, target = operators.promote(op, input, target)
        if input.dtype.kind != "f":
            input, target = input.float(), target.float()
    return input, target


def constant(op, name, weight, input):
    """A weight as an array in input's dtype that broadcasts against input (None stays None)."""
    if weight is None:
        return None
    w = internal.values(check_weight(op, name, weight)).astype(input.dtype, copy=False)
    try:
        fits = np.broadcast_shapes(w.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{op}: {name} of shape {w.shape} does not broadcast against the input's shape "
                         f"{tuple(input.shape)}; give it the input's shape or one that broadcasts "
                         f"(sizes equal or 1, aligned from the right)")
    return w


def in_unit_interval(op, name, t, fix):
    a = internal.values(t)
    inside = (a >= 0) & (a <= 1)
    if not inside.all():
        bad = a[~inside].flat[0]
        raise RuntimeError(f"{op}: all elements of {name} should be between 0 and 1, found {bad} "
                           f"(shape {tuple(t.shape)}); {fix}")


# ---- classification targets ------------------------------------------------------------------
def class_targets(op, input, target, weight, ignore_index, label_smoothing=0.0):
    """(input as (N, C, d₁, …), A, D, unbatched, y) for cross entropy and NLL; see the module docstring.

    y: the class indices when A = onehot(y) (the common case, see there), else None."""
    check_tensors(op, input, target)
    if input.dtype.kind != "f":
        swapped = (" The target is floating point: the arguments look swapped, call loss(y_hat, y) with the "
                   "prediction first." if target.dtype.kind == "f" else " Convert it with .float().")
        raise TypeError(f"{op}: input (the scores, one per class) must be floating point, got "
                        f"{dtypes.dtype_name(input.dtype)} of shape {tuple(input.shape)}.{swapped}")
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension (shape (N, C) or (C,)), got a 0-d tensor")
    if not isinstance(label_smoothing, (int, float)) or not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"{op}: label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    unbatched = input.ndim == 1
    if unbatched:  # one sample (C,): as a batch of one
        input, target = input.reshape(1, -1), target.reshape(1, *target.shape)
    n_classes, rows = input.shape[1], input.shape[:1] + input.shape[2:]
    w = _class_weight(op, weight, n_classes, input.dtype)
    w_b = None if w is None else w.reshape((1, n_classes) + (1,) * (input.ndim - 2))  # along the class dim
    if target.dtype.kind == "f":
        return _probabilities(op, input, target, w_b, label_smoothing, rows) + (unbatched, None)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold class indices (int64) or class probabilities (floating point), "
                        f"got {dtypes.dtype_name(target.dtype)}; convert it with y.long()")
    _index_shape(op, input, target, rows)
    _one_class(op, input)
    y = internal.values(target).astype(np.int64, copy=False)
    if w_b is None and not label_smoothing and input.ndim == 2 and _all_classes(y, n_classes, ignore_index):
        # speed only: the common case; the lines below give the same A and D with masks for the rows ignored
        a = (y.reshape(-1, 1) == np.arange(n_classes)).astype(input.dtype)
        return input, a, float(y.shape[0]), unbatched, y
    kept = y != ignore_index
    bad = kept & ((y < 0) | (y >= n_classes))
    if bad.any():
        raise IndexError(f"{op}: target {y[bad].flat[0]} is out of bounds for input of shape {tuple(input.shape)}, "
                         f"which has {n_classes} classes; class indices must be in 0 … {n_classes - 1} "
                         f"(targets equal to ignore_index={ignore_index} are skipped)")
    y = np.expand_dims(np.where(kept, y, 0), 1)
    kept = np.expand_dims(kept, 1)
    classes = np.arange(n_classes).reshape((1, n_classes) + (1,) * (input.ndim - 2))
    a = ((y == classes) & kept).astype(input.dtype)  # the one-hot rows, zero where ignored
    if w_b is not None:
        a *= w_b
    D = a.sum(dtype=np.float64).item()  # Σ w_yᵢ over the rows kept (their number without weights)
    if label_smoothing:
        eps = label_smoothing
        a = (1 - eps) * a + (eps / n_classes) * kept * (1 if w_b is None else w_b)
        a = a.astype(input.dtype, copy=False)
    return input, a, D, unbatched, None


def _all_classes(y, n_classes, ignore_index):
    """Every index a class, 0 ≤ yᵢ < C, and none ignored (ignore_index outside 0 … C − 1): one min and one max."""
    if y.size == 0 or not isinstance(ignore_index, (int, np.integer)) or 0 <= ignore_index < n_classes:
        return False
    return not (y.min() < 0 or y.max() >= n_classes)


def _class_weight(op, weight, n_classes, dtype):
    if weight is None:
        return None
    w = internal.values(check_weight(op, "weight", weight))
    if w.shape != (n_classes,):
        raise RuntimeError(f"{op}: weight tensor should be defined either for all {n_classes} classes or no "
                           f"classes but got weight tensor of shape: {list(w.shape)}; give one weight per class, "
                           f"shape ({n_classes},)")
    return w.astype(dtype, copy=False)


def _probabilities(op, input, target, w_b, eps, rows):
    if target.shape != input.shape:
        if target.shape == rows:
            raise TypeError(f"{op}: target of shape {tuple(target.shape)} is {dtypes.dtype_name(target.dtype)}: "
                            f"class indices must be integers, convert them with y.long() (a floating-point "
                            f"target is read as class probabilities and needs the input's shape "
                            f"{tuple(input.shape)})")
        raise ValueError(f"{op}: target of class probabilities has shape {tuple(target.shape)} but input has "
                         f"shape {tuple(input.shape)}; they must be equal (or give class indices of shape "
                         f"{rows}, as int64)")
    _one_class(op, input)
    input, target = floats(op, input, target)
    n_classes = input.shape[1]
    a = target if w_b is None else target * w_b
    if eps:
        a = a * (1 - eps) + (eps / n_classes) * (1 if w_b is None else w_b)
    return input, a, float(math.prod(rows))


def _index_shape(op, input, target, rows):
    if tuple(target.shape) == rows:
        return
    if target.shape[:1] != rows[:1]:
        raise ValueError(f"{op}: Expected input batch_size ({rows[0]}) to match target batch_size "
                         f"({target.shape[0] if target.ndim else 'none, a 0-d target'}): input has shape "
                         f"{tuple(input.shape)} and target {tuple(target.shape)}; give one class index per sample")
    if target.shape == rows + (1,):
        raise RuntimeError(f"{op}: target has shape {tuple(target.shape)}, a column; class indices need shape "
                           f"{rows}, one per sample: y.reshape(-1) (or y.squeeze(1))")
    raise ValueError(f"{op}: target of class indices has shape {tuple(target.shape)} but input of shape "
                     f"{tuple(input.shape)} needs {rows} (the input's shape without its class dim 1)")


def _one_class(op, input):
    if op == "CrossEntropyLoss" and input.shape[1] == 1:
        n = input.shape[0]
        raise ValueError(f"{op}: input of shape {tuple(input.shape)} has one class: the softmax of one score is "
                         f"always 1, so the loss is 0 and nothing is learned. For two classes with one output use "
                         f"nn.BCEWithLogitsLoss() with float targets of shape ({n}, 1) (y.float().reshape(-1, 1)), "
                         f"or give the model 2 outputs (e.g. nn.Linear(d, 2)) and keep CrossEntropyLoss")
