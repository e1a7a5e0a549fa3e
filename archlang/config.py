"""Project configuration of `archlang check`, read the way ruff reads its own.

Where: the first of ``archlang.toml`` (keys at the top level) or ``pyproject.toml`` (keys
under ``[tool.archlang]``; a pyproject.toml without that table is skipped) found in the
current directory or a parent of it; ``--config PATH`` names the file instead, and
``--isolated`` ignores every file. Keys (all optional)::

    select = ["AL"]              # code prefixes to report ("ALL" or "AL" = every code)
    ignore = ["AL421"]           # code prefixes not to report
    fail-on = "warning"          # error (default) | warning
    format = "sarif"             # the default of --format
    exclude = ["vendor/"]        # gitignore-style patterns skipped when a directory is walked
    [per-file-ignores]           # [tool.archlang.per-file-ignores] in pyproject.toml
    "legacy/*.arch" = ["AL4"]

Selection follows ruff: a code is reported when the longest prefix of it in ``select`` is
longer than the longest in ``ignore`` (so ``select = ["AL4"]``, ``ignore = ["AL41"]``,
``select`` again ``AL411`` on the command line works as written). ``--select`` replaces the
file's ``select``; ``--ignore`` adds to its ``ignore``. Per-file-ignores patterns are
relative to the configuration file's directory; a pattern without ``/`` matches the file
name in any directory; ``*`` matches across directories. Invalid input (exit 2) is always
reported: it cannot be ignored.
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, TypedDict

from archlang.errors import ArchlangError, Diagnostic, did_you_mean
from archlang.formats import FORMATS
from archlang.span import Span

KEYS = ("select", "ignore", "fail-on", "format", "exclude", "per-file-ignores")
_CODE_PREFIX = re.compile(r"^(ALL|AL\d{0,3})$")


class ConfigError(ArchlangError):
    """The configuration file is not valid TOML or holds a wrong key or value."""


class _ConfigFields(TypedDict, total=False):
    """The fields of :class:`Config` that a file or the command line sets."""

    path: str | None
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    fail_on: str
    format: str
    exclude: tuple[str, ...]
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Config:
    path: str | None = None                        # where it was read from, None: defaults
    select: tuple[str, ...] = ("AL",)
    ignore: tuple[str, ...] = ()
    fail_on: str = "error"
    format: str = "text"
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def root(self) -> Path:
        """The directory relative paths in the file are taken from."""
        return Path(self.path).resolve().parent if self.path else Path.cwd()

    def selected(self, code: str, file: str | None = None) -> bool:
        """Whether a finding with ``code`` in ``file`` is reported."""
        ignore = list(self.ignore)
        if file is not None:
            for pattern, codes in self.per_file_ignores:
                if _matches(pattern, file, self.root):
                    ignore.extend(codes)
        return _longest(code, self.select) > _longest(code, ignore)


def _longest(code: str, prefixes: Iterable[str]) -> int:
    best = -1
    for p in prefixes:
        p = "AL" if p == "ALL" else p
        if code.startswith(p):
            best = max(best, len(p))
    return best


def _matches(pattern: str, file: str, root: Path) -> bool:
    p = Path(file)
    if "/" not in pattern:
        return fnmatch.fnmatchcase(p.name, pattern)
    try:
        rel = PurePosixPath(p.resolve().relative_to(root)).as_posix()
    except ValueError:
        rel = PurePosixPath(p).as_posix()
    return fnmatch.fnmatchcase(rel, pattern.lstrip("./").rstrip("/")) or \
        fnmatch.fnmatchcase(rel, pattern.lstrip("./").rstrip("/") + "/*")


def _toml() -> tuple[Callable[[str], dict[str, Any]], type[ValueError]]:
    """TOML's ``loads`` and its decode error (``tomllib``, or ``tomli`` on Python 3.10)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib.loads, tomllib.TOMLDecodeError


