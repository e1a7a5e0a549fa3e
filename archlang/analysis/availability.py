"""Availability of every flow: the expected fraction of its requests that succeed.

The model (docs/analyses/availability.md gives every formula and a worked example):

* Units fail independently: each replica of a component is up with the component's
  ``availability`` a; each zone and each region with its own availability. Replica i runs at
  ``placement[i % len(placement)]``; it is *effectively* up when it, its zone (if placed in a
  zone) and its region are up. A component without placement is in no failure domain.
  Clients never fail.
* A component's group is up when at least k of its n replicas are effectively up
  (``replicas n min k``; active_passive: k = 1). An active_passive group is further
  multiplied by an independent failover factor ``1 - min(T / MTBF, 1)``: failures arrive at
  rate 1/MTBF and each costs T of downtime. The factor is a pseudo-event, never a unit.
* The success fraction of one request on the flow tree (``archlang.graph.flow_tree``)::

      S(node)  = up(node) * prod_calls f(call)
      S(cache) = up * (h + (1 - h) * prod_calls f(call))     # cache and cdn, h = hit ratio
      S(queue) = up                                          # the producer's request ends there
      f(call)  = 1 if optional, else g ** count
      g        = S(t1) + (1 - S(t1)) * S(t2) + ...           # alternatives, tried in order

  A = E[S(root)] over the states of all units.

The exact engine ("recursive factoring"): a unit that influences more than one place of the
tree (a zone or region holding replicas of two components, a component reached twice) is a
*conditioning variable*. Each variable is conditioned on at the lowest tree node whose
subtree holds every place it influences; below that node the subtrees are independent, so
the distribution of S multiplies. Units that influence one component only (its replicas,
its private zones) are summed out inside that component's up-probability. The distribution
of S at each node is kept exactly (a finite set of values: caches make S fractional), and a
node's distribution is memoised by the states of the variables it depends on. The work is
bounded by the sum over nodes of 2^(variables the node depends on); beyond
``EXACT_WORK_LIMIT`` the flow is estimated by Monte Carlo instead, and ``method`` says so.

What-if (``down``): names are resolved by ``archlang.analysis.down``; forced components,
zones and regions become overrides, and a forced replica a failure domain of its own that is
forced down (``down_overrides``, ``component_models``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import product
from typing import Iterable, Sequence

from archlang.analysis.common import (MINUTES_PER_30D, MINUTES_PER_YEAR, Finding, SloResult,
                                      downtime_minutes, nines)
from archlang.analysis.down import NO_DOWN, Down, as_down
from archlang.analysis.extranine import FlowNeed
from archlang.analysis.quorum import (ENUMERATE_NODES, Op, Store, op_for, state_distribution,
                                     store_of)
from archlang.analysis.quorum import success as store_success
from archlang.analysis.result import (AvailabilityReport, ComponentAvailability,
                                      FlowAvailability)
from archlang.model.design import Design

#: Above this many node evaluations (sum over tree nodes of 2^dependencies) a flow is
#: estimated by Monte Carlo (``FALLBACK_TRIALS`` trials, the fixed seed) instead.
EXACT_WORK_LIMIT = 1 << 16
FALLBACK_TRIALS = 1_000_000
FALLBACK_IMPORTANCE_TRIALS = 100_000
#: A node's distribution of S keeps at most this many distinct values; beyond, values are
#: merged onto a 1e-12 grid (an error of at most 1e-12 per merge in A). Never reached by
#: designs with fewer than ~12 independent caches under one node.
SUPPORT_LIMIT = 4096

# Unit keys used by the engines: ("c", component), ("d", "region" or "region.zone"),
# ("r", component, i) for replica i (0-based).
UnitKey = tuple


# ---- the design's units ----------------------------------------------------------------------
@dataclass(frozen=True)
class ComponentModel:
    """What the engines need of one component."""

    name: str
    n: int
    k: int
    a: float                                    # one replica
    failover: float                             # independent factor, 1.0 unless active_passive
    replica_domains: tuple[tuple[str, ...], ...]  # per replica: zone key and/or region
    client: bool = False
    store: "Store | None" = None                # copies, quorums and shards (quorum.py)

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(sorted({d for ds in self.replica_domains for d in ds}))


def failover_factor(mode: str, failover_s: float, mtbf_s: float) -> float:
    """1 - min(T / MTBF, 1) for active_passive; 1 otherwise."""
    if mode != "active_passive" or failover_s <= 0 or math.isinf(mtbf_s):
        return 1.0
    if mtbf_s <= 0:
        return 0.0
    return 1.0 - min(failover_s / mtbf_s, 1.0)


def component_models(design: Design, down: Down = NO_DOWN) -> dict[str, ComponentModel]:
    """Every component as the engines see it; a replica forced down by ``down`` gets a
    domain of its own (``replica_domain``), which ``down_overrides`` forces down."""
    out: dict[str, ComponentModel] = {}
    for c in design.components.values():
        doms = []
        for i, p in enumerate(c.replica_placements()):
            if p is None:
                ds: tuple[str, ...] = ()
            elif p.zone is None:
                ds = (p.region,)
            else:
                ds = (p.key, p.region)
            if (c.name, i) in down.replicas:
                ds += (replica_domain(c.name, i),)
            doms.append(ds)
        client = c.kind == "client"
        store = store_of(c)
        out[c.name] = ComponentModel(
            name=c.name, n=c.replicas,
            k=1 if c.mode == "active_passive" or store else c.min_replicas,
            a=1.0 if client else c.availability,
            failover=(1.0 if client or store else
                      failover_factor(c.mode, c.failover_s, c.mtbf_s)),
            replica_domains=tuple(doms), client=client, store=store)
    return out


def domain_availability(design: Design) -> dict[str, float]:
    """'region' and 'region.zone' -> availability."""
    out: dict[str, float] = {}
    for r in design.regions:
        out[r.name] = r.availability
        for z in r.zones:
            out[z.key] = z.availability
    return out


def binom_tail(m: int, k: int, a: float) -> float:
    """P(at least k of m independent replicas are up), each up with probability a."""
    if k <= 0:
        return 1.0
    if m < k:
        return 0.0
    if a >= 1.0:
        return 1.0
    if a <= 0.0:
        return 0.0
    # Sum the smaller tail for precision.
    if k > m / 2:
        return math.fsum(math.comb(m, j) * a ** j * (1 - a) ** (m - j) for j in range(k, m + 1))
    return 1.0 - math.fsum(math.comb(m, j) * a ** j * (1 - a) ** (m - j) for j in range(k))


def group_up(cm: ComponentModel, domain_up: dict[str, int], force: str | None = None,
             failed_replicas: Iterable[int] = (), op: Op | None = None) -> float:
    """P(group up | domain states). force: "down" (every replica down), "up" (every replica
    up and no failover downtime) or None. A store (``cm.store``): the expected success of
    ``op`` (default: a single-key read), its nodes independent given the domains."""
    if cm.client:
        return 1.0
    if force == "down":
        return 0.0
    failed = set(failed_replicas)
    if cm.store is not None:
        return _store_up(cm, domain_up, force, failed, op)
    m = sum(1 for i, ds in enumerate(cm.replica_domains)
            if i not in failed and all(domain_up.get(d, 1) for d in ds))
    if force == "up":
        return 1.0 if m >= cm.k else 0.0
    return binom_tail(m, cm.k, cm.a) * cm.failover


def _store_up(cm: ComponentModel, domain_up: dict[str, int], force: str | None,
              failed: set[int], op: Op | None) -> float:
    st = cm.store
    op = op or st.op("read")
    a = 1.0 if force == "up" else cm.a
    p = [a if i not in failed and all(domain_up.get(d, 1) for d in ds) else 0.0
         for i, ds in enumerate(cm.replica_domains)]
    if force == "up" and st.failover < 1.0:
        from dataclasses import replace
        st = replace(st, failover=1.0)
    return store_success(st, op, p)


def node_probabilities(cm: ComponentModel, domain_up: dict[str, int],
                       force: str | None = None) -> list[float]:
    """P(up) of each node of a store given the domain states."""
    a = 1.0 if force == "up" else (0.0 if force == "down" else cm.a)
    return [a if all(domain_up.get(d, 1) for d in ds) else 0.0 for ds in cm.replica_domains]


# ---- --down ----------------------------------------------------------------------------------
# The names are resolved once, by archlang.analysis.down. The engines see forced units as
# overrides: a component ("c", name) -> "down" (every replica down), a zone or region
# ("d", key) -> 0. A forced-down replica ``name[i]`` is a failure domain of its own, named
# "name[i]", that holds that replica only and is forced down: ``component_models`` adds it to
# the replica's domains and ``down_overrides`` forces it to 0, so every engine (exact, Monte
# Carlo, the structural cut sets) treats the replica as down without a special case.
def down_overrides(down: Down) -> dict[UnitKey, object]:
    """The engines' overrides for the units of ``down``."""
    forced: dict[UnitKey, object] = {("c", c): "down" for c in sorted(down.components)}
    for d in sorted(down.zones | down.regions):
        forced[("d", d)] = 0
    for c, i in sorted(down.replicas):
        forced[("d", replica_domain(c, i))] = 0
    return forced


