"""Every Python snippet of README.md and of docs/*.md runs as written, and prints what the page shows after it.

A snippet is a ```python block. It runs on its own, in a fresh interpreter and an empty folder, so it
may not lean on a name that another snippet defined. When the page shows its output (a plain ```
block right after it), the output must be exactly that. The one excerpt of the source, the ``Mul``
primitive of "How it works", must also be the code in core/primitives/binary.py, line for line.
"""
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGES = ["README.md"] + sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"```(\w*)\n(.*?)```\n", re.S)


def snippets(page):
    """(page, line number, code, the output shown right after it or None) for each ```python block."""
    text = (ROOT / page).read_text(encoding="utf-8")
    found = []
    blocks = list(FENCE.finditer(text))
    for k, block in enumerate(blocks):
        if block.group(1) != "python":
            continue
        after = blocks[k + 1] if k + 1 < len(blocks) else None
        shown = after.group(2) if after and after.start() == block.end() and after.group(1) == "" else None
        found.append((page, text[:block.start()].count("\n") + 1, block.group(2), shown))
    return found


SNIPPETS = [snippet for page in PAGES for snippet in snippets(page)]


def test_the_readme_and_the_docs_have_their_snippets():
    assert len(PAGES) > 1, "docs/*.md are missing"
    assert len(SNIPPETS) >= 7
    assert sum(shown is not None for *_, shown in SNIPPETS) >= 4
    assert len(snippets("README.md")) >= 4   # the first look, the PyTorch loop, check_gradients, the trace


@pytest.mark.parametrize("page, line, code, shown", SNIPPETS, ids=[f"{s[0]} line {s[1]}" for s in SNIPPETS])
def test_a_snippet_runs_as_written_and_prints_what_the_page_shows(page, line, code, shown, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f"{page} line {line} fails:\n{done.stderr}"
    if shown is not None:
        assert done.stdout.rstrip() == shown.rstrip(), f"{page} line {line} prints something else"


def test_the_excerpt_of_mul_is_the_source():
    excerpt = next(code for page, _, code, _ in SNIPPETS if page == "README.md" and "class Mul(Function):" in code)
    body = excerpt[excerpt.index("class Mul(Function):"):]
    assert body in (ROOT / "tinygrad_lr" / "core" / "primitives" / "binary.py").read_text(encoding="utf-8")


def test_import_tinygrad_lr_gives_the_tools_the_readme_uses():
    code = "import tinygrad_lr; print(tinygrad_lr.viz.trace_backward.__name__, tinygrad_lr.check.check_gradients.__name__)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["trace_backward", "check_gradients"], done.stderr


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_of_a_page_leads_to_a_file(page):
    text = FENCE.sub("", (ROOT / page).read_text(encoding="utf-8"))
    for target in LINK.findall(text):
        if "://" in target or target.startswith("#"):
            continue
        path = (ROOT / page).parent / target.split("#")[0]
        assert path.exists(), f"{page} links to {target}, which is not there"
