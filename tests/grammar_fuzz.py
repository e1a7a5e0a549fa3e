"""The grammar-aware fuzzer: hypothesis strategies and the checks every input must pass.

Two strategies:

* :func:`syntax_texts`: texts drawn from the grammar itself (``hypothesis.extra.lark``
  walks grammar/archlang.lark), so that every construct and terminal is reached, most
  of them designs that parse but name things that do not exist;
* :func:`designs`: valid designs built from the language's vocabulary (the kinds and the
  properties each kind takes, read from archlang/vocabulary.py), laid out at random: blocks
  on one line or many, `;` or newlines, comments, runs of spaces, strings with spaces.

:func:`check_input` is what each input must satisfy: loading either succeeds or raises an
ArchlangError with located diagnostics (never another exception); a design that loads is
analysed and rendered in every format with finite figures and nothing raw; and ``fmt``
preserves meaning (the same tokens, the same model) and is idempotent. It is used by
tests/test_hardening.py (a few seconds) and by tools/fuzz.py (20,000 inputs).
"""

from __future__ import annotations

import itertools
import json
import math
import re

from hypothesis import strategies as st

import archlang
from archlang.errors import ArchlangError

NAMES = ["api", "db", "web", "cache-1", "q_2", "auth", "lb-a", "store", "ext", "dns-x"]
REGIONS = ["us-east", "eu"]
ZONES = ["a", "b", "c"]


# ---- strategies ------------------------------------------------------------------------------
def syntax_texts():
    from hypothesis.extra.lark import from_lark
    from lark import Lark

    from archlang.syntax.parser import grammar_text

    return from_lark(Lark(grammar_text(), parser="lalr"))


_STRING_CHARS = st.sampled_from(list("ab cz  .,#//{}-é") + ["\\\\", '\\"', "  ", "#", "//"])


def _string():
    return st.lists(_STRING_CHARS, max_size=12).map(lambda parts: '"' + "".join(parts) + '"')


def _pct(lo=90.0):
    return st.decimals(min_value=lo, max_value=100, places=3).map(lambda d: f"{d}%")


def _time(units=("ms", "s", "us")):
    return st.tuples(st.integers(1, 500), st.sampled_from(units),
                     st.sampled_from(["", " ", "  "])).map(lambda t: f"{t[0]}{t[2]}{t[1]}")


_PROPS = {
    "availability": lambda kind: _pct().map(lambda v: f"availability {v}"),
    "latency": lambda kind: st.one_of(
        _time().map(lambda v: f"latency {v}"),
        st.tuples(st.integers(1, 20), st.integers(0, 80)).map(
            lambda t: f"latency p50 {t[0]}ms p99 {t[0] + t[1]}ms")),
    "capacity": lambda kind: st.integers(1, 5000).map(lambda n: f"capacity {n} rps"),
    "replicas": lambda kind: st.integers(1, 6).flatmap(lambda n: st.integers(1, n).map(
        lambda k: f"replicas {n}" + (f" min {k}" if k > 1 else ""))),
    "placement": lambda kind: st.lists(
        st.sampled_from([f"{r}.{z}" for r in REGIONS for z in ZONES] + REGIONS),
        min_size=1, max_size=3, unique=True).map(lambda ps: "placement " + ", ".join(ps)),
    "description": lambda kind: _string().map(lambda s: f"description {s}"),
    "engine": lambda kind: st.sampled_from(["redis", "postgres", "kafka"]).map(
        lambda e: f"engine {e}"),
    "mttr": lambda kind: _time(("m", "h")).map(lambda v: f"mttr {v}"),
    "hit_ratio": lambda kind: _pct(0).map(lambda v: f"hit_ratio {v}"),
    "ttl": lambda kind: _time(("s", "m", "h")).map(lambda v: f"ttl {v}"),
}


@st.composite
def _component(draw, name: str):
    from archlang.vocabulary import KIND_PROPERTIES

    kind = draw(st.sampled_from(["server", "cache", "database", "lb", "queue", "external"]))
    allowed = [p for p in _PROPS if p in KIND_PROPERTIES[kind]]
    keys = draw(st.lists(st.sampled_from(allowed), unique=True, max_size=4))
    props = [draw(_PROPS[k](kind)) for k in keys]
    return kind, props


