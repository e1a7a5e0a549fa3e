"""Rules about data: caching policies, queues, replication, sharding, stores of record.

Size: the data-tier rules, one class each; about half of it is their documentation (the
docstrings docs/rules.md and `explain` print).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from archlang.analysis.common import Finding
from archlang.model.design import Call, Component, Design
from archlang.rules.base import Rule, register

if TYPE_CHECKING:
    from archlang.analysis.quorum import Op, Store

_IN_MEMORY_ENGINES = {"redis", "memcached", "memcache", "hazelcast", "ignite"}


@register
class WriteBackCache(Rule):
    """
    What it does
    ------------
    Flags a cache with `write_policy write_back` in front of a database or object storage.

    Why is this bad?
    ----------------
    A write-back cache acknowledges a write before the data reaches the store behind it. If
    the cache node fails before it flushes, acknowledged writes are lost. That is fine for
    counters you can rebuild, not for orders or payments.

    Example
    -------
    ```arch
    cache carts { write_policy write_back }
    database orders { }
    carts -> orders
    ```

    Use instead
    -----------
    `write_policy write_through` (the store has every acknowledged write) or
    `write_around` (writes go straight to the store), or make the cache durable.
    """

    code = "AL401"
    name = "write-back-cache"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        for c in design.components.values():
            if c.kind != "cache" or c.write_policy != "write_back":
                continue
            stores = [t for call in design.calls_from(c.name) for t in call.targets
                      if design.components[t].kind in ("database", "storage")]
            if stores:
                yield self.finding(
                    f"cache '{c.name}' is write_back in front of '{stores[0]}': acknowledged "
                    f"writes are lost if the cache fails before it flushes",
                    c.span, "use write_policy write_through or write_around", component=c.name)


@register
class NonDurableQueue(Rule):
    """
    What it does
    ------------
    Flags a queue declared `durable no`.

    Why is this bad?
    ----------------
    A producer's request ends when the queue accepts the message. If the queue keeps
    messages only in memory, a crash loses work that the producer was told had succeeded.

    Example
    -------
    ```arch
    queue emails { durable no }
    ```

    Use instead
    -----------
    ```arch
    queue emails { durable delivery at_least_once }
    ```
    """

    code = "AL402"
    name = "non-durable-queue"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        for c in design.components.values():
            if c.kind == "queue" and c.durable is False:
                yield self.finding(f"queue '{c.name}' is not durable: accepted messages are "
                                   f"lost when it fails", c.span,
                                   "declare it `durable` (replicated, written to disk)",
                                   component=c.name)


@register
class AsyncReplicationReadYourWrites(Rule):
    """
    What it does
    ------------
    Flags a flow with `consistency read_your_writes` that reads a database whose
    replication is asynchronous.

    Why is this bad?
    ----------------
    With asynchronous leader-follower replication a read served by a follower can miss a
    write the same user just made: the follower lags. The flow says it needs to see its own
    writes.

    Example
    -------
    ```arch
    database profiles { replication leader_follower followers 2 async }
    ```

    Use instead
    -----------
    Read from the leader in that flow, use `sync` replication, or route a user's reads to
    the replica that took their write.
    """

    code = "AL403"
    name = "async-replication-read-your-writes"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        for fl in design.flows.values():
            if fl.consistency != "read_your_writes":
                continue
            names = {h.name for p in fl.paths for h in p.hops}
            for n in sorted(names, key=list(design.components).index):
                c = design.components[n]
                if c.kind == "database" and c.replication in ("leader_follower", "multi_leader") \
                        and c.replication_sync is False:
                    yield self.finding(
                        f"flow '{fl.name}' needs read_your_writes but '{c.name}' replicates "
                        f"asynchronously: a read can miss the user's own write",
                        fl.span, "read from the leader, or use sync replication",
                        flow=fl.name, component=c.name)


@register
class MultiLeader(Rule):
    """
    What it does
    ------------
    Notes a database with `replication multi_leader`.

    Why is this bad?
    ----------------
    Several leaders accept writes to the same data; concurrent writes conflict and must be
    resolved (last writer wins loses data; CRDTs or application merges need design).

    Example
    -------
    ```arch
    database docs { replication multi_leader followers 2 async }
    ```

    Use instead
    -----------
    Leader-follower replication with failover, or a documented conflict-resolution strategy
    (and suppress this note with `# noqa: AL404` on the line).
    """

    code = "AL404"
    name = "multi-leader-replication"
    severity = "info"

    def check(self, design: Design) -> Iterator[Finding]:
        for c in design.components.values():
            if c.replication == "multi_leader":
                yield self.finding(f"'{c.name}' replicates multi_leader: concurrent writes "
                                   f"conflict and need a resolution strategy", c.span,
                                   "resolve conflicts (last writer wins, CRDTs, app merge) "
                                   "or send each key's writes to one leader",
                                   component=c.name)


@register
class SyncReplicationAcrossRegions(Rule):
    """
    What it does
    ------------
    Flags synchronous replication whose replicas are placed in more than one region.

    Why is this bad?
    ----------------
    Every write waits for the slowest follower; across regions that is a WAN round trip
    (tens to hundreds of milliseconds) on every write, and a region partition stalls writes.

    Example
    -------
    ```arch
    database ledger {
      replication leader_follower followers 1 sync
      placement us-east.a, eu-west.a
    }
    ```

    Use instead
    -----------
    Synchronous followers in other zones of the same region, and asynchronous followers in
    other regions.
    """

    code = "AL405"
    name = "sync-replication-across-regions"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        for c in design.components.values():
            if c.replication in ("leader_follower", "multi_leader") and c.replication_sync \
                    and len({p.region for p in c.placement}) > 1:
                yield self.finding(
                    f"'{c.name}' replicates synchronously across regions: every write waits "
                    f"for a cross-region round trip", c.span,
                    "keep sync followers in one region; replicate to others asynchronously",
                    component=c.name)


@register
class ShardedSql(Rule):
    """
    What it does
    ------------
    Notes a SQL database that is sharded.

    Why is this bad?
    ----------------
    Joins, foreign keys and transactions across shards are lost or become distributed
    transactions; queries without the shard key fan out to every shard.

    Example
    -------
    ```arch
    database orders { model sql sharding hash 8 }
    ```

    Use instead
    -----------
    Shard by a key that keeps related rows together (tenant, user), and keep cross-shard
    queries out of hot flows; or scale reads with followers first.
    """

    code = "AL406"
    name = "sharded-sql"
    severity = "info"

    def check(self, design: Design) -> Iterator[Finding]:
        for c in design.components.values():
            if c.kind == "database" and c.data_model == "sql" and c.sharding in ("range", "hash"):
                yield self.finding(f"SQL database '{c.name}' is sharded ({c.sharding} "
                                   f"{c.shards}): cross-shard joins and constraints are lost",
                                   c.span, "choose a shard key that keeps related rows together",
                                   component=c.name)


@register
class InMemoryStoreOfRecord(Rule):
    """
    What it does
    ------------
    Flags a `database` whose engine keeps data in memory (redis, memcached, ...).

    Why is this bad?
    ----------------
    An in-memory store loses what it has not persisted when it restarts. As the database of
    record, a crash loses data for good.

    Example
    -------
    ```arch
    database sessions { engine memcached }
    ```

    Use instead
    -----------
    Declare it a `cache` in front of a durable database, or use an engine that persists
    (and replicates) every write.
    """

    code = "AL407"
    name = "in-memory-store-of-record"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        for c in design.components.values():
            if c.kind == "database" and (c.engine or "").lower() in _IN_MEMORY_ENGINES:
                yield self.finding(f"database '{c.name}' uses the in-memory engine "
                                   f"'{c.engine}' as the store of record", c.span,
                                   "make it a cache in front of a durable database",
                                   component=c.name)


# ---- the data tier: quorums, CAP / PACELC, the ring (docs/analyses/data-tier.md) -----------
def _store_calls(design: Design, flow: str) -> Iterator[tuple[Component, Call]]:
    """(store component, call) for every call of a flow's request tree into a store the data
    tier models, each store once per flow, in tree order."""
    from archlang.analysis.quorum import store_of
    from archlang.graph import flow_tree

    seen: set[str] = set()
    for node in flow_tree(design, flow).walk():
        if node.ends_request:
            continue
        for fc in node.calls:
            for t in fc.targets:
                if t.name not in seen and store_of(t.component) is not None:
                    seen.add(t.name)
                    yield t.component, fc.call


@register
class QuorumsDoNotOverlap(Rule):
    """
    What it does
    ------------
    Flags a flow with `consistency strong` or `consistency read_your_writes` that uses a
    leaderless store whose read and write quorums do not overlap: `read_quorum` R plus
    `write_quorum` W at most `rf`.

    Why is this bad?
    ----------------
    A write is acknowledged by W of the rf copies and a read asks R of them. When
    R + W <= rf the R copies a read asks can all be copies the last write has not reached
    yet, so the read returns the old value (a sloppy quorum in Dynamo's terms). Cassandra's
    QUORUM / QUORUM (or ONE / ALL) is strong because R + W > rf; ONE / ONE is not.

    Example
    -------
    ```arch
    database carts { replication leaderless rf 3 read_quorum 1 write_quorum 1 }
    flow checkout { consistency strong  path users -> carts }
    ```

    Use instead
    -----------
    Quorums that overlap (`read_quorum 2 write_quorum 2` with `rf 3`, or R 1 with W = rf),
    or declare the flow's real need (`consistency eventual`).
    """

    code = "AL501"
    name = "quorums-do-not-overlap"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        from archlang.analysis.quorum import store_of

        for fl in design.flows.values():
            if fl.consistency not in ("strong", "read_your_writes"):
                continue
            for c, _ in _store_calls(design, fl.name):
                st = store_of(c)
                assert st is not None           # _store_calls yields modelled stores only
                if st.style not in ("leaderless", "none") or st.cache \
                        or st.read_quorum + st.write_quorum > st.rf:
                    continue
                yield self.finding(
                    f"flow '{fl.name}' needs {fl.consistency} consistency but '{c.name}' has "
                    f"read_quorum {st.read_quorum} + write_quorum {st.write_quorum} <= rf "
                    f"{st.rf}: a read quorum need not meet the last write's copies "
                    f"(stale reads)", fl.span,
                    f"make R + W > rf: read_quorum {st.rf - st.write_quorum + 1} with "
                    f"write_quorum {st.write_quorum}, or a majority of both",
                    flow=fl.name, component=c.name)


@register
class StrongReadFromAsyncReplication(Rule):
    """
    What it does
    ------------
    Flags a flow with `consistency strong` that uses a leader-follower or multi-leader
    database whose replication is `async`.

    Why is this bad?
    ----------------
    The flow's reads go to the leader, but an asynchronous leader acknowledges a write before
    any follower has it. When the leader fails, the follower promoted in its place may miss
    writes that were acknowledged, and reads after the failover go back in time; with
    several leaders, another leader may not have the write yet. In PACELC terms the store
    chose latency over consistency, which is what the flow says it cannot accept.

    Example
    -------
    ```arch
    database accounts { replication leader_follower followers 2 async }
    flow transfer { consistency strong  path users -> accounts }
    ```

    Use instead
    -----------
    `semi_sync` (one follower has every acknowledged write, as MySQL semi-synchronous
    replication) or `sync` followers, or a leaderless store with R + W > rf.
    """

    code = "AL502"
    name = "strong-read-from-async-replication"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        for fl in design.flows.values():
            if fl.consistency != "strong":
                continue
            for c, _ in _store_calls(design, fl.name):
                if c.kind != "database" or c.sync_mode != "async" \
                        or c.replication not in ("leader_follower", "multi_leader"):
                    continue
                why = ("a follower promoted after a failover may miss acknowledged writes"
                       if c.replication == "leader_follower" else
                       "another leader may not have the write yet")
                yield self.finding(
                    f"flow '{fl.name}' needs strong reads but '{c.name}' replicates "
                    f"{c.replication} async: {why} (PACELC: the store chose latency)",
                    fl.span, "use semi_sync or sync followers, or relax the flow's consistency",
                    flow=fl.name, component=c.name)


def _region_counts(c: Component, st: Store, w: int) -> dict[str, int]:
    placements = c.replica_placements()
    out: dict[str, int] = {}
    for i in st.window_nodes(w):
        p = placements[i]
        if p is not None:
            out[p.region] = out.get(p.region, 0) + 1
    return out


@register
class WriteQuorumAcrossRegions(Rule):
    """
    What it does
    ------------
    Flags a leaderless store where no region holds `write_quorum` copies of a shard, so
    every write to that shard needs an answer from another region. (A synchronous
    leader-follower store across regions is AL405.)

    Why is this bad?
    ----------------
    PACELC: even with the network healthy every such write pays a cross-region round trip.
    CAP: when the regions are partitioned, the side with fewer than W copies of the shard
    cannot write it, and if no side has W the shard takes no write at all: the store chose
    consistency over availability. That can be right (Cassandra EACH_QUORUM), but it should
    be a choice, not an accident of the placement.

    Example
    -------
    ```arch
    database carts {
      replication leaderless rf 3 read_quorum 2 write_quorum 2
      placement us-east.a, eu-west.a, ap-south.a
    }
    ```

    Use instead
    -----------
    A write quorum inside one region (Cassandra LOCAL_QUORUM: rf copies per region, W of
    them local) with asynchronous replication between regions, or accept the cost and
    suppress this with `# noqa: AL503`.
    """

    code = "AL503"
    name = "write-quorum-across-regions"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        from archlang.analysis.quorum import store_of

        for c in design.components.values():
            st = store_of(c)
            if st is None or st.style not in ("leaderless", "none") or st.cache:
                continue
            if len({p.region for p in c.placement}) < 2:
                continue
            bad = [w for w in range(st.windows)
                   if max(_region_counts(c, st, w).values(), default=0) < st.write_quorum]
            if not bad:
                continue
            share = sum(st.weights[w] for w in bad)
            counts = _region_counts(c, st, bad[0])
            where = ", ".join(f"{n} in {r}" for r, n in sorted(counts.items()))
            rtt = max((design.network.between(a, b) for a in c.placement for b in c.placement
                       if a.region != b.region), default=0.0)
            yield self.finding(
                f"'{c.name}' needs write_quorum {st.write_quorum} of rf {st.rf} copies but no "
                f"region holds {st.write_quorum} copies of {_share(share)} of its keys (shard "
                f"{bad[0] + 1}: {where}): every such write waits for a cross-region round trip "
                f"({rtt:g} ms), and a partition between the regions leaves them unwritable",
                c.span, "keep a write quorum inside one region (LOCAL_QUORUM) and replicate "
                "to the other regions asynchronously", component=c.name)


def _share(x: float) -> str:
    return "all" if x >= 1.0 - 1e-12 else f"{x * 100:.4g}%"


def _store_rates(design: Design, c: Component) -> dict[Op, float]:
    """Requests per second of each operation (quorum.Op) the flows make on store ``c`` at
    their declared rates (1 rps where a flow declares none); a plain read when none does."""
    from archlang.analysis.capacity import flow_loads
    from archlang.analysis.quorum import store_of
    from archlang.graph import flow_tree

    rates: dict[Op, float] = {}
    for fl in design.flows.values():
        ops: dict[str, dict[Op, float]] = {}
        flow_loads(flow_tree(design, fl), fl.rate_rps or 1.0, ops=ops,
                   consistency=fl.consistency)
        for op, r in ops.get(c.name, {}).items():
            rates[op] = rates.get(op, 0.0) + r
    if not rates:
        st = store_of(c)
        assert st is not None                   # only asked of modelled stores
        rates[st.op("read")] = 1.0
    return rates


@register
class RingNeighbourTakesLostLoad(Rule):
    """
    What it does
    ------------
    Flags a store on a ring (shards on consecutive nodes) where losing one node sends half
    or more of the load that moves to a single other node.

    Why is this bad?
    ----------------
    A lost node's shards are served by their other copies, which are its ring neighbours,
    not the whole ring. With few copies per shard (rf 2: each of the node's shards has one
    other copy), with few shards per node, or with reads pinned to a shard's leader, one
    neighbour inherits the lost node's reads: it runs at up to twice its load exactly
    when the ring is already degraded, and it can fail in turn (a cascading failure).
    `--down NAME[i]` shows the loads after the loss.

    Example
    -------
    ```arch
    database sessions { sharding hash 64  replicas 8  rf 2  capacity 5000 qps }
    ```

    Use instead
    -----------
    `rf 3` or more, so a node's shards have rf - 1 other copies to share its reads (each
    neighbour then takes at most 1/rf of them), and headroom on every node for that share.
    """

    code = "AL504"
    name = "ring-neighbour-takes-lost-load"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        from archlang.analysis.quorum import store_of
        from archlang.analysis.ring import ring_load

        for c in design.components.values():
            st = store_of(c)
            if st is None or st.windows < 2 or st.rf < 2:
                continue
            rates = _store_rates(design, c)
            if st.rf >= 4 and not any(op.name.endswith("read_leader") for op in rates):
                # Quorum reads of a lost copy move evenly to the rf - 1 other copies of each
                # of its windows, writes do not move: one neighbour takes at most
                # 1 / (rf - 1) < 1/2 of them. Nothing to flag, and no loop over the nodes
                # (rf 900 on 900 nodes was 40 s of ring loads).
                continue
            before = ring_load(st, rates).nodes
            worst = None
            for i in range(st.nodes):
                up = [j != i for j in range(st.nodes)]
                after = ring_load(st, rates, up).nodes
                gain = [max(0.0, after[j] - before[j]) if j != i else 0.0
                        for j in range(st.nodes)]
                moved = sum(gain)
                if moved <= 1e-12 * max(1.0, before[i]):
                    continue
                j = max(range(st.nodes), key=lambda x: (gain[x], -x))
                share = gain[j] / moved
                if share >= 0.5 - 1e-12 and (worst is None or share > worst[0] + 1e-12):
                    worst = (share, i, j, gain[j], before[j])
            if worst is None:
                continue
            share, i, j, g, b = worst
            more = f", {(b + g) / b:.3g}x its load" if b > 0 else ""
            if any(op.name.endswith("read_leader") for op in rates):
                why = "reads at a shard's leader all move to its next copy"
            elif st.rf == 2:
                why = "each of its shards has one other copy"
            else:
                why = f"its {st.windows} shard windows on {st.nodes} nodes share few copies"
            yield self.finding(
                f"losing {c.name}[{i + 1}] sends {share * 100:.3g}% of its moved reads to one "
                f"node, {c.name}[{j + 1}] (+{g:.6g} node ops/s{more}): {why}",
                c.span, "use rf 3 or more so a lost node's reads are shared by more "
                "neighbours, and keep headroom for them", component=c.name)


@register
class RangeShardingSequentialKey(Rule):
    """
    What it does
    ------------
    Flags a store with `sharding range` and `key sequential` (a time-ordered or
    auto-increment key).

    Why is this bad?
    ----------------
    With range sharding each shard holds a contiguous range of keys, and a sequential key
    makes every new key the highest so far: every insert lands in the last shard. All
    writes go to that one shard's copies while the other nodes take none, so adding nodes
    adds no write capacity (the capacity analysis counts it: docs/analyses/data-tier.md).

    Example
    -------
    ```arch
    database events { sharding range 16  key sequential  replicas 8 }
    ```

    Use instead
    -----------
    `sharding hash N`, or a key that does not grow in order (a hash or a bucket prefix in
    front of the timestamp), then `key random`.
    """

    code = "AL505"
    name = "range-sharding-sequential-key"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        from archlang.analysis.quorum import store_of

        for c in design.components.values():
            st = store_of(c)
            if st is None or not st.sequential:
                continue
            nodes = ", ".join(f"{c.name}[{i + 1}]" for i in st.window_nodes(st.last_window))
            yield self.finding(
                f"'{c.name}' is range-sharded on a sequential key: every new key lands in "
                f"the last shard (shard {st.shards}), so all writes go to its {st.rf} "
                f"cop{'y' if st.rf == 1 else 'ies'} on {nodes} and the other "
                f"{st.nodes - min(st.rf, st.nodes)} nodes take none", c.span,
                "shard by hash, or prefix the key so new keys spread over the ranges",
                component=c.name)
