"""Seeing autograd: the graph behind a tensor, and the backward pass step by step.

- ``to_dot(loss, params={'w': w, 'b': b})``: the graph as Graphviz DOT text;
- ``render(loss, 'graph.svg', params=...)``: draw it (needs the optional ``graphviz``
  Python package and Graphviz's ``dot`` program);
- ``trace_backward()``: a ``with`` block that prints each step of ``backward()`` in
  the order the engine runs it.

In a Jupyter notebook all three display themselves: the DOT text of ``to_dot`` (a
``str``) as the drawn graph (an SVG when Graphviz is installed, else the text), the file
``render`` wrote as its picture, and a trace as a table of its steps.

What the graph is: every op that ran on tensors requiring grad left a node,
``tensor.grad_fn`` (a ``Function`` instance, e.g. ``MatmulBackward``).  A node
knows, for each of its inputs, where that input's gradient goes next
(``internal.next_targets(node)``; PyTorch's ``next_functions`` wraps them in pairs): the node that made the input, the leaf tensor itself,
or ``None`` for a constant (a tensor without ``requires_grad``, or a number),
which is why constants such as the data ``X`` and ``y`` are not drawn.  Nodes
do not keep their output tensors; the shape flowing along each edge is the one
the consuming node recorded for its input.
"""
import html
import inspect
import re
import shutil
import sys

import numpy as np

from . import notebook
from .core import internal
from .core.function import Function
from .core.tensor import Tensor

__all__ = ["to_dot", "render", "trace_backward", "GraphvizNotFound", "Dot", "Drawing"]


# ============================================================================
# the graph
# ============================================================================
def _roots(tensors):
    """[(name, tensor)] from a tensor, a sequence of tensors, or a dict name -> tensor."""
    if isinstance(tensors, Tensor):
        return [("output", tensors)]
    if isinstance(tensors, dict):
        items = list(tensors.items())
    elif isinstance(tensors, (list, tuple)):
        items = [(f"output {k}" if len(tensors) > 1 else "output", t) for k, t in enumerate(tensors)]
    else:
        raise TypeError(f"to_dot: expected a tensor, a list of tensors or a dict name -> tensor, "
                        f"got {type(tensors).__name__}")
    for name, t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"to_dot: {name!r} is a {type(t).__name__}, not a tensor")
    return items


def _param_names(params):
    """id(tensor) -> name, from a dict, (name, tensor) pairs, or a module with named_parameters()."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = params.named_parameters()
    items = params.items() if isinstance(params, dict) else params
    names = {}
    try:
        for name, t in items:
            if not isinstance(t, Tensor):
                raise TypeError(f"params: {name!r} is a {type(t).__name__}, not a tensor")
            names[id(t)] = str(name)
    except (TypeError, ValueError) as e:
        if "params:" in str(e):
            raise
        raise TypeError("params: expected a dict name -> tensor, (name, tensor) pairs, or a module with "
                        "named_parameters()") from None
    return names


def _walk(roots):
    """Every node reachable from the roots, oldest first (iterative: deep graphs are fine)."""
    seen, stack = set(), [t.grad_fn for _, t in roots if t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(n for n in internal.next_targets(node) if isinstance(n, Function) and n not in seen)
    return sorted(seen, key=internal.creation_order)


def _formula(node):
    """The first line of the op's docstring: its forward formula and vector–Jacobian product."""
    doc = (type(node).__doc__ or "").strip()
    return doc.splitlines()[0].strip() if doc else ""


