"""Seeing autograd: the graph behind a tensor, and the backward pass step by step.

- ``to_dot(loss, params={'w': w, 'b': b})``: the graph as Graphviz DOT text;
- ``render(loss, 'graph.svg', params=...)``: draw it into a file;
- ``trace_backward()``: a ``with`` block that prints each step of ``backward()`` in
  the order the engine runs it (``trace.to_dot()``: the pass as a graph).

Drawing uses Graphviz (the optional ``graphviz`` Python package and its ``dot`` program)
when both are installed; without them, SVG is drawn by a small layout of our own
(``viz_svg.py``), so a notebook shows the picture and ``render`` writes ``.svg`` files on
any machine; ``.png`` and ``.pdf`` need Graphviz.

In a Jupyter notebook all three display themselves: the DOT text of ``to_dot`` (a
``str``) as the drawn graph, the file ``render`` wrote as its picture, and a trace as a
table of its steps with the picture of the pass.

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

from . import notebook, viz_svg
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


def _leaf_node(node_id, t, names):
    """The box of a leaf tensor: its name (blue) when named or a Parameter, else a grey "leaf"; its shape."""
    name = names.get(id(t))
    if name is not None:
        label, color, kind = name, "lightblue", "parameter"
    elif type(t).__name__ == "Parameter":
        label, color, kind = "parameter", "lightblue", "parameter"
    else:
        label, color, kind = "leaf", "lightgrey", "leaf"
    return viz_svg.Node(node_id, label + "\n" + _shape(t.shape), "box", color, kind)


def _dot_text(nodes, edges):
    """The DOT text of ``nodes`` and ``edges`` (``viz_svg.Node`` and ``viz_svg.Edge``): what Graphviz draws."""
    lines = ["digraph autograd {", '  node [fontname="Helvetica", fontsize=11];']
    for n in nodes:
        fill = f", style=filled, fillcolor={n.fill}" if n.fill else ""
        lines.append(f"  {n.id} [label={_quote(n.label)}, shape={n.shape}{fill}, tooltip={_quote(n.tooltip)}];")
    lines += [f"  {e.src} -> {e.dst}{' [style=dashed]' if e.dashed else ''};" for e in edges]
    return "\n".join(lines + ["}"]) + "\n"


def _graph(roots, names):
    """The nodes and edges of the graph behind ``roots`` ([(name, tensor)]), oldest op first."""
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

    drawn, edges, leaf_id = [], [], {}

    def leaf(t):
        if id(t) not in leaf_id:
            leaf_id[id(t)] = f"leaf{len(leaf_id)}"
            drawn.append(_leaf_node(leaf_id[id(t)], t, names))
        return leaf_id[id(t)]

    for node in nodes:
        shape = out_shape.get(node)
        label = node.name() + ("" if shape is None else "\n" + _shape(shape))
        drawn.append(viz_svg.Node(op_id[node], label, "ellipse", None, _formula(node)))
    for node in nodes:
        for target in internal.next_targets(node):
            if target is not None:
                src = op_id[target] if isinstance(target, Function) else leaf(target)
                edges.append(viz_svg.Edge(src, op_id[node]))
    for k, (name, t) in enumerate(roots):
        out = f"out{k}"
        drawn.append(viz_svg.Node(out, name + "\n" + _shape(t.shape), "box", "darkolivegreen1", "output"))
        if t.grad_fn is not None:
            edges.append(viz_svg.Edge(op_id[t.grad_fn], out))
        elif t.requires_grad:
            edges.append(viz_svg.Edge(leaf(t), out, dashed=True))
    return drawn, edges


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

    Returns a ``Dot``: the DOT text, a ``str``, that a notebook draws and ``.render(path)`` saves (see ``Dot``).

    Example::

        print(to_dot(loss, params={'w': w, 'b': b}))   # paste into https://dreampuf.github.io/GraphvizOnline
    """
    nodes, edges = _graph(_roots(tensors), _param_names(params))
    return Dot(_dot_text(nodes, edges), nodes, edges)


class GraphvizNotFound(ImportError, RuntimeError):
    """Drawing a PNG or PDF needs the optional ``graphviz`` package and Graphviz's ``dot`` program."""


_INSTALL = ("install both: `pip install graphviz` (the Python package) and Graphviz itself, which provides "
            "`dot` (`apt-get install graphviz`, `brew install graphviz`, or https://graphviz.org/download). "
            "Without them, to_dot(tensor) still gives the DOT text, and an .svg file is drawn without Graphviz")
_FORMATS = ("svg", "png", "pdf")
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'


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
    (``_repr_svg_``), drawn by Graphviz when the ``graphviz`` package and its ``dot`` program
    are installed, else by our own layout (``viz_svg``).  ``render(path)`` saves the picture.
    A ``Dot`` made from bare text (``Dot('digraph ...')``) knows no nodes: without Graphviz a
    notebook shows its text (``_repr_html_``).
    """

    def __new__(cls, text, nodes=None, edges=None):
        dot = super().__new__(cls, text)
        dot._nodes, dot._edges = nodes, edges
        return dot

    def _picture(self, format, op):
        """The bytes of the picture: Graphviz's when it is installed, else our SVG (or GraphvizNotFound)."""
        try:
            return _draw(str(self), format, op)
        except GraphvizNotFound:
            if format != "svg" or getattr(self, "_nodes", None) is None:
                raise
            return (_XML + viz_svg.draw(self._nodes, self._edges)).encode("utf-8")

    def svg(self):
        """The graph drawn as SVG text (an ``<svg>`` element), by Graphviz or, without it, by ``viz_svg``."""
        cached = self.__dict__.get("_svg")
        if cached is None:
            cached = self.__dict__["_svg"] = _svg_element(self._picture("svg", "to_dot"))
        return cached

    def render(self, path, format=None):
        """Draw the graph into ``path`` (SVG, PNG or PDF; by default from the extension, else SVG); returns a
        ``Drawing``, the path that a notebook shows as the picture.  PNG and PDF need Graphviz."""
        return _render(self, path, format, "render")

    def _repr_svg_(self):
        try:
            return self.svg()
        except GraphvizNotFound:
            return None  # a bare Dot without Graphviz: _repr_html_ shows the text

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


