"""Stores as real engines behave: copies, quorums and shards on a ring (docs/analyses/data-tier.md).

A *store* is a database or cache whose data the data tier models: one with replication
(``leader_follower``, ``multi_leader``, ``leaderless``) or sharding. Its ``replicas`` are
its **nodes**, 0-based index ``i`` here, named ``name[i + 1]`` in reports like any replica;
node ``i`` runs at ``placement[i % len(placement)]`` (round-robin, as replicas do).

The data is cut into ``shards`` pieces on a ring; shard ``s`` (0-based) is held by the
``rf`` consecutive nodes ``s, s + 1, ..., s + rf - 1`` (mod nodes). So shards ``s`` and
``s + nodes`` lie on the same nodes: the distinct *windows* are the starts
``w = 0 .. min(shards, nodes) - 1``, window ``w`` holding ``weight(w)`` = (number of shards
``s < shards`` with ``s % nodes == w``) / shards of the keys.

* leader_follower / multi_leader, not sharded: one shard, all ``F + 1`` nodes hold it;
* leaderless, not sharded: ``rf`` = nodes by default (one shard on every node); with
  ``rf`` < nodes, one range per node (``shards`` = nodes), as Cassandra with one token per
  node;
* sharded: ``shards`` = N of ``sharding hash|range N``.

An operation succeeds on a shard when ``q`` of the shard's ``rf`` copies are up (its
quorum, ``Op.quorum``); a single-key operation touches one shard, each equally likely, so
its success is the weighted mean over windows; a ``scatter`` operation needs every shard.
Leader operations (writes and leader reads of leader_follower) are further multiplied by the
failover factor ``1 - T / MTBF`` of every leader they need (``Store.failover``).

Pure functions: the engines (availability.py, montecarlo.py, spof.py) call these.

Size: one model of a store: its ring (which nodes hold each shard), its operations and their
quorums, and an operation's success (exact, enumerated over node states, per Monte Carlo
trial), which every engine reads; split, each part would rebuild the ring's tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, cast

from archlang.analysis.common import failover_factor
from archlang.model.design import Component

if TYPE_CHECKING:  # pragma: no cover
    from archlang.analysis.arrays import BoolArray, FloatArray

__all__ = ["Op", "Store", "at_least", "op_for", "scatter_success", "single_success",
           "store_of", "structural_success"]

#: Nodes whose states the exact engine enumerates to get the distribution of a store's
#: success (2^16 states); beyond, a store that needs its distribution sends the flow to the
#: Monte Carlo fallback.
ENUMERATE_NODES = 16


@dataclass(frozen=True)
class Op:
    """What one call does to a store: the copies it needs per shard, whether it needs every
    shard (``scatter``) and whether it needs the leader (``leader``: failover factor)."""

    name: str                 # "read", "read_leader", "write", and "scatter_" + those
    quorum: int
    scatter: bool
    leader: bool


@dataclass(frozen=True)
class Store:
    name: str
    style: str                # "leader_follower" | "multi_leader" | "leaderless" | "none"
    nodes: int
    rf: int
    shards: int
    read_quorum: int
    write_quorum: int
    sync_mode: str | None     # leader_follower / multi_leader: sync | semi_sync | async
    failover: float           # factor 1 - min(T / MTBF, 1) of one leader's failures
    skew: float
    cache: bool
    #: ``sharding range`` with ``key sequential``: every new key is the highest so far and
    #: lands in the last shard, so every single-key write goes to that shard's copies.
    sequential: bool = False

    # ---- placement -------------------------------------------------------------------------
    @property
    def windows(self) -> int:
        """Distinct sets of nodes holding a shard: min(shards, nodes)."""
        return min(self.shards, self.nodes)

    def window_nodes(self, w: int) -> tuple[int, ...]:
        return self._window_table[w]

    @cached_property
    def _window_table(self) -> tuple[tuple[int, ...], ...]:
        n = self.nodes
        return tuple(tuple((w + j) % n for j in range(self.rf)) for w in range(self.windows))

    def node_windows(self, i: int) -> tuple[int, ...]:
        """The windows node ``i`` holds a copy of: i, i - 1, ..., i - rf + 1 (mod nodes)."""
        return self._node_table[i]

    @cached_property
    def _node_table(self) -> tuple[tuple[int, ...], ...]:
        n, windows = self.nodes, self.windows
        return tuple(tuple(w for w in sorted({(i - j) % n for j in range(self.rf)})
                           if w < windows) for i in range(n))

    def shard_nodes(self, s: int) -> tuple[int, ...]:
        """Nodes (0-based) holding shard ``s`` (0-based): s, s + 1, ..., s + rf - 1 mod nodes."""
        return self.window_nodes(s % self.nodes)

    @property
    def weights(self) -> tuple[float, ...]:
        """Share of the keys in each window (shards of the window / shards)."""
        n, s = self.nodes, self.shards
        return tuple(((s - w - 1) // n + 1) / s for w in range(self.windows))

    @property
    def sharded(self) -> bool:
        return self.shards > 1

    @property
    def last_window(self) -> int:
        """The window of the last shard (shards - 1): where a sequential key's writes go."""
        return (self.shards - 1) % self.nodes

    def sequential_writes(self, op: Op) -> bool:
        """Does ``op`` put every request on the last shard (a single-key write with a
        sequential key on a range-sharded store)?"""
        return self.sequential and not op.scatter and op.name == "write"

    def op_weights(self, op: Op) -> tuple[float, ...]:
        """Share of ``op``'s requests on each window: the keys' share (``weights``), or, for
        a sequential key's writes, all of them on the last shard's window."""
        if self.sequential_writes(op):
            return tuple(1.0 if w == self.last_window else 0.0 for w in range(self.windows))
        return self.weights

    # ---- operations ------------------------------------------------------------------------
    def op(self, kind: str, scatter: bool = False) -> Op:
        """``kind``: "read", "read_leader" or "write"."""
        leader = False
        if kind == "write":
            if self.style in ("leader_follower", "multi_leader"):
                q = {"sync": self.rf, "semi_sync": min(2, self.rf)}.get(self.sync_mode or "", 1)
                leader = self.style == "leader_follower"
            else:
                q = self.write_quorum
        elif kind == "read_leader":
            q, leader = 1, True
        else:
            q = self.read_quorum if self.style in ("leaderless", "none") else 1
        name = ("scatter_" if scatter else "") + kind
        return Op(name=name, quorum=q, scatter=scatter, leader=leader)

    def leaders(self, op: Op) -> int:
        """Leaders an operation needs: one per shard it touches (distinct windows)."""
        if not op.leader:
            return 0
        return self.windows if op.scatter else 1


