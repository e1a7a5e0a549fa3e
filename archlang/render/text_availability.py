"""Text section for availability: a table of flows, the SPOFs with their source lines, and
the top of each flow's importance ranking. Plain text, deterministic, at most 100 columns."""

from __future__ import annotations

from archlang import numbers
from archlang.analysis.result import AvailabilityReport, CutSet, FlowAvailability
from archlang.model.design import Design
from archlang.numbers import minutes as fmt_minutes

TOP = 3           # importance entries shown per flow
NAME = 24         # widest name column before truncation


def _cut(name: str, width: int = NAME) -> str:
    return name if len(name) <= width else name[: width - 1] + "~"


_avail = _pct = numbers.availability        # one formatter for every output
_nines = numbers.nines


def _slo(report_flow: FlowAvailability) -> str:
    if not report_flow.slos:
        return "-"
    worst = min(report_flow.slos, key=lambda s: (s.status == "pass", -s.target))
    used = numbers.budget_used(worst.budget_use)
    return f"{worst.status} {numbers.exact_pct(worst.target)} ({used})"


def _where(design: Design, cs: CutSet) -> str:
    spans = [u.span for u in cs.units if u.span is not None]
    if not spans:
        return ""
    s = spans[0]
    return f"{s.file}:{s.line}"


def format_availability(design: Design, report: AvailabilityReport) -> str:
    """Flows table, then SPOFs with file:line, then the top importance entries per flow."""
    out = ["availability" + (f" (with down: {', '.join(report.down)})" if report.down else "")]
    rows = [("flow", "availability", "nines", "down/30d", "slo")]
    for name in design.flows:
        fl = report.flows.get(name)
        if fl is None:
            continue
        rows.append((_cut(name), _avail(fl.availability), _nines(fl.nines),
                     fmt_minutes(fl.downtime_minutes_per_30d), _slo(fl)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        out.append("  " + "  ".join([r[0].ljust(widths[0])] + [r[i].rjust(widths[i])
                                                               for i in (1, 2, 3)] + [r[4]]))
    notes = [f"  {n}: {fl.method}" for n, fl in report.flows.items() if fl.method != "exact"]
    out += notes
    for n, fl in report.flows.items():   # error rates, timeouts, retries, limits, windows
        if fl.availability_state is None or (fl.availability == fl.availability_state
                                             and (fl.availability_transient or 1.0) >= 1.0):
            continue
        out.append(f"  {n}: request based {_pct(fl.availability)}; state based "
                   f"{_pct(fl.availability_state)}; every unit up "
                   f"{_pct(fl.availability_transient or 1.0)} (errors, timeouts, retries)")

    spofs = [(name, cs) for name, fl in report.flows.items() for cs in fl.spofs]
    out.append("single points of failure")
    if not spofs:
        out.append("  none")
    for name, cs in spofs:
        u = cs.units[0]
        out.append(f"  {_cut(name, 16):16}  {_cut(u.name):{NAME}}  {u.kind:9}  "
                   f"p={numbers.probability(cs.probability)}  {_where(design, cs)}")

    out.append("improve first (Birnbaum importance A(up) - A(down); gain if made perfect)")
    for name, fl in report.flows.items():
        for rank, i in enumerate(fl.importance[:TOP], 1):
            first = _cut(name, 16) if rank == 1 else ""
            out.append(f"  {first:16}  {rank}. {_cut(i.name):{NAME}}  "
                       f"{i.kind:9}  {numbers.importance(i.birnbaum)}  "
                       f"+{numbers.probability(i.gain_if_perfect)}")
    return "\n".join(out) + "\n"
