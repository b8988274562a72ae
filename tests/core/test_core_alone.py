"""The teaching core on its own: tinygrad_lr/core without the Tensor surface (ops), nn, optim or compile.

A learner who reads core/tensor.py, function.py, engine.py and the primitives has seen all of autograd;
this test holds the code to that: it imports the core alone, in a fresh interpreter where the package's
``__init__`` (which loads everything) does not run, and trains the lecture notes' linear regression with
it — ŷ = Xw + b, ℓ = 1/(2n)·Σ(ŷ − y)², w ← w − η·∂ℓ/∂w — to the closed-form optimum.
"""
import subprocess
import sys
import textwrap

import tinygrad_lr

PROGRAM = textwrap.dedent('''
    import sys, types
    import numpy as np
    # the package's directory, without running tinygrad_lr/__init__.py (which imports the whole surface)
    package = types.ModuleType("tinygrad_lr")
    package.__path__ = [PACKAGE_DIR]
    sys.modules["tinygrad_lr"] = package

    from tinygrad_lr.core.grad_mode import no_grad
    from tinygrad_lr.core.tensor import Tensor

    rng = np.random.default_rng(0)
    X_np = rng.standard_normal((1000, 2))
    y_np = X_np @ np.array([[2.0], [-3.4]]) + 4.2 + 0.01 * rng.standard_normal((1000, 1))
    X, y = Tensor(X_np), Tensor(y_np)
    w = Tensor(np.zeros((2, 1)), requires_grad=True)
    b = Tensor(np.zeros(1), requires_grad=True)
    lr, n = 0.1, X_np.shape[0]
    for step in range(300):                         # batch gradient descent, the notes' update
        loss = ((X @ w + b - y) ** 2).sum() / (2 * n)
        w.grad = b.grad = None
        loss.backward()
        with no_grad():
            w.data = w.data - lr * w.grad           # (in place, w -= ..., belongs to the surface)
            b.data = b.data - lr * b.grad
    A = np.hstack([X_np, np.ones((n, 1))])
    theta = np.linalg.lstsq(A, y_np, rcond=None)[0]
    print(np.abs(np.vstack([w.detach().numpy(), b.detach().numpy().reshape(1, 1)]) - theta).max())
    loaded = sorted(m for m in sys.modules if m.startswith("tinygrad_lr."))
    print(" ".join(loaded))
    print(hasattr(Tensor, "exp"), hasattr(Tensor, "__getitem__"), hasattr(Tensor, "add_"))
''')


def test_the_core_alone_trains_the_notes_linear_regression():
    package_dir = str(tinygrad_lr.__path__[0])
    done = subprocess.run([sys.executable, "-c", PROGRAM.replace("PACKAGE_DIR", repr(package_dir))],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    gap, loaded, surface = done.stdout.strip().splitlines()
    assert float(gap) < 1e-6                            # at the closed-form optimum θ* = (AᵀA)⁻¹Aᵀy
    modules = loaded.split()
    assert all(m.startswith("tinygrad_lr.core") for m in modules), modules   # no ops, nn, optim, jit
    assert "tinygrad_lr.core.tensor" in modules and "tinygrad_lr.core.engine" in modules
    assert surface == "False False False"               # the surface was never attached