def store_of(c: Component) -> Store | None:
    """The store model of a component, or None when the data tier does not model it."""
    if c.rf is None or c.kind not in ("database", "cache"):
        return None
    style = c.replication or "none"
    nodes = c.replicas
    if c.sharding in ("hash", "range"):
        shards = c.shards
    elif c.rf >= nodes:
        shards = 1
    else:
        shards = nodes
    fo = 1.0
    if style == "leader_follower":
        fo = failover_factor("active_passive", c.failover_s, c.mtbf_s)
    return Store(name=c.name, style=style, nodes=nodes, rf=c.rf, shards=shards,
                 read_quorum=c.read_quorum or 1, write_quorum=c.write_quorum or 1,
                 sync_mode=c.sync_mode, failover=fo, skew=c.skew, cache=c.kind == "cache",
                 sequential=c.sharding == "range" and c.key_order == "sequential"
                 and shards > 1)


def op_for(store: Store, write: bool, scatter: bool, consistency: str | None) -> Op:
    """The operation of a call: a write, a read, or a read that must go to the leader
    (``consistency strong``, or ``read_your_writes`` against async followers)."""
    if write:
        return store.op("write", scatter)
    if store.style == "leader_follower" and (
            consistency == "strong"
            or (consistency == "read_your_writes" and store.sync_mode == "async")):
        return store.op("read_leader", scatter)
    return store.op("read", scatter)


# ---- probabilities ---------------------------------------------------------------------------
def at_least(q: int, probs: Sequence[float]) -> float:
    """P(at least q of independent events with these probabilities), Poisson-binomial.

    The shards of a ring repeat a few patterns of node probabilities (one per offset into
    the placement), so each pattern's distribution is computed once."""
    if q <= 0:
        return 1.0
    if q > len(probs):
        return 0.0
    return _at_least(q, tuple(probs))


# Above this many copies the O(n^2) recurrence runs as n vector steps (numpy), so `rf 1000`
# costs milliseconds; below it, plain floats (the figures of every real design).
_VECTOR_FROM = 64


@lru_cache(maxsize=4096)
def _at_least(q: int, probs: tuple[float, ...]) -> float:
    if len(probs) >= _VECTOR_FROM:
        import numpy as np

        vec = np.zeros(len(probs) + 1)
        vec[0] = 1.0
        for k, p in enumerate(probs):
            vec[1:k + 2] = vec[1:k + 2] * (1.0 - p) + vec[:k + 1] * p
            vec[0] *= 1.0 - p
        return min(1.0, math.fsum(vec[q:].tolist()))
    dist = [1.0]                     # dist[j] = P(j up so far)
    for p in probs:
        nxt = [0.0] * (len(dist) + 1)
        for j, x in enumerate(dist):
            nxt[j] += x * (1.0 - p)
            nxt[j + 1] += x * p
        dist = nxt
    return math.fsum(dist[q:])


