"""tinygrad_lr.viz_svg: graphs drawn as SVG without Graphviz, by a layered layout of our own.

What is checked is the picture itself, parsed back from the SVG: well-formed XML, every node
(its label line by line) and every edge of the DOT text, no two boxes overlapping, every edge
going down from one row to a later one; then render('g.svg') without Graphviz, and the layout's
steps (dummy points on long edges, fewer crossings) on small graphs made for them.
"""
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr import nn, viz, viz_svg
from tinygrad_lr.viz_svg import Edge, Node

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def no_graphviz(monkeypatch):
    """As on a fresh machine: `import graphviz` fails and there is no `dot` on PATH."""
    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)


def linear_regression():
    rng = np.random.default_rng(0)
    X, y = tinygrad_lr.tensor(rng.standard_normal((10, 2))), tinygrad_lr.tensor(rng.standard_normal((10, 1)))
    w = tinygrad_lr.tensor([[2.0], [-3.4]], dtype=tinygrad_lr.float64, requires_grad=True)
    b = tinygrad_lr.tensor([0.5], dtype=tinygrad_lr.float64, requires_grad=True)
    return ((X @ w + b - y) ** 2).sum() / 20, {"w": w, "b": b}


def mlp_loss():
    """A few hundred nodes, several rows holding many: an MLP's loss with a weight penalty, and its prediction."""
    tinygrad_lr.manual_seed(0)
    X, y = tinygrad_lr.randn(8, 4), tinygrad_lr.randn(8, 1)
    net = nn.Sequential(*[m for _ in range(12) for m in (nn.Linear(4, 4), nn.Tanh())], nn.Linear(4, 1))
    loss = nn.MSELoss()(net(X), y) + 0.01 * sum((p ** 2).sum() for p in net.parameters())
    return {"loss": loss, "prediction": net(X)}, net


def dot_graph(dot):
    """(labels by id, edges as (from id, to id)) read from the DOT text, labels unescaped."""
    labels = {k: re.sub(r'\\(.)', lambda m: "\n" if m[1] == "n" else m[1], v)
              for k, v in re.findall(r'^  (\w+) \[label="((?:[^"\\]|\\.)*)"', dot, re.M)}
    return labels, re.findall(r"^  (\w+) -> (\w+)", dot, re.M)


def svg_graph(svg):
    """(boxes by id as (left, top, right, bottom), labels by id, edges (from, to) with their path and tip)."""
    root = ET.fromstring(svg)                                          # well-formed XML, or this raises
    boxes, labels, edges = {}, {}, []
    for g in root.iter(SVG + "g"):
        if g.get("class") == "node":
            shape = g.find(SVG + "rect")
            if shape is not None:
                x, y, w, h = (float(shape.get(k)) for k in ("x", "y", "width", "height"))
            else:
                shape = g.find(SVG + "ellipse")
                rx, ry = float(shape.get("rx")), float(shape.get("ry"))
                x, y, w, h = float(shape.get("cx")) - rx, float(shape.get("cy")) - ry, 2 * rx, 2 * ry
            boxes[g.get("id")] = (x, y, x + w, y + h)
            labels[g.get("id")] = "\n".join(t.text for t in g.findall(SVG + "text"))
        elif g.get("class") == "edge":
            src, dst = g.find(SVG + "title").text.split("->")
            tip = [float(v) for v in g.find(SVG + "polygon").get("points").split()[-1].split(",")]
            start = [float(v) for v in re.match(r"M([-\d.]+),([-\d.]+)", g.find(SVG + "path").get("d")).groups()]
            edges.append((src, dst, start, tip))
    return boxes, labels, edges


