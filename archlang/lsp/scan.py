"""Tokens and names of a design for the editor, without parsing it.

The language server needs names while the text is being typed, when it often does not
parse: ``tokens`` reads the text with the grammar's own token patterns (from the
vocabulary), and ``index`` finds the declarations (components, regions, zones, flows), the
imports and every use of a declared name in a set of files. Positions are 0-based lines
and code-point columns; the server converts them to the client's units.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field

from archlang.highlight.vocabulary import vocabulary

#: Statements that open a block of their own (what a '{' after them belongs to).
BLOCKS = frozenset({"system", "region", "network", "defaults", "flow"})


@dataclass(frozen=True)
class Tok:
    kind: str           # name, string, number, comment, arrow, punct, other
    text: str
    line: int           # 0-based
    col: int            # 0-based, code points
    end_col: int


@functools.lru_cache(maxsize=1)
def _token_re() -> re.Pattern[str]:
    p = vocabulary().patterns
    parts = [("ws", r"[ \t\r\f;]+"), ("nl", r"\n"), ("comment", p["COMMENT"]),
             ("string", p["STRING"]), ("number", p["COUNT"]), ("number", p["PERCENTILE"]),
             ("number", p["QUANTITY"]), ("arrow", p["ARROW"]), ("arrow", r"<->"),
             ("name", p["NAME"]), ("punct", r"[{}|.,]"), ("other", r".")]
    names: dict[str, int] = {}
    groups = []
    for kind, rx in parts:
        names[kind] = names.get(kind, 0) + 1
        groups.append(f"(?P<{kind}{names[kind]}>{rx})")
    return re.compile("|".join(groups))


def tokens(text: str) -> list[Tok]:
    """The tokens of ``text`` that are not blank, in order (comments included)."""
    out: list[Tok] = []
    line, line_start = 0, 0
    for m in _token_re().finditer(text):
        assert m.lastgroup is not None          # every alternative is a named group
        kind = m.lastgroup.rstrip("0123456789")
        if kind == "nl":
            line, line_start = line + 1, m.end()
            continue
        if kind == "ws":
            continue
        col = m.start() - line_start
        out.append(Tok(kind, m.group(), line, col, col + len(m.group())))
    return out


@dataclass(frozen=True)
class Occurrence:
    key: tuple[str, str]    # ("component", "api"), ("zone", "us-east.a"), ("import", path)
    file: str
    line: int
    col: int
    end_col: int
    declaration: bool = False


@dataclass
class Index:
    """Declarations and uses of the names of a design, over all its files."""

    occurrences: list[Occurrence] = field(default_factory=list)

    def declarations(self) -> dict[tuple[str, str], Occurrence]:
        out: dict[tuple[str, str], Occurrence] = {}
        for o in self.occurrences:
            if o.declaration:
                out.setdefault(o.key, o)
        return out

    def at(self, file: str, line: int, col: int) -> Occurrence | None:
        """The occurrence under the cursor (a cursor just after a name is on it)."""
        for o in self.occurrences:
            if o.file == file and o.line == line and o.col <= col <= o.end_col:
                return o
        return None

    def uses(self, key: tuple[str, str]) -> list[Occurrence]:
        return [o for o in self.occurrences if o.key == key]

    def names(self, kind: str) -> list[str]:
        return sorted({k[1] for k in self.declarations() if k[0] == kind})


def index(sources: dict[str, str]) -> Index:
    """Declarations, imports and uses of declared names in ``sources`` (file -> text)."""
    words = vocabulary().words()
    decls: list[Occurrence] = []
    candidates: list[tuple[str, str, Tok]] = []     # (file, "name" | "zone" | "region", tok)
    imports: list[Occurrence] = []
    for file, text in sources.items():
        toks = [t for t in tokens(text) if t.kind != "comment"]
        stack: list[str] = []
        pending = "block"
        region = None
        for i, t in enumerate(toks):
            prev = toks[i - 1] if i else None
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if t.kind == "punct" and t.text == "{":
                stack.append(pending)
                pending = "block"
                continue
            if t.kind == "punct" and t.text == "}":
                if stack:
                    stack.pop()
                continue
            if t.kind == "string" and prev is not None and prev.text == "import":
                target = os.path.normpath(os.path.join(os.path.dirname(file), t.text[1:-1]))
                imports.append(Occurrence(("import", target), file, t.line, t.col, t.end_col))
                continue
            if t.kind != "name":
                continue
            cls = words.get(t.text)
            after_keyword = prev is not None and prev.kind == "name" and \
                words.get(prev.text) in ("kind", "statement")
            if cls == "kind" and not after_keyword:
                pending = "defaults" if "defaults" in stack else "component"
                continue
            if cls == "statement" and not after_keyword:
                if t.text in BLOCKS:
                    pending = t.text
                continue
            if after_keyword and prev is not None and (
                    prev.text in ("region", "zone", "flow", "system")
                    or words.get(prev.text) == "kind"):
                kw = prev.text
                if words.get(kw) == "kind":
                    if "defaults" not in stack:
                        decls.append(Occurrence(("component", t.text), file, t.line, t.col,
                                                t.end_col, True))
                elif kw == "region":
                    region = t.text
                    pending = "region"
                    decls.append(Occurrence(("region", t.text), file, t.line, t.col,
                                            t.end_col, True))
                elif kw == "zone" and region is not None:
                    decls.append(Occurrence(("zone", f"{region}.{t.text}"), file, t.line,
                                            t.col, t.end_col, True))
                elif kw == "flow":
                    decls.append(Occurrence(("flow", t.text), file, t.line, t.col,
                                            t.end_col, True))
                continue
            if nxt is not None and nxt.text == "." and prev is not None and prev.text != ".":
                zone = toks[i + 2] if i + 2 < len(toks) else None
                candidates.append((file, "region", t))
                if zone is not None and zone.kind == "name":
                    candidates.append((file, f"zone:{t.text}", zone))
                continue
            if prev is not None and prev.text == ".":
                continue                       # the zone of a dotted name, taken above
            candidates.append((file, "name", t))
    found = {o.key for o in decls}
    uses: list[Occurrence] = []
    for file, how, t in candidates:
        if how == "name":
            key = next((k for k in (("component", t.text), ("region", t.text))
                        if k in found), None)
        elif how == "region":
            key = ("region", t.text) if ("region", t.text) in found else None
        else:
            key = ("zone", f"{how[5:]}.{t.text}")
            key = key if key in found else None
        if key is not None:
            uses.append(Occurrence(key, file, t.line, t.col, t.end_col))
    occ = decls + imports + uses
    occ.sort(key=lambda o: (o.file, o.line, o.col))
    return Index(occ)
