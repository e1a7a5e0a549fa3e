"""Timeouts, retries, failover windows, hedging and limits (docs/analyses/resilience.md).

Two kinds of failure. A component is *down* (its state: replicas, zones, regions; shared by
every attempt of a request) or, while up, fails a request with its ``error_rate``
(*transient*: independently on each attempt). A flow's availability is request based: the
chance a request succeeds, ``E_state[ P(request succeeds | state) ]``; its state-based part
is the same with every error rate 0 and no timeout (``availability_state``).

Given the state, a request is a mix of *classes* (a cache hit or miss is a property of the
request's key, shared by its attempts); each class has a per-attempt success ``q``. One call
of a node, given the state, per class:

* each target t: ``q_t * (1 - P(L_t > T))`` with ``timeout T`` (L_t: one attempt's time of
  t's whole subtree, network into t included, everything up; with ``hedge`` the hedged time);
* alternatives ``b | c``: ``1 - (1 - q_b)(1 - q_c)`` (tried in order on each attempt);
* ``retries N``: ``1 - (1 - q)^(N+1)``; with ``retry_budget P`` a failed attempt is retried
  with the probability rho that makes the retries per request equal P when they would exceed
  it (``attempt_success``);
* ``limit R``: times the admitted share ``min(1, R / load through the call)`` (rejections
  are not retried);
* ``xN``: N independent calls; ``failover T`` on alternatives: a pseudo-event of the state,
  up with probability ``1 - min(T * rate, 1)``, rate = 1/MTBF of the first alternative plus
  1/MTBF of each zone or region that holds all of its replicas (``failover_window``).

A node: its calls multiply; a cache mixes ``h`` of hits (no calls) and ``1 - h`` of misses;
its own error rate multiplies every class by ``1 - error_rate``.

The exact engine is availability.py's ``ExactEngine`` with these classes as its values
(``RequestEngine``). Load (capacity.py): a call carries ``count x E[attempts] x (1 + hedged
share)`` of its caller's rate, ``E[attempts] = sum_{k=0..N} (rho (1 - q))^k`` in normal
operation (everything up), and ``N + 1`` (``1 + min(N, P)`` with a budget) when its target
cannot serve (``--down``); a call with ``breaker`` sends nothing to a target that is down;
``limit R`` caps what passes. Sources: Google SRE book, "Addressing Cascading Failures";
AWS Builders' Library, "Timeouts, retries, and backoff with jitter" and "Static stability
using Availability Zones"; Dean & Barroso, "The Tail at Scale", CACM 2013.

Size: the resilience plan: attempts, P(L > T), hedging, limits and failover windows per
call, all read off the same timed-call model, which the availability, latency and capacity
analyses then share.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING

from archlang.analysis.distributions import quantile_linear
from archlang.analysis.down import NO_DOWN, Down, alive, route, serves
from archlang.graph import FlowCall, FlowNode, flow_tree
from archlang.model.design import Call, Design

if TYPE_CHECKING:  # pragma: no cover
    from archlang.analysis.arrays import BoolArray, FloatArray, IndexArray
    from archlang.analysis.compiled_flow import CompiledFlow
    from archlang.analysis.exact import Assignment, FactoringEngine
    from archlang.analysis.latency import Draw, HopKey, Hops, QueueWait, _Sampler
    from archlang.analysis.overrides import Overrides
    from archlang.analysis.result import CallLoad, CapacityReport

    #: One attempt of a timed call: (time, hops), and whether it ran past its timeout
    #: (None: no timeout).
    Attempt = tuple[FloatArray, Hops] | tuple[FloatArray, Hops, BoolArray | None]

#: Retry amplification (attempts reaching a component when it fails) above this is AL601.
AMPLIFICATION_THRESHOLD = 4.0
#: Samples of a call's subtree for P(L > T) and its hedging percentile, when not closed form.
SUBTREE_SAMPLES = 200_000
#: Classes kept per value; beyond, the closest per-attempt successes are merged.
CLASS_LIMIT = 64

_N = NormalDist()

#: A call of one flow, by (flow, caller, primary target): the key of ``Plan.calls``.
CallKey = tuple[str, str, str]
#: A call with a limit, by (source, targets) of the declared call (every flow shares it).
LimitKey = tuple[str, tuple[str, ...]]


# ---- request classes ---------------------------------------------------------------------
class Classes(tuple[tuple[float, float], ...]):
    """((weight, q), ...): the request classes of one state, weights summing to 1."""

    def __round__(self, n: int | None = None) -> Classes:   # success_dist.clean's grid
        return _norm([(round(w, 12), round(q, 12)) for w, q in self])

    @property
    def mean(self) -> float:
        return math.fsum(w * q for w, q in self)


def _norm(pairs: Iterable[tuple[float, float]]) -> Classes:
    acc: dict[float, float] = {}
    for w, q in pairs:
        if w > 0.0:
            acc[q] = acc.get(q, 0.0) + w
    items = sorted(acc.items())
    while len(items) > CLASS_LIMIT:       # merge the closest neighbours (weighted mean)
        j = min(range(len(items) - 1), key=lambda i: items[i + 1][0] - items[i][0])
        (q1, w1), (q2, w2) = items[j], items[j + 1]
        items[j:j + 2] = [((q1 * w1 + q2 * w2) / (w1 + w2), w1 + w2)]
    return Classes((w, q) for q, w in items)


ONE = Classes(((1.0, 1.0),))
ZERO = Classes(((1.0, 0.0),))


#: The request classes of a value of a distribution, with the value's probability.
ClassDist = dict[Classes, float]


def c_map(c: Classes, fn: Callable[[float], float]) -> Classes:
    return _norm((w, fn(q)) for w, q in c)


def c_scale(c: Classes, f: float) -> Classes:
    """Every class's per-attempt success times ``f`` (``1 - P(late)``: past its timeout an
    attempt fails)."""
    return c_map(c, lambda q: q * f)


def c_attempts(c: Classes, call: Call, admitted: float) -> Classes:
    """A call's success from one attempt's: its retries (``attempt_success``), times the
    share of its load its limit admits."""
    return c_map(c, lambda q: admitted * attempt_success(q, call.retries, call.retry_budget))


def c_times(a: Classes, b: Classes) -> Classes:
    if a == ONE:
        return b
    if b == ONE:
        return a
    return _norm((w1 * w2, q1 * q2) for w1, q1 in a for w2, q2 in b)


def c_alt(a: Classes, b: Classes) -> Classes:
    """Tried in order: success unless both fail."""
    return _norm((w1 * w2, 1.0 - (1.0 - q1) * (1.0 - q2)) for w1, q1 in a for w2, q2 in b)


def c_cache(h: float, miss: Classes) -> Classes:
    return _norm([(h, 1.0)] + [((1.0 - h) * w, q) for w, q in miss])


def c_power(c: Classes, n: int) -> Classes:
    out = ONE
    for _ in range(n):
        out = c_times(out, c)
    return out


# ---- closed forms ------------------------------------------------------------------------
def retry_rho(q: float, retries: int, budget: float | None) -> float:
    """Share of failed attempts retried: 1, or less so that retries per request = budget."""
    if budget is None or retries <= 0:
        return 1.0
    f = 1.0 - q

    def per_request(rho: float) -> float:
        return math.fsum((rho * f) ** k for k in range(1, retries + 1))

    if per_request(1.0) <= budget:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if per_request(mid) > budget:
            hi = mid
        else:
            lo = mid
    return lo


def attempt_success(q: float, retries: int, budget: float | None = None) -> float:
    """P(call ok) from the per-attempt success q: 1 - (1 - q)^(N+1) without a budget."""
    if retries <= 0:
        return q
    rho = retry_rho(q, retries, budget)
    if rho >= 1.0:
        return 1.0 - (1.0 - q) ** (retries + 1)
    fail = 1.0 - q                                # the last attempt fails
    for _ in range(retries):
        fail = (1.0 - q) * ((1.0 - rho) + rho * fail)
    return 1.0 - fail


def expected_attempts(q: float, retries: int, budget: float | None = None) -> float:
    """E[attempts] of a call: sum_{k=0..N} (rho (1 - q))^k."""
    rho = retry_rho(q, retries, budget)
    return math.fsum((rho * (1.0 - q)) ** k for k in range(retries + 1))


def failing_attempts(call: Call) -> float:
    """Attempts per request when every attempt fails: N + 1, or 1 + min(N, budget)."""
    if call.retry_budget is not None:
        return 1.0 + min(float(call.retries), call.retry_budget)
    return 1.0 + call.retries


def lognormal_exceed(mu: float, sigma: float, t: float) -> float:
    """P(X > t) for X = exp(N(mu, sigma^2))."""
    if t <= 0.0:
        return 1.0
    if sigma <= 0.0:
        return 1.0 if math.exp(mu) > t else 0.0
    return 1.0 - _N.cdf((math.log(t) - mu) / sigma)


def failover_window(design: Design, fc: FlowCall, down: Down = NO_DOWN) -> float:
    """``1 - min(T * rate, 1)`` for ``failover T`` on alternatives, 1.0 otherwise; rate =
    1/MTBF of the first alternative (as a group: MTBF = A MTTR / (1 - A)) plus 1/MTBF of
    every zone or region holding all of its replicas. With the first alternative forced
    down (``--down``) the traffic has moved already: no window."""
    call = fc.call
    if not call.failover_s or len(fc.targets) < 2:
        return 1.0
    c = fc.targets[0].component
    if down and not alive(c, down):
        return 1.0
    rate = 0.0
    if c.kind != "client" and c.availability < 1.0:
        from archlang.analysis.replica_groups import component_availability, component_models

        a = component_availability(component_models(design)[c.name], {})
        if a < 1.0:
            rate += (1.0 - a) / (a * c.mttr_s) if a > 0 else math.inf
    pls = c.replica_placements()
    placed = [p for p in pls if p is not None]
    if pls and len(placed) == len(pls):
        regions = {p.region for p in placed}
        if len(regions) == 1:
            r = design.region(next(iter(regions)))
            if r is not None and r.availability < 1.0:
                rate += 1.0 / r.mtbf_s
        keys = {p.key for p in placed}
        if len(keys) == 1 and placed[0].zone is not None:
            z = design.zone(placed[0].key)
            if z is not None and z.availability < 1.0:
                rate += 1.0 / z.mtbf_s
    return 1.0 - min(call.failover_s * rate, 1.0)


# ---- the plan: what every analyzer needs of each call ---------------------------------------
@dataclass
class CallPlan:
    """One call of one flow (caller -> primary target), evaluated with everything up."""

    call: Call
    p_timeout: dict[str, float] = field(default_factory=dict)   # target -> P(attempt > T)
    t_hedge: dict[str, float] = field(default_factory=dict)     # target -> its pNN (ms)
    hedged_share: float = 0.0       # P(first attempt slower than pNN): extra load
    q_attempt: float = 1.0          # per-attempt success, everything up (timeout included)
    q_error: float = 1.0            # ... without this call's own timeout (latency draws it)
    attempts: float = 1.0           # E[attempts] in normal operation
    admitted: float = 1.0           # limit R: min(1, R / load through the call)
    offered_rps: float | None = None  # limit R: load offered to the call, over all flows


@dataclass
class Plan:
    calls: dict[CallKey, CallPlan] = field(default_factory=dict)
    down: Down = NO_DOWN

    def get(self, flow: str, caller: str, fc: FlowCall) -> CallPlan | None:
        return self.calls.get((flow, caller, fc.targets[0].name))


def uses_resilience(design: Design) -> bool:
    """Does the design use any construct of this module? (Else nothing here runs.)"""
    return (any(c.resilient for c in design.calls)
            or any(c.error_rate > 0.0 for c in design.components.values()))


def _leaf(node: FlowNode, queues: Mapping[str, QueueWait]) -> bool:
    return (node.ends_request or not node.calls) and node.name not in queues


def build_plan(design: Design, capacity: CapacityReport, down: Down = NO_DOWN) -> Plan:
    """Per call of every flow: P(L > T), hedging percentile and share, per-attempt success
    and expected attempts, everything up; ``capacity`` gives the queueing (its loads)."""
    from archlang.analysis.latency import _queues

    queues, _ = _queues(design, capacity)
    plan = Plan(down=down)
    for name in design.flows:
        tree = flow_tree(design, name)
        memo: dict[int, Classes] = {}
        _transient(design, plan, name, tree, queues, memo, set())
    return plan


def _transient(design: Design, plan: Plan, flow: str, node: FlowNode,
               queues: Mapping[str, QueueWait], memo: dict[int, Classes], seen: set[int]
               ) -> Classes:
    """Request classes of ``node`` with everything up; fills the plan of its calls."""
    got = memo.get(id(node))
    if got is not None:
        return got
    c = node.component
    rest = ONE
    if not node.ends_request:
        for fc in node.calls:
            g = _call_classes(design, plan, flow, node, fc, queues, memo, seen)
            if not fc.optional:
                rest = c_times(rest, g)
        if node.kind in ("cache", "cdn"):
            rest = c_cache(c.hit_ratio or 0.0, rest)
    out = c_map(rest, lambda q: q * (1.0 - c.error_rate)) if c.error_rate else rest
    memo[id(node)] = out
    return out


def _call_classes(design: Design, plan: Plan, flow: str, caller: FlowNode, fc: FlowCall,
                  queues: Mapping[str, QueueWait], memo: dict[int, Classes], seen: set[int]
                  ) -> Classes:
    call = fc.call
    cp = CallPlan(call=call)
    per_target: list[Classes] = []
    per_target_err: list[Classes] = []
    for t in fc.targets:
        cls = _transient(design, plan, flow, t, queues, memo, seen)
        per_target_err.append(cls)
        if call.timeout_ms is not None or call.hedge is not None:
            p, th, share = _subtree_time(design, plan, flow, caller, fc, t, queues)
            cp.p_timeout[t.name] = p
            if th is not None:
                cp.t_hedge[t.name] = th
            if t is fc.targets[0]:
                cp.hedged_share = share
            if p > 0.0:
                cls = c_scale(cls, 1.0 - p)
        per_target.append(cls)

    def combine(parts: list[Classes]) -> Classes:
        out = parts[0]
        for x in parts[1:]:
            out = c_alt(out, x)
        return out

    g = combine(per_target)
    cp.q_attempt = g.mean
    cp.q_error = combine(per_target_err).mean
    cp.attempts = math.fsum(w * expected_attempts(q, call.retries, call.retry_budget)
                            for w, q in g)
    if call.retries:
        g = c_map(g, lambda q: attempt_success(q, call.retries, call.retry_budget))
    g = c_power(g, max(call.count, 1))
    plan.calls.setdefault((flow, caller.name, fc.targets[0].name), cp)
    return g


def _subtree_time(design: Design, plan: Plan, flow: str, caller: FlowNode, fc: FlowCall,
                  target: FlowNode, queues: Mapping[str, QueueWait]
                  ) -> tuple[float, float | None, float]:
    """(P(attempt > T), pNN hedging threshold or None, P(first attempt > pNN)) of one attempt
    of ``fc`` at ``target``: closed form for a leaf lognormal, else Monte Carlo."""
    call = fc.call
    c = target.component
    net_values: set[float | None] = {
        design.network.between(a, b) for a in (caller.component.replica_placements() or [None])
        for b in (c.replica_placements() or [None])}
    if caller.kind == "client":
        net_values = {caller.component.latency.p50_ms} if caller.component.latency.fixed \
            else {None}
    if _leaf(target, queues) and len(net_values) == 1 and \
            (net := next(iter(net_values))) is not None:
        lat = c.latency

        def exceed(t: float) -> float:
            if lat.fixed:
                return 1.0 if net + lat.p50_ms > t else 0.0
            mu, sigma = lat.lognormal
            return lognormal_exceed(mu, sigma, t - net)

        th: float | None = None
        share = 0.0
        if call.hedge is not None:
            if lat.fixed:
                th = net + lat.p50_ms
            else:
                mu, sigma = lat.lognormal
                th = net + math.exp(mu + sigma * _N.inv_cdf(call.hedge / 100.0))
                share = 1.0 - call.hedge / 100.0
        if call.timeout_ms is None:
            return 0.0, th, share
        T = call.timeout_ms
        p = exceed(T)
        if th is not None and th < T:
            p = p * exceed(T - th)          # min(L1, t + L2) > T: both late
        return p, th, share
    return _subtree_mc(design, plan, flow, caller, fc, target, queues)


def _subtree_mc(design: Design, plan: Plan, flow: str, caller: FlowNode, fc: FlowCall,
                target: FlowNode, queues: Mapping[str, QueueWait]
                ) -> tuple[float, float | None, float]:
    import numpy as np

    from archlang.analysis import latency as L

    single = FlowCall(call=fc.call.model_copy(update={"timeout_ms": None, "retries": 0,
                                                      "hedge": None, "breaker": False}),
                      targets=(target,))
    key = f"{caller.name}->{target.name}"
    rng = np.random.default_rng([L.SEED, zlib.crc32(flow.encode()), zlib.crc32(key.encode())])
    s = L._Sampler(design, queues, rng, plan.down)
    s.plan, s.flow = plan, flow
    n = SUBTREE_SAMPLES
    at = s.pick(caller.component, n, False)
    l1, _ = L._one_draw(s, caller, at, single)
    call = fc.call
    th: float | None = None
    share = 0.0
    total = l1
    if call.hedge is not None:
        th = quantile_linear(l1, call.hedge / 100.0)
        share = float((l1 > th).mean())
        l2, _ = L._one_draw(s, caller, at, single)
        total = np.minimum(l1, th + l2)
    p = 0.0 if call.timeout_ms is None else float((total > call.timeout_ms).mean())
    return p, th, share


# ---- the request engine (availability) ---------------------------------------------------------
def request_engine(design: Design, fm: CompiledFlow, base: Overrides, plan: Plan,
                   admitted: Mapping[CallKey, float]) -> FactoringEngine[Classes]:
    """The exact engine with request classes for values (see the module docstring)."""
    from archlang.analysis import exact as A

    class RequestEngine(A.FactoringEngine[Classes]):
        def _node(self, i: int, asg: Assignment) -> ClassDist:
            nd = self.fm.nodes[i]
            v = ("c", nd.comp)
            if v in asg:
                val = asg[v]
                # a store conditioned on its whole state: the success of this operation
                if isinstance(val, tuple):
                    assert nd.op is not None, "a store's node has its operation"
                    u = val[self.op_index[nd.comp][nd.op.name]]
                else:
                    u = float(val)
            else:
                u = self.p_comp(nd.comp, asg, nd.op)
            h = nd.hit
            ring_cache = h is not None and nd.op is not None
            if u <= 0.0 and not ring_cache:
                return {ZERO: 1.0}
            comp = design.components[nd.comp]
            rest: ClassDist = {ONE: 1.0}
            for j, (count, targets) in enumerate(nd.calls):
                call = nd.mods[j]
                cp = plan.calls.get((fm.name, nd.comp, self.fm.nodes[targets[0]].comp))
                dists: list[ClassDist] = []
                for t in targets:
                    d = self.dist(t, asg)
                    p = cp.p_timeout.get(self.fm.nodes[t].comp, 0.0) if cp else 0.0
                    if p > 0.0:
                        d = _d_scale_classes(d, 1.0 - p)
                    dists.append(d)
                g = dists[0]
                for d in dists[1:]:
                    g = _dprod(g, d, c_alt)
                adm = admitted.get((fm.name, nd.comp, self.fm.nodes[targets[0]].comp), 1.0)
                g = _d_call(g, call, adm, count)
                w = nd.windows[j] if nd.windows else 1.0
                if w < 1.0:
                    g = _dscale(w, g)
                rest = _dprod(rest, g, c_times)
            if ring_cache and h is not None:
                # a sharded cache: a key whose shard is lost is a miss (data-tier.md)
                hit = _dmap(rest, lambda c: c_cache(h, c))
                mixed: ClassDist = {}
                for d, w in ((hit, u), (rest, 1.0 - u)):
                    for c, q in d.items():
                        mixed[c] = mixed.get(c, 0.0) + w * q
                rest = mixed
                u = 1.0
            elif h is not None:
                rest = _dmap(rest, lambda c: c_cache(h, c))
            if comp.error_rate:
                e = comp.error_rate
                rest = _dmap(rest, lambda c: c_map(c, lambda q: q * (1.0 - e)))
            return _dscale(u, rest)

        def availability(self, extra: Overrides | None = None) -> float:
            if self.work > A.EXACT_WORK_LIMIT:
                raise A.TooComplex(self.fm.name)
            self._extra = dict(extra or {})
            try:
                d = self.dist(0, {})
                return min(1.0, max(0.0, math.fsum(p * c.mean for c, p in d.items())))
            finally:
                self._extra = {}

    return RequestEngine(fm, base)


def _dmap(d: ClassDist, fn: Callable[[Classes], Classes]) -> ClassDist:
    out: ClassDist = {}
    for v, p in d.items():
        w = fn(v)
        out[w] = out.get(w, 0.0) + p
    return out


def _d_scale_classes(d: ClassDist, f: float) -> ClassDist:
    """``c_scale`` on every value of ``d``."""
    return _dmap(d, lambda c: c_map(c, lambda q: q * f))


def _d_call(d: ClassDist, call: Call, admitted: float, count: int) -> ClassDist:
    """A call's distribution from one attempt's: ``c_attempts``, made ``count`` times."""
    return _dmap(d, lambda c: c_power(c_attempts(c, call, admitted), count))


def _dprod(x: ClassDist, y: ClassDist, op: Callable[[Classes, Classes], Classes]
           ) -> ClassDist:
    out: ClassDist = {}
    for v, p in x.items():
        for w, q in y.items():
            z = op(v, w)
            out[z] = out.get(z, 0.0) + p * q
    return out


def _dscale(u: float, d: ClassDist) -> ClassDist:
    if u >= 1.0:
        return d
    out = {v: u * p for v, p in d.items()}
    out[ZERO] = out.get(ZERO, 0.0) + (1.0 - u)
    return out


def transient_availability(design: Design, plan: Plan, flow: str) -> float:
    """P(request succeeds) with every unit up: the transient part on its own."""
    return _tree_mean(design, plan, flow)


def _tree_mean(design: Design, plan: Plan, flow: str) -> float:
    def node(n: FlowNode) -> Classes:
        c = n.component
        rest = ONE
        if not n.ends_request:
            for fc in n.calls:
                if fc.optional:
                    continue
                cp = plan.get(flow, n.name, fc)
                parts: list[Classes] = []
                for t in fc.targets:
                    cls = node(t)
                    p = cp.p_timeout.get(t.name, 0.0) if cp else 0.0
                    parts.append(c_scale(cls, 1.0 - p) if p else cls)
                g = parts[0]
                for x in parts[1:]:
                    g = c_alt(g, x)
                adm = cp.admitted if cp else 1.0
                call = fc.call
                g = c_attempts(g, call, adm)
                rest = c_times(rest, c_power(g, max(call.count, 1)))
            if n.kind in ("cache", "cdn"):
                rest = c_cache(c.hit_ratio or 0.0, rest)
        return c_map(rest, lambda q: q * (1.0 - c.error_rate)) if c.error_rate else rest

    return node(flow_tree(design, flow)).mean


# ---- load ----------------------------------------------------------------------------------
def call_load_factor(plan: Plan, flow: str, caller: FlowNode, fc: FlowCall,
                     down: Down = NO_DOWN) -> float:
    """Attempts (and hedges) one request's call sends to its target, per ``count``."""
    cp = plan.get(flow, caller.name, fc)
    if cp is None:
        return 1.0
    target = route(fc, down)
    if down and not serves(target, down):
        if fc.call.breaker and not alive(target.component, down):
            return 0.0
        return failing_attempts(fc.call)
    return cp.attempts * (1.0 + cp.hedged_share)


