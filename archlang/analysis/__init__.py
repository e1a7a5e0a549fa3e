"""Analyses of a design: availability, latency, capacity and design rules -> one Result."""

from __future__ import annotations

from typing import Iterable, Sequence

from archlang.analysis.result import (
    Assumption,
    ComponentResult,
    CutSet,
    FlowResult,
    Result,
)
from archlang.model.design import Design


def analyze(design: Design, down: Sequence[str] = (),
            latency: Iterable[str] | None = None, detail: bool = True) -> Result:
    """Every analysis of ``design``, with the units in ``down`` failed (what-if).

    ``latency``: the flows whose latency is computed (None: every flow). A diagram passes
    only the flows it shows the latency of: the whole-design view needs none, a flow view
    its own flow. The flows left out have ``latency`` None, their latency SLOs are not
    judged, and ``Result.latency_skipped`` names them. ``detail=False`` (a diagram, which
    shows SPOFs but no other cut set): flows carry no cut sets of order 2, degrading units or
    importance; every other figure is the same."""
    import gc

    # The collector paused, as the parser and the builder pause it: the analyses allocate
    # results that live until the end (at 10,000 components the collector's full passes
    # over them, again and again, made the analyses grow faster than the design), and
    # make no reference cycles worth collecting before the end.
    was_on = gc.isenabled()
    gc.disable()
    try:
        return _analyze(design, down, latency, detail)
    finally:
        if was_on:
            gc.enable()


