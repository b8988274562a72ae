"""A graph drawn as SVG without Graphviz: a small layered layout of our own.

``viz.to_dot`` builds its nodes and edges once; Graphviz draws their DOT text when it is
installed, and this module draws the same nodes and edges when it is not (a notebook's
picture, ``render('graph.svg')``).  The layout is the classic layered one (Sugiyama's), in
four steps:

1. rows: a node's row is set by the longest path from it down to a node without outgoing
   edges, so every edge points down (the loss at the bottom, as Graphviz draws our DOT);
   a node without outgoing edges then moves up, right under its lowest input;
2. an edge that spans several rows passes through one dummy point in each row between, so
   that every edge joins two neighbouring rows;
3. the order within a row: a few sweeps down and up, each sorting a row by the barycenter
   (mean position) of its neighbours in the row before; the order with the fewest
   crossings is kept;
4. x: each row is pulled towards its neighbours' centres, as close as the order and the
   spacing allow (least squares under "keep the order": pool-adjacent-violators).

Boxes are sized from their text (a fixed width per character).  Edges are straight lines
through the rows and cubic curves between them, with an arrow head at the end.
"""
import html
import math
from typing import NamedTuple

__all__ = ["Node", "Edge", "Layout", "layout", "draw"]

FONT_SIZE, CHAR_WIDTH, LINE_HEIGHT = 11, 6.2, 14   # Helvetica 11px: about 6px per character
PAD_X, PAD_Y = 16, 10                              # around the text of a box
GAP_X, GAP_Y = 20, 44                              # between neighbours in a row, between rows
DUMMY_WIDTH, MARGIN, ARROW = 8, 12, 8
SWEEPS = 4
COLOURS = {"darkolivegreen1": "#caff70"}           # Graphviz's colour names that SVG lacks


class Node(NamedTuple):
    """A node: its ``id`` (as in the DOT text), ``label`` (lines joined by newlines), ``shape``
    ('box' or 'ellipse'), ``fill`` (a colour name, None for white) and ``tooltip``."""
    id: str
    label: str
    shape: str = "box"
    fill: str = None
    tooltip: str = ""


class Edge(NamedTuple):
    """An edge from the node ``src`` to the node ``dst`` (ids), drawn dashed when ``dashed``."""
    src: str
    dst: str
    dashed: bool = False


class Layout(NamedTuple):
    """Where everything goes: ``boxes`` id -> (x centre, y centre, width, height), ``rows`` id -> row
    (0 at the top), ``paths`` one list of points per edge (in the order of the edges), the size."""
    width: float
    height: float
    boxes: dict
    rows: dict
    paths: list


# ============================================================================
# the layout
# ============================================================================
def _size(node):
    """(width, height) of a node from its text: a box around it, or an ellipse through its corners."""
    lines = node.label.split("\n")
    text_w, text_h = max(len(line) for line in lines) * CHAR_WIDTH, len(lines) * LINE_HEIGHT
    if node.shape == "ellipse":
        return text_w * math.sqrt(2) + 4, text_h * math.sqrt(2) + 4   # (w/W)² + (h/H)² = 1: the text fits
    return text_w + PAD_X, text_h + PAD_Y


def _rows(ids, edges):
    """Row of each node: the longest path down to a node without outgoing edges, counted from the top."""
    succ, pred, indegree = {v: [] for v in ids}, {v: [] for v in ids}, dict.fromkeys(ids, 0)
    for e in edges:
        succ[e.src].append(e.dst)
        pred[e.dst].append(e.src)
        indegree[e.dst] += 1
    order = [v for v in ids if indegree[v] == 0]        # Kahn's algorithm: no recursion, deep graphs are fine
    for v in order:
        for w in succ[v]:
            indegree[w] -= 1
            if indegree[w] == 0:
                order.append(w)
    if len(order) != len(ids):
        raise ValueError("viz_svg.layout: the graph has a cycle; an autograd graph never has one")
    height = {}
    for v in reversed(order):
        height[v] = 1 + max((height[w] for w in succ[v]), default=-1)
    top = max(height.values(), default=0)
    row = {v: top - height[v] for v in ids}
    for v in order:                                     # outputs right under their lowest input
        if not succ[v] and pred[v]:
            row[v] = 1 + max(row[u] for u in pred[v])
    used = {r: k for k, r in enumerate(sorted(set(row.values())))}
    return {v: used[r] for v, r in row.items()}


