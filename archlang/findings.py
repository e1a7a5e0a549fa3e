"""The findings stage: every analysis of a design and the design rules, into one Result.

    Design --analysis/ (availability, latency, capacity, resilience, data tier)-->
           --rules/ (design rules)--> findings + SLO results --> Result, one verdict

It sits above analysis/ and rules/ (it runs both) and below render/ (which shows what it
gives). The verdict is decided here once (:func:`verdict`): a failing SLO (AL001-AL003, a
flow over its own rate included) or a finding at or above the severity asked for fails;
``Result.status`` is that verdict at ``error``, and ``archlang check`` applies its selection
(``--select``/``--ignore``) and ``--fail-on`` through the same function (archlang/checks.py).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from archlang import numbers
from archlang.analysis.common import Finding, SloResult
from archlang.analysis.result import (
    Assumption,
    ComponentResult,
    CutSet,
    DataTier,
    FlowLatency,
    FlowResult,
    Result,
)
from archlang.limits import MAX_REQUEST_DEPTH
from archlang.model.design import Component, Design

if TYPE_CHECKING:
    from archlang.analysis.result import ComponentCapacity
    from archlang.errors import ArchlangError


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

    # The analyses walk a flow's tree recursively, a few frames a hop: a request of
    # MAX_REQUEST_DEPTH components needs more than Python's default 1000 frames.
    need = 20 * MAX_REQUEST_DEPTH + 1000
    if sys.getrecursionlimit() < need:
        sys.setrecursionlimit(need)
    down = tuple(down)
    forced = resolve_down(design, down)      # once; DesignError for a bad name
    down = forced.names                      # as given, a name given twice said once
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
    no_breaker: dict[str, FlowLatency] = {}
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
        timing = lat.flows.get(name)
        capacity = cap.flows.get(name)
        slos = list(a.slos) + list(timing.slos if timing else ()) + \
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
            availability_ci95=a.ci95, latency=timing, capacity=capacity, slos=tuple(slos),
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

    spofs: dict[tuple[str, ...], CutSet] = {}
    for f in flows.values():
        for s in f.spofs:
            spofs.setdefault(tuple(u.name for u in s.units), s)

    findings = [f for f in (*avail.findings, *cap.findings, *lat.findings)
                if not suppressed(design, f)]
    findings += check_rules(design)
    findings = _dedupe(findings)
    findings = _in_order(design.path, findings)

    assumptions = tuple(Assumption(subject=s, field=fld, span=sp)
                        for s, fld, sp in design.assumptions())
    status = verdict([*findings, *slo_findings(design, flows, components)])
    result = Result(system=design.name, path=design.path, flows=flows, components=components,
                  spofs=tuple(sorted(spofs.values(), key=lambda s: (-s.probability,
                                                                    [u.name for u in s.units]))),
                  findings=tuple(findings), assumptions=assumptions, down=down, status=status,
                  latency_skipped=skipped,
                  availability_report=avail, latency_report=lat, capacity_report=cap,
                  design=design)
    return result


def _data_tier(c: Component, cc: ComponentCapacity | None) -> DataTier | None:
    from archlang.analysis.quorum import store_of

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


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """Each finding once (the same code and message at the same place)."""
    seen: set[tuple[str, str, str, int, int]] = set()
    out: list[Finding] = []
    for f in findings:
        key = (f.code, f.message, f.span.file, f.span.line, f.span.column)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


#: findings at or above a severity fail a verdict
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
#: the code of a file that cannot be read, parsed or built; of a failing SLO, per kind
INVALID_CODE = "AL000"
SLO_CODES = {"availability": "AL001", "latency": "AL002", "throughput": "AL003"}


def verdict(problems: Iterable[Finding], fail_on: str = "error") -> Literal["pass", "fail"]:
    """"fail" when a failing SLO is among ``problems`` (AL001-AL003: they always fail) or a
    finding is at or above ``fail_on``; else "pass". The one verdict: Result.status is it at
    "error" over :func:`problems`, and `archlang check` over the problems it keeps."""
    limit = SEVERITY_RANK[fail_on]
    slo = set(SLO_CODES.values())
    return "fail" if any(SEVERITY_RANK[p.severity] >= limit or p.code in slo
                         for p in problems) else "pass"


def slo_text(s: SloResult) -> str:
    if s.kind == "availability":
        actual = "n/a" if s.actual is None else numbers.pct_apart(s.actual, s.target)
        budget = ("" if s.budget_use is None else
                  f" ({numbers.budget_used(s.budget_use)})")
        return (f"availability {actual} against a target of {numbers.exact_pct(s.target)}"
                + budget)
    if s.kind == "latency":
        actual = ("unbounded" if s.actual is None
                  else numbers.apart(s.actual, s.target, "ms", numbers.ms))
        return (f"p{s.percentile:g} latency {actual} against a target of "
                f"{numbers.quantity(s.target)}ms")
    actual = "unknown" if s.actual is None else numbers.apart(s.actual, s.target, " rps")
    return f"throughput up to {actual} against a target of {numbers.rate(s.target)}"


def slo_findings(design: Design, flows: Mapping[str, FlowResult],
                 components: Mapping[str, ComponentResult] | None = None) -> list[Finding]:
    """One error per failing SLO, and per flow over its own rate without a throughput SLO
    that says so (analyses.md: `slo throughput R` "or the flow's rate"); a bottleneck that
    is down (``components``' capacity status) is said to be down."""
    out: list[Finding] = []
    down = {n for n, c in (components or {}).items() if c.capacity_status == "down"}
    for fr in flows.values():
        for s in fr.slos:
            if s.status == "fail":
                out.append(Finding(code=SLO_CODES[s.kind], severity="error",
                                   message=f"flow '{fr.name}' misses its SLO: {slo_text(s)}",
                                   span=s.span, flow=fr.name))
        cap = fr.capacity
        if cap is not None and not cap.fits and not any(
                s.kind == "throughput" and s.status == "fail" for s in fr.slos):
            most = "n/a" if cap.max_rate_rps is None else numbers.rate(cap.max_rate_rps)
            out.append(Finding(
                code=SLO_CODES["throughput"], severity="error", flow=fr.name,
                message=f"flow '{fr.name}' does not fit its own rate: "
                        f"{numbers.rate(fr.rate_rps)} "
                        f"against at most {most}" + (
                            "" if not cap.bottleneck else f" ({cap.bottleneck} is down)"
                            if cap.bottleneck in down else
                            f" ({cap.bottleneck} saturates first)"),
                span=design.flows[fr.name].span))
    return out


def _in_order(path: str, findings: Iterable[Finding]) -> list[Finding]:
    """The root file first, then by file, line, column, code and message."""
    return sorted(findings, key=lambda f: (f.span.file != path, f.span.file, f.span.line,
                                           f.span.column, f.code, f.message))


def problems(result: Result) -> list[Finding]:
    """The result's findings plus its SLO findings (:func:`slo_findings`), in order: what
    `archlang check` reports and the verdict is decided on."""
    if result.design is None:
        raise ValueError("problems() needs the design the result is of (Result.design)")
    return _in_order(result.path, [*result.findings,
                                   *slo_findings(result.design, result.flows,
                                                 result.components)])


def invalid_findings(error: ArchlangError) -> list[Finding]:
    """The diagnostics of an invalid file as AL000 findings (errors)."""
    return [Finding(code=INVALID_CODE, severity="error", span=d.span,
                    message=d.message + (f" [{d.code}]" if d.code else ""), hint=d.hint)
            for d in error.diagnostics]


