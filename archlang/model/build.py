"""Syntax trees -> Design, with every problem collected as a diagnostic.

The builder reads the statements of the root file and of everything it imports, in order,
then builds, in this order: failure domains, the network, kind defaults, components, calls,
flows. Every check that needs the whole design (names, placements, paths) runs after all
statements are read, so an error never hides the next one.
"""

from __future__ import annotations

import gc
import math
from decimal import Decimal
from dataclasses import dataclass, field
from typing import Any, Callable

from archlang.syntax.callmods import MODIFIER_WORDS
from archlang.errors import DesignError, Diagnostic, SyntaxError_, did_you_mean
from archlang import limits as L
from archlang.model import defaults as D
from archlang.model.calls import CallsMixin, Step
from archlang.model.design import (
    KINDS,
    Call,
    Component,
    Design,
    Flow,
    FlowHop,
    FlowPath,
    Latency,
    Network,
    Placement,
    Region,
    Slo,
    Zone,
)
from archlang.span import Span, source_lines, span_of
from archlang.words import a as article

# ---- units -------------------------------------------------------------------------------
TIME_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0,
           "d": 86_400_000.0}
RATE_RPS = {"rps": 1.0, "qps": 1.0, "rpm": 1.0 / 60.0}
SIZE_B = {"B": 1.0, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}
PERCENT = {"%": 0.01}
UNIT_CLASSES = {
    "time": (TIME_MS, "a time (us, ms, s, m, h, d), like 20ms"),
    "rate": (RATE_RPS, "a rate (rps, qps, rpm), like 120 rps"),
    "size": (SIZE_B, "a size (B, KB, MB, GB, TB), like 40GB"),
    "percent": (PERCENT, "a percentage, like 99.9%"),
}

# Which properties each kind takes. Everything takes description/availability/mtbf/mttr/latency.
_COMMON = {"description", "availability", "mtbf", "mttr", "latency", "error_rate"}
_SERVING = _COMMON | {"capacity", "replicas", "placement", "engine", "protocol"}
KIND_PROPERTIES: dict[str, set[str]] = {
    "client": {"description", "latency"},
    "server": _SERVING | {"stateless", "stateful", "memory"},
    "lb": _SERVING | {"layer", "strategy", "stateless", "stateful"},
    "cache": _SERVING | {"hit_ratio", "write_policy", "eviction", "ttl", "memory", "replication",
                         "sharding", "rf", "read_quorum", "write_quorum", "skew", "key"},
    "cdn": _SERVING | {"hit_ratio", "eviction", "ttl"},
    "database": _SERVING | {"model", "replication", "sharding", "memory", "size", "consistency",
                            "rf", "read_quorum", "write_quorum", "skew", "key"},
    "queue": _SERVING | {"durable", "delivery", "size"},
    "storage": _SERVING | {"size"},
    "external": _SERVING,
    "dns": _SERVING,
}
#: Words that start a statement or modify a call: a component named so could not be
#: called at the start of a line (`lb -> api`) or would read as a modifier (`optional`).
RESERVED_NAMES = frozenset(KINDS) | {"system", "description", "region", "zone", "network",
                                     "defaults", "import", "flow", "path", "rate", "slo",
                                     } | set(MODIFIER_WORDS)
PROPERTY_NAMES = sorted(set().union(*KIND_PROPERTIES.values()))
ENUMS: dict[str, tuple[str, ...]] = {
    "write_policy": ("write_around", "write_through", "write_back"),
    "eviction": ("lru", "lfu", "fifo", "random"),
    "model": ("sql", "key_value", "document", "wide_column", "graph"),
    "replication": ("none", "leader_follower", "multi_leader", "leaderless"),
    "key": ("sequential", "random"),
    "sharding": ("none", "range", "hash"),
    "delivery": ("at_most_once", "at_least_once", "exactly_once"),
    "strategy": ("round_robin", "least_connections", "weighted_round_robin", "ip_hash",
                 "consistent_hashing", "random", "path"),
}
_BOOL = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


class _Lazy:
    """A span computed on first use: most values never appear in a message, and building a
    Span for each of the ~100,000 tokens of a large design would cost more than parsing."""

    __slots__ = ("file", "item")

    def __init__(self, file: str, item):
        self.file, self.item = file, item

    def get(self) -> Span:
        return span_of(self.file, self.item)


class Val:
    """One argument of a property: a name, a quantity, a percentile, a string or a comma."""

    __slots__ = ("kind", "text", "_span", "number", "unit", "parts")

    def __init__(self, kind: str, text: str, span: "Span | _Lazy", number: float | None = None,
                 unit: str | None = None, parts: tuple[str, ...] = ()):
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


class Prop:
    """A property: its keyword, its values, the keyword's span and the whole one's."""

    __slots__ = ("key", "_span", "values", "_whole")

    def __init__(self, key: str, span: "Span | _Lazy", values: list[Val], whole: "Span | _Lazy"):
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


@dataclass
class _Block:
    kind: str
    name: str
    span: Span
    props: list[Prop] = field(default_factory=list)


def _val_from(file: str, node) -> Val:
    sp = _Lazy(file, node)
    t = getattr(node, "type", None)          # a Token; a Tree (a dotted name) has none
    if t is not None:
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
    # a `ref` tree
    parts = tuple(str(t) for t in node.children)
    return Val("name", ".".join(parts), sp, parts=parts)


def _split_quantity(text: str) -> tuple[float, str | None]:
    i = 0
    while i < len(text) and (text[i].isdigit() or text[i] in ".-"):
        i += 1
    unit = text[i:].strip() or None
    return float(text[:i]), unit


def _unquote(s: str) -> str:
    from archlang.syntax.parser import decode_string

    return decode_string(s)


def _short(text: str) -> str:
    """A long literal, shortened for a message: 1000000000...0000000 (309 characters)."""
    return text if len(text) <= 40 else f"{text[:12]}...{text[-8:]} ({len(text)} characters)"


def _fmt(x: float) -> str:
    return f"{x:g}"


