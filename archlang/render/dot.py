"""Design (+ optional Result) -> Graphviz DOT source.

The picture, left to right:

* regions and zones are nested clusters, labelled along their bottom; a component goes
  into the zone cluster when every replica runs in that one zone, into the region cluster
  when every replica runs in that region, and outside any cluster otherwise (its label
  then lists its placements);
* one shape and colour per kind (:data:`KIND_STYLE`): a cylinder for a database, an arrow
  ("cds") for a queue, a double ellipse for a CDN, a hexagon for a balancer...;
* each node shows its kind, name, replicas (``x6 min 4``, active-passive with its failover,
  leader and followers), the availability of one replica, and with a result the
  availability of the group and the utilisation;
* SPOFs of the result (components, replicas, zones, regions) are outlined in red and say so;
* edges: solid for a hard synchronous call, dashed for asynchronous delivery, dotted for an
  optional call; alternatives are labelled ``alt 1/2``...; calls out of a cache or CDN are
  labelled with their miss ratio; with a result, the rate an edge carries when it can be
  read from the result (see ``labels._edge_rate``); cross-region hops show their latency;
* a legend lists the kinds and edge styles that occur.

The DOT is built with the ``graphviz`` package (it quotes ids and attributes); the
HTML-like labels are rendered by Jinja2 with autoescape (templates/dot_labels.j2), so every
name and description reaches Graphviz as text. Node ids are the component names, cluster
ids ``cluster_<region>`` and ``cluster_<region>.<zone>``: the same design gives the same DOT.

The words of the labels (numbers, replicas, rates, SLO verdicts) come from
archlang/render/labels.py, which the Mermaid and D2 exports and the view's size estimate read
too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol, cast

from archlang import numbers
from archlang.render.labels import (
    _flow_slos,
    _placement_text,
    edge_label_words,
    fmt_ms,
    fmt_pct,
    fmt_rate,
    replicas_text,
)

if TYPE_CHECKING:  # pragma: no cover
    import graphviz
    from markupsafe import Markup

    from archlang.analysis.result import Result
    from archlang.model.design import Component, Design
    from archlang.render.view import View, ViewEdge


class _LabelMacros(Protocol):
    """The macros of templates/dot_labels.j2 (keyword arguments as the template names them)."""

    def title(self, **kw: object) -> Markup: ...
    def node(self, **kw: object) -> Markup: ...
    def domain(self, **kw: object) -> Markup: ...
    def legend(self, **kw: object) -> Markup: ...

FONT = "Arial"
SPOF_COLOUR = "#c62828"
#: Label margins (x, y inches) that keep a label inside its shape: a cylinder's top ellipse
#: and a queue arrow's point take room the label must leave free, and the queue's arrow
#: gives its label no room above and below but its margin (0.06 left 1.6 pt to the outline,
#: less than a SPOF's 3 pt stroke: tests/test_layout.py).
SHAPE_MARGIN = {"database": "0.14,0.16", "queue": "0.26,0.1", "lb": "0,0",
                "storage": "0.12,0.1", "cache": "0.14,0.08"}

#: Regions and zones are labelled along their bottom: calls come into a cluster from above
#: (or from the left), and at the top its label lay across the way in, under the edges
#: (shop's users -> front over 'SPOF', multiregion's optional calls over 'region eu-west';
#: 32 crossings over the examples' views, 2 at the bottom: tests/test_layout.py).
CLUSTER_LABELLOC = "b"

#: Set before an edge's label: Graphviz puts the label's left side on its edge and may
#: route the edge a few points into it, so the line ran through the first letter (shop's
#: 'optional', 2.7 pt in). Two no-break spaces (5.6 pt at 10 pt) keep the text off it.
EDGE_LABEL_INDENT = "\u00a0\u00a0"


@dataclass(frozen=True)
class KindStyle:
    shape: str
    fill: str
    border: str
    style: str = "filled"
    peripheries: int = 1
    drawn_as: str = ""      # the legend's word for the shape


KIND_STYLE: dict[str, KindStyle] = {
    "client": KindStyle("house", "#eceff1", "#455a64", drawn_as="house"),
    "dns": KindStyle("pentagon", "#fffde7", "#f9a825", drawn_as="pentagon"),
    "cdn": KindStyle("ellipse", "#e0f7fa", "#00838f", peripheries=2, drawn_as="double ellipse"),
    "lb": KindStyle("hexagon", "#ede7f6", "#5e35b1", drawn_as="hexagon"),
    "server": KindStyle("box", "#e3f2fd", "#1565c0", style="filled,rounded",
                        drawn_as="rounded box"),
    "cache": KindStyle("box3d", "#fff3e0", "#ef6c00", drawn_as="3-d box"),
    "database": KindStyle("cylinder", "#e8f5e9", "#2e7d32", drawn_as="cylinder"),
    "queue": KindStyle("cds", "#fce4ec", "#ad1457", drawn_as="arrow"),
    "storage": KindStyle("folder", "#f1f8e9", "#558b2f", drawn_as="folder"),
    "external": KindStyle("box", "#f5f5f5", "#616161", style="filled,dashed",
                          drawn_as="dashed box"),
}


# ---- labels ----------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _labels() -> _LabelMacros:
    import jinja2

    from archlang.render.templating import bytecode_cache

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("archlang.render", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, bytecode_cache=bytecode_cache())
    # a template module's attributes are its macros, which Jinja2 cannot type
    return cast("_LabelMacros", env.get_template("dot_labels.j2").module)


def _html_label(markup: str) -> str:
    """Jinja2 output -> a Graphviz HTML-like label (one line, inside < >)."""
    text = " ".join(line.strip() for line in str(markup).splitlines() if line.strip())
    return f"<{text}>"


def _cluster_of(c: Component) -> tuple[str, str | None] | None:
    """(region, zone or None) of the cluster that holds every replica; None: no cluster."""
    if not c.placement:
        return None
    # Replicas (a store's copies and nodes) run round-robin over the placements.
    n = c.replicas
    spots = {c.placement[i % len(c.placement)] for i in range(n)}
    regions = {p.region for p in spots}
    if len(regions) != 1:
        return None
    region = regions.pop()
    zones = {p.zone for p in spots}
    if len(zones) == 1 and None not in zones:
        return region, zones.pop()
    return region, None


# ---- SPOFs and edge rates from a result ------------------------------------------------------
def spof_names(result: Result | None) -> tuple[set[str], set[str]]:
    """(components, failure domains) that are a SPOF of some flow."""
    from archlang.render.view import spof_names as _spofs

    return _spofs(result)


def _legend_items(design: Design, view: View, edges: set[str],
                  with_result: bool) -> list[dict[str, object]]:
    """What the legend explains: the kinds that occur, the edge styles, SPOF outlines."""
    items: list[dict[str, object]] = []
    drawn = {design.components[n].kind for n in view.components}
    for kind, st in KIND_STYLE.items():
        if kind in drawn:
            items.append(dict(swatch=True, fill=st.fill, border=st.border, border_width=1,
                              text=f"{kind} ({st.drawn_as})"))
    for key, sample, colour, text in (
            ("sync", "——>", "#455a64", "call (needed)"),
            ("optional", "·····>", "#455a64", "optional call"),
            ("async", "- - ->", "#455a64", "asynchronous delivery"),
            ("alt", "alt 1/2", "#6a1b9a", "alternatives (failover)"),
            ("rerouted", "——>", "#ef6c00", "rerouted (what-if)")):
        if key in edges:
            items.append(dict(swatch=False, sample=sample, border=colour, text=text))
    if with_result:
        items.append(dict(swatch=True, fill="#ffffff", border=SPOF_COLOUR, border_width=2,
                          text="single point of failure"))
    if view.failed or view.domains_down:
        items.append(dict(swatch=True, fill="#eceff1", border="#b0bec5", border_width=1,
                          text="down (what-if)"))
    return items


# ---- the graph -------------------------------------------------------------------------------
GREY_FILL, GREY_LINE, GREY_TEXT = "#eceff1", "#b0bec5", "#90a4ae"
REROUTE_COLOUR = "#ef6c00"


def _lhead(view: View, edge: ViewEdge, clusters: dict[str, str | None]) -> str | None:
    """The cluster an edge means, when it means one: a call with alternatives that sit in
    different clusters (failover between zones or regions) goes to the target's outermost
    cluster that holds none of the other alternatives and not the caller, and that holds
    no other component the view's edges enter from outside (the target is its front door).
    """
    call = edge.call
    if len(call.targets) < 2:
        return None
    design = view.design

    def chain(name: str) -> list[str]:
        home = _cluster_of(design.components[name])
        if home is None:
            return []
        region, zone = home
        if region not in clusters:
            return []
        return [f"cluster_{region}"] + ([f"cluster_{region}.{zone}"] if zone else [])

    others = [t for t in call.targets if t != edge.target]
    mine = chain(edge.target)
    theirs = {c for t in others + [edge.source] for c in chain(t)}
    for cid in mine:
        if cid in theirs:
            continue
        members = {n for n in view.components if cid in chain(n)}
        entered = {e.target for e in view.edges
                   if e.target in members and e.source not in members}
        if entered <= {edge.target}:
            return cid
    return None


def render_dot(design: Design, result: Result | None = None,
               flow: str | None = None) -> str:
    """The DOT source of the design's diagram (see the module docstring); ``flow``: that
    flow's view (render/view.py); a result analysed with units down draws the what-if."""
    from archlang.render.view import build_view

    return render_view_dot(build_view(design, result, flow))


