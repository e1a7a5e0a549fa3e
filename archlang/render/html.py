"""Design + Result -> one self-contained HTML report.

One file that works offline: inline CSS, the diagrams as inline SVG, no script, no external
link or font (a Content-Security-Policy meta tag forbids loading anything). Sections, in
order: the what-if (when units are down), the verdict (every SLO of every flow, pass or
fail; the design fails when an SLO fails or a finding is an error, as `archlang check`
decides with its default --fail-on), the diagram, per flow
(availability, nines, downtime, SPOFs, cut sets of order 2, degrading units, importance,
latency percentiles and a waterfall of the mean per hop), capacity bars per component, the
findings with the source lines they point at, and the assumed defaults.

The template (templates/report.html.j2) is rendered by Jinja2 with autoescape; only the
SVG made by Graphviz from our own escaped DOT is inserted as markup. Every figure is also
written raw in a ``data-value`` attribute (Python's ``repr`` of the float) so tests and
tools can read the numbers back exactly. Deterministic: no timestamp unless one is passed.

Diagrams are drawn at their natural size (9 pt text is 12 px) in frames that scroll; a link
opens a frame alone over the page at full size, with CSS ``:target`` (no script). Every SVG
gets its own id prefix so that several share the page.

Jupyter gets :func:`render_fragment`: the same body in a ``<div>``, its styles all scoped
to ``.archlang-report`` (templates/report.css; the page-wide rules are in report_page.css)
and its ids prefixed, so it restyles nothing outside itself. ``render_result_html(result)``
has no design: the report is the same without the diagrams and without the source text of
findings.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import TYPE_CHECKING, TypedDict

from archlang import numbers
from archlang.numbers import exact_pct
from archlang.render.labels import (
    fmt_minutes,
    fmt_ms,
    fmt_nines,
    fmt_pct,
    fmt_rate,
    n_plus_1_text,
)

if TYPE_CHECKING:  # pragma: no cover
    import jinja2

    from archlang.analysis.common import Finding, SloResult
    from archlang.analysis.result import (
        Assumption,
        CallLoad,
        ComponentResult,
        CutSet,
        FlowResult,
        HopLatency,
        Result,
    )
    from archlang.model.design import Design


# ---- what the templates read -------------------------------------------------------------
class _SloView(TypedDict):
    slo: SloResult
    text: str
    actual: str


class _SloRow(_SloView):
    flow: str


class _Stack(TypedDict):
    """A hop of the latency waterfall: where its bar starts and how wide it is (fractions)."""

    hop: HopLatency
    offset: float
    share: float
    own_ms: float


class _Bar(TypedDict, total=False):
    """A percentile bar (``target``: an SLO's target, drawn as a line)."""

    name: str
    value: float | None
    width: float
    target: bool


class _FlowView(TypedDict):
    f: FlowResult
    slos: list[_SloView]
    waterfall: list[_Stack]
    percentiles: list[_Bar]
    max_birnbaum: float
    svg: str | None
    description: str | None


class _FindingView(TypedDict):
    f: Finding
    source: str | None


class _Context(TypedDict):
    status: str
    result: Result
    design: Design | None
    title: str
    description: str | None
    slo_rows: list[_SloRow]
    n_fail: int
    flows: list[_FlowView]
    components: list[ComponentResult]
    findings: list[_FindingView]
    counts: dict[str, int]
    calls: tuple[CallLoad, ...]
    amplified: list[ComponentResult]
    assumptions: list[tuple[str, list[Assumption]]]
    svg: str | None
    diagram_error: str | None
    p: str
    root: str
    spofs: tuple[CutSet, ...]
    version: str
    generated_at: str | None



@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    import jinja2

    from archlang.render.templating import bytecode_cache

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("archlang.render", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        bytecode_cache=bytecode_cache())
    env.filters.update(pct=fmt_pct, ms=fmt_ms, rate=fmt_rate, minutes=fmt_minutes,
                       nines=fmt_nines, raw=_raw, width=_width, latency=numbers.latency_ms,
                       hop=numbers.hop_ms, probability=numbers.probability,
                       importance=numbers.importance, budget=numbers.budget_share,
                       quantity=numbers.quantity, n_plus_1=n_plus_1_text,
                       raw12=_raw12)
    return env


def _raw(x: float | None) -> str:
    """The exact value for a data-value attribute."""
    if x is None:
        return ""
    return repr(float(x)) if not math.isinf(x) else "inf"


def _raw12(x: float | None) -> str:
    """A figure for a data-value attribute as the JSON holds it: a latency, a rate or a
    utilisation without float noise (12 significant digits)."""
    if x is None:
        return ""
    return repr(numbers.snap(float(x))) if not math.isinf(x) else "inf"


def _width(fraction: float | None) -> str:
    """A CSS percentage width from a fraction, clamped to 0..100%."""
    if fraction is None or math.isnan(fraction):
        return "0%"
    return f"{max(0.0, min(1.0, fraction)) * 100:.2f}%"


# ---- the SVG ---------------------------------------------------------------------------------
_PROLOG = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.S)


