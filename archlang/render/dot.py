"""Design (+ optional Result) -> Graphviz DOT source.

The picture, left to right:

* regions and zones are nested clusters; a component goes into the zone cluster when every
  replica runs in that one zone, into the region cluster when every replica runs in that
  region, and outside any cluster otherwise (its label then lists its placements);
* one shape and colour per kind (:data:`KIND_STYLE`): a cylinder for a database, an arrow
  ("cds") for a queue, a double ellipse for a CDN, a hexagon for a balancer...;
* each node shows its kind, name, replicas (``x6 min 4``, active-passive with its failover,
  leader and followers), the availability of one replica, and with a result the
  availability of the group and the utilisation;
* SPOFs of the result (components, replicas, zones, regions) are outlined in red and say so;
* edges: solid for a hard synchronous call, dashed for asynchronous delivery, dotted for an
  optional call; alternatives are labelled ``alt 1/2``...; calls out of a cache or CDN are
  labelled with their miss ratio; with a result, the rate an edge carries when it can be
  read from the result (see :func:`_edge_rate`); cross-region hops show their latency;
* a legend lists the kinds and edge styles that occur.

The DOT is built with the ``graphviz`` package (it quotes ids and attributes); the
HTML-like labels are rendered by Jinja2 with autoescape (templates/dot_labels.j2), so every
name and description reaches Graphviz as text. Node ids are the component names, cluster
ids ``cluster_<region>`` and ``cluster_<region>.<zone>``: the same design gives the same DOT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from archlang.analysis.result import Result
    from archlang.model.design import Component, Design

FONT = "Arial"
SPOF_COLOUR = "#c62828"


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


# ---- number formats (shared with the HTML report) ------------------------------------------
def fmt_pct(fraction: float | None, decimals: int | None = None) -> str:
    """A fraction as a percentage. Availabilities keep their nines: the number of decimals
    follows -log10(1 - A), and the value is truncated, never rounded up to 100%."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return "n/a"
    if decimals is None:
        if fraction >= 1.0:
            return "100%"
        n = -math.log10(1.0 - fraction) if fraction > 0 else 0.0
        decimals = min(8, max(1, math.floor(n + 1e-9)))
        scale = 10 ** decimals
        value = math.floor(fraction * 100 * scale + 1e-6) / scale
        text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
        return f"{text}%"
    return f"{fraction * 100:.{decimals}f}%"


def fmt_ms(ms: float | None) -> str:
    if ms is None:
        return "n/a"
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 10:
        return f"{ms:.1f} ms"
    return f"{ms:.2f} ms"


def fmt_rate(rps: float | None) -> str:
    if rps is None:
        return "n/a"
    if rps >= 100:
        return f"{rps:,.0f} rps"
    if rps >= 10:
        return f"{rps:.1f} rps"
    return f"{rps:.2f} rps"


def fmt_minutes(minutes: float | None) -> str:
    """A downtime: seconds, minutes or hours, whichever reads best."""
    if minutes is None:
        return "n/a"
    if minutes < 1:
        return f"{minutes * 60:.1f} s"
    if minutes < 120:
        return f"{minutes:.1f} min"
    return f"{minutes / 60:.1f} h"


def fmt_nines(n: float | None) -> str:
    if n is None:
        return "n/a"
    return "∞" if math.isinf(n) else f"{n:.2f}"


def fmt_duration_s(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:g}s"
    if seconds < 3600:
        return f"{seconds / 60:g}m"
    return f"{seconds / 3600:g}h"


# ---- labels ----------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _labels():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("archlang.render", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True)
    return env.get_template("dot_labels.j2").module


def _html_label(markup) -> str:
    """Jinja2 output -> a Graphviz HTML-like label (one line, inside < >)."""
    text = " ".join(line.strip() for line in str(markup).splitlines() if line.strip())
    return f"<{text}>"


def replicas_text(c: "Component") -> str:
    """How a component is replicated, in words: 'x6 min 4', 'x2 active-passive, failover 15s';
    a store of the data tier: 'leader + 2 sync followers', 'rf 3 / 256 shards / 12 nodes'."""
    from archlang.analysis.quorum import store_of

    st = store_of(c)
    if st is not None:
        return _store_text(c, st)
    parts = []
    if c.replicas > 1:
        parts.append(f"×{c.replicas}" + (f" min {c.min_replicas}" if c.min_replicas > 1 else "")
                     + (f" active-passive (failover {fmt_duration_s(c.failover_s)})"
                        if c.mode == "active_passive" else ""))
    if c.shards > 1 and c.sharding and c.sharding != "none":
        parts.append(f"{c.sharding} ×{c.shards} shards")
    return ", ".join(parts)