def render_view_dot(view: View, id_prefix: str | None = None) -> str:
    """The DOT source of one :class:`archlang.render.view.View`. ``id_prefix``: give every
    node, cluster and edge an SVG id that starts with it (``<prefix>node3``), so several
    diagrams can share one HTML page without clashing ids."""
    import graphviz

    counter = {"node": 0, "clust": 0, "edge": 0}

    def ids(kind: str) -> dict[str, str]:
        if id_prefix is None:
            return {}
        counter[kind] += 1
        return {"id": f"{id_prefix}{kind}{counter[kind]}"}

    design, result = view.design, view.result
    labels = _labels()
    spof_comps, spof_domains = view.spof_components, view.spof_domains
    big = len(view.components) > 60
    flow_res = view.flow_result

    g = graphviz.Digraph(name=design.name if view.flow is None else f"{design.name}.{view.flow}",
                         strict=False)
    kinds_edges = _edge_kinds(view)
    unused = [r for r in design.regions
              if not any((_cluster_of(design.components[n]) or ("",))[0] == r.name
                         for n in view.components)]
    title = labels.title(
        design=design, result=result, n_spofs=len(spof_comps) + len(spof_domains),
        flow=flow_res, flow_name=view.flow, slos=_flow_slos(flow_res),
        skipped=bool(result is not None and result.latency_skipped),
        down=view.down, failed=sorted(view.failed), rerouted=view.rerouted,
        unused=[dict(name=r.name, availability=fmt_pct(r.availability)) for r in unused]
        if view.flow is None else [],
        items=_legend_items(design, view, kinds_edges, with_result=result is not None),
        columns=3 if big else 4, fmt_pct=fmt_pct, fmt_ms=fmt_ms, fmt_rate=fmt_rate,
        fmt_latency=numbers.latency_ms)
    g.attr(rankdir=view.rankdir, compound="true", newrank="true", fontname=FONT,
           fontsize="12", nodesep="0.25" if big else "0.35", ranksep="0.5" if big else "0.6",
           pad="0.3", splines="spline", labelloc="t", labeljust="l",
           label=_html_label(title), **({"id": f"{id_prefix}graph"} if id_prefix else {}))
    g.attr("node", fontname=FONT, fontsize="11", margin="0.12,0.06", penwidth="1.4")
    g.attr("edge", fontname=FONT, fontsize="10", color="#455a64", fontcolor="#37474f",
           arrowsize="0.7", penwidth="1.2")

    # Which cluster each drawn component belongs to, in source order.
    homes: dict[tuple[str, str | None] | None, list[Component]] = {}
    for name in view.components:
        c = design.components[name]
        homes.setdefault(_cluster_of(c), []).append(c)

    def add_node(graph: graphviz.Digraph, c: Component) -> None:
        st = KIND_STYLE[c.kind]
        spof = c.name in spof_comps
        failed = c.name in view.failed
        comp_res = result.components.get(c.name) if result is not None else None
        attrs = dict(shape=st.shape, style=st.style, fillcolor=st.fill,
                     color=SPOF_COLOUR if spof else st.border,
                     penwidth="3" if spof else "1.4",
                     peripheries=str(st.peripheries))
        if failed:
            attrs.update(fillcolor=GREY_FILL, color=GREY_LINE, fontcolor=GREY_TEXT,
                         style=st.style.replace("dashed", "") .strip(",") + ",dashed",
                         penwidth="1.4")
        if c.kind in SHAPE_MARGIN:
            attrs["margin"] = SHAPE_MARGIN[c.kind]
        spread = _cluster_of(c) is None or (_cluster_of(c) or ("", ""))[1] is None
        load = None
        if view.flow is not None and result is not None and result.capacity_report is not None:
            cap = result.capacity_report.components.get(c.name)
            load = cap.load_by_flow.get(view.flow) if cap is not None else None
        graph.node(c.name, label=_html_label(labels.node(
            c=c, r=comp_res, spof=spof and not failed, replicas=replicas_text(c),
            placement=_placement_text(c) if (spread and c.placement) else "",
            failed=failed, degraded=view.degraded.get(c.name), flow_load=load,
            whatif=bool(view.down), fmt_pct=fmt_pct, fmt_ms=fmt_ms, fmt_rate=fmt_rate)),
            **attrs, **ids("node"))

    clusters: dict[str, str | None] = {}
    for region in design.regions:
        drawn = [z for z in region.zones if homes.get((region.name, z.name))]
        if not drawn and not homes.get((region.name, None)):
            continue            # nothing drawn runs there: the title lists it instead
        clusters[region.name] = None
        with g.subgraph(name=f"cluster_{region.name}") as rg:
            spof = region.name in spof_domains
            rdown = region.name in view.domains_down
            listed = [dict(name=z.name, availability=fmt_pct(z.availability),
                           spof=z.key in spof_domains, down=z.key in view.domains_down)
                      for z in region.zones if z not in drawn] if view.flow is None else []
            rg.attr(label=_html_label(labels.domain(
                        kind="region", name=region.name, availability=fmt_pct(region.availability),
                        spof=spof, down=rdown, zones=listed)),
                    labelloc=CLUSTER_LABELLOC,
                    style="rounded,filled", fillcolor="#e9ecef" if rdown else "#f7f9fa",
                    color=SPOF_COLOUR if spof else "#90a4ae",
                    penwidth="2.5" if spof else "1.2", fontsize="12", **ids("clust"))
            for zone in drawn:
                clusters[zone.key] = region.name
                with rg.subgraph(name=f"cluster_{zone.key}") as zg:
                    zspof = zone.key in spof_domains
                    zdown = zone.key in view.domains_down
                    zg.attr(label=_html_label(labels.domain(
                                kind="zone", name=zone.name,
                                availability=fmt_pct(zone.availability), spof=zspof,
                                down=zdown, zones=[])),
                            labelloc=CLUSTER_LABELLOC,
                            style="rounded,filled,dashed" if not zspof else "rounded,filled",
                            fillcolor="#e9ecef" if zdown else "#ffffff",
                            color=SPOF_COLOUR if zspof else "#b0bec5",
                            penwidth="2.5" if zspof else "1", fontsize="11", **ids("clust"))
                    for c in homes[(region.name, zone.name)]:
                        add_node(zg, c)
            for c in homes.get((region.name, None), []):
                add_node(rg, c)
    for c in homes.get(None, []):
        add_node(g, c)

    for edge in view.edges:
        call = edge.call
        n = len(call.targets)
        attrs: dict[str, str] = {}
        if call.asynchronous:
            attrs["style"] = "dashed"
        elif call.optional:
            attrs["style"] = "dotted"
            attrs["penwidth"] = "1.6"
        if n > 1:
            attrs["color"] = "#6a1b9a"
            attrs["fontcolor"] = "#6a1b9a"
            attrs["arrowhead"] = "empty"
        if edge.rerouted:
            attrs.update(color=REROUTE_COLOUR, fontcolor=REROUTE_COLOUR, penwidth="2.6")
        elif edge.abandoned or edge.target in view.failed or call.source in view.failed:
            attrs.update(color=GREY_LINE, fontcolor=GREY_TEXT)
        words = edge_label_words(view, edge)
        lhead = _lhead(view, edge, clusters)
        if lhead:
            attrs["lhead"] = lhead
            if words:
                # Graphviz places the label midway along the whole edge, to the node, but
                # clips the edge where it enters the cluster: the label sat at the cut,
                # under the arrowhead. One more rank puts it midway along what is drawn.
                attrs["minlen"] = "2"
        if words:
            attrs["label"] = EDGE_LABEL_INDENT + " · ".join(words)
        g.edge(call.source, edge.target, **attrs, **ids("edge"))
    source: str = g.source
    return source


def _edge_kinds(view: View) -> set[str]:
    kinds: set[str] = set()
    for e in view.edges:
        if e.call.asynchronous:
            kinds.add("async")
        elif e.call.optional:
            kinds.add("optional")
        else:
            kinds.add("sync")
        if len(e.call.targets) > 1:
            kinds.add("alt")
        if e.rerouted:
            kinds.add("rerouted")
    return kinds
