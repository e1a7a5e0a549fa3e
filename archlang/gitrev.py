"""Designs as they were at a git revision, imports included, without touching the work tree.

`archlang diff main HEAD [PATHS]` and `archlang diff REV:path path` read the files of a
revision with ``git archive`` into a temporary directory (the directory of each design and
everything below it: imports cannot leave it) and load them from there; messages name them
``REV:path``, git's own spelling, with the path relative to the repository's top level.
The user's checkout, index and stash are never touched.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Literal, overload


class GitError(Exception):
    """git is missing, this is not a repository, or a revision or path does not exist."""


@overload
def _git(args: list[str], cwd: str | os.PathLike[str] | None = None,
         binary: Literal[False] = False) -> str: ...
@overload
def _git(args: list[str], cwd: str | os.PathLike[str] | None = None, *,
         binary: Literal[True]) -> bytes: ...


def _git(args: list[str], cwd: str | os.PathLike[str] | None = None,
         binary: bool = False) -> str | bytes:
    try:
        r = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False,
                           stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise GitError("git is not installed (reading a revision needs it)") from None
    if r.returncode != 0:
        msg = r.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(msg[-1] if msg else f"git {' '.join(args)} failed")
    return r.stdout if binary else r.stdout.decode("utf-8", "surrogateescape")


def toplevel(cwd: str | os.PathLike[str] | None = None) -> Path:
    return Path(_git(["rev-parse", "--show-toplevel"], cwd=cwd).strip())


def is_revision(spec: str) -> bool:
    """Does ``spec`` name a commit (a branch, a tag, a sha, HEAD~2, ...)?"""
    if not spec or spec.startswith("-"):
        return False
    try:
        _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{spec}^{{commit}}"])
        return True
    except GitError:
        return False


def split_rev_path(spec: str) -> tuple[str, str] | None:
    """``REV:path`` as (rev, path), when REV names a commit; else None."""
    if ":" not in spec or os.path.exists(spec):
        return None
    rev, _, path = spec.partition(":")
    if not rev or not path or not is_revision(rev):
        return None
    return rev, path


def _top_relative(path: str, top: Path) -> str:
    """A user's path (relative to the current directory) as a path from the top level."""
    rel = os.path.relpath(os.path.realpath(path), top.resolve())
    if rel.startswith(".."):
        raise GitError(f"'{path}' is outside the repository")
    return PurePosixPath(Path(rel)).as_posix() if rel != "." else ""


def arch_files(rev: str, paths: list[str], top: Path) -> list[str]:
    """The ``*.arch`` files of ``rev`` under ``paths`` (all when empty), from the top level."""
    specs = [_top_relative(p, top) for p in paths]
    out = _git(["ls-tree", "-r", "-z", "--name-only", "--full-tree", rev, "--",
                *[s for s in specs if s]], cwd=top)
    return sorted(p for p in out.split("\0") if p.endswith(".arch"))


class Snapshot:
    """The files of one revision, extracted on demand into a temporary directory."""

    def __init__(self, rev: str, top: Path) -> None:
        self.rev, self.top = rev, top
        self._tmp = tempfile.TemporaryDirectory(prefix="archlang-rev-")
        self.dir = Path(self._tmp.name)
        self._done: set[str] = set()

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._tmp.cleanup()

    def file(self, path: str) -> Path:
        """Extract the directory of ``path`` (top-level relative) and return where it is."""
        folder = str(PurePosixPath(path).parent)
        if not any(folder == d or folder.startswith(d.rstrip("/") + "/") or d == "."
                   for d in self._done):
            data = _git(["archive", "--format=tar", self.rev, "--",
                         folder if folder != "." else "."], cwd=self.top, binary=True)
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
                for m in members:            # nothing outside the directory, no links
                    if m.name.startswith("/") or ".." in PurePosixPath(m.name).parts:
                        raise GitError(f"unsafe path in {self.rev}: {m.name}")
                if hasattr(tarfile, "data_filter"):
                    tar.extractall(self.dir, members=members, filter="data")
                else:  # pragma: no cover - Pythons before the extraction filters
                    tar.extractall(self.dir, members=members)
            self._done.add(folder)
        target = self.dir / path
        if not target.is_file():
            raise GitError(f"path '{path}' does not exist in '{self.rev}'")
        return target
