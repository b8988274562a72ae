"""What Jupyter shows: the HTML table of the gradient check and the backward trace, and whether
code runs inside a notebook's kernel (the progress bar draws there differently).

Jupyter shows an object's ``_repr_html_()`` in place of its ``repr``; these helpers write that
HTML, with every piece of text escaped.  Cells are left-aligned (notebooks right-align table
cells by default, which breaks formulas and messages).
"""
import html
import os
import sys

_CELL = '<{tag} style="text-align:left">{text}</{tag}>'


def cell(text, tag="td"):
    """One table cell holding ``text`` (escaped; a list of lines is joined with line breaks)."""
    lines = text if isinstance(text, (list, tuple)) else [text]
    return _CELL.format(tag=tag, text="<br>".join(html.escape(str(line)) for line in lines))


def table(caption, head, rows, notes=()):
    """A table: a caption, a header row, the rows (lists of cells' texts), then notes as paragraphs."""
    lines = [f"<table><caption style=\"text-align:left\">{html.escape(caption)}</caption>",
             "<tr>" + "".join(cell(h, "th") for h in head) + "</tr>"]
    lines += ["<tr>" + "".join(cell(c) for c in row) + "</tr>" for row in rows]
    lines.append("</table>")
    lines += [f"<p>{html.escape(note)}</p>" for note in notes]
    return "\n".join(lines)


def in_kernel():
    """True inside a Jupyter (IPython) kernel: output goes to a notebook, which can show HTML."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def under_kernel():
    """True in a process started by a Jupyter kernel (``!tinygrad-lr ...`` in a cell).

    Its output is read through a pseudo-terminal (so it looks like a terminal) and saved into
    the notebook: every redraw of a progress bar would stay there as one more line.  A kernel's
    children inherit the variables the kernel's launcher and ipykernel set.
    """
    return "JPY_PARENT_PID" in os.environ or "matplotlib_inline" in os.environ.get("MPLBACKEND", "")
