"""Notebooks: examples/tour.ipynb run in a real Jupyter kernel, and what a notebook is shown.

The tour is executed through nbclient with an IPython kernel running this Python, and its
outputs are checked: the numbers of the README, an SVG for the graph, HTML tables for the
backward trace and the gradient check, a PNG for the plot.  Graphviz is hidden from the
kernel (no `dot` on its PATH, and `import graphviz` fails there), as on a fresh machine: the
SVG is tinygrad_lr's own drawing (tinygrad_lr/viz_svg.py).
A few more cells, appended in memory only, check what the tour cannot show: the progress bar
is one updating output, ``cli.main(..., exit=False)`` returns a status, and a program run
with ``!`` from a cell draws a few lines rather than one per redraw.

Without nbclient, nbformat, ipykernel or matplotlib these tests skip locally and fail in CI
(conftest.optional).
"""
import io
import json
import os
import pathlib
import re
import shutil
import sys
import xml.etree.ElementTree

import numpy as np
import pytest

import tinygrad_lr
from conftest import optional
from tinygrad_lr import cli, notebook
from tinygrad_lr.check import check_gradients
from tinygrad_lr.cli import progress
from tinygrad_lr.cli.progress import Progress

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOUR = ROOT / "examples" / "tour.ipynb"
KERNEL = "tinygrad-lr-tests"

# Appended to the tour in memory (never saved): what only a running kernel can show.
EXTRA_CELLS = {
    "progress": """from tinygrad_lr.cli.progress import Progress
with Progress(total=1000, label="demo", delay=0, interval=0) as bar:
    for done in range(0, 1001, 10):
        bar.update(done, f"step {done}")""",
    "main-error": """from tinygrad_lr import cli
status = cli.main(["fit", "no-such-file.csv", "--target", "y"], exit=False)
print("status", status, "and", cli.main(["fit", "x.csv", "--no-such-option"], exit=False))""",
    "bang-progress": """import sys
!{sys.executable} -c "from tinygrad_lr.cli.progress import Progress; bar = Progress(100, label='child', delay=0, interval=0); [bar.update(i) for i in range(101)]; bar.close()"
print("exit code", _exit_code)""",
    "bang-demo": """!{sys.executable} -m tinygrad_lr demo
print("exit code", _exit_code)""",
    "no-graphviz": """import shutil
try:
    import graphviz
except ImportError:
    graphviz = None
print("dot:", shutil.which("dot"), "graphviz:", graphviz)""",
}

# The kernel starts with `import graphviz` made to fail (sys.modules holds None for it) ...
NO_GRAPHVIZ = ("import sys; sys.modules['graphviz'] = None; "
               "from ipykernel import kernelapp; kernelapp.launch_new_instance()")


def path_without_dot(folder):
    """... and a PATH without Graphviz's `dot`: the folders holding it are left out, and the shell that `!`
    needs is reached through ``folder`` (a link to it) in case it lived in one of them."""
    folders = os.environ.get("PATH", "").split(os.pathsep)
    kept = [d for d in folders if d and not os.path.exists(os.path.join(d, "dot"))]
    shell = shutil.which("sh")
    folder.mkdir()
    if shell:
        os.symlink(shell, folder / "sh")
    return os.pathsep.join(kept + [str(folder)])


