"""Latency budgets per flow (docs/analyses/latency.md).

The request time of a flow is evaluated on its request tree (``graph.flow_tree``):

* ``T(node) = network into it + service(node) + queueing wait(node) + sum of C(call)`` over
  its synchronous calls in order; a call goes to its primary target (``targets[0]``:
  alternatives are failover), or with units forced down (``down``) to the first alternative
  that can still serve (``down.route``); optional calls are made and waited for;
* ``xN`` sequential: the sum of N independent draws of the call; ``xN parallel``: the
  maximum of N independent draws;
* a cache or CDN: its calls (the miss path) are made with probability ``1 - hit_ratio``,
  independently per call;
* a queue: its service time only (the producer's request ends at the queue; asynchronous
  calls never count);
* a client root: no service time; its ``latency`` (the last mile) replaces the network
  latency on each call out of it;
* service time: fixed, or the lognormal through p50 and p99 (``Latency.lognormal``); a
  ``write`` into a database with synchronous replication waits for the slowest of the leader
  and its followers (follower i at ``placement[i % len(placement)]``, plus the network
  between the placement of the replica the write entered and the follower's); into a
  ``multi_leader`` one, for every copy but the one it entered;
* network: ``Network.between`` the placement of the caller's replica the request is at and
  that of the callee replica the request goes to (``_Sampler.pick``): the active one of an
  ``active_passive`` group, the leader for a ``write`` into a ``leader_follower`` database
  (replica 0, or the first not forced down: ``down.leader_replica``), else one picked
  uniformly among its replicas (those not forced down, when any is);
* queueing: M/M/c at the utilisation of the capacity report; a request waits with the
  Erlang C probability, for an exponential time of rate ``c mu - lambda``. A store on a ring
  (sharded or leaderless) queues at each node instead (docs/analyses/data-tier.md): every
  copy an operation asks waits in its own M/M/1 queue at the hottest node's utilisation
  ``rho`` (x skew): with probability ``rho``, for an exponential time of rate
  ``mu (1 - rho)``, independently per copy. At or over 100% the flow is unbounded.

When nothing on the flow is random the result is exact (the sum). Otherwise it is a Monte
Carlo estimate with ``SAMPLES`` samples and a seed fixed per flow (``SEED`` and the CRC-32 of
the flow's name), with the half-width of the 95% interval on p99 in ``error_ms``.

Size: the latency engine: its exact composition and its Monte Carlo sampler read one model
of a hop (service, network, queueing, timeouts, hedges), which stays in one place so the two
can never disagree.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeGuard

from archlang.analysis.common import SloResult
from archlang.analysis.distributions import (
    erlang_c,
    quantile_ci_halfwidth,
    quantile_linear,
    quantile_sorted,
    sorted_where_read,
)
from archlang.analysis.down import NO_DOWN, Down, as_down, leader_replica, route, up_replicas
from archlang.analysis.quorum import Op, Store, op_for, store_of
from archlang.analysis.result import CapacityReport, FlowLatency, HopLatency, LatencyReport
from archlang.analysis.ring import key_weights as ring_key_weights
from archlang.graph import FlowCall, FlowNode, flow_tree
from archlang.model.design import Component, Design, Latency, Placement

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterable

    import numpy as np

    from archlang.analysis.arrays import BoolArray, FloatArray, IndexArray
    from archlang.analysis.resilience import Plan

    #: A hop of the breakdown: (component, its caller; None for the entry).
    HopKey = tuple[str, str | None]
    #: A hop's per-sample parts on the critical path: [time, network, queueing] (ms); the
    #: lists are summed into in place, the arrays never.
    HopParts = list[FloatArray]
    Hops = dict[HopKey, HopParts]
    #: One evaluation of a subtree: (per-sample time, its hops).
    Draw = tuple[FloatArray, Hops]

#: A component's M/M/c queue as the sampler draws its wait: (P(wait), wait rate per ms).
QueueWait = tuple[float, float]

SEED = 20240601               # base seed of every flow's random stream
SAMPLES = 200_000             # Monte Carlo samples per flow, at most
MIN_SAMPLES = 20_000          # ... and at least
BUDGET = 1_000_000            # samples x components visited by one request, per flow
UNBOUNDED_AT = 1.0 - 1e-9     # utilisation at which the M/M/c wait has no steady state
#: The error the default sizing aims at: the half-width of the 95% interval on p99, as a
#: share of p99 (docs/analyses/latency.md, "Sample size").
P99_ERROR_TARGET = 0.005
PILOT = MIN_SAMPLES           # samples of the pilot draw that sizes a flow's run
PILOT_MARGIN = 1.25           # ... and the share more than its error asks for

__all__ = ["BUDGET", "MIN_SAMPLES", "P99_ERROR_TARGET", "PILOT", "SAMPLES", "SEED",
           "analyze_latency", "flow_samples", "samples_for", "sized_samples"]



def _to_leader(c: Component, write: bool, consistency: str | None = None) -> bool:
    """Does a request into ``c`` go to one replica, the active one or the leader? An
    ``active_passive`` group serves on its active replica only; a ``write`` into a
    ``leader_follower`` store enters at its leader, and so does a read that needs the
    leader (``consistency strong``, or ``read_your_writes`` against async followers).
    (multi_leader: every replica is a leader and a write goes to a near one; other
    requests spread over the copies.)"""
    st = store_of(c)
    if st is not None:
        return st.style == "leader_follower" and (
            write or op_for(st, False, False, consistency).leader)
    return c.mode == "active_passive" or (write and c.kind == "database"
                                          and c.replication == "leader_follower")


def _quorum_path(st: Store | None) -> TypeGuard[Store]:
    """Is a store timed per shard on its ring (leaderless or sharded), not as one group?"""
    return st is not None and (st.sharded or st.style in ("leaderless", "none"))


class _Stochastic(Exception):
    """Raised in the probe pass when a draw is really random: switch to Monte Carlo."""


class _Sampler:
    """Draws the random parts of a request. ``rng=None``: the probe pass (one sample, raises
    :class:`_Stochastic` on the first draw that is not degenerate)."""

    def __init__(self, design: Design, queues: Mapping[str, QueueWait],
                 rng: np.random.Generator | None, down: Down = NO_DOWN,
                 consistency: str | None = None):
        self.consistency = consistency
        self.design = design
        self.down = down
        self.net = design.network
        self.queues = queues
        self.rng = rng
        self.plan: Plan | None = None   # analysis/resilience.py, when the design uses it
        self.flow = ""
        self._places: dict[str, tuple[list[Placement | None], IndexArray]] = {}
        self._matrix: dict[tuple[str, str], FloatArray] = {}
        self._zeros: dict[int, FloatArray] = {}
        self._nowhere: dict[int, IndexArray] = {}
        self.fanout = 1                # draws of the current subtree along the request

    # -- primitives ----------------------------------------------------------------------
    def zeros(self, n: int) -> FloatArray:
        """A shared read-only array of zeros (arrays are never modified in place)."""
        import numpy as np

        z = self._zeros.get(n)
        if z is None:
            z = np.zeros(n)
            z.flags.writeable = False
            self._zeros[n] = z
        return z

    def nowhere(self, n: int) -> IndexArray:
        """A shared read-only array of placement 0 (one place to send a request to)."""
        import numpy as np

        z = self._nowhere.get(n)
        if z is None:
            z = np.zeros(n, dtype=np.intp)
            z.flags.writeable = False
            self._nowhere[n] = z
        return z

    def random(self) -> np.random.Generator:
        """The generator for a draw that is really random (the probe pass stops here)."""
        if self.rng is None:
            raise _Stochastic()
        return self.rng

    def latency(self, lat: Latency, n: int) -> FloatArray:
        import numpy as np

        if lat.fixed:
            return np.full(n, lat.p50_ms)
        rng = self.random()
        mu, sigma = lat.lognormal
        z = rng.standard_normal(n)      # exp(mu + sigma z), computed in place
        z *= sigma
        z += mu
        return np.exp(z, out=z)

    def places(self, c: Component) -> tuple[list[Placement | None], IndexArray]:
        """(distinct placements of the replicas a request can be sent to, replica index ->
        distinct index). The replicas not forced down, or all when every one is."""
        import numpy as np

        got = self._places.get(c.name)
        if got is None:
            distinct: list[Placement | None] = []
            index: list[int] = []
            placements = c.replica_placements()
            up = up_replicas(c, self.down) or range(len(placements))
            for p in (placements[i] for i in up):
                if p not in distinct:
                    distinct.append(p)
                index.append(distinct.index(p))
            got = (distinct, np.array(index, dtype=np.intp))
            self._places[c.name] = got
        return got

    def pick(self, c: Component, n: int, write: bool) -> IndexArray:
        """The placement (distinct index) of the replica each sample is sent to: the one
        replica that takes the request (``_to_leader``), else one picked uniformly."""
        import numpy as np

        distinct, index = self.places(c)
        if len(distinct) == 1:
            return self.nowhere(n)
        if _to_leader(c, write, self.consistency):
            where = c.replica_placements()[leader_replica(c, self.down)]
            return np.full(n, distinct.index(where), dtype=np.intp)
        rng = self.random()
        return index.take(rng.integers(0, len(index), n))

    def network(self, a: Component, at_a: IndexArray, b: Component,
                at_b: IndexArray) -> FloatArray:
        import numpy as np

        m = self._matrix.get((a.name, b.name))
        if m is None:
            pa, _ = self.places(a)
            pb, _ = self.places(b)
            m = np.array([[self.net.between(x, y) for y in pb] for x in pa], dtype=float)
            self._matrix[(a.name, b.name)] = m
        hop: FloatArray                    # (numpy's stubs: Any for an element or a row)
        if (m == m.flat[0]).all():
            hop = np.full(len(at_b), m.flat[0])
        elif m.shape[0] == 1:
            hop = m[0].take(at_b)
        else:
            flat = at_a * m.shape[1]
            flat += at_b
            hop = m.ravel().take(flat)
        return hop

    def miss(self, h: float, n: int) -> BoolArray:
        import numpy as np

        if h <= 0.0:
            return np.ones(n, dtype=bool)
        if h >= 1.0:
            return np.zeros(n, dtype=bool)
        rng = self.random()
        return rng.random(n) >= h

    def wait(self, c: Component, n: int) -> FloatArray:
        """The queueing wait of a request at ``c`` (M/M/c; none here for a store on a ring,
        whose copies wait in :meth:`_shard_time`)."""
        if _quorum_path(store_of(c)):
            return self.zeros(n)
        return self.queue_wait(c, n)

    def queue_wait(self, c: Component, n: int) -> FloatArray:
        import numpy as np

        q = self.queues.get(c.name)
        if q is None or q[0] <= 0.0:
            return self.zeros(n)
        rng = self.random()
        p_wait, rate_per_ms = q
        # One uniform U per sample: the request waits when U < P(wait), and then U / P(wait)
        # is itself uniform, so -ln(U / P(wait)) / rate is its exponential waiting time.
        u = rng.random(n)
        waits = np.flatnonzero(u < p_wait)      # few: by index, not by mask
        out = np.zeros(n)
        out[waits] = -np.log(u[waits] / p_wait) / rate_per_ms
        return out

    def service(self, c: Component, at: IndexArray, write: bool) -> FloatArray:
        """Service time of the replicas ``at`` (distinct placement indices) of ``c``; a
        synchronously replicated write waits for its followers, from the replica it entered
        (the leader, or for multi_leader the leader the write went to)."""
        import numpy as np

        n = len(at)
        leader = self.latency(c.latency, n)
        if not (write and c.kind in ("database", "cache")
                and c.replication in ("leader_follower", "multi_leader")
                and c.replication_sync and c.followers >= 1):
            return leader
        distinct, _ = self.places(c)
        acks: list[FloatArray] = []
        if c.replication == "multi_leader":
            # The write entered one of the copies (at its placement): it waits for each of
            # the others, from there; copy j sits at placement[j % len(placement)].
            copies = [c.placement[j % len(c.placement)] if c.placement else None
                      for j in range(c.followers + 1)]
            others = []
            for p in distinct:
                rest = list(copies)
                del rest[rest.index(p) if p in rest else 0]     # the copy written to
                others.append([self.net.between(p, q) for q in rest])
            table = np.array(others, dtype=float)          # distinct placement x other copy
            for i in range(c.followers):
                acks.append(self.latency(c.latency, n) + table[:, i].take(at))
        else:
            for i in range(1, c.followers + 1):
                where = c.placement[i % len(c.placement)] if c.placement else None
                hops = np.array([self.net.between(p, where) for p in distinct], dtype=float)
                acks.append(self.latency(c.latency, n) + hops.take(at))
        if c.sync_mode == "semi_sync":   # MySQL semi-sync: the first follower's ack
            return np.maximum(leader, np.minimum.reduce(acks))
        slowest: FloatArray = np.maximum.reduce([leader] + acks)
        return slowest

    # -- stores on a ring ---------------------------------------------------------------
    def store_time(self, caller: Component | None, at: IndexArray, c: Component, op: Op,
                   last_mile: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(time, network part, queueing part) of one operation on a sharded or leaderless
        store, per sample: the shard is drawn by its share of the keys
        (``ring.key_weights``), each copy answers after the network from the caller's replica
        plus its own queueing wait (M/M/1 at the node) and draw, and the operation takes the
        ``quorum``-th fastest answer of the shard's up copies (an order statistic); a
        leader-follower store reads one copy (uniformly) or the leader and writes at the
        leader (waiting for its followers as its sync mode says). A scatter call waits for
        the slowest of every shard."""
        import numpy as np

        st = store_of(c)
        assert st is not None, "a store's operation"
        n = len(at)
        up = set(up_replicas(c, self.down)) or set(range(st.nodes))
        placements = c.replica_placements()
        pa = self.places(caller)[0] if caller is not None else [None]
        if op.scatter:
            shards = [s % st.nodes for s in range(st.shards)]
            times, nets, ques = self._shard_time(st, c, shards[0], at, pa, placements, up, op,
                                                 n)
            for w in shards[1:]:
                t, net, que = self._shard_time(st, c, w, at, pa, placements, up, op, n)
                later = t > times
                times = np.where(later, t, times)
                nets = np.where(later, net, nets)
                ques = np.where(later, que, ques)
            return times + last_mile, nets + last_mile, ques
        weights = ring_key_weights(st, op)
        if len(weights) == 1:
            t, net, que = self._shard_time(st, c, 0, at, pa, placements, up, op, n)
            return t + last_mile, net + last_mile, que
        rng = self.random()
        win = rng.choice(len(weights), size=n, p=np.array(weights))
        times = np.zeros(n)
        nets = np.zeros(n)
        ques = np.zeros(n)
        for w in range(len(weights)):
            sel = win == w
            if not sel.any():
                continue
            t, net, que = self._shard_time(st, c, w, at[sel], pa, placements, up, op,
                                           int(sel.sum()))
            times[sel] = t
            nets[sel] = net
            ques[sel] = que
        return times + last_mile, nets + last_mile, ques

    def _answer(self, c: Component, n: int) -> tuple[FloatArray, FloatArray]:
        """(time, queueing part) of one copy's answer: its M/M/1 wait, then its draw."""
        que = self.queue_wait(c, n)
        return self.latency(c.latency, n) + que, que

    def _shard_time(self, st: Store, c: Component, w: int, at: IndexArray,
                    pa: Sequence[Placement | None], placements: Sequence[Placement | None],
                    up: set[int], op: Op, n: int
                    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        import numpy as np

        copies = [i for i in st.window_nodes(w) if i in up] or list(st.window_nodes(w))
        net = np.array([[self.net.between(x, placements[i]) for i in copies] for x in pa])
        hop = net[at] if len(pa) > 1 else np.broadcast_to(net[0], (n, len(copies)))
        kind = op.name.removeprefix("scatter_")
        if st.style in ("leader_follower", "multi_leader"):
            if kind == "read":
                if len(copies) > 1:
                    j = self.random().integers(0, len(copies), n)
                else:
                    j = np.zeros(n, dtype=np.intp)
                h = hop[np.arange(n), j]
                t, que = self._answer(c, n)
                return t + h, h, que
            lead = copies[0]
            h = hop[:, 0]
            t, que = self._answer(c, n)
            if kind == "write" and st.sync_mode in ("sync", "semi_sync") and len(copies) > 1:
                acks = [self._answer(c, n)[0]
                        + self.net.between(placements[lead], placements[i])
                        for i in copies[1:]]
                if st.sync_mode == "semi_sync":
                    t = np.maximum(t, np.minimum.reduce(acks))
                else:
                    t = np.maximum.reduce([t] + acks)
            return t + h, h, que
        drawn = [self._answer(c, n) for _ in copies]
        answers = np.stack([d[0] for d in drawn], axis=1) + hop
        waits = np.stack([d[1] for d in drawn], axis=1)
        q = min(op.quorum, len(copies))
        if len(copies) == 1:
            return answers[:, 0], hop[:, 0], waits[:, 0]
        order = np.argsort(answers, axis=1, kind="stable")[:, q - 1]
        rows = np.arange(n)
        return answers[rows, order], hop[rows, order], waits[rows, order]


# ---- evaluation of one request tree ---------------------------------------------------------
# Each evaluation returns (total, hops): ``total`` the per-sample time of the subtree and
# ``hops[(component, via)] = [time, network, queueing]`` the per-sample parts of each hop on
# the critical path (for a parallel fan-out, the draw that finished last).

def _add_hops(into: Hops, more: Hops) -> None:
    """Add the per-sample hop parts of ``more`` into ``into`` (a hop met twice sums)."""
    for k, v in more.items():
        got = into.get(k)
        if got is None:
            into[k] = v
        else:
            for i in range(3):
                got[i] = got[i] + v[i]


def _node(s: _Sampler, node: FlowNode, at: IndexArray, via: str | None, net: FloatArray,
          write: bool, svc: FloatArray | None = None, que: FloatArray | None = None) -> Draw:
    import numpy as np

    n = len(at)
    c = node.component
    if c.kind == "client":
        total = s.zeros(n)
        hops: Hops = {}
    else:
        que = s.wait(c, n) if que is None else que
        own = (s.service(c, at, write) if svc is None else svc) + que
        own += net
        total = own
        hops = {(c.name, via): [own, net, que]}
    if node.ends_request or not node.calls:
        return total, hops
    if c.kind in ("cache", "cdn"):
        if (c.hit_ratio or 0.0) >= 1.0:       # the miss path is never taken
            return total, hops
        sub_total: FloatArray | None
        miss = s.miss(c.hit_ratio or 0.0, n)
        # Evaluated even when no sample misses (on no samples), so that every draw of a
        # subtree has the same hops.
        if miss.all():
            sub_total, sub_hops = _calls(s, node, at)
        else:
            where = np.flatnonzero(miss)       # scattering by index: faster than by mask
            part_total, part_hops = _calls(s, node, at[where])
            total = total.copy()               # ``own`` is a hop's part: not added in place
            total[where] += part_total
            sub_total = None
            sub_hops = {}
            none = s.zeros(len(where))          # a part that is nothing stays the shared zeros
            for k, parts in part_hops.items():
                full = [s.zeros(n)] * 3
                for i in range(3):
                    if parts[i] is not none:
                        full[i] = np.zeros(n)
                        full[i][where] = parts[i]
                sub_hops[k] = full
    else:
        sub_total, sub_hops = _calls(s, node, at)
    _add_hops(hops, sub_hops)
    if sub_total is None:
        return total, hops
    return (sub_total if c.kind == "client" else total + sub_total), hops


def _calls(s: _Sampler, node: FlowNode, at: IndexArray) -> Draw:
    total: FloatArray | None = None
    hops: Hops = {}
    for fc in node.calls:
        t, h = _call(s, node, at, fc)
        total = t if total is None else total + t     # the first call's time as it is
        _add_hops(hops, h)
    return (s.zeros(len(at)) if total is None else total), hops


def _one_draw(s: _Sampler, caller: FlowNode, at: IndexArray, fc: FlowCall) -> Draw:
    import numpy as np

    target = route(fc, s.down)
    n = len(at)
    st = store_of(target.component)
    if _quorum_path(st):
        last = (s.latency(caller.component.latency, n) if caller.kind == "client"
                else s.zeros(n))
        op = op_for(st, fc.write, fc.call.scatter, s.consistency)
        t, net, que = s.store_time(None if caller.kind == "client" else caller.component, at,
                                   target.component, op, last)
        return _node(s, target, np.zeros(n, dtype=np.intp), caller.name, net, fc.write,
                     svc=t - net - que, que=que)
    at_t = s.pick(target.component, n, fc.write)
    if caller.kind == "client":
        net = s.latency(caller.component.latency, n)
    else:
        net = s.network(caller.component, at, target.component, at_t)
    return _node(s, target, at_t, caller.name, net, fc.write)


#: Draws of a subtree made one by one along one request (the product of the `xN` counts
#: on the way): beyond it, the N draws of a call come from one draw by doubling.
LOOP_DRAWS = 256


def _call(s: _Sampler, caller: FlowNode, at: IndexArray, fc: FlowCall) -> Draw:
    one: Callable[[], Draw]
    if s.plan is not None and (fc.call.timeout_ms is not None or fc.call.retries
                               or fc.call.hedge is not None or fc.call.breaker):
        from archlang.analysis.resilience import timed_call

        def one() -> Draw:
            return timed_call(s, caller, at, fc)
    else:
        def one() -> Draw:
            return _one_draw(s, caller, at, fc)
    if fc.count > 1 and s.fanout * fc.count > LOOP_DRAWS:
        return _call_doubling(s, fc, one)
    s.fanout *= fc.count
    try:
        return _repeat(s, fc, one)
    finally:
        s.fanout //= fc.count


def _combine(s: _Sampler, a: Draw, b: Draw, parallel: bool) -> Draw:
    """Two draws of calls made one after the other (times add) or in parallel (the later
    one is the critical path)."""

    (ta, ha), (tb, hb) = a, b
    if not parallel:
        hops = {k: list(v) for k, v in ha.items()}
        _add_hops(hops, hb)
        return ta + tb, hops
    pick = _picker(tb > ta)
    hops = {k: [pick(hb[k][i], v[i]) for i in range(3)] for k, v in ha.items()}
    return pick(tb, ta), hops


def _picker(mask: BoolArray) -> Callable[[FloatArray, FloatArray], FloatArray]:
    """``np.where(mask, a, b)``, bit for bit, as a select on the bits of float64 arrays (a
    random mask makes ``where`` branch, and it is called for every part of every hop)."""
    import numpy as np

    bits = -mask.view(np.int8).astype(np.int64)      # all ones where mask, else zero

    def pick(a: FloatArray, b: FloatArray) -> FloatArray:
        if a.dtype != np.float64 or b.dtype != np.float64 or a.shape != bits.shape \
                or b.shape != bits.shape:
            out: FloatArray = np.where(mask, a, b)
            return out
        bb = b.view(np.int64)
        r = np.bitwise_xor(a.view(np.int64), bb)
        r &= bits
        r ^= bb
        sel: FloatArray = r.view(np.float64)
        return sel
    return pick


def _call_doubling(s: _Sampler, fc: FlowCall, one: Callable[[], Draw]) -> Draw:
    """`xN` from one draw of the call: a block of 2^j calls is the block of 2^(j-1) plus
    the same block with its samples shuffled (an independent copy, to the sampling error),
    and N is the sum (or the maximum) of the blocks of its binary digits. log2(N) array
    operations, whatever N, and the subtree is drawn once (docs/analyses/latency.md)."""
    import numpy as np

    block = one()
    n = len(block[0])

    def shuffled(draw: Draw) -> Draw:
        perm = s.rng.permutation(n) if s.rng is not None else np.arange(n)
        return draw[0][perm], {k: [v[i][perm] for i in range(3)] for k, v in draw[1].items()}

    out: Draw | None = None
    count = fc.count
    while True:
        if count & 1:      # shuffled again: the blocks share samples otherwise
            out = block if out is None else _combine(s, out, shuffled(block), fc.parallel)
        count >>= 1
        if not count:
            assert out is not None, "the top bit of the count is 1"
            return out
        block = _combine(s, block, shuffled(block), fc.parallel)


def _repeat(s: _Sampler, fc: FlowCall, one: Callable[[], Draw]) -> Draw:
    """``xN``: N draws of the call, summed (sequential) or the slowest (parallel)."""

    total, hops = one()
    for _ in range(fc.count - 1):
        t, h = one()
        if fc.parallel:
            pick = _picker(t > total)
            total = pick(t, total)
            for k, parts in h.items():
                best = hops[k]
                for i in range(3):
                    best[i] = pick(parts[i], best[i])
        else:
            total = total + t
            _add_hops(hops, h)
    return total, hops


def _evaluate(s: _Sampler, tree: FlowNode, n: int) -> Draw:
    at = s.pick(tree.component, n, False)
    return _node(s, tree, at, None, s.zeros(n), False)


# ---- the analysis ---------------------------------------------------------------------------
def _queues(design: Design, capacity: CapacityReport) -> tuple[dict[str, QueueWait], set[str]]:
    """Per component: (P(wait), wait rate per ms) of its M/M/c queue; and the saturated ones."""
    queues: dict[str, QueueWait] = {}
    saturated: set[str] = set()
    for name, cc in capacity.components.items():
        if cc.capacity_rps is None or name not in design.components:
            continue
        lam, mu, c = cc.load_rps, cc.capacity_rps, cc.serving_replicas
        if lam <= 0.0:
            continue
        if _quorum_path(store_of(design.components[name])):
            # M/M/1 at each node, at the hottest node's utilisation (x skew)
            rho = cc.utilisation
            if rho is None or rho <= 0.0:
                continue
            if c <= 0 or mu <= 0.0 or rho >= UNBOUNDED_AT:
                saturated.add(name)
                continue
            queues[name] = (rho, mu * (1.0 - rho) / 1000.0)
            continue
        if c <= 0 or mu <= 0.0 or lam >= c * mu * UNBOUNDED_AT:
            saturated.add(name)
            continue
        queues[name] = (erlang_c(c, lam / mu), (c * mu - lam) / 1000.0)
    return queues, saturated


def _reachable(tree: FlowNode, down: Down = NO_DOWN) -> list[FlowNode]:
    """Nodes of the synchronous request that a request visits with positive probability."""
    out = [tree]
    if tree.ends_request:
        return out
    if tree.kind in ("cache", "cdn") and (tree.component.hit_ratio or 0.0) >= 1.0:
        return out
    for fc in tree.calls:
        if fc.targets:
            out += _reachable(route(fc, down), down)
    return out


def _visits(node: FlowNode, down: Down = NO_DOWN) -> int:
    """Components one request visits if every cache missed (counts included, client not)."""
    own = 0 if node.kind == "client" else 1
    if node.ends_request:
        return own
    return own + sum(fc.count * _call_visits(fc, down) for fc in node.calls if fc.targets)


def _call_visits(fc: FlowCall, down: Down) -> int:
    target = route(fc, down)
    st = store_of(target.component)
    if _quorum_path(st) and fc.call.scatter:
        return st.shards * st.rf + _visits(target, down) - 1
    return _visits(target, down)


def samples_for(tree: FlowNode, cap: int = SAMPLES, down: Down = NO_DOWN) -> int:
    """Monte Carlo samples for a flow: ``BUDGET // visits`` rounded down to a thousand,
    between ``MIN_SAMPLES`` and ``cap`` (200,000); visits along the routes under ``down``."""
    n = BUDGET // max(1, _visits(tree, down)) // 1000 * 1000
    return max(min(MIN_SAMPLES, cap), min(cap, n))


def sized_samples(x_sorted: FloatArray | Sequence[float], cap: int) -> int:
    """The samples a flow needs for its p99 error to reach ``P99_ERROR_TARGET``, from the
    sorted pilot draw ``x_sorted`` (or one sorted where these read it:
    ``sorted_where_read``): the interval's half-width shrinks as 1/sqrt(n), so
    ``n = 1.25 * pilot * (error / (target * p99))^2`` (the pilot's error is itself an
    estimate: a quarter more), rounded up to a thousand, between the pilot and ``cap``
    (``samples_for``)."""
    import math

    pilot = len(x_sorted)
    p99 = quantile_sorted(x_sorted, 0.99)
    err = quantile_ci_halfwidth(x_sorted, 0.99)
    if p99 <= 0.0 or err <= 0.0:
        return pilot
    need = math.ceil(PILOT_MARGIN * pilot * (err / (P99_ERROR_TARGET * p99)) ** 2
                     / 1000.0) * 1000
    return max(pilot, min(cap, need))


def _monte_carlo(design: Design, queues: Mapping[str, QueueWait], down: Down, plan: Plan | None,
                 flow: str, tree: FlowNode, samples: int) -> tuple[FloatArray, Hops, int]:
    """(total, hops, n) of the Monte Carlo run of ``flow``. ``samples`` is the cap
    (``samples_for``); with the default cap the run is sized to the error target from a
    pilot of ``PILOT`` samples (the pilot is the run when it is enough), and a flow whose
    pilot asks for the cap or more draws exactly the cap, as a fixed count would. An
    explicit ``samples`` is a fixed count."""
    cap = samples_for(tree, samples, down)
    n = cap
    # A design with timeouts, retries or hedges is judged beyond p99 (P(L > T), hedged
    # p999): its flows are drawn at the cap, as before.
    if samples == SAMPLES and cap > PILOT and plan is None:

        total, hops = _evaluate(_sampler(design, queues, _rng(flow), down, plan, flow), tree,
                                PILOT)
        n = sized_samples(sorted_where_read(total, [0.99], [0.99]), cap)
        if n == PILOT:
            return total, hops, n
    total, hops = _evaluate(_sampler(design, queues, _rng(flow), down, plan, flow), tree, n)
    return total, hops, n


def _rng(flow: str) -> np.random.Generator:
    import numpy as np

    return np.random.default_rng([SEED, zlib.crc32(flow.encode("utf-8"))])


def flow_samples(design: Design, flow: str, capacity: CapacityReport,
                 samples: int = SAMPLES, down: Down | tuple[str, ...] = NO_DOWN,
                 plan: Plan | None = None) -> tuple[FloatArray, Hops, bool]:
    """(total, hops, exact): per-sample request times (ms) of ``flow`` and each hop's parts.

    ``exact`` is True when nothing on the flow is random; then ``total`` has one sample.
    Raises ValueError when the flow is unbounded (a component at or over 100%).
    """
    down = as_down(design, down)
    tree = flow_tree(design, flow)
    queues, saturated = _queues(design, capacity)
    hit = sorted({n.name for n in _reachable(tree, down) if n.name in saturated})
    if hit:
        raise ValueError(f"flow {flow} is unbounded at {', '.join(hit)}")
    try:
        total, hops = _evaluate(_sampler(design, queues, None, down, plan, flow), tree, 1)
        return total, hops, True
    except _Stochastic:
        pass
    total, hops, _ = _monte_carlo(design, queues, down, plan, flow, tree, samples)
    return total, hops, False


THREADS = 2       # flows timed at once (numpy releases the GIL while it draws; each holds
                  # its samples: more threads, more memory)


def analyze_latency(design: Design, capacity: CapacityReport, samples: int = SAMPLES,
                    down: Down | tuple[str, ...] = NO_DOWN,
                    flows: Iterable[str] | None = None, plan: Plan | None = None
                    ) -> LatencyReport:
    """Percentiles, hop breakdown and latency SLOs of every flow.

    ``down`` (names or a resolved ``Down``, as given to ``analyze_capacity`` for the report
    ``capacity``): a call with alternatives is timed on the first alternative that can still
    serve, and a request is sent only to replicas that are not forced down.
    ``flows``: the flows to time (None: every flow); each flow is timed on its own, so
    leaving some out does not change the others' figures."""
    from concurrent.futures import ThreadPoolExecutor

    down = as_down(design, down)
    queues, saturated = _queues(design, capacity)
    # Flows are independent (each has its own random stream), so they run on a few threads;
    # numpy releases the GIL while it draws and adds. The figures do not depend on it.
    names = list(design.flows) if flows is None else [f for f in design.flows if f in flows]
    workers = max(1, min(THREADS, len(names)))   # fixed: no reading of the machine
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = pool.map(lambda name: _flow_latency(design, name, queues, saturated, samples,
                                                   down, plan),
                        names)
        timed = {fl.name: fl for fl in done}
    return LatencyReport(flows=timed)


def _sampler(design: Design, queues: Mapping[str, QueueWait], rng: np.random.Generator | None,
             down: Down, plan: Plan | None, flow: str) -> _Sampler:
    s = _Sampler(design, queues, rng, down, design.flows[flow].consistency)
    s.plan, s.flow = plan, flow
    return s


def _flow_latency(design: Design, name: str, queues: Mapping[str, QueueWait],
                  saturated: set[str], samples: int, down: Down, plan: Plan | None = None
                  ) -> FlowLatency:
    import numpy as np

    flow = design.flows[name]
    tree = flow_tree(design, flow)
    hit = [n.name for n in _reachable(tree, down) if n.name in saturated]
    if hit:
        unbounded_at = tuple(dict.fromkeys(hit))
        failed = tuple(SloResult(kind="latency", target=s.target, actual=None, status="fail",
                                 percentile=s.percentile, margin=None, span=s.span)
                       for s in flow.slos if s.kind == "latency")
        return FlowLatency(name=name, p50=None, p90=None, p99=None, p999=None, mean=None,
                           unbounded=True, unbounded_at=unbounded_at, slos=failed,
                           method="unbounded: utilisation at or over 100%")
    error: float | None
    try:
        total, hops = _evaluate(_sampler(design, queues, None, down, plan, name), tree, 1)
        method, error = "exact", 0.0
    except _Stochastic:
        total, hops, n = _monte_carlo(design, queues, down, plan, name, tree, samples)
        method = f"monte carlo, {n} samples, seed {SEED}+crc32(flow)"
        error = None

    asked = [(s.percentile or 99.0) / 100.0 for s in flow.slos if s.kind == "latency"]
    x = sorted_where_read(total, [p / 100.0 for p in (50, 90, 99, 99.9)] + asked, [0.99])
    q = {p: quantile_sorted(x, p / 100.0) for p in (50, 90, 99, 99.9)}
    mean = float(total.mean())
    if error is None:
        error = quantile_ci_halfwidth(x, 0.99)
    tail = np.flatnonzero(total >= q[99])     # few: by index, not by mask
    tail_mean = float(total[tail].mean())

    hop_list: list[HopLatency] = []
    for (comp, via), (t, net, que) in hops.items():
        m = float(t.mean())
        p = float(t[tail].mean())
        hop_list.append(HopLatency(
            name=comp, via=via, mean_ms=m, share_of_mean=m / mean if mean > 0 else 0.0,
            p99_ms=p, share_of_p99=p / tail_mean if tail_mean > 0 else 0.0,
            hop_p99_ms=_upper_quantile(t, 0.99) if len(t) > 1 else float(t.mean()),
            network_ms=float(net.mean()), queueing_ms=float(que.mean())))

    slos: list[SloResult] = []
    for s in flow.slos:
        if s.kind != "latency":
            continue
        actual = quantile_sorted(x, (s.percentile or 99.0) / 100.0)
        slos.append(SloResult(kind="latency", target=s.target, actual=actual,
                              status="pass" if actual <= s.target else "fail",
                              percentile=s.percentile, margin=s.target - actual, span=s.span))
    return FlowLatency(name=name, p50=q[50], p90=q[90], p99=q[99], p999=q[99.9], mean=mean,
                       hops=tuple(hop_list), slos=tuple(slos), method=method,
                       error_ms=error)


def _upper_quantile(t: FloatArray, q: float) -> float:
    """``np.quantile(t, q)`` (its default 'linear' method), bit for bit, for a ``q`` near 1:
    the two order statistics it interpolates are found among the samples at or above a
    threshold read off a sixteenth of them, not by partitioning all of them; its
    interpolation (numpy's ``_lerp``) is repeated as it is. Any doubt: ``quantile_linear``
    (distributions.py: np.quantile, bit for bit, without its numpy.ma import)."""
    import math

    import numpy as np

    n = len(t)
    vi = (n - 1) * q
    lo = math.floor(vi)
    hi = min(lo + 1, n - 1)
    sub = t[::16]
    m = len(sub)
    r = int(m * q) - 4 * math.ceil(math.sqrt(m * q * (1.0 - q))) - 8   # well below rank lo
    if n < 4096 or r <= 0 or vi >= n - 1 or math.isnan(float(t.max())):
        return quantile_linear(t, q)
    thr = np.partition(sub, r)[r]
    cand = t[t >= thr]
    below = n - len(cand)                  # the smallest ``below`` samples: under thr
    if below > lo:
        return quantile_linear(t, q)
    part = np.partition(cand, [lo - below, hi - below])
    a, b = part[lo - below], part[hi - below]
    g = np.float64(vi) - np.float64(lo)
    diff = b - a
    return float(b - diff * (1 - g) if g >= 0.5 else a + diff * g)
