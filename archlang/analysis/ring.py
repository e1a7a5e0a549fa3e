"""Load on the nodes of a store's ring (docs/analyses/data-tier.md, "Capacity").

Every operation on a shard costs node operations on the shard's copies (``quorum.Store``:
shard ``s`` on nodes ``s .. s + rf - 1`` mod nodes):

* a read costs ``R`` node operations (``read_quorum``; 1 for a leader-follower store), shared
  by the shard's up copies: each up copy takes ``min(R, up) / up`` of the shard's reads;
* a leader read (``consistency strong`` on a leader-follower store) costs 1, on the shard's
  leader: its first up copy (the window's start, or the follower promoted in its place);
* a write costs ``rf`` node operations: every up copy applies it;
* a ``scatter`` call does that on every shard.

Keys are spread over the windows: with at least as many shards as nodes each of the
``nodes`` windows holds ``1 / nodes`` of the keys (consistent hashing spreads keys, not
shard counts); with fewer shards than nodes, window ``w`` holds its shards' share
(``Store.weights``). The hottest node takes ``skew`` times its share (``skew``, default 1).

After losing nodes (``up`` false) a shard's reads go to its remaining copies: the load moves
to the ring neighbours that hold the lost node's shards, not evenly over the ring. The share
of keys whose owner (the shard's first up copy) moved is the share of the windows whose first
copy is down; a shard with no copy left is lost (for a sharded cache: its keys miss).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from archlang.analysis.quorum import Op, Store


@dataclass(frozen=True)
class RingLoad:
    nodes: tuple[float, ...]      # node operations per second on each node (before skew)
    keys_moved: float             # share of keys whose owner is not the window's first node
    lost: float                   # share of keys whose shard has no up copy


def key_weights(store: Store, op: Op | None = None) -> tuple[float, ...]:
    """Share of keys in each window: 1 / nodes each with shards >= nodes, else by shards;
    for ``op`` a sequential key's write (``Store.sequential_writes``), all on the last
    shard's window."""
    if op is not None and store.sequential_writes(op):
        return store.op_weights(op)
    if store.shards >= store.nodes:
        return tuple(1.0 / store.nodes for _ in range(store.nodes))
    return store.weights


def ring_load(store: Store, rates: Mapping[Op, float], up: Sequence[bool] | None = None
              ) -> RingLoad:
    """Node operations per node for operation rates ``rates`` (requests per second per op),
    with the nodes ``up`` (all by default)."""
    n = store.nodes
    up = list(up) if up is not None else [True] * n
    loads = [0.0] * n
    moved = 0.0
    lost = 0.0
    for w, wt in enumerate(key_weights(store)):
        copies = store.window_nodes(w)
        if not up[copies[0]]:
            moved += wt
        if not any(up[i] for i in copies):
            lost += wt
    for op, rate in rates.items():
        if rate <= 0.0:
            continue
        kind = op.name.removeprefix("scatter_")
        for w, wt in enumerate(key_weights(store, op)):
            alive = [i for i in store.window_nodes(w) if up[i]]
            if not alive or wt <= 0.0:
                continue
            share = rate * wt * (store.shards if op.scatter else 1)
            if op.scatter and store.shards >= store.nodes:
                share = rate * store.shards / n           # shards per window, spread
            if kind == "write":
                for i in alive:
                    loads[i] += share
            elif kind == "read_leader":
                loads[alive[0]] += share
            else:
                each = share * min(op.quorum, len(alive)) / len(alive)
                for i in alive:
                    loads[i] += each
    return RingLoad(nodes=tuple(loads), keys_moved=moved, lost=lost)


def hottest(store: Store, load: RingLoad) -> tuple[int, float]:
    """(node index, its load times ``skew``): the first of the most loaded nodes."""
    if not load.nodes:
        return 0, 0.0
    top = max(load.nodes)
    j = next(i for i, x in enumerate(load.nodes) if x >= top * (1 - 1e-12))
    return j, top * store.skew


def total_ops(load: RingLoad) -> float:
    return math.fsum(load.nodes)
