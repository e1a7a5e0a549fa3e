"""Calls: call statements and the steps of flow paths -> ``Call`` models.

A call statement (`api -> shard x100 parallel`) and a step of a flow's path
(`path users -> api -> shard x100 parallel`) are the same syntax, a ``step``: an arrow, a
target or alternatives (`b | c`) and the call's modifiers, read from the one table of
modifiers (archlang/syntax/callmods.py). The modifiers of a step belong to the call
into the step's target(s): `a -> b x3 -> c` is the call a -> b x3 and the call b -> c.

On a path:
* a step that carries modifiers or alternatives declares its call when no call statement
  does (exactly as if it were written as a call statement), and must agree with the
  declared call when one exists: every modifier written on the step must equal the
  declared one, and alternatives must be the declared ones (a single target may be any
  one of them). A contradiction is an error that names both places;
* the path continues from the first alternative a step names: `dns -> east | west -> api`
  is the call dns -> east | west and the path dns -> east -> api (the flow's primary);
  the other alternatives serve on failover with their own declared calls;
* a plain step that no statement declares is an implicit hard call (``Call.implicit``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archlang.errors import did_you_mean
from archlang.model.props import Prop, Val, _val_from
from archlang.model.values import ValueChecks
from archlang.span import Span, is_tree, make_span, span_of, token_of, tree_of
from archlang.syntax.callmods import (
    BY_FIELD,
    BY_WORD,
    CALL_MODIFIERS,
    COUNT_MODIFIER,
    CallModifier,
    describe,
)

if TYPE_CHECKING:
    from lark import Token, Tree

    from archlang.model.design import Call, Component
    from archlang.model.values import Statement

#: How the unit classes of the builder read each modifier value kind.
_VALUE_UNITS = {"ms": "time", "ms0": "time", "s0": "time", "rate": "rate",
                "fraction": "percent", "integer": None, "percentile": None}


@dataclass
class Step:
    """One step: `-> b | c x3 parallel` (arrow, targets, modifiers)."""

    file: str
    arrow: str
    targets: list[Token]                   # NAME tokens
    span: Span                            # from the first target to the last modifier
    # Call field -> value (a bool, a count, a time...): keyword arguments of ``Call``.
    mods: dict[str, Any] = field(default_factory=dict)
    mod_spans: dict[str, Span] = field(default_factory=dict)    # Call field -> its span

    @property
    def asynchronous(self) -> bool:
        return self.arrow == "~>"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(str(t) for t in self.targets)

    @property
    def declares(self) -> bool:
        """Does the step say more than 'calls b' (modifiers or alternatives)?"""
        return bool(self.mods) or len(self.targets) > 1


class CallsMixin(ValueChecks):
    """The part of the design builder that reads calls (see the module docstring)."""

    call_nodes: list[Statement]         # the builder's, in reading order

    def _ref(self, file: str, tok: Token, comps: Mapping[str, Component],
             starts: bool = False) -> bool:
        """Is ``tok`` a declared component? ``starts``: it begins a flow's first path."""
        name = str(tok)
        if name in comps:
            return True
        example = f"client {name} {{ latency 30ms }}" if starts else "server NAME { ... }"
        self.error(span_of(file, tok), f"unknown component '{name}'",
                   did_you_mean(name, comps) or f"declare it, e.g. `{example}`")
        return False

    # ---- steps and modifiers ---------------------------------------------------------------
    def read_step(self, file: str, node: Tree[Token]) -> Step:
        ch = node.children
        arrow = str(ch[0])
        targets = [t for t in ch[1:] if not is_tree(t) and t.type == "NAME"]
        first = span_of(file, targets[0])
        last = span_of(file, node)
        step = Step(file=file, arrow=arrow, targets=targets,
                    span=make_span(file, first.line, first.column, last.end_line,
                                   last.end_column))
        for m in ch[1:]:
            if is_tree(m):
                self._modifier(file, m, step)
        if step.mods.get("parallel") and step.mods.get("count", 1) < 2:
            self.error(step.mod_spans["parallel"],
                       "'parallel' needs a count of calls, like x8 parallel")
        return step

    def _modifier(self, file: str, node: Tree[Token], step: Step) -> None:
        head = node.children[0]
        vals: list[Val]
        if not is_tree(head) and head.type == "COUNT":
            mod: CallModifier = COUNT_MODIFIER
            word, sp = str(head), span_of(file, head)
            vals = []
        else:
            word = str(tree_of(head).children[0])
            mod = BY_WORD[word]
            sp = span_of(file, node)
            vals = [_val_from(file, v) for v in node.children[1:]]
        if mod.field in step.mods:
            self.error(sp, f"'{mod.word}' is given twice")
            return
        if mod.value is None:
            if vals:
                self.error(vals[0].span, f"'{word}' takes no value, found {vals[0].text!r}")
                return
            value: Any = True
        elif mod.value == "count":
            from archlang import limits as L

            top = L.max_count("call count")
            digits = word[1:].lstrip("0")
            value = int(digits or "0") if len(digits) <= len(str(top)) else top + 1
            if value > top:
                self.error(sp, f"a call count is at most x{top}, found {word}",
                           "the limits of a design are listed in docs/language.md")
                value = 1
            elif value < 1:
                self.error(sp, "a call count must be at least x1")
                value = 1
        else:
            prop = Prop(word, span_of(file, head), vals, sp)
            v = vals[0] if vals else None
            if mod.value == "percentile":
                if (v is None or v.kind != "percentile" or v.number is None
                        or not 0 < v.number < 100):
                    found = f", found {v.text!r}" if v else ""
                    self.error(v.span if v else sp,
                               f"'{word}' needs a percentile like p95{found}")
                    return
                value = v.number
            elif mod.value == "integer":
                value = self.integer(prop, v, minimum=0)
            elif mod.value == "fraction":
                value = self.fraction(prop, v, allow_zero=True)
            else:
                value = self.quantity(prop, v, _VALUE_UNITS[mod.value],
                                      allow_zero=mod.value in ("ms0", "s0"))
                if value is not None and mod.value == "s0":
                    value = value / 1000.0        # the builder reads times in ms
            if value is None:
                return
        step.mods[mod.field] = value
        step.mod_spans[mod.field] = sp

    # ---- call statements -------------------------------------------------------------------
    def build_calls(self, comps: Mapping[str, Component]) -> list[Call]:
        """Call statements -> calls; `a -> b -> c` declares a -> b and b -> c."""
        calls: list[Call] = []
        self._call_seen: dict[tuple[str, str], Span] = {}
        for file, node in self.call_nodes:
            src_tok = token_of(node.children[0])
            steps = [self.read_step(file, s) for s in map(tree_of, node.children[1:])]
            for i, step in enumerate(steps[:-1]):
                if len(step.targets) > 1:
                    self.error(span_of(file, step.targets[1]),
                               "alternatives end a chain of calls: which of them makes the "
                               "next call?",
                               f"write the next call on a line of its own, e.g. "
                               f"`{step.names[0]} -> {steps[i + 1].names[0]}`")
                    steps = []
                    break
            for step in steps:
                call = self._call(file, src_tok, step, comps)
                if call is not None:
                    calls.append(call)
                src_tok = step.targets[0]
        return calls

    def _call(self, file: str, src_tok: Token, step: Step, comps: Mapping[str, Component],
              implicit: bool = False) -> Call | None:
        from archlang.model.design import Call

        ok = self._ref(file, src_tok, comps)
        for t in step.targets:
            ok = self._ref(file, t, comps) and ok
        if not ok:
            return None
        src = comps[str(src_tok)]
        bad = False
        for t in step.targets:
            tc = comps[str(t)]
            tsp = span_of(file, t)
            if tc.kind == "client":
                self.error(tsp, f"'{tc.name}' is a client: nothing calls a client",
                           "a client starts requests; put it first on a flow's path")
                bad = True
            if tc.name == src.name:
                self.error(tsp, f"'{src.name}' calls itself")
                bad = True
            key = (src.name, tc.name)
            if key in self._call_seen:
                self.error(tsp, f"the call {src.name} -> {tc.name} is declared twice",
                           f"first declared at {self._call_seen[key]}")
                bad = True
            self._call_seen[key] = tsp
        if step.mods.get("scatter"):
            for t in step.targets:
                tc = comps[str(t)]
                if tc.rf is None or tc.kind not in ("database", "cache"):
                    self.error(span_of(file, t), f"'scatter' needs a sharded or "
                                                 f"leaderless store, and '{tc.name}' is "
                                                 f"not one",
                               "declare `sharding hash N` (or `replication leaderless`) "
                               "on it, or drop scatter")
                    bad = True
        if len(set(step.names)) != len(step.names):
            self.error(step.span, "an alternative is listed twice")
            bad = True
        asyn = step.asynchronous or src.kind == "queue"
        fields = {"targets": step.names, "asynchronous": asyn, **step.mods}
        spans = {BY_FIELD[k].word: sp for k, sp in step.mod_spans.items()}
        if not check_call(self, fields, spans, step.span):
            bad = True
        if bad:
            return None
        first = span_of(file, src_tok)
        sp = make_span(file, first.line, first.column, step.span.end_line, step.span.end_column)
        return Call(source=src.name, targets=step.names, span=sp, implicit=implicit,
                    asynchronous=step.asynchronous or src.kind == "queue", **step.mods)

    # ---- path steps ------------------------------------------------------------------------
    def declare_from_steps(self, steps: Sequence[tuple[Token, Step]],
                           comps: Mapping[str, Component], calls: Sequence[Call]) -> list[Call]:
        """The calls that path steps with modifiers or alternatives declare (see the module
        docstring); ``steps``: (source token, step) in reading order. Returns the new
        calls; a step that contradicts a declared call is an error."""
        declared: dict[tuple[str, str], Call] = {(c.source, t): c for c in calls
                                                 for t in c.targets}
        new: list[Call] = []
        for src_tok, step in steps:
            if not step.declares:
                continue
            src = str(src_tok)
            existing = next((declared[(src, t)] for t in step.names if (src, t) in declared),
                            None)
            if existing is not None:
                self._agree(src, step, existing)
                continue
            call = self._call(step.file, src_tok, step, comps)
            if call is None:
                continue
            new.append(call)
            for t in call.targets:
                declared[(src, t)] = call
        return new

    def _agree(self, src: str, step: Step, call: Call) -> None:
        shown = f"{src} -> {' | '.join(call.targets)}"
        if len(step.targets) > 1 and set(step.names) != set(call.targets):
            self.error(step.span, f"this step names the alternatives {' | '.join(step.names)}, "
                                  f"but the call {shown} is declared at {call.span}",
                       "write the same alternatives on both, or only one target on the path")
        for fld, value in step.mods.items():
            have = getattr(call, fld)
            if have != value:
                mod = next(m for m in CALL_MODIFIERS if m.field == fld)
                self.error(step.mod_spans[fld],
                           f"this step says {describe(mod, value)}, but the call {shown} "
                           f"declared at {call.span} says {describe(mod, have)}",
                           "a path step and the call it takes must agree: change one of them")


