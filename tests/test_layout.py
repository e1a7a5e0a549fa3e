"""Layout checks on the SVG the Graphviz engine draws, for every example: the whole design,
each flow view and one what-if view (tests/test_views.py's unit down).

Read from the SVG itself (xml.etree; the geometry Graphviz emits), three rules of issue 14:

(a) every node's label text lies inside its shape: inside each closed outline the node
    draws (a double ellipse's inner one too) and across none of its open strokes (a
    cylinder's top rim, a 3-d box's edges), with the stroke's half width and
    :data:`CLEARANCE` to spare; likewise every cluster's label inside its box;
(b) no arrowhead overlaps any label's text (an edge's, a node's, a cluster's);
(c) no cluster is drawn without a node in it;
(d) no edge runs across a label: a node's, another edge's, a cluster's (not the label of
    a cluster around one node, which lies across the node's way in or its way out
    whichever side it is on: shop's zone b);
(e) an edge keeps :data:`OWN_CLEARANCE` from the words of its own label (Graphviz sets a
    label's left side on its edge and routes the edge a few points into it; dot.py's
    EDGE_LABEL_INDENT is what keeps them apart, and is not counted as words).

A text's box is estimated, not measured (no font is read at test time):
  - width: the sum of Arial's advance widths (:data:`ARIAL`, :data:`ARIAL_BOLD`: the
    widths of Liberation Sans, metric-compatible with Arial and what Chromium draws for
    "Arial" here; Graphviz's own estimate uses the same table) times the font size,
    times :data:`WIDTH_SLACK` (2%) plus :data:`OVERHANG` (0.08 em) for the ink past the
    advance widths; a character not in the table counts as a full em, wider than any
    glyph in it. Measured in Chromium on every text of four examples' diagrams (SVG
    getComputedTextLength and getBBox), the drawn width was 98.4% to 100.1% of the sum of
    advances, and its ink box at most 0.76 pt (0.076 em, 'write' at 10 pt) wider;
  - height: from :data:`ASCENT` (0.75 em, above Arial's capitals, ascenders and brackets)
    above the baseline to :data:`DESCENT` (0.22 em, below its descenders) below it;
  - x from the text's anchor (start, middle, end).
Curves (paths) are flattened into :data:`BEZIER_STEPS` points per cubic segment.

Each example is laid out once per view (the engine runs once per view for the module);
a failure names the example, the view and the element.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import pytest
from test_render_dot import EXAMPLES, load
from test_views import what_if_unit

from archlang.findings import analyze
from archlang.render.engine import render_svg

SVG = "{http://www.w3.org/2000/svg}"
CLEARANCE = 1.0          # points between a label's text and its outline's stroke
OWN_CLEARANCE = 2.0      # points between an edge and the words of its label
WIDTH_SLACK = 1.02
OVERHANG = 0.08
ASCENT, DESCENT = 0.75, 0.22
BEZIER_STEPS = 12

# Advance widths, 1/1000 em, of the characters 32..126 (Liberation Sans = Arial metrics).
_ASCII = range(32, 127)
_REGULAR = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584]
_BOLD = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584]
_OTHER = {"\xa0": 278, "·": 278, "×": 584, "≥": 549, "≤": 549, "–": 556, "—": 1000,
          "…": 1000, "→": 1000, "°": 400, "µ": 576, "’": 222}
_OTHER_BOLD = {**_OTHER, "’": 278}
ARIAL = {chr(c): w for c, w in zip(_ASCII, _REGULAR)} | _OTHER
ARIAL_BOLD = {chr(c): w for c, w in zip(_ASCII, _BOLD)} | _OTHER_BOLD
UNKNOWN = 1000


def text_width(text: str, size: float, bold: bool) -> float:
    table = ARIAL_BOLD if bold else ARIAL
    advances = sum(table.get(ch, UNKNOWN) for ch in text) * size / 1000
    return advances * WIDTH_SLACK + OVERHANG * size


# ---- geometry --------------------------------------------------------------------------------
Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def grown(self, by: float) -> Box:
        return Box(self.x0 - by, self.y0 - by, self.x1 + by, self.y1 + by)

    def corners(self) -> list[Point]:
        return [(self.x0, self.y0), (self.x1, self.y0), (self.x1, self.y1), (self.x0, self.y1)]

    def contains(self, p: Point) -> bool:
        return self.x0 <= p[0] <= self.x1 and self.y0 <= p[1] <= self.y1

    def __str__(self) -> str:
        return f"x {self.x0:.1f}..{self.x1:.1f} y {self.y0:.1f}..{self.y1:.1f}"


def bounds(points: list[Point]) -> Box:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return Box(min(xs), min(ys), max(xs), max(ys))


@dataclass(frozen=True)
class Stroke:
    """A drawn line: a polygon (closed) or a polyline (open), as points; ``width``: its
    stroke width; ``tag``: the SVG element it came from (for messages)."""

    points: list[Point]
    closed: bool
    width: float
    tag: str


@dataclass(frozen=True)
class Text:
    text: str
    box: Box


def _points(attr: str) -> list[Point]:
    out = []
    for pair in attr.split():
        x, y = pair.split(",")
        out.append((float(x), float(y)))
    return out


def _path_points(d: str) -> list[Point]:
    """Graphviz's paths: absolute M, C and L commands (numbers as x,y pairs)."""
    tokens = d.replace(",", " ").replace("M", " M ").replace("C", " C ").replace("L", " L ")
    words = tokens.split()
    pts: list[Point] = []
    cmd = ""
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("M", "C", "L"):
            cmd = w
            i += 1
            continue
        assert cmd, f"path data without a command: {d[:60]}"
        if cmd in ("M", "L"):
            pts.append((float(words[i]), float(words[i + 1])))
            i += 2
            if cmd == "M":
                cmd = "L"
        else:
            p0 = pts[-1]
            c1 = (float(words[i]), float(words[i + 1]))
            c2 = (float(words[i + 2]), float(words[i + 3]))
            p3 = (float(words[i + 4]), float(words[i + 5]))
            for k in range(1, BEZIER_STEPS + 1):
                t = k / BEZIER_STEPS
                u = 1 - t
                pts.append((u ** 3 * p0[0] + 3 * u * u * t * c1[0] + 3 * u * t * t * c2[0]
                            + t ** 3 * p3[0],
                            u ** 3 * p0[1] + 3 * u * u * t * c1[1] + 3 * u * t * t * c2[1]
                            + t ** 3 * p3[1]))
            i += 6
    return pts


