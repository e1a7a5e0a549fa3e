"""The command line. The only module that reads arguments, prints and exits.

Exit codes: 0 all SLOs met and no finding at or above --fail-on; 1 an SLO fails or such a
finding exists; 2 the input is invalid or the command is misused.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_INVALID = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # misuse: exit 2 with a short usage line
        self.print_usage(sys.stderr)
        _err(f"archlang: error: {message}\n")
        raise SystemExit(EXIT_INVALID)


def write_atomic(path: str | os.PathLike, data: str | bytes, inputs=()) -> None:
    """Write the whole file or nothing (see archlang/outfile.py: symlinks, devices, inputs)."""
    from archlang.outfile import write_output

    write_output(path, data, inputs)


def _err(text: str) -> None:
    """Write to stderr with every control character but the newline escaped: file names
    and messages come from the input and must not drive the terminal or a CI log."""
    from archlang.escape import text_block

    if sys.stderr is not None:
        sys.stderr.write(text_block(text))


def _esc(name: str) -> str:
    from archlang.escape import text

    return text(name)


def _out(text: str) -> None:
    """Write to stdout. A closed stdout or a reader gone (`| head`, `| true`) loses the
    output but not the exit code."""
    if sys.stdout is None:
        return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit: point it at /dev/null so that this is quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _parser() -> argparse.ArgumentParser:
    from archlang import __version__

    p = _Parser(prog="archlang", description="Architecture as code: availability, SPOFs, "
                "latency budgets and capacity of a system design.")
    p.add_argument("--version", action="version", version=f"archlang {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    c = sub.add_parser("check", help="parse, validate and analyse designs")
    c.add_argument("files", nargs="+", metavar="FILE")
    c.add_argument("--format", default="text",
                   choices=["text", "json", "sarif", "junit", "github", "markdown"])
    c.add_argument("--fail-on", default="error", choices=["error", "warning"])
    c.add_argument("--output", "-o", metavar="PATH", help="write the report here instead of stdout")
    c.add_argument("--down", action="append", default=[], metavar="NAME",
                   help="treat a component, zone (region.zone) or region as failed; repeatable")
    r = sub.add_parser("render", help="draw the design as a diagram (SVG, PNG, PDF, DOT, "
                       "Mermaid or D2)")
    r.add_argument("file", metavar="FILE")
    r.add_argument("-o", "--output", metavar="PATH",
                   help="write here (default: FILE with the format's extension; - for stdout)")
    r.add_argument("--format", choices=["svg", "png", "pdf", "dot", "mermaid", "d2"],
                   help="default: from the -o extension (.svg .png .pdf .dot .mmd .d2), else svg")
    r.add_argument("--flow", metavar="NAME",
                   help="draw this flow's request tree only, with its latency and SLOs")
    r.add_argument("--engine", metavar="PATH",
                   help="Graphviz executable to run (default: $ARCHLANG_DOT, system dot, "
                        "graphviz-pure)")
    r.add_argument("--down", action="append", default=[], metavar="NAME",
                   help="treat a component, zone or region as failed; repeatable")
    h = sub.add_parser("report", help="write the HTML report of a design")
    h.add_argument("file", metavar="FILE")
    h.add_argument("-o", "--output", metavar="PATH", help="default: FILE with .html")
    h.add_argument("--engine", metavar="PATH", help="Graphviz executable for the diagram")
    h.add_argument("--down", action="append", default=[], metavar="NAME",
                   help="treat a component, zone or region as failed; repeatable")
    fm = sub.add_parser("fmt", help="rewrite designs in the canonical layout")
    fm.add_argument("files", nargs="+", metavar="FILE")
    fm.add_argument("--check", action="store_true",
                    help="change nothing; exit 1 when a file is not formatted")
    df = sub.add_parser("diff", help="what changed between two versions of a design")
    df.add_argument("base", metavar="BASE")
    df.add_argument("head", metavar="HEAD")
    df.add_argument("--format", default="text", choices=["text", "markdown", "json"])
    df.add_argument("--output", "-o", metavar="PATH")
    e = sub.add_parser("explain", help="what a finding's code means and how to fix it")
    e.add_argument("code", metavar="CODE")
    sub.add_parser("schema", help="the JSON schema of the design and result models")
    return p


def main(argv: list[str] | None = None) -> int:
    from archlang.outfile import Interrupted, OutputError

    for stream in (sys.stdout, sys.stderr):   # a terminal that cannot show a character
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return EXIT_INVALID
    try:
        return {"check": _check, "render": _render, "report": _report, "fmt": _fmt, "diff": _diff, "explain": _explain, "schema": _schema}[args.command](args)
    except KeyboardInterrupt:
        return 130
    except Interrupted as e:
        return 128 + e.signum
    except OutputError as e:
        _err(f"archlang: error: {e}\n")
        return EXIT_INVALID


class _Progress:
    """A one-line status on an interactive terminal; silent in CI, pipes and machine formats."""

    def __init__(self, enabled: bool):
        self.enabled = (enabled and sys.stderr.isatty()
                        and not os.environ.get("CI"))
        self.width = 0

    def show(self, text: str) -> None:
        if self.enabled:
            from archlang.escape import text as esc

            text = esc(text)
            sys.stderr.write("\r" + text.ljust(self.width))
            sys.stderr.flush()
            self.width = len(text)

    def done(self) -> None:
        if self.enabled and self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()
            self.width = 0


def _emit(text: str, output: str | None, inputs=()) -> None:
    if output:
        write_atomic(output, text, inputs)
    else:
        _out(text)


def _load_all(files: list[str]):
    """Designs of every file; errors of each printed to stderr. None when any was invalid."""
    from archlang.api import load
    from archlang.errors import ArchlangError

    designs, bad = [], 0
    for f in files:
        try:
            designs.append(load(f))
        except ArchlangError as e:
            bad += 1
            _err(e.render() + "\n")
    if bad:
        _err(f"archlang: {bad} file{'s' if bad != 1 else ''} with errors\n")
        return None
    return designs


def _check(args) -> int:
    from archlang.analysis import analyze, verdict
    from archlang.errors import ArchlangError

    designs = _load_all(args.files)
    if designs is None:
        return EXIT_INVALID
    items = []
    progress = _Progress(args.format == "text" and not args.output)
    for i, d in enumerate(designs, 1):
        progress.show(f"analysing {d.path} ({i}/{len(designs)}): {len(d.components)} "
                      f"components, {len(d.flows)} flows ...")
        try:
            result = analyze(d, down=args.down)
        except ArchlangError as e:       # e.g. an unknown name in --down
            progress.done()
            _err(e.render() + "\n")
            return EXIT_INVALID
        items.append((d, result, verdict(result, args.fail_on)))
    progress.done()
    status = "fail" if any(v == "fail" for _, _, v in items) else "pass"
    fmt = args.format
    if fmt == "json":
        from archlang.render.json import render_json

        out = render_json(items, status)
    elif fmt == "sarif":
        from archlang.render.ci import render_sarif

        out = render_sarif([(d, r) for d, r, _ in items])
    elif fmt == "junit":
        from archlang.render.ci import render_junit

        out = render_junit([(d, r) for d, r, _ in items], args.fail_on)
    elif fmt == "github":
        from archlang.render.ci import render_github

        out = render_github([(d, r) for d, r, _ in items])
    elif fmt == "markdown":
        from archlang.render.ci import render_markdown

        out = render_markdown(items)
    else:
        from archlang.render.text import render_text

        out = render_text(items)
    _emit(out, args.output, list(args.files) + [f for d in designs for f in d.files])
    return EXIT_FAIL if status == "fail" else EXIT_OK


def _analyze_one(path: str, down: list[str]):
    """(design, result) of one file, or None after printing why."""
    from archlang.analysis import analyze
    from archlang.errors import ArchlangError

    designs = _load_all([path])
    if designs is None:
        return None
    try:
        return designs[0], analyze(designs[0], down=down)
    except ArchlangError as e:
        _err(e.render() + "\n")
        return None


_SUFFIX = {"mermaid": "mmd"}


def _render(args) -> int:
    from archlang.render.engine import RenderError, format_for, render

    try:
        fmt = format_for(args.output, args.format)
    except ValueError as e:
        sys.stderr.write(f"archlang: error: {e}\n")
        return EXIT_INVALID
    designs = _load_all([args.file])
    if designs is None:
        return EXIT_INVALID
    if args.flow is not None and args.flow not in designs[0].flows:
        from archlang.errors import did_you_mean

        flows = list(designs[0].flows)
        hint = did_you_mean(args.flow, flows) or (
            f"flows: {', '.join(flows)}" if flows else "the design declares no flow")
        sys.stderr.write(f"archlang: error: {args.file} has no flow '{args.flow}'; {hint}\n")
        return EXIT_INVALID
    # Only what the picture shows: a flow view needs its flow's latency, the whole design none.
    from archlang.analysis import analyze
    from archlang.errors import ArchlangError

    try:
        got = designs[0], analyze(designs[0], down=args.down,
                                  latency=[args.flow] if args.flow else ())
    except ArchlangError as e:       # an unknown name in --down
        sys.stderr.write(e.render() + "\n")
        return EXIT_INVALID
    try:
        data = render(*got, fmt, engine=args.engine, flow=args.flow)
    except RenderError as e:
        _err(f"archlang: error: {e}\n")
        return EXIT_INVALID
    out = args.output or str(Path(args.file).with_suffix("." + _SUFFIX.get(fmt, fmt)))
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_atomic(out, data, got[0].files)
        _err(f"wrote {out}\n")
    return EXIT_OK


def _report(args) -> int:
    from archlang.render.html import render_html

    got = _analyze_one(args.file, args.down)
    if got is None:
        return EXIT_INVALID
    if args.engine:                    # an engine asked for must exist, as for render
        from archlang.render.engine import RenderError, find_engine

        try:
            find_engine("svg", args.engine)
        except RenderError as e:
            _err(f"archlang: error: {e}\n")
            return EXIT_INVALID
    out = args.output or str(Path(args.file).with_suffix(".html"))
    write_atomic(out, render_html(*got, engine=args.engine), got[0].files)
    _err(f"wrote {out}\n")
    return EXIT_OK


def _fmt(args) -> int:
    from archlang.errors import ArchlangError
    from archlang.sources import check_not_empty, read_file
    from archlang.syntax.fmt import format_text

    bad = changed = 0
    for f in args.files:
        try:
            text = read_file(f)
            check_not_empty(text, f)
            new = format_text(text, f)
        except ArchlangError as e:
            _err(e.render() + "\n")
            bad += 1
            continue
        if new == text:
            continue
        changed += 1
        if args.check:
            _out(f"would reformat {_esc(f)}\n")
        else:
            write_atomic(f, new)
            _out(f"reformatted {_esc(f)}\n")
    if bad:
        return EXIT_INVALID
    return EXIT_FAIL if (args.check and changed) else EXIT_OK


def _diff(args) -> int:
    """Exit 1 when HEAD is worse: an SLO newly fails, a SPOF appears or an error finding."""
    from archlang.analysis import analyze
    from archlang.analysis.diff import diff_results
    from archlang.render.diff import render_diff_json, render_diff_text

    designs = _load_all([args.base, args.head])
    if designs is None:
        return EXIT_INVALID
    d = diff_results(analyze(designs[0]), analyze(designs[1]))
    if args.format == "json":
        out = render_diff_json(d)
    else:
        out = render_diff_text(d, markdown=args.format == "markdown")
    _emit(out, args.output, [args.base, args.head] + [f for x in designs for f in x.files])
    return EXIT_FAIL if d.worse else EXIT_OK


def _explain(args) -> int:
    from archlang.render.ci import SLO_NAMES
    from archlang.rules import REGISTRY

    rule = REGISTRY.get(args.code)
    if rule is None:
        if args.code.upper() in SLO_NAMES:
            sys.stdout.write(f"{args.code.upper()} ({SLO_NAMES[args.code.upper()]}): a flow "
                             f"misses the SLO its `slo` line sets.\n")
            return EXIT_OK
        from archlang.errors import did_you_mean

        codes = [r.code for r in REGISTRY] + [r.name for r in REGISTRY]
        hint = did_you_mean(args.code.upper(), codes) or did_you_mean(args.code, codes)
        _err(f"archlang: unknown rule '{args.code}'" + (f"; {hint}" if hint else "")
                         + "\n")
        return EXIT_INVALID
    lines = [f"{rule.code} ({rule.name}), {rule.severity}", ""]
    for title, text in rule.docs().items():
        lines += [f"## {title}", text, ""]
    sys.stdout.write("\n".join(lines))
    return EXIT_OK


def _schema(args) -> int:
    import json

    from archlang.analysis.result import Result
    from archlang.model.design import Design

    doc = {"design": Design.model_json_schema(), "result": Result.model_json_schema()}
    sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
