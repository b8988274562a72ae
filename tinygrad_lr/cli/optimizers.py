"""The update rules ``fit --optimizer`` and ``compare --methods`` train with: SGD, Adam, RMSprop, Adagrad, L-BFGS.

SGD, Adam, RMSprop and Adagrad run in the same mini-batch loop (training.gradient_descent:
the canonical PyTorch loop; only ``trainer`` changes); L-BFGS needs a closure and works on
all rows at once (training.lbfgs).  Their default learning rates:

    sgd        1/λ, 0.1/λ or 0.03/λ (batch, mini-batch, single rows), λ = λmax(AᵀA/n): its
               step is η times the gradient, so η must match the curvature
    adam       0.05    each entry of θ moves by about η per step, whatever the gradient's scale,
    rmsprop    0.03    so η is in the units of θ (standardized features suit them best)
    adagrad    0.5     (its steps shrink as the squared gradients add up, so it starts larger)
    lbfgs      1       its direction −H·g is already scaled by the curvature; a line search finds t
"""
from .. import optim

OPTIMIZERS = ("sgd", "adam", "rmsprop", "adagrad", "lbfgs")
ADAPTIVE = ("adam", "rmsprop", "adagrad")                # mini-batch methods with a per-entry step size
DEFAULT_LR = {"adam": 0.05, "rmsprop": 0.03, "adagrad": 0.5, "lbfgs": 1.0}
LBFGS_EVALUATIONS = 100                                  # fit --optimizer lbfgs: closure calls (full passes)


def make_trainer(optimizer, params, lr, momentum=0.0):
    """``optim.SGD`` / ``Adam`` / ``RMSprop`` / ``Adagrad`` over ``params`` (parameters or param groups).

    A group's ``weight_decay`` (ridge's λ, training.param_groups) adds λ·w to the gradient in
    each of them, so all minimise the same penalised loss.  Adam's β₁ is its momentum; Adagrad
    has none; SGD and RMSprop take ``momentum``.
    """
    if optimizer == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum)
    if optimizer == "rmsprop":
        return optim.RMSprop(params, lr=lr, momentum=momentum)
    if optimizer == "adam":
        return optim.Adam(params, lr=lr)
    if optimizer == "adagrad":
        return optim.Adagrad(params, lr=lr)
    raise ValueError(f"make_trainer: unknown optimizer {optimizer!r} (L-BFGS runs in training.lbfgs)")


def default_lr(problem, batch_size, optimizer):
    """SGD's rate from the curvature (Problem.default_lr); the others' fixed defaults (see above)."""
    return problem.default_lr(batch_size) if optimizer == "sgd" else DEFAULT_LR[optimizer]