def _chains(edges, row):
    """Each edge as the list of points it passes: its source, one dummy per row between, its target."""
    return [[e.src] + [("dummy", k, r) for r in range(row[e.src] + 1, row[e.dst])] + [e.dst]
            for k, e in enumerate(edges)]


def _crossings(rows, down):
    """How many pairs of edges cross between neighbouring rows (inversions, counted with a Fenwick tree)."""
    total = 0
    for upper, lower in zip(rows, rows[1:]):
        where = {v: i for i, v in enumerate(lower)}
        ends = [where[w] for u in upper for w in sorted(down[u], key=where.get)]
        tree = [0] * (len(lower) + 1)
        for seen, w in enumerate(ends):
            i, at_most_w = w + 1, 0
            while i > 0:
                at_most_w += tree[i]
                i -= i & -i
            total += seen - at_most_w                   # earlier edges that end right of this one
            i = w + 1
            while i <= len(lower):
                tree[i] += 1
                i += i & -i
    return total


def _sweep(rows, before):
    """Sort each row (after the first) by the mean position of its neighbours in the row before it."""
    pos = {v: (i + 0.5) / len(rows[0]) for i, v in enumerate(rows[0])}
    for row in rows[1:]:
        here = {v: (i + 0.5) / len(row) for i, v in enumerate(row)}
        row.sort(key=lambda v: sum(pos[n] for n in before[v]) / len(before[v]) if before[v] else here[v])
        pos = {v: (i + 0.5) / len(row) for i, v in enumerate(row)}


def _order(rows, up, down):
    """Barycenter sweeps down and up; the order with the fewest crossings."""
    best, fewest = [list(r) for r in rows], _crossings(rows, down)
    for _ in range(SWEEPS):
        if fewest == 0:
            break
        _sweep(rows, up)
        rows.reverse()
        _sweep(rows, down)
        rows.reverse()
        count = _crossings(rows, down)
        if count < fewest:
            best, fewest = [list(r) for r in rows], count
    return best