def flow_loads(plan: Plan, flow: str, tree: FlowNode, rate: float, down: Down = NO_DOWN,
               scales: Mapping[LimitKey, float] | None = None,
               offered: dict[LimitKey, float] | None = None) -> dict[str, float]:
    """capacity.flow_loads with attempts, hedges and limits; ``offered`` collects the load
    offered to each limited call (before its limit), ``scales`` the admitted shares."""
    loads: dict[str, float] = {}
    scales = scales or {}

    def visit(node: FlowNode, r: float) -> None:
        loads[node.name] = loads.get(node.name, 0.0) + r
        out = r
        if node.kind in ("cache", "cdn"):
            out = r * (1.0 - (node.component.hit_ratio or 0.0))
        for fc in node.calls + node.async_calls:
            if fc.targets:
                rr = out * fc.count * call_load_factor(plan, flow, node, fc, down)
                if fc.call.limit_rps is not None:
                    if offered is not None:
                        ck = (fc.call.source, fc.call.targets)
                        offered[ck] = offered.get(ck, 0.0) + rr
                    rr *= scales.get((fc.call.source, fc.call.targets), 1.0)
                visit(route(fc, down), rr)

    visit(tree, rate)
    return loads


def limited_loads(design: Design, plan: Plan, trees: Mapping[str, FlowNode],
                  down: Down = NO_DOWN
                  ) -> tuple[dict[str, dict[str, float]], dict[LimitKey, float]]:
    """(loads by flow, admitted share per limited call): limits found by iterating from the
    top (each pass fixes the calls whose offered load no longer changes)."""
    scales: dict[LimitKey, float] = {}
    limited = [((c.source, c.targets), limit) for c in design.calls
               if (limit := c.limit_rps) is not None]
    for _ in range(len(limited) + 1):
        offered: dict[LimitKey, float] = {}
        by_flow = {name: flow_loads(plan, name, trees[name], fl.rate_rps, down, scales, offered)
                   for name, fl in design.flows.items()}
        new = {k: min(1.0, limit / offered[k]) if offered.get(k, 0.0) > 0 else 1.0
               for k, limit in limited}
        if new == scales:
            break
        scales = new
    for cp in plan.calls.values():
        ck = (cp.call.source, cp.call.targets)
        cp.admitted = scales.get(ck, 1.0)
        if cp.call.limit_rps is not None:
            cp.offered_rps = offered.get(ck, 0.0)
    return by_flow, scales