def replica_domain(component: str, index: int) -> str:
    """The failure domain of its own that a forced-down replica (0-based index) is put in."""
    return f"{component}[{index + 1}]"


def resolve_down(design: Design, names: "Sequence[str] | Down") -> dict[UnitKey, object]:
    """--down names -> the engines' overrides (``archlang.analysis.down.resolve_down`` does
    the resolution and raises DesignError for unknown or ambiguous names)."""
    return down_overrides(as_down(design, names))


# ---- the flow as the engines see it ------------------------------------------------------------
@dataclass
class Node:
    comp: str
    hit: float | None                              # cache/cdn hit ratio, else None
    calls: list[tuple[int, list[int]]] = field(default_factory=list)  # (count, target nodes)
    parent: int = -1
    depth: int = 0
    op: Op | None = None                           # into a store: what the call does
    repeated: bool = False                         # below (or at) a call made xN
    # Per entry of ``calls``: the declared call, and its failover-window factor
    # (``failover T`` on alternatives, analysis/resilience.py; 1.0 without).
    mods: list = field(default_factory=list)
    windows: list[float] = field(default_factory=list)


@dataclass
class FlowModel:
    """A flow's request tree without optional calls and without anything after a queue."""

    name: str
    nodes: list[Node]
    components: list[str]                          # in order of first appearance
    models: dict[str, ComponentModel]
    domains: dict[str, float]

    def children(self, n: int) -> list[int]:
        return [t for _, ts in self.nodes[n].calls for t in ts]