class Builder:
    def __init__(self, sources: dict[str, str]):
        self.sources = sources
        self.diags: list[Diagnostic] = []

    # ---- diagnostics -----------------------------------------------------------------------
    def error(self, span: Span, message: str, hint: str | None = None) -> None:
        lines = source_lines(self.sources.get(span.file, ""))
        src = lines[span.line - 1] if 0 < span.line <= len(lines) else None
        d = Diagnostic(message=message, span=span, hint=hint, source_line=src)
        if d not in self.diags:        # one name in two links of a chain: say it once
            self.diags.append(d)

    # ---- values ----------------------------------------------------------------------------
    def quantity(self, prop: Prop, v: Val | None, unit_class: str | None,
                 positive: bool = True, allow_zero: bool = False,
                 maximum: float | None = None) -> float | None:
        """A number with a unit of ``unit_class`` (None: a plain number), normalised."""
        what = UNIT_CLASSES[unit_class][1] if unit_class else "a number"
        if v is None:
            self.error(prop.whole, f"'{prop.key}' needs {what}")
            return None
        if v.kind != "quantity":
            self.error(v.span, f"'{prop.key}' needs {what}, found {v.text!r}")
            return None
        if unit_class is None:
            if v.unit is not None:
                self.error(v.span, f"'{prop.key}' takes a plain number, found {v.text!r}",
                           f"write {_fmt(v.number)}")
                return None
            value = v.number
        else:
            table = UNIT_CLASSES[unit_class][0]
            if v.unit is None:
                example = {"time": "ms", "rate": " rps", "size": "GB", "percent": "%"}[unit_class]
                hint = f"every quantity carries its unit: write {_fmt(v.number)}{example}"
                if unit_class == "percent" and 0 < v.number <= 1:
                    hint = f"write {_fmt(v.number * 100)}%"
                self.error(v.span, f"'{prop.key}' needs {what}, found {v.text!r}", hint)
                return None
            if v.unit not in table:
                self.error(v.span, f"'{prop.key}' needs {what}, found the unit '{v.unit}'")
                return None
            if v.unit == "%":   # decimal arithmetic: 99.9% is exactly the float 0.999
                value = float(Decimal(v.text[:-1].strip()) / 100)
            else:
                value = v.number * table[v.unit]
        number = v.text.rstrip("%usmhdrpqKMGTB \t")
        limit = maximum if maximum is not None else L.max_quantity(prop.key, unit_class)
        if not math.isfinite(value) or abs(value) > limit:
            shown = (str(int(limit)) if maximum is not None
                     else L.show_quantity(limit, unit_class))
            self.error(v.span, f"'{prop.key}' is at most {shown}, found {_short(v.text)!r}",
                       "the limits of a design are listed in docs/language.md")
            return None
        if L.significant_digits(number) > L.MAX_DIGITS:
            self.error(v.span, f"{_short(v.text)!r} has more than {L.MAX_DIGITS} significant digits",
                       "a number keeps 15 digits: more would be rounded silently")
            return None
        if positive and value < 0 and allow_zero:
            self.error(v.span, f"'{prop.key}' must not be negative, found {v.text!r}")
            return None
        if positive and value <= 0 and not allow_zero:
            self.error(v.span, f"'{prop.key}' must be greater than zero, found {v.text!r}")
            return None
        return value

    def integer(self, prop: Prop, v: Val | None, minimum: int = 1) -> int | None:
        n = self.quantity(prop, v, None, allow_zero=minimum == 0,
                          maximum=L.max_count(prop.key))
        if n is None:
            return None
        if n != int(n) or n < minimum:
            self.error(v.span, f"'{prop.key}' needs a whole number of at least {minimum}, "
                               f"found {v.text!r}")
            return None
        return int(n)

    def fraction(self, prop: Prop, v: Val | None, allow_zero: bool = False) -> float | None:
        x = self.quantity(prop, v, "percent", positive=False)
        if x is None:
            return None
        lo_ok = x >= 0 if allow_zero else x > 0
        if not lo_ok or x > 1:
            rng = "0% to 100%" if allow_zero else "above 0% and at most 100%"
            self.error(v.span, f"'{prop.key}' must be {rng}, found {v.text!r}")
            return None
        return x

    def name(self, prop: Prop, v: Val | None, choices: tuple[str, ...] | None = None) -> str | None:
        if v is None or v.kind != "name" or len(v.parts) != 1:
            found = f", found {v.text!r}" if v else ""
            opts = f" ({' | '.join(choices)})" if choices else ""
            self.error(v.span if v else prop.whole, f"'{prop.key}' needs a name{opts}{found}")
            return None
        if choices and v.text not in choices:
            hint = did_you_mean(v.text, choices) or f"one of: {', '.join(choices)}"
            self.error(v.span, f"unknown {prop.key} {v.text!r}", hint)
            return None
        return v.text

    def no_more(self, prop: Prop, values: list[Val], used: int) -> None:
        if len(values) > used:
            extra = values[used]
            hint = None
            if extra.kind == "name":
                hint = did_you_mean(extra.text, PROPERTY_NAMES)
                hint = (f"'{extra.text}' is not a property; {hint}" if hint
                        else f"'{prop.key}' takes {used} value{'s' if used != 1 else ''}")
            self.error(extra.span, f"unexpected {extra.text!r} after '{prop.key}'", hint)


def _props(file: str, nodes) -> list[Prop]:
    out = []
    for p in nodes:
        key_tok = p.children[0]
        values = [_val_from(file, c) for c in p.children[1:]]
        out.append(Prop(str(key_tok), _Lazy(file, key_tok), values, _Lazy(file, p)))
    return out


# Words a property takes after its keyword. A property's arguments are read as a list of
# values by the grammar, so a misspelt property (`replicas 2 availabilty 99%`) arrives as
# extra values of the property before it; these tables tell the two apart.
_SUB_WORDS: dict[str, frozenset[str]] = {
    "replicas": frozenset({"min", "active_active", "active_passive", "failover"}),
    "replication": frozenset({"followers", "sync", "async", "semi_sync", "failover"}),
}
_FIRST_NAME = frozenset({"engine", "protocol", "consistency", "strategy", "write_policy",
                         "eviction", "model", "delivery", "durable", "replication", "sharding",
                         "key"})
# Where a stray sub-keyword belongs, for the hint.
_BELONGS = {"min": "replicas N min K", "active_active": "replicas N active_active",
            "active_passive": "replicas N active_passive failover T",
            "failover": "replicas N active_passive failover T",
            "followers": "replication leader_follower followers N sync",
            "sync": "replication leader_follower followers N sync",
            "async": "replication leader_follower followers N async",
            "semi_sync": "replication leader_follower followers N semi_sync"}


def _merge(a: Span, b: Span) -> Span:
    return Span.model_construct(file=a.file, line=a.line, column=a.column, end_line=b.end_line,
                                end_column=b.end_column)


# ---- the build -----------------------------------------------------------------------------