def amplification(design: Design) -> dict[str, float]:
    """Per component, the worst product of failing attempts along the flow paths reaching it
    (3 layers of ``retries 2`` = 27 at the bottom)."""
    worst: dict[str, float] = {}

    def visit(node: FlowNode, f: float) -> None:
        worst[node.name] = max(worst.get(node.name, 1.0), f)
        for fc in node.calls + node.async_calls:
            for t in fc.targets:
                visit(t, f * failing_attempts(fc.call))

    for name in design.flows:
        visit(flow_tree(design, name), 1.0)
    return worst


# ---- latency (called by latency._call for calls with timeout, retries, hedge, breaker) -------
def timed_call(s: _Sampler, caller: FlowNode, at: IndexArray, fc: FlowCall) -> Draw:
    """(total, hops) of one call with its attempts: each failed attempt costs its time (T for
    a timeout) and, before each retry, the backoff; a hedge races a second attempt sent at
    the callee's pNN; with ``--down`` a dead callee costs T per attempt, or nothing behind a
    breaker (the call fails at once)."""
    import numpy as np

    from archlang.analysis.latency import _one_draw

    assert s.plan is not None, "latency times a call this way only with a plan"
    call = fc.call
    n = len(at)
    target = route(fc, s.down)
    key: HopKey = (target.name, caller.name)
    cp = s.plan.get(s.flow, caller.name, fc) or CallPlan(call=call)
    dead = bool(s.down) and not alive(target.component, s.down)
    state_ok = not s.down or serves(target, s.down)
    T = call.timeout_ms
    if dead and call.breaker:
        z = s.zeros(n)
        return z, {key: [z, z, z]}
    if dead and T is not None:
        per = s.zeros(n) + T
        total, hops = _attempts(s, n, call, 0.0,
                                lambda idx: (per[idx], {key: [per[idx], 0 * per[idx],
                                                              0 * per[idx]]}),
                                key, fail_all=True)
        return total, hops
    p_err = 1.0 - cp.q_error if state_ok else 1.0
    th = cp.t_hedge.get(target.name) if call.hedge is not None else None

    def draw(idx: IndexArray) -> Attempt:
        l1, h = _one_draw(s, caller, at[idx], fc)
        if th is not None:
            l2, h2 = _one_draw(s, caller, at[idx], fc)
            second = th + l2 < l1
            l1 = np.where(second, th + l2, l1)
            for k in set(h) | set(h2):
                a = h.get(k) or [np.zeros(len(idx))] * 3
                b = h2.get(k) or [np.zeros(len(idx))] * 3
                h[k] = [np.where(second, b[i], a[i]) for i in range(3)]
            if key in h:
                h[key][0] = h[key][0] + np.where(second, th, 0.0)
        if T is not None:
            late = l1 > T
            if late.any():
                f = np.where(late, T / np.where(l1 > 0, l1, 1.0), 1.0)
                h = {k: [v[0] * f, v[1] * f, v[2] * f] for k, v in h.items()}
                l1 = np.where(late, T, l1)
            return l1, h, late
        return l1, h, None

    return _attempts(s, n, call, p_err, draw, key, fail_all=not state_ok)