def check_call(b: ValueChecks, f: Mapping[str, Any], spans: Mapping[str, Span],
               span: Span) -> bool:
    """The combinations of a call's modifiers (``f``: its fields, ``spans``: modifier word ->
    where it is written); False when the call is in error."""
    ok = True

    def err(key: str, message: str, hint: str | None = None) -> None:
        nonlocal ok
        b.error(spans.get(key, span), message, hint)
        ok = False

    for key in ("backoff", "retry_budget"):
        if key in spans and "retries" not in spans:
            err(key, f"'{key}' needs 'retries N' on the same call",
                f"for example: retries 2 {key} {'100ms' if key == 'backoff' else '10%'}")
    if f.get("breaker") and not f.get("optional"):
        err("breaker", "'breaker' applies to an optional call",
            "a breaker fails fast a call the request can do without: add 'optional'")
    if "failover" in spans and len(f["targets"]) < 2:
        err("failover", "'failover T' on a call needs alternatives, like a -> b | c failover 60s",
            "for replicas of one component write: replicas 2 active_passive failover 15s")
    if f.get("asynchronous"):
        for key in ("timeout", "retries", "hedge"):
            if key in spans:
                err(key, f"'{key}' does not apply to an asynchronous call: nobody waits for it")
        if f.get("breaker"):
            err("breaker", "'breaker' does not apply to an asynchronous call")
    return ok