# ============================================================================
# the tour, executed
# ============================================================================
@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The tour with the extra cells, executed in a fresh kernel in a temporary folder."""
    nbformat = optional("nbformat")
    nbclient = optional("nbclient")
    optional("ipykernel")
    optional("matplotlib")
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    tmp = tmp_path_factory.mktemp("tour")
    # A kernel spec of our own: the kernel runs this Python and imports this checkout.
    spec = tmp / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-c", NO_GRAPHVIZ, "-f", "{connection_file}"],
        "display_name": KERNEL, "language": "python",
        "env": {"PYTHONPATH": str(ROOT), "MPLBACKEND": "module://matplotlib_inline.backend_inline",
                "PATH": path_without_dot(tmp / "bin"), "SHELL": str(tmp / "bin" / "sh")}}))
    nb = nbformat.read(TOUR, as_version=4)
    tour_cells = len(nb.cells)
    for source in EXTRA_CELLS.values():
        nb.cells.append(nbformat.v4.new_code_cell(source))
    km = KernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)]))
    client = nbclient.NotebookClient(nb, km=km, timeout=120, resources={"metadata": {"path": str(tmp)}})
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    extras = dict(zip(EXTRA_CELLS, code[len(code) - len(EXTRA_CELLS):]))
    return {"tour": [c for c in nb.cells[:tour_cells] if c.cell_type == "code"], "extra": extras, "folder": tmp}


def text(cell, name=None):
    """The text a cell printed (its stream outputs, or one stream), plus its plain-text results."""
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream" and name in (None, out.name):
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data") and name is None:
            parts.append(out.data.get("text/plain", ""))
    return "".join(parts)


def rich(cell, mime):
    """The outputs of a cell in one MIME type."""
    return [out.data[mime] for out in cell.outputs
            if out.output_type in ("execute_result", "display_data") and mime in out.data]


def tour_cell(executed, marker):
    return next(c for c in executed["tour"] if marker in c.source)


def test_the_tour_runs_without_errors(executed):
    assert len(executed["tour"]) >= 8
    for cell in executed["tour"] + list(executed["extra"].values()):
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source


def test_a_first_look_prints_the_hand_derived_gradients(executed):
    out = text(tour_cell(executed, "print(w.grad)"))
    numbers = [float(x) for x in re.findall(r"-?\d+\.\d*", out)]
    np.testing.assert_allclose(numbers, [-22 / 3, -28 / 3, -2.0], atol=1e-4)   # Xᵀ(Xw + b − y)/n, Σ(…)/n


def test_graphviz_is_hidden_from_the_kernel(executed):
    assert text(executed["extra"]["no-graphviz"], "stdout") == "dot: None graphviz: None\n"


def test_the_graph_is_drawn_without_graphviz(executed):
    cell = tour_cell(executed, "viz.to_dot(loss")
    svgs, pages = rich(cell, "image/svg+xml"), rich(cell, "text/html")
    assert len(svgs) == 1 and not pages                  # a picture, not the DOT text
    svg = svgs[0]
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and "graphviz" not in svg.lower()
    xml.etree.ElementTree.fromstring(svg)
    # w, b, 7 ops (the mean is a sum and a division) and the output; an edge into each but w and b
    assert svg.count('class="node"') == 10 and svg.count('class="edge"') == 9
    assert ">MatmulBackward<" in svg and ">w<" in svg and ">(2, 1)<" in svg and "<title>out = x @ y" in svg
    assert text(cell).startswith("digraph autograd {")   # the plain-text view: the DOT lines


def test_the_backward_trace_is_a_table(executed):
    cell = tour_cell(executed, "trace_backward(")
    html, = rich(cell, "text/html")
    assert html.startswith("<table>") and html.count("<tr>") == 1 + 7    # the mean's division is a step too
    assert "MatmulBackward" in html and "∂L/∂y → leaf w: shape (2, 1) = [[-7.3333], [-9.3333]]" in html
    picture = html[html.index("</table>"):]              # then the pass as a graph, drawn without Graphviz
    assert "<svg" in picture and ">[7] MatmulBackward<" in picture and picture.count('class="edge"') == 8
    assert not [o for o in cell.outputs if o.output_type == "stream"]   # verbose=False printed nothing


def test_training_reaches_the_noise_floor(executed):
    out = text(tour_cell(executed, "for epoch in range(3)"))
    losses = [float(x) for x in re.findall(r"epoch \d, loss ([\d.]+)", out)]
    assert len(losses) == 3 and losses[0] > losses[-1] and losses[-1] < 1e-4   # the floor σ²/2 = 5e-5


def test_tensors_are_plotted(executed):
    png, = rich(tour_cell(executed, "plt.scatter"), "image/png")
    assert len(png) > 1000


def test_the_snapshot_is_restored_and_the_checkpoint_written(executed):
    out = text(tour_cell(executed, "copy.deepcopy(net.state_dict())"))
    assert out.startswith("Parameter containing:")
    weights = [float(x) for x in re.findall(r"-?\d+\.\d+", out)]
    np.testing.assert_allclose(weights, [2.0, -3.4], atol=0.01)              # not the zeros it was set to
    state = tinygrad_lr.load(executed["folder"] / "checkpoint.npz")
    np.testing.assert_allclose(state["model"]["0.weight"].numpy(), [weights], atol=1e-4)


def test_the_gradient_check_is_a_table_naming_the_slips(executed):
    cell = tour_cell(executed, "check_gradients(loss_fn")
    html, = rich(cell, "text/html")
    assert "<table>" in html and "WRONG (2×)" in html and "WRONG (10×)" in html
    assert "did you drop the ½ of the loss?" in html and "2 of 2 gradient(s) WRONG: w, b" in html


def test_the_command_line_runs_in_process(executed):
    cell = tour_cell(executed, 'cli.main(["demo"]')
    assert "epoch 3, loss 0.000053" in text(cell, "stdout")
    assert rich(cell, "text/plain") == ["0"]     # the exit status


# ---- the extra cells -------------------------------------------------------------------------
def test_progress_in_a_kernel_is_one_output_updated_in_place(executed):
    cell = executed["extra"]["progress"]
    assert [o.output_type for o in cell.outputs] == ["display_data"]        # not 100 redraws
    shown = cell.outputs[0].data
    assert shown["text/plain"].startswith("demo [########################] 100%  step 1000")
    assert '<progress value="1.000" max="1"' in shown["text/html"]


def test_main_returns_the_status_in_a_kernel(executed):
    cell = executed["extra"]["main-error"]
    assert text(cell, "stdout") == "status 1 and 2\n"
    err = text(cell, "stderr")
    assert "tinygrad-lr: error: " in err and "no-such-file.csv" in err and "--no-such-option" in err


def test_a_program_run_from_a_cell_draws_a_few_lines(executed):
    out = text(executed["extra"]["bang-progress"])
    assert 1 <= out.count("child [") <= progress.QUARTERS    # a terminal would get 101 redraws
    assert "child [########################] 100%" in out and "exit code 0" in out


def test_the_demo_run_from_a_cell(executed):
    out = text(executed["extra"]["bang-demo"])
    assert "epoch 3, loss 0.000053" in out and "exit code 0" in out
    assert len(out.splitlines()) < 40


# ============================================================================
# the same, without a kernel
# ============================================================================
class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_outside_a_kernel_nothing_says_notebook(monkeypatch):
    monkeypatch.delenv("JPY_PARENT_PID", raising=False)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    assert not notebook.in_kernel() and not notebook.under_kernel()
    assert progress._mode(FakeTerminal()) == "terminal" and progress._mode(io.StringIO()) is None


@pytest.mark.parametrize("variable, value", [("JPY_PARENT_PID", "4242"),
                                             ("MPLBACKEND", "module://matplotlib_inline.backend_inline")])
def test_a_program_started_by_a_kernel_draws_at_most_four_lines(monkeypatch, variable, value):
    monkeypatch.delenv("JPY_PARENT_PID", raising=False)
    monkeypatch.setenv(variable, value)
    tty = FakeTerminal()
    with Progress(total=1000, label="sgd", file=tty, delay=0, interval=0) as bar:
        for done in range(1001):
            bar.update(done, f"epoch {done}")
    lines = tty.getvalue().splitlines()
    assert "\r" not in tty.getvalue() and len(lines) == 4
    assert [line.split("]")[1].split()[0] for line in lines] == ["25%", "50%", "75%", "100%"]


def test_a_pipe_or_a_log_gets_nothing_even_under_a_kernel(monkeypatch):
    monkeypatch.setenv("JPY_PARENT_PID", "4242")
    log = io.StringIO()
    with Progress(total=10, file=log, delay=0, interval=0) as bar:
        for done in range(11):
            bar.update(done)
    assert log.getvalue() == ""


def test_main_with_exit_false_returns_the_status(tmp_path, capsys):
    missing = str(tmp_path / "missing.csv")
    assert cli.main(["fit", missing, "--target", "y"], exit=False) == 1
    err = capsys.readouterr().err
    assert err.startswith("tinygrad-lr: error: ") and err.count("\n") == 1 and "missing.csv" in err
    assert cli.main(["fit", "x.csv", "--no-such-option"], exit=False) == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err
    assert cli.main(["--help"], exit=False) == 0
    assert "usage: tinygrad-lr" in capsys.readouterr().out


def test_main_still_exits_by_default(tmp_path, capsys):
    for argv, status in ((["fit", str(tmp_path / "missing.csv"), "--target", "y"], 1), (["--bad"], 2)):
        with pytest.raises(SystemExit) as info:
            cli.main(argv)
        assert info.value.code == status
    capsys.readouterr()


def test_main_with_exit_false_turns_ctrl_c_into_status_130(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt
    monkeypatch.setitem(cli.COMMANDS, "demo", interrupted)
    assert cli.main(["demo"], exit=False) == 130
    assert capsys.readouterr().err == "\ntinygrad-lr: interrupted\n"


def test_the_gradient_check_as_html():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])

    def loss(w):
        return ((tinygrad_lr.tensor(X) @ w) ** 2).sum() / 2
    result = check_gradients(loss, {"w": np.ones(2)}, {"w": lambda w: 2 * X.T @ (X @ w)}, verbose=False)
    html = result._repr_html_()
    assert html.startswith("<table><caption") and "check_gradients: loss(w)" in html
    header = re.findall(r"<th[^>]*>([^<]*)</th>", html)
    assert header == ["input", "shape", "max abs error", "max rel error", "verdict"]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
    assert cells[0] == "w" and cells[1] == "(2,)" and cells[4] == "WRONG (2×)"
    assert "<p>w: your formula is 2 × the gradient" in html and "<p>1 of 1 gradient(s) WRONG: w</p>" in html
    good = check_gradients(loss, {"w": np.ones(2)}, {"w": lambda w: X.T @ (X @ w)}, verbose=False)
    assert "<p>all gradients agree</p>" in good._repr_html_()


def test_html_escapes_what_it_shows():
    html = notebook.table("a <b> & c", ["x<y"], [["1 < 2", ["line 1", "<line 2>"]]], notes=["α & ω"])
    assert "a &lt;b&gt; &amp; c" in html and "x&lt;y" in html and "1 &lt; 2" in html
    assert "line 1<br>&lt;line 2&gt;" in html and "<p>α &amp; ω</p>" in html
