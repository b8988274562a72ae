"""tinygrad_lr.viz: the graph as DOT text, rendering, and the step-by-step backward trace."""
import io
import re
import shutil
import sys
import types

import numpy as np
import pytest

import tinygrad_lr
from conftest import REQUIRE_OPTIONAL, optional
from tinygrad_lr import viz
from tinygrad_lr.core import engine

N = 10


def linear_regression(mean_form=False):
    rng = np.random.default_rng(0)
    X = tinygrad_lr.tensor(rng.standard_normal((N, 2)))
    y = tinygrad_lr.tensor(rng.standard_normal((N, 1)))
    w = tinygrad_lr.tensor([[2.0], [-3.4]], dtype=tinygrad_lr.float64, requires_grad=True)
    b = tinygrad_lr.tensor([0.5], dtype=tinygrad_lr.float64, requires_grad=True)
    if mean_form:
        loss = ((X @ w + b - y) ** 2).mean() / 2
    else:
        loss = ((X @ w + b - y) ** 2).sum() / (2 * N)      # ℓ = 1/(2n)·‖Xw + b − y‖²
    return X, y, w, b, loss


def parse(dot):
    """(labels by node id, edges as (from label, to label)) of our DOT text."""
    labels = dict(re.findall(r'^  (\w+) \[label="((?:[^"\\]|\\.)*)"', dot, re.M))
    edges = [(labels[a], labels[b]) for a, b in re.findall(r"^  (\w+) -> (\w+)", dot, re.M)]
    return labels, edges


# ---- DOT ---------------------------------------------------------------------------------------
def test_dot_of_the_linear_regression_loss():
    X, y, w, b, loss = linear_regression()
    dot = viz.to_dot(loss, params={"w": w, "b": b})
    assert dot.startswith("digraph autograd {") and dot.rstrip().endswith("}")
    labels, edges = parse(dot)
    assert sorted(labels.values()) == sorted([
        r"w\n(2, 1)", r"b\n(1,)", r"MatmulBackward\n(10, 1)", r"AddBackward\n(10, 1)", r"SubBackward\n(10, 1)",
        r"PowBackward\n(10, 1)", r"SumBackward\n()", r"DivBackward\n()", r"output\n()"])
    assert edges == [  # the data flow, oldest op first
        (r"w\n(2, 1)", r"MatmulBackward\n(10, 1)"),
        (r"MatmulBackward\n(10, 1)", r"AddBackward\n(10, 1)"),
        (r"b\n(1,)", r"AddBackward\n(10, 1)"),
        (r"AddBackward\n(10, 1)", r"SubBackward\n(10, 1)"),
        (r"SubBackward\n(10, 1)", r"PowBackward\n(10, 1)"),
        (r"PowBackward\n(10, 1)", r"SumBackward\n()"),
        (r"SumBackward\n()", r"DivBackward\n()"),
        (r"DivBackward\n()", r"output\n()"),
    ]
    # parameters are marked (blue, "parameter"), the output green; ops carry their formula as a tooltip
    assert re.search(r'label="w\\n\(2, 1\)", shape=box, style=filled, fillcolor=lightblue, tooltip="parameter"', dot)
    assert "fillcolor=darkolivegreen1" in dot
    assert 'tooltip="out = x @ y' in dot


def test_unnamed_leaves_and_named_outputs():
    X, y, w, b, loss = linear_regression()
    labels, edges = parse(viz.to_dot({"loss": loss}))
    assert r"leaf\n(2, 1)" in labels.values() and r"leaf\n(1,)" in labels.values()
    assert (r"DivBackward\n()", r"loss\n()") in edges
    assert 'fillcolor=lightgrey, tooltip="leaf"' in viz.to_dot(loss)


def test_params_from_a_module_and_from_pairs():
    X, y, w, b, loss = linear_regression()

    class Model:
        def named_parameters(self):
            return iter([("weight", w), ("bias", b)])
    labels, _ = parse(viz.to_dot(loss, params=Model()))
    assert r"weight\n(2, 1)" in labels.values() and r"bias\n(1,)" in labels.values()
    labels, _ = parse(viz.to_dot(loss, params=[("W", w)]))
    assert r"W\n(2, 1)" in labels.values() and r"leaf\n(1,)" in labels.values()


def test_nn_parameters_are_marked():
    from tinygrad_lr import nn
    model = nn.Linear(2, 1)
    out = model(tinygrad_lr.ones(3, 2)).sum()
    dot = viz.to_dot(out)
    assert dot.count('tooltip="parameter"') == 2
    labels, _ = parse(viz.to_dot(out, params=model))
    assert r"weight\n(1, 2)" in labels.values() and r"bias\n(1,)" in labels.values()