def _shape(shape):
    return str(tuple(int(n) for n in shape))


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(tensors, params=None):
    """The autograd graph behind ``tensors`` as Graphviz DOT text.

    Args:
        tensors: a tensor (e.g. the loss), a list of tensors, or a dict name -> tensor
            (the names label the outputs).
        params: names for leaf tensors: a dict ``{'w': w, 'b': b}``, ``(name, tensor)``
            pairs, or a module (its ``named_parameters()``).

    Nodes: an op (``MatmulBackward``, the graph node ``tensor.grad_fn``) with the
    shape of its result; leaves (blue boxes with their name when named, grey
    "leaf" boxes otherwise); the outputs (green), each with its shape.  Edges
    go the way the data flows, from inputs to ops to outputs.  Constants (``requires_grad=False``) are not part of the graph.

    Returns a ``Dot``: the DOT text, a ``str``, that a notebook draws (see ``Dot``).

    Example::

        print(to_dot(loss, params={'w': w, 'b': b}))   # paste into https://dreampuf.github.io/GraphvizOnline
    """
    roots = _roots(tensors)
    names = _param_names(params)
    nodes = _walk(roots)
    op_id = {node: f"op{k}" for k, node in enumerate(nodes)}
    out_shape = {}  # node -> shape of its result, read from a consumer (or from the root tensor)
    for node in nodes:
        for target, shape in zip(internal.next_targets(node), internal.input_shapes(node)):
            if isinstance(target, Function) and shape is not None:
                out_shape.setdefault(target, shape)
    for _, t in roots:
        if t.grad_fn is not None:
            out_shape.setdefault(t.grad_fn, t.shape)

    lines = ["digraph autograd {", '  node [fontname="Helvetica", fontsize=11];']
    leaf_id, edges = {}, []

    def leaf(t):
        if id(t) not in leaf_id:
            leaf_id[id(t)] = f"leaf{len(leaf_id)}"
            name = names.get(id(t))
            if name is not None:
                label, color, kind = name, "lightblue", "parameter"
            elif type(t).__name__ == "Parameter":
                label, color, kind = "parameter", "lightblue", "parameter"
            else:
                label, color, kind = "leaf", "lightgrey", "leaf"
            lines.append(f"  {leaf_id[id(t)]} [label={_quote(label + chr(10) + _shape(t.shape))}, shape=box, "
                         f"style=filled, fillcolor={color}, tooltip={_quote(kind)}];")
        return leaf_id[id(t)]

    for node in nodes:
        shape = out_shape.get(node)
        label = node.name() + ("" if shape is None else "\n" + _shape(shape))
        lines.append(f"  {op_id[node]} [label={_quote(label)}, shape=ellipse, tooltip={_quote(_formula(node))}];")
    for node in nodes:
        for target in internal.next_targets(node):
            if target is None:
                continue
            src = op_id[target] if isinstance(target, Function) else leaf(target)
            edges.append(f"  {src} -> {op_id[node]};")
    for k, (name, t) in enumerate(roots):
        out = f"out{k}"
        lines.append(f"  {out} [label={_quote(name + chr(10) + _shape(t.shape))}, shape=box, style=filled, "
                     f"fillcolor=darkolivegreen1, tooltip={_quote('output')}];")
        if t.grad_fn is not None:
            edges.append(f"  {op_id[t.grad_fn]} -> {out};")
        elif t.requires_grad:
            edges.append(f"  {leaf(t)} -> {out} [style=dashed];")
    return Dot("\n".join(lines + edges + ["}"]) + "\n")


class GraphvizNotFound(ImportError, RuntimeError):
    """Drawing needs the optional ``graphviz`` package and Graphviz's ``dot`` program."""


_INSTALL = ("install both: `pip install graphviz` (the Python package) and Graphviz itself, which provides "
            "`dot` (`apt-get install graphviz`, `brew install graphviz`, or https://graphviz.org/download). "
            "Without them, to_dot(tensor) still gives the DOT text")
_FORMATS = ("svg", "png", "pdf")


def _draw(dot, format, op):
    """The bytes of ``dot`` drawn by Graphviz in ``format``; GraphvizNotFound (naming ``op``) without it."""
    try:
        import graphviz
    except ImportError:
        raise GraphvizNotFound(f"{op}: the `graphviz` Python package is not installed; {_INSTALL}") from None
    if shutil.which("dot") is None:
        raise GraphvizNotFound(f"{op}: Graphviz's `dot` program was not found on PATH; {_INSTALL}")
    try:
        return graphviz.Source(dot).pipe(format=format)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFound(f"{op}: Graphviz's `dot` program could not be run; {_INSTALL}") from None