def _attempts(s: _Sampler, n: int, call: Call, p_err: float,
              draw: Callable[[IndexArray], Attempt], key: HopKey, fail_all: bool = False
              ) -> Draw:
    import numpy as np

    total = np.zeros(n)
    hops: Hops = {}
    active = np.ones(n, dtype=bool)
    q0 = 0.0 if fail_all else 1.0 - p_err
    rho = retry_rho(q0, call.retries, call.retry_budget)
    for k in range(call.retries + 1):
        idx = np.nonzero(active)[0]
        if len(idx) == 0:
            break
        got = draw(idx)
        took, h = got[0], got[1]
        late = got[2] if len(got) > 2 else None
        if fail_all or p_err >= 1.0:
            fail = np.ones(len(idx), dtype=bool)
        elif p_err > 0.0:
            fail = s.random().random(len(idx)) < p_err
        else:
            fail = np.zeros(len(idx), dtype=bool)
        if late is not None:
            fail = fail | late
        total[idx] += took
        for hk, parts in h.items():
            full = hops.get(hk)
            if full is None:
                full = hops[hk] = [np.zeros(n), np.zeros(n), np.zeros(n)]
            for i in range(3):
                full[i][idx] += parts[i]
        if k == call.retries:
            break
        retry = fail
        if rho < 1.0 and retry.any():
            retry = retry & (s.random().random(len(idx)) < rho)
        if call.backoff_ms and retry.any():
            total[idx[retry]] += call.backoff_ms
            full = hops.setdefault(key, [np.zeros(n), np.zeros(n), np.zeros(n)])
            full[0][idx[retry]] += call.backoff_ms
        active = np.zeros(n, dtype=bool)
        active[idx[retry]] = True
    return total, hops