def _ellipse_points(cx: float, cy: float, rx: float, ry: float, n: int = 48) -> list[Point]:
    return [(cx + rx * math.cos(2 * math.pi * k / n), cy + ry * math.sin(2 * math.pi * k / n))
            for k in range(n)]


def strokes(group: ET.Element) -> list[Stroke]:
    """The lines a <g> draws (not its fills alone: an element with stroke="none" and a
    fill is the fill under a separately stroked outline, and is skipped)."""
    out = []
    for el in group:
        tag = el.tag.removeprefix(SVG)
        if tag not in ("polygon", "polyline", "path", "ellipse"):
            continue
        if el.get("stroke") in ("none", "transparent"):
            continue
        width = float(el.get("stroke-width", "1"))
        if tag == "polygon":
            out.append(Stroke(_points(el.get("points", "")), True, width, tag))
        elif tag == "polyline":
            out.append(Stroke(_points(el.get("points", "")), False, width, tag))
        elif tag == "ellipse":
            out.append(Stroke(_ellipse_points(*(float(el.get(a, "0"))
                                                for a in ("cx", "cy", "rx", "ry"))),
                              True, width, tag))
        else:
            pts = _path_points(el.get("d", ""))
            closed = math.dist(pts[0], pts[-1]) < 0.01
            out.append(Stroke(pts, closed, width, tag))
    return out


def texts(group: ET.Element) -> list[Text]:
    out = []
    for el in group.iter(f"{SVG}text"):
        content = "".join(el.itertext())
        if not content.strip():
            continue
        size = float(el.get("font-size", "14"))
        width = text_width(content, size, el.get("font-weight") == "bold")
        x, y = float(el.get("x", "0")), float(el.get("y", "0"))
        anchor = el.get("text-anchor", "start")
        x0 = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
        out.append(Text(content, Box(x0, y - ASCENT * size, x0 + width, y + DESCENT * size)))
    return out


def inside(p: Point, poly: list[Point]) -> bool:
    """Even-odd rule: is ``p`` inside the polygon ``poly``?"""
    x, y = p
    hit = False
    for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def crosses(a: Point, b: Point, box: Box) -> bool:
    """Does the segment a-b pass through the box (Liang-Barsky clipping)?"""
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in ((-dx, a[0] - box.x0), (dx, box.x1 - a[0]),
                 (-dy, a[1] - box.y0), (dy, box.y1 - a[1])):
        if p == 0:
            if q < 0:
                return False
        else:
            t = q / p
            if p < 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
            if t0 > t1:
                return False
    return True