def test_a_value_used_twice_is_one_node_with_two_edges():
    x = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    out = (x * x).sum()
    labels, edges = parse(viz.to_dot(out, params={"x": x}))
    assert list(labels.values()).count(r"x\n(2,)") == 1
    assert edges.count((r"x\n(2,)", r"MulBackward\n(2,)")) == 2


def test_several_outputs_and_tensors_without_a_graph():
    x = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    labels, edges = parse(viz.to_dot([x.exp(), x.sum()]))
    assert r"output 0\n(2,)" in labels.values() and r"output 1\n()" in labels.values()
    labels, edges = parse(viz.to_dot(tinygrad_lr.tensor(3.0)))
    assert list(labels.values()) == [r"output\n()"] and edges == []


def test_names_are_quoted():
    x = tinygrad_lr.tensor([1.0], requires_grad=True)
    dot = viz.to_dot(x * 2, params={'say "hi" \\': x})
    assert r'label="say \"hi\" \\\n(1,)"' in dot


def test_a_deep_graph_needs_no_recursion():
    x = tinygrad_lr.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3 * sys.getrecursionlimit()):
        y = y * 1.0001
    dot = viz.to_dot(y)
    assert dot.count("MulBackward") == 3 * sys.getrecursionlimit()


def test_to_dot_bad_input():
    with pytest.raises(TypeError, match=r"to_dot: expected a tensor, a list of tensors or a dict name -> tensor, "
                                        r"got int"):
        viz.to_dot(3)
    with pytest.raises(TypeError, match=r"params: 'w' is a list, not a tensor"):
        viz.to_dot(tinygrad_lr.tensor(1.0), params={"w": [1.0]})


# ---- rendering ------------------------------------------------------------------------------------
def need_dot():
    if shutil.which("dot") is None:
        if REQUIRE_OPTIONAL:
            pytest.fail("Graphviz's `dot` program is required in CI (TINYGRAD_LR_REQUIRE_OPTIONAL=1): "
                        "apt-get install graphviz")
        pytest.skip("Graphviz's `dot` program is not installed")