def compile_flow(design: Design, flow_name: str, models: dict[str, ComponentModel] | None = None,
                 domains: dict[str, float] | None = None) -> FlowModel:
    from archlang.analysis.resilience import failover_window
    from archlang.graph import flow_tree

    models = models if models is not None else component_models(design)
    domains = domains if domains is not None else domain_availability(design)
    nodes: list[Node] = []
    comps: dict[str, None] = {}
    consistency = design.flows[flow_name].consistency

    def add(fn, parent: int, depth: int, call=None, repeated: bool = False) -> int:
        i = len(nodes)
        hit = fn.component.hit_ratio if fn.kind in ("cache", "cdn") else None
        if hit is None and fn.kind in ("cache", "cdn"):
            hit = 0.0
        st = models[fn.name].store
        op = None
        if st is not None:
            op = op_for(st, bool(call and call.write), bool(call and call.scatter),
                        consistency)
        nodes.append(Node(comp=fn.name, hit=hit, parent=parent, depth=depth, op=op,
                          repeated=repeated))
        comps.setdefault(fn.name)
        if fn.ends_request:
            return i          # the request ends at the queue
        for fc in fn.calls:
            if fc.optional:
                continue
            rep = repeated or fc.count > 1
            targets = [add(t, i, depth + 1, fc.call, rep) for t in fc.targets]
            if targets:
                nodes[i].calls.append((max(fc.count, 1), targets))
                nodes[i].mods.append(fc.call)
                nodes[i].windows.append(failover_window(design, fc))
        return i

    add(flow_tree(design, flow_name), -1, 0)
    return FlowModel(name=flow_name, nodes=nodes, components=list(comps), models=models,
                     domains=domains)


