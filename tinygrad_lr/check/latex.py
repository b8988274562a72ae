r"""A gradient check as LaTeX, for the reports learners write: per input, an ``align*`` environment with the
formula, its value, autograd's value and the finite differences, then the verdict in a sentence.

For w of shape (2, 1), with ``formulas={"w": r"X^\top(Xw + b - y)/n"}``::

    \begin{align*}
    \frac{\partial \ell}{\partial w} &= X^\top(Xw + b - y)/n && \text{your formula}\\
      &= \begin{bmatrix} 0.412 \\ -1.07 \end{bmatrix} && \text{its value}\\
      &\approx \begin{bmatrix} 0.412 \\ -1.07 \end{bmatrix} && \text{autograd (backward)}\\
      &\approx \begin{bmatrix} 0.412 \\ -1.07 \end{bmatrix} && \text{central differences, } \varepsilon = 10^{-6}
    \end{align*}
    \noindent\textbf{w: ok}

A line's relation is to the line above it: ``\neq`` where your formula and autograd (or autograd and the
finite differences) disagree.

Arrays with more than ``max_entries`` entries are summarised by their shape and the largest differences.
Text (titles, messages) goes through ``text``: LaTeX's special characters escaped, the Unicode math the
messages use (ℓ, ½, −, ᵀ, Σ ...) turned into LaTeX, so that pdflatex accepts the result.
"""
import numpy as np

_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
            "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}"}
_MATH = {"−": "-", "×": r"\times", "·": r"\cdot", "½": r"\tfrac{1}{2}", "ℓ": r"\ell", "Σ": r"\Sigma",
         "ᵀ": r"^{\top}", "∂": r"\partial", "‖": r"\|", "≈": r"\approx", "≤": r"\leq", "≥": r"\geq",
         "≠": r"\neq", "→": r"\to", "←": r"\leftarrow", "∇": r"\nabla", "∈": r"\in", "θ": r"\theta",
         "η": r"\eta", "λ": r"\lambda", "σ": r"\sigma", "ε": r"\varepsilon", "α": r"\alpha", "μ": r"\mu",
         "ŷ": r"\hat{y}", "ŵ": r"\hat{w}", "x̄": r"\bar{x}", "⁻": "^{-}", "⁽": "^{(}", "⁾": "^{)}", "ⁱ": "^{i}",
         "ⁿ": "^{n}", "∞": r"\infty", "√": r"\surd", "⊙": r"\odot", "ᵢ": "_{i}", "ⱼ": "_{j}"}