def _store_text(c: "Component", st) -> str:
    how = (c.sync_mode or "async").replace("_", "-")
    nodes = f"{st.nodes} node{'s' if st.nodes != 1 else ''}"
    if st.style == "leader_follower" and not st.sharded:
        return (f"leader + {c.followers} {how} follower{'s' if c.followers != 1 else ''}, "
                f"failover {fmt_duration_s(c.failover_s)}")
    if st.style == "multi_leader" and not st.sharded:
        return f"{st.nodes} leaders, {how}"
    parts = [f"rf {st.rf}"]
    if st.sharded:
        parts.append(f"{st.shards} {c.sharding} shards")
    parts.append(nodes)
    text = " / ".join(parts)
    if st.style == "leaderless":
        text += f", R {c.read_quorum} W {c.write_quorum}"
    elif st.style in ("leader_follower", "multi_leader"):
        text += f", {st.style.replace('_', '-')} {how}"
    if st.skew > 1:
        text += f", skew {st.skew:g}"
    return text


def _placement_text(c: "Component") -> str:
    keys = list(dict.fromkeys(p.key for p in c.placement))
    return ", ".join(keys)


def _cluster_of(c: "Component") -> tuple[str, str | None] | None:
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
def spof_names(result: "Result | None") -> tuple[set[str], set[str]]:
    """(components, failure domains) that are a SPOF of some flow."""
    comps: set[str] = set()
    domains: set[str] = set()
    if result is None:
        return comps, domains
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


def _edge_rate(design: "Design", result: "Result", source: str, target: str) -> float | None:
    """The request rate on ``source -> target``, read from the result; None when unknown.

    The target's load from each flow (``capacity_report.components[target].load_by_flow``
    when the result carries the capacity report, else ``ComponentResult.load_rps`` when a
    single flow reaches the target) is all carried by this edge when it is that flow's only
    step into the target. When some flow also enters the target from another caller, the
    split is not in the result and no rate is shown. Edges no flow uses get no rate.
    """
    comp = result.components.get(target)
    if comp is None:
        return None
    report = getattr(result, "capacity_report", None)
    cap = report.components.get(target) if report is not None else None
    flows_in = [f for f in design.flows.values()
                if any(b == target for _, b, _ in f.edges())]
    if cap is not None:
        by_flow = dict(cap.load_by_flow)
    elif len(flows_in) == 1:
        by_flow = {flows_in[0].name: comp.load_rps}
    else:
        return None
    total, used = 0.0, False
    for f in flows_in:
        callers = {a for a, b, _ in f.edges() if b == target}
        if source not in callers:
            continue
        if callers != {source} or f.name not in by_flow:
            return None
        total += by_flow[f.name]
        used = True
    return total if used else None


def _legend_items(design: "Design", edges: set[str], with_result: bool) -> list[dict]:
    """What the legend explains: the kinds that occur, the edge styles, SPOF outlines."""
    items: list[dict] = []
    for kind, st in KIND_STYLE.items():
        if any(c.kind == kind for c in design.components.values()):
            items.append(dict(swatch=True, fill=st.fill, border=st.border, border_width=1,
                              text=f"{kind} ({st.drawn_as})"))
    for key, sample, colour, text in (
            ("sync", "——>", "#455a64", "call (needed)"),
            ("optional", "·····>", "#455a64", "optional call"),
            ("async", "- - ->", "#455a64", "asynchronous delivery"),
            ("alt", "alt 1/2", "#6a1b9a", "alternatives (failover)")):
        if key in edges:
            items.append(dict(swatch=False, sample=sample, border=colour, text=text))
    if with_result:
        items.append(dict(swatch=True, fill="#ffffff", border=SPOF_COLOUR, border_width=2,
                          text="single point of failure"))
    return items


