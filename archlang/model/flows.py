"""Flows: their rates, SLOs and paths, each path checked against the declared calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

from archlang import limits as L
from archlang.errors import did_you_mean
from archlang.model import defaults as D
from archlang.model.calls import CallsMixin, Step
from archlang.model.design import Call, Component, Flow, FlowHop, FlowPath, Slo
from archlang.model.props import Prop, _unquote, _val_from
from archlang.span import Span, span_of, token_of, tree_of
from archlang.vocabulary import ENUMS

if TYPE_CHECKING:
    from lark import Token, Tree

    from archlang.model.values import Fields, Statement


class FlowsMixin(CallsMixin):
    """Mixin of the design builder: flows, their paths read as steps (``CallsMixin``)."""

    flow_nodes: list[Statement]         # the builder's, in reading order

    # ---- flows -----------------------------------------------------------------------------
    def build_flows(self, comps: Mapping[str, Component], calls: list[Call]
                    ) -> tuple[dict[str, Flow], list[Call]]:
        flows: dict[str, Flow] = {}
        implicit: dict[tuple[str, str], Call] = {}
        first: dict[str, Span] = {}
        steps: list[tuple[Token, Step]] = []     # (source token, step) of every path
        for file, node in self.flow_nodes:
            name_tok = node.children[0]
            name = str(name_tok)
            sp = span_of(file, name_tok)
            if name in first:
                self.error(sp, f"flow '{name}' is declared twice",
                           f"first declared at {first[name]}")
                continue
            first[name] = sp
            f: Fields = {"name": name, "span": sp}
            paths: list[FlowPath] = []
            slos: list[Slo] = []
            rate_set = False
            ok = True
            for item in map(tree_of, node.children[1:]):
                d = item.data
                if d == "flow_rate":
                    q = item.children[0]
                    prop = Prop("rate", span_of(file, item), [_val_from(file, q)],
                                span_of(file, item))
                    if rate_set:
                        self.error(prop.span, "'rate' is given twice")
                        continue
                    rate_set = True
                    f["rate_rps"] = self.quantity(prop, prop.values[0], "rate") or 1.0
                elif d == "description":
                    f["description"] = _unquote(str(item.children[0]))
                elif d == "flow_prop":
                    tok = item.children[0]
                    choices = ENUMS["consistency"]
                    if str(tok) in choices:
                        f["consistency"] = str(tok)
                    else:
                        self.error(span_of(file, tok), f"unknown consistency {str(tok)!r}",
                                   did_you_mean(str(tok), choices)
                                   or f"one of: {', '.join(choices)}")
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
            assumed: list[str] = []
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
    def _slo(self, file: str, item: Tree[Token], existing: Sequence[Slo]) -> Slo | None:
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
                           "'slo latency' needs a percentile and a time, like: "
                           "slo latency p99 300ms")
                return None
            pct = vals[0].number
            assert pct is not None          # every percentile has its number (props.py)
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
    def _path(self, file: str, item: Tree[Token], comps: Mapping[str, Component],
              earlier: Sequence[FlowPath], steps: list[tuple[Token, Step]]) -> FlowPath | None:
        """One path -> its hops; its steps (with their modifiers) go to ``steps``. The path
        goes on from the first alternative of a step (see model/calls.py)."""
        head = token_of(item.children[0])
        ok = self._ref(file, head, comps, starts=not earlier)
        hops: list[FlowHop] = [FlowHop(name=str(head), span=span_of(file, head))]
        mine: list[tuple[Token, Step]] = []
        src = head
        for node in map(tree_of, item.children[1:]):
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
    def _flow_acyclic(self, name: str, paths: Sequence[FlowPath]) -> bool:
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
                    deepest = max(preds[n], key=depth.__getitem__)
                    self.error(where[(deepest, n)],
                               f"a request of flow '{name}' passes through "
                               f"more than {L.MAX_REQUEST_DEPTH} components",
                               "the limits of a design are listed in docs/language.md")
                    return False
            return True
        cycle = list(pairwise(nodes))
        # Point at the step that closes the loop: the one written last.
        last = max(range(len(cycle)), key=lambda i: (where[cycle[i]].file, where[cycle[i]].line,
                                                     where[cycle[i]].column))
        cycle = cycle[last + 1:] + cycle[:last + 1]
        a, b = cycle[-1]
        loop = " -> ".join([e[0] for e in cycle] + [cycle[0][0]])
        self.error(where[(a, b)], f"flow '{name}' has a cycle: {loop}",
                   "a request must not come back to a component it passed")
        return False
