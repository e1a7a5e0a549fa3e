"""`archlang check --format json`: the contract of interfaces.md (fields may be added).

Keys are sorted, floats are written as Python writes them (shortest round-trip form), and
an infinite figure (the nines of a flow that cannot fail) is written as null.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

from archlang.analysis.common import Finding, SloResult
from archlang.analysis.result import CutSet, FlowLatency, HopLatency, Result, ZoneLoss
from archlang.model.design import Design

if TYPE_CHECKING:
    from archlang.checks import FileCheck
    from archlang.errors import Diagnostic


def _num(x: float | None) -> float | None:
    """A number as JSON holds it: NaN and the infinities are null."""
    if x is None:
        return None
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _rate(x: float | None) -> float | None:
    """A load, rate, utilisation or latency without float noise (12 significant digits:
    359.9999999999999 is 360.0); availabilities and probabilities keep every digit (a
    thirteenth nine is a figure, not noise)."""
    from archlang.numbers import snap

    y = _num(x)
    return None if y is None else snap(float(y))


def _percentiles(lat: FlowLatency) -> dict[str, float | None]:
    """A flow's latency percentiles in ms, without float noise (12 significant digits)."""
    return {k: _rate(getattr(lat, k)) for k in ("p50", "p90", "p99", "p999", "mean")}


def _hop(h: HopLatency | ZoneLoss) -> dict[str, object]:
    """A hop of a flow's latency (times, shares) or a zone loss (utilisation), without
    float noise."""
    return {k: _rate(v) if isinstance(v, float) else v
            for k, v in h.model_dump(mode="json").items()}


def slo_json(s: SloResult) -> dict[str, object]:
    d: dict[str, object]
    if s.kind == "latency":
        d = {"kind": "latency", "percentile": s.percentile, "target_ms": s.target,
             "actual_ms": _rate(s.actual), "status": s.status}
    elif s.kind == "throughput":
        d = {"kind": "throughput", "target_rps": s.target, "actual_rps": _rate(s.actual),
             "status": s.status}
    else:
        d = {"kind": "availability", "target": s.target, "actual": _num(s.actual),
             "status": s.status, "error_budget_minutes_per_30d": s.error_budget_minutes_per_30d,
             "predicted_downtime_minutes_per_30d": s.predicted_downtime_minutes_per_30d,
             "budget_use": _num(s.budget_use)}
    d["margin"] = _num(s.margin) if s.kind == "availability" else _rate(s.margin)
    d["line"] = s.span.line
    return d


def cut_json(c: CutSet) -> dict[str, object]:
    if len(c.units) == 1:
        u = c.units[0]
        return {"unit": u.name, "kind": u.kind, "probability": c.probability,
                "line": u.span.line if u.span else None}
    return {"units": [{"unit": u.name, "kind": u.kind} for u in c.units],
            "probability": c.probability}


def finding_json(f: Finding) -> dict[str, object]:
    return {"code": f.code, "severity": f.severity, "message": f.message, "hint": f.hint,
            "file": f.span.file, "line": f.span.line, "column": f.span.column,
            "flow": f.flow, "component": f.component}