def inline_svg(svg: str) -> str:
    """Graphviz's SVG document -> an <svg> element to inline (no prolog, no comments)."""
    return _PROLOG.sub("", svg).strip()


# ---- view models -----------------------------------------------------------------------------
def _slo_text(slo: SloResult) -> str:
    if slo.kind == "availability":
        return f"availability ≥ {exact_pct(slo.target)}"
    if slo.kind == "latency":
        p = slo.percentile if slo.percentile is not None else 99
        return f"latency p{p:g} ≤ {fmt_ms(slo.target)}"
    return f"throughput ≥ {fmt_rate(slo.target)}"


def _slo_actual(slo: SloResult) -> str:
    if slo.actual is None:
        return "unbounded"
    if slo.kind == "availability":
        return fmt_pct(slo.actual)
    if slo.kind == "latency":
        return numbers.latency_ms(slo.actual)
    return fmt_rate(slo.actual)


def _waterfall(flow: FlowResult) -> list[_Stack]:
    """Hops of the flow's latency, stacked in call order by their mean contribution."""
    lat = flow.latency
    if lat is None or not lat.hops:
        return []
    total = sum(h.mean_ms for h in lat.hops) or 1.0
    rows: list[_Stack] = []
    start = 0.0
    for h in lat.hops:
        rows.append(_Stack(hop=h, offset=start / total, share=h.mean_ms / total,
                           own_ms=max(0.0, h.mean_ms - h.network_ms - h.queueing_ms)))
        start += h.mean_ms
    return rows


def _percentiles(flow: FlowResult) -> list[_Bar]:
    lat = flow.latency
    if lat is None:
        return []
    targets = [s.target for s in lat.slos if s.kind == "latency"]
    values = [("p50", lat.p50), ("p90", lat.p90), ("p99", lat.p99), ("p99.9", lat.p999)]
    top = max([v for _, v in values if v is not None] + targets + [1e-9])
    return [_Bar(name=n, value=v, width=(v or 0) / top) for n, v in values] + \
        [_Bar(name="target", value=t, width=t / top, target=True) for t in targets]


def _context(design: Design | None, result: Result, svg: str | None,
             diagram_error: str | None, generated_at: str | None,
             flow_svgs: dict[str, str] | None = None, prefix: str = "",
             root: str = "main") -> _Context:
    from archlang.about import version

    slo_rows: list[_SloRow] = []
    for f in result.flows.values():
        for s in f.slos:
            slo_rows.append(_SloRow(flow=f.name, slo=s, text=_slo_text(s), actual=_slo_actual(s)))
    flows: list[_FlowView] = []
    for f in result.flows.values():
        flows.append(_FlowView(
            f=f, slos=[_SloView(slo=s, text=_slo_text(s), actual=_slo_actual(s))
                       for s in f.slos],
            waterfall=_waterfall(f), percentiles=_percentiles(f),
            max_birnbaum=max([i.birnbaum for i in f.importance] + [1e-12]),
            svg=inline_svg(flow_svgs[f.name]) if flow_svgs and f.name in flow_svgs else None,
            description=(design.flows[f.name].description
                         if design is not None and f.name in design.flows else None)))
    comps = sorted(result.components.values(),
                   key=lambda c: (-(c.utilisation if c.utilisation is not None else -1), c.name))
    # The findings `archlang check` lists: the analyses' and one per failing SLO, so that the
    # report and the CLI count the same (archlang.checks.problems).
    if design is not None:
        from archlang.findings import problems

        listed = problems(result.model_copy(update={"design": design})
                          if result.design is None else result)
    else:
        listed = list(result.findings)
    findings: list[_FindingView] = []
    for fd in listed:
        line = design.source_line(fd.span) if design is not None else None
        findings.append(_FindingView(f=fd, source=line))
    by_subject: dict[str, list[Assumption]] = {}
    for a in result.assumptions:
        by_subject.setdefault(a.subject, []).append(a)
    counts = {sev: sum(1 for f in listed if f.severity == sev)
              for sev in ("error", "warning", "info")}
    body = inline_svg(svg) if svg else None
    return _Context(
        status=result.status,
        result=result, design=design, title=result.system,
        description=design.description if design is not None else None,
        slo_rows=slo_rows, n_fail=sum(1 for r in slo_rows if r["slo"].status == "fail"),
        flows=flows, components=comps, findings=findings, counts=counts,
        calls=result.capacity_report.calls if result.capacity_report else (),
        amplified=[c for c in result.components.values() if c.retry_amplification > 1.0],
        assumptions=sorted(by_subject.items(), key=lambda kv: (kv[1][0].span.file,
                                                               kv[1][0].span.line, kv[0])),
        svg=body, diagram_error=diagram_error, p=prefix, root=root,
        spofs=result.spofs, version=version(), generated_at=generated_at)


