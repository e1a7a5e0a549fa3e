"""The front door: the one place the stages are chained, and all the command line calls.

    text --parse--> syntax tree --build--> Design --graph--> request trees
         --analyze (analyses + rules)--> Result --render--> SVG / HTML / text / CI formats

The first group (``load`` ... ``render_html``, re-exported by ``archlang``) is the library
API. The second group is what ``archlang``'s commands are made of (archlang/cli.py imports
nothing else of the pipeline: an import-linter contract in pyproject.toml says so): public
too, with the behaviour the CLI documents. Every import is done on use, so that
``archlang explain`` or ``fmt`` pay for no analysis.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

    from archlang.analysis.diff import DesignDiff
    from archlang.analysis.result import Result
    from archlang.checks import FileCheck
    from archlang.config import Config
    from archlang.errors import ArchlangError, Diagnostic
    from archlang.model.design import Design
    from archlang.render.engine import Engine


# ---- the library -------------------------------------------------------------------------
def load(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None,
         name: str | None = None) -> Design:
    """Read, parse and validate a design file and its imports. Raises ArchlangError.

    ``name`` is how messages name the file (default: ``path``)."""
    from archlang.model.build import load_design

    return load_design(path, root=root, name=name)


def loads(text: str, path: str = "<string>",
          root: str | os.PathLike[str] | None = None) -> Design:
    """Parse and validate design text. ``path`` names it in messages and anchors imports."""
    from archlang.model.build import loads_design

    return loads_design(text, path=path, root=root)


def format(text: str, path: str = "<string>") -> str:
    """``text`` in the house layout (`archlang fmt`): the same model, comments kept.
    Raises ArchlangError for text that does not parse."""
    from archlang.syntax.fmt import format_text

    return format_text(text, path)


def analyze(design: Design, down: Sequence[str] = (), *,
            latency: Iterable[str] | None = None, detail: bool = True) -> Result:
    """Every analysis of ``design`` (availability, latency, capacity, resilience, the data
    tier) and the design rules, as one Result; ``down``: units failed (a what-if).

    ``latency``: the flows whose latency is computed (None: all); ``detail=False``: no cut
    sets of order 2, degrading units or importance (what a diagram needs)."""
    from archlang.findings import analyze as _analyze

    return _analyze(design, down=down, latency=latency, detail=detail)


def graph(design: Design) -> nx.DiGraph[str]:
    """The design as a networkx DiGraph: a node per component, an edge per call target
    (archlang/graph.py)."""
    from archlang.graph import build_graph

    return build_graph(design)


def render_svg(design: Design, result: Result | None = None) -> str:
    """The design's diagram as SVG (with a result: SPOFs, rates, availability, utilisation)."""
    from archlang.render.engine import render_svg as _svg

    return _svg(design, result)


def render_html(design: Design, result: Result, engine: str | None = None,
                config: Config | None = None) -> str:
    """The self-contained HTML report (``engine``: a Graphviz engine, as ``render``);
    ``config``: its select/ignore keep the findings `check` keeps, so both count alike."""
    from archlang.render.html import render_html as _html

    if config is not None:
        result = result.model_copy(update={"findings": tuple(
            f for f in result.findings if config.selected(f.code, f.span.file))})
    return _html(design, result, engine=engine)


# ---- the commands ------------------------------------------------------------------------
def check_text(path: str, text: str | None, config: Config, down: Sequence[str] = (),
               fail_on: str = "error") -> FileCheck:
    """`archlang check` of one file (``text`` given: standard input named ``path``)."""
    from archlang.checks import check_text as _check

    return _check(path, text, config, down, fail_on)


def check_files(paths: list[str], config: Config, down: Sequence[str] = (),
                fail_on: str = "error", jobs: int = 1,
                progress: Callable[[int, str], object] | None = None) -> list[FileCheck]:
    """:func:`check_text` of each file, in order; ``jobs`` > 1: in worker processes."""
    from archlang.checks import check_files as _files

    return _files(paths, config, down, fail_on, jobs, progress)


def invalid_check(path: str, error: ArchlangError) -> FileCheck:
    """The check of a file that cannot be read: its diagnostics as AL000 findings."""
    from archlang.checks import invalid_check as _invalid

    return _invalid(path, error)


def overall(checks: list[FileCheck]) -> str:
    """invalid, fail or pass: the worst verdict of the files."""
    from archlang.checks import overall as _overall

    return _overall(checks)