@st.composite
def designs(draw):
    """A valid design, laid out at random (see the module docstring)."""
    sep = draw(st.sampled_from(["\n", " ", "; ", "\n\n", "  \n  "]))
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6, unique=True))
    out = []
    if draw(st.booleans()):
        out.append(f"description {draw(_string())}")
    for r in REGIONS:
        zones = " ".join(f"zone {z}" for z in ZONES)
        avail = draw(st.one_of(st.just(""), _pct(99).map(lambda v: f" availability {v}")))
        out.append(f"region {r}{avail} {{ {zones} }}")
    kinds = {}
    for name in names:
        kind, props = draw(_component(name))
        kinds[name] = kind
        body = draw(st.sampled_from([" ", "\n    ", " ; "])).join(props)
        comment = draw(st.sampled_from(["", "  # a note", " // why"])) if "\n" in sep else ""
        if props or draw(st.booleans()):
            out.append(f"{kind} {name} {{ {body} }}{comment}")
        else:
            out.append(f"{kind} {name}{comment}")
    out.append("client users")
    # calls: a chain from the first, plus some extra edges (no duplicates, no self calls)
    edges = set()
    order = list(names)
    for a, b in itertools.pairwise(order):
        if kinds[a] != "queue":
            edges.add((a, b))
    for a, b in edges:
        mods = draw(st.lists(st.sampled_from(["optional", "write", "x3", "x2 parallel"]),
                             unique=True, max_size=2))
        if "x3" in mods and "x2 parallel" in mods:
            mods.remove("x3")
        arrow = "~>" if draw(st.integers(0, 5)) == 0 else "->"
        out.append(f"{a} {arrow} {b} {' '.join(mods)}".rstrip())
    hops = [order[0]]
    for b in order[1:]:
        if (hops[-1], b) not in edges or kinds[hops[-1]] == "queue":
            break
        hops.append(b)
    arrows = []
    for a, b in itertools.pairwise(hops):
        declared = next(s for s in out if s.startswith(f"{a} ") and f" {b}" in s
                        and ("->" in s or "~>" in s))
        arrows.append("~>" if "~>" in declared else "->")
    path = "users -> " + hops[0] + "".join(f" {ar} {h}" for ar, h in zip(arrows, hops[1:]))
    rate = draw(st.integers(1, 500))
    slo = draw(st.sampled_from(["", "slo availability 99.9%", "slo latency p99 300ms"]))
    flow_sep = draw(st.sampled_from(["\n    ", " "]))
    items = [f"path {path}"] + ([slo] if slo else [])
    out.append(f"flow main rate {rate} rps {{{flow_sep}" + flow_sep.join(items) + " }")
    text = "system fuzz {" + sep + sep.join(out) + sep + "}\n"
    return text


# ---- the checks ------------------------------------------------------------------------------
class FuzzFailure(AssertionError):
    """An input broke a rule: a traceback, a non-finite figure, a raw control character,
    or fmt changed what it means."""


def _strip(obj):
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in ("span", "path", "files",
                                                                 "sources")}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _tokens(text: str):
    """The syntax tree of a text as nested tuples (positions dropped, QUANTITY spaces
    normalised as fmt writes them): what the parser read, token by token."""
    from archlang.syntax.parser import _parser

    def walk(node):
        if hasattr(node, "data"):
            return (str(node.data), tuple(walk(c) for c in node.children))
        v = re.sub(r"\s+", " ", str(node)) if node.type == "QUANTITY" else str(node)
        return (node.type, v)

    return walk(_parser().parse(text))


def _finite(obj, where="$"):
    if isinstance(obj, float) and not math.isfinite(obj):
        raise FuzzFailure(f"non-finite figure at {where}: {obj}")
    if isinstance(obj, dict):
        for k, v in obj.items():
            _finite(v, f"{where}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _finite(v, f"{where}[{i}]")


RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


def check_fmt(text: str) -> str:
    """fmt keeps the tokens and the model, and is idempotent. Returns 'same' or 'changed'
    (the layout), raises FuzzFailure on a change of meaning."""
    from archlang.span import normalize_newlines
    from archlang.syntax.fmt import format_text

    try:
        new = format_text(text)
    except ArchlangError:
        return "invalid"
    if _tokens(new) != _tokens(normalize_newlines(text)):
        raise FuzzFailure("fmt changed the tokens")
    if format_text(new) != new:
        raise FuzzFailure("fmt is not idempotent")
    try:
        before = archlang.loads(text)
    except ArchlangError:
        before = None
    try:
        after = archlang.loads(new)
    except ArchlangError:
        after = None
    if (before is None) != (after is None):
        raise FuzzFailure("fmt made a design valid or invalid")
    if before is not None and _strip(before.model_dump(mode="json")) != \
            _strip(after.model_dump(mode="json")):
        raise FuzzFailure("fmt changed the model")
    return "same" if new == text else "changed"


def check_input(text: str, analyse: bool = True) -> str:
    """Run one input through load, analysis, every format and fmt. Returns 'invalid' or
    'valid'; raises FuzzFailure (or the unexpected exception itself) when a rule breaks."""
    try:
        archlang.loads(text)
    except ArchlangError as e:
        if not e.diagnostics:
            raise FuzzFailure("an error without a diagnostic") from None
        rendered = e.render()
        for d in e.diagnostics:
            if d.span.line < 1 or d.span.column < 1:
                raise FuzzFailure(f"a diagnostic outside the file: {d.span}")
        if RAW.search(rendered):
            raise FuzzFailure(f"a raw control character in a diagnostic: {rendered!r}")
        check_fmt(text)
        return "invalid"
    if analyse:
        from archlang.checks import check_text
        from archlang.config import Config
        from archlang.render import ci
        from archlang.render.json import render_json
        from archlang.render.markdown import render_markdown
        from archlang.render.text import render_text

        checks = [check_text("<string>", text, Config())]
        if not checks[0].valid:
            raise FuzzFailure(f"loads accepted what check rejects: {checks[0].error}")
        _finite(json.loads(render_json(checks)))
        for out in (render_text(checks), render_markdown(checks),
                    ci.render_github(checks), ci.render_junit(checks, "error"),
                    ci.render_sarif(checks), ci.render_gitlab(checks)):
            if RAW.search(out):
                raise FuzzFailure("a raw control character in an output")
    check_fmt(text)
    return "valid"
