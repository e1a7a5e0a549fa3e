"""Rules about data: caching policies, queues, replication, sharding, stores of record."""

from __future__ import annotations

from collections.abc import Iterator

from archlang.analysis.common import Finding
from archlang.model.design import Design
from archlang.rules.base import Rule, register

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
