"""Properties as the builder reads them: adapters over the parser's nodes.

A property (``Prop``) is its keyword and its values (``Val``: a name, a quantity, a
percentile, a string or a comma). Spans are computed on first use (``_Lazy``): most values
never appear in a message. This is the one place that reads a property's syntax-tree nodes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING

from archlang.span import Span, is_tree, make_span, span_of, tree_of

if TYPE_CHECKING:
    from archlang.span import LarkItem


class _Lazy:
    """A span computed on first use: most values never appear in a message, and building a
    Span for each of the ~100,000 tokens of a large design would cost more than parsing."""

    __slots__ = ("file", "item")

    def __init__(self, file: str, item: LarkItem) -> None:
        self.file, self.item = file, item

    def get(self) -> Span:
        return span_of(self.file, self.item)


class Val:
    """One argument of a property: a name, a quantity, a percentile, a string or a comma."""

    __slots__ = ("_span", "kind", "number", "parts", "text", "unit")

    def __init__(self, kind: str, text: str, span: Span | _Lazy, number: float | None = None,
                 unit: str | None = None, parts: tuple[str, ...] = ()) -> None:
        self.kind = kind                # name | quantity | percentile | string | comma
        self.text = text
        self._span = span
        self.number = number
        self.unit = unit
        self.parts = parts              # dotted names: us-east.a -> ("us-east", "a")

    @property
    def span(self) -> Span:
        if isinstance(self._span, _Lazy):
            self._span = self._span.get()
        return self._span

    @property
    def lazy_span(self) -> Span | _Lazy:
        """The span, or what computes it on first use (for a Prop made of this value)."""
        return self._span


class Prop:
    """A property: its keyword, its values, the keyword's span and the whole one's."""

    __slots__ = ("_span", "_whole", "key", "values")

    def __init__(self, key: str, span: Span | _Lazy, values: list[Val],
                 whole: Span | _Lazy) -> None:
        self.key = key
        self._span = span
        self.values = values
        self._whole = whole

    @property
    def span(self) -> Span:
        if isinstance(self._span, _Lazy):
            self._span = self._span.get()
        return self._span

    @property
    def whole(self) -> Span:
        if isinstance(self._whole, _Lazy):
            self._whole = self._whole.get()
        return self._whole

    @property
    def lazy_whole(self) -> Span | _Lazy:
        """The whole one's span, or what computes it on first use."""
        return self._whole


def _val_from(file: str, node: LarkItem) -> Val:
    sp = _Lazy(file, node)
    if is_tree(node):                        # a `ref` tree: a dotted name
        parts = tuple(str(t) for t in node.children)
        return Val("name", ".".join(parts), sp, parts=parts)
    t = node.type
    if t == "QUANTITY":
        text = str(node)
        num, unit = _split_quantity(text)
        return Val("quantity", text, sp, num, unit)
    if t == "PERCENTILE":
        return Val("percentile", str(node), sp, float(str(node)[1:]))
    if t == "STRING":
        return Val("string", _unquote(str(node)), sp)
    if t == "COMMA":
        return Val("comma", ",", sp)
    return Val("name", str(node), sp, parts=(str(node),))


# A design repeats its quantities (8ms, 99.9%, 400 rps ...): each text is split once.
@functools.lru_cache(maxsize=4096)
def _split_quantity(text: str) -> tuple[float, str | None]:
    i = 0
    while i < len(text) and (text[i].isdigit() or text[i] in ".-"):
        i += 1
    unit = text[i:].strip() or None
    return float(text[:i]), unit


def _unquote(s: str) -> str:
    from archlang.syntax.parser import decode_string

    return decode_string(s)


def _props(file: str, nodes: Iterable[LarkItem]) -> list[Prop]:
    out = []
    for p in map(tree_of, nodes):
        key_tok = p.children[0]
        values = [_val_from(file, c) for c in p.children[1:]]
        out.append(Prop(str(key_tok), _Lazy(file, key_tok), values, _Lazy(file, p)))
    return out


def _span_over(a: Span, b: Span) -> Span:
    """The span from the start of ``a`` to the end of ``b``."""
    return make_span(a.file, a.line, a.column, b.end_line, b.end_column)