def call_loads(plan: Plan) -> tuple[CallLoad, ...]:
    """The CallLoad rows of the capacity report, for calls with resilience modifiers."""
    from archlang.analysis.result import CallLoad

    out: list[CallLoad] = []
    for (flow, caller, target), cp in sorted(plan.calls.items()):
        call = cp.call
        if not call.resilient:
            continue
        out.append(CallLoad(flow=flow, source=caller, target=target, attempts=cp.attempts,
                            hedged_share=cp.hedged_share,
                            failing_attempts=failing_attempts(call), admitted=cp.admitted,
                            offered_rps=cp.offered_rps,
                            p_timeout=cp.p_timeout.get(target, 0.0)))
    return tuple(out)


def request_availability(design: Design, fm: CompiledFlow, base: Overrides, plan: Plan,
                         a_state: float) -> tuple[float, float, str]:
    """(request-based availability, transient part, note for the method) of one flow."""
    from archlang.analysis.exact import TooComplex

    a_tr = transient_availability(design, plan, fm.name)
    if a_tr >= 1.0 and not any(w < 1.0 for nd in fm.nodes for w in nd.windows):
        return a_state, a_tr, ""
    admitted = {k: cp.admitted for k, cp in plan.calls.items()}
    try:
        return request_engine(design, fm, base, plan, admitted).availability(), a_tr, ""
    except TooComplex:
        return (a_state * a_tr, a_tr,
                "; request based as state x transient (too many states for the exact form)")


