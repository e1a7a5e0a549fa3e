"""Pydantic models of a design.

Units are normalised: latencies in milliseconds, other durations (failover, MTBF, MTTR) in
seconds, rates in requests per second, availabilities and ratios as fractions, sizes in
bytes. Every value left unset has been given its documented default by the builder, and
its field name is listed in the construct's ``assumed``.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from archlang.span import Span, share_fields_set, source_lines

Kind = Literal["client", "server", "lb", "cache", "cdn", "database", "queue", "storage",
               "external", "dns"]


class _Model(BaseModel):
    # An MTBF is infinite for a replica that never fails (availability 100%, clients):
    # JSON has no infinity, so it is written as the string "Infinity" and read back.
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings",
                              defer_build=True)

    def model_post_init(self, context: Any, /) -> None:
        share_fields_set(self)       # see archlang/span.py: memory, not behaviour


class Zone(_Model):
    name: str                       # "a"
    region: str                     # "us-east"
    availability: float             # fraction
    span: Span
    assumed: tuple[str, ...] = ()
    mtbf_s: float = math.inf        # mean time between its outages (failover windows)

    @property
    def key(self) -> str:
        return f"{self.region}.{self.name}"


class Region(_Model):
    name: str
    availability: float
    zones: tuple[Zone, ...] = ()
    span: Span
    assumed: tuple[str, ...] = ()
    mtbf_s: float = math.inf        # mean time between its outages (failover windows)

    def zone(self, name: str) -> Zone | None:
        return next((z for z in self.zones if z.name == name), None)


class Network(_Model):
    """Latency a call adds between two placements: the round trip, in milliseconds."""

    same_zone_ms: float
    cross_zone_ms: float
    cross_region_ms: float          # for region pairs not listed in `pairs`
    pairs: dict[str, float] = Field(default_factory=dict)   # "eu-west<->us-east" (sorted) -> ms
    span: Span | None = None
    assumed: tuple[str, ...] = ()

    @staticmethod
    def pair_key(a: str, b: str) -> str:
        x, y = sorted((a, b))
        return f"{x}<->{y}"

    def between(self, a: Placement | None, b: Placement | None) -> float:
        """Latency of one hop between two placements. ``None`` (no placement) shares a zone."""
        if a is None or b is None or a == b:
            return self.same_zone_ms
        if a.region == b.region:
            if a.zone is None or b.zone is None:
                return self.same_zone_ms
            return self.cross_zone_ms
        return self.pairs.get(self.pair_key(a.region, b.region), self.cross_region_ms)


class Placement(_Model):
    region: str
    zone: str | None = None         # None: anywhere in the region

    @property
    def key(self) -> str:
        return self.region if self.zone is None else f"{self.region}.{self.zone}"

    def __str__(self) -> str:
        return self.key


class Latency(_Model):
    """A service time. Fixed when p50 == p99, else a lognormal through both quantiles."""

    p50_ms: float
    p99_ms: float

    @property
    def fixed(self) -> bool:
        return self.p50_ms == self.p99_ms

    @property
    def lognormal(self) -> tuple[float, float]:
        """(mu, sigma) of the lognormal with these p50 and p99."""
        z99 = 2.3263478740408408      # standard normal quantile at 0.99
        mu = math.log(self.p50_ms)
        sigma = (math.log(self.p99_ms) - mu) / z99
        return mu, sigma


class Component(_Model):
    name: str
    kind: Kind
    span: Span
    description: str | None = None

    # Redundancy. `replicas n min k`: up when at least k of n replicas are up.
    replicas: int = 1
    min_replicas: int = 1
    mode: Literal["active_active", "active_passive"] = "active_active"
    failover_s: float = 0.0          # active_passive only: downtime per failover

    # Reliability of one replica.
    availability: float              # fraction, per replica
    mtbf_s: float                    # mean time between failures (up time), seconds
    mttr_s: float                    # mean time to repair, seconds

    latency: Latency
    # Share of requests that fail while the component is up, independently per attempt
    # (docs/analyses/resilience.md); 0 unless declared.
    error_rate: float = 0.0
    capacity_rps: float | None = None    # per replica; None: not declared, not checked
    placement: tuple[Placement, ...] = ()  # replicas spread round-robin over these

    # Kind-specific properties (None when not relevant to the kind).
    stateful: bool | None = None
    engine: str | None = None
    hit_ratio: float | None = None       # cache, cdn
    write_policy: Literal["write_around", "write_through", "write_back"] | None = None
    eviction: Literal["lru", "lfu", "fifo", "random"] | None = None
    ttl_s: float | None = None
    memory_bytes: float | None = None
    size_bytes: float | None = None
    data_model: Literal["sql", "key_value", "document", "wide_column", "graph"] | None = None
    replication: Literal["none", "leader_follower", "multi_leader", "leaderless"] | None = None
    followers: int = 0
    replication_sync: bool | None = None     # True: sync or semi_sync, False: async
    sync_mode: Literal["sync", "semi_sync", "async"] | None = None
    sharding: Literal["none", "range", "hash"] | None = None
    shards: int = 1
    # The data tier (docs/analyses/data-tier.md): copies of each piece of data, quorums,
    # the hottest shard's share of the mean load, and the order of the keys.
    rf: int | None = None                     # set for every store the data tier models
    read_quorum: int | None = None
    write_quorum: int | None = None
    skew: float = 1.0
    key_order: Literal["sequential", "random"] | None = None
    durable: bool | None = None               # queue
    delivery: Literal["at_most_once", "at_least_once", "exactly_once"] | None = None
    layer: int | None = None                  # lb: 4 or 7
    strategy: str | None = None               # lb
    protocol: str | None = None
    consistency: str | None = None

    assumed: tuple[str, ...] = ()

    def replica_placements(self) -> list[Placement | None]:
        """Where each replica runs: round-robin over ``placement``; None when unplaced."""
        if not self.placement:
            return [None] * self.replicas
        return [self.placement[i % len(self.placement)] for i in range(self.replicas)]

    @property
    def home(self) -> Placement | None:
        """Placement of the first (leader / active) replica."""
        return self.placement[0] if self.placement else None


class Call(_Model):
    """`source -> target [| target ...] [optional] [write] [xN] [parallel]`."""

    source: str
    targets: tuple[str, ...]         # more than one: alternatives, tried in order
    optional: bool = False
    write: bool = False
    count: int = 1
    parallel: bool = False
    asynchronous: bool = False       # out of a queue, or written `~>`
    scatter: bool = False            # into a sharded store: touches every shard
    implicit: bool = False           # created by a flow path, not written as a call
    # Resilience (docs/analyses/resilience.md): None / 0 / False when not written.
    timeout_ms: float | None = None  # an attempt slower than this fails (and costs it)
    retries: int = 0                 # more attempts after a failed one
    backoff_ms: float = 0.0          # wait before each retry
    retry_budget: float | None = None  # retries at most this share of the call's requests
    hedge: float | None = None       # percentile (95.0) of the callee at which to hedge
    breaker: bool = False            # optional calls: fail at once when the callee is down
    idempotent: bool = False         # repeating the call is safe (retries of a write)
    limit_rps: float | None = None   # load through the call above this is rejected
    failover_s: float | None = None  # alternatives: failures for this long per switch
    span: Span

    @property
    def resilient(self) -> bool:
        """Does the call use any resilience modifier?"""
        return (self.timeout_ms is not None or self.retries > 0 or self.hedge is not None
                or self.breaker or self.limit_rps is not None or self.failover_s is not None)

    @property
    def target(self) -> str:
        return self.targets[0]


class Slo(_Model):
    kind: Literal["availability", "latency", "throughput"]
    target: float                    # availability: fraction; latency: ms; throughput: rps
    percentile: float | None = None  # latency only, e.g. 99.0 or 99.9
    span: Span


class FlowHop(_Model):
    name: str
    span: Span
    asynchronous: bool = False       # reached through `~>` (after a queue)


class FlowPath(_Model):
    hops: tuple[FlowHop, ...]
    span: Span


class Flow(_Model):
    name: str
    rate_rps: float
    paths: tuple[FlowPath, ...]
    slos: tuple[Slo, ...] = ()
    description: str | None = None
    consistency: str | None = None   # e.g. read_your_writes
    span: Span
    assumed: tuple[str, ...] = ()

    @property
    def entry(self) -> str:
        return self.paths[0].hops[0].name

    def edges(self) -> list[tuple[str, str, bool]]:
        """(source, target, asynchronous) for every step of every path, first seen first.

        Worked out once per ``paths`` tuple (kept in ``__dict__`` under a name that is no
        field, as ``Design`` keeps its calls by source): the renderers ask per edge."""
        got = self.__dict__.get("edges_cache")
        if got is None or got[0] is not self.paths:
            seen: dict[tuple[str, str], bool] = {}
            for p in self.paths:
                for a, b in zip(p.hops, p.hops[1:]):
                    seen.setdefault((a.name, b.name), b.asynchronous)
            got = self.__dict__["edges_cache"] = (self.paths,
                                                  [(a, b, x) for (a, b), x in seen.items()])
        return list(got[1])


class Design(_Model):
    name: str
    description: str | None = None
    path: str                        # the file it was loaded from ("<string>" for loads)
    files: tuple[str, ...] = ()      # every file read, the root first
    span: Span
    regions: tuple[Region, ...] = ()
    network: Network
    components: dict[str, Component] # in source order
    calls: tuple[Call, ...] = ()     # in source order, implicit ones after
    flows: dict[str, Flow] = Field(default_factory=dict)
    sources: dict[str, str] = Field(default_factory=dict, exclude=True, repr=False)

    # --- look-ups -------------------------------------------------------------------------
    def region(self, name: str) -> Region | None:
        return next((r for r in self.regions if r.name == name), None)

    def zone(self, key: str) -> Zone | None:
        region, _, zone = key.partition(".")
        r = self.region(region)
        return r.zone(zone) if r else None

    def _calls_by_source(self) -> dict[str, list[Call]]:
        """The calls out of each component, in source order; built once per ``calls`` tuple
        (a ``model_copy`` with other calls builds its own), so each look-up is O(1). Kept in
        the instance ``__dict__`` under a name that is no field: equality and dumps ignore it."""
        got = self.__dict__.get("calls_by_source_cache")
        if got is None or got[0] is not self.calls:
            index: dict[str, list[Call]] = {}
            for c in self.calls:
                index.setdefault(c.source, []).append(c)
            got = self.__dict__["calls_by_source_cache"] = (self.calls, index)
        return got[1]

    def calls_from(self, name: str) -> list[Call]:
        return list(self._calls_by_source().get(name, ()))

    def call_between(self, source: str, target: str) -> Call | None:
        return next((c for c in self._calls_by_source().get(source, ()) if target in c.targets),
                    None)

    def assumptions(self) -> list[tuple[str, str, Span]]:
        """(construct, field, span) for every value that took its default."""
        out: list[tuple[str, str, Span]] = []
        for r in self.regions:
            out += [(f"region {r.name}", f, r.span) for f in r.assumed]
            for z in r.zones:
                out += [(f"zone {z.key}", f, z.span) for f in z.assumed]
        for c in self.components.values():
            out += [(f"{c.kind} {c.name}", f, c.span) for f in c.assumed]
        for fl in self.flows.values():
            out += [(f"flow {fl.name}", f, fl.span) for f in fl.assumed]
        out += [("network", f, self.network.span or self.span) for f in self.network.assumed]
        return out

    def __repr__(self) -> str:      # short: the whole model is in .model_dump()
        return (f"Design(name={self.name!r}, path={self.path!r}, "
                f"components={len(self.components)}, flows={len(self.flows)})")

    def _repr_mimebundle_(self, include: Collection[str] | None = None,
                          exclude: Collection[str] | None = None) -> dict[str, str]:
        """Notebooks: the diagram as SVG and as a scoped HTML fragment, and the short repr
        (archlang/notebook.py, through archlang/display.py: no import of render/ here)."""
        from archlang.display import bundle

        return bundle("design", self)

    def source_line(self, span: Span) -> str | None:
        text = self.sources.get(span.file)
        if text is None:
            return None
        lines = source_lines(text)
        return lines[span.line - 1] if 0 < span.line <= len(lines) else None