def _render(ctx: _Context, template: str = "report.html.j2") -> str:
    from markupsafe import Markup

    if ctx["svg"] is not None:
        ctx["svg"] = Markup(ctx["svg"])  # Graphviz output from our escaped DOT
    for fl in ctx["flows"]:
        if fl["svg"] is not None:
            fl["svg"] = Markup(fl["svg"])
    return _env().get_template(template).render(**ctx)


def _diagrams(design: Design, result: Result, engine: str | None, prefix: str
              ) -> tuple[str | None, dict[str, str], str | None]:
    """(whole-design SVG, SVG per flow, why not) drawn with the Graphviz engine."""
    from archlang.errors import RenderError
    from archlang.render.engine import render_svg

    try:
        svg = render_svg(design, result, engine=engine, id_prefix=f"{prefix}d-")
        flows = {name: render_svg(design, result, engine=engine, flow=name,
                                  id_prefix=f"{prefix}f{i}-")
                 for i, name in enumerate(result.flows, start=1) if name in design.flows}
        return svg, flows, None
    except RenderError as e:
        return None, {}, str(e)


def render_html(design: Design, result: Result, *, svg: str | None = None,
                engine: str | None = None, generated_at: str | None = None) -> str:
    """The report for ``design`` analysed as ``result`` (with ``result.down``: the what-if).
    ``svg``: a whole-design diagram already made (then no flow views are drawn); else the
    diagrams are drawn with the Graphviz engine, and if none can run the report says so in
    their place."""
    if svg is not None:
        return _render(_context(design, result, svg, None, generated_at, {}))
    whole, flows, error = _diagrams(design, result, engine, "")
    return _render(_context(design, result, whole, error, generated_at, flows))


def fragment_prefix(result: Result) -> str:
    """The id prefix of a Jupyter fragment: from the design's path, name and what-if, so
    two reports in one notebook do not clash and the same report gives the same bytes."""
    import zlib

    key = "\0".join([result.path, result.system, *result.down]).encode("utf-8")
    return f"al{zlib.crc32(key):08x}-"


def render_fragment(design: Design | None, result: Result,
                    engine: str | None = None) -> str:
    """The report as a scoped HTML fragment (Jupyter): no <html>, <head> or page-wide
    style, every rule under ``.archlang-report``, every id prefixed."""
    prefix = fragment_prefix(result)
    if design is None:
        ctx = _context(None, result, None,
                       "the diagram needs the design: archlang.render_html(design, result)",
                       None, {}, prefix, "div")
    else:
        whole, flows, error = _diagrams(design, result, engine, prefix)
        ctx = _context(design, result, whole, error, None, flows, prefix, "div")
    return _render(ctx, "report_fragment.html.j2")


def render_design_fragment(design: Design, engine: str | None = None
                           ) -> tuple[str, str | None]:
    """(scoped HTML fragment, SVG or None) of a design's diagram, for Jupyter."""
    import zlib

    from archlang.errors import RenderError
    from archlang.render.engine import render_svg

    prefix = f"al{zlib.crc32((design.path + chr(0) + design.name).encode('utf-8')):08x}-"
    try:
        svg = render_svg(design, None, engine=engine, id_prefix=prefix)
        error = None
    except RenderError as e:
        svg, error = None, str(e)
    from markupsafe import Markup

    html = _env().get_template("design_fragment.html.j2").render(
        design=design, svg=Markup(inline_svg(svg)) if svg else None, error=error, p=prefix)
    return html, svg


def render_result_html(result: Result) -> str:
    """The report from the result alone (no diagram, no source text)."""
    return _render(_context(None, result, None,
                            "the diagram needs the design: archlang.render_html(design, result)",
                            None))