def file_json(design: Design, result: Result, status: str | None = None) -> dict[str, object]:
    flows = []
    for fr in result.flows.values():
        lat = fr.latency
        d = {
            "name": fr.name,
            "rate_rps": fr.rate_rps,
            "availability": fr.availability,
            "availability_state": fr.availability_state,
            "availability_transient": fr.availability_transient,
            "availability_method": fr.availability_method,
            "availability_ci95": list(fr.availability_ci95) if fr.availability_ci95 else None,
            "nines": _num(fr.nines),
            "downtime_minutes_per_30d": fr.downtime_minutes_per_30d,
            "downtime_minutes_per_year": fr.downtime_minutes_per_year,
            "spofs": [cut_json(c) for c in fr.spofs],
            "cut_sets": [cut_json(c) for c in fr.cut_sets],
            "cut_sets_total": fr.cut_sets_total,
            "degrading": [{"unit": g.unit.name, "kind": g.unit.kind,
                           "fraction_lost": g.fraction_lost} for g in fr.degrading],
            "importance": [{"name": i.name, "kind": i.kind, "birnbaum": i.birnbaum,
                            "gain_if_perfect": i.gain_if_perfect,
                            "unit_availability": i.unit_availability}
                           for i in fr.importance],
            "slos": [slo_json(s) for s in fr.slos],
            "status": fr.status,
        }
        if lat is not None:
            d["latency_ms"] = _percentiles(lat)
            d["latency"] = {
                "unbounded": lat.unbounded, "unbounded_at": list(lat.unbounded_at),
                "method": lat.method, "error_ms": _rate(lat.error_ms),
                "hops": [_hop(h) for h in lat.hops]}
        nb = fr.latency_without_breaker
        if nb is not None:
            d["latency_without_breaker_ms"] = _percentiles(nb)
        if fr.capacity is not None:
            d["capacity"] = {"max_rate_rps": _rate(fr.capacity.max_rate_rps),
                             "bottleneck": fr.capacity.bottleneck, "fits": fr.capacity.fits,
                             "capacity_unknown": list(fr.capacity.capacity_unknown)}
        flows.append(d)
    components = []
    for cr in result.components.values():
        extra = {}
        if cr.data_tier is not None:
            tier = cr.data_tier.model_dump(mode="json")
            tier["node_loads"] = [_rate(x) for x in cr.data_tier.node_loads]   # no float noise
            extra["data_tier"] = tier
        components.append({**extra,
            "name": cr.name, "kind": cr.kind, "replicas": cr.replicas,
            "availability": cr.availability,
            "availability_with_domains": cr.availability_with_domains,
            "replica_availability": cr.replica_availability,
            "load_rps": _rate(cr.load_rps), "capacity_rps": cr.capacity_rps,
            "utilisation": _rate(cr.utilisation), "capacity_status": cr.capacity_status,
            "utilisation_at_min": _rate(cr.utilisation_at_min),
            "retry_amplification": cr.retry_amplification,
            "n_plus_1": [_hop(z) for z in cr.n_plus_1],
            "line": cr.span.line,
        })
    return {
        "path": design.path,
        "system": design.name,
        "flows": flows,
        "components": components,
        "spofs": [cut_json(c) for c in result.spofs],
        "calls": [c.model_dump(mode="json") for c in
                  (result.capacity_report.calls if result.capacity_report else ())],
        "findings": [finding_json(f) for f in result.findings],
        "assumed": [{"subject": a.subject, "field": a.field, "line": a.span.line,
                     "column": a.span.column} for a in result.assumptions],
        "down": list(result.down),
        "status": status or result.status,
    }


def diagnostic_json(d: Diagnostic) -> dict[str, object]:
    return {"severity": d.severity, "message": d.message, "hint": d.hint, "code": d.code,
            "file": d.span.file, "line": d.span.line, "column": d.span.column,
            "end_line": d.span.end_line, "end_column": d.span.end_column}


def invalid_json(check: FileCheck) -> dict[str, object]:
    """An invalid file: its path, ``status: "invalid"`` and every error as a diagnostic."""
    assert check.error is not None, check.path
    return {"path": check.path, "status": "invalid", "flows": [], "components": [],
            "spofs": [], "findings": [finding_json(f) for f in check.problems],
            "diagnostics": [diagnostic_json(d) for d in check.error.diagnostics]}


def render_json(checks: list[FileCheck]) -> str:
    """A FileCheck per file. ``status`` is fail when a file fails, invalid when one is
    invalid; a valid file's findings are the ones the selection kept."""
    from archlang.checks import overall

    files = []
    for c in checks:
        if not c.valid:
            files.append(invalid_json(c))
            continue
        design, result = c.analysed()
        doc = file_json(design, result, c.verdict)
        own = {id(f) for f in result.findings}          # not the SLO pseudo-findings
        doc["findings"] = [finding_json(f) for f in c.problems if id(f) in own]
        doc["diagnostics"] = []
        files.append(doc)
    doc = {"version": 1, "files": files, "status": overall(checks)}
    return json.dumps(doc, indent=2, sort_keys=True, allow_nan=False) + "\n"