def _svg_element(data):
    """dot's SVG output from its ``<svg`` on (without the XML prologue), as text for a notebook."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return text[text.find("<svg"):] if "<svg" in text else text


class Dot(str):
    """The DOT text of a graph (a ``str``: print it, write it to a file, pipe it to ``dot``).

    A notebook draws it: ``to_dot(...)`` as a cell's last line shows the graph as an SVG
    (``_repr_svg_``) when the ``graphviz`` package and Graphviz's ``dot`` are installed, and
    otherwise the DOT text itself (``_repr_html_``), with how to get the picture.
    """

    def svg(self):
        """The graph drawn as SVG text; raises GraphvizNotFound without Graphviz."""
        cached = self.__dict__.get("_svg")
        if cached is None:
            cached = self.__dict__["_svg"] = _svg_element(_draw(str(self), "svg", "to_dot"))
        return cached

    def _repr_svg_(self):
        try:
            return self.svg()
        except GraphvizNotFound:
            return None  # then _repr_html_ shows the text

    def _repr_html_(self):
        if self._repr_svg_() is not None:
            return None  # one picture is enough (a notebook prefers HTML to SVG when given both)
        return ('<div><small>Graphviz is not installed, so here is the graph as DOT text; '
                '<code>pip install graphviz</code> and <code>apt-get install graphviz</code> (or '
                '<code>brew install graphviz</code>) draw it, or paste it into '
                '<a href="https://dreampuf.github.io/GraphvizOnline">GraphvizOnline</a>.</small>'
                f'<pre>{html.escape(str(self))}</pre></div>')

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))  # IPython's plain-text view: the lines, not an escaped one-line string


class Drawing(str):
    """The path of the file ``render`` wrote (a ``str``), which a notebook shows as the picture itself."""

    def __new__(cls, path, format, data):
        drawing = super().__new__(cls, path)
        drawing.format, drawing.data = format, data
        return drawing

    def _repr_svg_(self):
        return _svg_element(self.data) if self.format == "svg" else None

    def _repr_png_(self):
        return self.data if self.format == "png" else None

    def _repr_pdf_(self):
        return self.data if self.format == "pdf" else None

    def _repr_pretty_(self, p, cycle):
        p.text(f"{self.format.upper()} of the graph written to {str(self)}")


def render(tensors, path, format=None, params=None):
    """Draw the graph of ``to_dot(tensors, params)`` into ``path`` (SVG, PNG or PDF); returns ``path``.

    The path returned is a ``Drawing``: a ``str`` that a notebook shows as the picture.

    Args:
        tensors, params: as for ``to_dot``.
        path: the file to write.
        format: 'svg', 'png' or 'pdf'; by default taken from the file's extension (else 'svg').

    Needs the optional ``graphviz`` Python package and Graphviz's ``dot`` program
    (``pip install graphviz``; ``apt-get install graphviz``); without them it raises
    ``GraphvizNotFound`` (an ImportError and a RuntimeError) saying so.
    """
    path = str(path)
    if format is None:
        ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        format = ext if ext in _FORMATS else "svg"
    if format not in _FORMATS:
        raise ValueError(f"render: format must be one of {', '.join(map(repr, _FORMATS))}, got {format!r}")
    data = _draw(str(to_dot(tensors, params)), format, "render")
    with open(path, "wb") as f:
        f.write(data)
    return Drawing(path, format, data)


# ============================================================================
# the backward trace
# ============================================================================
def _arg_names(node):
    """The names of forward's arguments (x, y, exponent; xs[0], xs[1] for *xs), one per input of the node."""
    n = len(internal.next_targets(node))
    try:
        params = list(inspect.signature(type(node).forward).parameters.values())[1:]  # after ctx
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    star = next((p.name for p in params if p.kind == p.VAR_POSITIONAL), None)
    if star is not None:
        names += [f"{star}[{i}]" for i in range(n - len(names))]
    return names[:n] + [f"input {i}" for i in range(len(names), n)]


def _values(x, limit, precision):
    """A short text for a gradient: its values when there are few of them."""
    data = np.asarray(internal.values(x) if isinstance(x, Tensor) else x)
    if data.size > limit:
        return ""
    if data.ndim == 0:
        return " = " + np.format_float_positional(data.item(), precision=precision, trim="-")
    text = np.array2string(data, precision=precision, separator=", ", suppress_small=True)
    return " = " + re.sub(r"\s*\n\s*", " ", text)


