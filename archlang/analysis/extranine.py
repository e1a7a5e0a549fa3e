"""The extra-nine rule (Treynor et al., *The Calculus of Service Availability*, 2017): every
hard dependency of a flow should be about ten times less unavailable than the flow's SLO
allows (docs/analyses/availability.md, section 5).

The rule is applied to each thing the design can change on its own:

* a component (AL101): its replicas and zones, judged with the region that holds all of its
  replicas taken as up. Replicas, zones, an optional call or an alternative fix it;
* a region that holds every replica of a hard dependency (AL102): its own unavailability.
  Nothing inside the region lifts a component above the region, so this is said once per
  region, naming the flows and components it caps: only another region removes it. It is
  reported at the strictest SLO line that asks for it (the line the design's author can
  change, and where `# noqa` or an "on purpose" comment goes), naming the region's line.

A component whose own share is inside the allowance, in a region inside the allowance, gives
no finding even when the two together are a little over it ("about ten times").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archlang import numbers
from archlang.analysis.common import Finding
from archlang.analysis.overrides import Overrides
from archlang.model.design import Design
from archlang.span import Span

if TYPE_CHECKING:  # pragma: no cover
    from archlang.analysis.replica_groups import ComponentModel

#: Comparisons allow this relative slack: 1 - 0.9999 is 1.0000000000000286e-4 in floats.
SLACK = 1e-9


@dataclass(frozen=True)
class FlowNeed:
    """A flow's strictest availability target and its hard dependencies."""

    flow: str
    target: float
    hard: tuple[str, ...]
    span: Span | None = None  # the strictest availability SLO's line


def _over(u: float, need: float) -> bool:
    return u > need * (1.0 + SLACK) + 1e-15


def _region_of(cm: ComponentModel, region_names: set[str]) -> str | None:
    """The region holding every replica of ``cm``, if one does."""
    regions: set[str] = set()
    for ds in cm.replica_domains:
        r = next((d for d in ds if d in region_names), None)
        if r is None:
            return None
        regions.add(r)
    return regions.pop() if len(regions) == 1 else None


def _replicas_for(cm: ComponentModel, need: float) -> int | None:
    """The fewest replicas (same min) that reach the target with every domain up."""
    from archlang.analysis.replica_groups import binom_tail

    if cm.store is not None or cm.a >= 1.0:
        return None
    for n in range(cm.n + 1, 65):
        if not _over(1.0 - binom_tail(n, cm.k, cm.a) * cm.failover, need):
            return n
    return None


def _component_hint(design: Design, name: str, cm: ComponentModel,
                    domains: Mapping[str, float], base: Overrides, need: float) -> str:
    from archlang.analysis.replica_groups import component_availability

    comp = design.components[name]
    other = ("make the call optional, or give it an alternative "
             f"(`-> {name} | {name}-fallback`)")
    if comp.kind == "external":
        return ("an external's availability is its provider's: give the call an alternative "
                f"(a second provider, `-> {name} | {name}-backup`) or make it optional")
    perfect = {d: 1.0 for d in domains}
    u_replicas = 1.0 - component_availability(cm, perfect, base)
    zone_keys = {z.key for r in design.regions for z in r.zones}
    zones = sorted({d for ds in cm.replica_domains for d in ds if d in zone_keys})
    one_zone = len(zones) == 1 and _over(1.0 - domains.get(zones[0], 1.0), need)
    fixes = []
    if _over(u_replicas, need):
        if cm.failover < 1.0 and _over(1.0 - cm.failover, need):
            fixes.append(f"shorten its failover (now `failover {comp.failover_s:g}s`) or "
                         "switch to active_active")
        else:
            n = _replicas_for(cm, need)
            fixes.append(f"run {n} replicas (now {cm.n})" if n is not None else
                         "raise its replicas' availability or add replicas")
    if one_zone:
        fixes.append(f"spread its replicas over two or more zones (all in zone {zones[0]})")
    elif len(zones) >= 2 and cm.store is None:
        per_zone = {z: sum(1 for ds in cm.replica_domains if z in ds) for z in zones}
        z = min(zones, key=lambda x: (-per_zone[x], x))
        most = per_zone[z]
        if cm.n - most < cm.k:
            fixes.append(f"losing zone {z} leaves {cm.n - most} of the {cm.k} replicas it "
                         f"needs (min {cm.k}): spread them over more zones or lower min")
    if not fixes:
        fixes.append("spread its replicas over more zones or add replicas")
    return " and ".join(fixes) + f", or {other}"


def extra_nine_findings(design: Design, needs: list[FlowNeed],
                        models: Mapping[str, ComponentModel], domains: Mapping[str, float],
                        base: Overrides) -> list[Finding]:
    from archlang.analysis.replica_groups import component_availability

    findings: list[Finding] = []
    capped: dict[str, dict[str, list[str]]] = {}      # region -> flow -> components
    strictest: dict[str, float] = {}
    where_slo: dict[str, Span | None] = {}            # region -> the strictest SLO's span
    region_names = {r.name for r in design.regions}
    for fn in needs:
        need = (1.0 - fn.target) / 10.0
        for c in fn.hard:
            cm = models[c]
            region = _region_of(cm, region_names)
            own_domains = dict(domains)
            if region is not None:
                own_domains[region] = 1.0
                if _over(1.0 - domains.get(region, 1.0), need) and \
                        ("d", region) not in base:
                    capped.setdefault(region, {}).setdefault(fn.flow, []).append(c)
                    if fn.target > strictest.get(region, 0.0):
                        strictest[region] = fn.target
                        where_slo[region] = fn.span
            a_own = component_availability(cm, own_domains, base)
            if not _over(1.0 - a_own, need):
                continue
            comp = design.components[c]
            target = 1.0 - need
            where = f" with region {region} up" if region is not None else " as placed"
            findings.append(Finding(
                code="AL101", severity="warning", span=comp.span, flow=fn.flow, component=c,
                message=(f"{comp.kind} {c}, a hard dependency of flow {fn.flow}, is "
                         f"{numbers.pct_apart(a_own, target)} available{where}; the "
                         f"extra-nine rule asks for {numbers.exact_pct(target)} under the SLO "
                         f"{numbers.exact_pct(fn.target)}"),
                hint=_component_hint(design, c, cm, own_domains, base, need)))
    for region, flows in sorted(capped.items()):
        r = next(x for x in design.regions if x.name == region)
        x = strictest[region]
        target = 1.0 - (1.0 - x) / 10.0
        names = sorted({c for cs in flows.values() for c in cs})
        listed = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        flow_names = sorted(flows)
        span = where_slo[region] or r.span
        findings.append(Finding(
            code="AL102", severity="warning", span=span, flow=flow_names[0],
            message=(f"region {region} ({numbers.exact_pct(r.availability)}, "
                     f"{r.span.file}:{r.span.line}) holds every "
                     f"replica of {len(names)} hard "
                     f"dependenc{'y' if len(names) == 1 else 'ies'} of "
                     f"flow{'s' if len(flow_names) > 1 else ''} {', '.join(flow_names)} "
                     f"({listed}); the extra-nine rule asks for {numbers.exact_pct(target)} "
                     f"under the SLO {numbers.exact_pct(x)}, and no replica or zone inside the "
                     f"region gets above {numbers.exact_pct(r.availability)}"),
            hint=("only another region removes it: place replicas in a second region behind "
                  "dns or an alternative (`-> a-east | a-west`), or relax the SLO")))
    return findings
