"""The words of every view, in every format: number formats, what a node, an edge and a
title say (DOT, Mermaid, D2 and the view's size estimate read the same words, so the
formats cannot disagree). archlang/render/dot.py draws them; view.py measures them."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from archlang import numbers
from archlang.numbers import count

if TYPE_CHECKING:  # pragma: no cover
    from archlang.analysis.quorum import Store
    from archlang.analysis.result import ComponentCapacity, FlowResult, Result
    from archlang.model.design import Call, Component, Design
    from archlang.render.view import View, ViewEdge


# ---- number formats (shared with the HTML report) ------------------------------------------
def fmt_pct(fraction: float | None, decimals: int | None = None) -> str:
    """A fraction as a percentage (archlang.numbers): an availability without ``decimals``
    (truncated, its nines kept), a share with them."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return "n/a"
    if decimals is None:
        return numbers.availability(fraction)
    if math.isinf(fraction):
        return "unbounded"
    return f"{numbers.snap(fraction) * 100:.{decimals}f}%"


def fmt_ms(ms: float | None) -> str:
    return numbers.duration_ms(ms)


def n_plus_1_text(cc: ComponentCapacity) -> str:
    """A component's N+1 verdict, as the text and HTML reports print it: ``-`` with nothing
    to lose, ``ok (no load)``, ``FAIL: -us-east.b -> no replica`` (the worst loss that leaves
    100% or more), else ``ok (worst 37.5%)``."""
    if not cc.n_plus_1:
        return "-"
    if cc.load_rps <= 0:
        return "ok (no load)"
    bad = [z for z in cc.n_plus_1 if z.utilisation is None or z.utilisation >= 1.0]
    if bad:
        worst = max(bad, key=lambda z: math.inf if z.utilisation is None else z.utilisation)
        left = "no replica" if worst.utilisation is None else numbers.share(worst.utilisation)
        return f"FAIL: -{worst.lost} -> {left}"
    worst = max(cc.n_plus_1, key=lambda z: -1.0 if z.utilisation is None else z.utilisation)
    return f"ok (worst {numbers.share(worst.utilisation)})"


def fmt_rate(rps: float | None) -> str:
    return numbers.rate(rps)


def fmt_minutes(minutes: float | None) -> str:
    """A downtime: seconds, minutes or hours, whichever reads best."""
    return numbers.minutes(minutes)


def fmt_nines(n: float | None) -> str:
    return numbers.nines(n)


def fmt_duration_s(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:g}s"
    if seconds < 3600:
        return f"{seconds / 60:g}m"
    return f"{seconds / 3600:g}h"


# ---- what nodes and edges say ---------------------------------------------------------------
def replicas_text(c: Component) -> str:
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


def _store_text(c: Component, st: Store) -> str:
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


def _placement_text(c: Component) -> str:
    keys = list(dict.fromkeys(p.key for p in c.placement))
    return ", ".join(keys)


def _edge_rate(result: Result, callers: dict[str, set[str]], source: str, target: str,
               only: str | None = None) -> float | None:
    """The request rate on ``source -> target``, read from the result; None when unknown.

    ``callers``: the target's callers in each flow that enters it (``View.callers``).
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
    every_in = list(callers)
    flows_in = [f for f in every_in if only in (None, f)]
    if cap is not None:
        by_flow = dict(cap.load_by_flow)
    elif len(every_in) == 1:
        by_flow = {every_in[0]: comp.load_rps}
    else:
        return None
    total, used = 0.0, False
    for f in flows_in:
        into = callers[f]
        if source not in into:
            continue
        if into != {source} or f not in by_flow:
            return None
        total += by_flow[f]
        used = True
    return total if used else None


def edge_label_words(view: View, edge: ViewEdge) -> list[str]:
    """Everything an edge's label says, in order (every format writes these words)."""
    design, result, call = view.design, view.result, edge.call
    src, dst = design.components[call.source], design.components[edge.target]
    words: list[str] = []
    if edge.rerouted:
        words.append("rerouted")
    elif edge.abandoned:
        words.append("not used")
    if len(call.targets) > 1:
        words.append(f"alt {edge.index + 1}/{len(call.targets)}")
    words += edge_words(design, call, edge.target)
    if result is not None and not edge.abandoned:
        rate = _edge_rate(result, view.callers.get(edge.target, {}), call.source,
                          edge.target, view.flow)
        if rate is not None:
            words.append(fmt_rate(rate))
    if src.home and dst.home and src.home.region != dst.home.region:
        words.append(fmt_ms(design.network.between(src.home, dst.home)))
    if edge.hop is not None:
        own = edge.hop.hop_p99_ms if edge.hop.hop_p99_ms is not None else edge.hop.p99_ms
        words.append(f"p99 {numbers.hop_ms(own)} ({fmt_pct(edge.hop.share_of_p99, 0)} of the tail)")
    if view.flow is not None and result is not None and edge.target in result.components:
        words.append(f"up {fmt_pct(result.components[edge.target].availability_with_domains)}")
    return words


