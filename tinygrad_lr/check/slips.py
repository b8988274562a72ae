"""Naming the slip when your formula disagrees with autograd: 2× (the ½ of the loss dropped), ½×, n× or 1/n×
(mean versus sum over the batch), −1× (the sign: gradient ascent), a transpose, one entry per sample where
the parameter is shared by all of them."""
import numpy as np

from ..core.engine import sum_to_shape


def _describe_factor(c, n):
    """Words for formula = c · gradient: which slip makes that factor."""
    candidates = []
    for sign in (1, -1):
        for a in (0, 1, -1):
            for b in ((0, 1, -1) if n is not None and n > 2 else (0,)):
                candidates.append((abs(a) + abs(b) + (sign < 0), sign, a, b))
    for _, sign, a, b in sorted(candidates):
        if (sign, a, b) != (1, 0, 0) and np.isclose(c, sign * 2.0 ** a * float(n or 1) ** b, rtol=1e-6, atol=0):
            break
    else:
        k = abs(c) if abs(c) >= 1 else 1 / abs(c) if c != 0 else 0
        if k >= 3 and np.isclose(k, round(k), rtol=1e-6, atol=0):
            k = int(round(k))
            more = abs(c) > 1
            text = (f"your formula is {_num(c)} × the gradient: a factor of {k}: mean versus sum? If there are "
                    f"{k} samples, " + ("the loss averages over them (1/n) and your formula sums"
                                        if more else "your formula divides by n but the loss sums over them"))
            return text + ("; and the sign is flipped (gradient ascent?)" if c < 0 else "")
        return (f"your formula is {_num(c)} × the gradient: a constant factor that is not ½, 2, −1 or the "
                "batch size; check the constants of your derivation")
    parts = []
    if sign < 0:
        parts.append("sign: gradient ascent? Your formula points uphill (ŷ − y versus y − ŷ)")
    if a == 1:
        parts.append("did you drop the ½ of the loss? With ℓ = 1/(2n)·Σ(ŷ − y)², the ½ cancels the 2 that "
                     "differentiating the square brings down")
    if a == -1:
        parts.append("a ½ too many: the ½ of the loss already cancelled the 2 of the square's derivative "
                     "(or this loss has no ½)")
    if b == 1:
        parts.append(f"mean versus sum? The loss averages over the n = {n} samples, so its gradient carries "
                     "a 1/n that your formula lacks")
    if b == -1:
        parts.append(f"mean versus sum? Your formula divides by n = {n}, but the loss sums over the samples "
                     "(or you divided by n twice)")
    return f"your formula is {_factor_name(c, sign, a, b)} the gradient: " + "; and ".join(parts)


def _factor_name(c, sign, a, b):
    """'2 ×', '−1 ×', '½ ×', '10 × (n)', '5 × (n/2)' ..."""
    if b == 0:
        return ("−" if sign < 0 else "") + {0: "1", 1: "2", -1: "½"}[a] + " ×"
    top = {0: "", 1: "2"}.get(a, "") + ("n" if b == 1 else "")
    bottom = ("2" if a == -1 else "") + ("n" if b == -1 else "")
    sym = (top or "1") + ("/" + (bottom if len(bottom) == 1 else f"({bottom})") if bottom else "")
    return f"{_num(c)} × ({'−' if sign < 0 else ''}{sym})"


def _num(x):
    return f"{x:.6g}"


def _worst(F, A):
    k = int(np.argmax(np.abs(F - A)))
    idx = tuple(int(i) for i in np.unravel_index(k, A.shape)) if A.shape else ()
    return f"worst element {list(idx)}: formula {_num(F.reshape(-1)[k])}, autograd {_num(A.reshape(-1)[k])}"


def _compare_values(F, A, rtol, atol):
    """(agree, factor, words) for two arrays of the same shape."""
    scale = np.abs(A).max(initial=0.0)
    if np.abs(F - A).max(initial=0.0) <= atol + rtol * scale:
        return True, 1.0, ""
    if scale == 0:
        return False, None, f"the gradient is 0 here, your formula is not ({_worst(F, A)})"
    c = float(np.vdot(F, A) / np.vdot(A, A))
    if c != 0 and np.abs(F - c * A).max() <= atol + rtol * abs(c) * scale:
        return False, c, None  # a constant factor: the caller names it
    if np.abs(F).max() <= atol:
        return False, None, f"your formula returns zeros ({_worst(F, A)})"
    return False, None, f"your formula differs from the gradient by more than a constant factor; {_worst(F, A)}"


def _diagnose(F, A, n, rtol, atol):
    """(passed, verdict, message, factor) for formula values F and the autograd gradient A."""
    if F.shape == A.shape:
        ok, c, words = _compare_values(F, A, rtol, atol)
        if ok:
            return True, "ok", "", 1.0
        if words is None:
            return False, f"WRONG ({_num(c)}×)", _describe_factor(c, n), c
        return False, "WRONG", words, c
    kind = "scalar parameter (shape ())" if A.shape == () else f"{tuple(A.shape)} parameter"
    msg = f"your formula returns {tuple(F.shape)} for a {kind}"
    if F.size == A.size:
        if F.ndim == 2 and A.ndim == 2 and F.shape == A.shape[::-1] and _compare_values(F.T, A, rtol, atol)[0]:
            return False, "WRONG SHAPE", msg + ("; it is the transpose of the gradient: return its .T (e.g. "
                                                "rᵀX instead of Xᵀr)"), None
        ok, c, words = _compare_values(F.reshape(A.shape), A, rtol, atol)
        if ok:
            return False, "WRONG SHAPE", msg + f"; the values are right: return them with .reshape{tuple(A.shape)}", 1.0
        words = words if words is not None else _describe_factor(c, n)
        return False, "WRONG SHAPE", msg + "; after reshaping, " + words, c
    if A.ndim <= F.ndim and all(a in (1, f) for a, f in zip(A.shape[::-1], F.shape[::-1])):
        summed = sum_to_shape(F, A.shape)
        ok, c, words = _compare_values(summed, A, rtol, atol)
        hint = msg + ": one entry per sample? The parameter is shared by all samples, so its gradient is the " \
                     "Σ over them (e.g. .sum(axis=0))"
        if ok:
            return False, "WRONG SHAPE", hint + "; summed that way your values are right", None
        return False, "WRONG SHAPE", hint, None
    return False, "WRONG SHAPE", msg + "; the gradient of a parameter has the parameter's shape", None
