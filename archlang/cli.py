"""The command line. The only module that reads arguments, prints and exits.

Exit codes: 0 all SLOs met and no finding at or above --fail-on; 1 an SLO fails or such a
finding exists; 2 the input is invalid or the command is misused.

Size: one function per command beside its argument parser (help texts, exit codes); the work
itself is in archlang.api.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

if TYPE_CHECKING:
    import re

    from archlang import gitrev
    from archlang.analysis.diff import DesignDiff
    from archlang.analysis.result import Result
    from archlang.checks import FileCheck
    from archlang.errors import Diagnostic
    from archlang.model.design import Design

EXIT_OK, EXIT_FAIL, EXIT_INVALID = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # misuse: exit 2 with a short usage line
        self.print_usage(sys.stderr)
        _err(f"archlang: error: {message}\n")
        raise SystemExit(EXIT_INVALID)


def write_atomic(path: str | os.PathLike[str], data: str | bytes,
                 inputs: Iterable[str] = ()) -> None:
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


EXIT_CODES = """\
exit codes:
  0  every SLO is met and no finding is at or above --fail-on (or --exit-zero)
  1  an SLO fails or a finding is at or above --fail-on; fmt --check/--diff: a file would
     change; diff: HEAD is worse
  2  the input is invalid (each error with file:line:col), or the command is misused
"""

CHECK_HELP = """\
Check designs: parse, validate and analyse each one and print one report for all.

