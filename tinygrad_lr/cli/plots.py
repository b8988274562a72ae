"""Pictures for the ``tinygrad-lr`` command: loss curves, and predictions against targets.

matplotlib is an optional extra (``pip install "tinygrad-lr[plot]"``): it is
imported only when a plot is asked for, and ``require_matplotlib()`` says what
to install when it is missing.  Figures are drawn with matplotlib's
object-oriented API on the Agg (file) canvas — no window, no ``pyplot`` state,
and the backend a user chose for their own plots is left alone.
"""
import math
import os

__all__ = ["MatplotlibMissing", "INSTALL", "require_matplotlib", "plot_compare", "plot_fit"]

INSTALL = 'pip install "tinygrad-lr[plot]" (or: pip install matplotlib)'

# one colour per method, the same in every figure
COLORS = {"batch": "tab:blue", "minibatch": "tab:green", "sgd": "tab:orange", "newton": "tab:red",
          "closed": "black"}


class MatplotlibMissing(ImportError):
    """Plots need matplotlib, which is not installed."""


def require_matplotlib():
    """Import matplotlib's Figure class, or raise ``MatplotlibMissing`` saying what to install."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MatplotlibMissing(f"plots need matplotlib, which is not installed: {INSTALL}") from None
    return Figure


def _save(fig, path):
    fig.savefig(os.fspath(path), dpi=110)
    return path


def _positive(xs, ys, floor=None):
    """The points a log-log axis can show (x > 0, y > 0), with y raised to ``floor`` if given."""
    pts = [(x, y if floor is None else max(y, floor)) for x, y in zip(xs, ys)
           if x > 0 and math.isfinite(y) and (floor is not None or y > 0)]
    return [p[0] for p in pts], [p[1] for p in pts]


def plot_compare(path, panels, title=""):
    """The ``compare`` figure: one row per data set, loss (left) and gap to the optimum (right).

    Args:
        path: the image file to write (.png, .svg, .pdf: matplotlib picks the format by the extension).
        panels: one dict per data set with
            ``name`` (shown above the row), ``closed_loss`` (L*, the closed-form loss),
            ``curves``: a list of ``(method, label, samples, losses)``, the full-data loss after
            ``samples`` per-sample gradient evaluations, and
            ``newton``: ``(label, samples, loss)`` or None.
        title: the figure's title.

    Both axes are logarithmic: the losses of the three methods span many powers of ten,
    and SGD does most of its work in the first few hundred samples.
    """
    Figure = require_matplotlib()
    fig = Figure(figsize=(12, 4.6 * len(panels)), layout="constrained")
    axes = fig.subplots(len(panels), 2, squeeze=False)
    for (ax_loss, ax_gap), panel in zip(axes, panels):
        best = panel["closed_loss"]
        floor = max(best * 1e-12, 1e-300)  # a gap this small is rounding (it can be 0 or negative): draw it here
        for method, label, xs, ys in panel["curves"]:
            color = COLORS.get(method)
            style = dict(color=color, lw=1.0 if method == "sgd" else 1.6,
                         marker="o" if len(xs) <= 30 else None, ms=4, label=label)
            ax_loss.plot(*_positive(xs, ys), **style)
            ax_gap.plot(*_positive(xs, [y - best for y in ys], floor), **style)
        ax_loss.axhline(best, color=COLORS["closed"], ls="--", lw=1.2, label=f"closed form L* = {best:.3g}")
        if panel.get("newton") is not None:
            label, x, loss = panel["newton"]
            ax_loss.plot([x], [loss], marker="*", ms=14, ls="none", color=COLORS["newton"], label=label)
            ax_gap.plot([x], [max(loss - best, floor)], marker="*", ms=14, ls="none", color=COLORS["newton"],
                        label=label + f" (gap {loss - best:.1g})")
        ax_gap.axhline(floor, color="grey", ls=":", lw=1, label="1e-12·L*: smaller gaps are drawn here")
        for ax in (ax_loss, ax_gap):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("samples processed (per-sample gradient evaluations), log scale")
            ax.grid(True, which="major", alpha=0.3)
        ax_loss.set_ylabel("loss ½·mean((ŷ − y)²), log scale")
        ax_gap.set_ylabel("gap to the optimum L − L*, log scale")
        ax_loss.set_title(f"{panel['name']}: loss on all the data")
        ax_gap.set_title(f"{panel['name']}: gap to the closed-form loss L*")
        ax_loss.legend(fontsize=8)
        ax_gap.legend(fontsize=8, loc="lower left")
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_fit(path, name, method_label, curve, closed_loss, targets, predictions):
    """The ``fit`` figure: the loss during training (left) and predictions against targets (right).

    Args:
        path: the image file to write.
        name: the data set, for the titles.
        method_label: e.g. "mini-batch SGD (B = 10)".
        curve: ``(samples, losses)`` of the training run, or None (the closed form has none).
        closed_loss: L*, drawn as a dashed line.
        targets, predictions: y and ŷ of every sample.
    """
    Figure = require_matplotlib()
    fig = Figure(figsize=(11, 4.4), layout="constrained")
    ax_loss, ax_pred = fig.subplots(1, 2)
    if curve is not None:
        xs, ys = curve
        ax_loss.plot(*_positive(xs, ys), color="tab:green", marker="o" if len(xs) <= 30 else None, ms=4,
                     label=method_label)
        ax_loss.set_xscale("log")
        ax_loss.set_xlabel("samples processed (per-sample gradient evaluations), log scale")
    else:
        ax_loss.text(0.5, 0.6, f"{method_label}:\nno iterations", ha="center", transform=ax_loss.transAxes)
        ax_loss.set_xticks([])
    ax_loss.axhline(closed_loss, color="black", ls="--", lw=1.2, label=f"closed form L* = {closed_loss:.3g}")
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel("loss ½·mean((ŷ − y)²), log scale")
    ax_loss.set_title(f"{name}: training loss")
    ax_loss.legend(fontsize=8)
    ax_loss.grid(True, alpha=0.3)
    ax_pred.scatter(targets, predictions, s=8, alpha=0.6, color="tab:green")
    lo, hi = min(min(targets), min(predictions)), max(max(targets), max(predictions))
    ax_pred.plot([lo, hi], [lo, hi], color="black", lw=1, ls="--", label="ŷ = y")
    ax_pred.set_xlabel("target y")
    ax_pred.set_ylabel("prediction ŷ")
    ax_pred.set_title(f"{name}: predictions of the fitted model")
    ax_pred.legend(fontsize=8)
    ax_pred.grid(True, alpha=0.3)
    return _save(fig, path)