def _render(dot, path, format, op):
    path = str(path)
    if format is None:
        ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        format = ext if ext in _FORMATS else "svg"
    if format not in _FORMATS:
        raise ValueError(f"{op}: format must be one of {', '.join(map(repr, _FORMATS))}, got {format!r}")
    data = dot._picture(format, op)
    with open(path, "wb") as f:
        f.write(data)
    return Drawing(path, format, data)


def render(tensors, path, format=None, params=None):
    """Draw the graph of ``to_dot(tensors, params)`` into ``path`` (SVG, PNG or PDF); returns ``path``.

    The path returned is a ``Drawing``: a ``str`` that a notebook shows as the picture.

    Args:
        tensors, params: as for ``to_dot``.
        path: the file to write.
        format: 'svg', 'png' or 'pdf'; by default taken from the file's extension (else 'svg').

    Graphviz draws it when the optional ``graphviz`` Python package and its ``dot`` program are
    installed (``pip install graphviz``; ``apt-get install graphviz``).  Without them an SVG is drawn
    by our own layout (``viz_svg``), and a PNG or PDF raises ``GraphvizNotFound`` (an ImportError
    and a RuntimeError) saying what to install.
    """
    return _render(to_dot(tensors, params), path, format, "render")


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
    ``trace.to_dot()`` is the pass as a graph: each op with its step number and the
    gradient arriving, each leaf with the gradients it got, an edge where a gradient went.
    In a notebook, the trace (``trace`` of ``with ... as trace``) displays as a table of
    the steps, and that graph.

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
        self._drawn, self._sent = {}, []   # the picture: id(op or leaf) -> its record; (from, to) per gradient

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

    def _record(self, target):
        """The picture's record of an op or a leaf (made when first seen): its node, steps and extra lines."""
        if id(target) not in self._drawn:
            node_id = f"n{len(self._drawn)}"
            node = _leaf_node(node_id, target, self.names) if isinstance(target, Tensor) else \
                viz_svg.Node(node_id, self._label(target), "ellipse", None, _formula(target))
            self._drawn[id(target)] = {"object": target, "node": node, "steps": [], "lines": []}
        return self._drawn[id(target)]

    def to_dot(self):
        """The backward passes traced so far as a graph (a ``Dot``, drawn in a notebook).

        Edges go the way the gradients went: from an op to the op or leaf that made each input.
        An op is labelled with its step number(s) and the gradient g = ∂L/∂out that arrived, a
        leaf with each gradient it got (summed to its shape when it was broadcast).
        """
        nodes = []
        for record in self._drawn.values():
            node, steps = record["node"], "".join(f"[{k}] " for k in record["steps"])
            nodes.append(node._replace(label="\n".join([steps + node.label] + record["lines"])))
        edges = [viz_svg.Edge(src, dst) for src, dst in self._sent]
        return Dot(_dot_text(nodes, edges), nodes, edges)

    def _hook(self, node, g, input_grads, summed):
        index = len(self.steps) + 1
        formula = _formula(node) or f"(no formula: give {type(node).__name__} a docstring)"
        arg_names = _arg_names(node)
        sums = {i: (grad_shape, in_shape) for i, grad_shape, in_shape in summed}
        sends, said = [], []  # said: the text of each input's line, for the notebook's table
        arriving = f"shape {_shape(g.shape)}{_values(g, self.max_values, self.precision)}"
        self._say(f"[{index}] {self._label(node):<16} {formula}")
        self._say(f"      g: {arriving}")
        me = self._record(node)
        me["steps"].append(index)
        me["lines"].append(f"g: {arriving}")
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
            to = self._record(target)
            self._sent.append((me["node"].id, to["node"].id))
            if isinstance(target, Tensor):
                got = f"{_shape(sums[i][0])}, summed to {_shape(sums[i][1])}" if i in sums else _shape(gi.shape)
                to["lines"].append(f"gets {got}{_values(gi, self.max_values, self.precision)}")
            sends.append((arg, where, tuple(gi.shape), sums.get(i, (None,))[0]))
        self.steps.append({"index": index, "op": self._label(node), "formula": formula,
                           "grad_shape": tuple(g.shape), "sends": sends, "g": arriving, "to_inputs": said})

    def _repr_html_(self):
        """The steps as a table (one row per op, in the order backward ran them), then the pass as a graph."""
        table = notebook.table(
            "backward trace: one step per op, newest op first; g = ∂L/∂out is the gradient arriving",
            ("step", "op", "formula", "g arriving", "sent to the inputs"),
            [(s["index"], s["op"], s["formula"], s["g"], s["to_inputs"]) for s in self.steps])
        return table + (f"\n<div>{self.to_dot().svg()}</div>" if self.steps else "")