_MATH.update({d: "^{%d}" % k for k, d in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")})
_MATH.update({d: "_{%d}" % k for k, d in enumerate("₀₁₂₃₄₅₆₇₈₉")})
_TEXT = {"—": "---", "–": "--", "…": r"\ldots{}", "‘": "`", "’": "'", "“": "``", "”": "''", "\u00a0": "~"}
_GREEK = {"alpha", "beta", "gamma", "delta", "theta", "eta", "lambda", "mu", "sigma", "tau", "phi", "omega"}


def text(s):
    """``s`` as LaTeX text: special characters escaped, Unicode math as ``\\ensuremath{...}``, anything
    else outside ASCII as '?' (pdflatex has no glyph for it)."""
    out = []
    for ch in str(s):
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch in _MATH:
            out.append(r"\ensuremath{" + _MATH[ch] + "}")
        elif ch in _TEXT:
            out.append(_TEXT[ch])
        elif ord(ch) < 128:
            out.append(ch)
        elif ch == "\u0302" or ch == "\u0304":  # a combining hat or bar the table above did not take
            continue
        else:
            out.append("?")
    return "".join(out)


def symbol(name):
    """An input's name in math mode: w, \\theta, \\mathtt{w\\_hat}, \\mathtt{0.weight}."""
    if len(name) == 1 and name.isascii() and name.isalpha():
        return name
    if name in _GREEK:
        return "\\" + name
    return r"\mathtt{" + text(name) + "}"


def number(x):
    """A float in math mode: 0.412, -1.07, 3.1\\times 10^{-5}."""
    x = float(x)
    if np.isnan(x):
        return r"\mathrm{NaN}"
    if np.isinf(x):
        return ("-" if x < 0 else "") + r"\infty"
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.4g}"
    mantissa, exponent = f"{x:.2e}".split("e")
    power = "10^{" + str(int(exponent)) + "}"
    return power if float(mantissa) == 1 else f"{float(mantissa):g}" + r"\times " + power


def array(a, max_entries):
    """A value in math mode: a number, a column vector or a matrix (bmatrix); None when it is too large."""
    a = np.asarray(a, dtype=np.float64)
    if a.size > max_entries or a.ndim > 2:
        return None
    if a.ndim == 0 or a.size == 1 and a.ndim == 1:
        return number(a.reshape(-1)[0])
    rows = a.reshape(-1, 1) if a.ndim == 1 else a
    body = r" \\ ".join(" & ".join(number(x) for x in row) for row in rows)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


def _lines(row, formula, eps, max_entries):
    """The lines of the align* environment for one input."""
    head = r"\frac{\partial \ell}{\partial " + symbol(row.name) + "}"
    lines = []
    if formula:
        lines.append((head, "= " + formula, "your formula"))
    elif row.formula_name:
        lines.append((head, r"= \mathtt{" + text(row.formula_name) + "}(\\ldots)", "your formula"))
    # each line's relation is to the line above: formula vs autograd, then autograd vs finite differences
    agree = row.formula is None or row.verdict == "ok"
    values = [(row.formula, "=", "its value" if lines else "your formula"),
              (row.autograd, r"\approx" if agree else r"\neq", "autograd (backward)"),
              (row.numeric, r"\approx" if row.autograd_ok else r"\neq", "central differences")]
    shown = [(array(v, max_entries), rel, words) for v, rel, words in values if v is not None]
    if all(s is not None for s, _, _ in shown):
        for s, rel, words in shown:
            lines.append((head if not lines else "", rel + " " + s, words))
    else:
        shape = r"\times ".join(str(d) for d in row.shape) or "1"
        lines.append((head if not lines else "", r"\in \mathbb{R}^{" + shape + "}",
                      "a large array: its largest differences"))
        if row.formula is not None and row.formula.shape == row.autograd.shape:
            lines.append((r"\max|\text{formula} - \text{autograd}|", "= " + number(row.max_abs_error), ""))
        if row.numeric is not None:
            lines.append((r"\max|\text{autograd} - \text{finite differences}|", "= " + number(row.numeric_error), ""))
    out = []
    for left, right, words in lines:
        note = r" && \text{" + text(words) + "}" if words else ""
        if words == "central differences" and eps:
            note = r" && \text{central differences, } \varepsilon = " + number(eps)
        out.append(f"{left} &{right}{note}")
    return out


def _block(row, formula, eps, max_entries):
    lines = _lines(row, formula, eps, max_entries)
    verdict = r"\noindent\textbf{" + text(f"{row.name}: {row.verdict}") + "}"
    if row.message:
        verdict += ": " + text(row.message)
    return "\n".join([r"\begin{align*}", (" \\\\\n").join(lines), r"\end{align*}", verdict, ""])


def gradient_check_latex(result, formulas=None, *, standalone=False, max_entries=12):
    """``GradientCheck.to_latex``: see there."""
    formulas = dict(formulas or {})
    unknown = [k for k in formulas if k not in {r.name for r in result.rows}]
    if unknown:
        raise ValueError(f"to_latex: there is no input named {unknown[0]!r}; the inputs are "
                         f"{', '.join(repr(r.name) for r in result.rows)}")
    parts = [r"\noindent " + text(result.title) + r"\par", ""]
    for row in result.rows:
        parts.append(_block(row, formulas.get(row.name), result.eps, max_entries))
    parts.append(r"\noindent\textbf{" + text(result._summary()) + "}")
    if result.localization is not None:
        parts.append("")
        lines = [text(line.strip()) for line in str(result.localization).splitlines()]
        parts.append(r"\begin{flushleft}\small" + "\n" + " \\\\\n".join(lines) + "\n" + r"\end{flushleft}")
    body = "\n".join(parts) + "\n"
    if not standalone:
        return "% needs \\usepackage{amsmath} (and amssymb for \\mathbb)\n" + body
    return ("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n" + body +
            "\\end{document}\n")

