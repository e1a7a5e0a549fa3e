"""Text sections for latency (a waterfall per flow) and capacity (a table per component).

Plain text, deterministic, at most 100 columns. Designs and reports come in; strings go out.
"""

from __future__ import annotations

import math

from archlang import numbers
from archlang.analysis.result import (
    CapacityReport,
    ComponentCapacity,
    FlowCapacity,
    HopLatency,
    LatencyReport,
)
from archlang.model.design import Design
from archlang.render.labels import n_plus_1_text

WIDTH = 100
BAR = 20          # characters of '#' for a 100% share
NAME = 22         # widest component name column before truncation


def _fit(lines: list[str]) -> str:
    """Join lines, wrapping any longer than WIDTH under its own indentation (+2)."""
    import textwrap

    out: list[str] = []
    for line in lines:
        if len(line) <= WIDTH:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        out += textwrap.wrap(line, WIDTH, subsequent_indent=indent, break_on_hyphens=False)
    return "\n".join(out) + "\n"


def _cut(name: str, width: int) -> str:
    return name if len(name) <= width else name[: width - 1] + "~"


def _ms(x: float | None) -> str:
    return numbers.ms(x)


def _pct(x: float | None) -> str:
    if x is None:
        return "-"
    if math.isinf(x):
        return "inf"
    return f"{x * 100:.1f}%"


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    if math.isinf(x):
        return "inf"
    return numbers.quantity(x)


def _hop_p99(h: HopLatency) -> str:
    return "-" if h.hop_p99_ms is None else numbers.hop_ms(h.hop_p99_ms)[:-3]


def _bar(share: float) -> str:
    return "#" * max(0, min(BAR, round(share * BAR)))


def _pname(p: float | None) -> str:
    if p is None:
        return "p?"
    return f"p{p:g}"


# ---- latency -----------------------------------------------------------------------------------
def format_latency(design: Design, report: LatencyReport,
                   capacity: CapacityReport | None = None) -> str:
    """A waterfall per flow: percentiles, each hop's mean and p99 share, latency SLOs; an
    unbounded flow names what makes it so (a component down, or one at or over 100%)."""
    down = {n for n, c in (capacity.components if capacity else {}).items()
            if c.status == "down"}
    out = ["latency"]
    for name in design.flows:
        fl = report.flows.get(name)
        if fl is None:
            continue
        out.append(f"  flow {name}")
        if fl.unbounded:
            gone = [c for c in fl.unbounded_at if c in down]
            full = [c for c in fl.unbounded_at if c not in down]
            why = ([f"{', '.join(gone)} {'is' if len(gone) == 1 else 'are'} down with load "
                    "to carry"] if gone else []) + (
                [f"utilisation at or over 100% at {', '.join(full)}"] if full else [])
            out.append(f"    unbounded: {'; '.join(why)}")
        else:
            how = (fl.method if fl.method == "exact"
                   else f"{fl.method}; p99 +-{numbers.hop_ms(fl.error_ms)}")
            out.append(f"    {how}")
            out.append(f"    p50 {_ms(fl.p50)} ms  p90 {_ms(fl.p90)} ms  p99 {_ms(fl.p99)} ms  "
                       f"p99.9 {_ms(fl.p999)} ms  mean {_ms(fl.mean)} ms")
            w = min(NAME, max([len("hop")] + [len(h.name) for h in fl.hops]))
            v = min(NAME, max([len("via")] + [len(h.via or "-") for h in fl.hops]))
            out.append(f"    {'hop':<{w}} {'via':<{v}} {'mean ms':>9} {'of mean':>7} "
                       f"{'p99 ms':>9} {'tail ms':>9} {'of tail':>7}  share of the slowest 1%")
            for h in fl.hops:
                out.append(f"    {_cut(h.name, w):<{w}} {_cut(h.via or '-', v):<{v}} "
                           f"{h.mean_ms:>9.2f} {_pct(h.share_of_mean):>7} "
                           f"{_hop_p99(h):>9} {h.p99_ms:>9.2f} {_pct(h.share_of_p99):>7}  "
                           f"{_bar(h.share_of_p99)}")
        for s in fl.slos:
            verdict = "pass" if s.status == "pass" else "FAIL"
            got = ("unbounded" if s.actual is None else
                   f"{s.actual:.1f} ms, margin {s.margin:+.1f} ms")
            out.append(f"    slo latency {_pname(s.percentile)} {s.target:g}ms: {verdict} ({got})")
    return _fit(out)


