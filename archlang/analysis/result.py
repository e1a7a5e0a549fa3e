"""The results of analysing a design: pydantic models all the way down.

The analyzers fill these: availability.py (availability, SPOFs, cut sets, importance,
availability SLOs), latency.py (percentiles, hop breakdown, latency SLOs), capacity.py
(load, utilisation, N+1, throughput SLOs), rules/ (findings). ``archlang.analyze`` chains
them into one :class:`Result`. Times are in milliseconds, rates in requests per second,
availabilities and utilisations as fractions.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from archlang.analysis.common import Finding, Frozen, SloResult
from archlang.model.design import Design
from archlang.span import Span

UnitKind = Literal["component", "replica", "zone", "region"]


# ---- availability --------------------------------------------------------------------------
class Unit(Frozen):
    """Something that fails as a whole: a replica, a component of one replica, a zone, a region.

    Names: a component with one replica is its name ("orders", kind "component"); a replica
    of a larger group is "name[i]" with i from 1 ("api[2]", kind "replica"); a zone is
    "region.zone"; a region its name.
    """

    name: str
    kind: UnitKind
    component: str | None = None      # for component and replica units
    span: Span | None = None          # where the component or domain is declared


class CutSet(Frozen):
    """A minimal set of units whose joint failure fails every request of a flow."""

    units: tuple[Unit, ...]
    probability: float                # P(all of them are down at once)


class Degrading(Frozen):
    """A unit whose failure alone loses some, not all, of a flow's requests."""

    unit: Unit
    fraction_lost: float              # of the flow's requests, with everything else up


class Importance(Frozen):
    """Birnbaum importance of a component (group) or a failure domain for one flow."""

    name: str
    kind: Literal["component", "zone", "region"]
    birnbaum: float                   # A(unit up) - A(unit down)
    gain_if_perfect: float            # A(unit perfect) - A
    unit_availability: float


class FlowAvailability(Frozen):
    name: str
    availability: float               # request based: P(a request succeeds)
    # the state-based part (units up or down; no error rates, no timeouts) and the transient
    # part alone (every unit up); equal to availability / 1.0 for a design without them
    availability_state: float | None = None
    availability_transient: float | None = None
    nines: float
    downtime_minutes_per_30d: float
    downtime_minutes_per_year: float
    spofs: tuple[CutSet, ...] = ()         # cut sets of order 1
    cut_sets: tuple[CutSet, ...] = ()      # cut sets of order 2 (the most probable 1000)
    cut_sets_total: int = 0                # how many cut sets of order 2 there are
    degrading: tuple[Degrading, ...] = ()
    importance: tuple[Importance, ...] = ()    # most important first
    slos: tuple[SloResult, ...] = ()           # availability SLOs
    method: str = "exact"
    ci95: tuple[float, float] | None = None    # Monte Carlo fallback only: 95% interval


class ComponentAvailability(Frozen):
    name: str
    kind: str
    availability: float               # its own: k of n replicas up (failover included),
                                      # its zones and regions taken as up
    availability_with_domains: float  # as placed: its zones and regions can fail too
    replica_availability: float       # of one replica, on its own


class AvailabilityReport(Frozen):
    flows: dict[str, FlowAvailability]
    components: dict[str, ComponentAvailability]
    findings: tuple[Finding, ...] = ()
    down: tuple[str, ...] = ()


# ---- latency ---------------------------------------------------------------------------------
class HopLatency(Frozen):
    """One component's part in a flow's latency (its own time and the network hop into it)."""

    name: str                         # the component
    via: str | None = None            # the caller; None for the entry
    mean_ms: float                    # expected time this hop adds to a request
    share_of_mean: float              # mean_ms / flow mean
    p99_ms: float                     # its contribution in the slowest 1% of requests
    share_of_p99: float
    hop_p99_ms: float | None = None   # its own 99th percentile (its time per request)
    network_ms: float = 0.0           # mean network part of mean_ms
    queueing_ms: float = 0.0          # mean queueing part of mean_ms