def single_success(store: Store, op: Op, p: Sequence[float]) -> float:
    """Expected success of a single-key operation given each node's P(up): the mean over
    shards of P(the shard has its quorum), times the failover factor of its leader."""
    total = math.fsum(wt * at_least(op.quorum, [p[i] for i in store.window_nodes(w)])
                      for w, wt in enumerate(store.op_weights(op)) if wt > 0.0)
    return total * (store.failover if op.leader else 1.0)


def scatter_success(store: Store, op: Op, p: Sequence[float]) -> float:
    """P(every shard has its quorum) given each node's P(up) (nodes independent), times the
    failover factor of every leader. Exact: a transfer over the ring that carries the
    states of the first and the last rf - 1 nodes (2^(2 (rf - 1)) states)."""
    factor = store.failover ** store.leaders(op)
    n, rf, q = store.nodes, store.rf, op.quorum
    need = set(range(store.windows))
    if rf == n or n <= 2 * (rf - 1) + 1 or n <= 12:
        return factor * _scatter_enumerate(store, q, tuple(p), tuple(sorted(need)))
    k = rf - 1
    total = 0.0
    for head in range(1 << k):             # states of nodes 0 .. k-1
        ph = 1.0
        for j in range(k):
            ph *= p[j] if head >> j & 1 else 1.0 - p[j]
        if ph == 0.0:
            continue
        # last k node states (bit j = node i - k + 1 + j), probability
        cur = {head: ph}
        for i in range(k, n):
            nxt: dict[int, float] = {}
            for st, pr in cur.items():
                for up in (1, 0):
                    pu = p[i] if up else 1.0 - p[i]
                    if pu == 0.0:
                        continue
                    win = (st | (up << k))            # nodes i-k .. i
                    w = i - k                          # window starting at i - k
                    if w in need and bin(win).count("1") < q:
                        continue
                    ns = win >> 1
                    nxt[ns] = nxt.get(ns, 0.0) + pr * pu
            cur = nxt
        for st, pr in cur.items():                     # wrap: windows n-k .. n-1
            ok = True
            for w in range(n - k, n):
                cnt = 0
                for j in range(rf):
                    node = (w + j) % n
                    if node >= n - k:
                        cnt += st >> (node - (n - k)) & 1
                    else:
                        cnt += head >> node & 1
                if w in need and cnt < q:
                    ok = False
                    break
            if ok:
                total += pr
    return factor * total


@lru_cache(maxsize=4096)
def _scatter_enumerate(store: Store, q: int, p: tuple[float, ...], need: tuple[int, ...]
                       ) -> float:
    var = [i for i, x in enumerate(p) if 0.0 < x < 1.0]
    base = [1 if x >= 1.0 else 0 for x in p]
    total = 0.0
    for mask in range(1 << len(var)):
        st = list(base)
        pr = 1.0
        for j, i in enumerate(var):
            if mask >> j & 1:
                st[i] = 1
                pr *= p[i]
            else:
                pr *= 1.0 - p[i]
        if all(sum(st[x] for x in store.window_nodes(w)) >= q for w in need):
            total += pr
    return total


def success(store: Store, op: Op, p: Sequence[float]) -> float:
    """Expected success of ``op`` given each node's P(up) (independent nodes)."""
    if op.scatter:
        return scatter_success(store, op, p)
    return single_success(store, op, p)


def structural_success(store: Store, op: Op, up: Sequence[bool]) -> float:
    """Success of ``op`` with these nodes up and the others down, failover ignored: the
    share of keys whose shard has its quorum (single key), or 1 / 0 (scatter)."""
    return structural_success_down(store, op, frozenset(i for i, u in enumerate(up) if not u))


def structural_success_down(store: Store, op: Op, down: frozenset[int]) -> float:
    """:func:`structural_success` with the nodes ``down`` down and every other up: only the
    windows of the down nodes are counted (the others keep all rf copies)."""
    lost: dict[int, int] = {}
    for i in down:
        for w in store.node_windows(i):
            lost[w] = lost.get(w, 0) + 1
    spare = store.rf - op.quorum          # copies a window can lose and keep its quorum
    failed = [w for w, k in lost.items() if k > spare]
    if op.quorum > store.rf:
        return 0.0
    if op.scatter:
        return 0.0 if failed else 1.0
    weights = store.op_weights(op)
    if not any(weights[w] > 0.0 for w in failed):
        return math.fsum(weights)
    bad = set(failed)
    return math.fsum(wt for w, wt in enumerate(weights) if w not in bad)


