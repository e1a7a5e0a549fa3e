"""`archlang fmt`: print a design in the canonical layout, from its syntax tree.

Canonical layout: two spaces per block level; one statement or property per line, except a
component block that was written on one line and still fits in 100 columns; single spaces
between words, `, ` in lists; at most one blank line where the source had any. Comments
are kept: a comment on a line of its own stays before the statement that follows it, a
comment after code stays at the end of that line, at the column it was written at
where the code leaves room. Formatting is idempotent and never
changes what the design means (a test parses both and compares the models).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TypeAlias

from archlang.span import (
    column_of,
    end_of,
    is_tree,
    line_of,
    normalize_newlines,
    source_lines,
    token_of,
    tree_of,
)
from archlang.syntax.parser import grammar_text, parse

if TYPE_CHECKING:
    from lark import Lark, Token, Tree

    Node: TypeAlias = "Tree[Token]"
    Item: TypeAlias = "Token | Tree[Token]"

WIDTH = 100
_UNIT = re.compile(r"%|us|ms|s|m|h|d|rps|qps|rpm|KB|MB|GB|TB|B")
_HAS_UNIT = re.compile(r"[A-Za-z%]")


# Properties that stay on the line of the one before them when written so.
_SAME_LINE = {"mtbf": ("mttr",), "replication": ("rf", "read_quorum", "write_quorum")}


@functools.lru_cache(maxsize=1)
def _comment_parser() -> tuple[Lark, list[Token]]:
    from lark import Lark

    sink: list[Token] = []
    parser = Lark(grammar_text(), parser="lalr", propagate_positions=True,
                  maybe_placeholders=False, lexer_callbacks={"COMMENT": sink.append},
                  cache=True)    # Lark's cached grammar analysis, as the parser has it
    return parser, sink


def format_text(text: str, file: str = "<string>") -> str:
    """The canonical form of ``text``. Raises SyntaxError_ (with a span) on a syntax error."""
    text = normalize_newlines(text)
    parse(text, file)                     # the friendly syntax errors
    parser, sink = _comment_parser()
    sink.clear()
    tree = parser.parse(text)
    comments = list(sink)
    sink.clear()
    return _Printer(text, comments).run(tree)


def _q(tok: Item) -> str:
    """A token as fmt writes it: a quantity with one space before a detached unit
    (`120   rps` -> `120 rps`); everything else, strings above all, byte for byte."""
    if getattr(tok, "type", None) == "QUANTITY":
        return re.sub(r"\s+", " ", str(tok))
    return str(tok)


def _w(node: Item) -> str:
    """The text of a token, a dotted ref, or a one-keyword rule (kind, propkey, call_mod)."""
    if not is_tree(node):
        return _q(node)
    if node.data == "ref":
        return ".".join(str(t) for t in node.children)
    if node.data == "call_opt":                 # timeout 2s, hedge p95: keyword and value
        return " ".join(_q(t) for t in node.children)
    return _w(node.children[0])


def _step(node: Item) -> str:
    """`-> b | c x3 parallel`: a step of a call or a path, in canonical spacing."""
    children = tree_of(node).children
    arrow, targets, mods = str(children[0]), [], []
    for c in children[1:]:
        if is_tree(c):        # call_mod: a keyword and its value, or a count
            mods.append(" ".join(_w(t) for t in c.children))
        else:
            targets.append(str(c))
    return " ".join([arrow, " | ".join(targets)] + mods)


class _Printer:
    def __init__(self, text: str, comments: Iterable[Token]) -> None:
        self.text = text
        self.src = source_lines(text)
        self.full: list[tuple[int, str]] = []     # comments alone on their line: (line, text)
        self.trailing: dict[int, tuple[int, str]] = {}
        for c in comments:
            line, column = line_of(c), column_of(c)
            before = self.src[line - 1][: column - 1]
            if before.strip():
                self.trailing[line] = (column, str(c).rstrip())
            else:
                self.full.append((line, str(c)))
        self.out: list[str] = []
        self.last = 0                 # last source line accounted for

    # ---- emitting ----------------------------------------------------------------------
    def _gap(self, upto: int) -> bool:
        return any(not self.src[i - 1].strip() for i in range(self.last + 1, upto)
                   if 0 < i <= len(self.src))

    def _flush(self, before: int, depth: int) -> None:
        while self.full and self.full[0][0] < before:
            line, comment = self.full.pop(0)
            self._blank_if_gap(line)
            self.out.append("  " * depth + comment.rstrip())
            self.last = line

    def _blank_if_gap(self, line: int) -> None:
        if self.out and self._gap(line) and self.out[-1] != "" and not self.out[-1].endswith("{"):
            self.out.append("")

    def emit(self, depth: int, text: str, start: int, end: int | None = None,
             inside: Iterable[Item] = ()) -> None:
        """One output line for source lines start..end. A comment at the end of a line goes
        with the last construct on that line, so a block header leaves it to a construct
        ``inside`` it that starts on the same line."""
        end = end or start
        self._flush(start, depth)
        self._blank_if_gap(start)
        busy = {c.meta.line for c in inside if is_tree(c) and not c.meta.empty}
        tails = [self.trailing.pop(i) for i in range(start, end + 1)
                 if i in self.trailing and i not in busy]
        line = "  " * depth + text
        for column, comment in tails:   # keep the column it was written at, where it fits
            line += " " * max(2, column - 1 - len(line)) + comment
        self.out.append(line)
        self.last = max(self.last, end)

    def close(self, depth: int, node: Node) -> None:
        end = node.meta.end_line
        self._flush(end, depth + 1)
        self.emit(depth, "}", end)

    def run(self, tree: Node) -> str:
        for node in tree.children:
            self.stmt(node, 0)
        self._flush(10**9, 0)
        return "\n".join(self.out).rstrip("\n") + "\n"

    # ---- statements --------------------------------------------------------------------
    def stmt(self, node: Item, depth: int) -> None:
        node = tree_of(node)
        getattr(self, "s_" + node.data)(node, depth)

    def s_system(self, node: Node, depth: int) -> None:
        name = next(t for t in node.children if getattr(t, "type", None) == "NAME")
        stmts = [c for c in node.children if is_tree(c)]
        self.emit(depth, f"system {name} {{", node.meta.line, inside=stmts)
        for s in stmts:
            self.stmt(s, depth + 1)
        self.close(depth, node)

    def s_import_stmt(self, node: Node, depth: int) -> None:
        path = next(t for t in node.children if getattr(t, "type", None) == "STRING")
        self.emit(depth, f"import {path}", node.meta.line, node.meta.end_line)

    def s_description(self, node: Node, depth: int) -> None:
        self.emit(depth, f"description {node.children[0]}", node.meta.line, node.meta.end_line)

    def _domain_props(self, nodes: Iterable[Item]) -> str:
        parts = []
        for p in map(tree_of, nodes):
            parts.append(" ".join([_w(p.children[0])] + [_q(v) for v in p.children[1:]]))
        return (" " + " ".join(parts)) if parts else ""

    def s_region(self, node: Node, depth: int) -> None:
        props = [c for c in map(tree_of, node.children[1:]) if c.data == "domain_prop"]
        body = [c for c in map(tree_of, node.children[1:]) if c.data == "region_body"]
        head = f"region {node.children[0]}{self._domain_props(props)}"
        if not body:
            self.emit(depth, head, node.meta.line, node.meta.end_line)
            return
        b = body[0]
        zone_trees = [tree_of(z) for z in b.children]
        if node.meta.line == node.meta.end_line:
            zones = " ".join(f"zone {z.children[0]}{self._domain_props(z.children[1:])}"
                             for z in zone_trees)
            one = f"{head} {{ {zones} }}" if zones else f"{head} {{ }}"
            if len("  " * depth + one) <= WIDTH:
                self.emit(depth, one, node.meta.line)
                return
        self.emit(depth, head + " {", node.meta.line, inside=b.children)
        for z in zone_trees:
            self.emit(depth + 1, f"zone {z.children[0]}{self._domain_props(z.children[1:])}",
                      z.meta.line, z.meta.end_line)
        self.close(depth, node)

    def s_network(self, node: Node, depth: int) -> None:
        items = [c for c in node.children if is_tree(c)]
        self.emit(depth, "network {", node.meta.line, inside=items)
        for item in items:
            if item.data == "net_setting":
                text = f"{item.children[0]} {_q(item.children[1])}"
            else:
                a, b, q = item.children
                text = f"{a} <-> {b} {_q(q)}"
            self.emit(depth + 1, text, item.meta.line, item.meta.end_line)
        self.close(depth, node)

    def s_defaults(self, node: Node, depth: int) -> None:
        self.emit(depth, "defaults {", node.meta.line, inside=node.children)
        for block in map(tree_of, node.children):
            kind = _w(block.children[0])
            self._block(f"{kind}", block, block.children[1:], depth + 1)
        self.close(depth, node)

    def _prop(self, p: Item) -> str:
        children = tree_of(p).children
        words = [_w(children[0])]
        prev = None
        for v in children[1:]:
            if getattr(v, "type", None) == "COMMA":
                words[-1] += ","
            else:
                if (getattr(prev, "type", None) == "QUANTITY" and _UNIT.fullmatch(str(v))
                        and _UNIT.fullmatch(str(prev)) is None and not _HAS_UNIT.search(str(prev))):
                    # `1500` then a name `rps` (written across a form feed): a space would
                    # make one quantity of them, so they stay apart with a `;`
                    words[-1] += ";"
                words.append(_w(v))
            prev = v
        return " ".join(words)

    def _block(self, head: str, node: Node, props: Sequence[Item], depth: int,
               braces: bool = True) -> None:
        if not braces:
            self.emit(depth, head, node.meta.line, node.meta.end_line)
            return
        if node.meta.line == node.meta.end_line:
            inner = " ".join(self._prop(p) for p in props)
            one = f"{head} {{ {inner} }}" if inner else f"{head} {{ }}"
            if len("  " * depth + one) <= WIDTH:
                self.emit(depth, one, node.meta.line)
                return
        trees = [tree_of(p) for p in props]
        self.emit(depth, head + " {", node.meta.line, inside=trees)
        i = 0
        while i < len(trees):
            p = trees[i]
            text, end = self._prop(p), p.meta.end_line
            nxt = trees[i + 1] if i + 1 < len(trees) else None
            # `mtbf 30d mttr 1h` and `replication leaderless rf 3 read_quorum 2 write_quorum 2`
            # are one idea each: what follows them on their line stays there as written
            follows = _SAME_LINE.get(self._key(p), ())
            while nxt is not None and self._key(nxt) in follows \
                    and nxt.meta.line == end:
                text, end = f"{text} {self._prop(nxt)}", nxt.meta.end_line
                i += 1
                nxt = trees[i + 1] if i + 1 < len(trees) else None
            self.emit(depth + 1, text, p.meta.line, end)
            i += 1
        self.close(depth, node)

    @staticmethod
    def _key(p: Item) -> str:
        return _w(tree_of(p).children[0])

    def s_component(self, node: Node, depth: int) -> None:
        kind = _w(node.children[0])
        head = f"{kind} {node.children[1]}"
        if len(node.children) > 2:
            body = tree_of(node.children[2])
            self._block(head, node, body.children, depth)
        else:
            self._block(head, node, [], depth, braces=False)

    def s_call(self, node: Node, depth: int) -> None:
        words = [str(node.children[0])] + [_step(st) for st in node.children[1:]]
        self.emit(depth, " ".join(words), node.meta.line, node.meta.end_line)

    def s_flow(self, node: Node, depth: int) -> None:
        name = token_of(node.children[0])
        brace = self.text.index("{", end_of(name))
        head = f"flow {name}"
        items = [tree_of(c) for c in node.children[1:]]
        if items and items[0].data == "flow_rate" and items[0].meta.start_pos < brace:
            head += f" rate {_q(items[0].children[0])}"
            items = items[1:]
        self.emit(depth, head + " {", node.meta.line, inside=items)
        for it in items:
            self.emit(depth + 1, self._flow_item(it), it.meta.line, it.meta.end_line)
        self.close(depth, node)

    def _flow_item(self, it: Node) -> str:
        d = it.data
        if d == "flow_rate":
            return f"rate {_q(it.children[0])}"
        if d == "description":
            return f"description {it.children[0]}"
        if d == "flow_prop":
            return f"consistency {it.children[0]}"
        if d == "slo":
            return " ".join(["slo", str(it.children[0])] + [_q(v) for v in it.children[1:]])
        return " ".join(["path", str(it.children[0])] + [_step(st) for st in it.children[1:]])
