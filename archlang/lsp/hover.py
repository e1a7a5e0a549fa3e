"""The hover text of a name: the figures of a component, flow, zone or region as analysed.

Numbers are written with the report's formatters (availabilities keep their nines). Figures
come from the last analysis of the design; a name whose figures are not in yet says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archlang.numbers import exact_pct
from archlang.render.labels import fmt_minutes, fmt_ms, fmt_nines, fmt_pct, fmt_rate

if TYPE_CHECKING:
    from archlang.lsp.worker import (
        CallLatency,
        ComponentFigures,
        DomainFigures,
        FlowFigures,
        SloFigures,
    )


def _slo(s: SloFigures) -> str:
    if s["kind"] == "availability":
        target, actual = exact_pct(s["target"]), fmt_pct(s["actual"])
        what = f"availability ≥ {target}"
    elif s["kind"] == "latency":
        p = s["percentile"] if s["percentile"] is not None else 99
        what = f"latency p{p:g} ≤ {fmt_ms(s['target'])}"
        actual = "unbounded" if s["actual"] is None else fmt_ms(s["actual"])
    else:
        what, actual = f"throughput ≥ {fmt_rate(s['target'])}", fmt_rate(s["actual"])
    return f"- {'✅ pass' if s['status'] == 'pass' else '❌ FAIL'}: {what} (actual {actual})"


def component(name: str, fig: ComponentFigures | None, calls: list[CallLatency] | None,
              pending: bool) -> str:
    if fig is None:
        return f"**{name}**\n\n" + ("_analysing…_" if pending else "_no figures: the design "
                                                                     "does not check_")
    lines = [f"**{fig['kind']} {name}**" + (f" ×{fig['replicas']}" if fig["replicas"] > 1
                                            else ""), ""]
    lines.append(f"- availability: {fmt_pct(fig['availability'])} on its own, "
                 f"{fmt_pct(fig['availability_with_domains'])} as placed "
                 f"(one replica {fmt_pct(fig['replica_availability'])})")
    if fig["utilisation"] is not None:
        lines.append(f"- utilisation: {fmt_pct(fig['utilisation'], 1)} "
                     f"({fmt_rate(fig['load_rps'])} against {fmt_rate(fig['capacity_rps'])} "
                     f"per replica; {fig['capacity_status']})")
    else:
        lines.append(f"- load: {fmt_rate(fig['load_rps'])} (no capacity declared)")
    if fig["spof_in"]:
        lines.append(f"- **SPOF** of {', '.join(fig['spof_in'])}")
    else:
        lines.append("- not a single point of failure")
    if calls:
        lines.append("- calls into it (network, queueing and its own time):")
        for c in calls:
            via = f" from {c['via']}" if c["via"] else ""
            share = "" if c["share"] >= 0.9995 else f", on {fmt_pct(c['share'], 1)} of requests"
            lines.append(f"  - {c['flow']}{via}: p50 {fmt_ms(c['p50'])}, "
                         f"p99 {fmt_ms(c['p99'])}{share}")
    elif pending:
        lines.append("- calls into it: _timing…_")
    return "\n".join(lines)


def flow(name: str, fig: FlowFigures | None, pending: bool) -> str:
    if fig is None:
        return f"**flow {name}**\n\n" + ("_analysing…_" if pending else "_no figures: the "
                                                                         "design does not "
                                                                         "check_")
    p99 = "unbounded" if fig["unbounded"] else fmt_ms(fig["p99"])
    lines = [f"**flow {name}** at {fmt_rate(fig['rate_rps'])}: "
             f"{'pass' if fig['status'] == 'pass' else '**FAIL**'}", "",
             f"- availability: {fmt_pct(fig['availability'])} ({fmt_nines(fig['nines'])} "
             f"nines, {fmt_minutes(fig['downtime_minutes_per_30d'])} down per 30 days)",
             f"- latency: p50 {fmt_ms(fig['p50'])}, p99 {p99}"]
    if fig["spofs"]:
        lines.append(f"- SPOFs: {', '.join(fig['spofs'])}")
    if fig["max_rate_rps"] is not None:
        lines.append(f"- capacity: up to {fmt_rate(fig['max_rate_rps'])} "
                     f"(bottleneck {fig['bottleneck']})")
    if fig["slos"]:
        lines.append("- SLOs:")
        lines += ["  " + _slo(s) for s in fig["slos"]]
    return "\n".join(lines)


def domain(kind: str, name: str, fig: DomainFigures | None) -> str:
    if fig is None:
        return f"**{kind} {name}**"
    placed = ", ".join(fig["placed"]) or "nothing"
    return "\n".join([f"**{kind} {name}**", "",
                      f"- availability: {exact_pct(fig['availability'])}",
                      f"- placed here: {placed}",
                      "- **SPOF** of a flow" if fig["spof"] else
                      "- not a single point of failure"])