def amplification_paths(design: Design) -> dict[str, tuple[float, list[tuple[Call, float]]]]:
    """Per component reached through retries: (worst factor, [(call, failing attempts), ...]
    along the path that gives it), for the finding AL601."""
    worst: dict[str, tuple[float, list[tuple[Call, float]]]] = {}

    def visit(node: FlowNode, f: float, chain: list[tuple[Call, float]]) -> None:
        if chain and f > worst.get(node.name, (1.0, []))[0]:
            worst[node.name] = (f, chain)
        for fc in node.calls + node.async_calls:
            k = failing_attempts(fc.call)
            for t in fc.targets:
                visit(t, f * k, chain + [(fc.call, k)] if k > 1.0 else chain)

    for name in design.flows:
        visit(flow_tree(design, name), 1.0, [])
    return {n: (f, [x for x in ch]) for n, (f, ch) in worst.items() if ch}


def without_breakers(design: Design, down: Down) -> Design | None:
    """The design with its breakers removed, when ``down`` kills a callee behind one."""
    from archlang.model.design import Component  # noqa: F401  (the calls' components)

    hit = [c for c in design.calls if c.breaker
           and any(not alive(design.components[t], down) for t in c.targets)]
    if not hit:
        return None
    calls = tuple(c.model_copy(update={"breaker": False}) if c.breaker else c
                  for c in design.calls)
    return design.model_copy(update={"calls": calls})