# ---- distributions of S ----------------------------------------------------------------------
Dist = dict  # value -> probability

ONE: Dist = {1.0: 1.0}
ZERO: Dist = {0.0: 1.0}


def _clean(d: Dist) -> Dist:
    if len(d) > SUPPORT_LIMIT:
        merged: Dist = {}
        for v, p in d.items():
            k = round(v, 12)
            merged[k] = merged.get(k, 0.0) + p
        return merged
    return d


def _map(d: Dist, fn) -> Dist:
    out: Dist = {}
    for v, p in d.items():
        w = fn(v)
        out[w] = out.get(w, 0.0) + p
    return out


def _times(x: Dist, y: Dist) -> Dist:
    if len(x) == 1 and 1.0 in x:
        return y
    if len(y) == 1 and 1.0 in y:
        return x
    out: Dist = {}
    for v, p in x.items():
        for w, q in y.items():
            z = v * w
            out[z] = out.get(z, 0.0) + p * q
    return _clean(out)


def _scale(u: float, rest: Dist) -> Dist:
    """Distribution of U * rest, U ~ Bernoulli(u) independent of rest."""
    if u >= 1.0:
        return rest
    if u <= 0.0:
        return ZERO
    out: Dist = {v: u * p for v, p in rest.items()}
    out[0.0] = out.get(0.0, 0.0) + (1.0 - u)
    return out


def _cache(h: float, v: float) -> float:
    return 1.0 if v == 1.0 else h + (1.0 - h) * v


def mean(d: Dist) -> float:
    return math.fsum(v * p for v, p in d.items())


# ---- the exact engine ------------------------------------------------------------------------
class TooComplex(Exception):
    """The exact engine's work bound for a flow exceeds EXACT_WORK_LIMIT."""


