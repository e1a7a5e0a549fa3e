"""The exact availability engine ("recursive factoring") over a compiled flow.

A unit that influences more than one place of the
tree (a zone or region holding replicas of two components, a component reached twice) is a
*conditioning variable*. Each variable is conditioned on at the lowest tree node whose
subtree holds every place it influences; below that node the subtrees are independent, so
the distribution of S multiplies. Units that influence one component only (its replicas,
its private zones) are summed out inside that component's up-probability. The distribution
of S at each node is kept exactly (a finite set of values: caches make S fractional), and a
node's distribution is memoised by the states of the variables it depends on. The work is
bounded by the sum over nodes of 2^(variables the node depends on); beyond
``EXACT_WORK_LIMIT`` the flow is estimated by Monte Carlo instead, and ``method`` says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from itertools import product
from typing import Generic

from archlang.analysis.compiled_flow import CompiledFlow
from archlang.analysis.overrides import Forced, Overrides, UnitKey, component_force
from archlang.analysis.quorum import ENUMERATE_NODES, Op, state_distribution
from archlang.analysis.replica_groups import (
    ENUMERATE_DOMAINS,
    group_up,
    node_probabilities,
    summed_up,
)
from archlang.analysis.success_dist import (
    ONE,
    ZERO,
    Dist,
    V,
    cache_success,
    clean,
    dmap,
    mean,
    power,
    scale,
    times,
)

#: Above this many node evaluations (sum over tree nodes of 2^dependencies) a flow is
#: estimated by Monte Carlo (``archlang.analysis.availability``) instead.
EXACT_WORK_LIMIT = 1 << 16

#: The value a conditioning variable is assigned: 1 (up) or 0 (down), or for a store
#: conditioned on its whole state the success of each of its operations (``store_ops``).
StateValue = int | tuple[float, ...]
#: The conditioning variables assigned above a node, and their values.
Assignment = dict[UnitKey, StateValue]
#: The overrides that change a subtree or a component, as a sorted tuple (a memo key's part).
Signature = tuple[tuple[UnitKey, Forced], ...]


class TooComplex(Exception):
    """The exact engine's work bound for a flow exceeds EXACT_WORK_LIMIT."""


