"""Availability of every flow: the expected fraction of its requests that succeed.

The model (docs/analyses/availability.md gives every formula and a worked example):

* Units fail independently: each replica of a component is up with the component's
  ``availability`` a; each zone and each region with its own availability. Replica i runs at
  ``placement[i % len(placement)]``; it is *effectively* up when it, its zone (if placed in a
  zone) and its region are up. A component without placement is in no failure domain.
  Clients never fail.
* A component's group is up when at least k of its n replicas are effectively up
  (``replicas n min k``; active_passive: k = 1). An active_passive group is further
  multiplied by an independent failover factor ``1 - min(T / MTBF, 1)``: failures arrive at
  rate 1/MTBF and each costs T of downtime. The factor is a pseudo-event, never a unit.
* The success fraction of one request on the flow tree (``archlang.graph.flow_tree``)::

      S(node)  = up(node) * prod_calls f(call)
      S(cache) = up * (h + (1 - h) * prod_calls f(call))     # cache and cdn, h = hit ratio
      S(queue) = up                                          # the producer's request ends there
      f(call)  = 1 if optional, else g ** count
      g        = S(t1) + (1 - S(t1)) * S(t2) + ...           # alternatives, tried in order

  A = E[S(root)] over the states of all units.

The stages, one module each: ``replica_groups`` (each component as the engines see it and
P(group up)), ``overrides`` (what-if units forced by ``down``), ``compiled_flow`` (the flow
tree as a list of nodes), ``success_dist`` (distributions of S), ``exact`` (the exact
engine, "recursive factoring"; beyond its work limit the flow is estimated by Monte Carlo,
``archlang.analysis.montecarlo``, and ``method`` says so), ``spof`` (cut sets, importance)
``slo`` (SLO verdicts) and ``extranine`` (the extra-nine rule, AL101 and AL102). This module
runs them per flow.

What-if (``down``): names are resolved by ``archlang.analysis.down``; forced components,
zones and regions become overrides, and a forced replica a failure domain of its own that is
forced down (``down_overrides``, ``component_models``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from archlang.analysis import exact
from archlang.analysis.common import (
    MINUTES_PER_30D,
    MINUTES_PER_YEAR,
    Finding,
    downtime_minutes,
    nines,
)
from archlang.analysis.compiled_flow import compile_flow
from archlang.analysis.down import Down, as_down
from archlang.analysis.extranine import FlowNeed, extra_nine_findings
from archlang.analysis.overrides import down_overrides
from archlang.analysis.replica_groups import (
    component_availability,
    component_models,
    domain_availability,
)
from archlang.analysis.result import AvailabilityReport, ComponentAvailability, FlowAvailability
from archlang.analysis.slo import availability_slo
from archlang.model.design import Design

if TYPE_CHECKING:  # pragma: no cover
    from archlang.analysis.resilience import Plan

#: Beyond the exact engine's work limit (``archlang.analysis.exact.EXACT_WORK_LIMIT``) a flow is
#: estimated by Monte Carlo with ``FALLBACK_TRIALS`` trials, the fixed seed.
FALLBACK_TRIALS = 1_000_000
FALLBACK_IMPORTANCE_TRIALS = 100_000


def analyze_availability(design: Design, down: Sequence[str] | Down = (),
                         plan: Plan | None = None, detail: bool = True) -> AvailabilityReport:
    """Availability, SPOFs, cut sets, degrading units, importance and availability SLOs of
    every flow, and each component's own availability. ``down`` forces units down: names
    (see ``archlang.analysis.down``) or a resolved ``Down``. ``detail=False`` (a diagram):
    no cut sets of order 2, degrading units or importance (left empty), the rest alike."""
    from archlang.analysis import spof

    forced = as_down(design, down)
    base = down_overrides(forced)
    models = component_models(design, forced)
    domains = domain_availability(design)

    components: dict[str, ComponentAvailability] = {}
    for c in design.components.values():
        cm = models[c.name]
        components[c.name] = ComponentAvailability(
            name=c.name, kind=c.kind,
            availability=component_availability(cm, {}, base),    # domains taken as up
            availability_with_domains=component_availability(cm, domains, base),
            replica_availability=cm.a)

    flows: dict[str, FlowAvailability] = {}
    findings: list[Finding] = []
    needs: list[FlowNeed] = []      # the extra-nine rule looks at every flow at once
    for fl in design.flows.values():
        fm = compile_flow(design, fl.name, models, domains, forced)
        engine = exact.ExactEngine(fm, base)
        method = "exact"
        ci95 = None
        mc = None
        if engine.work > exact.EXACT_WORK_LIMIT:
            from archlang.analysis.montecarlo import DEFAULT_SEED, FlowSampler

            mc = FlowSampler(fm, base, trials=FALLBACK_TRIALS, seed=DEFAULT_SEED)
            est = mc.estimate()
            a = est.estimate
            ci95 = (est.ci_low, est.ci_high)
            method = (f"monte carlo ({engine.work} exact states exceed "
                      f"{exact.EXACT_WORK_LIMIT}), "
                      f"{est.trials} trials, seed {est.seed}, 95% CI "
                      f"[{est.ci_low:.9f}, {est.ci_high:.9f}]")
            # Importance: what-ifs on a smaller sample with common random numbers.
            imp = FlowSampler(fm, base, trials=FALLBACK_IMPORTANCE_TRIALS, seed=DEFAULT_SEED)
            evaluate, a_ref = imp.availability, imp.availability({})
        else:
            a = engine.availability()
            evaluate, a_ref = engine.availability, a
        units = spof.flow_units(design, fm, base)
        if detail:
            cuts1, cuts2, n_cuts2 = spof.cut_sets_counted(fm, units, base)
            degrading = spof.degrading(fm, units, base)
            importance = spof.importance(design, fm, evaluate, a_ref, base, components)
        else:
            cuts1, cuts2, n_cuts2 = spof.spofs_only(fm, units, base), (), 0
            degrading, importance = (), ()
        a_state, a_transient = a, 1.0
        if plan is not None:   # request based: error rates, timeouts, retries, limits
            from archlang.analysis.resilience import request_availability

            a, a_transient, how = request_availability(design, fm, base, plan, a_state)
            if how:
                method += how
        slos = tuple(availability_slo(s.target, a, s.span) for s in fl.slos
                     if s.kind == "availability")
        flows[fl.name] = FlowAvailability(
            name=fl.name, availability=a, nines=nines(a), availability_state=a_state,
            availability_transient=a_transient,
            downtime_minutes_per_30d=downtime_minutes(a, MINUTES_PER_30D),
            downtime_minutes_per_year=downtime_minutes(a, MINUTES_PER_YEAR),
            spofs=cuts1, cut_sets=cuts2, cut_sets_total=n_cuts2, degrading=degrading,
            importance=importance,
            slos=slos, method=method, ci95=ci95)
        av = [s for s in fl.slos if s.kind == "availability"]
        if av:
            top = max(av, key=lambda s: s.target)
            needs.append(FlowNeed(fl.name, top.target, tuple(spof.hard_dependencies(fm, base)),
                                  top.span))
    findings += extra_nine_findings(design, needs, models, domains, base)
    findings.sort(key=lambda f: (f.span.file, f.span.line, f.span.column, f.message))
    return AvailabilityReport(flows=flows, components=components, findings=tuple(findings),
                              down=forced.names)
