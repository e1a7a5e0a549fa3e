"""What may be typed at a position: statements, kinds, properties, their values, names.

Read from the tokens before the cursor (the text need not parse): the innermost open block
says where we are (the design, a component of some kind, a region, the network, defaults,
a flow), the words already on the statement say what comes next. Every word list is the
vocabulary's, so a property added to the grammar or the model is offered at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from archlang.highlight.vocabulary import vocabulary
from archlang.lsp.scan import BLOCKS, Index, Tok, tokens


@dataclass(frozen=True)
class Item:
    label: str
    kind: str          # keyword, kind, property, value, component, zone, region, modifier
    detail: str = ""


#: Statements that may start a line at the top of a design, and inside a flow.
_TOP = ("description", "flow", "import", "network", "region", "defaults")
_FLOW = ("path", "rate", "slo", "description", "consistency")


def _blocks(before: list[Tok]) -> tuple[list[str], list[Tok]]:
    """The open blocks at the cursor ("system", "component:server", "region", ...) and the
    tokens of the statement being written."""
    words = vocabulary().words()
    stack: list[str] = []
    pending = "block"
    stmt: list[Tok] = []
    for i, t in enumerate(before):
        if t.kind == "punct" and t.text == "{":
            stack.append(pending)
            pending, stmt = "block", []
            continue
        if t.kind == "punct" and t.text == "}":
            if stack:
                stack.pop()
            pending, stmt = "block", []
            continue
        if t.kind == "name":
            cls = words.get(t.text)
            prev = before[i - 1] if i else None
            if cls == "kind" and (prev is None or words.get(prev.text) != "kind"):
                pending = "defaults-kind:" + t.text if stack and stack[-1] == "defaults" \
                    else "component:" + t.text
            elif cls == "statement" and t.text in BLOCKS:
                pending = t.text
        stmt.append(t)
    return stack, stmt


def complete(text: str, line: int, col: int, idx: Index | None) -> list[Item]:
    """Completions at 0-based ``line``:``col`` (code points) of ``text``."""
    v = vocabulary()
    lines = text.split("\n")
    head = "\n".join(lines[:line] + [lines[line][:col] if line < len(lines) else ""])
    toks = [t for t in tokens(head) if t.kind != "comment"]
    typing = bool(toks) and toks[-1].kind == "name" and toks[-1].end_col == col \
        and toks[-1].line == line
    before = toks[:-1] if typing else toks
    stack, _ = _blocks(before)
    block = stack[-1] if stack else "top"
    # the statement so far: the tokens on the cursor's line before the word being typed
    on_line = [t for t in before if t.line == line]
    names = idx.names("component") if idx else []
    zones = idx.names("zone") if idx else []
    regions = idx.names("region") if idx else []
    comp = [Item(n, "component") for n in names]
    last = on_line[-1] if on_line else None

    if (last is not None and last.kind == "arrow") or (last is not None and last.text in
                                                     ("|", "path")):
        return comp
    if block.startswith("component:") or block.startswith("defaults-kind:"):
        kind = block.split(":", 1)[1]
        props = v.kind_properties.get(kind, v.properties)
        prop = next((t.text for t in reversed(on_line) if t.text in props), None)
        if prop is not None and last is not None:
            if prop == "placement":
                return [Item(z, "zone") for z in zones] + [Item(r, "region") for r in regions]
            if prop == "latency":
                return [Item(p, "value", "latency p50 X p99 Y") for p in ("p50", "p99")]
            words = v.property_values.get(prop, ())
            if words:
                return [Item(w, "value", prop) for w in words]
        return [Item(p, "property", kind) for p in props]
    if block == "region":
        return [Item("zone", "keyword")]
    if block == "network":
        return [Item(w, "property") for w in v.settings.get("NETKEY", ())] + \
            [Item(r, "region") for r in regions]
    if block == "defaults":
        return [Item(k, "kind") for k in v.kinds]
    if block == "flow":
        if last is not None and last.text == "slo":
            return [Item(w, "property", "slo") for w in v.settings.get("SLOKIND", ())]
        if last is not None and last.text == "latency" and on_line[0].text == "slo":
            return [Item(p, "value") for p in ("p50", "p90", "p99", "p99.9")]
        return [Item(w, "keyword") for w in _FLOW]
    # the design's own level: a call being written, or a new statement
    if on_line and on_line[0].kind == "name" and on_line[0].text in names and len(on_line) >= 3:
        return [Item(m, "modifier") for m in v.modifiers] + [Item("x2", "modifier", "xN")] + \
            [Item("|", "keyword", "an alternative")]
    if on_line and words_kind(on_line[0].text) == "kind":
        return []                                      # a new component's name
    if block == "top" and not toks:
        return [Item("system", "keyword")]
    return [Item(k, "kind") for k in v.kinds] + [Item(w, "keyword") for w in _TOP] + comp


def words_kind(word: str) -> str | None:
    return vocabulary().words().get(word)
