"""Capacity: load, utilisation, N+1 and throughput SLOs (docs/analyses/capacity.md).

Load. A flow's ``rate`` enters at the root of its request tree (``graph.flow_tree``). A call
``xN`` (sequential or parallel) multiplies the rate it carries by N; a cache or CDN passes
``(1 - hit_ratio)`` of its incoming rate on to its calls (the miss path); a call with
alternatives ``b | c`` sends its load to the flow's primary target ``b``, or, with units
forced down, to the first alternative that can still serve (``down.route``); optional calls
and asynchronous calls (``~>``, out of a queue) carry load too. A component reached along two
branches receives both loads. The load on a component is the sum over flows.

Utilisation. ``serving`` replicas are the replicas that are up (see ``down``) for an
``active_active`` group, and 1 for ``active_passive`` (0 when every replica is down).
``utilisation = load / (capacity_rps x serving)``; status ``error`` over 100% (finding AL301),
``warning`` over 80% (AL302), ``ok`` otherwise, ``unknown`` without a declared capacity.
Comparisons use a relative tolerance of 1e-9 so that float rounding never flips a verdict.

N+1. For every zone holding serving replicas of a component with a capacity, and for the
loss of "one replica" when at least two replicas serve, the utilisation with the rest; if the
worst loss leaves it at or over 100% (or leaves no replica), warning AL303 names the loss.

Flow capacity. ``max_rate_rps`` is the flow rate at which the first component of its tree
reaches 100% with the other flows' loads unchanged (loads are linear in the rate);
``bottleneck`` is that component. ``slo throughput R`` passes when every component of the
flow stays below 100% at rate R, i.e. ``R < max_rate_rps``.

The function is pure: no I/O, no clock, no randomness.

Size: one analysis: the load of every flow carried down its request tree, and the figures
that read that one load table (utilisation, N+1 after a zone, the data tier's node loads,
retry amplification); split, each part would pass the table and the trees around.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal

from archlang.analysis.common import Finding, SloResult
from archlang.analysis.down import NO_DOWN, Down, as_down, route, up_replicas
from archlang.analysis.quorum import Op, Store, op_for, store_of
from archlang.analysis.result import (
    CallLoad,
    CapacityReport,
    ComponentCapacity,
    FlowCapacity,
    ZoneLoss,
)
from archlang.analysis.ring import RingLoad, hottest, ring_load
from archlang.graph import FlowCall, FlowNode, flow_tree
from archlang.model.design import Component, Design

if TYPE_CHECKING:  # pragma: no cover
    from archlang.analysis.resilience import Plan

WARNING_UTILISATION = 0.8
ERROR_UTILISATION = 1.0
TOLERANCE = 1e-9            # relative, for comparisons of utilisations and rates

__all__ = ["analyze_capacity", "flow_loads", "serving_replicas", "up_replicas"]

#: A component's verdict (``ComponentCapacity.status``); "down": forced down, serves nothing.
CapacityStatus = Literal["ok", "warning", "error", "unknown", "down"]
#: Per store, the rate of each of its operations (rps); what ``flow_loads`` collects.
StoreOps = dict[str, dict[Op, float]]


# ---- load ------------------------------------------------------------------------------------
def flow_loads(tree: FlowNode, rate: float, down: Down = NO_DOWN,
               ops: StoreOps | None = None, consistency: str | None = None
               ) -> dict[str, float]:
    """Load (rps) each component of one flow's tree receives at ``rate``, in tree order.

    A call with alternatives sends its load to ``down.route``: the primary, or with units
    forced down the first alternative that can still serve. ``ops``, when given, receives
    per store the rate of each of its operations (``quorum.Op``); a sharded cache sends the
    keys of its lost shards on as misses."""
    loads: dict[str, float] = {}

    def visit(node: FlowNode, r: float, fc: FlowCall | None = None) -> None:
        loads[node.name] = loads.get(node.name, 0.0) + r
        st = store_of(node.component)
        if st is not None and ops is not None:
            op = op_for(st, bool(fc and fc.write), bool(fc and fc.call.scatter), consistency)
            per = ops.setdefault(node.name, {})
            per[op] = per.get(op, 0.0) + r
        out = r
        if node.kind in ("cache", "cdn"):
            h = node.component.hit_ratio or 0.0
            if st is not None and down:
                up = set(up_replicas(node.component, down))
                h *= 1.0 - ring_load(st, {}, [i in up for i in range(st.nodes)]).lost
            out = r * (1.0 - h)
        for fc2 in node.calls + node.async_calls:
            if fc2.targets:
                visit(route(fc2, down), out * fc2.count, fc2)

    visit(tree, rate)
    return loads


def _count_queues_once(trees: Mapping[str, FlowNode], by_flow: dict[str, dict[str, float]],
                       per_unit: dict[str, dict[str, float]]) -> None:
    """A consumer flow (``path q ~> worker``) measures what the queue delivers: when another
    flow produces into ``q``, the messages are that flow's load on ``q`` already, so the
    consumer flow adds none (a queue no flow produces into takes the consumer's rate)."""
    for name, tree in trees.items():
        if not tree.consumer:
            continue
        q = tree.name
        fed = any(q in loads and not (trees[other].consumer and trees[other].name == q)
                  for other, loads in by_flow.items() if other != name)
        if fed:
            by_flow[name].pop(q, None)
            per_unit[name].pop(q, None)


# ---- which replicas serve ---------------------------------------------------------------------
def serving_replicas(c: Component, up: int) -> int:
    """Replicas that share the load: every up one (active_active), or one (active_passive)."""
    if c.mode == "active_passive":
        return 1 if up > 0 else 0
    return up


def _utilisation(load: float, capacity: float | None, serving: int) -> float | None:
    if capacity is None:
        return None
    if load <= 0.0:
        return 0.0
    if serving <= 0 or capacity <= 0.0:
        return math.inf
    return load / (capacity * serving)


def _over(u: float, limit: float) -> bool:
    return u > limit * (1.0 + TOLERANCE)


def _at_or_over(u: float, limit: float) -> bool:
    return u >= limit * (1.0 - TOLERANCE)


def _status(u: float | None) -> CapacityStatus:
    if u is None:
        return "unknown"
    if _over(u, ERROR_UTILISATION):
        return "error"
    if _over(u, WARNING_UTILISATION):
        return "warning"
    return "ok"


def _pct(u: float | None) -> str:
    if u is None:
        return "no replica left"
    if math.isinf(u):
        return "unbounded (no replica serves)"
    return f"{u * 100:.1f}%"


def quantity(x: float) -> str:
    from archlang.numbers import quantity as q

    return q(x)


def _rps(x: float) -> str:
    from archlang.numbers import rate

    return rate(x)


# ---- N+1 ----------------------------------------------------------------------------------
def _n_plus_1(c: Component, up: list[int], load: float) -> tuple[ZoneLoss, ...]:
    if c.capacity_rps is None:
        return ()
    placements = c.replica_placements()
    zones = sorted({p.key for p in (placements[i] for i in up)
                    if p is not None and p.zone is not None})
    out: list[ZoneLoss] = []
    for z in zones:
        rest = [i for i in up if (p := placements[i]) is None or p.key != z]
        serving = serving_replicas(c, len(rest))
        u = _utilisation(load, c.capacity_rps, serving) if serving else None
        out.append(ZoneLoss(lost=z, remaining_replicas=serving, utilisation=u))
    serving = serving_replicas(c, len(up))
    if serving >= 2:
        out.append(ZoneLoss(lost="one replica", remaining_replicas=serving - 1,
                            utilisation=_utilisation(load, c.capacity_rps, serving - 1)))
    return tuple(out)


# ---- the analysis ---------------------------------------------------------------------------
def analyze_capacity(design: Design, down: Iterable[str] | Down = (),
                     plan: Plan | None = None) -> CapacityReport:
    """Load, utilisation and N+1 of every component, capacity of every flow.

    ``down`` names units forced failed (``archlang.analysis.down``): components, zones
    ("region.zone"), regions, or replicas ("name[i]", from 1), or is a resolved ``Down``.
    Their replicas do not serve, and a call with alternatives sends its load to the first
    one that can still serve. An unknown or ambiguous name raises
    :class:`archlang.errors.DesignError`.
    """
    forced = as_down(design, down)

    trees = {name: flow_tree(design, fl) for name, fl in design.flows.items()}
    amp: dict[str, float] = {}
    calls: tuple[CallLoad, ...] = ()
    if plan is None:
        by_flow = {name: flow_loads(trees[name], fl.rate_rps, forced)
                   for name, fl in design.flows.items()}
        per_unit = {name: flow_loads(trees[name], 1.0, forced) for name in design.flows}
    else:  # retries, hedges and limits (analysis/resilience.py)
        from archlang.analysis import resilience as R

        by_flow, scales = R.limited_loads(design, plan, trees, forced)
        per_unit = {name: R.flow_loads(plan, name, trees[name], 1.0, forced, scales)
                    for name in design.flows}
        amp = R.amplification(design)
        calls = R.call_loads(plan)
    _count_queues_once(trees, by_flow, per_unit)
    # The operations each flow makes on each store (reads, writes, scatter), scaled to the
    # load the store receives (retries and limits included).
    ops_by_flow: dict[str, StoreOps] = {name: {} for name in design.flows}
    for name, fl in design.flows.items():
        plain = flow_loads(trees[name], fl.rate_rps, forced, ops_by_flow[name], fl.consistency)
        for comp, per in ops_by_flow[name].items():
            base = plain.get(comp, 0.0)
            k = by_flow[name].get(comp, 0.0) / base if base > 0 else 0.0
            if k != 1.0:
                ops_by_flow[name][comp] = {op: r * k for op, r in per.items()}
    # store -> flow -> RingLoad at the flow's rate
    store_loads: dict[str, dict[str, RingLoad]] = {}

    components: dict[str, ComponentCapacity] = {}
    findings: list[Finding] = []
    # component -> flow -> load, the flows in order (one pass, not one per component)
    by_comp: dict[str, dict[str, float]] = {}
    for f, loads in by_flow.items():
        for comp, x in loads.items():
            by_comp.setdefault(comp, {})[f] = x
    for c in design.components.values():
        lbf = by_comp.get(c.name, {})
        load = math.fsum(lbf.values())
        up = up_replicas(c, forced)
        st = store_of(c)
        if st is not None:
            rates: dict[Op, float] = {}
            for f in lbf:
                for op, r in ops_by_flow[f].get(c.name, {}).items():
                    rates[op] = rates.get(op, 0.0) + r
            store_loads[c.name] = {f: ring_load(st, ops_by_flow[f].get(c.name, {}),
                                                _up_mask(st, up)) for f in lbf}
            components[c.name] = _store_capacity(c, st, load, lbf, rates, up)
            findings += _component_findings(c, components[c.name])
            continue
        serving = serving_replicas(c, len(up))
        u = _utilisation(load, c.capacity_rps, serving)
        status: CapacityStatus = _status(u)
        if not up and c.kind != "client":     # forced down: it serves nothing
            u, status = None, "down"
        n1 = _n_plus_1(c, up, load)
        at_min = None
        if c.mode == "active_active" and c.min_replicas > 1 and c.capacity_rps:
            at_min = load / (c.capacity_rps * c.min_replicas)
        components[c.name] = ComponentCapacity(
            name=c.name, kind=c.kind, load_rps=load, capacity_rps=c.capacity_rps,
            serving_replicas=serving, utilisation=u, status=status, n_plus_1=n1,
            load_by_flow=lbf, utilisation_at_min=at_min,
            retry_amplification=amp.get(c.name, 1.0))
        findings += _component_findings(c, components[c.name])

    flows: dict[str, FlowCapacity] = {}
    for name, fl in design.flows.items():
        flows[name] = _flow_capacity(design, name, fl.rate_rps, per_unit[name], by_flow,
                                     components, store_loads)
    findings.sort(key=lambda f: (f.span.file, f.span.line, f.span.column, f.code))
    return CapacityReport(components=components, flows=flows, findings=tuple(findings),
                          calls=calls)


def _up_mask(st: Store, up: list[int]) -> list[bool]:
    alive = set(up)
    return [i in alive for i in range(st.nodes)]


def _store_capacity(c: Component, st: Store, load: float, lbf: dict[str, float],
                    rates: Mapping[Op, float], up: list[int]) -> ComponentCapacity:
    """A store: node operations per node, the hottest node x skew against the capacity of
    one node; N+1 for each zone and for the worst single node (data-tier.md)."""
    rl = ring_load(st, rates, _up_mask(st, up))
    j, hot = hottest(st, rl)
    cap = c.capacity_rps
    if cap is None:
        u = None
    elif hot <= 0.0:
        u = 0.0 if load <= 0.0 or up else math.inf
    else:
        u = hot / cap if cap > 0 else math.inf
    n1: list[ZoneLoss] = []
    if cap is not None:
        placements = c.replica_placements()
        zones = sorted({p.key for p in (placements[i] for i in up)
                        if p is not None and p.zone is not None})

        def after(lose: set[int]) -> tuple[int, float | None]:
            rest = [i for i in up if i not in lose]
            if not rest:
                return 0, None
            r2 = ring_load(st, rates, _up_mask(st, rest))
            return len(rest), hottest(st, r2)[1] / cap if cap > 0 else math.inf
        for z in zones:
            left, uz = after({i for i in up if (p := placements[i]) is not None
                              and p.key == z})
            n1.append(ZoneLoss(lost=z, remaining_replicas=left, utilisation=uz))
        if len(up) >= 2:
            worst = max((after({i}) for i in up),
                        key=lambda x: math.inf if x[1] is None else x[1])
            n1.append(ZoneLoss(lost="one replica", remaining_replicas=worst[0],
                               utilisation=worst[1]))
    all_up = len(up) == st.nodes
    return ComponentCapacity(
        name=c.name, kind=c.kind, load_rps=load, capacity_rps=cap, serving_replicas=len(up),
        utilisation=u, status=_status(u), n_plus_1=tuple(n1), load_by_flow=lbf,
        node_loads=rl.nodes, hottest_node=f"{c.name}[{j + 1}]",
        keys_moved=None if all_up else rl.keys_moved,
        keys_lost=None if all_up else rl.lost)


def _component_findings(c: Component, cc: ComponentCapacity) -> list[Finding]:
    out: list[Finding] = []
    u = cc.utilisation
    if u is None:
        return out
    how = (f"{_rps(cc.load_rps)} on {cc.serving_replicas} serving replica"
           f"{'s' if cc.serving_replicas != 1 else ''} of {_rps(cc.capacity_rps or 0.0)}")
    if cc.node_loads:
        st = store_of(c)
        assert st is not None, "node loads are a store's"
        top = max(cc.node_loads)
        how = (f"hottest node {cc.hottest_node} takes {quantity(top)} node ops/s"
               + (f" x skew {st.skew:g}" if st.skew != 1 else "")
               + f" of {_rps(cc.capacity_rps or 0.0)} per node")
    if cc.status == "error":
        out.append(Finding(code="AL301", severity="error", component=c.name, span=c.span,
                           message=f"{c.kind} {c.name} is over capacity: {_pct(u)} ({how})",
                           hint="add replicas or capacity, or put a cache in front"))
    elif cc.status == "warning":
        out.append(Finding(code="AL302", severity="warning", component=c.name, span=c.span,
                           message=f"{c.kind} {c.name} runs hot: {_pct(u)} of capacity ({how})",
                           hint="keep utilisation under 80% for headroom: queueing delay "
                                "grows fast near 100%"))
    if cc.utilisation_at_min is not None and _at_or_over(cc.utilisation_at_min,
                                                         ERROR_UTILISATION):
        out.append(Finding(
            code="AL304", severity="warning", component=c.name, span=c.span,
            message=(f"{c.kind} {c.name} counts on {c.min_replicas} replicas (min "
                     f"{c.min_replicas}) but they cannot carry its load: "
                     f"{_pct(cc.utilisation_at_min)} of {c.min_replicas} x "
                     f"{_rps(c.capacity_rps or 0.0)}"),
            hint="raise min to the replicas the load needs, or capacity per replica"))
    if cc.load_rps > 0 and cc.n_plus_1:
        bad = [z for z in cc.n_plus_1
               if z.utilisation is None or _at_or_over(z.utilisation, ERROR_UTILISATION)]
        if bad:
            worst = max(bad, key=lambda z: math.inf if z.utilisation is None else z.utilisation)
            left = ("no replica" if worst.utilisation is None else
                    f"{_pct(worst.utilisation)} utilisation on {worst.remaining_replicas} "
                    f"serving replica{'s' if worst.remaining_replicas != 1 else ''}")
            msg = f"{c.kind} {c.name} fails N+1: losing {worst.lost} leaves {left}"
            others = [z for z in bad if z is not worst]
            if others:
                msg += "; also at or over 100% after losing " + ", ".join(
                    f"{z.lost} ({_pct(z.utilisation)})" for z in others)
            out.append(Finding(
                code="AL303", severity="warning", component=c.name, span=c.span,
                message=msg,
                hint=(f"add a replica in another zone (every replica is in {worst.lost})"
                      if worst.utilisation is None and worst.lost != "one replica" else
                      "add a replica (a single replica has no spare)"
                      if worst.utilisation is None else
                      "add replicas or capacity per replica so that the rest carry the "
                      f"load without {worst.lost}")))
    return out


def _flow_capacity(design: Design, name: str, rate: float, unit: dict[str, float],
                   by_flow: dict[str, dict[str, float]],
                   components: dict[str, ComponentCapacity],
                   store_loads: Mapping[str, Mapping[str, RingLoad]] | None = None
                   ) -> FlowCapacity:
    max_rate: float | None = None
    bottleneck: str | None = None
    fits = True
    for comp_name, k in unit.items():          # tree order: ties go to the first reached
        cc = components[comp_name]
        if cc.capacity_rps is None:
            continue
        u = cc.utilisation
        if u is not None and _at_or_over(u, ERROR_UTILISATION):
            fits = False
        if cc.status == "down" and k > 0.0:     # its share of the flow has nowhere to go
            fits = False
        if k <= 0.0:
            continue
        if store_loads and comp_name in store_loads:
            r = _store_max_rate(design, name, rate, store_loads[comp_name], cc)
            if r is None:
                continue
        else:
            others = math.fsum(loads.get(comp_name, 0.0) for f, loads in by_flow.items()
                               if f != name)
            limit = cc.capacity_rps * cc.serving_replicas
            r = max(0.0, (limit - others) / k)
        if max_rate is None or r < max_rate:
            max_rate, bottleneck = r, comp_name
    slos: list[SloResult] = []
    for slo in design.flows[name].slos:
        if slo.kind != "throughput":
            continue
        if max_rate is None:
            slos.append(SloResult(kind="throughput", target=slo.target, actual=None,
                                  status="pass", margin=None, span=slo.span))
            continue
        ok = slo.target < max_rate * (1.0 - TOLERANCE)
        slos.append(SloResult(kind="throughput", target=slo.target, actual=max_rate,
                              status="pass" if ok else "fail", margin=max_rate - slo.target,
                              span=slo.span))
    unknown = tuple(c for c in unit if components[c].capacity_rps is None
                    and components[c].kind != "client")
    return FlowCapacity(name=name, rate_rps=rate, max_rate_rps=max_rate, bottleneck=bottleneck,
                        fits=fits, slos=tuple(slos), capacity_unknown=unknown)


def _store_max_rate(design: Design, name: str, rate: float, loads: Mapping[str, RingLoad],
                    cc: ComponentCapacity) -> float | None:
    """The flow's rate at which a store's hottest node (x skew) reaches its capacity, the
    other flows unchanged: node loads are linear in each flow's rate."""
    own = loads.get(name)
    if own is None or rate <= 0.0:
        return None
    st = store_of(design.components[cc.name])
    cap = cc.capacity_rps
    assert st is not None and cap is not None, "a store with a capacity"
    skew = st.skew
    n = len(own.nodes)
    others = [math.fsum(rl.nodes[i] for f, rl in loads.items() if f != name) for i in range(n)]
    best = None
    for i in range(n):
        per = own.nodes[i] / rate
        if per <= 0.0:
            continue
        r = max(0.0, (cap / skew - others[i]) / per)
        best = r if best is None else min(best, r)
    return best