class ExactEngine:
    """E[S(root)] of one flow, exactly, with optional what-if overrides.

    ``base`` overrides (from --down) are built into the structure; ``availability(extra)``
    accepts further overrides on components (("c", name) -> "up" | "down") and on domains
    that can fail (("d", key) -> 1 | 0). Distributions are memoised across calls, keyed by
    the overrides that touch each subtree, so a what-if recomputes only the path above the
    changed unit.
    """

    def __init__(self, fm: FlowModel, base: dict[UnitKey, object] | None = None):
        self.fm = fm
        base = base or {}
        self.base_comp = {k[1]: v for k, v in base.items() if k[0] == "c"}
        # Domain states: fixed (forced, or availability 0 / 1) or variable.
        self.fixed: dict[str, int] = {}
        self.pdom: dict[str, float] = {}
        for c in fm.components:
            for d in fm.models[c].domains:
                if ("d", d) in base:
                    self.fixed[d] = int(base[("d", d)])  # type: ignore[arg-type]
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
        self.store_ops: dict[str, list] = {}
        for c, ps in places.items():
            st = fm.models[c].store
            if st is None:
                continue
            ops = sorted({nodes[i].op for i in ps}, key=lambda o: o.name)
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
        deps: list[set] = [set() for _ in nodes]
        for v, ns in touch.items():
            for i in ns:
                j = i
                while v not in deps[j]:
                    deps[j].add(v)
                    if j == self.lca[v]:
                        break
                    j = nodes[j].parent
        self.above: list[tuple] = []
        for i in range(len(nodes)):
            self.above.append(tuple(sorted((v for v in deps[i] if self.lca[v] != i))))
        self.work = sum(math.prod(self._cardinality(v) for v in deps[i])
                        for i in range(len(nodes)))
        # Units beneath each node (for keying what-if overrides).
        sub: list[set] = [set() for _ in nodes]
        for i in reversed(range(len(nodes))):
            c = nodes[i].comp
            sub[i].add(("c", c))
            sub[i].update(("d", d) for d in self.vdoms[c])
            if nodes[i].parent >= 0:
                sub[nodes[i].parent].update(sub[i])
        self.sub = [frozenset(s) for s in sub]
        self._memo: dict = {}
        self._pmemo: dict = {}
        self._extra: dict[UnitKey, object] = {}

    def _cardinality(self, v: UnitKey) -> float:
        """Bound on the states of a conditioning variable (2 but for a store's state)."""
        if v[0] != "c" or self.fm.models[v[1]].store is None:
            return 2
        cm = self.fm.models[v[1]]
        st = cm.store
        if cm.n > ENUMERATE_NODES or (st.windows > 1 and st.failover < 1.0 and any(
                o.leader for o in self.store_ops[v[1]])):
            return math.inf
        return 2 ** min(cm.n, 12) * (2 if st.failover < 1.0 else 1)

    def _path(self, i: int) -> list[int]:
        out = []
        while i >= 0:
            out.append(i)
            i = self.fm.nodes[i].parent
        return out[::-1]

    # -- probabilities --
    def p_comp(self, c: str, asg: dict, op: Op | None = None) -> float:
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
        force = extra.get(("c", c), self.base_comp.get(c))
        total = 0.0
        for states, pr in self._domain_states(c, asg):
            total += pr * group_up(cm, states, force, op=op)
        self._pmemo[key] = total
        return total

    def _domain_states(self, c: str, asg: dict):
        """The states of component c's domains: fixed and assigned ones as given, its own
        (local) ones enumerated; yields (states, probability) for each state of nonzero
        probability. The ``states`` dict is reused: read it before the next step."""
        extra = self._extra
        states = {d: self.fixed[d] for d in self.fm.models[c].domains if d in self.fixed}
        for d in self.global_doms[c]:
            states[d] = asg[("d", d)]
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

    def _store_states(self, c: str, asg: dict) -> list[tuple[tuple, float]]:
        """The distribution of a store's state (the success of each of its operations in
        this flow) given the assigned global domains, its own domains summed out."""
        extra = self._extra
        cm = self.fm.models[c]
        force = extra.get(("c", c), self.base_comp.get(c))
        ops = self.store_ops[c]
        st = cm.store
        if force == "up" and st.failover < 1.0:
            from dataclasses import replace
            st = replace(st, failover=1.0)
        acc: dict[tuple, float] = {}
        for states, pr in self._domain_states(c, asg):
            dist = state_distribution(st, ops, node_probabilities(cm, states, force))
            if dist is None:    # guarded by _cardinality: never reached
                raise TooComplex(f"store {c}: too many node states")
            for val, q in dist:
                acc[val] = acc.get(val, 0.0) + pr * q
        return sorted(acc.items(), key=lambda kv: kv[0], reverse=True)

    def _choices(self, v: UnitKey, asg: dict) -> list[tuple[object, float]]:
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
    def dist(self, i: int, asg: dict) -> Dist:
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
            acc: Dist = {}

            def assign(j: int, a2: dict, pr: float) -> None:
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
            out = _clean(acc)
        self._memo[key] = out
        return out

    def _node(self, i: int, asg: dict) -> Dist:
        nd = self.fm.nodes[i]
        v = ("c", nd.comp)
        fixed = False              # a store's state: u is its success, not a probability
        if v in asg:
            val = asg[v]
            if isinstance(val, tuple):
                u = val[self.op_index[nd.comp][nd.op.name]]
                fixed = True
            else:
                u = float(val)
        else:
            u = self.p_comp(nd.comp, asg, nd.op)
        ring_cache = nd.hit is not None and nd.op is not None
        if u <= 0.0 and not ring_cache:
            return ZERO
        rest = ONE
        for j, (count, targets) in enumerate(nd.calls):
            if len(targets) == 1:
                g = self.dist(targets[0], asg)
            else:
                fail = ONE
                for t in targets:
                    fail = _times(fail, _map(self.dist(t, asg), lambda x: 1.0 - x))
                g = _map(fail, lambda x: 1.0 - x)
            if count > 1:
                g = _map(g, lambda x, n=count: x ** n)
            if nd.windows and nd.windows[j] < 1.0:      # failover window: a pseudo-event
                g = _scale(nd.windows[j], g)
            rest = _times(rest, g)
        if ring_cache:
            # a sharded cache: a key whose shard is lost is a miss (its store serves it)
            if fixed:
                return _map(rest, lambda x, h=nd.hit, f=u: x + f * h * (1.0 - x))
            hit = _map(rest, lambda x, h=nd.hit: _cache(h, x))
            out: Dist = {}
            for d, w in ((hit, u), (rest, 1.0 - u)):
                for x, q in d.items():
                    out[x] = out.get(x, 0.0) + w * q
            return _clean(out)
        if nd.hit is not None:
            rest = _map(rest, lambda x, h=nd.hit: _cache(h, x))
        if fixed and 0.0 < u < 1.0:
            return _map(rest, lambda x, f=u: f * x)
        return _scale(u, rest)

    def availability(self, extra: dict[UnitKey, object] | None = None) -> float:
        if self.work > EXACT_WORK_LIMIT:
            raise TooComplex(f"flow {self.fm.name}: exact work {self.work} > {EXACT_WORK_LIMIT}")
        self._extra = dict(extra or {})
        try:
            return min(1.0, max(0.0, mean(self.dist(0, {}))))
        finally:
            self._extra = {}