class DesignBuilder(CallsMixin, Builder):
    def __init__(self, sources: dict[str, str], root: str,
                 syntax_errors: list[Diagnostic] | None = None):
        super().__init__(sources)
        self.root = root
        self.syntax_errors = list(syntax_errors or ())   # stepped over by the parser
        self.system_name: str | None = None
        self.system_span: Span | None = None
        self.description: str | None = None
        self.region_nodes: list[tuple[str, Any]] = []
        self.network_nodes: list[tuple[str, Any]] = []
        self.default_nodes: list[tuple[str, Any]] = []
        self.component_nodes: list[tuple[str, Any]] = []
        self.call_nodes: list[tuple[str, Any]] = []
        self.flow_nodes: list[tuple[str, Any]] = []
        self.region_names: set[str] = set()

    def collect(self, file: str, tree) -> None:
        """Sort the statements of one file (imports are resolved before we get here)."""
        for node in tree.children:
            if node.data == "system":
                # `!system` keeps its keyword and braces, so that its span covers them.
                name_tok = node.children[1]
                if file == self.root:
                    if self.system_name is not None:
                        self.error(span_of(file, name_tok), "a file holds one system",
                                   f"'{self.system_name}' is already declared")
                    else:
                        self.system_name = str(name_tok)
                        self.system_span = span_of(file, node)
                for stmt in node.children[2:]:
                    if hasattr(stmt, "data"):
                        self._stmt(file, stmt)
            else:
                self._stmt(file, node)

    def _stmt(self, file: str, node) -> None:
        d = node.data
        if d == "import_stmt":
            return
        if d == "description":
            if file == self.root:
                self.description = _unquote(str(node.children[0]))
            return
        target = {"region": self.region_nodes, "network": self.network_nodes,
                  "defaults": self.default_nodes, "component": self.component_nodes,
                  "call": self.call_nodes, "flow": self.flow_nodes}[d]
        target.append((file, node))

    # ---- failure domains -------------------------------------------------------------------
    def _domain_props(self, file: str, props_nodes, what: str
                      ) -> tuple[float, list[str], float]:
        props = []
        for p in props_nodes:
            key_tok = p.children[0]
            values = [_val_from(file, c) for c in p.children[1:]]
            props.append(Prop(str(key_tok), span_of(file, key_tok), values, span_of(file, p)))
        got = self._reliability(props, what)
        if got is None:
            return D.DOMAIN_AVAILABILITY, ["availability"], math.inf
        # the default MTTR is an assumption where it turns an MTBF into an availability
        uses_mtbf = any(p.key == "mtbf" for p in props)
        return got[0], [f for f in got[3] if f == "mttr" and uses_mtbf], got[1]

    def build_regions(self) -> list[Region]:
        regions: list[Region] = []
        seen: dict[str, Span] = {}
        for file, node in self.region_nodes:
            name_tok = node.children[0]
            name = str(name_tok)
            sp = span_of(file, name_tok)
            if name in seen:
                self.error(sp, f"region '{name}' is declared twice",
                           f"first declared at {seen[name]}")
                continue
            seen[name] = sp
            self.region_names.add(name)
            dprops = [c for c in node.children[1:] if c.data == "domain_prop"]
            avail, assumed, mtbf = self._domain_props(file, dprops, f"region {name}")
            zones: list[Zone] = []
            zseen: dict[str, Span] = {}
            for body in (c for c in node.children[1:] if c.data == "region_body"):
                for z in body.children:
                    zname_tok = z.children[0]
                    zname = str(zname_tok)
                    zsp = span_of(file, zname_tok)
                    if zname in zseen:
                        self.error(zsp, f"zone '{name}.{zname}' is declared twice",
                                   f"first declared at {zseen[zname]}")
                        continue
                    zseen[zname] = zsp
                    za, zassumed, zmtbf = self._domain_props(file, z.children[1:],
                                                             f"zone {name}.{zname}")
                    zones.append(Zone(name=zname, region=name, availability=za, span=zsp,
                                      assumed=tuple(zassumed), mtbf_s=zmtbf))
            regions.append(Region(name=name, availability=avail, zones=tuple(zones), span=sp,
                                  assumed=tuple(assumed), mtbf_s=mtbf))
        return regions

    # ---- network ---------------------------------------------------------------------------
    def build_network(self, regions: list[Region]) -> Network:
        values: dict[str, float] = {}
        pairs: dict[str, float] = {}
        span: Span | None = None
        names = [r.name for r in regions]
        seen: dict[str, Span] = {}
        for file, node in self.network_nodes:
            span = span or span_of(file, node)
            for item in (c for c in node.children if hasattr(c, "data")):
                if item.data == "net_setting":
                    key_tok, q = item.children
                    key = str(key_tok)
                    prop = Prop(key, span_of(file, key_tok), [_val_from(file, q)], span_of(file, item))
                    if key in seen:
                        self.error(prop.span, f"'{key}' is given twice",
                                   f"first given at {seen[key]}")
                        continue
                    seen[key] = prop.span
                    v = self.quantity(prop, prop.values[0], "time", allow_zero=True)
                    if v is not None:
                        values[key] = v
                else:
                    a, b, q = item.children
                    ok = True
                    for tok in (a, b):
                        if str(tok) not in names:
                            ok = False
                            self.error(span_of(file, tok), f"unknown region '{tok}'",
                                       did_you_mean(str(tok), names) or
                                       "declare it with `region NAME { zone a }`")
                    prop = Prop("<->", span_of(file, item), [_val_from(file, q)], span_of(file, item))
                    v = self.quantity(prop, prop.values[0], "time", allow_zero=True)
                    if str(a) == str(b):
                        self.error(span_of(file, item), "a region pair needs two different regions",
                                   "latency inside a region is cross_zone")
                        ok = False
                    key = Network.pair_key(str(a), str(b))
                    if key in pairs:
                        self.error(span_of(file, item), f"latency between {a} and {b} is given twice")
                    elif ok and v is not None:
                        pairs[key] = v
        assumed = [k for k in ("same_zone", "cross_zone", "cross_region") if k not in values]
        if not any(r.zones for r in regions) and "cross_zone" in assumed:
            assumed.remove("cross_zone")       # nothing to assume when there are no zones
        if len(regions) < 2 and "cross_region" in assumed:
            assumed.remove("cross_region")
        if not regions and "same_zone" in assumed and not self.network_nodes:
            pass
        return Network(
            same_zone_ms=values.get("same_zone", D.NETWORK_MS["same_zone"]),
            cross_zone_ms=values.get("cross_zone", D.NETWORK_MS["cross_zone"]),
            cross_region_ms=values.get("cross_region", D.NETWORK_MS["cross_region"]),
            pairs=dict(sorted(pairs.items())), span=span, assumed=tuple(assumed))

    # ---- components ------------------------------------------------------------------------
    def props(self, file: str, nodes, kind: str) -> list[Prop]:
        """The properties of a block, with misspelt properties split off and reported."""
        out = []
        for p in _props(file, nodes):
            keep = self._split_unknown(p, kind)
            if keep != len(p.values):
                last = p.values[keep - 1].span if keep else p.span
                p = Prop(p.key, p.span, p.values[:keep], _merge(p.span, last))
            out.append(p)
        return out

    def _split_unknown(self, p: Prop, kind: str) -> int:
        """How many of ``p.values`` belong to ``p``; the name after them is reported as an
        unknown property, and so is every later name (with its own values)."""
        subs = _SUB_WORDS.get(p.key, frozenset())
        cut = None
        prev = None
        for i, v in enumerate(p.values):
            if v.kind == "name":
                ok = (v.text in subs
                      or (i == 0 and p.key in _FIRST_NAME)
                      or (p.key == "placement" and self._placement_name(v, prev))
                      or (p.key == "replication" and i == 0)
                      or (p.key == "sharding" and i == 0))
                if not ok:
                    cut = i
                    break
            prev = v
        if cut is None:
            return len(p.values)
        allowed = KIND_PROPERTIES.get(kind, set(PROPERTY_NAMES))
        for v in p.values[cut:]:
            if v.kind != "name":
                continue
            if v.text in _BELONGS:
                hint = f"'{v.text}' belongs to '{_BELONGS[v.text]}'"
            else:
                hint = (did_you_mean(v.text, allowed) or did_you_mean(v.text, PROPERTY_NAMES)
                        or f"{article(kind)} takes: {', '.join(sorted(allowed))}")
            self.error(v.span, f"unknown property '{v.text}'", hint)
        return cut

    def _placement_name(self, v: Val, prev: Val | None) -> bool:
        """A name in `placement`: after a comma, first, or (a missing comma) a place."""
        if prev is None or prev.kind == "comma":
            return True
        return len(v.parts) > 1 or v.parts[0] in self.region_names

    def build_defaults(self) -> dict[str, list[Prop]]:
        out: dict[str, list[Prop]] = {}
        for file, node in self.default_nodes:
            for block in node.children:
                kind = str(block.children[0])
                props = self.props(file, block.children[1:], kind)
                for p in props:
                    if p.key not in KIND_PROPERTIES[kind]:
                        self._unknown_prop(kind, p)
                out.setdefault(kind, []).extend(props)
        return out

    def _unknown_prop(self, kind: str, p: Prop) -> None:
        allowed = sorted(KIND_PROPERTIES[kind])
        self.error(p.span, f"'{p.key}' does not apply to {article(kind)}",
                   f"{article(kind)} takes: {', '.join(allowed)}")

    def _reliability(self, props: list[Prop], what: str):
        """(availability, mtbf_s, mttr_s, assumed) from availability / mtbf / mttr, or None."""
        by = {}
        for p in props:
            if p.key in ("availability", "mtbf", "mttr"):
                by.setdefault(p.key, p)
            elif p.key not in ("availability", "mtbf", "mttr"):
                self.error(p.span, f"'{p.key}' does not apply to {article(what.split()[0])}",
                           "a region or zone takes availability, or mtbf and mttr")
        mttr_s = None
        if "mttr" in by:
            p = by["mttr"]
            v = self.quantity(p, p.values[0] if p.values else None, "time")
            self.no_more(p, p.values, 1)
            mttr_s = v / 1000 if v else None
        if "mtbf" in by:
            p = by["mtbf"]
            v = self.quantity(p, p.values[0] if p.values else None, "time")
            rest = p.values[1:]
            if rest and rest[0].kind == "name" and rest[0].text == "mttr":
                m = self.quantity(Prop("mttr", rest[0].span, rest[1:], p.whole),
                                  rest[1] if len(rest) > 1 else None, "time")
                mttr_s = m / 1000 if m else mttr_s
                self.no_more(p, p.values, 3)
            else:
                self.no_more(p, p.values, 1)
            if "availability" in by:
                self.error(p.span, "give either 'availability' or 'mtbf', not both",
                           "availability = mtbf / (mtbf + mttr)")
            if v is None:
                return None
            mtbf_s = v / 1000
            assumed = []
            if mttr_s is None:
                mttr_s, assumed = D.MTTR_S, ["mttr"]
            return mtbf_s / (mtbf_s + mttr_s), mtbf_s, mttr_s, assumed
        if "availability" in by:
            p = by["availability"]
            a = self.fraction(p, p.values[0] if p.values else None)
            self.no_more(p, p.values, 1)
            if a is None:
                return None
            assumed = []
            if mttr_s is None:
                mttr_s, assumed = D.MTTR_S, ["mttr"]
            mtbf_s = math.inf if a >= 1 else a * mttr_s / (1 - a)
            return a, mtbf_s, mttr_s, assumed
        return None

    def build_components(self, regions: list[Region], kind_defaults: dict[str, list[Prop]]
                         ) -> dict[str, Component]:
        comps: dict[str, Component] = {}
        first: dict[str, Span] = {}
        for file, node in self.component_nodes:
            kind = str(node.children[0])
            name_tok = node.children[1]
            name = str(name_tok)
            sp = span_of(file, name_tok)
            body = node.children[2].children if len(node.children) > 2 else []
            props = self.props(file, body, kind)
            if name in RESERVED_NAMES:
                self.error(sp, f"'{name}' is a keyword and cannot name a component",
                           f"choose another name, e.g. '{name}-1' or 'main-{name}'")
                continue
            if name in first:
                self.error(sp, f"'{name}' is declared twice", f"first declared at {first[name]}")
                continue
            first[name] = sp
            c = self._component(kind, name, sp, props, kind_defaults.get(kind, []), regions)
            if c is not None:
                comps[name] = c
        return comps

    def _component(self, kind: str, name: str, sp: Span, own: list[Prop],
                   inherited: list[Prop], regions: list[Region]) -> Component | None:
        seen: dict[str, Prop] = {}
        for p in own:
            if p.key not in KIND_PROPERTIES[kind]:
                self._unknown_prop(kind, p)
                continue
            if p.key in seen and p.key not in ("stateless", "stateful"):
                self.error(p.span, f"'{p.key}' is given twice for '{name}'",
                           f"first given at {seen[p.key].span}")
                continue
            seen[p.key] = p
        if "stateless" in seen and "stateful" in seen:
            self.error(seen["stateful"].span, "a component is either stateless or stateful")
        # A kind default applies where the component itself is silent.
        props = dict(seen)
        from_defaults = set()
        for p in inherited:
            if p.key not in props and p.key in KIND_PROPERTIES[kind]:
                if p.key in ("mtbf", "availability") and ({"mtbf", "availability"} & set(seen)):
                    continue
                props[p.key] = p
                from_defaults.add(p.key)

        f: dict[str, Any] = {"name": name, "kind": kind, "span": sp}
        assumed: list[str] = []

        if "description" in props:
            p = props["description"]
            if not p.values or p.values[0].kind != "string":
                self.error(p.whole, "'description' needs a quoted string")
            else:
                f["description"] = p.values[0].text
            self.no_more(p, p.values, 1)

        rel = self._reliability([props[k] for k in ("availability", "mtbf", "mttr") if k in props],
                                f"{kind} {name}")
        if rel is None:
            a = D.AVAILABILITY[kind]
            mttr = D.MTTR_S
            rel = (a, math.inf if a >= 1 else a * mttr / (1 - a), mttr,
                   ["availability"] if kind != "client" else [])
            if kind != "client":
                rel[3].append("mttr")
        f["availability"], f["mtbf_s"], f["mttr_s"] = rel[0], rel[1], rel[2]
        assumed += rel[3]

        if "latency" in props:
            lat = self._latency(props["latency"])
            # On an error, go on with the default so that later errors are reported too.
            f["latency"] = lat or Latency(p50_ms=D.LATENCY_MS[kind], p99_ms=D.LATENCY_MS[kind])
        else:
            ms = D.LATENCY_MS[kind]
            f["latency"] = Latency(p50_ms=ms, p99_ms=ms)
            assumed.append("latency")

        if "error_rate" in props:
            p = props["error_rate"]
            f["error_rate"] = self.fraction(p, p.values[0] if p.values else None,
                                            allow_zero=True) or 0.0
            self.no_more(p, p.values, 1)

        if "capacity" in props:
            p = props["capacity"]
            f["capacity_rps"] = self.quantity(p, p.values[0] if p.values else None, "rate")
            self.no_more(p, p.values, 1)

        if "replicas" in props:
            self._replicas(props["replicas"], f, assumed, name)
        if "placement" in props:
            f["placement"] = self._placement(props["placement"], regions)

        if kind in ("cache", "cdn"):
            if "hit_ratio" in props:
                p = props["hit_ratio"]
                f["hit_ratio"] = self.fraction(p, p.values[0] if p.values else None,
                                               allow_zero=True)
                self.no_more(p, p.values, 1)
            else:
                f["hit_ratio"] = D.HIT_RATIO[kind]
                assumed.append("hit_ratio")

        for key, field_name in (("write_policy", "write_policy"), ("eviction", "eviction"),
                                ("model", "data_model"), ("delivery", "delivery"),
                                ("strategy", "strategy")):
            if key in props:
                p = props[key]
                f[field_name] = self.name(p, p.values[0] if p.values else None, ENUMS[key])
                self.no_more(p, p.values, 1)
        for key in ("engine", "protocol", "consistency"):
            if key in props:
                p = props[key]
                f[key] = self.name(p, p.values[0] if p.values else None)
                self.no_more(p, p.values, 1)
        for key, unit, fld in (("ttl", "time", "ttl_s"), ("memory", "size", "memory_bytes"),
                               ("size", "size", "size_bytes")):
            if key in props:
                p = props[key]
                v = self.quantity(p, p.values[0] if p.values else None, unit)
                f[fld] = (v / 1000 if v is not None and unit == "time" else v)
                self.no_more(p, p.values, 1)
        if "layer" in props:
            p = props["layer"]
            n = self.integer(p, p.values[0] if p.values else None)
            if n is not None and n not in (4, 7):
                self.error(p.values[0].span, f"'layer' is 4 or 7, found {n}")
            f["layer"] = n if n in (4, 7) else None
            self.no_more(p, p.values, 1)
        if "stateless" in props or "stateful" in props:
            p = props.get("stateful") or props["stateless"]
            f["stateful"] = p.key == "stateful"
            self.no_more(p, p.values, 0)
        if "durable" in props:
            p = props["durable"]
            if p.values:
                v = p.values[0]
                if v.kind != "name" or v.text not in _BOOL:
                    self.error(v.span, f"'durable' takes yes or no, found {v.text!r}")
                else:
                    f["durable"] = _BOOL[v.text]
            else:
                f["durable"] = True
            self.no_more(p, p.values, 1)
        if "replication" in props:
            self._replication(props["replication"], f)
        if "sharding" in props:
            p = props["sharding"]
            mode = self.name(p, p.values[0] if p.values else None, ENUMS["sharding"])
            f["sharding"] = mode
            if mode in ("range", "hash"):
                n = self.integer(p, p.values[1] if len(p.values) > 1 else None, minimum=2)
                f["shards"] = n or 1
                self.no_more(p, p.values, 2)
            else:
                self.no_more(p, p.values, 1)

        for key, value in D.KIND_SETTINGS.get(kind, {}).items():
            if key not in f:
                f[key] = value
                assumed.append(key)
        if kind in ("database", "cache"):
            self._data_tier(kind, name, props, f, assumed)
        if kind == "lb" and "mode" not in f:
            pass
        for key in from_defaults:
            if key not in assumed:
                pass  # set by the design's own `defaults` block: not assumed
        if "mttr" in assumed and f.get("mode") != "active_passive" and "mtbf" not in props:
            # MTTR only matters for a failover time or an availability from MTBF: a default
            # that changes no figure is not reported as an assumption.
            assumed.remove("mttr")
        f["assumed"] = tuple(sorted(set(assumed)))
        try:
            return Component(**f)
        except Exception as exc:  # pragma: no cover - a bug: every value was checked above
            self.error(sp, f"internal error building '{name}': {exc}")
            return None

    def _latency(self, p: Prop) -> Latency | None:
        vals = p.values
        if vals and vals[0].kind == "quantity":
            ms = self.quantity(p, vals[0], "time", allow_zero=True)
            self.no_more(p, vals, 1)
            return None if ms is None else Latency(p50_ms=ms, p99_ms=ms)
        got: dict[float, float] = {}
        i = 0
        while i < len(vals):
            v = vals[i]
            if v.kind != "percentile" or v.number not in (50.0, 99.0):
                self.error(v.span, f"'latency' takes a time (20ms) or 'p50 T p99 T', found {v.text!r}")
                return None
            ms = self.quantity(p, vals[i + 1] if i + 1 < len(vals) else None, "time")
            if ms is None:
                return None
            if v.number in got:
                self.error(v.span, f"{v.text} is given twice")
                return None
            got[v.number] = ms
            i += 2
        if not vals:
            self.error(p.whole, "'latency' needs a time (like 20ms) or 'p50 T p99 T'")
            return None
        if set(got) != {50.0, 99.0}:
            self.error(p.whole, "'latency' with percentiles needs both p50 and p99",
                       "for example: latency p50 8ms p99 40ms")
            return None
        if got[99.0] < got[50.0]:
            self.error(p.whole, "p99 latency must not be below p50")
            return None
        return Latency(p50_ms=got[50.0], p99_ms=got[99.0])

    def _replicas(self, p: Prop, f: dict, assumed: list, name: str) -> None:
        vals = p.values
        n = self.integer(p, vals[0] if vals else None)
        if n is None:
            return
        f["replicas"] = n
        i = 1
        min_val: Val | None = None
        while i < len(vals):
            v = vals[i]
            word = v.text if v.kind == "name" else None
            if word == "min":
                k = self.integer(Prop("min", v.span, vals, p.whole),
                                 vals[i + 1] if i + 1 < len(vals) else None)
                if k is not None:
                    f["min_replicas"] = k
                    min_val = vals[i + 1]
                    min_word = v
                i += 2
            elif word in ("active_active", "active_passive"):
                f["mode"] = word
                i += 1
            elif word == "failover":
                t = self.quantity(Prop("failover", v.span, vals, p.whole),
                                  vals[i + 1] if i + 1 < len(vals) else None, "time",
                                  allow_zero=True)
                if t is not None:
                    f["failover_s"] = t / 1000
                    f["_failover_span"] = v.span
                i += 2
            else:
                hint = did_you_mean(v.text, ["min", "active_active", "active_passive", "failover"]
                                    ) or "replicas N [min K] [active_passive failover T]"
                self.error(v.span, f"unexpected {v.text!r} in 'replicas'", hint)
                return
        fo_span = f.pop("_failover_span", None)
        if min_val is not None and f["min_replicas"] > n:
            self.error(_merge(min_word.span, min_val.span),
                       f"'min {f['min_replicas']}' is more than the "
                                     f"{n} replica{'s' if n != 1 else ''} of '{name}'",
                       f"min must be between 1 and {n}")
            f["min_replicas"] = 1
        if f.get("mode") == "active_passive":
            if min_val is not None and f.get("min_replicas", 1) != 1:
                self.error(min_val.span, "'min' does not apply to active_passive",
                           "one active replica serves; the others stand by")
                f["min_replicas"] = 1
            if n < 2:
                self.error(p.whole, "active_passive needs at least 2 replicas")
            if "failover_s" not in f:
                f["failover_s"] = D.FAILOVER_S
                assumed.append("failover_s")
        elif fo_span is not None:
            self.error(fo_span, "'failover' applies to active_passive replicas",
                       "write: replicas 2 active_passive failover 15s")
            f.pop("failover_s", None)

    def _placement(self, p: Prop, regions: list[Region]) -> tuple[Placement, ...]:
        out: list[Placement] = []
        expect_name = True
        names = [r.name for r in regions]
        for v in p.values:
            if v.kind == "comma":
                if expect_name:
                    self.error(v.span, "unexpected ',' in 'placement'")
                expect_name = True
                continue
            if v.kind != "name":
                self.error(v.span, f"'placement' needs region.zone names, found {v.text!r}")
                continue
            if not expect_name:
                self.error(v.span, f"missing ',' before {v.text!r} in 'placement'",
                           "separate places with commas: placement us-east.a, us-east.b")
            expect_name = False
            if len(v.parts) > 2:
                self.error(v.span, f"'{v.text}' is not a region or region.zone")
                continue
            region = next((r for r in regions if r.name == v.parts[0]), None)
            if region is None:
                hint = did_you_mean(v.parts[0], names) or (
                    "declare it: region NAME { zone a }" if not names else
                    f"regions: {', '.join(names)}")
                self.error(v.span, f"unknown region '{v.parts[0]}' in placement", hint)
                continue
            zone = v.parts[1] if len(v.parts) == 2 else None
            if zone is not None and region.zone(zone) is None:
                zn = [z.name for z in region.zones]
                hint = did_you_mean(zone, zn) or (
                    f"zones of {region.name}: {', '.join(zn)}" if zn else
                    f"{region.name} declares no zones")
                self.error(v.span, f"unknown zone '{v.text}' in placement", hint)
                continue
            pl = Placement(region=region.name, zone=zone)
            if pl in out:
                self.error(v.span, f"'{v.text}' is listed twice in placement")
                continue
            out.append(pl)
        if not p.values:
            self.error(p.whole, "'placement' needs at least one region or region.zone")
        return tuple(out)

    def _replication(self, p: Prop, f: dict) -> None:
        vals = p.values
        mode = self.name(p, vals[0] if vals else None, ENUMS["replication"])
        if mode is None:
            return
        f["replication"] = mode
        i = 1
        while i < len(vals):
            v = vals[i]
            if v.kind == "name" and v.text == "followers":
                n = self.integer(Prop("followers", v.span, vals, p.whole),
                                 vals[i + 1] if i + 1 < len(vals) else None, minimum=1)
                if n is not None:
                    f["followers"] = n
                    f["_followers_span"] = _merge(v.span, vals[i + 1].span)
                i += 2
            elif v.kind == "name" and v.text in ("sync", "async", "semi_sync"):
                f["replication_sync"] = v.text != "async"
                f["sync_mode"] = v.text
                i += 1
            elif v.kind == "name" and v.text == "failover":
                t = self.quantity(Prop("failover", v.span, vals, p.whole),
                                  vals[i + 1] if i + 1 < len(vals) else None, "time",
                                  allow_zero=True)
                if t is not None:
                    f["failover_s"] = t / 1000
                    f["_replication_failover"] = True
                i += 2
            else:
                hint = did_you_mean(v.text, ["followers", "sync", "async", "semi_sync",
                                             "failover"]) or \
                    "replication MODE [followers N] [sync | semi_sync | async] [failover T]"
                self.error(v.span, f"unexpected {v.text!r} in 'replication'", hint)
                return
        if mode in ("none", "leaderless") and "followers" in f:
            self.error(f["_followers_span"], f"'followers' does not apply to "
                                             f"'replication {mode}'",
                       "a leaderless store keeps rf copies: write `rf N`" if mode == "leaderless"
                       else "use replication leader_follower followers N")
            f.pop("followers")
        if mode == "none" and len(vals) > 1 and "followers" not in f:
            self.error(vals[1].span, "'replication none' takes nothing more")
        if mode == "leaderless" and f.get("_replication_failover"):
            self.error(p.whole, "'failover' does not apply to a leaderless store",
                       "no leader is promoted: every copy takes reads and writes")
        if mode in ("leader_follower", "multi_leader") and "replication_sync" not in f:
            f["replication_sync"] = D.REPLICATION_SYNC
            f["sync_mode"] = "sync" if D.REPLICATION_SYNC else "async"

    def _data_tier(self, kind: str, name: str, props: dict, f: dict, assumed: list) -> None:
        """Copies, quorums and shards (docs/analyses/data-tier.md): `followers F` is F + 1
        copies; `rf`, `read_quorum`, `write_quorum` (majority defaults), `skew`, `key`."""
        sp_rep = props["replicas"].whole if "replicas" in props else None
        mode = f.get("replication")
        sharded = f.get("sharding") in ("range", "hash")
        nums: dict[str, tuple[int, Span]] = {}
        for key in ("rf", "read_quorum", "write_quorum"):
            if key in props:
                p = props[key]
                n = self.integer(p, p.values[0] if p.values else None)
                self.no_more(p, p.values, 1)
                if n is not None:
                    nums[key] = (n, p.whole)
        if "skew" in props:
            p = props["skew"]
            x = self.quantity(p, p.values[0] if p.values else None, None)
            self.no_more(p, p.values, 1)
            if x is not None and x < 1:
                self.error(p.values[0].span, f"'skew' is the hottest shard's load over the "
                                             f"mean, at least 1, found {p.values[0].text!r}")
            elif x is not None:
                f["skew"] = x
        if "key" in props:
            p = props["key"]
            f["key_order"] = self.name(p, p.values[0] if p.values else None, ENUMS["key"])
            self.no_more(p, p.values, 1)
        fo_span = f.pop("_followers_span", None)
        rep_failover = f.pop("_replication_failover", None)
        if nums and mode in ("leader_follower", "multi_leader", "none"):
            key, (_, sp) = next(iter(nums.items()))
            if mode == "none" and "replication" not in assumed:
                self.error(sp, f"'{key}' needs copies, but the store says 'replication none'",
                           "write replication leaderless rf N, or leave replication out")
                return
            if mode in ("leader_follower", "multi_leader"):
                self.error(sp, f"'{key}' applies to a leaderless store, not to {mode}",
                           "a leader-follower store has followers F + 1 copies: "
                           "write `followers F`, or replication leaderless rf N")
                return
        if mode in ("leader_follower", "multi_leader"):
            copies = f.get("followers", 0) + 1 if "followers" in f else None
            if sharded:
                if copies is None:
                    copies = min(3, f.get("replicas", 3)) if "replicas" in f else 2
                    f["followers"] = copies - 1
                    assumed.append("followers")
                if "replicas" not in f:
                    f["replicas"] = copies
                if copies > f["replicas"]:
                    self.error(fo_span or sp_rep, f"{copies} copies of each shard need at "
                                                  f"least {copies} nodes, found replicas "
                                                  f"{f['replicas']}")
                    return
            else:
                if copies is None:
                    if "replicas" in f and f["replicas"] >= 2:
                        copies = f["replicas"]
                    else:
                        copies = 2
                        assumed.append("followers")
                    f["followers"] = copies - 1
                if "replicas" in f and f["replicas"] != copies:
                    self.error(sp_rep or fo_span,
                               f"'replicas {f['replicas']}' disagrees with 'followers "
                               f"{copies - 1}': a leader and {copies - 1} followers are "
                               f"{copies} copies",
                               f"write replicas {copies}, or leave replicas out")
                    return
                f["replicas"] = copies
            f["rf"] = copies
            if f.get("min_replicas", 1) != 1:
                self.error(sp_rep, f"'min' does not apply to {mode} replication",
                           "reads need one copy up, writes what the sync mode says: "
                           "drop min")
            if "failover_s" not in f:
                f["failover_s"] = D.FAILOVER_S
                assumed.append("failover_s")
            if mode == "multi_leader" and rep_failover:
                self.error(sp_rep or fo_span or props["replication"].whole,
                           "'failover' does not apply to multi_leader: every copy is a leader")
            return
        # A sharded database that declares no replication keeps rf copies of each shard
        # (data-tier.md: rf defaults to 3 when sharded); a sharded cache keeps one (a
        # memcached ring) unless it declares copies.
        leaderless = (mode == "leaderless" or bool(nums)
                      or (kind == "database" and sharded and "replication" in assumed))
        if not leaderless and not sharded:
            return
        if mode in (None, "none") and leaderless:
            f["replication"] = "leaderless"
            if "replication" in assumed:
                assumed.remove("replication")
        if "replicas" not in f and "rf" in nums:
            f["replicas"] = nums["rf"][0]        # nodes left out: one per copy
        nodes = f.get("replicas", 1)
        if leaderless:
            default_rf = min(3, nodes) if sharded else nodes
        else:   # sharded without copies: each shard on one node (memcached, a plain split)
            default_rf = 1
        if "rf" in nums:
            rf, sp = nums["rf"]
            if rf > nodes:
                self.error(sp, f"'rf {rf}' needs at least {rf} nodes, found replicas {nodes}",
                           f"write replicas {rf} or more, or a smaller rf")
                return
        else:
            rf = default_rf
            if leaderless:
                assumed.append("rf")
        f["rf"] = rf
        majority = rf // 2 + 1
        for key in ("read_quorum", "write_quorum"):
            if key in nums:
                q, sp = nums[key]
                if q > rf:
                    self.error(sp, f"'{key} {q}' is more than the rf {rf} copies",
                               f"a quorum is between 1 and {rf}")
                    return
                f[key] = q
            else:
                f[key] = majority if leaderless else 1
                if leaderless:
                    assumed.append(key)
        if f.get("mode") == "active_passive":
            self.error(sp_rep, "a sharded or leaderless store has no standby",
                       "every node serves its shards: drop active_passive")
        if f.get("min_replicas", 1) != 1:
            self.error(sp_rep, "'min' does not apply to a sharded or leaderless store",
                       "availability comes from the quorums of each shard: "
                       "read_quorum / write_quorum")

    # ---- calls: model/calls.py ---------------------------------------------------------
    def _ref(self, file: str, tok, comps: dict[str, Component], starts: bool = False) -> bool:
        """Is ``tok`` a declared component? ``starts``: it begins a flow's first path."""
        name = str(tok)
        if name in comps:
            return True
        example = f"client {name} {{ latency 30ms }}" if starts else "server NAME { ... }"
        self.error(span_of(file, tok), f"unknown component '{name}'",
                   did_you_mean(name, comps) or f"declare it, e.g. `{example}`")
        return False

    # ---- flows -----------------------------------------------------------------------------
    def build_flows(self, comps: dict[str, Component], calls: list[Call]
                    ) -> tuple[dict[str, Flow], list[Call]]:
        flows: dict[str, Flow] = {}
        implicit: dict[tuple[str, str], Call] = {}
        first: dict[str, Span] = {}
        steps: list[tuple[Any, Step]] = []       # (source token, step) of every path
        for file, node in self.flow_nodes:
            name_tok = node.children[0]
            name = str(name_tok)
            sp = span_of(file, name_tok)
            if name in first:
                self.error(sp, f"flow '{name}' is declared twice", f"first declared at {first[name]}")
                continue
            first[name] = sp
            f: dict[str, Any] = {"name": name, "span": sp}
            paths: list[FlowPath] = []
            slos: list[Slo] = []
            rate_set = False
            ok = True
            for item in node.children[1:]:
                d = item.data
                if d == "flow_rate":
                    q = item.children[0]
                    prop = Prop("rate", span_of(file, item), [_val_from(file, q)], span_of(file, item))
                    if rate_set:
                        self.error(prop.span, "'rate' is given twice")
                        continue
                    rate_set = True
                    f["rate_rps"] = self.quantity(prop, prop.values[0], "rate") or 1.0
                elif d == "description":
                    f["description"] = _unquote(str(item.children[0]))
                elif d == "flow_prop":
                    f["consistency"] = str(item.children[0])
                elif d == "slo":
                    s = self._slo(file, item, slos)
                    if s is not None:
                        slos.append(s)
                elif d == "path":
                    p = self._path(file, item, comps, paths, steps)
                    if p is None:
                        ok = False
                    else:
                        paths.append(p)
            if not paths:
                if ok:
                    self.error(sp, f"flow '{name}' has no path",
                               "add one: path users -> front -> api")
                continue
            if not ok:
                continue
            if not self._flow_acyclic(name, paths):
                continue
            assumed = []
            if not rate_set:
                f["rate_rps"] = D.FLOW_RATE_RPS
                assumed.append("rate_rps")
            flows[name] = Flow(paths=tuple(paths), slos=tuple(slos), assumed=tuple(assumed), **f)
        stepped = self.declare_from_steps(steps, comps, calls)
        declared = {(c.source, t): c for c in calls + stepped for t in c.targets}
        for fl in flows.values():
            for p in fl.paths:
                for a, b in zip(p.hops, p.hops[1:]):
                    call = declared.get((a.name, b.name))
                    src = comps[a.name]
                    if src.kind == "queue" and not b.asynchronous:
                        self.error(b.span, f"'{a.name}' is a queue: delivery out of it is "
                                           f"asynchronous, not part of the producer's request",
                                   f"write `{a.name} ~> {b.name}`, or end the path at the queue")
                        continue
                    if call is not None:
                        if call.asynchronous != b.asynchronous:
                            how = "asynchronous (~>)" if call.asynchronous else "synchronous (->)"
                            self.error(b.span, f"the call {a.name} -> {b.name} is declared "
                                               f"{how} at {call.span}",
                                       f"use {'~>' if call.asynchronous else '->'} on this path")
                        continue
                    if (a.name, b.name) in implicit:
                        continue
                    if comps[b.name].kind == "client":
                        self.error(b.span, f"'{b.name}' is a client: nothing calls a client")
                        continue
                    implicit[(a.name, b.name)] = Call(source=a.name, targets=(b.name,),
                                                      asynchronous=b.asynchronous,
                                                      implicit=True, span=b.span)
        return flows, stepped + list(implicit.values())

    def _slo(self, file: str, item, existing: list[Slo]) -> Slo | None:
        kind_tok = item.children[0]
        kind = str(kind_tok)
        vals = [_val_from(file, c) for c in item.children[1:]]
        prop = Prop(f"slo {kind}", span_of(file, kind_tok), vals, span_of(file, item))
        sp = span_of(file, item)
        slo: Slo | None = None
        if kind == "availability":
            a = self.fraction(prop, vals[0] if vals else None)
            self.no_more(prop, vals, 1)
            if a is not None:
                slo = Slo(kind="availability", target=a, span=sp)
        elif kind == "latency":
            if not vals or vals[0].kind != "percentile":
                self.error(vals[0].span if vals else prop.whole,
                           "'slo latency' needs a percentile and a time, like: slo latency p99 300ms")
                return None
            pct = vals[0].number
            if not 0 < pct < 100:
                self.error(vals[0].span, f"a latency percentile must be above p0 and below "
                                         f"p100, found {vals[0].text}",
                           "for example p50, p99 or p99.9")
                return None
            t = self.quantity(prop, vals[1] if len(vals) > 1 else None, "time")
            self.no_more(prop, vals, 2)
            if t is not None:
                slo = Slo(kind="latency", target=t, percentile=pct, span=sp)
        else:
            r = self.quantity(prop, vals[0] if vals else None, "rate")
            self.no_more(prop, vals, 1)
            if r is not None:
                slo = Slo(kind="throughput", target=r, span=sp)
        if slo is not None:
            for s in existing:
                if s.kind == slo.kind and s.percentile == slo.percentile:
                    self.error(sp, f"this flow already has this {kind} SLO", f"at {s.span}")
                    return None
        return slo

    def _path(self, file: str, item, comps: dict[str, Component], earlier: list[FlowPath],
              steps: list[tuple[Any, Step]]) -> FlowPath | None:
        """One path -> its hops; its steps (with their modifiers) go to ``steps``. The path
        goes on from the first alternative of a step (see model/calls.py)."""
        head = item.children[0]
        ok = self._ref(file, head, comps, starts=not earlier)
        hops: list[FlowHop] = [FlowHop(name=str(head), span=span_of(file, head))]
        mine: list[tuple[Any, Step]] = []
        src = head
        for node in item.children[1:]:
            step = self.read_step(file, node)
            for t in step.targets:
                ok = self._ref(file, t, comps) and ok
            tok = step.targets[0]
            hops.append(FlowHop(name=str(tok), span=span_of(file, tok),
                                asynchronous=step.asynchronous))
            mine.append((src, step))
            src = tok
        if not ok:
            return None
        if len(hops) > L.MAX_PATH_HOPS:
            self.error(hops[L.MAX_PATH_HOPS].span,
                       f"a path has at most {L.MAX_PATH_HOPS} steps",
                       "the limits of a design are listed in docs/language.md")
            return None
        for _, step in mine:
            for t in step.targets[1:]:
                if comps[str(t)].kind == "client":
                    self.error(span_of(file, t), f"'{t}' is a client: nothing calls a client",
                               "a client starts requests; put it first on the path")
                    ok = False
        for h in hops[1:]:
            if comps[h.name].kind == "client":
                self.error(h.span, f"'{h.name}' is a client: nothing calls a client",
                           "a client starts requests; put it first on the path")
                ok = False
        if earlier:
            known = {h.name for p in earlier for h in p.hops}
            if hops[0].name not in known:
                self.error(hops[0].span, f"this path starts at '{hops[0].name}', which no "
                                         f"earlier path of the flow reaches",
                           "a later path branches off a component on an earlier one")
                ok = False
        if not ok:
            return None
        steps.extend(mine)
        return FlowPath(hops=tuple(hops), span=span_of(file, item))

    def _flow_acyclic(self, name: str, paths: list[FlowPath]) -> bool:
        # graphlib (standard library) finds the cycle; networkx would cost 50 ms of start-up.
        from graphlib import CycleError, TopologicalSorter

        preds: dict[str, list[str]] = {}
        where: dict[tuple[str, str], Span] = {}
        for p in paths:
            for a, b in zip(p.hops, p.hops[1:]):
                preds.setdefault(b.name, []).append(a.name)
                where.setdefault((a.name, b.name), b.span)
        try:
            order = list(TopologicalSorter(preds).static_order())
        except CycleError as e:
            nodes = list(e.args[1])          # [x, ..., x]: each one calls the next
            order = None
        if order is not None:
            # The longest chain of steps one request takes: every analysis walks it.
            depth: dict[str, int] = {}
            for n in order:
                depth[n] = 1 + max((depth[p] for p in preds.get(n, ())), default=0)
                if depth[n] > L.MAX_REQUEST_DEPTH:
                    a = max(preds[n], key=depth.__getitem__)
                    self.error(where[(a, n)], f"a request of flow '{name}' passes through "
                                              f"more than {L.MAX_REQUEST_DEPTH} components",
                               "the limits of a design are listed in docs/language.md")
                    return False
            return True
        cycle = list(zip(nodes, nodes[1:]))
        # Point at the step that closes the loop: the one written last.
        last = max(range(len(cycle)), key=lambda i: (where[cycle[i]].file, where[cycle[i]].line,
                                                     where[cycle[i]].column))
        cycle = cycle[last + 1:] + cycle[:last + 1]
        a, b = cycle[-1]
        loop = " -> ".join([e[0] for e in cycle] + [cycle[0][0]])
        self.error(where[(a, b)], f"flow '{name}' has a cycle: {loop}",
                   "a request must not come back to a component it passed")
        return False

    # ---- whole design ----------------------------------------------------------------------
    def _within_limits(self) -> None:
        """Too many components, calls or flows: reported at the first one too many, and the
        build stops there (its cost would grow with what it was asked to refuse)."""
        def arrows(node) -> int:
            return sum(1 for t in node.children if getattr(t, "type", None) == "ARROW")

        checks = (
            (self.component_nodes, lambda n: 1, L.MAX_COMPONENTS, "components",
             lambda f, n: span_of(f, n.children[1])),
            (self.call_nodes, arrows, L.MAX_CALLS, "calls", span_of),
            (self.flow_nodes, lambda n: 1, L.MAX_FLOWS, "flows",
             lambda f, n: span_of(f, n.children[0])),
        )
        for nodes, weight, limit, what, where in checks:
            total = 0
            for file, node in nodes:
                total += weight(node)
                if total > limit:
                    self.error(where(file, node), f"a design holds at most {limit:,} {what}",
                               "the limits of a design are listed in docs/language.md")
                    raise DesignError(self.syntax_errors + self.diags)

    def build(self, files: list[str]) -> Design:
        self._within_limits()
        regions = self.build_regions()
        network = self.build_network(regions)
        kind_defaults = self.build_defaults()
        comps = self.build_components(regions, kind_defaults)
        calls = self.build_calls(comps)
        flows, implicit = self.build_flows(comps, calls)
        if self.syntax_errors:
            raise SyntaxError_(self.syntax_errors + self.diags)
        if self.diags:
            raise DesignError(self.diags)
        name = self.system_name
        if name is None:
            from pathlib import PurePath
            name = PurePath(self.root).stem if self.root != "<string>" else "design"
        return Design(
            name=name, description=self.description, path=self.root, files=tuple(files),
            span=self.system_span or Span.point(self.root, 1, 1),
            regions=tuple(regions), network=network, components=comps,
            calls=tuple(calls) + tuple(implicit), flows=flows,
            sources=dict(self.sources))


def build_design(units: list[tuple[str, Any]], sources: dict[str, str], root: str,
                 syntax_errors: list[Diagnostic] | None = None) -> Design:
    """Syntax trees of the root file and its imports (in reading order) -> Design.

    ``syntax_errors``: what the parser stepped over; reported with the builder's own."""
    gc_was_on = gc.isenabled()
    gc.disable()     # see syntax/parser.py: the builder only allocates
    try:
        b = DesignBuilder(sources, root, syntax_errors)
        for file, tree in units:
            b.collect(file, tree)
        return b.build([f for f, _ in units])
    finally:
        if gc_was_on:
            gc.enable()
