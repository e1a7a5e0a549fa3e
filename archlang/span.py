"""Source spans: where in which file a construct was written."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Span(BaseModel):
    """A range of source text. Lines and columns count from 1; the end is inclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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


def span_of(file: str, item) -> Span:
    """The span of a Lark token or of a tree's meta."""
    if hasattr(item, "meta"):  # a Tree
        item = item.meta
    line = getattr(item, "line", None) or 1
    column = getattr(item, "column", None) or 1
    end_line = getattr(item, "end_line", None) or line
    end_column = getattr(item, "end_column", None) or (column + 1)
    # Lark's end_column points one past the last character. The values are Lark's own
    # positions (trusted ints), so the model is constructed without validation: this runs
    # for every token of a design.
    return Span.model_construct(
        file=file, line=line, column=column, end_line=end_line,
        end_column=max(column, end_column - 1) if end_line == line else max(end_column - 1, 1))
