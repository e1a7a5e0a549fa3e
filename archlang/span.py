"""Source spans: where in which file a construct was written."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, TypeAlias

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from lark import Token, Tree
    from typing_extensions import TypeIs  # typing.TypeIs from Python 3.13

    #: What the parser hands the builder: a token, or a tree of them.
    LarkItem: TypeAlias = "Token | Tree[Token]"


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
    def point(cls, file: str, line: int, column: int, width: int = 1) -> Span:
        return make_span(file, line, column, line, column + max(width, 1) - 1)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


#: The fields set of every span: all five are always given. One set shared by every Span
#: (a model is frozen, and ``model_copy`` copies the set before it changes it): a set of
#: its own was 730 of the 1,060 bytes of a span, and a large design keeps ~20,000 spans.
_SPAN_FIELDS = {"file", "line", "column", "end_line", "end_column"}
_new = object.__new__
_set = object.__setattr__


def make_span(file: str, line: int, column: int, end_line: int, end_column: int) -> Span:
    """``Span.model_construct(file=..., ...)`` without its cost: the same object (the same
    ``__dict__``, fields set, no extra, no private), made directly from trusted values.

    The numbers are taken as ``n + 0``: the same value in an int object of its own (CPython
    makes a new object for a sum above 256). The line numbers of tokens are ints the lexer
    allocated amid the syntax tree; a span that kept them would pin the tree's memory
    (pymalloc returns an arena to the system only when nothing in it is alive), and the
    freed tree of a 10,000-component design would stay resident through the analyses."""
    m = _new(Span)
    _set(m, "__dict__", {"file": file, "line": line + 0, "column": column + 0,
                         "end_line": end_line + 0, "end_column": end_column + 0})
    _set(m, "__pydantic_fields_set__", _SPAN_FIELDS)
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m


# The fields set of each model instance (pydantic's record of the fields given, read only by
# dumps with ``exclude_unset``, which archlang never asks for) is a set of its own: a
# quarter to a half of a model's memory, ~70 MB of a 10,000-component check. Instances of
# the same class built from the same fields share one set instead. Only frozen models do:
# nothing assigns to them, and ``model_copy`` copies the set before it changes it.
_LAST_FIELDS: dict[type, set[str]] = {}


def share_fields_set(model: BaseModel) -> None:
    """Give a frozen ``model`` the fields set of the last instance of its class, if equal
    (one comparison: a builder makes runs of models from the same fields)."""
    got = model.__pydantic_fields_set__
    cls = type(model)
    last = _LAST_FIELDS.get(cls)
    if last is not None and last == got:
        _set(model, "__pydantic_fields_set__", last)
    else:
        _LAST_FIELDS[cls] = got


def is_tree(item: LarkItem) -> TypeIs[Tree[Token]]:
    """A Lark tree rather than a token (told apart without importing Lark)."""
    # A token is a str: told at once, without the failed attribute look-up (an exception
    # raised and caught inside hasattr) for each of the ~400,000 asked of a large design.
    return not isinstance(item, str) and hasattr(item, "children")


def tree_of(item: LarkItem) -> Tree[Token]:
    """``item`` where the grammar puts a rule: a tree (a token there is a bug)."""
    if not is_tree(item):
        raise TypeError(f"expected a syntax tree, found the token {item!r}")
    return item


def token_of(item: LarkItem) -> Token:
    """``item`` where the grammar puts a terminal: a token (a tree there is a bug)."""
    if is_tree(item):
        raise TypeError(f"expected a token, found the tree {item.data!r}")
    return item


# A token the parser or its lexer made always carries its positions; Lark's type has them
# Optional for tokens made by hand (except $END's end, which the parser leaves unset).
def line_of(tok: Token) -> int:
    """The line of a token from the parser."""
    assert tok.line is not None, tok
    return tok.line


def column_of(tok: Token) -> int:
    """The column of a token from the parser."""
    assert tok.column is not None, tok
    return tok.column


def start_of(tok: Token) -> int:
    """The offset of a token from the parser."""
    assert tok.start_pos is not None, tok
    return tok.start_pos


def end_of(tok: Token) -> int:
    """The offset just after a token from the parser (not $END)."""
    assert tok.end_pos is not None, tok
    return tok.end_pos


def _edge_token(tree: LarkItem, last: bool) -> Token | None:
    """The first (or last) token under a Lark tree, or None when it holds none."""
    stack: list[LarkItem] = [tree]
    while stack:
        node = stack.pop()
        if not is_tree(node):
            return node
        stack.extend(node.children if last else reversed(node.children))
    return None


def span_of(file: str, item: LarkItem, default: Span | None = None) -> Span:
    """The span of a Lark token, or of a tree: from its first token to its last.

    The parser keeps no positions on trees (``propagate_positions`` costs a third of the
    parse time of a large design), so a tree's span is taken from the tokens it keeps;
    anonymous keywords such as ``path`` or ``import`` are not among them. A tree without
    tokens gets ``default`` (or line 1, column 1).
    """
    if is_tree(item):
        first, end = _edge_token(item, False), _edge_token(item, True)
        if first is None or end is None:
            return default or Span.point(file, 1, 1)
        # Tokens from the parser always carry their positions; `or` only satisfies the
        # Optional in Lark's Token type (the token branch below falls back the same way).
        return make_span(file, first.line or 1, first.column or 1, end.end_line or 1,
                         max((end.end_column or 2) - 1, 1))
    # Lark's end_column points one past the last character. The values are Lark's own
    # positions (trusted ints), so the model is constructed without validation: this runs
    # for every token of a design.
    line = getattr(item, "line", None) or 1
    column = getattr(item, "column", None) or 1
    end_line = getattr(item, "end_line", None) or line
    end_column = getattr(item, "end_column", None) or (column + 1)
    return make_span(file, line, column, end_line,
                     max(column, end_column - 1) if end_line == line else max(end_column - 1, 1))