class FlowLatency(Frozen):
    name: str
    p50: float | None
    p90: float | None
    p99: float | None
    p999: float | None
    mean: float | None
    unbounded: bool = False           # a component on the path is at or over 100% utilisation
    unbounded_at: tuple[str, ...] = ()
    hops: tuple[HopLatency, ...] = ()
    slos: tuple[SloResult, ...] = ()  # latency SLOs
    method: str = "exact"             # "exact" or e.g. "monte carlo, 200000 samples, seed 1"
    error_ms: float = 0.0             # half-width of the 95% interval on p99 (0 when exact)


class LatencyReport(Frozen):
    flows: dict[str, FlowLatency]
    findings: tuple[Finding, ...] = ()


# ---- capacity --------------------------------------------------------------------------------
class ZoneLoss(Frozen):
    """Utilisation of a component after losing a zone (or one replica)."""

    lost: str                         # "us-east.a", or "one replica"
    remaining_replicas: int
    utilisation: float | None         # None: no replica left


class ComponentCapacity(Frozen):
    name: str
    kind: str
    load_rps: float                   # summed over flows
    capacity_rps: float | None        # per replica; None: not declared
    serving_replicas: int
    utilisation: float | None        # load / (capacity x serving replicas)
    status: Literal["ok", "warning", "error", "unknown", "down"]   # down: no replica up
    n_plus_1: tuple[ZoneLoss, ...] = ()
    # a pydantic field: each model gets its own copy of the default (RUF012 does not see that
    # Frozen is a BaseModel); a default_factory would drop the default from the JSON schema
    load_by_flow: dict[str, float] = {}  # noqa: RUF012
    # A store of the data tier (docs/analyses/data-tier.md): node operations per second on
    # each node (before skew), the hottest node (name[i]) whose load x skew sets
    # `utilisation`, the share of keys whose owner moved and of keys lost (with --down).
    node_loads: tuple[float, ...] | None = None
    hottest_node: str | None = None
    keys_moved: float | None = None
    keys_lost: float | None = None
    # active_active with `min k` > 1: load / (capacity x k), the utilisation when only the
    # k replicas the availability figure counts on are up (None otherwise)
    utilisation_at_min: float | None = None
    # attempts reaching it per request when it fails: the worst product of retries along
    # the paths to it (docs/analyses/resilience.md); 1 without retries
    retry_amplification: float = 1.0


class FlowCapacity(Frozen):
    name: str
    rate_rps: float
    max_rate_rps: float | None        # the rate at which the first component reaches 100%
    bottleneck: str | None
    fits: bool                        # every component on the flow under 100% at its rate
    slos: tuple[SloResult, ...] = ()  # throughput SLOs
    capacity_unknown: tuple[str, ...] = ()  # components on the flow without a capacity


class CallLoad(Frozen):
    """A call with resilience modifiers: what it sends to its target per request."""

    flow: str
    source: str
    target: str
    attempts: float                   # expected attempts per call in normal operation
    hedged_share: float = 0.0         # extra hedge requests per attempt
    failing_attempts: float = 1.0     # attempts per call when the target fails
    admitted: float = 1.0             # limit: share of the offered load let through
    offered_rps: float | None = None  # limit: load offered to the call (before the limit)
    p_timeout: float = 0.0            # P(an attempt at the primary exceeds its timeout)


class CapacityReport(Frozen):
    components: dict[str, ComponentCapacity]
    flows: dict[str, FlowCapacity]
    findings: tuple[Finding, ...] = ()
    calls: tuple[CallLoad, ...] = ()  # calls with retries, hedges, timeouts or limits


