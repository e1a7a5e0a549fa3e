"""Replica groups: each component as the engines see it, and P(group up).

A component's group is up when at least k of its n replicas are effectively up (a replica is
effectively up when it, its zone and its region are up); an active_passive group is further
multiplied by its failover factor (``archlang.analysis.common.failover_factor``). A store
(the data tier, ``archlang.analysis.quorum``) is up as the expected success of an operation.
docs/analyses/availability.md gives the formulas.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import product

from archlang.analysis.common import failover_factor
from archlang.analysis.down import NO_DOWN, Down
from archlang.analysis.overrides import (
    ComponentForce,
    Overrides,
    component_force,
    replica_domain,
)
from archlang.analysis.quorum import Op, Store, store_of
from archlang.analysis.quorum import success as store_success
from archlang.model.design import Design


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
    store: Store | None = None                  # copies, quorums and shards (quorum.py)

    @cached_property            # (frozen: cached_property writes the instance's dict)
    def domains(self) -> tuple[str, ...]:
        return tuple(sorted({d for ds in self.replica_domains for d in ds}))

    @cached_property
    def placed(self) -> tuple[tuple[tuple[str, ...], int], ...]:
        """(domains, replicas placed in exactly those) for each distinct tuple of domains:
        ``group_up`` counts the replicas a set of domain states leaves by these."""
        count: dict[tuple[str, ...], int] = {}
        for ds in self.replica_domains:
            count[ds] = count.get(ds, 0) + 1
        return tuple(count.items())


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


def group_up(cm: ComponentModel, domain_up: Mapping[str, int],
             force: ComponentForce | None = None, failed_replicas: Iterable[int] = (),
             op: Op | None = None) -> float:
    """P(group up | domain states). force: "down" (every replica down), "up" (every replica
    up and no failover downtime) or None. A store (``cm.store``): the expected success of
    ``op`` (default: a single-key read), its nodes independent given the domains."""
    if cm.client:
        return 1.0
    if force == "down":
        return 0.0
    failed = set(failed_replicas)
    if cm.store is not None:
        return _store_up(cm, cm.store, domain_up, force, failed, op)
    if failed:
        m = sum(1 for i, ds in enumerate(cm.replica_domains)
                if i not in failed and all(domain_up.get(d, 1) for d in ds))
    else:
        m = sum(r for ds, r in cm.placed if all(domain_up.get(d, 1) for d in ds))
    if force == "up":
        return 1.0 if m >= cm.k else 0.0
    return binom_tail(m, cm.k, cm.a) * cm.failover


def _store_up(cm: ComponentModel, st: Store, domain_up: Mapping[str, int],
              force: ComponentForce | None, failed: set[int], op: Op | None) -> float:
    op = op or st.op("read")
    a = 1.0 if force == "up" else cm.a
    p = [a if i not in failed and all(domain_up.get(d, 1) for d in ds) else 0.0
         for i, ds in enumerate(cm.replica_domains)]
    if force == "up" and st.failover < 1.0:
        from dataclasses import replace
        st = replace(st, failover=1.0)
    return store_success(st, op, p)


def node_probabilities(cm: ComponentModel, domain_up: Mapping[str, int],
                       force: ComponentForce | None = None) -> list[float]:
    """P(up) of each node of a store given the domain states."""
    a = 1.0 if force == "up" else (0.0 if force == "down" else cm.a)
    return [a if all(domain_up.get(d, 1) for d in ds) else 0.0 for ds in cm.replica_domains]


#: Up to this many uncertain domains a component's domains are summed out by enumerating
#: their 2^d states; beyond it by :func:`placed_at_least`, whose cost grows with the domains
#: and the replicas, not 2^d (a group over 100 zones). docs/analyses/availability.md.
ENUMERATE_DOMAINS = 8


def placed_at_least(q: int, nodes: Sequence[tuple[float, tuple[str, ...]]],
                    pdom: Mapping[str, float]) -> float | None:
    """P(at least ``q`` of ``nodes`` up), each node ``(p, domains)`` up with probability
    ``p`` when every one of its domains is up. The domains in ``pdom`` fail independently
    (up with the probability given); any other domain is taken as up (the caller leaves out
    the nodes of a domain that is down).

    Exact, with no enumeration of domain states: the domains of a node nest (a zone inside
    its region), so the number of nodes up is a convolution over that tree. Below a domain,
    the count is the sum of its own nodes (binomial per distinct p) and of its children; the
    domain mixes that with 0 (down, probability 1 - p). None when the domains do not nest
    (a domain under two parents); the caller then enumerates."""
    import numpy as np

    parent: dict[str, str | None] = {}
    own: dict[str | None, list[float]] = {}
    for p, ds in nodes:
        chain = [d for d in ds if d in pdom]
        for inner, outer in zip(chain, [*chain[1:], None]):
            if parent.setdefault(inner, outer) != outer:
                return None
        own.setdefault(chain[0] if chain else None, []).append(p)
    for d in parent:                      # every chain ends at the top: no loop
        seen, x = 0, parent[d]
        while x is not None:
            seen += 1
            if seen > len(parent):
                return None
            x = parent[x]
    children: dict[str | None, list[str]] = {}
    for d, up in sorted(parent.items()):
        children.setdefault(up, []).append(d)

    def below(d: str | None) -> np.ndarray:
        dist = np.ones(1)
        ps = own.get(d, [])
        for p in sorted(set(ps)):
            dist = np.convolve(dist, _binomial_pmf(ps.count(p), p))
        for ch in children.get(d, []):
            sub = below(ch) * pdom[ch]
            sub[0] += 1.0 - pdom[ch]
            dist = np.convolve(dist, sub)
        return dist

    dist = below(None).tolist()
    if q <= 0:
        return 1.0
    if q >= len(dist):
        return 0.0
    lower = math.fsum(dist[:q])            # sum the smaller tail for precision
    return min(1.0, max(0.0, 1.0 - lower if lower < 0.5 else math.fsum(dist[q:])))


def _binomial_pmf(m: int, p: float) -> list[float]:
    if p >= 1.0:
        return [0.0] * m + [1.0]
    if p <= 0.0:
        return [1.0] + [0.0] * m
    if m <= 500:      # math.comb(m, j) stays inside a float's range
        return [math.comb(m, j) * p ** j * (1.0 - p) ** (m - j) for j in range(m + 1)]
    lp, lq, lm = math.log(p), math.log1p(-p), math.lgamma(m + 1)
    return [math.exp(lm - math.lgamma(j + 1) - math.lgamma(m - j + 1) + j * lp + (m - j) * lq)
            for j in range(m + 1)]


def summed_up(cm: ComponentModel, states: Mapping[str, int], pdom: Mapping[str, float],
              force: ComponentForce | None = None, op: Op | None = None) -> float | None:
    """:func:`group_up` with the domains in ``pdom`` summed out (independent, up with the
    probability given) and the others as ``states`` says, by :func:`placed_at_least`: a
    k-of-n group directly, a store's single-key operation window by window (its success is
    the keys' mean over windows, so the expectation is taken inside each window). None when
    that does not apply (a scatter operation, domains that do not nest): enumerate."""
    if cm.client:
        return 1.0
    if force == "down":
        return 0.0
    a = 1.0 if force == "up" else cm.a

    def nodes(idx: Iterable[int]) -> list[tuple[float, tuple[str, ...]]]:
        out = []
        for i in idx:
            ds = cm.replica_domains[i]
            if all(states.get(d, 1) for d in ds if d not in pdom):
                out.append((a, ds))
        return out

    if cm.store is None:
        got = placed_at_least(cm.k, nodes(range(cm.n)), pdom)
        if got is None:
            return None
        return got if force == "up" else got * cm.failover
    st = cm.store
    op = op or st.op("read")
    if op.scatter:
        return None
    memo: dict[tuple[tuple[float, tuple[str, ...]], ...], float | None] = {}
    terms = []
    for w, wt in enumerate(st.op_weights(op)):
        if wt <= 0.0:
            continue
        key = tuple(nodes(st.window_nodes(w)))
        if key not in memo:
            memo[key] = placed_at_least(op.quorum, key, pdom)
        got = memo[key]
        if got is None:
            return None
        terms.append(wt * got)
    factor = st.failover if op.leader and force != "up" else 1.0
    return math.fsum(terms) * factor


def component_availability(cm: ComponentModel, domains: Mapping[str, float],
                           base: Overrides | None = None,
                           extra: Overrides | None = None) -> float:
    """P(group up): k of n replicas effectively up, its domains summed out exactly (by
    enumeration up to ENUMERATE_DOMAINS uncertain domains, by :func:`summed_up` beyond)."""
    over = dict(base or {})
    over.update(extra or {})
    force = component_force(over.get(("c", cm.name)))
    fixed: dict[str, int] = {}
    var: list[str] = []
    for d in cm.domains:
        if ("d", d) in over:
            fixed[d] = int(over[("d", d)])
        elif domains.get(d, 1.0) >= 1.0:
            fixed[d] = 1
        elif domains[d] <= 0.0:
            fixed[d] = 0
        else:
            var.append(d)
    # The value depends on the model (not its name), the force and the domains' states and
    # availabilities alone: components alike (a generated design's groups) share it.
    key = (cm.n, cm.k, cm.a, cm.failover, cm.replica_domains, cm.client, cm.store, force,
           tuple(fixed.items()), tuple((d, domains[d]) for d in var))
    got = _AVAILABILITY.get(key)
    if got is None:
        if len(_AVAILABILITY) >= _AVAILABILITY_SIZE:
            _AVAILABILITY.clear()
        got = _AVAILABILITY[key] = _component_availability(cm, domains, force, fixed, var)
    return got


#: ``component_availability`` by its inputs (bounded: cleared when full).
_AVAILABILITY: dict[tuple[object, ...], float] = {}
_AVAILABILITY_SIZE = 1 << 14


def _component_availability(cm: ComponentModel, domains: Mapping[str, float],
                            force: ComponentForce | None, fixed: dict[str, int],
                            var: list[str]) -> float:
    if len(var) > ENUMERATE_DOMAINS:
        got = summed_up(cm, fixed, {d: domains[d] for d in var}, force)
        if got is not None:
            return got
    total = 0.0
    for combo in product((1, 0), repeat=len(var)):
        pr = 1.0
        states = dict(fixed)
        for d, s in zip(var, combo):
            states[d] = s
            pr *= domains[d] if s else 1.0 - domains[d]
        if pr:
            total += pr * group_up(cm, states, force)
    return total
