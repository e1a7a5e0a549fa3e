"""The language server's analysis, run in a process of its own for each version of a file.

``run`` reads one version of a design and sends what it finds over a pipe, in stages, as
soon as each is ready, as a dict whose ``stage`` says which (the ``Message`` types below):
``model``, the diagnostics of parsing and building (exactly the CLI's: the same
ArchlangError diagnostics) and the name index; ``analysis``, the findings and failed SLOs
(as ``check`` reports them) and the figures hover shows; ``calls``, the latency of the
calls into each component; then ``done`` (``crash`` before it on a bug). The server kills
the process when a newer version arrives, so a long analysis never holds up the next edit.

Everything sent is plain data (dicts, lists, numbers): positions are 0-based lines and
code-point columns.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Literal, TypeAlias, TypedDict

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from archlang.analysis.common import Finding
    from archlang.analysis.result import Result
    from archlang.errors import Diagnostic
    from archlang.lsp.scan import Index
    from archlang.model.design import Design


# ---- what goes over the pipe -------------------------------------------------------------
class WireDiagnostic(TypedDict):
    """A diagnostic or a finding, positions 0-based (``end_col`` one past the last)."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    severity: Literal["error", "warning", "info"]
    message: str
    hint: str | None
    code: str | None


class SloFigures(TypedDict):
    kind: Literal["availability", "latency", "throughput"]
    target: float
    actual: float | None
    status: Literal["pass", "fail"]
    percentile: float | None


class ComponentFigures(TypedDict):
    kind: str
    replicas: int
    availability: float
    availability_with_domains: float
    replica_availability: float
    load_rps: float
    capacity_rps: float | None
    utilisation: float | None
    capacity_status: str
    spof_in: list[str]
    flows: list[str]


class FlowFigures(TypedDict):
    rate_rps: float
    availability: float
    nines: float
    downtime_minutes_per_30d: float
    p50: float | None
    p99: float | None
    unbounded: bool
    method: str | None
    status: Literal["pass", "fail"]
    spofs: list[str]
    slos: list[SloFigures]
    max_rate_rps: float | None
    bottleneck: str | None


class DomainFigures(TypedDict, total=False):
    availability: float
    placed: list[str]
    spof: bool                 # set once every domain is listed


class Figures(TypedDict):
    """What hover shows: each component, flow and zone or region (keyed (kind, name))."""

    components: dict[str, ComponentFigures]
    flows: dict[str, FlowFigures]
    system: str
    domains: dict[tuple[str, str], DomainFigures]


class CallLatency(TypedDict):
    """The time of the calls into a component on one flow, from one caller."""

    flow: str
    via: str | None
    p50: float
    p99: float
    share: float               # of the flow's requests that make the call


class ModelMessage(TypedDict):
    stage: Literal["model"]
    diagnostics: list[WireDiagnostic]
    index: Index


class AnalysisMessage(TypedDict):
    stage: Literal["analysis"]
    diagnostics: list[WireDiagnostic]
    figures: Figures


class CallsMessage(TypedDict):
    stage: Literal["calls"]
    calls: dict[str, list[CallLatency]]       # component -> the calls into it


class CrashMessage(TypedDict):
    stage: Literal["crash"]
    trace: str


class DoneMessage(TypedDict):
    stage: Literal["done"]


#: What ``run`` sends, stage by stage.
Message: TypeAlias = (
    "ModelMessage | AnalysisMessage | CallsMessage | CrashMessage | DoneMessage")


def _send(conn: Connection, message: Message) -> None:
    conn.send(message)


def _diag(d: Diagnostic | Finding) -> WireDiagnostic:
    return {"file": d.span.file, "line": d.span.line - 1, "col": d.span.column - 1,
            "end_line": d.span.end_line - 1, "end_col": d.span.end_column,
            "severity": d.severity, "message": d.message, "hint": d.hint, "code": d.code}


def check(path: str, text: str) -> tuple[Design | None, list[WireDiagnostic], Index]:
    """(design or None, diagnostics, index) of ``text`` read as the file ``path``."""
    from archlang.api import loads
    from archlang.errors import ArchlangError
    from archlang.lsp.scan import index

    try:
        design = loads(text, path=path)
    except ArchlangError as e:
        return None, [_diag(d) for d in e.diagnostics], index({path: text})
    return design, [], index({**design.sources, path: text})