def _analyze(design: Design, down: Sequence[str], latency: Iterable[str] | None,
             detail: bool = True) -> Result:
    from archlang.analysis.availability import analyze_availability
    from archlang.analysis.capacity import analyze_capacity
    from archlang.analysis.down import resolve_down
    from archlang.analysis.latency import analyze_latency
    from archlang.analysis.resilience import build_plan, uses_resilience
    from archlang.rules import check_rules, suppressed

    import sys

    from archlang.limits import MAX_REQUEST_DEPTH

    # The analyses walk a flow's tree recursively, a few frames a hop: a request of
    # MAX_REQUEST_DEPTH components needs more than Python's default 1000 frames.
    need = 20 * MAX_REQUEST_DEPTH + 1000
    if sys.getrecursionlimit() < need:
        sys.setrecursionlimit(need)
    down = tuple(down)
    forced = resolve_down(design, down)      # once; DesignError for a bad name
    plan = None
    cap = analyze_capacity(design, forced)
    if uses_resilience(design):
        # timeouts, retries, hedges, limits (analysis/resilience.py): P(L > T) and the
        # hedging percentiles at the load without retries, then the load with them
        plan = build_plan(design, cap, forced)
        cap = analyze_capacity(design, forced, plan=plan)
    avail = analyze_availability(design, forced, plan=plan, detail=detail)
    timed = None if latency is None else [f for f in design.flows if f in set(latency)]
    lat = analyze_latency(design, cap, down=forced, flows=timed, plan=plan)
    skipped = tuple(f for f in design.flows if f not in lat.flows)
    no_breaker: dict = {}
    if plan is not None and forced:
        # --down of a callee behind a breaker: the same what-if timed without the breakers
        from archlang.analysis.resilience import without_breakers

        alt = without_breakers(design, forced)
        if alt is not None:
            nb = analyze_latency(alt, cap, down=forced, flows=list(lat.flows), plan=plan)
            no_breaker = {n: fl for n, fl in nb.flows.items()
                          if (fl.p50, fl.p99, fl.p999) != (lat.flows[n].p50, lat.flows[n].p99,
                                                           lat.flows[n].p999)}

    flows: dict[str, FlowResult] = {}
    for name, fl in design.flows.items():
        a = avail.flows[name]
        latency = lat.flows.get(name)
        capacity = cap.flows.get(name)
        slos = list(a.slos) + list(latency.slos if latency else ()) + \
            list(capacity.slos if capacity else ())
        slos.sort(key=lambda s: (s.span.line, s.span.column))
        flows[name] = FlowResult(
            name=name, rate_rps=fl.rate_rps, availability=a.availability, nines=a.nines,
            availability_state=a.availability_state,
            availability_transient=a.availability_transient,
            latency_without_breaker=no_breaker.get(name),
            downtime_minutes_per_30d=a.downtime_minutes_per_30d,
            downtime_minutes_per_year=a.downtime_minutes_per_year,
            spofs=a.spofs, cut_sets=a.cut_sets, cut_sets_total=a.cut_sets_total,
            degrading=a.degrading,
            importance=a.importance, availability_method=a.method,
            availability_ci95=a.ci95, latency=latency, capacity=capacity, slos=tuple(slos),
            # an SLO fails, or the flow's own rate does not fit (analyses.md: `slo
            # throughput R` "or the flow's rate")
            status="fail" if (any(s.status == "fail" for s in slos)
                              or (capacity is not None and not capacity.fits)) else "pass")

    components: dict[str, ComponentResult] = {}
    for name, c in design.components.items():
        ca = avail.components[name]
        cc = cap.components.get(name)
        components[name] = ComponentResult(
            name=name, kind=c.kind, replicas=c.replicas, availability=ca.availability,
            availability_with_domains=ca.availability_with_domains,
            replica_availability=ca.replica_availability,
            load_rps=cc.load_rps if cc else 0.0, capacity_rps=c.capacity_rps,
            utilisation=cc.utilisation if cc else None,
            capacity_status=cc.status if cc else "unknown",
            utilisation_at_min=cc.utilisation_at_min if cc else None,
            n_plus_1=cc.n_plus_1 if cc else (), data_tier=_data_tier(c, cc),
            retry_amplification=cc.retry_amplification if cc else 1.0, span=c.span)

    spofs: dict[tuple, CutSet] = {}
    for f in flows.values():
        for s in f.spofs:
            spofs.setdefault(tuple(u.name for u in s.units), s)

    findings = [f for f in (*avail.findings, *cap.findings, *lat.findings)
                if not suppressed(design, f)]
    findings += check_rules(design)
    findings = _dedupe(findings)
    findings.sort(key=lambda f: (f.span.file != design.path, f.span.file, f.span.line,
                                 f.span.column, f.code, f.message))

    assumptions = tuple(Assumption(subject=s, field=fld, span=sp)
                        for s, fld, sp in design.assumptions())
    status = "fail" if any(f.status == "fail" for f in flows.values()) else "pass"
    result = Result(system=design.name, path=design.path, flows=flows, components=components,
                  spofs=tuple(sorted(spofs.values(), key=lambda s: (-s.probability,
                                                                    [u.name for u in s.units]))),
                  findings=tuple(findings), assumptions=assumptions, down=down, status=status,
                  latency_skipped=skipped,
                  availability_report=avail, latency_report=lat, capacity_report=cap)
    result._design = design
    return result


def _data_tier(c, cc):
    from archlang.analysis.quorum import store_of
    from archlang.analysis.result import DataTier

    st = store_of(c)
    if st is None:
        return None
    wq = st.op("write").quorum
    return DataTier(replication=st.style, nodes=st.nodes, rf=st.rf, shards=st.shards,
                    read_quorum=st.op("read").quorum, write_quorum=wq, skew=st.skew,
                    node_loads=cc.node_loads or () if cc else (),
                    hottest_node=cc.hottest_node if cc else None,
                    keys_moved=cc.keys_moved if cc else None,
                    keys_lost=cc.keys_lost if cc else None)


def _dedupe(findings):
    seen = set()
    out = []
    for f in findings:
        key = (f.code, f.message, f.span.file, f.span.line, f.span.column)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


def verdict(result: Result, fail_on: str = "error") -> str:
    """"fail" when an SLO fails or a finding is at or above ``fail_on``, else "pass"."""
    if result.status == "fail":
        return "fail"
    limit = SEVERITY_RANK[fail_on]
    if any(SEVERITY_RANK[f.severity] >= limit for f in result.findings):
        return "fail"
    return "pass"
