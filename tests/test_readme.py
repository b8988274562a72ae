"""Every Python snippet of README.md runs as written, and prints what the README shows after it.

A snippet is a ```python block. It runs on its own, in a fresh interpreter and an empty folder, so it
may not lean on a name that another snippet defined. When the README shows its output (a plain ```
block right after it), the output must be exactly that. The one excerpt of the source, the ``Mul``
primitive of "How it works", must also be the code in core/primitives.py, line for line.
"""
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"```(\w*)\n(.*?)```\n", re.S)


def snippets():
    """(line number, code, the output shown right after it or None) for each ```python block."""
    found = []
    blocks = list(FENCE.finditer(README))
    for k, block in enumerate(blocks):
        if block.group(1) != "python":
            continue
        after = blocks[k + 1] if k + 1 < len(blocks) else None
        shown = after.group(2) if after and after.start() == block.end() and after.group(1) == "" else None
        found.append((README[:block.start()].count("\n") + 1, block.group(2), shown))
    return found


SNIPPETS = snippets()


def test_the_readme_has_its_snippets():
    assert len(SNIPPETS) >= 7
    assert sum(shown is not None for _, _, shown in SNIPPETS) >= 4


@pytest.mark.parametrize("line, code, shown", SNIPPETS, ids=[f"line {s[0]}" for s in SNIPPETS])
def test_a_snippet_runs_as_written_and_prints_what_the_readme_shows(line, code, shown, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f"README.md line {line} fails:\n{done.stderr}"
    if shown is not None:
        assert done.stdout.rstrip() == shown.rstrip(), f"README.md line {line} prints something else"


def test_the_excerpt_of_mul_is_the_source():
    excerpt = next(code for _, code, _ in SNIPPETS if "class Mul(Function):" in code)
    body = excerpt[excerpt.index("class Mul(Function):"):]
    assert body in (ROOT / "tinygrad_lr" / "core" / "primitives.py").read_text(encoding="utf-8")


def test_import_tinygrad_lr_gives_the_tools_the_readme_uses():
    code = "import tinygrad_lr; print(tinygrad_lr.viz.trace_backward.__name__, tinygrad_lr.check.check_gradients.__name__)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["trace_backward", "check_gradients"], done.stderr