def node_lines(view: View, name: str) -> list[str]:
    """A node's label as plain lines, for the text exports (Mermaid, D2)."""
    design, result = view.design, view.result
    c = design.components[name]
    lines = [c.kind.upper() + (f" · {c.engine}" if c.engine else ""), c.name]
    if c.kind != "client":
        if replicas_text(c):
            lines.append(replicas_text(c))
        lines.append(fmt_pct(c.availability) + (" each" if c.replicas > 1 else "")
                     + (f" · hit {fmt_pct(c.hit_ratio, 0)}" if c.hit_ratio is not None else ""))
    if name in view.failed:
        lines.append("DOWN")
    elif name in view.degraded:
        up, n = view.degraded[name]
        lines.append(f"{up} of {n} replicas left")
    r = result.components.get(name) if result is not None else None
    if r is not None and c.kind != "client" and name not in view.failed:
        util = f" · util {fmt_pct(r.utilisation, 0)}" if r.utilisation is not None else ""
        lines.append(f"up {fmt_pct(r.availability)}{util}")
    if name in view.spof_components and name not in view.failed:
        lines.append("SPOF")
    return lines


def title_lines(view: View) -> list[str]:
    """The diagram's title as plain lines, for the text exports."""
    design, result, flow = view.design, view.result, view.flow_result
    lines = [design.name + (f" · flow {view.flow}" if view.flow else "")]
    if view.down:
        lines.append(f"what-if: {', '.join(view.down)} down · {view.rerouted} call"
                     f"{'s' if view.rerouted != 1 else ''} rerouted · utilisation after the move")
    if flow is not None:
        lines += [f"{s['status'].upper()} {s['text']}" for s in _flow_slos(flow)]
    elif result is not None:
        failing = sum(1 for f in result.flows.values() if f.status == "fail")
        what = "availability and throughput SLOs" if result.latency_skipped else "SLOs"
        lines.append(f"{what} failing in {failing} of {len(result.flows)} flows" if failing
                     else f"{what} met ({count(len(result.flows), 'flow')})")
    n = len(view.spof_components) + len(view.spof_domains)
    if n:
        lines.append(f"{n} SPOF{'s' if n != 1 else ''} (red)")
    return lines


def edge_words(design: Design, call: Call, target: str) -> list[str]:
    """What an edge says about its call, in every format: optional, on miss, write, xN."""
    src = design.components[call.source]
    words: list[str] = []
    if call.optional and not call.asynchronous:
        words.append("optional")
    if src.kind in ("cache", "cdn") and src.hit_ratio is not None:
        words.append(f"on miss {fmt_pct(1 - src.hit_ratio, 0)}")
    if call.write:
        words.append("write")
    if call.count > 1:
        words.append(f"×{call.count}" + (" parallel" if call.parallel else ""))
    words += resilience_words(call)
    return words


def resilience_words(call: Call) -> list[str]:
    """Timeout, retries, hedge, breaker, limit, failover of a call (resilience.md)."""
    words: list[str] = []
    if call.timeout_ms is not None:
        words.append(f"timeout {fmt_ms(call.timeout_ms)}")
    if call.retries:
        w = f"retries {call.retries}"
        if call.backoff_ms:
            w += f" backoff {fmt_ms(call.backoff_ms)}"
        if call.retry_budget is not None:
            w += f" budget {fmt_pct(call.retry_budget, 0)}"
        words.append(w)
    if call.idempotent:
        words.append("idempotent")
    if call.hedge is not None:
        words.append(f"hedge p{call.hedge:g}")
    if call.breaker:
        words.append("breaker")
    if call.limit_rps is not None:
        words.append(f"limit {fmt_rate(call.limit_rps)}")
    if call.failover_s is not None:
        words.append(f"failover {fmt_ms(call.failover_s * 1000)}")
    return words


def _flow_slos(flow: FlowResult | None) -> list[dict[str, str]]:
    """The flow's SLO verdicts for a flow view's title."""
    if flow is None:
        return []
    out = []
    for s in flow.slos:
        if s.kind == "availability":
            text = f"availability {fmt_pct(s.actual)} (SLO ≥ {numbers.exact_pct(s.target)})"
        elif s.kind == "latency":
            p = s.percentile if s.percentile is not None else 99
            got = "unbounded" if s.actual is None else numbers.latency_ms(s.actual)
            text = f"p{p:g} {got} (SLO ≤ {fmt_ms(s.target)})"
        else:
            got = "n/a" if s.actual is None else fmt_rate(s.actual)
            text = f"throughput {got} (SLO ≥ {fmt_rate(s.target)})"
        out.append(dict(status=s.status, text=text))
    return out