def report_checks(checks: list[FileCheck], fmt: str, *, fail_on: str = "error",
                  root: str | os.PathLike[str] | None = None, show_info: bool = False,
                  quiet: bool = False, with_errors: bool = False) -> str:
    """The report of every file in ``fmt`` (archlang/formats.py lists them), invalid files
    included as findings. ``root``: the repository root SARIF, GitLab and GitHub paths are relative
    to; ``show_info``: Markdown lists info findings; ``quiet``: the concise lines only;
    ``with_errors``: the text report repeats the errors of invalid files."""
    if fmt == "json":
        from archlang.render.json import render_json

        return render_json(checks)
    if fmt in ("sarif", "gitlab", "junit", "github"):
        from archlang.render import ci

        if fmt == "sarif":
            return ci.render_sarif(checks, root)
        if fmt == "gitlab":
            return ci.render_gitlab(checks, root)
        if fmt == "junit":
            return ci.render_junit(checks, fail_on)
        return ci.render_github(checks, root)
    if fmt == "markdown":
        from archlang.render.markdown import render_markdown

        return render_markdown(checks, show_info=show_info)
    if fmt == "concise" or quiet:
        from archlang.render.ci import concise_lines, counts

        lines = concise_lines(checks)
        if not quiet:
            lines.append(counts(checks))
        return "".join(line + "\n" for line in lines)
    from archlang.render.text import render_text

    return render_text(checks, with_errors=with_errors)


def diagram_format(output: str | None, fmt: str | None) -> str:
    """The diagram format `render` writes: ``fmt``, else the output's suffix, else svg.
    Raises ValueError for an unknown one."""
    from archlang.render.engine import format_for

    return format_for(output, fmt)


def find_engine(fmt: str = "svg", engine: str | None = None) -> Engine:
    """The Graphviz engine that will draw ``fmt``. Raises RenderError (archlang.errors)."""
    from archlang.render.engine import find_engine as _find

    return _find(fmt, engine)


def render(design: Design, result: Result | None, fmt: str = "svg", *,
           engine: str | None = None, flow: str | None = None) -> bytes:
    """The diagram in ``fmt`` (svg, png, pdf, dot, mermaid, d2); ``flow``: that flow's
    view. Raises RenderError when no engine can draw it."""
    from archlang.render.engine import render as _render

    return _render(design, result, fmt, engine=engine, flow=flow)


def read_text(path: str) -> str:
    """A design file's text, decoded and checked as `load` reads it (never empty)."""
    from archlang.sources import check_not_empty, read_file

    text = read_file(path)
    check_not_empty(text, path)
    return text


def decode(data: bytes, name: str) -> str:
    """Bytes of a design (standard input) as text, as `load` decodes a file."""
    from archlang.sources import check_not_empty
    from archlang.sources import decode as _decode

    text = _decode(data, name)
    check_not_empty(text, name)
    return text


def empty_result(name: str) -> Result:
    """The result of a design that is not there (one side of a diff of an added file)."""
    from archlang.analysis.result import Result

    return Result(system="", path=name, flows={}, components={})


def diff(base: Result, head: Result) -> DesignDiff:
    """What changed from ``base`` to ``head`` (``worse``: an SLO newly fails, a SPOF
    appears or an error finding)."""
    from archlang.analysis.diff import diff_results

    return diff_results(base, head)


def report_diff(diffs: list[DesignDiff], fmt: str = "text",
                invalid: list[tuple[str, list[Diagnostic]]] | None = None) -> str:
    """`archlang diff`'s report: text, markdown or json; ``invalid``: the sides that could
    not be read (name, diagnostics), said beside the diffs of the others."""
    from archlang.render.diff import render_diff_json, render_diff_text

    if fmt == "json":
        return render_diff_json(diffs, invalid)
    return render_diff_text(diffs, markdown=fmt == "markdown", invalid=invalid)


def rule_codes() -> dict[str, str]:
    """Every finding code and its name (AL000 ... AL6xx), in order."""
    from archlang.rules.catalogue import all_rules

    return {code: info.name for code, info in all_rules().items()}


def explain(code: str | None = None) -> str:
    """`archlang explain`: every code in one line each, or one code (or rule name) in
    full. Raises KeyError for an unknown one."""
    from archlang.rules.docs import codes_text, explain_text

    if code is None:
        return codes_text()
    codes = rule_codes()
    found = code.upper() if code.upper() in codes else next(
        (c for c, n in codes.items() if n == code.lower()), None)
    if found is None:
        raise KeyError(code)
    return explain_text(found)


def schema() -> dict[str, Any]:
    """JSON Schemas of the Design and Result models."""
    from archlang.analysis.result import Result
    from archlang.model.design import Design

    return {"design": Design.model_json_schema(), "result": Result.model_json_schema()}