class FactoringEngine(Generic[V]):
    """Recursive factoring over one flow's tree, whatever a node's distribution holds: the
    conditioning variables, their conditioning nodes, the memos and the work bound.

    ``V`` is the value a distribution is over: S (a float) for :class:`ExactEngine`, the
    request classes for the request engine (``archlang.analysis.resilience``). A subclass
    gives ``_node`` (one node's distribution given the assigned variables) and
    ``availability``.
    """

    def __init__(self, fm: CompiledFlow, base: Overrides | None = None):
        self.fm = fm
        base = base or {}
        self.base_comp = {k[1]: v for k, v in base.items() if k[0] == "c"}
        # Domain states: fixed (forced, or availability 0 / 1) or variable.
        self.fixed: dict[str, int] = {}
        self.pdom: dict[str, float] = {}
        for c in fm.components:
            for d in fm.models[c].domains:
                if ("d", d) in base:
                    self.fixed[d] = int(base[("d", d)])
                elif fm.domains.get(d, 1.0) >= 1.0:
                    self.fixed[d] = 1
                elif fm.domains[d] <= 0.0:
                    self.fixed[d] = 0
                else:
                    self.pdom[d] = fm.domains[d]
        nodes = fm.nodes
        # Where each component sits in the tree.
        places: dict[str, list[int]] = {}
        for i, nd in enumerate(nodes):
            places.setdefault(nd.comp, []).append(i)
        self.vdoms = {c: tuple(d for d in fm.models[c].domains if d in self.pdom)
                      for c in fm.components}
        # Conditioning variables and the nodes they touch directly.
        touch: dict[UnitKey, list[int]] = {}
        users: dict[str, list[str]] = {}
        for c in fm.components:
            for d in self.vdoms[c]:
                users.setdefault(d, []).append(c)
        for d, cs in users.items():
            if len(cs) > 1:
                touch[("d", d)] = [i for c in cs for i in places[c]]
        for c, ps in places.items():
            if len(ps) > 1 and not fm.models[c].client and self.base_comp.get(c) != "down":
                touch[("c", c)] = ps
        # A store reached twice, or below a call made xN, is conditioned on its state (the
        # success of each of its operations): there its whole distribution matters.
        self.store_ops: dict[str, list[Op]] = {}
        for c, ps in places.items():
            st = fm.models[c].store
            if st is None:
                continue
            # every call into a store has its operation (compile_flow)
            ops = sorted({op for i in ps if (op := nodes[i].op) is not None},
                         key=lambda o: o.name)
            self.store_ops[c] = ops
            if self.base_comp.get(c) != "down" and (len(ps) > 1 or any(nodes[i].repeated
                                                                       for i in ps)):
                touch[("c", c)] = ps
        self.op_index = {c: {o.name: j for j, o in enumerate(ops)}
                         for c, ops in self.store_ops.items()}
        self.global_doms = {c: tuple(d for d in self.vdoms[c] if ("d", d) in touch)
                            for c in fm.components}
        self.local_doms = {c: tuple(d for d in self.vdoms[c] if ("d", d) not in touch)
                           for c in fm.components}
        # Conditioning node of each variable: the lowest common ancestor of what it touches.
        at: dict[int, list[UnitKey]] = {}
        self.lca: dict[UnitKey, int] = {}
        for v, ns in touch.items():
            paths = [self._path(i) for i in ns]
            common = 0
            for level in zip(*paths):
                if all(x == level[0] for x in level):
                    common = level[0]
                else:
                    break
            self.lca[v] = common
            at.setdefault(common, []).append(v)
        self.at = {i: sorted(vs, key=lambda v: (v[0] != "d", v[1])) for i, vs in at.items()}
        # Variables each subtree depends on, and those assigned above it.
        deps: list[set[UnitKey]] = [set() for _ in nodes]
        for v, ns in touch.items():
            for i in ns:
                j = i
                while v not in deps[j]:
                    deps[j].add(v)
                    if j == self.lca[v]:
                        break
                    j = nodes[j].parent
        self.above: list[tuple[UnitKey, ...]] = []
        for i in range(len(nodes)):
            self.above.append(tuple(sorted(v for v in deps[i] if self.lca[v] != i)))
        self.work = sum(math.prod(self._cardinality(v) for v in deps[i])
                        for i in range(len(nodes)))
        # Beyond ENUMERATE_DOMAINS local domains, a store enumerated there (a scatter, or its
        # state conditioned on) costs 2^them; everything else summed_up sums out.
        for c, ops in self.store_ops.items():
            if len(self.local_doms[c]) > ENUMERATE_DOMAINS and (
                    ("c", c) in touch or any(o.scatter for o in ops)):
                self.work += len(places[c]) << len(self.local_doms[c])
        # Units beneath each node (for keying what-if overrides).
        sub: list[set[UnitKey]] = [set() for _ in nodes]
        for i in reversed(range(len(nodes))):
            c = nodes[i].comp
            sub[i].add(("c", c))
            sub[i].update(("d", d) for d in self.vdoms[c])
            if nodes[i].parent >= 0:
                sub[nodes[i].parent].update(sub[i])
        self.sub = [frozenset(s) for s in sub]
        self._memo: dict[tuple[int, tuple[StateValue, ...], Signature], dict[V, float]] = {}
        self._pmemo: dict[tuple[str, tuple[StateValue, ...], Signature, str | None], float] = {}
        self._extra: dict[UnitKey, Forced] = {}

    def _cardinality(self, v: UnitKey) -> float:
        """Bound on the states of a conditioning variable (2 but for a store's state)."""
        st = self.fm.models[v[1]].store if v[0] == "c" else None
        if st is None:
            return 2
        cm = self.fm.models[v[1]]
        if cm.n > ENUMERATE_NODES or (st.windows > 1 and st.failover < 1.0 and any(
                o.leader for o in self.store_ops[v[1]])):
            return math.inf
        node_states: int = 2 ** min(cm.n, 12)
        return node_states * (2 if st.failover < 1.0 else 1)

    def _path(self, i: int) -> list[int]:
        out: list[int] = []
        while i >= 0:
            out.append(i)
            i = self.fm.nodes[i].parent
        return out[::-1]

    # -- probabilities --
    def p_comp(self, c: str, asg: Assignment, op: Op | None = None) -> float:
        """P(component c's group up | assigned global domains), its own domains summed out;
        for a store, the expected success of ``op``."""
        extra = self._extra
        sig = tuple(sorted((k, v) for k, v in extra.items()
                           if k == ("c", c) or (k[0] == "d" and k[1] in self.vdoms[c])))
        key = (c, tuple(asg[("d", d)] for d in self.global_doms[c]), sig,
               op.name if op is not None else None)
        got = self._pmemo.get(key)
        if got is not None:
            return got
        cm = self.fm.models[c]
        force = component_force(extra.get(("c", c), self.base_comp.get(c)))
        total = None
        if len(self.local_doms[c]) > ENUMERATE_DOMAINS:    # sum them out without 2^d states
            total = summed_up(cm, *self._local_split(c, asg), force, op)
        if total is None:
            total = 0.0
            for states, pr in self._domain_states(c, asg):
                total += pr * group_up(cm, states, force, op=op)
        self._pmemo[key] = total
        return total

    def _given_states(self, c: str, asg: Assignment) -> dict[str, int]:
        """Component c's domains whose state is known here: fixed ones and assigned ones."""
        states = {d: self.fixed[d] for d in self.fm.models[c].domains if d in self.fixed}
        for d in self.global_doms[c]:
            up = asg[("d", d)]
            assert isinstance(up, int)      # a domain is up or down, never a store's state
            states[d] = up
        return states

    def _local_split(self, c: str, asg: Assignment) -> tuple[dict[str, int], dict[str, float]]:
        """Component c's domain states as :func:`summed_up` takes them: fixed, assigned and
        forced ones as states, its other local ones with their probabilities."""
        states = self._given_states(c, asg)
        pdom: dict[str, float] = {}
        for d in self.local_doms[c]:
            forced = self._extra.get(("d", d))
            if forced is not None:
                states[d] = int(forced)
            else:
                pdom[d] = self.pdom[d]
        return states, pdom

    def _domain_states(self, c: str, asg: Assignment) -> Iterator[tuple[dict[str, int], float]]:
        """The states of component c's domains: fixed and assigned ones as given, its own
        (local) ones enumerated; yields (states, probability) for each state of nonzero
        probability. The ``states`` dict is reused: read it before the next step."""
        extra = self._extra
        states = self._given_states(c, asg)
        local = self.local_doms[c]
        for combo in product((1, 0), repeat=len(local)):
            pr = 1.0
            for d, s in zip(local, combo):
                states[d] = s
                forced = extra.get(("d", d))
                if forced is not None:
                    pr *= 1.0 if forced == s else 0.0
                else:
                    pr *= self.pdom[d] if s else 1.0 - self.pdom[d]
            if pr:
                yield states, pr

    def _store_states(self, c: str, asg: Assignment) -> list[tuple[tuple[float, ...], float]]:
        """The distribution of a store's state (the success of each of its operations in
        this flow) given the assigned global domains, its own domains summed out."""
        extra = self._extra
        cm = self.fm.models[c]
        force = component_force(extra.get(("c", c), self.base_comp.get(c)))
        ops = self.store_ops[c]
        st = cm.store
        assert st is not None, "only a store is conditioned on its state"
        if force == "up" and st.failover < 1.0:
            from dataclasses import replace
            st = replace(st, failover=1.0)
        acc: dict[tuple[float, ...], float] = {}
        for states, pr in self._domain_states(c, asg):
            dist = state_distribution(st, ops, node_probabilities(cm, states, force))
            if dist is None:    # guarded by _cardinality: never reached
                raise TooComplex(f"store {c}: too many node states")
            for val, q in dist:
                acc[val] = acc.get(val, 0.0) + pr * q
        return sorted(acc.items(), key=lambda kv: kv[0], reverse=True)

    def _choices(self, v: UnitKey, asg: Assignment) -> Sequence[tuple[StateValue, float]]:
        """The values a conditioning variable takes, with their probabilities."""
        if v[0] == "d":
            forced = self._extra.get(v)
            p = float(forced) if forced is not None else self.pdom[v[1]]
        elif v[1] in self.store_ops:
            return self._store_states(v[1], asg)
        else:
            p = self.p_comp(v[1], asg)
        return [(1, p), (0, 1.0 - p)]

    # -- distributions --
    def dist(self, i: int, asg: Assignment) -> dict[V, float]:
        # Overrides that change this subtree; a variable conditioned on above this node is
        # already fixed in ``asg``, so its override only matters where it is conditioned.
        sig = tuple(sorted((k, v) for k, v in self._extra.items()
                           if k in self.sub[i] and k not in asg))
        key = (i, tuple(asg[v] for v in self.above[i]), sig)
        got = self._memo.get(key)
        if got is not None:
            return got
        here = self.at.get(i, ())
        if not here:
            out = self._node(i, asg)
        else:
            acc: dict[V, float] = {}

            def assign(j: int, a2: Assignment, pr: float) -> None:
                if j == len(here):
                    for val, q in self._node(i, a2).items():
                        acc[val] = acc.get(val, 0.0) + pr * q
                    return
                v = here[j]
                for s, p in self._choices(v, a2):
                    if pr * p == 0.0:
                        continue
                    a3 = dict(a2)
                    a3[v] = s
                    assign(j + 1, a3, pr * p)

            assign(0, dict(asg), 1.0)
            out = clean(acc)
        self._memo[key] = out
        return out

    def _node(self, i: int, asg: Assignment) -> dict[V, float]:
        """The distribution of node ``i`` given the variables assigned in ``asg``."""
        raise NotImplementedError

    def availability(self, extra: Overrides | None = None) -> float:
        """E[S(root)] with the overrides ``extra`` on top of ``base``."""
        raise NotImplementedError


