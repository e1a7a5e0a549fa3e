"""What one diagram shows: the whole design, one flow's request tree, and what-if marks.

Every exporter (DOT, Mermaid, D2) draws a :class:`View`, so the three agree on what is in
the picture. A view is read from the design and the result; it computes no analysis:

* the **whole-design view** has every component and every call target;
* a **flow view** (``flow=NAME``) has the flow's request tree only (``graph.flow_tree``,
  asynchronous deliveries included): its components, and one edge per call the tree makes,
  every alternative of a call included. Each edge carries the callee's hop of the flow's
  latency (``HopLatency``: its part of the slowest 1% of requests and the share of the p99
  it is) and the callee's availability as placed (zones and regions included). SPOFs are
  the flow's own;
* with a result analysed with units down (``--down``), the view is a **what-if**: a
  component that is not alive (fewer than k of its replicas left, ``down.alive``) is
  *failed*, one that lost some replicas but not k is *degraded*, zones and regions named or
  inside a region named are *down*; a call with alternatives that a flow now sends to
  another alternative (``down.route``) is *rerouted*: the edge to the alternative that
  takes the load is marked, the edge to the primary it left is greyed. The utilisation on
  the nodes is the result's, i.e. after the move.

The direction of the drawing is chosen from the graph's shape (:func:`choose_rankdir`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from archlang.analysis.result import FlowResult, HopLatency, Result
    from archlang.model.design import Call, Design


@dataclass(frozen=True)
class ViewEdge:
    source: str
    target: str
    call: Call
    index: int                         # of the target in call.targets, from 0
    hop: HopLatency | None = None    # flow view: the callee's part of the flow's latency
    rerouted: bool = False             # what-if: this alternative now takes a flow's load
    abandoned: bool = False            # what-if: a flow's primary it was rerouted away from


@dataclass(frozen=True)
class View:
    design: Design
    result: Result | None
    flow: str | None                               # None: the whole design
    components: tuple[str, ...]                    # drawn, in source order
    edges: tuple[ViewEdge, ...]
    spof_components: frozenset[str] = frozenset()
    spof_domains: frozenset[str] = frozenset()
    down: tuple[str, ...] = ()                     # the what-if's names, as given
    failed: frozenset[str] = frozenset()           # components not alive
    degraded: dict[str, tuple[int, int]] = field(default_factory=dict)   # name: (up, n)
    domains_down: frozenset[str] = frozenset()     # zone keys and region names
    rankdir: str = "LR"

    @property
    def flow_result(self) -> FlowResult | None:
        if self.flow is None or self.result is None:
            return None
        return self.result.flows.get(self.flow)

    @property
    def rerouted(self) -> int:
        return sum(1 for e in self.edges if e.rerouted)

    @cached_property
    def callers(self) -> dict[str, dict[str, set[str]]]:
        """Target -> {flow: the target's callers in that flow}, flows in source order: the
        edge labels' rates read it per edge (``labels._edge_rate``), worked out once."""
        out: dict[str, dict[str, set[str]]] = {}
        for f in self.design.flows.values():
            for a, b, _ in f.edges():
                out.setdefault(b, {}).setdefault(f.name, set()).add(a)
        return out


def spof_names(result: Result | None, flow: str | None = None) -> tuple[set[str], set[str]]:
    """(components, failure domains) that are a SPOF of some flow (or of ``flow``)."""
    comps: set[str] = set()
    domains: set[str] = set()
    if result is None:
        return comps, domains
    if flow is not None:
        cuts = list(result.flows[flow].spofs) if flow in result.flows else []
    else:
        cuts = list(result.spofs)
        for f in result.flows.values():
            cuts += list(f.spofs)
    for cut in cuts:
        for u in cut.units:
            if u.kind in ("component", "replica"):
                comps.add(u.component or u.name.split("[")[0])
            else:
                domains.add(u.name)
    return comps, domains


def build_view(design: Design, result: Result | None = None,
               flow: str | None = None) -> View:
    """The view of ``design`` (see the module docstring). ``flow`` must be a flow's name."""
    from archlang.analysis.down import NO_DOWN, alive, resolve_down, route, up_replicas
    from archlang.graph import flow_tree

    if flow is not None and flow not in design.flows:
        raise KeyError(flow)
    down = resolve_down(design, result.down) if result is not None and result.down else NO_DOWN
    trees = {name: flow_tree(design, fl) for name, fl in design.flows.items()}

    # What the flows route differently with units down.
    rerouted: set[tuple[str, str]] = set()
    left: set[tuple[str, str]] = set()
    if down:
        for name, tree in trees.items():
            if flow is not None and name != flow:
                continue
            for node in tree.walk(include_async=True):
                for fc in node.calls + node.async_calls:
                    if len(fc.targets) > 1:
                        went = route(fc, down)
                        if went is not fc.targets[0]:
                            rerouted.add((node.name, went.name))
                            left.add((node.name, fc.targets[0].name))
    left -= rerouted

    if flow is None:
        names = tuple(design.components)
        pairs = [(call, i, t) for call in design.calls for i, t in enumerate(call.targets)]
        hops: dict[tuple[str, str | None], HopLatency] = {}
    else:
        on_tree: set[str] = set()
        seen: set[tuple[str, str]] = set()
        pairs = []
        for node in trees[flow].walk(include_async=True):
            on_tree.add(node.name)
            for fc in node.calls + node.async_calls:
                for t in fc.targets:
                    if (node.name, t.name) not in seen:
                        seen.add((node.name, t.name))
                        pairs.append((fc.call, fc.call.targets.index(t.name), t.name))
        names = tuple(n for n in design.components if n in on_tree)
        order = {c: i for i, c in enumerate(design.calls)}
        pairs.sort(key=lambda p: (order.get(p[0], len(order)), p[1]))
        fr = result.flows.get(flow) if result is not None else None
        lat = fr.latency if fr is not None else None
        hops = {(h.name, h.via): h for h in lat.hops} if lat is not None else {}

    edges = tuple(ViewEdge(source=call.source, target=t, call=call, index=i,
                           hop=hops.get((t, call.source)),
                           rerouted=(call.source, t) in rerouted,
                           abandoned=(call.source, t) in left)
                  for call, i, t in pairs)

    failed: set[str] = set()
    degraded: dict[str, tuple[int, int]] = {}
    domains_down: set[str] = set()
    if down:
        for c in design.components.values():
            if c.kind == "client":
                continue
            up = up_replicas(c, down)
            if not alive(c, down):
                failed.add(c.name)
            elif len(up) < c.replicas:
                degraded[c.name] = (len(up), c.replicas)
        for r in design.regions:
            if r.name in down.regions:
                domains_down.add(r.name)
            for z in r.zones:
                if r.name in down.regions or z.key in down.zones:
                    domains_down.add(z.key)

    comps, domains = spof_names(result, flow)
    view = View(design=design, result=result, flow=flow, components=names, edges=edges,
                spof_components=frozenset(comps), spof_domains=frozenset(domains),
                down=tuple(result.down) if result is not None else (),
                failed=frozenset(failed), degraded=degraded,
                domains_down=frozenset(domains_down))
    return dataclasses.replace(view, rankdir=choose_rankdir(view))


# ---- direction --------------------------------------------------------------------------------
#: The gaps dot.py asks Graphviz for (points): between ranks, between nodes of one rank.
RANK_GAP, NODE_GAP = 43.0, 25.0
#: The aspect ratio (width / height) a drawing is aimed at: a square, since a drawing that
#: does not fit is scrolled, down a page or across a frame.
TARGET_ASPECT = 1.0
#: Average width of a character, as a fraction of the font size (Arial).
CHAR_EM = 0.55


def text_size(lines: list[str], size: float = 9.5) -> tuple[float, float]:
    """Estimated (width, height) in points of lines of text at ``size`` points."""
    if not lines:
        return 0.0, 0.0
    return (max(len(x) for x in lines) * size * CHAR_EM, len(lines) * size * 1.3)


def shape(names: Sequence[str], pairs: Iterable[tuple[str, str]]) -> tuple[int, int]:
    """(depth, breadth) of the call graph: the number of ranks of a longest-path layering
    (cycles collapsed) and the most components on one rank (see :func:`ranks`)."""
    layers = ranks(names, pairs)
    if not layers:
        return (1, 1)
    per: dict[int, int] = {}
    for r in layers.values():
        per[r] = per.get(r, 0) + 1
    return max(per) + 1, max(per.values())


def ranks(names: Sequence[str], pairs: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Rank of each component in a longest-path layering of the call graph, as dot ranks
    it: a cycle is broken where a depth-first search from the components in order (edges
    in order) meets it again (the back edge is left out). Components with no edge take one
    extra rank of their own, after the rest.

    Plain dicts, not networkx (~100 ms to import for a diagram): the search is
    ``networkx.dfs_labeled_edges``'s, over the components in order and each one's callees
    in the order of their first edge, so the same edges are left out (tests/test_layout.py
    compares the two)."""
    succ: dict[str, dict[str, None]] = {n: {} for n in names}
    has_pred: set[str] = set()
    for a, b in pairs:
        if a != b and a in succ and b in succ:
            succ[a][b] = None
            has_pred.add(b)
    lonely = [n for n in names if not succ[n] and n not in has_pred]
    alone = set(lonely)
    back: set[tuple[str, str]] = set()
    visited: set[str] = set()
    on_stack: set[str] = set()
    for start in succ:                  # every component in order, one search
        if start in alone or start in visited:
            continue
        visited.add(start)
        on_stack.add(start)
        stack = [(start, iter(succ[start]))]
        while stack:
            parent, children = stack[-1]
            for child in children:
                if child in visited:
                    if child in on_stack:
                        back.add((parent, child))
                else:
                    visited.add(child)
                    on_stack.add(child)
                    stack.append((child, iter(succ[child])))
                    break
            else:
                stack.pop()
                on_stack.discard(parent)
    preds: dict[str, list[str]] = {n: [] for n in succ if n not in alone}
    for a, callees in succ.items():
        for b in callees:
            if (a, b) not in back:
                preds[b].append(a)
    out: dict[str, int] = {}

    def rank_of(n: str) -> int:
        # longest path from a source: iterative, as a chain can be longer than the stack
        todo = [n]
        while todo:
            m = todo[-1]
            if m in out:
                todo.pop()
                continue
            waiting = [p for p in preds[m] if p not in out]
            if waiting:
                todo.extend(waiting)
                continue
            out[m] = max((out[p] + 1 for p in preds[m]), default=0)
            todo.pop()
        return out[n]

    for n in preds:
        rank_of(n)
    last = max(out.values(), default=-1) + 1
    for n in lonely:
        out[n] = last
    return out


def estimate(view: View, rankdir: str) -> tuple[float, float]:
    """Estimated (width, height) in points of ``view`` drawn in ``rankdir``: each node's
    label measured by its characters (dot.py's ``node_lines``), edge labels as the extra
    rank Graphviz gives them, and the title block on top."""
    return _extent(_measure(view), view, rankdir)


#: What :func:`estimate` reads of a view, whichever the direction: (rank of each component,
#: (width, height) of each node, the edge labels' sizes by the rank they follow).
_Measure = tuple[dict[str, int], dict[str, tuple[float, float]],
                 dict[int, list[tuple[float, float]]]]


def _measure(view: View) -> _Measure:
    from archlang.render.labels import edge_label_words, node_lines

    rank = ranks(view.components, [(e.source, e.target) for e in view.edges])
    size = {}
    for n in view.components:
        w, h = text_size(node_lines(view, n))
        size[n] = (w + 30.0, h + 14.0)             # the shape's margins around its label
    labels: dict[int, list[tuple[float, float]]] = {}
    for e in view.edges:
        words = edge_label_words(view, e)
        if words and e.source in rank and e.target in rank:
            gap = min(rank[e.source], rank[e.target])
            labels.setdefault(gap, []).append(text_size([" · ".join(words)], 10.0))
    return rank, size, labels


def _extent(measure: _Measure, view: View, rankdir: str) -> tuple[float, float]:
    from archlang.render.labels import title_lines

    rank, size, labels = measure
    depth = max(rank.values(), default=0) + 1
    along, across = [], []                         # per rank: extent along / across ranks
    for r in range(depth):
        members = [size[n] for n in view.components if rank.get(n) == r]
        if rankdir == "LR":
            along.append(max((w for w, _ in members), default=0.0))
            across.append(sum(h for _, h in members) + NODE_GAP * max(0, len(members) - 1))
        else:
            along.append(max((h for _, h in members), default=0.0))
            across.append(sum(w for w, _ in members) + NODE_GAP * max(0, len(members) - 1))
    for r in range(depth - 1):
        ls = labels.get(r, [])
        if rankdir == "LR":
            along.append(max([RANK_GAP] + [w + 10.0 for w, _ in ls]))
        else:
            along.append(RANK_GAP + (max(h for _, h in ls) if ls else 0.0))
            across[r] += sum(w for w, _ in ls) / 2
    length, breadth = sum(along), max(across, default=0.0)
    width, height = (length, breadth) if rankdir == "LR" else (breadth, length)
    tw, th = text_size(title_lines(view), 11.0)
    th += 150.0                                    # the legend under the title
    return max(width, tw, 480.0) + 20.0, height + th + 20.0


def choose_rankdir(view: View) -> str:
    """"LR" or "TB": the direction whose estimated drawing (:func:`estimate`) is nearer to
    ``TARGET_ASPECT``, in log scale; a tie keeps left to right.

    So a long chain of calls (the usual request path: client, balancer, server, cache,
    database) is drawn top to bottom instead of as a 3:1 strip, a wide fan-out left to
    right. The estimate reads only the view, so the DOT does not depend on which Graphviz
    runs (the two measure text differently).
    """
    measure = _measure(view)                      # the same for both directions

    def off(rankdir: str) -> float:
        w, h = _extent(measure, view, rankdir)
        return abs(math.log(w / h / TARGET_ASPECT))

    return "TB" if off("TB") < off("LR") else "LR"