def find_config(start: Path | None = None) -> Path | None:
    """The nearest archlang.toml, or pyproject.toml with [tool.archlang], at or above start."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        own = d / "archlang.toml"
        if own.is_file():
            return own
        py = d / "pyproject.toml"
        if py.is_file():
            try:
                if "archlang" in _toml()[0](py.read_text("utf-8")).get("tool", {}):
                    return py
            except (OSError, UnicodeDecodeError, _toml()[1]):
                return py        # report its error when it is read
    return None


def _error(path: str, message: str, hint: str | None = None, line: int = 1,
           col: int = 1) -> ConfigError:
    return ConfigError([Diagnostic(message=message, span=Span.point(path, line, col),
                                   hint=hint)])


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read one configuration file. Raises ConfigError with the file and, for TOML, line."""
    shown = os.fspath(path)
    if os.path.isabs(shown):        # said as a path from here, as the design files are
        rel = os.path.relpath(shown)
        shown = rel if not rel.startswith("..") else shown
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise _error(shown, f"cannot read the configuration: {getattr(e, 'strerror', e) or e}"
                     ) from None
    toml_loads, toml_error = _toml()
    try:
        doc = toml_loads(text)
    except toml_error as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        raise _error(shown, f"invalid TOML: {str(e).split(' (at line')[0]}", line=line,
                     col=col) from None
    if Path(shown).name == "pyproject.toml":
        doc = doc.get("tool", {}).get("archlang", {})
        where = "[tool.archlang]"
    else:
        where = "the file"
    if not isinstance(doc, dict):
        raise _error(shown, f"{where} must be a table")
    for key in doc:
        if key not in KEYS:
            hint = did_you_mean(key.replace("_", "-"), KEYS)
            raise _error(shown, f"unknown key '{key}' in {where}",
                         hint or f"the keys are: {', '.join(KEYS)}")

    def codes(key: str, value: object) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _error(shown, f"'{key}' must be a list of codes, e.g. [\"AL4\", \"AL101\"]")
        out = []
        for v in value:
            v = v.strip().upper()
            if not _CODE_PREFIX.match(v):
                raise _error(shown, f"'{key}': '{v}' is not a code or code prefix",
                             "codes look like AL101; a prefix like AL4 selects a family")
            out.append(v)
        return tuple(out)

    def choice(key: str, value: object, allowed: Sequence[str]) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise _error(shown, f"'{key}' must be one of {', '.join(allowed)}, found {value!r}")
        return value

    kw: _ConfigFields = {"path": shown}
    if "select" in doc:
        kw["select"] = codes("select", doc["select"])
    if "ignore" in doc:
        kw["ignore"] = codes("ignore", doc["ignore"])
    if "fail-on" in doc:
        kw["fail_on"] = choice("fail-on", doc["fail-on"], ("error", "warning"))
    if "format" in doc:
        kw["format"] = choice("format", doc["format"], FORMATS)
    if "exclude" in doc:
        ex = doc["exclude"]
        if not isinstance(ex, list) or not all(isinstance(v, str) for v in ex):
            raise _error(shown, "'exclude' must be a list of patterns")
        kw["exclude"] = tuple(ex)
    if "per-file-ignores" in doc:
        pfi = doc["per-file-ignores"]
        if not isinstance(pfi, dict):
            raise _error(shown, "'per-file-ignores' must be a table of pattern = [codes]")
        kw["per_file_ignores"] = tuple((k, codes(f"per-file-ignores.{k}", v))
                                       for k, v in sorted(pfi.items()))
    return Config(**kw)


def resolve(config_path: str | None = None, isolated: bool = False,
            select: list[str] | None = None, ignore: list[str] | None = None) -> Config:
    """The configuration in force: the file (found or named), then the command line.

    Raises ConfigError for a bad file, ValueError for a bad --select/--ignore value.
    """
    if isolated:
        cfg = Config()
    elif config_path:
        cfg = load_config(config_path)
    else:
        found = find_config()
        cfg = load_config(found) if found else Config()
    kw: _ConfigFields = {}
    if select:
        kw["select"] = _cli_codes("--select", select)
    if ignore:
        kw["ignore"] = cfg.ignore + _cli_codes("--ignore", ignore)
    return replace(cfg, **kw) if kw else cfg


def _cli_codes(option: str, values: list[str]) -> tuple[str, ...]:
    out = []
    for v in values:
        for code in v.split(","):
            code = code.strip().upper()
            if not code:
                continue
            if not _CODE_PREFIX.match(code):
                raise ValueError(f"{option}: '{code}' is not a code or code prefix "
                                 "(codes look like AL101; a prefix like AL4 selects a family)")
            out.append(code)
    return tuple(out)


__all__ = ["FORMATS", "Config", "ConfigError", "find_config", "load_config", "resolve"]