def vector_success(store: Store, op: Op, up: BoolArray,
                   failover_up: BoolArray | None = None) -> FloatArray:
    """Per-trial success of ``op`` (numpy): ``up`` is a (nodes, trials) boolean matrix;
    ``failover_up`` a (leaders, trials) boolean matrix of the failover pseudo-events of the
    windows' leaders (window w uses row w), or None."""
    import numpy as np

    trials = up.shape[1]
    ok = np.empty((store.windows, trials), dtype=bool)
    for w in range(store.windows):
        cnt = np.zeros(trials, dtype=np.int32)
        for i in store.window_nodes(w):
            cnt += up[i]
        ok[w] = cnt >= op.quorum
    if op.leader and failover_up is not None:
        ok &= failover_up[: store.windows]
    # (trials,) arrays, reduced over the windows or (windows,) @ (windows, trials): the stubs
    # also allow a scalar
    if op.scatter:
        return cast("FloatArray", ok.all(axis=0).astype(np.float64))
    weights = np.array(store.op_weights(op))
    return cast("FloatArray", weights @ ok.astype(np.float64))


def state_distribution(store: Store, ops: Sequence[Op], p: Sequence[float]
                       ) -> list[tuple[tuple[float, ...], float]] | None:
    """The distribution of the tuple (success of each op) over the node states and, for a
    store with one leader, its failover pseudo-event (up with the failover factor); None
    when more than ENUMERATE_NODES nodes are uncertain or a sharded leader store would need
    a pseudo-event per leader (the caller falls back to Monte Carlo)."""
    var = [i for i, x in enumerate(p) if 0.0 < x < 1.0]
    if len(var) > ENUMERATE_NODES:
        return None
    uses_leader = any(o.leader for o in ops) and store.failover < 1.0
    if uses_leader and store.windows > 1:
        return None
    if store.windows == 1 and len(var) <= PLAIN_NODES:
        prob, cols = _plain_states(store, ops, p, var)
    else:
        prob, cols = _vector_states(store, ops, p, var)
    out: dict[tuple[float, ...], float] = {}
    for fb, pf in ((1, store.failover), (0, 1.0 - store.failover)) if uses_leader else ((1, 1.0),):
        if pf <= 0.0:
            continue
        for k, pk in enumerate(prob):
            key = tuple(c[k] * (fb if o.leader else 1) for c, o in zip(cols, ops))
            out[key] = out.get(key, 0.0) + pk * pf
    return sorted(out.items(), key=lambda kv: kv[0], reverse=True)


#: Uncertain nodes up to which a one-window store's states are enumerated in plain Python
#: (2^6 states): numpy's import costs more than that many states, and a diagram of a design
#: whose stores are small needs no numpy at all. The figures are bit for bit those of
#: :func:`_vector_states` (the same products in the same order; one window's success is its
#: weight or 0).
PLAIN_NODES = 6


def _plain_states(store: Store, ops: Sequence[Op], p: Sequence[float], var: list[int]
                  ) -> tuple[list[float], list[list[float]]]:
    """(P(state), each op's success per state) over the 2^len(var) states of a store with
    one window: state k has uncertain node var[j] up when bit j of k is set."""
    copies = store.window_nodes(0)
    sure = sum(1 for i in copies if i not in var and p[i] >= 1.0)
    held = [j for j, i in enumerate(var) if i in copies]
    prob: list[float] = []
    ups: list[int] = []
    for k in range(1 << len(var)):
        pr = 1.0
        for j, i in enumerate(var):
            pr *= p[i] if k >> j & 1 else 1.0 - p[i]
        prob.append(pr)
        ups.append(sure + sum(k >> j & 1 for j in held))
    cols = []
    for o in ops:
        weight = 1.0 if o.scatter else store.op_weights(o)[0]
        cols.append([weight if u >= o.quorum else 0.0 for u in ups])
    return prob, cols


def _vector_states(store: Store, ops: Sequence[Op], p: Sequence[float], var: list[int]
                   ) -> tuple[list[float], list[list[float]]]:
    """:func:`_plain_states` for any store, with numpy (up to 2^ENUMERATE_NODES states)."""
    import numpy as np

    m = len(var)
    masks = np.arange(1 << m, dtype=np.int64)
    up = np.empty((store.nodes, 1 << m), dtype=bool)
    prob = np.ones(1 << m)
    j = 0
    for i, x in enumerate(p):
        if 0.0 < x < 1.0:
            bit = (masks >> j & 1).astype(bool)
            up[i] = bit
            prob *= np.where(bit, x, 1.0 - x)
            j += 1
        else:
            up[i] = x >= 1.0
    cols: list[list[float]] = [vector_success(store, o, up).tolist() for o in ops]
    probs: list[float] = prob.tolist()
    return probs, cols