# ---- the picture of to_dot, drawn without Graphviz -------------------------------------------------
def test_every_node_and_edge_of_the_dot_text_is_drawn(no_graphviz):
    loss, params = linear_regression()
    dot = viz.to_dot(loss, params=params)
    svg = dot.svg()
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    boxes, labels, edges = svg_graph(svg)
    dot_labels, dot_edges = dot_graph(dot)
    assert labels == dot_labels and len(labels) == 9                   # w, b, 6 ops, the output
    assert labels["leaf0"] == "w\n(2, 1)" and labels["out0"] == "output\n()"
    assert Counter((s, d) for s, d, *_ in edges) == Counter(dot_edges) and len(edges) == 8
    root = ET.fromstring(svg)
    shapes = {g.get("id"): g[1].tag.removeprefix(SVG) for g in root.iter(SVG + "g") if g.get("class") == "node"}
    assert shapes["op0"] == "ellipse" and shapes["leaf0"] == "rect"      # ops ellipses, tensors boxes, as in DOT
    fills = {g.get("id"): g[1].get("fill") for g in root.iter(SVG + "g") if g.get("class") == "node"}
    assert fills["leaf0"] == "lightblue" and fills["out0"] == "#caff70" and fills["op0"] == "white"
    titles = {g.get("id"): g.find(SVG + "title").text for g in root.iter(SVG + "g") if g.get("class") == "node"}
    assert titles["op0"].startswith("out = x @ y") and titles["leaf0"] == "parameter"   # the tooltips


def test_boxes_never_overlap_and_edges_go_down(no_graphviz):
    outputs, net = mlp_loss()
    dot = viz.to_dot(outputs, params=net)
    boxes, labels, edges = svg_graph(dot.svg())
    dot_labels, dot_edges = dot_graph(dot)
    assert len(boxes) == len(dot_labels) > 150 and labels == dot_labels
    assert Counter((s, d) for s, d, *_ in edges) == Counter(dot_edges)
    rows = {}
    for key, (left, top, right, bottom) in boxes.items():
        rows.setdefault(round((top + bottom) / 2), []).append((left, right, key))   # (drawn to 0.1)
    assert max(len(row) for row in rows.values()) >= 4                   # rows of several boxes ...
    for row in rows.values():
        row.sort()
        for (_, right, a), (left, _, b) in zip(row, row[1:]):
            assert right < left, f"{a} and {b} overlap"                  # ... side by side, apart
    ordered = sorted(rows)
    for (top_row, bottom_row) in zip(ordered, ordered[1:]):              # rows do not overlap either
        assert max(boxes[k][3] for *_, k in rows[top_row]) < min(boxes[k][1] for *_, k in rows[bottom_row])
    for src, dst, start, tip in edges:
        assert boxes[src][3] <= boxes[dst][1], f"{src} -> {dst} does not go down"
        assert boxes[src][0] <= start[0] <= boxes[src][2] and start[1] == pytest.approx(boxes[src][3], abs=8)
        assert boxes[dst][0] <= tip[0] <= boxes[dst][2] and tip[1] == pytest.approx(boxes[dst][1], abs=8)


def test_render_svg_without_graphviz(no_graphviz, tmp_path):
    loss, params = linear_regression()
    drawing = viz.render(loss, tmp_path / "g.svg", params=params)
    text = (tmp_path / "g.svg").read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"') and ">MatmulBackward<" in text
    assert len(svg_graph(text)[0]) == 9
    assert isinstance(drawing, viz.Drawing) and drawing._repr_svg_().startswith("<svg")
    again = viz.to_dot(loss, params=params).render(tmp_path / "again.svg")    # the same through Dot.render
    assert (tmp_path / "again.svg").read_text(encoding="utf-8") == text and again.format == "svg"


def test_text_is_escaped_and_a_dashed_edge_stays_dashed(no_graphviz):
    x = tinygrad_lr.tensor([1.0], requires_grad=True)
    name = 'a<b> & "c"'
    dot = viz.to_dot({name: x, "twice": x * 2}, params={"x'": x})
    boxes, labels, edges = svg_graph(dot.svg())
    assert labels["out0"] == name + "\n(1,)" and labels["leaf0"] == "x'\n(1,)"
    dashed = [g for g in ET.fromstring(dot.svg()).iter(SVG + "path") if g.get("stroke-dasharray")]
    assert len(dashed) == 1 and ("leaf0", "out0") in [(s, d) for s, d, *_ in edges]   # the leaf is an output


