"""The command line. The only module that reads arguments, prints and exits.

Exit codes: 0 all SLOs met and no finding at or above --fail-on; 1 an SLO fails or such a
finding exists; 2 the input is invalid or the command is misused.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_INVALID = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # misuse: exit 2 with a short usage line
        self.print_usage(sys.stderr)
        sys.stderr.write(f"archlang: error: {message}\n")
        raise SystemExit(EXIT_INVALID)


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    """Write the whole file or nothing: a temporary file beside it, then a rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": ""})) as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


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
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return EXIT_INVALID
    try:
        return {"check": _check}[args.command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _emit(text: str, output: str | None) -> None:
    if output:
        write_atomic(output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _check(args) -> int:
    from archlang.api import load
    from archlang.errors import ArchlangError
    from archlang.render import text as text_out

    designs = []
    invalid = False
    for f in args.files:
        try:
            designs.append(load(f))
        except ArchlangError as e:
            invalid = True
            sys.stderr.write(e.render() + "\n")
    if invalid:
        n = sum(1 for _ in args.files) - len(designs)
        sys.stderr.write(f"archlang: {n} file{'s' if n != 1 else ''} with errors\n")
        return EXIT_INVALID
    if args.format == "json":
        from archlang.render.json import render_json

        _emit(render_json(designs), args.output)
    else:
        _emit(text_out.render_text(designs), args.output)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