class ExactEngine(FactoringEngine[float]):
    """E[S(root)] of one flow, exactly, with optional what-if overrides.

    ``base`` overrides (from --down) are built into the structure; ``availability(extra)``
    accepts further overrides on components (("c", name) -> "up" | "down") and on domains
    that can fail (("d", key) -> 1 | 0). Distributions are memoised across calls, keyed by
    the overrides that touch each subtree, so a what-if recomputes only the path above the
    changed unit.
    """

    def _node(self, i: int, asg: Assignment) -> Dist:
        nd = self.fm.nodes[i]
        v = ("c", nd.comp)
        fixed = False              # a store's state: u is its success, not a probability
        if v in asg:
            val = asg[v]
            if isinstance(val, tuple):
                assert nd.op is not None, "a store's node has its operation"
                u = val[self.op_index[nd.comp][nd.op.name]]
                fixed = True
            else:
                u = float(val)
        else:
            u = self.p_comp(nd.comp, asg, nd.op)
        h = nd.hit
        ring_cache = h is not None and nd.op is not None
        if u <= 0.0 and not ring_cache:
            return ZERO
        rest = ONE
        for j, (count, targets) in enumerate(nd.calls):
            if len(targets) == 1:
                g = self.dist(targets[0], asg)
            else:
                fail = ONE
                for t in targets:
                    fail = times(fail, dmap(self.dist(t, asg), lambda x: 1.0 - x))
                g = dmap(fail, lambda x: 1.0 - x)
            if count > 1:
                g = power(g, count)
            if nd.windows and nd.windows[j] < 1.0:      # failover window: a pseudo-event
                g = scale(nd.windows[j], g)
            rest = times(rest, g)
        if ring_cache and h is not None:
            # a sharded cache: a key whose shard is lost is a miss (its store serves it)
            if fixed:
                return dmap(rest, lambda x: x + u * h * (1.0 - x))
            hit = dmap(rest, lambda x: cache_success(h, x))
            out: Dist = {}
            for d, w in ((hit, u), (rest, 1.0 - u)):
                for x, q in d.items():
                    out[x] = out.get(x, 0.0) + w * q
            return clean(out)
        if h is not None:
            rest = dmap(rest, lambda x: cache_success(h, x))
        if fixed and 0.0 < u < 1.0:
            return dmap(rest, lambda x: u * x)
        return scale(u, rest)

    def availability(self, extra: Overrides | None = None) -> float:
        if self.work > EXACT_WORK_LIMIT:
            raise TooComplex(f"flow {self.fm.name}: exact work {self.work} > {EXACT_WORK_LIMIT}")
        self._extra = dict(extra or {})
        try:
            return min(1.0, max(0.0, mean(self.dist(0, {}))))
        finally:
            self._extra = {}
