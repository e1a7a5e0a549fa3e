"""Source spans: where in which file a construct was written."""

from __future__ import annotations

import functools

from pydantic import BaseModel, ConfigDict


def normalize_newlines(text: str) -> str:
    """CRLF and a lone CR (old Mac files) read as LF, as every editor shows them."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


@functools.lru_cache(maxsize=16)
def _lines(text: str) -> tuple[str, ...]:
    return tuple(text.split("\n"))


def source_lines(text: str) -> tuple[str, ...]:
    """The lines of a source as the parser counts them: split at LF only.

    ``str.splitlines`` also splits at a form feed, U+2028, U+0085 and others, which Lark
    does not count as line breaks: the line a diagnostic names, the line it shows and the
    line a ``# noqa`` is looked for on must be one and the same."""
    return _lines(text)


class Span(BaseModel):
    """A range of source text. Lines and columns count from 1; the end is inclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, file: str, line: int, column: int, width: int = 1) -> "Span":
        return cls.model_construct(file=file, line=line, column=column, end_line=line,
                                   end_column=column + max(width, 1) - 1)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def _edge_token(tree, last: bool):
    """The first (or last) token under a Lark tree, or None when it holds none."""
    stack = [tree]
    while stack:
        node = stack.pop()
        children = getattr(node, "children", None)
        if children is None:
            return node
        stack.extend(children if last else reversed(children))
    return None


def span_of(file: str, item, default: Span | None = None) -> Span:
    """The span of a Lark token, or of a tree: from its first token to its last.

    The parser keeps no positions on trees (``propagate_positions`` costs a third of the
    parse time of a large design), so a tree's span is taken from the tokens it keeps;
    anonymous keywords such as ``path`` or ``import`` are not among them. A tree without
    tokens gets ``default`` (or line 1, column 1).
    """
    if hasattr(item, "children"):  # a Tree
        first, end = _edge_token(item, False), _edge_token(item, True)
        if first is None:
            return default or Span.point(file, 1, 1)
        return Span.model_construct(file=file, line=first.line, column=first.column,
                                    end_line=end.end_line,
                                    end_column=max(end.end_column - 1, 1))
    # Lark's end_column points one past the last character. The values are Lark's own
    # positions (trusted ints), so the model is constructed without validation: this runs
    # for every token of a design.
    line = getattr(item, "line", None) or 1
    column = getattr(item, "column", None) or 1
    end_line = getattr(item, "end_line", None) or line
    end_column = getattr(item, "end_column", None) or (column + 1)
    return Span.model_construct(
        file=file, line=line, column=column, end_line=end_line,
        end_column=max(column, end_column - 1) if end_line == line else max(end_column - 1, 1))
