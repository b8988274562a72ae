"""Check a hand-derived gradient: your formula against autograd and against finite differences.

You derived, say, for ℓ(w, b) = 1/(2n)·‖Xw + b − y‖²

    ∂ℓ/∂w = Xᵀ(Xw + b − y)/n        ∂ℓ/∂b = Σ(Xw + b − y)/n

``check_gradients`` evaluates three things at the same point, in float64:

1. your formula;
2. autograd's gradient (backward through the loss you wrote);
3. central finite differences (ℓ(θ + ε) − ℓ(θ − ε)) / 2ε, the definition of a derivative.

It prints a table (input, max abs error, max rel error, verdict) and, when your
formula is off by a constant factor, names the usual slip in words: 2× (the ½ of
the loss dropped), ½×, n× or 1/n× (mean versus sum over the batch), −1× (the
sign: gradient ascent), or a formula of the wrong shape.  When autograd itself
disagrees with finite differences (a custom Function with a wrong backward), it
names the op whose backward is wrong, and where it was created
(``autograd.localize``).

Example::

    from tinygrad_lr.check import check_gradients

    def loss(w, b):
        return ((X @ w + b - y) ** 2).sum() / (2 * n)

    result = check_gradients(loss, {"w": w, "b": b}, {
        "w": lambda w, b: X.T @ (X @ w + b - y) / n,
        "b": lambda w, b: (X @ w + b - y).sum(axis=0) / n,
    })
    assert result       # truthy when every formula is right and autograd agrees
    print(result.to_latex({"w": r"X^\\top(Xw + b - y)/n"}))   # for a report

The rest of the room:

- ``check_module(model, loss_fn, X, y, formulas)``: the same for every named parameter
  of an ``nn`` model on one batch (gradients.py);
- ``check_backprop(loss, intermediates, hand_grads)``: a backward pass derived by hand,
  intermediate by intermediate (dlogits, dh, dW ...), against autograd: exact / close /
  max difference, and what a mismatch looks like (backprop.py);
- ``check_per_sample(...)``: the per-sample gradients ∇ℓ⁽ⁱ⁾ of the notes against
  ``func.vmap(func.grad(...))``, and their mean against the batch gradient (per_sample.py);
- ``GradientCheck.to_latex()``: the report as LaTeX ``align*`` environments (latex.py).
"""
from .backprop import BackpropCheck, check_backprop
from .gradients import check_gradients, check_module
from .per_sample import PerSampleCheck, check_per_sample
from .report import GradientCheck, InputCheck

__all__ = ["check_gradients", "check_module", "check_backprop", "check_per_sample", "GradientCheck", "InputCheck",
           "BackpropCheck", "PerSampleCheck"]
