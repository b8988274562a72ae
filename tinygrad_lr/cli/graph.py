"""``tinygrad-lr graph``: the autograd graph of the loss as Graphviz DOT, and its backward pass op by op.

ℓ = 1/(2n)·Σ(Xw + b − y)² on a few samples of the lecture notes' data, drawn with
tinygrad_lr.viz: without --out the DOT text goes to standard output and the
trace to standard error (``tinygrad-lr graph | dot -Tsvg > graph.svg``); with
--out, a .dot/.gv file or, through graphviz, an .svg, .png or .pdf.
"""
import os
import sys

import numpy as np

import tinygrad_lr
from .output import CommandError, check_output_path
from .problem import synthetic_tensors


GRAPH_FORMATS = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".pdf": "pdf"}


def cmd_graph(args):
    from .. import viz
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


def _write_text(path, text):
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise CommandError(f"{path}: cannot write it ({e.strerror or e})") from None
