"""What changed between two versions of a design: `archlang diff BASE HEAD`.

Compares the results, not the text: per flow the availability, nines, downtime and p99,
the SLO verdicts, SPOFs gained and lost; per component the utilisation; findings gained and
lost (matched by code and message, not by line, so moving text around is no change).
"""

from __future__ import annotations

from typing import Literal

from archlang.analysis.common import Finding, Frozen, SloResult
from archlang.analysis.result import Result


class FlowChange(Frozen):
    name: str
    change: Literal["added", "removed", "changed", "same"]
    availability_base: float | None = None
    availability_head: float | None = None
    nines_delta: float | None = None
    downtime_minutes_per_30d_delta: float | None = None
    p99_base: float | None = None
    p99_head: float | None = None
    slos_now_failing: tuple[str, ...] = ()
    slos_now_passing: tuple[str, ...] = ()
    spofs_added: tuple[str, ...] = ()
    spofs_removed: tuple[str, ...] = ()


class ComponentChange(Frozen):
    name: str
    change: Literal["added", "removed", "changed"]
    utilisation_base: float | None = None
    utilisation_head: float | None = None


class DesignDiff(Frozen):
    base: str
    head: str
    flows: tuple[FlowChange, ...]
    components: tuple[ComponentChange, ...]
    findings_added: tuple[Finding, ...]
    findings_removed: tuple[Finding, ...]
    worse: bool        # head fails an SLO base met, gains a SPOF, or gains an error finding


def _slo_key(s: SloResult) -> str:
    return s.kind + (f" p{s.percentile:g}" if s.percentile is not None else "")


def _finite(x: float | None) -> float | None:
    import math

    return x if x is None or math.isfinite(x) else None


def diff_results(base: Result, head: Result) -> DesignDiff:
    flows: list[FlowChange] = []
    names = list(base.flows) + [n for n in head.flows if n not in base.flows]
    worse = False
    for n in names:
        b, h = base.flows.get(n), head.flows.get(n)
        if b is None:
            assert h is not None, "a flow of base or head"
            flows.append(FlowChange(name=n, change="added", availability_head=h.availability,
                                    p99_head=h.latency.p99 if h.latency else None))
            worse = worse or h.status == "fail"
            continue
        if h is None:
            flows.append(FlowChange(name=n, change="removed", availability_base=b.availability))
            continue
        bs = {_slo_key(s): s.status for s in b.slos}
        hs = {_slo_key(s): s.status for s in h.slos}
        failing = tuple(k for k, v in hs.items() if v == "fail" and bs.get(k) != "fail")
        passing = tuple(k for k, v in hs.items() if v == "pass" and bs.get(k) == "fail")
        bsp = {"+".join(u.name for u in c.units) for c in b.spofs}
        hsp = {"+".join(u.name for u in c.units) for c in h.spofs}
        bn, hn = _finite(b.nines), _finite(h.nines)
        p99b = b.latency.p99 if b.latency else None
        p99h = h.latency.p99 if h.latency else None
        fc = FlowChange(
            name=n, change="same", availability_base=b.availability,
            availability_head=h.availability,
            nines_delta=(hn - bn) if bn is not None and hn is not None else None,
            downtime_minutes_per_30d_delta=h.downtime_minutes_per_30d - b.downtime_minutes_per_30d,
            p99_base=p99b, p99_head=p99h, slos_now_failing=failing, slos_now_passing=passing,
            spofs_added=tuple(sorted(hsp - bsp)), spofs_removed=tuple(sorted(bsp - hsp)))
        changed = (b.availability != h.availability or p99b != p99h or failing or passing
                   or fc.spofs_added or fc.spofs_removed)
        if changed:
            fc = fc.model_copy(update={"change": "changed"})
        worse = worse or bool(failing or fc.spofs_added)
        flows.append(fc)

    comps: list[ComponentChange] = []
    for n in list(base.components) + [n for n in head.components if n not in base.components]:
        bc, hc = base.components.get(n), head.components.get(n)
        if bc is None:
            assert hc is not None, "a component of base or head"
            comps.append(ComponentChange(name=n, change="added", utilisation_head=hc.utilisation))
        elif hc is None:
            comps.append(ComponentChange(name=n, change="removed",
                                         utilisation_base=bc.utilisation))
        elif bc.utilisation != hc.utilisation:
            comps.append(ComponentChange(name=n, change="changed",
                                         utilisation_base=bc.utilisation,
                                         utilisation_head=hc.utilisation))

    def key(f: Finding) -> tuple[str, str]:
        return (f.code, f.message)

    bk = {key(f) for f in base.findings}
    hk = {key(f) for f in head.findings}
    added = tuple(f for f in head.findings if key(f) not in bk)
    removed = tuple(f for f in base.findings if key(f) not in hk)
    worse = worse or any(f.severity == "error" for f in added)
    return DesignDiff(base=base.path, head=head.path, flows=tuple(flows),
                      components=tuple(comps), findings_added=added, findings_removed=removed,
                      worse=worse)