def figures(design: Design, result: Result) -> Figures:
    """What hover shows of each component and flow, from the analysed result."""
    spof_of: dict[str, list[str]] = {}
    for f in result.flows.values():
        for cut in f.spofs:
            for u in cut.units:
                if u.kind in ("component", "replica") and u.component:
                    spof_of.setdefault(u.component, [])
                    if f.name not in spof_of[u.component]:
                        spof_of[u.component].append(f.name)
    comps: dict[str, ComponentFigures] = {}
    for name, c in result.components.items():
        comps[name] = {
            "kind": c.kind, "replicas": c.replicas, "availability": c.availability,
            "availability_with_domains": c.availability_with_domains,
            "replica_availability": c.replica_availability, "load_rps": c.load_rps,
            "capacity_rps": c.capacity_rps, "utilisation": c.utilisation,
            "capacity_status": c.capacity_status, "spof_in": sorted(spof_of.get(name, [])),
            "flows": sorted(fl for fl, fr in result.flows.items()
                            if any(h.name == name for h in (fr.latency.hops
                                                            if fr.latency else ())))}
    flows: dict[str, FlowFigures] = {}
    for name, f in result.flows.items():
        lat = f.latency
        flows[name] = {
            "rate_rps": f.rate_rps, "availability": f.availability, "nines": f.nines,
            "downtime_minutes_per_30d": f.downtime_minutes_per_30d,
            "p50": lat.p50 if lat else None, "p99": lat.p99 if lat else None,
            "unbounded": bool(lat and lat.unbounded), "method": lat.method if lat else None,
            "status": f.status,
            "spofs": [" + ".join(u.name for u in cut.units) for cut in f.spofs],
            "slos": [{"kind": s.kind, "target": s.target, "actual": s.actual,
                      "status": s.status, "percentile": s.percentile} for s in f.slos],
            "max_rate_rps": f.capacity.max_rate_rps if f.capacity else None,
            "bottleneck": f.capacity.bottleneck if f.capacity else None}
    domains: dict[tuple[str, str], DomainFigures] = {}
    for r in design.regions:
        placed = sorted(c.name for c in design.components.values()
                        if any(p.region == r.name for p in c.placement))
        domains[("region", r.name)] = {"availability": r.availability, "placed": placed}
        for z in r.zones:
            placed = sorted(c.name for c in design.components.values()
                            if any(p.key == z.key for p in c.placement))
            domains[("zone", z.key)] = {"availability": z.availability, "placed": placed}
    spof_domains = {u.name for cut in result.spofs for u in cut.units
                    if u.kind in ("zone", "region")}
    for (_kind, name), d in domains.items():
        d["spof"] = name in spof_domains
    return {"components": comps, "flows": flows, "system": result.system,
            "domains": domains}


def call_latencies(design: Design, result: Result) -> dict[str, list[CallLatency]]:
    """component -> [{flow, via, p50, p99}]: the time a call into it takes on the hop itself
    (the network into it, queueing and its service time; what it calls is not counted),
    over the requests of each flow that make the call."""
    import numpy as np

    from archlang.analysis.distributions import quantile_sorted
    from archlang.analysis.latency import flow_samples

    out: dict[str, list[CallLatency]] = {}
    capacity = result.capacity_report
    assert capacity is not None, "analyze() reports capacity"
    for name in design.flows:
        try:
            _, hops, _ = flow_samples(design, name, capacity)
        except ValueError:                 # unbounded: a component at or over 100%
            continue
        for (comp, via), parts in sorted(hops.items(), key=lambda kv: (kv[0][0],
                                                                       kv[0][1] or "")):
            t = np.asarray(parts[0], dtype=float)
            made = t[t > 0] if (t > 0).any() else t
            x = np.sort(made)
            out.setdefault(comp, []).append({
                "flow": name, "via": via, "p50": float(quantile_sorted(x, 0.5)),
                "p99": float(quantile_sorted(x, 0.99)),
                "share": float(len(made)) / float(len(t)) if len(t) else 1.0})
    return out


def run(conn: Connection, path: str, text: str) -> None:
    """The stages for one version; each is sent as soon as it is ready."""
    try:
        design, diagnostics, idx = check(path, text)
        _send(conn, ModelMessage(stage="model", diagnostics=diagnostics, index=idx))
        if design is None:
            return
        from archlang.findings import analyze, problems

        result = analyze(design)
        found = [_diag(f) for f in problems(result)]
        _send(conn, AnalysisMessage(stage="analysis", diagnostics=found,
                                    figures=figures(design, result)))
        _send(conn, CallsMessage(stage="calls", calls=call_latencies(design, result)))
    except Exception:                      # a bug: say so, never take the server down
        _send(conn, CrashMessage(stage="crash", trace=traceback.format_exc()))
    finally:
        _send(conn, DoneMessage(stage="done"))
        conn.close()


def preload() -> None:
    """Imports done once in the fork server, so that each job starts warm."""
    import numpy  # noqa: F401

    import archlang.analysis.availability
    import archlang.analysis.capacity
    import archlang.analysis.latency
    import archlang.findings
    import archlang.render.ci
    import archlang.rules  # noqa: F401
