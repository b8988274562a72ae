"""``tinygrad-lr graph``: the autograd graph of the loss as Graphviz DOT, and its backward pass op by op.

ℓ = 1/(2n)·Σ(Xw + b − y)² on a few samples of the lecture notes' data, drawn with
tinygrad_lr.viz: without --out the DOT text goes to standard output and the
trace to standard error (``tinygrad-lr graph | dot -Tsvg > graph.svg``); with
--out, a .dot/.gv file, an .svg (Graphviz's when it is installed, else our own layout, viz_svg.py),
or, through Graphviz, a .png or .pdf.
"""
import os
import re
import sys

import numpy as np

import tinygrad_lr
from .output import CommandError, check_output_path
from .problem import synthetic_tensors


GRAPH_FORMATS = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".pdf": "pdf"}


def cmd_graph(args):
    from .. import viz
    if getattr(args, "compiled", False):
        return _compiled(args)
    if args.samples < 1:
        raise CommandError(f"--samples must be at least 1, got {args.samples}", 2)
    kind = None
    if args.out is not None:
        kind = GRAPH_FORMATS.get(os.path.splitext(args.out)[1].lower())
        if kind is None:
            raise CommandError(f"--out {args.out}: the file name must end in .dot, .gv, .svg, .png or .pdf", 2)
        check_output_path(args.out, "--out")
    n = args.samples
    features, labels = synthetic_tensors(args.seed, n)
    X, y = features.double(), labels.double()
    w = tinygrad_lr.zeros(2, 1, dtype=tinygrad_lr.float64, requires_grad=True)
    b = tinygrad_lr.zeros(1, dtype=tinygrad_lr.float64, requires_grad=True)
    loss = ((X @ w + b - y) ** 2).sum() / (2 * n)        # ℓ = 1/(2n)·Σ(Xw + b − y)²
    params = {"w": w, "b": b}
    dot = viz.to_dot({"loss ℓ": loss}, params=params)
    trace_to = sys.stdout
    if kind is None:
        print(dot, end="")
        trace_to = sys.stderr        # stdout carries only the DOT text: `tinygrad-lr graph | dot -Tsvg > g.svg`
    elif kind == "dot":
        _write_text(args.out, dot)
    else:
        try:
            viz.render({"loss ℓ": loss}, args.out, format=kind, params=params)
        except viz.GraphvizNotFound as e:
            raise CommandError(f"graph: cannot draw {args.out}: {str(e).removeprefix('render: ')}; or write the DOT "
                               "text with --out graph.dot") from None
        except OSError as e:
            raise CommandError(f"--out {args.out}: cannot write it ({e.strerror or e})") from None
    if kind is not None:
        print(f"graph of ℓ = 1/(2n)·Σ(Xw + b − y)² (n = {n}) written to {args.out}")
    print(f"ℓ = 1/(2n)·Σ(Xw + b − y)² on {n} samples, at w = 0, b = 0: {loss.item():.6g}", file=trace_to)
    with viz.trace_backward(params=params, file=trace_to):
        loss.backward()
    Xa, ya = X.numpy(), y.numpy()
    r = Xa @ w.detach().numpy() + b.detach().numpy() - ya
    dw, db = Xa.T @ r / n, r.sum(axis=0) / n
    error = max(np.abs(w.grad.numpy() - dw).max(), np.abs(b.grad.numpy() - db).max())
    print(f"w.grad = {np.round(w.grad.numpy().reshape(-1), 6).tolist()}, "
          f"b.grad = {np.round(b.grad.numpy(), 6).tolist()}: the hand-derived Xᵀ(Xw + b − y)/n and Σ(Xw + b − y)/n (max difference {error:.1e})", file=trace_to)
    return 0


def _compiled(args, batch_size=10, lr=0.03):
    """``graph --compiled``: the notes' mini-batch SGD step, recorded by tinygrad_lr.compile, as NumPy source."""
    from .. import nn, optim
    features, labels = synthetic_tensors(args.seed)
    X, y = features.double(), labels.double()
    tinygrad_lr.manual_seed(args.seed)
    net = nn.Linear(2, 1, dtype=tinygrad_lr.float64)
    loss = nn.MSELoss()
    trainer = optim.SGD(net.parameters(), lr=lr)

    def train_step(X, y):  # the canonical loop's step (examples/linear_regression_concise.py)
        l = loss(net(X), y)
        trainer.zero_grad()
        l.backward()
        trainer.step()
        return l

    step = tinygrad_lr.compile(train_step)
    for i in range(0, 4 * batch_size, batch_size):  # two calls record it, the next ones replay it
        step(X[i:i + batch_size], y[i:i + batch_size])
    if step.program is None:
        raise CommandError(f"graph --compiled: the step could not be compiled ({step.reason})")
    source = step.program
    r = re.search(r"(\w+) = X @ weight\.T \+ bias - y", source)
    g = re.search(r"weight_grad = (\w+)\.T @ X", source)
    print(f"# ℓ = 1/(2n)·Σ(Xw + b − y)², mini-batch SGD with B = {batch_size}, η = {lr}: the step recorded by "
          "tinygrad_lr.compile, replayed as this NumPy program.")
    if r and g:
        r, g = r.group(1), g.group(1)
        print(f"# {r} = Xw + b − y;  {g} = r/n = ∂ℓ/∂ŷ;  weight_grad = {g}ᵀX = (Xᵀr/n)ᵀ = ∂ℓ/∂w;  "
              f"bias_grad = Σ{g} = Σr/n = ∂ℓ/∂b;  weight += −η·∂ℓ/∂w  (t1 = −η)")
    print(source, end="")
    return 0


def _write_text(path, text):
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise CommandError(f"{path}: cannot write it ({e.strerror or e})") from None
