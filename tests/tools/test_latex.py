"""GradientCheck.to_latex: the derivation report as LaTeX for a written report — an align* environment per input
with the formula, its value, autograd's and the finite differences, then the verdict; valid LaTeX (balanced
environments and braces, ASCII only), and, when pdflatex is installed, a document that compiles."""
import re
import shutil
import subprocess

import numpy as np
import pytest
from conftest import REQUIRE_OPTIONAL

import tinygrad_lr
from tinygrad_lr import nn
from tinygrad_lr.autograd import Function
from tinygrad_lr.check import check_gradients, check_module
from tinygrad_lr.check.latex import number, text

rng = np.random.default_rng(5)
n = 6
X, Y = rng.standard_normal((n, 2)), rng.standard_normal((n, 1))


def loss(w, b, W_big):
    return ((tinygrad_lr.tensor(X) @ w + b - tinygrad_lr.tensor(Y)) ** 2).sum() / (2 * n) + (W_big ** 2).sum() / 2


def dW_big(w, b, W_big):
    return W_big


POINT = {"w": rng.standard_normal((2, 1)), "b": rng.standard_normal(1), "W_big": rng.standard_normal((5, 4))}
FORMULAS = {"w": lambda w, b, W: X.T @ (X @ w + b - Y) / n, "b": lambda w, b, W: 2 * (X @ w + b - Y).sum(0) / n,
            "W_big": dW_big}


def balanced(latex):
    """Environments nest and close, braces (not \\{ \\}) balance, $ pairs up, and nothing is outside ASCII."""
    stack = []
    for kind, name in re.findall(r"\\(begin|end)\{([^}]*)\}", latex):
        if kind == "begin":
            stack.append(name)
        else:
            assert stack and stack.pop() == name, f"\\end{{{name}}} closes nothing"
    assert not stack, f"unclosed: {stack}"
    depth = 0
    for ch in re.sub(r"\\[{}$%]|%.*", "", latex):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    assert re.sub(r"\\\$|%.*", "", latex).count("$") % 2 == 0
    assert latex.isascii()
    return True


def test_an_align_environment_per_input_with_formula_values_autograd_and_finite_differences():
    result = check_gradients(loss, POINT, FORMULAS, verbose=False)
    latex = result.to_latex({"w": r"X^\top(Xw + b - y)/n"})
    assert balanced(latex) and latex.count(r"\begin{align*}") == 3
    assert r"\frac{\partial \ell}{\partial w} &= X^\top(Xw + b - y)/n && \text{your formula}" in latex
    w = result["w"].formula
    column = rf"\begin{{bmatrix}} {number(w[0, 0])} \\ {number(w[1, 0])} \end{{bmatrix}}"
    assert rf"&= {column} && \text{{its value}}" in latex
    assert r"&\approx \begin{bmatrix}" in latex and r"\text{autograd (backward)}" in latex
    assert r"\text{central differences, } \varepsilon = 10^{-6}" in latex
    assert r"\frac{\partial \ell}{\partial \mathtt{W\_big}} &= \mathtt{dW\_big}(\ldots)" in latex  # a named function
    assert r"\in \mathbb{R}^{5\times 4}" in latex and r"\max|\text{formula} - \text{autograd}|" in latex  # large
    b_lines = latex.split(r"\frac{\partial \ell}{\partial b}")[1].splitlines()
    assert b_lines[1].startswith(r" &\neq ") and b_lines[2].startswith(r" &\approx ")  # formula ≠ autograd ≈ FD
    assert r"\noindent\textbf{b: WRONG (2" in latex and "did you drop the" in latex  # the verdict, in words
    assert latex.rstrip().endswith(r"\textbf{1 of 3 gradient(s) WRONG: b}")


def test_a_wrong_backward_is_named_in_the_latex_too():
    class Half(Function):
        """y = x²/2  ∂L/∂x = x·g, but backward says 2x·g"""
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x / 2

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g
    result = check_gradients(lambda x: Half.apply(x.tanh()).sum(), {"x_0": rng.standard_normal(3)}, {},
                             verbose=False)
    latex = result.to_latex()
    assert balanced(latex) and r"\begin{flushleft}" in latex and "HalfBackward (your Function Half)" in latex
    assert r"\ensuremath{\times}2: twice the right value" in latex
    assert "agree" not in latex.split(r"\begin{flushleft}")[0].rstrip().splitlines()[-1]


def test_module_parameter_names_and_standalone_documents():
    model = nn.Linear(2, 1).double()
    result = check_module(model, None, X, Y, verbose=False)
    latex = result.to_latex(standalone=True)
    assert balanced(latex) and latex.startswith("\\documentclass{article}\n\\usepackage{amsmath,amssymb}")
    assert r"\partial \mathtt{weight}" in latex and latex.rstrip().endswith(r"\end{document}")
    with pytest.raises(ValueError, match=r"to_latex: there is no input named 'w'; the inputs are 'weight', 'bias'"):
        result.to_latex({"w": "x"})


def test_text_escapes_specials_and_spells_unicode_math():
    assert text("50% of x_1 & {y}") == r"50\% of x\_1 \& \{y\}"
    assert text("ℓ = ½·Σ(ŷ − y)²") == (r"\ensuremath{\ell} = \ensuremath{\tfrac{1}{2}}\ensuremath{\cdot}"
                                       r"\ensuremath{\Sigma}(\ensuremath{\hat{y}} \ensuremath{-} y)\ensuremath{^{2}}")
    assert text("日本") == "??"
    assert number(0.5) == "0.5" and number(-2.5e-7) == r"-2.5\times 10^{-7}" and number(float("nan")) == r"\mathrm{NaN}"


def test_the_standalone_document_compiles(tmp_path):
    if shutil.which("pdflatex") is None:
        if REQUIRE_OPTIONAL:
            pytest.fail("pdflatex is required in CI (.ci/run installs texlive-latex-base)")
        pytest.skip("pdflatex is not installed (compiling is optional)")
    result = check_gradients(loss, POINT, FORMULAS, verbose=False)
    (tmp_path / "report.tex").write_text(result.to_latex({"w": r"X^\top(Xw + b - y)/n"}, standalone=True))
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "report.pdf").stat().st_size > 0
