"""Diagnostics and the exception tree.

    ArchlangError                 anything wrong with the input; carries diagnostics
    ├── SourceError               a file cannot be read: missing, not UTF-8, empty
    ├── SyntaxError_              the text does not follow the grammar
    ├── ImportError_              an import cycle or an import outside the project root
    └── DesignError               it parses, but names, values or structure are wrong

Every diagnostic carries a span and prints as

    path:line:col: error: message
       12 |   server api { replicas 2 min 3 }
          |                              ^
    hint: ...

and ``str(error)`` is exactly what the CLI prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from archlang.span import Span

Severity = Literal["error", "warning", "info"]


class Diagnostic(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    severity: Severity = "error"
    message: str
    span: Span
    hint: str | None = None
    code: str | None = None
    source_line: str | None = None

    def render(self) -> str:
        """The diagnostic as the CLI prints it. Nothing of the design reaches the terminal
        raw: the file name, the message, the hint and the echoed line have their control
        characters escaped (archlang.escape), and the caret is placed under the escaped text."""
        from archlang.escape import text as esc

        code = f" {self.code}" if self.code else ""
        out = [f"{esc(str(self.span))}: {self.severity}:{code} {esc(self.message)}"]
        if self.source_line is not None:
            raw = self.source_line.rstrip("\n").replace("\t", " ")
            gutter = f"{self.span.line:>5} | "
            out.append(gutter + esc(raw))
            width = 1
            if self.span.end_line == self.span.line:
                width = max(1, self.span.end_column - self.span.column + 1)
            start = self.span.column - 1
            width = min(width, max(1, len(raw) - start))
            col = len(esc(raw[:start]))
            width = max(1, len(esc(raw[start:start + width])))
            out.append(" " * (len(gutter) - 2) + "| " + " " * col + "^" * width)
        if self.hint:
            out.append(f"  hint: {esc(self.hint)}")
        return "\n".join(out)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


class ArchlangError(Exception):
    """Invalid input. ``diagnostics`` holds every problem found, sorted by position."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(
            diagnostics, key=lambda d: (d.span.file, d.span.line, d.span.column, d.message))
        super().__init__(self.render())

    @property
    def span(self) -> Span:
        return self.diagnostics[0].span

    @property
    def message(self) -> str:
        return self.diagnostics[0].message

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)

    def __str__(self) -> str:
        return self.render()

    def __reduce__(self) -> tuple[type[ArchlangError], tuple[list[Diagnostic]]]:
        # Pickled whole (`check -j N` sends them between processes): rebuilt from the
        # diagnostics, not from the rendered message Exception.args holds.
        return (type(self), (self.diagnostics,))


class SourceError(ArchlangError):
    """A file is missing, unreadable, not UTF-8 or empty."""


class SyntaxError_(ArchlangError):
    """The text does not follow the grammar."""


class ImportError_(ArchlangError):
    """An import cycle, or an import that leaves the project root."""


class DesignError(ArchlangError):
    """The design parses but is inconsistent: unknown names, bad values, bad structure."""


class RenderError(RuntimeError):
    """No Graphviz engine can be found, or it failed on the DOT (archlang/render/engine.py).
    Kept with the other errors so that the command line catches it without importing the
    renderers."""