PATH is a design file, a directory (every *.arch file under it, .gitignore respected) or
- for standard input. Defaults come from [tool.archlang] in pyproject.toml or from
archlang.toml (found in the current directory or a parent; docs/cli.md has the keys);
options given here override them."""


def _check_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    from archlang.formats import FORMATS

    c = sub.add_parser("check", help="parse, validate and analyse designs",
                       description=CHECK_HELP, epilog=EXIT_CODES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("files", nargs="*", metavar="PATH",
                   help="design files, directories or - (default: the current directory)")
    c.add_argument("--format", choices=FORMATS, default=None,
                   help="text (default), concise (one line per finding), json, sarif "
                        "(GitHub code scanning), junit, github (workflow annotations), "
                        "gitlab (Code Quality), markdown (a pull-request comment)")
    c.add_argument("--fail-on", choices=["error", "warning"], default=None,
                   help="the severity of finding that fails the run (default: error)")
    c.add_argument("--output", "-o", metavar="PATH",
                   help="write the report here instead of stdout (atomically; written "
                        "even when a file is invalid)")
    c.add_argument("--select", action="append", metavar="CODES",
                   help="report only these codes or prefixes, comma-separated (AL4, AL101); "
                        "replaces the configuration's select")
    c.add_argument("--ignore", action="append", metavar="CODES",
                   help="do not report these codes or prefixes, comma-separated; added to "
                        "the configuration's ignore")
    c.add_argument("--exit-zero", action="store_true",
                   help="exit 0 even when an SLO fails or a finding fails the run "
                        "(invalid input still exits 2)")
    c.add_argument("-q", "--quiet", action="store_true",
                   help="print only the findings, one line each, and nothing else "
                        "(text and concise formats)")
    c.add_argument("--show-info", action="store_true",
                   help="markdown: include info notes (left out by default)")
    c.add_argument("--stdin-filename", metavar="NAME",
                   help="the name of the design read from - (messages, per-file-ignores, "
                        "imports relative to it)")
    c.add_argument("--config", metavar="FILE",
                   help="read this archlang.toml or pyproject.toml instead of searching")
    c.add_argument("--isolated", action="store_true", help="ignore every configuration file")
    c.add_argument("--down", action="append", default=[], metavar="NAME",
                   help="treat a component, zone (region.zone) or region as failed; repeatable")
    c.add_argument("-j", "--jobs", type=_jobs, default=1, metavar="N",
                   help="check the files in N processes (0: one per CPU); the report is "
                        "the same, in the same order, as with -j 1 (default: 1)")


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, not '{text}'")
    return n or (os.cpu_count() or 1)


class _Version(argparse.Action):
    """``-V``: the version, read from the package metadata only when asked."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 help: str | None = None) -> None:
        super().__init__(option_strings, dest, default=argparse.SUPPRESS, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        from archlang.about import version

        print(f"archlang {version()}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="archlang", description="Architecture as code: availability, SPOFs, "
                "latency budgets and capacity of a system design.", epilog=EXIT_CODES,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-V", "--version", action=_Version,
                   help="print the version and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    _check_parser(sub)
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
    fm = sub.add_parser("fmt", help="rewrite designs in the canonical layout",
                        epilog="exit codes: 0 done (or nothing to change); 1 with --check or "
                               "--diff: a file would change; 2 invalid input")
    fm.add_argument("files", nargs="+", metavar="PATH",
                    help="design files, directories (their *.arch files) or - for stdin")
    fm.add_argument("--check", action="store_true",
                    help="change nothing; exit 1 when a file is not formatted")
    fm.add_argument("--diff", action="store_true",
                    help="change nothing; print a unified diff of what would change, "
                         "exit 1 when a file would change")
    fm.add_argument("--stdin-filename", metavar="NAME",
                    help="the name of the design read from - (in messages)")
    df = sub.add_parser(
        "diff", help="what changed between two versions of a design",
        description="Compare two versions of a design: two files, REV:path and a file "
                    "(`diff main:examples/shop.arch examples/shop.arch`), or two git "
                    "revisions (`diff main HEAD [PATHS]`: every *.arch file under PATHS "
                    "in either revision, read with its imports from git, the work tree "
                    "untouched).",
        epilog="exit codes: 0 HEAD is not worse; 1 HEAD is worse (an SLO newly fails, a SPOF "
               "appears or an error finding appears); 2 invalid input or misuse")
    df.add_argument("base", metavar="BASE", help="a file, REV:path, or a git revision")
    df.add_argument("head", metavar="HEAD", help="a file, REV:path, or a git revision")
    df.add_argument("paths", nargs="*", metavar="PATHS",
                    help="with two revisions: the files or directories to compare "
                         "(default: every *.arch file)")
    df.add_argument("--format", default="text", choices=["text", "markdown", "json"],
                    help="text (default), markdown (a pull-request comment), json")
    df.add_argument("--output", "-o", metavar="PATH", help="write the report here")
    e = sub.add_parser("explain", help="what a finding's code means and how to fix it")
    e.add_argument("code", metavar="CODE", nargs="?",
                   help="a code (AL101) or a name (weak-hard-dependency); none: list every code")
    sub.add_parser("schema", help="the JSON schema of the design and result models")
    sub.add_parser("lsp", help="run the language server on stdin/stdout (for editors)")
    w = sub.add_parser("watch", help="check a design again each time a design file is saved")
    w.add_argument("file", metavar="FILE")
    sv = sub.add_parser("serve", help="serve the live HTML report on 127.0.0.1, reloaded "
                                      "in the browser when the design changes")
    sv.add_argument("file", metavar="FILE")
    sv.add_argument("--port", type=int, default=8000, help="default: 8000; 0 picks a free one")
    sv.add_argument("--engine", metavar="PATH", help="Graphviz executable for the diagram")
    return p


def main(argv: list[str] | None = None) -> int:
    # numpy's OpenBLAS starts a thread per core when numpy loads, which costs more than the
    # analyses gain from it (they draw and add vectors; no matrix algebra): one thread,
    # unless the user says otherwise. Set before anything imports numpy.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # pydantic looks for plugins (validation observers) in the entry points of every
    # installed distribution when it builds its first model: 4-7 ms in a venv of 100
    # packages, more on a CI runner's, for observers of archlang's internal models that no
    # one installs. Off, unless the user says otherwise.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    for stream in (sys.stdout, sys.stderr):   # a terminal that cannot show a character
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return EXIT_INVALID
    try:
        return {"check": _check, "render": _render, "report": _report, "fmt": _fmt,
                "diff": _diff, "explain": _explain, "schema": _schema, "lsp": _lsp,
                "watch": _watch, "serve": _serve}[args.command](args)
    except KeyboardInterrupt:
        return 130
    except Exception as e:       # imported only when needed: `--version` stays light
        from archlang.outfile import Interrupted, OutputError

        if isinstance(e, Interrupted):
            return 128 + e.signum
        if isinstance(e, OutputError):
            _err(f"archlang: error: {e}\n")
            return EXIT_INVALID
        raise


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


def _emit(text: str, output: str | None, inputs: Iterable[str] = ()) -> None:
    if output:
        write_atomic(output, text, inputs)
    else:
        _out(text)


def _load_all(files: list[str]) -> list[Design] | None:
    """Designs of every file; errors of each printed to stderr. None when any was invalid."""
    from archlang.api import load
    from archlang.errors import ArchlangError

    designs: list[Design] = []
    bad = 0
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


def _color_enabled(stream: TextIO) -> bool:
    """NO_COLOR (any value) turns colour off, FORCE_COLOR on; otherwise only a terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def _paint(text: str) -> str:
    """Severities and verdicts in colour (ANSI SGR), for a terminal."""
    import re

    codes = {"error": "31", "fail": "31", "invalid": "31", "warning": "33", "info": "36",
             "pass": "32"}

    def sub(m: re.Match[str]) -> str:
        word = m.group(2) or m.group(4) or m.group(6)
        code = codes[word.lower()]
        return m.group(0).replace(word, f"\x1b[1;{code}m{word}\x1b[0m", 1)

    pattern = re.compile(r"(\[(error|warning|info)\])|(: (error|warning|info)\b)"
                         r"|(verdict: (PASS|FAIL|INVALID)\b)")
    return pattern.sub(sub, text)


def _repo_root() -> Path:
    """The directory holding .git at or above the current one (else the current one)."""
    here = Path.cwd().resolve()
    return next((p for p in (here, *here.parents) if (p / ".git").exists()), here)


def _check(args: argparse.Namespace) -> int:
    from archlang import api
    from archlang import config as cfgmod
    from archlang.discover import expand

    try:
        cfg = cfgmod.resolve(args.config, args.isolated, args.select, args.ignore)
    except cfgmod.ConfigError as e:
        # invalid input like a broken design: said on stderr, and a finding of the report
        # (code scanning shows it; `-o` is written), exit 2
        sys.stderr.write(e.render() + "\n")
        check = api.invalid_check(e.diagnostics[0].span.file, e)
        out = _render_check([check], args.format or "text", args.fail_on or "error", args)
        _emit(out, args.output, [check.path])
        return EXIT_INVALID
    except ValueError as e:
        sys.stderr.write(f"archlang: error: {e}\n")
        return EXIT_INVALID
    fmt = args.format or cfg.format
    fail_on = args.fail_on or cfg.fail_on
    given = args.files or ["."]
    if given.count("-") > 1:
        sys.stderr.write("archlang: error: - (standard input) can be given once\n")
        return EXIT_INVALID
    files = expand(given, cfg.exclude, cfg.root if cfg.path else None)
    if not files:
        sys.stderr.write(f"archlang: warning: no *.arch file under {', '.join(given)}\n")
    progress = _Progress(fmt in ("text", "concise") and not args.output and not args.quiet)
    checks = []
    on_disk = [f for f in files if f != "-"]
    done = {}
    if args.jobs > 1 and len(on_disk) > 1:      # every file on disk in worker processes
        got = api.check_files(on_disk, cfg, args.down, fail_on, jobs=args.jobs,
                          progress=lambda i, f: progress.show(
                              f"analysed {f} ({i}/{len(on_disk)}) ..."))
        done = dict(zip(on_disk, got))
    for i, f in enumerate(files, 1):
        if f in done:
            checks.append(done[f])
            continue
        progress.show(f"analysing {f} ({i}/{len(files)}) ...")
        if f == "-":
            name = args.stdin_filename or "<stdin>"
            text = sys.stdin.buffer.read()
            from archlang.errors import ArchlangError

            try:
                text = api.decode(text, name)
            except ArchlangError as e:
                checks.append(api.invalid_check(name, e))
                continue
            checks.append(api.check_text(name, text, cfg, args.down, fail_on))
        else:
            checks.append(api.check_text(f, None, cfg, args.down, fail_on))
    progress.done()
    import gc

    # Every design and result lives until the report is written and the process ends: the
    # collector need not walk them again (a full pass over a 10,000-component result
    # costs more than the report).
    gc.freeze()
    bad = [c for c in checks if not c.valid]
    for c in bad:                   # the report has them too, as findings
        assert c.error is not None
        sys.stderr.write(c.error.render() + "\n")
    if bad:
        sys.stderr.write(f"archlang: {len(bad)} file{'s' if len(bad) != 1 else ''} "
                         "with errors\n")
    out = _render_check(checks, fmt, fail_on, args)
    if args.output:
        inputs = [f for f in files if f != "-"] + [
            f for c in checks if c.valid for f in c.analysed()[0].files]
        _emit(out, args.output, inputs)
    else:
        _emit(_paint(out) if fmt in ("text", "concise") and _color_enabled(sys.stdout)
              else out, None)
    status = api.overall(checks)
    if status == "invalid":
        return EXIT_INVALID
    if status == "fail" and not args.exit_zero:
        return EXIT_FAIL
    return EXIT_OK


def _render_check(checks: list[FileCheck], fmt: str, fail_on: str,
                  args: argparse.Namespace) -> str:
    """The report of every file in ``fmt`` (invalid files included, as findings)."""
    from archlang import api

    return api.report_checks(checks, fmt, fail_on=fail_on, root=_repo_root(),
                             show_info=args.show_info, quiet=args.quiet,
                             with_errors=bool(args.output))


def _analyze_one(path: str, down: list[str]) -> tuple[Design, Result] | None:
    """(design, result) of one file, or None after printing why."""
    from archlang import api
    from archlang.errors import ArchlangError

    designs = _load_all([path])
    if designs is None:
        return None
    try:
        return designs[0], api.analyze(designs[0], down=down)
    except ArchlangError as e:
        _err(e.render() + "\n")
        return None


_SUFFIX = {"mermaid": "mmd"}


def _render(args: argparse.Namespace) -> int:
    from archlang import api
    from archlang.errors import RenderError

    try:
        fmt = api.diagram_format(args.output, args.format)
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
    # Only what the picture shows: a flow view needs its flow's latency, the whole design
    # none; SPOFs but no other cut sets, no importance.
    from archlang.errors import ArchlangError

    try:
        got = designs[0], api.analyze(designs[0], down=args.down, detail=False,
                                      latency=[args.flow] if args.flow else ())
    except ArchlangError as e:       # an unknown name in --down
        sys.stderr.write(e.render() + "\n")
        return EXIT_INVALID
    try:
        data = api.render(*got, fmt, engine=args.engine, flow=args.flow)
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


def _report(args: argparse.Namespace) -> int:
    from archlang import api
    from archlang import config as cfgmod

    try:            # the configuration check reads: the same findings, the same counts
        cfg = cfgmod.resolve()
    except cfgmod.ConfigError as e:
        _err(e.render() + "\n")
        return EXIT_INVALID
    got = _analyze_one(args.file, args.down)
    if got is None:
        return EXIT_INVALID
    if args.engine:                    # an engine asked for must exist, as for render
        from archlang.errors import RenderError

        try:
            api.find_engine("svg", args.engine)
        except RenderError as e:
            _err(f"archlang: error: {e}\n")
            return EXIT_INVALID
    out = args.output or str(Path(args.file).with_suffix(".html"))
    write_atomic(out, api.render_html(*got, engine=args.engine, config=cfg), got[0].files)
    _err(f"wrote {out}\n")
    return EXIT_OK


def _fmt(args: argparse.Namespace) -> int:
    import difflib

    from archlang import api
    from archlang.discover import expand
    from archlang.errors import ArchlangError

    bad = changed = 0
    for f in expand(args.files):
        shown = (args.stdin_filename or "<stdin>") if f == "-" else f
        try:
            text = api.decode(sys.stdin.buffer.read(), shown) if f == "-" else \
                api.read_text(f)
            new = api.format(text, shown)
        except ArchlangError as e:
            _err(e.render() + "\n")
            bad += 1
            continue
        if f == "-" and not (args.check or args.diff):
            sys.stdout.write(new)            # a filter: the formatted design on stdout
            continue
        if new == text:
            continue
        changed += 1
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(
                text.splitlines(keepends=True), new.splitlines(keepends=True),
                fromfile=f"a/{shown}", tofile=f"b/{shown}"))
        elif args.check:
            sys.stdout.write(f"would reformat {shown}\n")
        else:
            write_atomic(f, new)
            _out(f"reformatted {_esc(f)}\n")
    if bad:
        return EXIT_INVALID
    return EXIT_FAIL if ((args.check or args.diff) and changed) else EXIT_OK


#: One side of a diff: (the file to read, the name to show it by), or None: no such file.
_Side = tuple[str, str] | None


def _diff_inputs(args: argparse.Namespace
                 ) -> tuple[list[tuple[_Side, _Side]], Sequence[gitrev.Snapshot]]:
    """[(base, head)] pairs to compare: each a (file to read, name to show) or None (absent).

    Raises GitError or ValueError (misuse) with a message for the user."""
    from archlang import gitrev

    def one(spec: str) -> tuple[str, str] | None:
        if os.path.exists(spec):
            return None
        got = gitrev.split_rev_path(spec)
        return got

    base_rp, head_rp = one(args.base), one(args.head)
    files = os.path.exists(args.base) and os.path.exists(args.head)
    if not files and base_rp is None and head_rp is None \
            and gitrev.is_revision(args.base) and gitrev.is_revision(args.head):
        top = gitrev.toplevel()
        pairs: list[tuple[_Side, _Side]] = []
        snaps = (gitrev.Snapshot(args.base, top), gitrev.Snapshot(args.head, top))
        in_base = gitrev.arch_files(args.base, args.paths, top)
        in_head = gitrev.arch_files(args.head, args.paths, top)
        for path in sorted(set(in_base) | set(in_head)):
            base, head = ((str(s.file(path)), f"{s.rev}:{path}") if path in found else None
                          for s, found in zip(snaps, (in_base, in_head)))
            pairs.append((base, head))
        if not pairs:
            raise ValueError(f"no *.arch file in {args.base} or {args.head}"
                             + (f" under {', '.join(args.paths)}" if args.paths else ""))
        return pairs, snaps
    missing = [spec for spec, rp in ((args.base, base_rp), (args.head, head_rp))
               if rp is None and not os.path.exists(spec)]
    for spec in sorted(missing, key=gitrev.is_revision):     # the unknown side first
        what = ("a git revision, but the other side is not one" if
                gitrev.is_revision(spec) else "neither a file nor a git revision")
        raise ValueError(f"'{spec}' is {what}: give two files, two revisions "
                         "(diff main HEAD), or REV:path and a file")
    if args.paths:
        raise ValueError("PATHS are for two revisions (diff main HEAD examples/); "
                         f"'{args.base}' and '{args.head}' are not both revisions")
    snapshots: list[gitrev.Snapshot] = []
    sides: list[tuple[str, str]] = []
    for spec, rp in ((args.base, base_rp), (args.head, head_rp)):
        if rp is None:
            sides.append((spec, spec))
            continue
        rev, path = rp
        top = gitrev.toplevel()
        if path.startswith("./") or path.startswith("../"):
            path = gitrev._top_relative(path, top)
        snap = gitrev.Snapshot(rev, top)
        snapshots.append(snap)
        sides.append((str(snap.file(path)), f"{rev}:{path}"))
    return [(sides[0], sides[1])], snapshots


def _diff(args: argparse.Namespace) -> int:
    """Exit 1 when HEAD is worse: an SLO newly fails, a SPOF appears or an error finding."""
    from archlang import api
    from archlang.errors import ArchlangError
    from archlang.gitrev import GitError

    snaps: Sequence[gitrev.Snapshot] = ()
    try:
        try:
            pairs, snaps = _diff_inputs(args)
        except (GitError, ValueError) as e:
            sys.stderr.write(f"archlang: error: {e}\n")
            return EXIT_INVALID
        diffs: list[DesignDiff] = []
        invalid: list[tuple[str, list[Diagnostic]]] = []
        for pair in pairs:
            results: list[Result | None] = []
            ok = True
            for side in pair:
                if side is None:
                    results.append(None)
                    continue
                try:
                    d = api.load(side[0], name=side[1])
                    results.append(api.analyze(d))
                except ArchlangError as e:
                    sys.stderr.write(e.render() + "\n")
                    invalid.append((side[1], e.diagnostics))
                    ok = False
            if not ok:                  # said in the report; the other files go on
                continue
            names = [s[1] if s else "(none)" for s in pair]
            empty = [api.empty_result(n) for n in names]
            diffs.append(api.diff(results[0] or empty[0], results[1] or empty[1]))
        if invalid:
            bad = len(invalid)
            sys.stderr.write(f"archlang: {bad} file{'s' if bad != 1 else ''} with errors\n")
    finally:
        for s in snaps:
            s.close()
    out = api.report_diff(diffs, args.format, invalid)
    _emit(out, args.output, [args.base, args.head])
    if invalid:
        return EXIT_INVALID
    return EXIT_FAIL if any(d.worse for d in diffs) else EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    from archlang import api

    try:
        sys.stdout.write(api.explain(args.code))       # a rule's name works too
    except KeyError:
        from archlang.errors import did_you_mean

        codes = api.rule_codes()
        names = list(codes) + list(codes.values())
        hint = did_you_mean(args.code.upper(), names) or did_you_mean(args.code, names)
        _err(f"archlang: unknown code '{args.code}'" + (f"; {hint}" if hint else "")
             + " (archlang explain lists every code)\n")
        return EXIT_INVALID
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    import json

    from archlang import api

    sys.stdout.write(json.dumps(api.schema(), indent=2, sort_keys=True) + "\n")
    return EXIT_OK


def _lsp(args: argparse.Namespace) -> int:
    from archlang.lsp import main as lsp_main

    return lsp_main()


def _live_ready(args: argparse.Namespace) -> bool:
    if not Path(args.file).is_file():
        sys.stderr.write(f"archlang: error: cannot read '{args.file}': no such file\n")
        return False
    try:
        import watchfiles  # noqa: F401
    except ImportError:
        sys.stderr.write(f"archlang: error: {args.command} needs watchfiles: "
                         "pip install 'archlang[live]'\n")
        return False
    return True


def _watch(args: argparse.Namespace) -> int:
    from archlang.live import watch

    if not _live_ready(args):
        return EXIT_INVALID
    return watch(args.file, lambda: main(["check", args.file]))


def _serve(args: argparse.Namespace) -> int:
    from archlang.live import serve

    if not _live_ready(args):
        return EXIT_INVALID
    try:
        return serve(args.file, port=args.port, engine=args.engine)
    except OSError as e:                 # the port is taken, or not ours to bind
        sys.stderr.write(f"archlang: error: cannot serve on 127.0.0.1:{args.port}: "
                         f"{e.strerror or e}\n")
        return EXIT_INVALID


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