# ---- the graph -------------------------------------------------------------------------------
def render_dot(design: "Design", result: "Result | None" = None) -> str:
    """The DOT source of the design's diagram (see the module docstring)."""
    import graphviz

    labels = _labels()
    spof_comps, spof_domains = spof_names(result)
    big = len(design.components) > 60

    g = graphviz.Digraph(name=design.name, strict=False)
    g.attr(rankdir="LR", compound="true", newrank="true", fontname=FONT, fontsize="12",
           nodesep="0.25" if big else "0.35", ranksep="0.5" if big else "0.7",
           pad="0.3", splines="spline", labelloc="t", labeljust="l",
           label=_html_label(labels.title(design=design, result=result,
                                          n_spofs=len(spof_comps) + len(spof_domains))))
    g.attr("node", fontname=FONT, fontsize="11", margin="0.12,0.06", penwidth="1.4")
    g.attr("edge", fontname=FONT, fontsize="9", color="#455a64", fontcolor="#37474f",
           arrowsize="0.7", penwidth="1.2")

    # Which cluster each component belongs to, in source order.
    homes: dict[tuple[str, str | None] | None, list[Component]] = {}
    for c in design.components.values():
        homes.setdefault(_cluster_of(c), []).append(c)

    def add_node(graph, c: "Component") -> None:
        st = KIND_STYLE[c.kind]
        spof = c.name in spof_comps
        comp_res = result.components.get(c.name) if result is not None else None
        attrs = dict(shape=st.shape, style=st.style, fillcolor=st.fill,
                     color=SPOF_COLOUR if spof else st.border,
                     penwidth="3" if spof else "1.4",
                     peripheries=str(st.peripheries))
        if c.kind == "queue":
            attrs["margin"] = "0.2,0.06"
        elif c.kind == "lb":
            attrs["margin"] = "0,0"
        spread = _cluster_of(c) is None or (_cluster_of(c) or ("", ""))[1] is None
        graph.node(c.name, label=_html_label(labels.node(
            c=c, r=comp_res, spof=spof, replicas=replicas_text(c),
            placement=_placement_text(c) if (spread and c.placement) else "",
            fmt_pct=fmt_pct, fmt_ms=fmt_ms, fmt_rate=fmt_rate)), **attrs)

    for region in design.regions:
        with g.subgraph(name=f"cluster_{region.name}") as rg:
            spof = region.name in spof_domains
            drawn = [z for z in region.zones if homes.get((region.name, z.name))]
            listed = [dict(name=z.name, availability=fmt_pct(z.availability),
                           spof=z.key in spof_domains)
                      for z in region.zones if z not in drawn]
            rg.attr(label=_html_label(labels.domain(
                        kind="region", name=region.name, availability=fmt_pct(region.availability),
                        spof=spof, zones=listed)),
                    style="rounded,filled", fillcolor="#f7f9fa",
                    color=SPOF_COLOUR if spof else "#90a4ae",
                    penwidth="2.5" if spof else "1.2", fontsize="12")
            for zone in drawn:
                with rg.subgraph(name=f"cluster_{zone.key}") as zg:
                    zspof = zone.key in spof_domains
                    zg.attr(label=_html_label(labels.domain(
                                kind="zone", name=zone.name,
                                availability=fmt_pct(zone.availability), spof=zspof, zones=[])),
                            style="rounded,filled,dashed" if not zspof else "rounded,filled",
                            fillcolor="#ffffff",
                            color=SPOF_COLOUR if zspof else "#b0bec5",
                            penwidth="2.5" if zspof else "1", fontsize="11")
                    for c in homes[(region.name, zone.name)]:
                        add_node(zg, c)
            for c in homes.get((region.name, None), []):
                add_node(rg, c)
            if not drawn and not homes.get((region.name, None)):
                # a region nothing runs in still shows: an invisible point keeps the cluster
                rg.node(f"{region.name}.empty", label="", shape="point", style="invis")
    for c in homes.get(None, []):
        add_node(g, c)

    kinds_edges: set[str] = set()
    for call in design.calls:
        src = design.components[call.source]
        n = len(call.targets)
        for i, target in enumerate(call.targets, start=1):
            words: list[str] = []
            attrs: dict[str, str] = {}
            if call.asynchronous:
                attrs["style"] = "dashed"
                kinds_edges.add("async")
            elif call.optional:
                attrs["style"] = "dotted"
                attrs["penwidth"] = "1.6"
                kinds_edges.add("optional")
            else:
                kinds_edges.add("sync")
            if n > 1:
                words.append(f"alt {i}/{n}")
                attrs["color"] = "#6a1b9a"
                attrs["fontcolor"] = "#6a1b9a"
                attrs["arrowhead"] = "empty"
                kinds_edges.add("alt")
            if call.optional and not call.asynchronous:
                words.append("optional")
            if src.kind in ("cache", "cdn") and src.hit_ratio is not None:
                words.append(f"on miss {fmt_pct(1 - src.hit_ratio, 0)}")
            if call.write:
                words.append("write")
            if call.count > 1:
                words.append(f"×{call.count}" + (" parallel" if call.parallel else ""))
            if result is not None:
                rate = _edge_rate(design, result, call.source, target)
                if rate is not None:
                    words.append(fmt_rate(rate))
            dst = design.components[target]
            if src.home and dst.home and src.home.region != dst.home.region:
                words.append(fmt_ms(design.network.between(src.home, dst.home)))
            if words:
                attrs["label"] = " · ".join(words)
            g.edge(call.source, target, **attrs)

    with g.subgraph(name="cluster_legend") as lg:
        lg.attr(label="", style="rounded", color="#cfd8dc", penwidth="1")
        items = _legend_items(design, kinds_edges, with_result=result is not None)
        lg.node("legend", shape="plaintext", margin="0",
                label=_html_label(labels.legend(items=items, columns=3 if big else 4)))
    return g.source