def test_render_svg_and_png(tmp_path):
    optional("graphviz")
    need_dot()
    X, y, w, b, loss = linear_regression()
    svg = viz.render(loss, tmp_path / "graph.svg", params={"w": w, "b": b})
    text = open(svg, encoding="utf-8").read()
    assert "<svg" in text and "MatmulBackward" in text and ">w<" in text
    png = viz.render(loss, tmp_path / "graph", format="png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_render_png_without_the_graphviz_package(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # `import graphviz` now raises ImportError
    X, y, w, b, loss = linear_regression()
    with pytest.raises(viz.GraphvizNotFound, match=r"render: the `graphviz` Python package is not installed; "
                                                   r"install both: `pip install graphviz`.*`apt-get install "
                                                   r"graphviz`.*to_dot\(tensor\) still gives the DOT text, and an "
                                                   r"\.svg file is drawn without Graphviz") as info:
        viz.render(loss, tmp_path / "g.png")
    assert isinstance(info.value, ImportError) and isinstance(info.value, RuntimeError)
    assert not (tmp_path / "g.png").exists()


def test_render_pdf_without_the_dot_program(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "graphviz", types.ModuleType("graphviz"))
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    with pytest.raises(viz.GraphvizNotFound, match=r"render: Graphviz's `dot` program was not found on PATH; "
                                                   r"install both.*apt-get install graphviz"):
        viz.render(tinygrad_lr.tensor(1.0), tmp_path / "g.pdf")


def test_render_bad_format(tmp_path):
    with pytest.raises(ValueError, match=r"render: format must be one of 'svg', 'png', 'pdf', got 'gif'"):
        viz.render(tinygrad_lr.tensor(1.0), tmp_path / "g.gif", format="gif")


# ---- the backward trace --------------------------------------------------------------------------------
def test_trace_of_the_linear_regression_backward(capsys):
    X, y, w, b, loss = linear_regression()
    hooks = list(engine._step_hooks)
    with viz.trace_backward(params={"w": w, "b": b}) as trace:
        loss.backward()
    assert engine._step_hooks == hooks  # the hook is gone after the block
    assert [s["op"] for s in trace.steps] == ["DivBackward", "SumBackward", "PowBackward", "SubBackward",
                                              "AddBackward", "MatmulBackward"]
    out = capsys.readouterr().out
    assert out == trace.text
    lines = out.splitlines()
    step_lines = [line for line in lines if line.startswith("[")]
    assert [line.split()[:2] for line in step_lines] == [
        ["[1]", "DivBackward"], ["[2]", "SumBackward"], ["[3]", "PowBackward"], ["[4]", "SubBackward"],
        ["[5]", "AddBackward"], ["[6]", "MatmulBackward"]]
    # each step shows its formula (from the op's docstring) ...
    assert "out = x @ y" in step_lines[5] and "∂L/∂y = xᵀ @ g" in step_lines[5]
    assert "out = xᵖ  (p a number)  ∂L/∂x = g · p · xᵖ⁻¹" in step_lines[2]
    # ... the gradient arriving, and where each gradient goes, with values when small
    assert lines[lines.index(step_lines[0]) + 1] == "      g: shape () = 1"
    assert "      ∂L/∂x → SumBackward: shape () = 0.05" in lines  # 1 / (2n)
    assert "      y: a constant, no gradient" in lines  # the number 2n
    text = "\n".join(lines)
    assert "∂L/∂y → leaf b: shape (10, 1), summed over the broadcast dims to (1,) = " \
           f"[{b.grad.item():.4f}]" in text
    assert trace.steps[4]["sends"][1] == ("y", "leaf b", (1,), (10, 1))
    w_line = next(line for line in lines if "→ leaf w" in line)
    assert w_line.startswith("      ∂L/∂y → leaf w: shape (2, 1) = [[")
    np.testing.assert_allclose([float(v) for v in re.findall(r"-?\d+\.\d+", w_line.split("=")[1])],
                               w.grad.numpy().reshape(-1), atol=1e-4)
    assert "      x: a constant, no gradient" in lines  # X in X @ w
    assert "      exponent: a constant, no gradient" in lines  # the 2 of ** 2


def test_trace_numbers_ops_that_share_a_name():
    X, y, w, b, loss = linear_regression(mean_form=True)
    sink = io.StringIO()
    with viz.trace_backward(file=sink) as trace:
        loss.backward()
    assert sink.getvalue() == trace.text
    assert [s["op"] for s in trace.steps] == ["DivBackward", "DivBackward#2", "SumBackward", "PowBackward",
                                              "SubBackward", "AddBackward", "MatmulBackward"]
    assert "∂L/∂x → DivBackward#2: shape () = 0.5" in trace.text
    assert "leaf of shape (2, 1)" in trace.text  # leaves without names


def test_trace_under_create_graph_and_for_a_custom_function(capsys):
    class Cube(tinygrad_lr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 3 * x * x
    x = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    with viz.trace_backward() as trace:
        g, = tinygrad_lr.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    assert [s["op"] for s in trace.steps] == ["SumBackward", "CubeBackward"]
    assert "(no formula: give Cube a docstring)" in trace.text
    assert "∂L/∂x → leaf of shape (2,): shape (2,) = [ 3., 12.]" in trace.text
    np.testing.assert_allclose(g.detach().numpy(), [3.0, 12.0])


def test_trace_names_the_inputs_of_a_variadic_op():
    x = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    y = tinygrad_lr.tensor([3.0], requires_grad=True)
    with viz.trace_backward(file=io.StringIO()) as trace:
        (tinygrad_lr.cat([x, y]) * 2).sum().backward()
    assert "∂L/∂xs[0] → leaf of shape (2,): shape (2,) = [2., 2.]" in trace.text
    assert "∂L/∂xs[1] → leaf of shape (1,): shape (1,) = [2.]" in trace.text


def test_trace_removes_its_hook_after_an_error():
    x = tinygrad_lr.tensor([1.0], requires_grad=True)
    hooks = list(engine._step_hooks)
    out = (x * x).sum()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        with viz.trace_backward(file=io.StringIO()) as trace:
            out.backward()
            out.backward()  # fails in the middle of the pass: MulBackward's saved values were freed
    assert [s["op"] for s in trace.steps] == ["SumBackward", "MulBackward", "SumBackward"]
    assert engine._step_hooks == hooks


# ---- what a notebook shows ----------------------------------------------------------------------
def test_to_dot_is_still_a_str_with_its_text_in_plain_view():
    X, y, w, b, loss = linear_regression()
    dot = viz.to_dot(loss, params={"w": w, "b": b})
    assert isinstance(dot, str) and isinstance(dot, viz.Dot) and str(dot) == dot
    assert type(str(dot)) is str and dot.startswith("digraph autograd {")

    class Printer:                  # IPython's pretty printer, reduced to what _repr_pretty_ uses
        def __init__(self):
            self.out = ""

        def text(self, s):
            self.out += s
    p = Printer()
    dot._repr_pretty_(p, False)
    assert p.out == str(dot)        # the lines themselves, not repr()'s escaped one-liner


def test_the_graph_displays_as_svg_with_graphviz():
    optional("graphviz")
    need_dot()
    X, y, w, b, loss = linear_regression()
    dot = viz.to_dot(loss, params={"w": w, "b": b})
    svg = dot._repr_svg_()
    assert svg.startswith("<svg") and "MatmulBackward" in svg and ">w<" in svg
    assert dot._repr_html_() is None        # one picture: the SVG
    assert dot.svg() is svg                 # drawn once


def test_without_graphviz_the_graph_displays_as_our_svg(monkeypatch):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    x = tinygrad_lr.tensor([1.0], requires_grad=True)
    dot = viz.to_dot(x * 2, params={"x<1>": x})
    svg = dot._repr_svg_()
    assert svg.startswith("<svg") and ">MulBackward<" in svg and ">x&lt;1&gt;<" in svg   # viz_svg's drawing
    assert "Generated by graphviz" not in svg and dot._repr_html_() is None and dot.svg() is svg


def test_a_bare_dot_without_graphviz_displays_as_its_text(monkeypatch):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    x = tinygrad_lr.tensor([1.0], requires_grad=True)
    dot = viz.Dot(str(viz.to_dot(x * 2, params={"x<1>": x})))     # DOT text alone: no nodes to lay out
    assert dot._repr_svg_() is None
    page = dot._repr_html_()
    assert "Graphviz is not installed" in page and "pip install graphviz" in page
    assert "<pre>digraph autograd {" in page and 'label=&quot;x&lt;1&gt;\\n(1,)&quot;' in page
    with pytest.raises(viz.GraphvizNotFound, match=r"to_dot: .*install both"):
        dot.svg()
    with pytest.raises(viz.GraphvizNotFound, match=r"render: .*install both"):
        dot.render("never-written.svg")


def test_render_returns_a_path_that_displays_the_picture(tmp_path):
    optional("graphviz")
    need_dot()
    X, y, w, b, loss = linear_regression()
    svg = viz.render(loss, tmp_path / "graph.svg", params={"w": w, "b": b})
    assert svg == str(tmp_path / "graph.svg") and isinstance(svg, viz.Drawing)
    assert svg._repr_svg_().startswith("<svg") and svg._repr_png_() is None
    png = viz.render(loss, tmp_path / "graph.png")
    assert png._repr_png_() == open(png, "rb").read() and png._repr_svg_() is None


def test_the_trace_displays_as_a_table_and_can_be_silent(capsys):
    X, y, w, b, loss = linear_regression()
    with viz.trace_backward(params={"w": w, "b": b}, verbose=False) as trace:
        loss.backward()
    assert capsys.readouterr().out == ""                    # verbose=False prints nothing ...
    assert trace.text.startswith("backward trace:")          # ... and still keeps the text
    page = trace._repr_html_()
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    assert len(rows) == 1 + len(trace.steps) == 7
    cells = re.findall(r"<td[^>]*>(.*?)</td>", rows[5])
    assert cells[:2] == ["5", "AddBackward"]
    assert cells[3] == "shape (10, 1)"
    assert cells[4].split("<br>") == [
        "∂L/∂x → MatmulBackward: shape (10, 1)",
        f"∂L/∂y → leaf b: shape (10, 1), summed over the broadcast dims to (1,) = [{b.grad.item():.4f}]"]
    picture = page[page.index("</table>"):]                  # ... followed by the pass as a graph
    assert picture.startswith("</table>\n<div><svg") and picture.endswith("</svg>\n</div>")
    assert "[6] MatmulBackward" in picture


def test_the_trace_as_a_graph():
    X, y, w, b, loss = linear_regression()
    with viz.trace_backward(params={"w": w, "b": b}, verbose=False) as trace:
        loss.backward()
    labels, edges = parse(trace.to_dot())
    steps = [r"[1] DivBackward\ng: shape () = 1", r"[2] SumBackward\ng: shape () = 0.05",
             r"[3] PowBackward\ng: shape (10, 1)", r"[4] SubBackward\ng: shape (10, 1)",
             r"[5] AddBackward\ng: shape (10, 1)", r"[6] MatmulBackward\ng: shape (10, 1)"]
    got_b = rf"b\n(1,)\ngets (10, 1), summed to (1,) = [{b.grad.item():.4f}]"
    got_w = next(label for label in labels.values() if label.startswith("w"))
    assert list(labels.values()) == steps + [got_b, got_w]      # in the order the pass met them
    assert got_w.startswith(r"w\n(2, 1)\ngets (2, 1) = [[")
    np.testing.assert_allclose([float(v) for v in re.findall(r"-?\d+\.\d+", got_w)], w.grad.numpy().reshape(-1),
                               atol=1e-4)
    assert edges == list(zip(steps, steps[1:])) + [(steps[4], got_b), (steps[5], got_w)]   # where each g went
    assert 'tooltip="out = x @ y' in trace.to_dot()