class trace_backward(internal.watch_backward):
    """Print every step of the backward passes run inside the block, in the order they run.

    For each op: its name and formula (the first line of its docstring, e.g.
    ``out = x · y   ∂L/∂x = g · y   ∂L/∂y = g · x``), the gradient g = ∂L/∂out
    arriving, and for each input the gradient sent to it and where it goes (the
    op that made the input, or a leaf), including where a broadcast gradient was
    summed back to the input's shape.  Values are shown for small tensors.
    In a notebook, the trace (``trace`` of ``with ... as trace``) displays as a table.

    Args:
        params: names for leaves, as in ``to_dot`` (``{'w': w, 'b': b}``).
        file: where to print (default: standard output); None of that is needed
            to read the steps afterwards: ``.steps`` and ``.text`` keep them.
        max_values: show the values of gradients with at most this many elements.
        precision: digits after the point for those values.
        verbose: False prints nothing (a notebook shows the table of ``trace`` instead).

    Example::

        with trace_backward(params={'w': w, 'b': b}):
            loss.backward()
    """

    def __init__(self, params=None, file=None, max_values=6, precision=4, verbose=True):
        super().__init__(self._hook)
        self.names = _param_names(params)
        self.file, self.max_values, self.precision, self.verbose = file, max_values, precision, verbose
        self.steps, self.lines = [], []
        self._labels, self._count = {}, {}

    def __enter__(self):
        super().__enter__()
        self._say("backward trace: one step per op, newest op first; g = ∂L/∂out is the gradient arriving")
        return self

    def __repr__(self):
        return f"<trace_backward: {len(self.steps)} steps; .text has them as printed, .steps as data>"

    @property
    def text(self):
        """Everything printed so far."""
        return "\n".join(self.lines) + "\n"

    def _say(self, line):
        self.lines.append(line)
        if self.verbose:
            print(line, file=self.file if self.file is not None else sys.stdout)

    def _label(self, target):
        """A node's name, numbered when several nodes share it (DivBackward, DivBackward#2)."""
        if isinstance(target, Tensor):
            name = self.names.get(id(target))
            return f"leaf {name}" if name is not None else f"leaf of shape {_shape(target.shape)}"
        if target not in self._labels:
            n = self._count[target.name()] = self._count.get(target.name(), 0) + 1
            self._labels[target] = target.name() if n == 1 else f"{target.name()}#{n}"
        return self._labels[target]

    def _hook(self, node, g, input_grads, summed):
        index = len(self.steps) + 1
        formula = _formula(node) or f"(no formula: give {type(node).__name__} a docstring)"
        arg_names = _arg_names(node)
        sums = {i: (grad_shape, in_shape) for i, grad_shape, in_shape in summed}
        sends, said = [], []  # said: the text of each input's line, for the notebook's table
        arriving = f"shape {_shape(g.shape)}{_values(g, self.max_values, self.precision)}"
        self._say(f"[{index}] {self._label(node):<16} {formula}")
        self._say(f"      g: {arriving}")
        for i, (target, gi) in enumerate(zip(internal.next_targets(node), input_grads)):
            arg = arg_names[i]
            if target is None or gi is None:
                said.append(f"{arg}: a constant, no gradient")
                self._say(f"      {said[-1]}")
                sends.append((arg, None, None, None))
                continue
            where = self._label(target)
            shape = f"shape {_shape(gi.shape)}" if i not in sums else \
                f"shape {_shape(sums[i][0])}, summed over the broadcast dims to {_shape(sums[i][1])}"
            said.append(f"∂L/∂{arg} → {where}: {shape}{_values(gi, self.max_values, self.precision)}")
            self._say(f"      {said[-1]}")
            sends.append((arg, where, tuple(gi.shape), sums.get(i, (None,))[0]))
        self.steps.append({"index": index, "op": self._label(node), "formula": formula,
                           "grad_shape": tuple(g.shape), "sends": sends, "g": arriving, "to_inputs": said})

    def _repr_html_(self):
        """The steps as a table: one row per op, in the order backward ran them."""
        return notebook.table(
            "backward trace: one step per op, newest op first; g = ∂L/∂out is the gradient arriving",
            ("step", "op", "formula", "g arriving", "sent to the inputs"),
            [(s["index"], s["op"], s["formula"], s["g"], s["to_inputs"]) for s in self.steps])