def _fit(desired, widths):
    """x nearest ``desired`` (least squares) with neighbours at least their half widths + GAP_X apart.

    With offsets s (where the row would be, packed tight), y = x − s must not decrease: the closest
    non-decreasing sequence to desired − s is found by pooling adjacent violators into their mean.
    """
    offsets = [0.0]
    for a, b in zip(widths, widths[1:]):
        offsets.append(offsets[-1] + (a + b) / 2 + GAP_X)
    blocks = []                                         # [mean, count] of runs of equal y
    for d, s in zip(desired, offsets):
        blocks.append([d - s, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:   # out of order: merge into one mean
            (m2, n2), (m1, n1) = blocks.pop(), blocks[-1]
            blocks[-1] = [(m1 * n1 + m2 * n2) / (n1 + n2), n1 + n2]
    y = [mean for mean, count in blocks for _ in range(count)]
    return [a + s for a, s in zip(y, offsets)]


def _mean(values, default):
    return sum(values) / len(values) if values else default


def _place(rows, width, up, down):
    """x of every node: rows pulled towards their neighbours above, then below, then both."""
    x = {}
    for row in rows:
        x.update(zip(row, _fit([0.0] * len(row), [width[v] for v in row])))

    def pull(order, neighbours):
        for row in order:
            desired = [_mean([x[n] for n in neighbours(v)], x[v]) for v in row]
            x.update(zip(row, _fit(desired, [width[v] for v in row])))
    for _ in range(3):
        pull(rows, up.get)
        pull(rows[::-1], down.get)
    pull(rows, lambda v: up[v] + down[v])
    return x


def _ports(ends, box, shape, below, x_of):
    """Where the edges ``ends`` (edge index, the point at their other end) meet a node's ``box``: spread
    along its bottom (``below``) or top, ordered by the other end's x so that they do not cross there."""
    cx, cy, w, h = box
    ends = sorted(ends, key=lambda e: x_of(e[1]))
    span = min(0.5 * w, 10.0 * (len(ends) - 1))
    found = {}
    for i, (k, _) in enumerate(ends):
        dx = -span / 2 + (span * i / (len(ends) - 1) if len(ends) > 1 else span / 2)
        dy = h / 2 if shape != "ellipse" else h / 2 * math.sqrt(max(0.0, 1 - (2 * dx / w) ** 2))
        found[k] = (cx + dx, cy + dy if below else cy - dy)
    return found


def layout(nodes, edges):
    """Rows, order, positions and edge paths of ``nodes`` (a list of ``Node``) and ``edges`` (``Edge``)."""
    ids = [n.id for n in nodes]
    by_id = {n.id: n for n in nodes}
    for e in edges:
        if e.src not in by_id or e.dst not in by_id:
            raise ValueError(f"viz_svg.layout: the edge {e.src} -> {e.dst} names a node that is not in the graph")
    row = _rows(ids, edges)
    chains = _chains(edges, row)
    up, down, width, height = {}, {}, {}, {}
    for n in nodes:
        width[n.id], height[n.id] = _size(n)
    for chain in chains:
        for a, b in zip(chain, chain[1:]):
            for v in (a, b):
                up.setdefault(v, [])
                down.setdefault(v, [])
                width.setdefault(v, DUMMY_WIDTH)
            down[a].append(b)
            up[b].append(a)
    for v in ids:
        up.setdefault(v, [])
        down.setdefault(v, [])
    level = {**row, **{v: v[2] for chain in chains for v in chain[1:-1]}}
    rows = [[] for _ in range(max(level.values(), default=-1) + 1)]
    first = {v: i for i, v in enumerate(ids)}
    for v in sorted(level, key=lambda v: first[v] if v in first else first[edges[v[1]].src] + 0.5):
        rows[level[v]].append(v)
    rows = _order(rows, up, down)
    x = _place(rows, width, up, down)

    # rows stacked from the top; everything shifted right of the margin
    left = min((x[v] - width[v] / 2 for v in x), default=0.0)
    x = {v: x[v] - left + MARGIN for v in x}
    tops, y = [], MARGIN
    for r in rows:
        tall = max((height.get(v, 0) for v in r), default=0)
        tops.append((y, tall))
        y += tall + GAP_Y
    boxes = {v: (x[v], tops[row[v]][0] + tops[row[v]][1] / 2, width[v], height[v]) for v in ids}
    paths = _paths(chains, boxes, by_id, x, tops, level)
    right = max((x[v] + width[v] / 2 for v in x), default=0.0)
    return Layout(right + MARGIN, y - GAP_Y + MARGIN if rows else 2 * MARGIN, boxes, row, paths)


def _paths(chains, boxes, by_id, x, tops, level):
    """The points of every edge: a port under its source, down each dummy's row, a port over its target."""
    outs, ins = {}, {}
    for k, chain in enumerate(chains):
        outs.setdefault(chain[0], []).append((k, chain[1]))
        ins.setdefault(chain[-1], []).append((k, chain[-2]))
    start, end = {}, {}
    for v, ends in outs.items():
        start.update(_ports(ends, boxes[v], by_id[v].shape, True, x.get))
    for v, ends in ins.items():
        end.update(_ports(ends, boxes[v], by_id[v].shape, False, x.get))
    paths = []
    for k, chain in enumerate(chains):
        points = [start[k]]
        for d in chain[1:-1]:
            top, tall = tops[level[d]]
            points += [(x[d], top), (x[d], top + tall)]
        paths.append(points + [end[k]])
    return paths


# ============================================================================
# the SVG
# ============================================================================
def _num(v):
    return f"{v:.1f}"


def _path_d(points):
    """Straight where the points are one above the other, else a cubic leaving and arriving vertically."""
    (x0, y0), parts = points[0], [f"M{_num(points[0][0])},{_num(points[0][1])}"]
    for x1, y1 in points[1:]:
        if abs(x1 - x0) < 0.5:
            parts.append(f"L{_num(x1)},{_num(y1)}")
        else:
            mid = (y0 + y1) / 2
            parts.append(f"C{_num(x0)},{_num(mid)} {_num(x1)},{_num(mid)} {_num(x1)},{_num(y1)}")
        x0, y0 = x1, y1
    return " ".join(parts)


def _edge_svg(k, edge, points):
    tip_x, tip_y = points[-1]
    line = points[:-1] + [(tip_x, tip_y - ARROW)]      # the line stops where the arrow head starts
    dash = ' stroke-dasharray="5,3"' if edge.dashed else ""
    head = f"{_num(tip_x - ARROW / 2)},{_num(tip_y - ARROW)} {_num(tip_x + ARROW / 2)},{_num(tip_y - ARROW)} " \
           f"{_num(tip_x)},{_num(tip_y)}"
    return (f'<g id="edge{k}" class="edge"><title>{html.escape(edge.src)}-&gt;{html.escape(edge.dst)}</title>'
            f'<path d="{_path_d(line)}" fill="none" stroke="black"{dash}/>'
            f'<polygon points="{head}" fill="black" stroke="black"/></g>')


def _node_svg(node, box):
    cx, cy, w, h = box
    fill = html.escape(COLOURS.get(node.fill, node.fill or "white"))
    if node.shape == "ellipse":
        shape = f'<ellipse cx="{_num(cx)}" cy="{_num(cy)}" rx="{_num(w / 2)}" ry="{_num(h / 2)}"'
    else:
        shape = f'<rect x="{_num(cx - w / 2)}" y="{_num(cy - h / 2)}" width="{_num(w)}" height="{_num(h)}"'
    lines = node.label.split("\n")
    first = cy - (len(lines) - 1) * LINE_HEIGHT / 2 + FONT_SIZE * 0.35   # baselines, centred as a block
    text = "".join(f'<text x="{_num(cx)}" y="{_num(first + i * LINE_HEIGHT)}" text-anchor="middle">'
                   f"{html.escape(line)}</text>" for i, line in enumerate(lines))
    return (f'<g id="{html.escape(node.id)}" class="node"><title>{html.escape(node.tooltip or lines[0])}</title>'
            f'{shape} fill="{fill}" stroke="black"/>{text}</g>')


def draw(nodes, edges):
    """The SVG text (an ``<svg>`` element) of the graph: edges first, so that the boxes cover their ends.

    Each node is a ``<g class="node">`` with the node's id, its tooltip as ``<title>``, a ``<rect>`` or an
    ``<ellipse>`` and one ``<text>`` per line; each edge a ``<g class="edge">`` titled ``src->dst``.
    """
    nodes, edges = list(nodes), list(edges)
    where = layout(nodes, edges)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(where.width)}" height="{_num(where.height)}" '
             f'viewBox="0 0 {_num(where.width)} {_num(where.height)}" font-family="Helvetica,Arial,sans-serif" '
             f'font-size="{FONT_SIZE}">',
             '<title>autograd graph</title>', '<rect width="100%" height="100%" fill="white"/>']
    parts += [_edge_svg(k, e, p) for k, (e, p) in enumerate(zip(edges, where.paths))]
    parts += [_node_svg(n, where.boxes[n.id]) for n in nodes]
    return "\n".join(parts + ["</svg>"]) + "\n"