def test_the_trace_is_drawn_with_its_values(no_graphviz):
    loss, params = linear_regression()
    with viz.trace_backward(params=params, verbose=False) as trace:
        loss.backward()
    dot = trace.to_dot()
    boxes, labels, edges = svg_graph(dot.svg())
    assert labels == dot_graph(dot)[0] and len(edges) == 7
    assert labels["n0"] == "[1] DivBackward\ng: shape () = 1" and "gets (10, 1), summed to (1,) = [" in str(labels)
    assert all(boxes[s][3] <= boxes[d][1] for s, d, *_ in edges)          # the gradients flow down


# ---- the layout's steps -----------------------------------------------------------------------------
def test_a_long_edge_passes_one_dummy_point_per_row_between():
    # a -> b -> c -> d and a -> d: the second edge spans three rows
    nodes = [Node(k, k) for k in "abcd"]
    edges = [Edge("a", "b"), Edge("b", "c"), Edge("c", "d"), Edge("a", "d")]
    where = viz_svg.layout(nodes, edges)
    assert [where.rows[k] for k in "abcd"] == [0, 1, 2, 3]
    long = where.paths[3]
    assert len(long) == 2 + 2 * 2                                        # start, two rows (in and out), the tip
    assert long[1][0] == long[2][0] and long[3][0] == long[4][0]        # straight down through each row
    for k in "bc":                                                       # ... beside the boxes of those rows
        x, y, w, h = where.boxes[k]
        assert abs(long[1 if k == "b" else 3][0] - x) > w / 2


def test_sources_sit_above_their_first_use_and_outputs_under_their_last_input():
    nodes = [Node(k, k) for k in ("x", "y", "f", "g", "out", "early")]
    edges = [Edge("x", "f"), Edge("f", "g"), Edge("y", "g"), Edge("g", "out"), Edge("x", "early")]
    rows = viz_svg.layout(nodes, edges).rows
    assert rows["x"] == 0 and rows["f"] == 1 and rows["g"] == 2 and rows["out"] == 3
    assert rows["y"] == 1                                                # right above g, not at the top
    assert rows["early"] == 1                                            # right under x, not at the bottom


def test_barycenter_sweeps_remove_a_crossing():
    # in the order given, a -> d and b -> c cross; the sweeps swap c and d
    nodes = [Node(k, k) for k in "abcd"]
    where = viz_svg.layout(nodes, [Edge("a", "d"), Edge("b", "c")])
    x = {k: where.boxes[k][0] for k in "abcd"}
    assert (x["a"] < x["b"]) == (x["d"] < x["c"])
    assert viz_svg._crossings([["a", "b"], ["c", "d"]], {"a": ["d"], "b": ["c"], "c": [], "d": []}) == 1


def test_a_row_keeps_its_order_and_spacing_as_close_to_the_wish_as_it_can():
    widths = [40.0, 20.0, 40.0]
    x = viz_svg._fit([0.0, 0.0, 100.0], widths)                         # the first two want the same place
    assert x[1] - x[0] == pytest.approx((40 + 20) / 2 + viz_svg.GAP_X) and x[2] == pytest.approx(100.0)
    assert x[0] + x[1] == pytest.approx(0.0)                            # split evenly around it (least squares)


def test_bad_graphs_are_refused():
    with pytest.raises(ValueError, match=r"viz_svg.layout: the graph has a cycle"):
        viz_svg.layout([Node("a", "a"), Node("b", "b")], [Edge("a", "b"), Edge("b", "a")])
    with pytest.raises(ValueError, match=r"viz_svg.layout: the edge a -> z names a node that is not in the graph"):
        viz_svg.layout([Node("a", "a")], [Edge("a", "z")])
    assert ET.fromstring(viz_svg.draw([], [])).tag == SVG + "svg"        # nothing to draw: an empty picture
