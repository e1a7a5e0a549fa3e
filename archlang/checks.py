"""`archlang check` over many files: load, analyse, select findings, decide each verdict.

Each file gives a :class:`FileCheck`: either its design and result, or the error that made
it invalid (``verdict == "invalid"``). One invalid file never hides the others: every
format reports the valid files in full and the invalid ones as findings of the code
``AL000`` (invalid-input), one per diagnostic, at the place it names. The run's exit code
is 2 when any file is invalid, else 1 when any verdict is "fail", else 0.

The problems of a valid file (archlang/findings.py: :func:`~archlang.findings.problems`)
are its findings plus one error per failing SLO (AL001 availability, AL002 latency, AL003
throughput, at the ``slo`` line) and one AL003 for a flow whose own rate does not fit (at
the ``flow`` line) when no throughput SLO already says so; the configuration's
select/ignore/per-file-ignores drop codes; the verdict is findings.py's one verdict over
the problems kept: "fail" when one is at or above ``fail_on`` (a failing SLO always fails).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from archlang.analysis.common import Finding
from archlang.config import Config
from archlang.errors import ArchlangError
from archlang.findings import invalid_findings, problems, verdict

if TYPE_CHECKING:
    from archlang.analysis.result import Result
    from archlang.model.design import Design



@dataclass
class FileCheck:
    path: str                         # as named on the command line (or --stdin-filename)
    design: Design | None = None      # None when invalid
    result: Result | None = None      # None when invalid
    error: ArchlangError | None = None
    problems: list[Finding] = field(default_factory=list)   # kept by the selection
    verdict: Literal["pass", "fail", "invalid"] = "pass"

    @property
    def valid(self) -> bool:
        return self.error is None

    def analysed(self) -> tuple[Design, Result]:
        """The design and result of a valid file (an invalid one has neither)."""
        assert self.design is not None and self.result is not None, self.path
        return self.design, self.result


def invalid_check(path: str, error: ArchlangError) -> FileCheck:
    """The check of a file that cannot be read, parsed or built: its diagnostics as AL000."""
    return FileCheck(path=path, error=error, problems=invalid_findings(error), verdict="invalid")


def check_text(path: str, text: str | None, config: Config, down: Sequence[str] = (),
               fail_on: str = "error") -> FileCheck:
    """Check one file (``text`` given: stdin named ``path``)."""
    from archlang.findings import analyze
    from archlang.model.build import load_design, loads_design

    try:
        design = load_design(path) if text is None else loads_design(text, path=path)
        result = analyze(design, down=down)
    except ArchlangError as e:
        return invalid_check(path, e)
    kept = [f for f in problems(result) if config.selected(f.code, f.span.file)]
    return FileCheck(path=path, design=design, result=result, problems=kept,
                     verdict=verdict(kept, fail_on))


#: The arguments of one :func:`check_text` call: path, text, config, down, fail_on.
_Job = tuple[str, "str | None", Config, Sequence[str], str]


def _check_file(job: _Job) -> FileCheck:
    """One file of :func:`check_files`, in a worker process."""
    return check_text(*job)


def check_files(paths: list[str], config: Config, down: Sequence[str] = (),
                fail_on: str = "error", jobs: int = 1,
                progress: Callable[[int, str], object] | None = None) -> list[FileCheck]:
    """:func:`check_text` of each file, in the order given. ``jobs`` > 1: in that many
    worker processes (each file is checked on its own, so the checks and the report made of
    them are the same, byte for byte, as with one). ``progress(i, path)`` is told of each
    file as it is started (one process) or done (several)."""
    work = [(p, None, config, tuple(down), fail_on) for p in paths]
    if jobs <= 1 or len(work) <= 1:
        out = []
        for i, job in enumerate(work, 1):
            if progress is not None:
                progress(i, job[0])
            out.append(check_text(*job))
        return out
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: a fresh interpreter per worker, never a fork of a process that may hold threads
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(work)), mp_context=ctx) as pool:
        out = []
        for i, fc in enumerate(pool.map(_check_file, work), 1):
            if progress is not None:
                progress(i, fc.path)
            out.append(fc)
        return out


def overall(checks: list[FileCheck]) -> str:
    """invalid, fail or pass: the worst of the files."""
    if any(c.verdict == "invalid" for c in checks):
        return "invalid"
    return "fail" if any(c.verdict == "fail" for c in checks) else "pass"
