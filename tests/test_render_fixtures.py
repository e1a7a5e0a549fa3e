"""A plausible Result for a design, built by hand, for the renderer tests.

The renderers read only the Result models; these numbers are made up in a simple,
documented way (products of component availabilities along each flow's hard calls; a
component of one replica, or with min = replicas, is a SPOF) so that every section of the
diagram and report has something to show. They are NOT the analyzers' figures: the golden
files built from ``archlang.analyze`` are in test_render_dot.py when it exists.
"""

from __future__ import annotations

import math
from pathlib import Path

import archlang
from archlang.analysis.common import Finding, SloResult, downtime_minutes, nines
from archlang.analysis.result import (
    Assumption,
    ComponentResult,
    CutSet,
    Degrading,
    FlowCapacity,
    FlowLatency,
    FlowResult,
    HopLatency,
    Importance,
    Result,
    Unit,
    ZoneLoss,
)
from archlang.analysis.common import MINUTES_PER_YEAR
from archlang.graph import flow_tree
from archlang.model.design import Design

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))


def group_availability(c) -> float:
    a, n, k = c.availability, c.replicas, c.min_replicas
    return sum(math.comb(n, i) * a**i * (1 - a) ** (n - i) for i in range(k, n + 1))


def plausible_result(design: Design, fail_flow: str | None = None) -> Result:
    comps: dict[str, ComponentResult] = {}
    load: dict[str, float] = {}
    for fl in design.flows.values():
        tree = flow_tree(design, fl)
        for node in tree.walk(include_async=True):
            load[node.name] = load.get(node.name, 0.0) + fl.rate_rps
    for c in design.components.values():
        util = None
        status = "unknown"
        if c.capacity_rps:
            util = load.get(c.name, 0.0) / (c.capacity_rps * c.min_replicas)
            status = "error" if util >= 1 else "warning" if util > 0.8 else "ok"
        comps[c.name] = ComponentResult(
            name=c.name, kind=c.kind, replicas=c.replicas, availability=group_availability(c),
            replica_availability=c.availability, load_rps=load.get(c.name, 0.0),
            capacity_rps=c.capacity_rps, utilisation=util, capacity_status=status,
            n_plus_1=(ZoneLoss(lost="one replica", remaining_replicas=c.replicas - 1,
                               utilisation=None if c.replicas == 1 else (util or 0) * c.replicas
                               / (c.replicas - 1)),) if util is not None else (),
            span=c.span)

    flows: dict[str, FlowResult] = {}
    all_spofs: dict[str, CutSet] = {}
    for fl in design.flows.values():
        tree = flow_tree(design, fl)
        hard = []

        def visit(node, needed=True):
            if needed:
                hard.append(node.component)
            for call in node.calls:
                for t in call.targets:
                    visit(t, needed and not call.optional and len(call.targets) == 1
                          and node.kind not in ("cache", "cdn"))
        visit(tree)
        avail = math.prod(group_availability(c) for c in {c.name: c for c in hard}.values())
        spofs = tuple(CutSet(units=(Unit(name=c.name, kind="component", component=c.name,
                                         span=c.span),), probability=1 - c.availability)
                      for c in {c.name: c for c in hard}.values()
                      if c.replicas == c.min_replicas and c.availability < 1)
        for s in spofs:
            all_spofs[s.units[0].name] = s
        hops, t = [], 0.0
        nodes = list(tree.walk())
        total = sum(n.component.latency.p50_ms for n in nodes) or 1.0
        total99 = sum(n.component.latency.p99_ms for n in nodes) or 1.0
        for n in nodes:
            m = n.component.latency.p50_ms
            hops.append(HopLatency(name=n.name, via=n.path[-2] if len(n.path) > 1 else None,
                                   mean_ms=m, share_of_mean=m / total,
                                   p99_ms=n.component.latency.p99_ms,
                                   share_of_p99=n.component.latency.p99_ms / total99,
                                   network_ms=0.2 if len(n.path) > 1 else 0.0))
        p50 = total
        slos = []
        for s in fl.slos:
            if s.kind == "availability":
                ok = avail >= s.target and fl.name != fail_flow
                slos.append(SloResult(kind="availability", target=s.target, actual=avail,
                                      status="pass" if ok else "fail", margin=avail - s.target,
                                      span=s.span,
                                      error_budget_minutes_per_30d=downtime_minutes(s.target),
                                      predicted_downtime_minutes_per_30d=downtime_minutes(avail),
                                      budget_use=(1 - avail) / (1 - s.target)))
            elif s.kind == "latency":
                actual = total99 * (s.percentile or 99) / 99
                slos.append(SloResult(kind="latency", target=s.target, actual=actual,
                                      percentile=s.percentile,
                                      status="pass" if actual <= s.target else "fail",
                                      margin=s.target - actual, span=s.span))
            else:
                slos.append(SloResult(kind="throughput", target=s.target, actual=fl.rate_rps,
                                      status="pass", span=s.span))
        lat = FlowLatency(name=fl.name, p50=p50, p90=(p50 + total99) / 2, p99=total99,
                          p999=total99 * 1.5, mean=p50 * 1.1, hops=tuple(hops),
                          slos=tuple(s for s in slos if s.kind == "latency"))
        importance = tuple(sorted(
            (Importance(name=c.name, kind="component", birnbaum=(1 - c.availability) * 10,
                        gain_if_perfect=1 - group_availability(c),
                        unit_availability=group_availability(c))
             for c in {c.name: c for c in hard}.values()),
            key=lambda i: (-i.birnbaum, i.name)))
        degrading = tuple(
            Degrading(unit=Unit(name=c.name, kind="component", component=c.name),
                      fraction_lost=0.15)
            for c in design.components.values()
            if c.kind == "database" and c.name in {n.name for n in nodes}
            and c.name not in {h.name for h in hard})
        cut2 = ()
        if len(spofs) >= 2:
            a, b = spofs[0].units[0], spofs[1].units[0]
            cut2 = (CutSet(units=(a, b), probability=spofs[0].probability * spofs[1].probability),)
        status = "fail" if any(s.status == "fail" for s in slos) else "pass"
        flows[fl.name] = FlowResult(
            name=fl.name, rate_rps=fl.rate_rps, availability=avail, nines=nines(avail),
            downtime_minutes_per_30d=downtime_minutes(avail),
            downtime_minutes_per_year=downtime_minutes(avail, MINUTES_PER_YEAR),
            spofs=spofs, cut_sets=cut2, degrading=degrading, importance=importance,
            latency=lat,
            capacity=FlowCapacity(name=fl.name, rate_rps=fl.rate_rps, max_rate_rps=None,
                                  bottleneck=None, fits=True),
            slos=tuple(slos), status=status)

    findings = []
    for c in design.components.values():
        if c.kind == "cache" and c.placement and len(c.placement) == 1:
            findings.append(Finding(code="AL031", severity="warning", component=c.name,
                                    message=f"every replica of {c.kind} '{c.name}' is in one zone",
                                    hint="spread the replicas over two zones", span=c.span))
    findings.sort(key=lambda f: (f.span.file, f.span.line, f.span.column))
    return Result(
        system=design.name, path=design.path, flows=flows, components=comps,
        spofs=tuple(all_spofs[k] for k in sorted(all_spofs)), findings=tuple(findings),
        assumptions=tuple(Assumption(subject=s, field=f, span=sp)
                          for s, f, sp in design.assumptions()),
        status="fail" if any(f.status == "fail" for f in flows.values()) else "pass")


def load_example(name: str) -> Design:
    return archlang.load(ROOT / "examples" / f"{name}.arch")


def test_plausible_result_is_a_valid_result():
    # The helper itself: every flow and component of the design is in its result.
    d = load_example("shop")
    r = plausible_result(d)
    assert set(r.flows) == set(d.flows)
    assert set(r.components) == set(d.components)
    assert r.components["api"].availability > 0.9999   # 4 of 6 at 99.9%