# ---- components ------------------------------------------------------------------------------
def component_availability(cm: ComponentModel, domains: dict[str, float],
                           base: dict[UnitKey, object] | None = None,
                           extra: dict[UnitKey, object] | None = None) -> float:
    """P(group up): k of n replicas effectively up, its domains summed out exactly."""
    over = dict(base or {})
    over.update(extra or {})
    force = over.get(("c", cm.name))
    fixed: dict[str, int] = {}
    var: list[str] = []
    for d in cm.domains:
        if ("d", d) in over:
            fixed[d] = int(over[("d", d)])  # type: ignore[arg-type]
        elif domains.get(d, 1.0) >= 1.0:
            fixed[d] = 1
        elif domains[d] <= 0.0:
            fixed[d] = 0
        else:
            var.append(d)
    total = 0.0
    for combo in product((1, 0), repeat=len(var)):
        pr = 1.0
        states = dict(fixed)
        for d, s in zip(var, combo):
            states[d] = s
            pr *= domains[d] if s else 1.0 - domains[d]
        if pr:
            total += pr * group_up(cm, states, force)  # type: ignore[arg-type]
    return total


# ---- SLOs and the extra-nine rule ---------------------------------------------------------------
def availability_slo(target: float, actual: float, span) -> SloResult:
    budget = (1.0 - target) * MINUTES_PER_30D
    predicted = downtime_minutes(actual)
    if budget > 0:
        use = predicted / budget
    else:
        use = math.inf if predicted > 0 else 0.0
    return SloResult(kind="availability", target=target, actual=actual,
                     status="pass" if actual >= target else "fail", margin=actual - target,
                     span=span, error_budget_minutes_per_30d=budget,
                     predicted_downtime_minutes_per_30d=predicted, budget_use=use)


