"""Single points of failure, cut sets of order 2, degrading units and Birnbaum importance.

Cut sets and degrading units are structural: every unit is up except the ones named (and
the ``--down`` units), the failover pseudo-event of active_passive groups is ignored, and
S(root) is evaluated once per set of failed components (see availability.py for S).

* units: replicas (a component of one replica is the unit "name", kind "component"; replica
  i of a larger group is "name[i+1]", kind "replica"), zones ("region.zone") and regions
  that the flow's components are placed in. A unit that cannot fail (availability 1) and a
  unit already forced down by ``--down`` is never listed.
* a minimal cut set of order 1 (a SPOF): S == 0 when it alone fails; of order 2: S == 0
  when both fail and neither is a SPOF. Probability = product of the units' unavailabilities.
* degrading: 0 < S(unit failed) < S(nothing failed); fraction_lost = 1 - S(unit failed).
* importance per component group and per zone or region: Birnbaum A(up) - A(down) and
  A(perfect) - A, where a component "up" or "perfect" has every replica up (and no failover
  downtime) and "down" every replica down; a domain is forced up or down.

Size: single points of failure, cut sets of order 2, degrading units and importance share
one enumeration of a flow's failure units and its caches.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Literal, NamedTuple

from archlang.analysis.compiled_flow import CompiledFlow
from archlang.analysis.overrides import Overrides
from archlang.analysis.quorum import Store, structural_success_down
from archlang.analysis.result import ComponentAvailability, CutSet, Degrading, Importance, Unit
from archlang.model.design import Design

#: A unit of one flow that can fail: ("c", component) a component of one replica,
#: ("r", component, index from 0) a replica of a larger group, ("d", key) a zone or region.
FlowUnitKey = tuple[Literal["c", "d"], str] | tuple[Literal["r"], str, int]
#: What S(root) reads of a state: a component -> 1.0 / 0.0 (up / down), and a store's
#: operation (store, op name) -> the share of keys it serves.
StateKey = str | tuple[str, str]
#: A state as ``Structure`` memoises it: the entries that differ from 1.0.
StateMemoKey = frozenset[tuple[StateKey, float]]
#: A class of interchangeable units (indices into ``FlowUnits.units``), and a pair of
#: classes whose joint failure can fail the flow (the same list twice: two of one class).
UnitClass = list[int]
ClassPair = tuple[UnitClass, UnitClass]


class FailingUnit(NamedTuple):
    """A unit of one flow that can fail: its key, the Unit reported, P(it is down)."""

    key: FlowUnitKey
    unit: Unit
    unavailability: float


class FlowUnits:
    """The units of one flow that can fail, with the components each one touches."""

    def __init__(self, units: list[FailingUnit], touches: dict[FlowUnitKey, set[str]]):
        self.units = units               # (key, Unit, unavailability), deterministic order
        self.touches = touches           # key -> components whose group it can fail


def flow_units(design: Design, fm: CompiledFlow, base: Overrides) -> FlowUnits:
    units: list[FailingUnit] = []
    touches: dict[FlowUnitKey, set[str]] = {}
    doms: dict[str, None] = {}
    for c in fm.components:
        cm = fm.models[c]
        if cm.client or base.get(("c", c)) == "down":
            continue
        comp = design.components[c]
        for ds in cm.replica_domains:
            for d in ds:
                doms.setdefault(d)
                touches.setdefault(("d", d), set()).add(c)
        if cm.a >= 1.0:
            continue
        key: FlowUnitKey
        if cm.n == 1:
            key = ("c", c)
            units.append(FailingUnit(key, Unit(name=c, kind="component", component=c,
                                               span=comp.span), 1.0 - cm.a))
            touches[key] = {c}
        else:
            for i in range(cm.n):
                key = ("r", c, i)
                units.append(FailingUnit(key, Unit(name=f"{c}[{i + 1}]", kind="replica",
                                                   component=c, span=comp.span), 1.0 - cm.a))
                touches[key] = {c}
    for d in sorted(doms):
        avail = fm.domains.get(d, 1.0)
        if avail >= 1.0 or ("d", d) in base:
            continue
        if "." in d:
            zone = design.zone(d)
            span = zone.span if zone else None
            units.append(FailingUnit(("d", d), Unit(name=d, kind="zone", span=span),
                                     1.0 - avail))
        else:
            region = design.region(d)
            span = region.span if region else None
            units.append(FailingUnit(("d", d), Unit(name=d, kind="region", span=span),
                                     1.0 - avail))
    return FlowUnits(units, touches)


class Structure:
    """S(root) with every unit up except a given set (structural, no probabilities).

    A component is up or down (k of n replicas); a store's operation succeeds on the share
    of keys whose shard keeps its quorum (``quorum.structural_success``), so a node that
    takes shards below their quorum degrades the flow by the share of keys they hold."""

    def __init__(self, fm: CompiledFlow, base: Overrides):
        self.fm = fm
        self.base = base
        self._memo: dict[StateMemoKey, float] = {}
        self._by_domain: dict[str, dict[str, list[int]]] = {}
        self._base_down: dict[str, frozenset[int]] = {}
        self.ops = {c: sorted({nd.op for nd in fm.nodes if nd.comp == c and nd.op is not None},
                              key=lambda o: o.name)
                    for c in fm.components if fm.models[c].store is not None}
        self.base_state = self._state(fm.components, frozenset())
        self.base_down = frozenset(c for c, v in self.base_state.items() if v == 0.0)
        self.baseline = self._s(self._key(self.base_state))

    def _up(self, c: str, failed: frozenset[FlowUnitKey]) -> bool:
        cm = self.fm.models[c]
        if cm.client:
            return True
        if self.base.get(("c", c)) == "down" or ("c", c) in failed:
            return False
        return cm.n - len(self._down_nodes(c, failed)) >= cm.k

    def _down_nodes(self, c: str, failed: frozenset[FlowUnitKey]) -> frozenset[int]:
        """The nodes of store ``c`` down with ``failed`` (and the ``--down`` units)."""
        cm = self.fm.models[c]
        if self.base.get(("c", c)) == "down" or ("c", c) in failed:
            return frozenset(range(cm.n))
        by_domain = self._by_domain.get(c)
        if by_domain is None:       # indexed once: a what-if costs the units it names
            by_domain = {}
            for i, ds in enumerate(cm.replica_domains):
                for d in ds:
                    by_domain.setdefault(d, []).append(i)
            self._by_domain[c] = by_domain
            self._base_down[c] = frozenset(
                i for d, nodes in by_domain.items() if self.base.get(("d", d)) == 0
                for i in nodes)
        down = set(self._base_down[c])
        for key in failed:
            if key[0] == "r" and key[1] == c:
                down.add(key[2])
            elif key[0] == "d":
                down.update(by_domain.get(key[1], ()))
        return frozenset(down)

    def _state(self, comps: Iterable[str], failed: frozenset[FlowUnitKey]
               ) -> dict[StateKey, float]:
        """Component -> 1.0 / 0.0, and (store, op) -> the share of keys it serves."""
        out: dict[StateKey, float] = {}
        for c in comps:
            cm = self.fm.models[c]
            if cm.store is None:
                out[c] = 1.0 if self._up(c, failed) else 0.0
                continue
            down = self._down_nodes(c, failed)
            for o in self.ops[c]:
                out[(c, o.name)] = structural_success_down(cm.store, o, down)
            out[c] = 1.0 if len(down) < cm.n else 0.0
        return out

    @staticmethod
    def _key(state: Mapping[StateKey, float]) -> StateMemoKey:
        return frozenset((k, v) for k, v in state.items() if v != 1.0)

    def unchanged(self, failed: frozenset[FlowUnitKey], touched: set[str]) -> bool:
        """Does losing ``failed`` leave every component and store operation as it was?"""
        return all(self.base_state.get(k) == v for k, v in self._state(touched, failed).items())

    def success(self, failed: frozenset[FlowUnitKey], touched: set[str]) -> float:
        state = dict(self.base_state)
        state.update(self._state(touched, failed))
        return self._s(self._key(state))

    def _s(self, key: StateMemoKey) -> float:
        got = self._memo.get(key)
        if got is not None:
            return got
        state = dict(key)
        nodes = self.fm.nodes

        def s(i: int) -> float:
            nd = nodes[i]
            if nd.op is not None:
                u = state.get((nd.comp, nd.op.name), 1.0)
            else:
                u = state.get(nd.comp, 1.0)
            if u == 0.0 and not (nd.op is not None and nd.hit is not None):
                return 0.0
            rest = 1.0
            for count, targets in nd.calls:
                fail = 1.0
                for t in targets:
                    fail *= 1.0 - s(t)
                rest *= (1.0 - fail) ** count
            if nd.op is not None and nd.hit is not None:    # a sharded cache: lost = miss
                return rest + u * nd.hit * (1.0 - rest)
            if nd.hit is not None:
                rest = 1.0 if rest == 1.0 else nd.hit + (1.0 - nd.hit) * rest
            return u * rest

        out = s(0)
        self._memo[key] = out
        return out


def _sort_key(cs: CutSet) -> tuple[float, tuple[str, ...]]:
    return (-cs.probability, tuple(u.name for u in cs.units))


#: Order-2 cut sets listed per flow, the most probable first; `cut_sets_total` counts all.
MAX_CUT_SETS_LISTED = 1000


def unit_classes(fm: CompiledFlow, fu: FlowUnits) -> list[UnitClass]:
    """Indices into ``fu.units``, grouped into interchangeable units: the replicas of one
    group placed in the same domains (their keys differ, S does not). A zone, a region or
    a single-replica component is a class of its own, and so is a node of a store whose
    nodes hold different shards (a ring: each node its own windows); the nodes of a store
    with one shard on every node are interchangeable like replicas. S is evaluated once per
    class (and once per pair of classes that can interact), so the cost depends on the
    placements, not on the replica count: `replicas 1000 min 999` is one class, not 499,500
    pairs to evaluate."""
    groups: dict[FlowUnitKey | tuple[str, str, tuple[str, ...]], UnitClass] = {}
    for idx, (key, _, _) in enumerate(fu.units):
        cls: FlowUnitKey | tuple[str, str, tuple[str, ...]] = key
        if key[0] == "r":
            cm = fm.models[key[1]]
            if cm.store is None or cm.store.windows == 1:
                cls = ("r", key[1], cm.replica_domains[key[2]])
        groups.setdefault(cls, []).append(idx)
    return list(groups.values())


def _ring_node(fm: CompiledFlow, key: FlowUnitKey) -> tuple[Store, int] | None:
    """(store, node index) when ``key`` is a node of a store whose nodes hold different
    shards (a ring), else None."""
    if key[0] != "r":
        return None
    st = fm.models[key[1]].store
    if st is None or st.windows == 1:
        return None
    return st, key[2]


def _partners(fm: CompiledFlow, fu: FlowUnits, rest: list[UnitClass], quiet: list[bool]
              ) -> Iterator[tuple[int, Sequence[int]]]:
    """For each class of ``rest`` (by position), the later classes a pair with it can be a
    cut set with. A pair is read off its single losses, and is no cut set, when one of them
    is *quiet* (its loss alone leaves every component and store operation as it was) and
    they touch no common component; or when both are quiet nodes of one ring that share no
    window (each window then loses at most one copy, as with one of them alone). So a quiet
    unit pairs only with the units that are not quiet, those touching a component it
    touches and, on a ring, the nodes within rf - 1 of it: the pairs to evaluate grow with
    the nodes times rf, not with the square of the nodes."""
    units = fu.units
    keys = [units[m[0]][0] for m in rest]
    loud = [n for n, q in enumerate(quiet) if not q]
    by_comp: dict[str, list[int]] = {}
    ring_pos: dict[tuple[str, int], int] = {}
    for n, k in enumerate(keys):
        rn = _ring_node(fm, k)
        if rn is not None and quiet[n]:
            ring_pos[(k[1], rn[1])] = n
            continue
        for c in fu.touches[k]:
            by_comp.setdefault(c, []).append(n)
    for n, k in enumerate(keys):
        if not quiet[n]:
            yield n, range(n + 1, len(rest))
            continue
        cand = {m for m in loud if m > n}
        for c in fu.touches[k]:
            cand.update(m for m in by_comp.get(c, ()) if m > n)
        rn = _ring_node(fm, k)
        if rn is not None:
            st, i = rn
            mine = set(st.node_windows(i))
            for d in range(1 - st.rf, st.rf):
                m = ring_pos.get((k[1], (i + d) % st.nodes))
                if m is not None and m > n and mine & set(st.node_windows((i + d) % st.nodes)):
                    cand.add(m)
        else:
            for c in fu.touches[k]:
                cand.update(m for (c2, _), m in ring_pos.items() if c2 == c and m > n)
        yield n, sorted(cand)


def cut_sets(fm: CompiledFlow, fu: FlowUnits, base: Overrides
             ) -> tuple[tuple[CutSet, ...], tuple[CutSet, ...]]:
    """Minimal cut sets of order 1 (SPOFs) and 2 (the most probable MAX_CUT_SETS_LISTED)."""
    ones, twos, _ = cut_sets_counted(fm, fu, base)
    return ones, twos


def cut_sets_counted(fm: CompiledFlow, fu: FlowUnits, base: Overrides
                     ) -> tuple[tuple[CutSet, ...], tuple[CutSet, ...], int]:
    """:func:`cut_sets`, and how many cut sets of order 2 there are (listed or not)."""
    ones, pairs = _cuts(fm, fu, base)
    units = fu.units

    def key(pair: tuple[int, int]) -> tuple[float, str, str]:
        i, j = pair
        a, b = sorted((units[i][1].name, units[j][1].name))
        return (-(units[i][2] * units[j][2]), a, b)

    twos: list[CutSet] = []
    for i, j in heapq.nsmallest(MAX_CUT_SETS_LISTED, _pairs(pairs), key=key):
        (_, u1, q1), (_, u2, q2) = units[i], units[j]
        twos.append(CutSet(units=tuple(sorted((u1, u2), key=lambda u: u.name)),
                           probability=q1 * q2))
    total = sum(len(a) * (len(a) - 1) // 2 if a is b else len(a) * len(b) for a, b in pairs)
    return tuple(sorted(ones, key=_sort_key)), tuple(sorted(twos, key=_sort_key)), total


def _pairs(class_pairs: Iterable[ClassPair]) -> Iterator[tuple[int, int]]:
    for a, b in class_pairs:
        if a is b:
            yield from itertools.combinations(a, 2)
        else:
            yield from itertools.product(a, b)


def spofs_only(fm: CompiledFlow, fu: FlowUnits, base: Overrides) -> tuple[CutSet, ...]:
    """The cut sets of order 1 of :func:`cut_sets` alone (a diagram shows no others)."""
    return tuple(sorted(_cuts(fm, fu, base, pairs=False)[0], key=_sort_key))


def _cuts(fm: CompiledFlow, fu: FlowUnits, base: Overrides, pairs: bool = True
          ) -> tuple[list[CutSet], list[ClassPair]]:
    """SPOFs, and (``pairs``) the pairs of unit classes whose joint failure fails the flow."""
    st = Structure(fm, base)
    if st.baseline == 0.0:
        return [], []
    ones: list[CutSet] = []
    rest: list[UnitClass] = []
    units = fu.units
    for members in unit_classes(fm, fu):
        k = units[members[0]][0]
        if st.success(frozenset([k]), fu.touches[k]) == 0.0:
            ones.extend(CutSet(units=(units[i][1],), probability=units[i][2]) for i in members)
        else:
            rest.append(members)
    ones = _whole_groups(ones, fu)
    if not pairs:
        return ones, []
    quiet = [st.unchanged(frozenset([units[m[0]][0]]), fu.touches[units[m[0]][0]])
             for m in rest]
    found: list[ClassPair] = []
    for n, later in _partners(fm, fu, rest, quiet):
        a = rest[n]
        for b in [a] * (len(a) > 1) + [rest[m] for m in later]:
            k1, k2 = units[a[0]][0], units[a[1] if a is b else b[0]][0]
            if st.success(frozenset([k1, k2]), fu.touches[k1] | fu.touches[k2]) == 0.0:
                found.append((a, b))
    return ones, found


def _whole_groups(ones: list[CutSet], fu: FlowUnits) -> list[CutSet]:
    """A group every replica of which is a SPOF on its own (`min k` equal to `replicas n`)
    is one SPOF, the component (analyses.md), with the chance that any replica is down."""
    replicas: dict[str, int] = {}
    for _, unit, _ in fu.units:
        if unit.kind == "replica" and unit.component is not None:   # a replica names it
            replicas[unit.component] = replicas.get(unit.component, 0) + 1
    spof_replicas: dict[str, list[CutSet]] = {}
    for cs in ones:
        u = cs.units[0]
        if u.kind == "replica" and u.component is not None:
            spof_replicas.setdefault(u.component, []).append(cs)
    out = list(ones)
    for comp, sets in spof_replicas.items():
        if len(sets) < 2 or len(sets) != replicas[comp]:
            continue
        up = 1.0
        for cs in sets:
            out.remove(cs)
            up *= 1.0 - cs.probability
        first = sets[0].units[0]
        out.append(CutSet(units=(Unit(name=comp, kind="component", component=comp,
                                      span=first.span),), probability=1.0 - up))
    return out


def degrading(fm: CompiledFlow, fu: FlowUnits, base: Overrides) -> tuple[Degrading, ...]:
    st = Structure(fm, base)
    out: list[Degrading] = []
    for members in unit_classes(fm, fu):     # interchangeable units degrade alike
        key = fu.units[members[0]][0]
        s = st.success(frozenset([key]), fu.touches[key])
        if 0.0 < s < st.baseline:
            out.extend(Degrading(unit=fu.units[i][1], fraction_lost=1.0 - s) for i in members)
    return tuple(sorted(out, key=lambda d: (-d.fraction_lost, d.unit.name)))


def hard_dependencies(fm: CompiledFlow, base: Overrides) -> list[str]:
    """Components whose group failure alone fails every request of the flow."""
    st = Structure(fm, base)
    if st.baseline == 0.0:
        return []
    return [c for c in fm.components
            if not fm.models[c].client and c not in st.base_down
            and st.success(frozenset([("c", c)]), {c}) == 0.0]


def importance(design: Design, fm: CompiledFlow, evaluate: Callable[[Overrides], float],
               a: float, base: Overrides, components: Mapping[str, ComponentAvailability]
               ) -> tuple[Importance, ...]:
    """Birnbaum importance of each component group and domain of the flow that can fail."""
    out: list[Importance] = []
    doms: dict[str, None] = {}
    for c in fm.components:
        cm = fm.models[c]
        if cm.client or base.get(("c", c)) == "down":
            continue
        for ds in cm.replica_domains:
            for d in ds:
                doms.setdefault(d)
        if cm.a >= 1.0 and cm.failover >= 1.0:
            continue
        up = evaluate({("c", c): "up"})
        dn = evaluate({("c", c): "down"})
        out.append(Importance(name=c, kind="component", birnbaum=up - dn, gain_if_perfect=up - a,
                              unit_availability=components[c].availability))
    for d in doms:
        avail = fm.domains.get(d, 1.0)
        if avail >= 1.0 or ("d", d) in base:
            continue
        up = evaluate({("d", d): 1})
        dn = evaluate({("d", d): 0})
        out.append(Importance(name=d, kind="zone" if "." in d else "region", birnbaum=up - dn,
                              gain_if_perfect=up - a, unit_availability=avail))
    return tuple(sorted(out, key=lambda x: (-x.birnbaum, x.name)))