def segments(s: Stroke) -> Iterator[tuple[Point, Point]]:
    pts = s.points + (s.points[:1] if s.closed else [])
    return pairwise(pts)


def box_inside(box: Box, s: Stroke) -> bool:
    return (all(inside(c, s.points) for c in box.corners())
            and not any(crosses(a, b, box) for a, b in segments(s)))


def overlaps(poly: list[Point], box: Box) -> bool:
    """Does a (convex) arrowhead polygon overlap the box? Separating axes: the box's two
    and each of the polygon's edge normals."""
    rect = box.corners()
    axes = [(1.0, 0.0), (0.0, 1.0)] + [(b[1] - a[1], a[0] - b[0])
                                       for a, b in zip(poly, poly[1:] + poly[:1]) if a != b]
    for ax, ay in axes:
        pa = [ax * x + ay * y for x, y in poly]
        pb = [ax * x + ay * y for x, y in rect]
        if max(pa) <= min(pb) or max(pb) <= min(pa):
            return False
    return True


# ---- the views -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Element:
    kind: str            # node, edge, cluster
    name: str            # its <title>: the node's, edge's or cluster's DOT id
    strokes: list[Stroke]
    texts: list[Text]
    arrowheads: list[list[Point]]


@cache
def views(name: str) -> list[tuple[str, list[Element]]]:
    """Every view of an example, laid out once: (what it is, its drawn elements)."""
    d = load(name)
    unit = what_if_unit(d)
    whole = analyze(d, latency=())
    drawn = [("whole design", render_svg(d, whole))]
    for flow in d.flows:
        drawn.append((f"flow {flow}", render_svg(d, analyze(d, latency=[flow]), flow=flow)))
    drawn.append((f"what-if {unit} down", render_svg(d, analyze(d, down=[unit], latency=()))))
    return [(what, elements(ET.fromstring(svg))) for what, svg in drawn]


def elements(root: ET.Element) -> list[Element]:
    out = []
    for g in root.iter(f"{SVG}g"):
        kind = g.get("class")
        if kind not in ("node", "edge", "cluster"):
            continue
        title = g.find(f"{SVG}title")
        name = "".join(title.itertext()) if title is not None else "?"
        drawn = strokes(g)
        arrows = [s.points for s in drawn if kind == "edge" and s.tag == "polygon"]
        out.append(Element(kind, name, drawn, texts(g), arrows))
    return out


def where(name: str, view: str, el: Element) -> str:
    return f"{name}, {view}: {el.kind} '{el.name}'"


# ---- the checks ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", EXAMPLES)
def test_labels_inside_their_shapes(name):
    problems = []
    for view, els in views(name):
        for el in els:
            if el.kind == "edge":
                continue
            outlines = el.strokes if el.kind == "node" else el.strokes[:1]
            for t in el.texts:
                for s in outlines:
                    box = t.box.grown(s.width / 2 + CLEARANCE)
                    if s.closed and not box_inside(box, s):
                        problems.append(f"{where(name, view, el)}: label '{t.text}' ({t.box}) "
                                        f"leaves its {s.tag} outline {bounds(s.points)}")
                    elif not s.closed and any(crosses(a, b, box) for a, b in segments(s)):
                        problems.append(f"{where(name, view, el)}: label '{t.text}' ({t.box}) "
                                        f"touches the {s.tag} line {bounds(s.points)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", EXAMPLES)
def test_no_arrowhead_on_a_label(name):
    problems = []
    for view, els in views(name):
        labels = [(el, t) for el in els for t in el.texts]
        for edge in els:
            for head in edge.arrowheads:
                for el, t in labels:
                    if overlaps(head, t.box):
                        problems.append(f"{where(name, view, edge)}: arrowhead {bounds(head)} "
                                        f"on {el.kind} '{el.name}' label '{t.text}' ({t.box})")
    assert not problems, "\n".join(problems)