# ---- the analysis ----------------------------------------------------------------------------
def analyze_availability(design: Design, down: "Sequence[str] | Down" = (),
                         plan=None) -> AvailabilityReport:
    """Availability, SPOFs, cut sets, degrading units, importance and availability SLOs of
    every flow, and each component's own availability. ``down`` forces units down: names
    (see ``archlang.analysis.down``) or a resolved ``Down``."""
    from archlang.analysis import spof

    forced = as_down(design, down)
    base = down_overrides(forced)
    models = component_models(design, forced)
    domains = domain_availability(design)

    components: dict[str, ComponentAvailability] = {}
    for c in design.components.values():
        cm = models[c.name]
        components[c.name] = ComponentAvailability(
            name=c.name, kind=c.kind,
            availability=component_availability(cm, {}, base),    # domains taken as up
            availability_with_domains=component_availability(cm, domains, base),
            replica_availability=cm.a)

    flows: dict[str, FlowAvailability] = {}
    findings: list[Finding] = []
    needs: list[FlowNeed] = []
    for fl in design.flows.values():
        fm = compile_flow(design, fl.name, models, domains)
        engine = ExactEngine(fm, base)
        method = "exact"
        ci95 = None
        mc = None
        if engine.work > EXACT_WORK_LIMIT:
            from archlang.analysis.montecarlo import DEFAULT_SEED, FlowSampler

            mc = FlowSampler(fm, base, trials=FALLBACK_TRIALS, seed=DEFAULT_SEED)
            est = mc.estimate()
            a = est.estimate
            ci95 = (est.ci_low, est.ci_high)
            method = (f"monte carlo ({engine.work} exact states exceed {EXACT_WORK_LIMIT}), "
                      f"{est.trials} trials, seed {est.seed}, 95% CI "
                      f"[{est.ci_low:.9f}, {est.ci_high:.9f}]")
            # Importance: what-ifs on a smaller sample with common random numbers.
            imp = FlowSampler(fm, base, trials=FALLBACK_IMPORTANCE_TRIALS, seed=DEFAULT_SEED)
            evaluate, a_ref = imp.availability, imp.availability({})
        else:
            a = engine.availability()
            evaluate, a_ref = engine.availability, a
        units = spof.flow_units(design, fm, base)
        cuts1, cuts2, n_cuts2 = spof.cut_sets_counted(fm, units, base)
        degrading = spof.degrading(fm, units, base)
        importance = spof.importance(design, fm, evaluate, a_ref, base, components)
        a_state, a_transient = a, 1.0
        if plan is not None:   # request based: error rates, timeouts, retries, limits
            from archlang.analysis.resilience import request_availability

            a, a_transient, how = request_availability(design, fm, base, plan, a_state)
            if how:
                method += how
        slos = tuple(availability_slo(s.target, a, s.span) for s in fl.slos
                     if s.kind == "availability")
        flows[fl.name] = FlowAvailability(
            name=fl.name, availability=a, nines=nines(a), availability_state=a_state,
            availability_transient=a_transient,
            downtime_minutes_per_30d=downtime_minutes(a, MINUTES_PER_30D),
            downtime_minutes_per_year=downtime_minutes(a, MINUTES_PER_YEAR),
            spofs=cuts1, cut_sets=cuts2, cut_sets_total=n_cuts2, degrading=degrading,
            importance=importance,
            slos=slos, method=method, ci95=ci95)
        targets = [s.target for s in fl.slos if s.kind == "availability"]
        if targets:
            needs.append(FlowNeed(fl.name, max(targets),
                                  tuple(spof.hard_dependencies(fm, base))))
    from archlang.analysis.extranine import extra_nine_findings

    findings.extend(extra_nine_findings(design, needs, models, domains, base))
    findings.sort(key=lambda f: (f.span.file, f.span.line, f.span.column, f.message))
    return AvailabilityReport(flows=flows, components=components, findings=tuple(findings),
                              down=forced.names)