# ---- capacity ----------------------------------------------------------------------------------
def _store_lines(design: Design, c: ComponentCapacity) -> list[str]:
    """A store's nodes: the hottest, and with units down where the load went and the share
    of keys whose owner moved."""
    from archlang.analysis.quorum import store_of

    st = store_of(design.components[c.name])
    assert st is not None, c.name            # called for the stores of the data tier
    loads = c.node_loads or ()
    mean = sum(loads) / len(loads) if loads else 0.0
    out = []
    hot = c.hottest_node or "-"
    out.append(f"    {st.nodes} nodes, rf {st.rf}, {st.shards} shard"
               f"{'s' if st.shards != 1 else ''}: hottest {hot} "
               f"{_num(max(loads) * st.skew)} ops/s (mean {_num(mean)}"
               f"{f', skew {st.skew:g}' if st.skew > 1 else ''})")
    if c.keys_moved is not None:
        up = [x for x in loads if x > 0]
        base = sum(loads) / len(up) if up else 0.0
        top = sorted(((x, i) for i, x in enumerate(loads)), key=lambda t: (-t[0], t[1]))[:3]
        took = ", ".join(f"{c.name}[{i + 1}] {_num(x)}" for x, i in top if x > 0)
        out.append(f"    after the loss: keys whose owner moved {_pct(c.keys_moved)}, keys "
                   f"lost {_pct(c.keys_lost or 0.0)}; busiest nodes (ops/s) {took} "
                   f"(even spread would be {_num(base)})")
    return out


def format_capacity(design: Design, report: CapacityReport) -> str:
    """A table per component (load, capacity, utilisation, status, N+1), then each flow."""
    rows = [report.components[n] for n in design.components if n in report.components]
    w = min(NAME, max([len("component")] + [len(c.name) for c in rows]))
    out = ["capacity",
           f"  {'component':<{w}} {'kind':<8} {'load rps':>10} {'cap rps':>15} "
           f"{'util':>7} {'status':<7} N+1"]
    for c in rows:
        cap = "-" if c.capacity_rps is None else f"{c.serving_replicas}x{_num(c.capacity_rps)}"
        status = "-" if c.kind == "client" else c.status
        if c.status == "down":
            cap = "-"
        line = (f"  {_cut(c.name, w):<{w}} {c.kind:<8} {_num(c.load_rps):>10} {cap:>15} "
                f"{_pct(c.utilisation):>7} {status:<7} {n_plus_1_text(c)}")
        out.append(line)
        if c.node_loads:
            out += _store_lines(design, c)
    for name in design.flows:
        fc = report.flows.get(name)
        if fc is None:
            continue
        out.append(f"  flow {name}: rate {_num(fc.rate_rps)} rps, " + flow_fit_text(fc))
        for s in fc.slos:
            verdict = "pass" if s.status == "pass" else "FAIL"
            got = ("unknown: no capacity declared on the flow" if s.actual is None else
                   f"max {_num(s.actual)} rps, margin {_signed(s.margin)} rps")
            out.append(f"    slo throughput {_num(s.target)} rps: {verdict} ({got})")
    out += _retry_lines(design, report)
    return _fit(out)


def _signed(x: float | None) -> str:
    if x is None:
        return "-"
    return ("+" if x >= 0 else "-") + numbers.quantity(abs(x))


def flow_fit_text(fc: FlowCapacity) -> str:
    """Whether a flow fits its rate: "unknown" without a declared capacity on the flow, and
    the components whose capacity is unknown beside a verdict on the rest."""
    if fc.max_rate_rps is None:
        return "capacity unknown (no component on the flow declares one)"
    what = (f"{fc.bottleneck} is down" if fc.max_rate_rps == 0 and fc.bottleneck
            else f"bottleneck {fc.bottleneck}")
    text = (f"max {_num(fc.max_rate_rps)} rps ({what}), "
            + ("fits" if fc.fits else "DOES NOT FIT"))
    if fc.capacity_unknown:
        names = ", ".join(fc.capacity_unknown[:4]) + (" ..." if len(fc.capacity_unknown) > 4
                                                      else "")
        text += f"; capacity unknown: {names}"
    return text


def _retry_lines(design: Design, report: CapacityReport) -> list[str]:
    """Calls with timeouts, retries, hedges or limits, and the retry amplification."""
    if not report.calls:
        return []
    out = ["  calls (attempts per call in normal operation; when the callee fails)"]
    for c in report.calls:
        parts = [f"attempts {c.attempts:.4f}", f"failing {_num(c.failing_attempts)}"]
        if c.hedged_share:
            parts.append(f"hedged +{c.hedged_share * 100:.2f}%")
        if c.p_timeout:
            parts.append(f"P(timeout) {numbers.probability(c.p_timeout)}")
        if c.offered_rps is not None:
            parts.append(f"limit admits {c.admitted * 100:.2f}% of {_num(c.offered_rps)} rps")
        out.append(f"    {c.flow}: {c.source} -> {c.target}: " + ", ".join(parts))
    amp = [(n, x.retry_amplification) for n, x in report.components.items()
           if x.retry_amplification > 1.0]
    if amp:
        out.append("  retry amplification (attempts reaching it when it fails): " + ", ".join(
            f"{n} x{_num(a)}" for n, a in amp))
    return out
