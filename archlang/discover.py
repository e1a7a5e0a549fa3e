"""Which files `archlang check DIR` reads: the ``*.arch`` files under it, as ruff finds its.

A file named on the command line is always read. A directory is walked in sorted order;
skipped are: what a ``.gitignore`` ignores (the ones in the walked directories and in
their parents up to the repository root, the directory holding ``.git``, with git's
semantics through the pathspec library), the configuration's ``exclude`` patterns
(gitignore-style, relative to the configuration file's directory) and the directories
tools keep their own files in (``.git``, ``.venv``, ``node_modules``, ... as ruff skips).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

SUFFIX = ".arch"
SKIPPED_DIRS = frozenset({
    ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".mypy_cache", ".nox",
    ".pants.d", ".pytype", ".ruff_cache", ".pytest_cache", ".svn", ".tox", ".venv",
    "__pypackages__", "__pycache__", "_build", "buck-out", "node_modules", "venv",
})


class _Ignores:
    """The .gitignore files met on the way down, each applying below its own directory."""

    def __init__(self, exclude: tuple[str, ...] = (), exclude_root: Path | None = None):
        self.specs: list[tuple[Path, GitIgnoreSpec]] = []
        if exclude:
            self.specs.append((exclude_root or Path.cwd().resolve(), _spec(exclude)))

    def add_dir(self, d: Path) -> None:
        gi = d / ".gitignore"
        if gi.is_file():
            try:
                lines = gi.read_text("utf-8", errors="replace").splitlines()
            except OSError:
                return
            self.specs.append((d, _spec(lines)))

    def ignored(self, p: Path, is_dir: bool) -> bool:
        for base, spec in self.specs:
            try:
                rel = p.relative_to(base).as_posix()
            except ValueError:
                continue
            if spec.match_file(rel + ("/" if is_dir else "")):
                return True
        return False


def _spec(lines: Iterable[str]) -> GitIgnoreSpec:
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


def _repo_root(d: Path) -> Path | None:
    for p in (d, *d.parents):
        if (p / ".git").exists():
            return p
    return None


def expand(paths: list[str], exclude: tuple[str, ...] = (),
           exclude_root: Path | None = None) -> list[str]:
    """The files to check, in the order given (each directory's files sorted), no repeats.

    A name that is neither a file nor a directory is kept, so that reading it reports it.
    """
    out: list[str] = []
    seen: set[str] = set()

    def add(name: str) -> None:
        key = os.path.normpath(os.path.abspath(name))
        if key not in seen:
            seen.add(key)
            out.append(name)

    for given in paths:
        if given == "-" or not os.path.isdir(given):
            add(given)
            continue
        start = Path(given).resolve()
        ignores = _Ignores(tuple(exclude), exclude_root)
        root = _repo_root(start)
        if root is not None:
            for d in reversed(start.parents):
                if d == root or root in d.parents:
                    ignores.add_dir(d)
        for path in _walk(start, ignores):
            rel = os.path.relpath(path, start)
            add(os.path.normpath(os.path.join(given, rel)))
    return out


def _walk(d: Path, ignores: _Ignores) -> Iterator[Path]:
    ignores.add_dir(d)
    try:
        entries = sorted(os.scandir(d), key=lambda e: e.name)
    except OSError:
        return
    for e in entries:
        p = Path(e.path)
        if e.is_dir(follow_symlinks=False):
            if e.name in SKIPPED_DIRS or ignores.ignored(p, True):
                continue
            n = len(ignores.specs)
            yield from _walk(p, ignores)
            del ignores.specs[n:]          # a directory's .gitignore applies below it only
        elif e.name.endswith(SUFFIX) and e.is_file() and not ignores.ignored(p, False):
            yield p