# ---- the whole ---------------------------------------------------------------------------------
class FlowResult(Frozen):
    name: str
    rate_rps: float
    availability: float
    availability_state: float | None = None      # see FlowAvailability
    availability_transient: float | None = None
    # --down of a callee behind a breaker: the flow's latency if the breakers were not there
    latency_without_breaker: FlowLatency | None = None
    nines: float
    downtime_minutes_per_30d: float
    downtime_minutes_per_year: float
    spofs: tuple[CutSet, ...] = ()
    cut_sets: tuple[CutSet, ...] = ()
    cut_sets_total: int = 0
    degrading: tuple[Degrading, ...] = ()
    importance: tuple[Importance, ...] = ()
    availability_method: str = "exact"     # or the Monte Carlo fallback, with its interval
    availability_ci95: tuple[float, float] | None = None
    latency: FlowLatency | None = None
    capacity: FlowCapacity | None = None
    slos: tuple[SloResult, ...] = ()       # availability, then latency, then throughput
    status: Literal["pass", "fail"] = "pass"


class DataTier(Frozen):
    """A store as the data tier models it (docs/analyses/data-tier.md)."""

    replication: str                  # leader_follower | multi_leader | leaderless | none
    nodes: int
    rf: int                           # copies of each shard
    shards: int
    read_quorum: int
    write_quorum: int                 # leader_follower: copies a write waits for
    skew: float
    node_loads: tuple[float, ...] = ()    # node operations per second, before skew
    hottest_node: str | None = None
    keys_moved: float | None = None       # with --down: share of keys whose owner moved
    keys_lost: float | None = None        # with --down: share of keys with no copy up


class ComponentResult(Frozen):
    name: str
    kind: str
    replicas: int
    availability: float               # its own (replicas only), see ComponentAvailability
    availability_with_domains: float  # as placed, zones and regions included
    replica_availability: float
    load_rps: float = 0.0
    capacity_rps: float | None = None
    utilisation: float | None = None
    capacity_status: Literal["ok", "warning", "error", "unknown", "down"] = "unknown"
    utilisation_at_min: float | None = None
    n_plus_1: tuple[ZoneLoss, ...] = ()
    data_tier: DataTier | None = None
    retry_amplification: float = 1.0
    span: Span


class Assumption(Frozen):
    subject: str                      # "server api"
    field: str                        # "availability"
    span: Span


class Result(Frozen):
    system: str
    path: str
    flows: dict[str, FlowResult]
    components: dict[str, ComponentResult]
    spofs: tuple[CutSet, ...] = ()         # over all flows, each once
    findings: tuple[Finding, ...] = ()     # sorted by position
    assumptions: tuple[Assumption, ...] = ()
    down: tuple[str, ...] = ()
    status: Literal["pass", "fail"] = "pass"
    # Flows whose latency was not computed (analyze(latency=...)): their latency SLOs are
    # not judged. Empty for `check` and the report.
    latency_skipped: tuple[str, ...] = ()
    # The analyzers' own reports, as they returned them (for the text sections).
    availability_report: AvailabilityReport | None = Field(default=None, repr=False)
    latency_report: LatencyReport | None = Field(default=None, repr=False)
    capacity_report: CapacityReport | None = Field(default=None, repr=False)
    # The design analysed (its file texts are not serialised: Design.sources): a Result is
    # whole on its own, read back from JSON it renders as text, its diagram included.
    design: Design | None = Field(default=None, repr=False)


    def __repr__(self) -> str:      # short: the whole model is in .model_dump()
        return (f"Result(system={self.system!r}, flows={len(self.flows)}, "
                f"status={self.status!r}, spofs={len(self.spofs)}, "
                f"findings={len(self.findings)}"
                + (f", down={list(self.down)!r}" if self.down else "") + ")")

    def _repr_mimebundle_(self, include: object = None, exclude: object = None
                          ) -> dict[str, str]:
        """Notebooks: the report as a scoped HTML fragment, and the short repr
        (archlang/notebook.py, through archlang/display.py: no import of render/ here)."""
        from archlang.display import bundle

        return bundle("result", self)