def members(cluster: Element, els: list[Element]) -> list[str]:
    """The nodes drawn in a cluster: those whose shape's centre is inside its box."""
    box = bounds(cluster.strokes[0].points)
    out = []
    for el in els:
        if el.kind == "node" and el.strokes:
            b = bounds(el.strokes[0].points)
            if box.contains(((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2)):
                out.append(el.name)
    return out


@pytest.mark.parametrize("name", EXAMPLES)
def test_no_empty_cluster(name):
    problems = []
    for view, els in views(name):
        for el in els:
            if el.kind == "cluster" and not members(el, els):
                problems.append(f"{where(name, view, el)}: no node in the cluster "
                                f"({bounds(el.strokes[0].points)})")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", EXAMPLES)
def test_no_edge_across_a_label(name):
    problems = []
    for view, els in views(name):
        alone = {el.name for el in els if el.kind == "cluster" and len(members(el, els)) == 1}
        labels = [(el, t) for el in els if el.name not in alone for t in el.texts]
        for edge in els:
            lines = [s for s in edge.strokes if edge.kind == "edge" and s.tag != "polygon"]
            for el, t in labels:
                if el is edge:
                    continue
                if any(crosses(a, b, t.box) for s in lines for a, b in segments(s)):
                    problems.append(f"{where(name, view, edge)} runs across {el.kind} "
                                    f"'{el.name}' label '{t.text}' ({t.box})")
    assert not problems, "\n".join(problems)


def words_box(t: Text) -> Box:
    """The box of a text's words: its box less the no-break spaces it starts with."""
    lead = len(t.text) - len(t.text.lstrip("\xa0"))
    size = (t.box.y1 - t.box.y0) / (ASCENT + DESCENT)
    return Box(t.box.x0 + lead * ARIAL["\xa0"] * size / 1000, t.box.y0, t.box.x1, t.box.y1)


#: Edges that still touch their own label, and why (not fixed yet; each must still touch,
#: so that a fix removes it from here):
#: - chat's deliver flow is drawn left to right, where Graphviz sets a label above its
#:   edge, its bottom on the line: the indent widens the label but does not lift it;
#: - shop's what-if: api -> payments runs steeply through its label's lower left corner.
STILL_TOUCHING = {("chat", "flow deliver", "fanout->gateway"),
                  ("shop", "what-if us-east.a down", "api->payments")}


@pytest.mark.parametrize("name", EXAMPLES)
def test_edges_clear_of_their_own_label(name):
    problems, known = [], set()
    for view, els in views(name):
        for edge in els:
            lines = [s for s in edge.strokes if edge.kind == "edge" and s.tag != "polygon"]
            for t in edge.texts:
                box = words_box(t).grown(OWN_CLEARANCE)
                if any(crosses(a, b, box) for s in lines for a, b in segments(s)):
                    if (name, view, edge.name) in STILL_TOUCHING:
                        known.add((name, view, edge.name))
                        continue
                    problems.append(f"{where(name, view, edge)} touches its label "
                                    f"'{t.text.strip()}' ({words_box(t)})")
    assert not problems, "\n".join(problems)
    assert known == {k for k in STILL_TOUCHING if k[0] == name}, "fixed: drop from STILL_TOUCHING"


def test_the_checks_catch_what_they_check():
    """The geometry above on hand-made cases: a label across an outline, an arrowhead on a
    label, a cluster with no node."""
    square = Stroke([(0, 0), (100, 0), (100, 50), (0, 50)], True, 1, "polygon")
    assert box_inside(Box(10, 10, 90, 40), square)
    assert not box_inside(Box(10, 10, 110, 40), square)
    assert not box_inside(Box(-10, -10, 110, 60), square)       # all corners outside
    # a U shape: corners inside, the notch between them crosses the box
    u = [(0, 0), (30, 0), (30, 40), (70, 40), (70, 0), (100, 0), (100, 50), (0, 50)]
    assert not box_inside(Box(10, 10, 90, 45), Stroke(u, True, 1, "polygon"))
    head = [(0, 0), (10, 5), (0, 10)]
    assert overlaps(head, Box(5, 4, 20, 6))
    assert not overlaps(head, Box(11, 0, 20, 10))
    assert not overlaps(head, Box(6, 0, 20, 1.5))               # beside the slanted edge
    assert text_width("SERVER", 9, False) == pytest.approx(37.0 * WIDTH_SLACK + 0.72, abs=0.1)
    ring = _path_points("M0,0C0,10 10,10 10,0")
    assert ring[0] == (0, 0) and ring[-1] == (10, 0) and len(ring) == BEZIER_STEPS + 1
    svg = ET.fromstring(
        f'<svg xmlns="{SVG[1:-1]}"><g class="cluster"><title>cluster_x</title>'
        '<polygon fill="none" stroke="black" points="0,0 50,0 50,50 0,50 0,0"/></g>'
        '<g class="node"><title>n</title><ellipse fill="none" stroke="black" cx="100" '
        'cy="100" rx="20" ry="10"/><text text-anchor="middle" x="100" y="104" '
        'font-size="14">n</text></g></svg>')
    els = elements(svg)
    assert [e.kind for e in els] == ["cluster", "node"]
    assert box_inside(els[1].texts[0].box, els[1].strokes[0])
    assert not bounds(els[0].strokes[0].points).contains((100, 100))
