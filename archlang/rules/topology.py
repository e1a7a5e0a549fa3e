"""Rules about topology: failure domains, balancers, CDNs, unused and assumed parts.

Size: the topology rules, one class each; about half of it is their documentation (the
docstrings docs/rules.md and `explain` print).
"""

from __future__ import annotations

from collections.abc import Iterator

from archlang.analysis.common import Finding
from archlang.model.design import Call, Component, Design
from archlang.rules.base import Rule, register

_STICKY = {"consistent_hashing", "ip_hash"}


@register
class SingleZone(Rule):
    """
    What it does
    ------------
    Flags a component with several replicas that are all in one zone, while the design
    declares other zones in that region.

    Why is this bad?
    ----------------
    Replicas protect against a machine failing, not against the zone failing: one zone
    outage takes every replica down at once.

    Example
    -------
    ```arch
    region us-east { zone a zone b }
    server api { replicas 3 placement us-east.a }
    ```

    Use instead
    -----------
    ```arch
    server api { replicas 3 placement us-east.a, us-east.b }
    ```
    """

    code = "AL411"
    name = "replicas-in-one-zone"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        for c in design.components.values():
            if c.replicas < 2 or not c.placement:
                continue
            zones = {p.key for p in c.replica_placements() if p is not None}  # all placed
            if len(zones) != 1 or c.placement[0].zone is None:
                continue
            region = design.region(c.placement[0].region)
            if region is not None and len(region.zones) > 1:
                yield self.finding(
                    f"all {c.replicas} replicas of '{c.name}' are in zone "
                    f"{c.placement[0].key}: one zone outage takes them all down", c.span,
                    "spread the placement over two or more zones", component=c.name)


@register
class StatefulBehindRoundRobin(Rule):
    """
    What it does
    ------------
    Flags a balancer that spreads requests without affinity (round robin, least
    connections, random) over a `stateful` server with several replicas.

    Why is this bad?
    ----------------
    Each request may land on a different replica, which does not hold the state the last
    one left (sessions, in-memory data): users see lost sessions or inconsistent data.

    Example
    -------
    ```arch
    lb front { strategy round_robin }
    server game { stateful replicas 4 }
    front -> game
    ```

    Use instead
    -----------
    `strategy consistent_hashing` (or ip_hash) on the balancer, or make the server
    `stateless` and keep state in a cache or database.
    """

    code = "AL412"
    name = "stateful-behind-round-robin"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        for lb in design.components.values():
            if lb.kind != "lb" or (lb.strategy or "round_robin") in _STICKY:
                continue
            for call in design.calls_from(lb.name):
                for t in call.targets:
                    s = design.components[t]
                    if s.stateful and s.replicas > 1:
                        yield self.finding(
                            f"balancer '{lb.name}' ({lb.strategy}) spreads requests over "
                            f"stateful '{s.name}' without affinity", call.span,
                            "use strategy consistent_hashing, or keep the state out of the server",
                            component=lb.name)


@register
class Layer4PathRouting(Rule):
    """
    What it does
    ------------
    Flags a layer-4 balancer with `strategy path`.

    Why is this bad?
    ----------------
    A layer-4 balancer sees TCP connections, not HTTP requests: it cannot route by URL path.

    Example
    -------
    ```arch
    lb edge { layer 4 strategy path }
    ```

    Use instead
    -----------
    `layer 7` for path routing, or a layer-4 strategy (round_robin, least_connections,
    ip_hash).
    """

    code = "AL413"
    name = "layer4-path-routing"
    severity = "error"

    def check(self, design: Design) -> Iterator[Finding]:
        for c in design.components.values():
            if c.kind == "lb" and c.layer == 4 and c.strategy == "path":
                yield self.finding(f"layer-4 balancer '{c.name}' cannot route by path",
                                   c.span, "use layer 7", component=c.name)


@register
class CdnDynamicOrigin(Rule):
    """
    What it does
    ------------
    Notes a CDN whose origin is a dynamic endpoint (a server, balancer or database) rather
    than object storage.

    Why is this bad?
    ----------------
    CDNs cache static, public content. Responses of a dynamic or private endpoint are
    personal or change per request; caching them serves stale or someone else's data, and
    the hit ratio you declared may not be reachable.

    Example
    -------
    ```arch
    cdn edge { hit_ratio 90% }
    server api { }
    edge -> api
    ```

    Use instead
    -----------
    Put the CDN in front of object storage or a static origin, and send dynamic requests
    to the balancer directly; or make sure the origin marks what is cacheable.
    """

    code = "AL414"
    name = "cdn-dynamic-origin"
    severity = "info"

    def check(self, design: Design) -> Iterator[Finding]:
        for c in design.components.values():
            if c.kind != "cdn":
                continue
            for call in design.calls_from(c.name):
                dyn = [t for t in call.targets
                       if design.components[t].kind in ("server", "lb", "database")]
                if dyn:
                    yield self.finding(
                        f"CDN '{c.name}' caches responses of dynamic origin '{dyn[0]}'",
                        call.span, "check that what it caches is public and static",
                        component=c.name)


@register
class UnusedComponent(Rule):
    """
    What it does
    ------------
    Flags a component that no flow reaches.

    Why is this bad?
    ----------------
    Its availability, latency and capacity are never analysed; either a flow is missing
    or the component is left over.

    Example
    -------
    ```arch
    server legacy { }
    ```

    Use instead
    -----------
    Add it to a flow's path (or a call from a component on one), or remove it.
    """

    code = "AL421"
    name = "unused-component"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        if not design.flows:
            return
        from archlang.graph import flow_tree

        used: set[str] = set()
        for fl in design.flows.values():
            used.update(n.name for n in flow_tree(design, fl).walk(include_async=True))
        for c in design.components.values():
            if c.name not in used:
                yield self.finding(f"no flow uses '{c.name}'", c.span,
                                   "add it to a flow's path, or remove it", component=c.name)


@register
class NoFlows(Rule):
    """
    What it does
    ------------
    Flags a design that declares components but no flow.

    Why is this bad?
    ----------------
    Availability, latency and capacity are computed per flow, the requests users make.
    Without one there is nothing to analyse.

    Example
    -------
    ```arch
    server api { }
    ```

    Use instead
    -----------
    ```arch
    client users { }
    server api { }
    flow home rate 50 rps { path users -> api }
    ```
    """

    code = "AL422"
    name = "no-flows"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        if design.components and not design.flows:
            yield self.finding("the design has no flow: nothing is analysed", design.span,
                               "add: flow NAME rate R rps { path client -> ... }")


@register
class AssumedValues(Rule):
    """
    What it does
    ------------
    Notes each component whose availability or latency was left to the defaults.

    Why is this bad?
    ----------------
    The figures are only as good as their inputs. A default availability or latency is a
    guess of archlang's, not a property of your system.

    Example
    -------
    ```arch
    server api { }
    ```

    Use instead
    -----------
    ```arch
    server api { availability 99.9% latency p50 8ms p99 40ms }
    ```
    """

    code = "AL431"
    name = "assumed-values"
    severity = "info"

    def check(self, design: Design) -> Iterator[Finding]:
        for c in design.components.values():
            missing = [f for f in ("availability", "latency") if f in c.assumed]
            if missing and c.kind != "client":
                shown = [f"{f} {_default_text(c, f)}" for f in missing]
                yield self.finding(f"'{c.name}' uses the default {' and '.join(shown)}",
                                   c.span, "declare the measured " + " and ".join(
                                       _EXAMPLE[f] for f in missing), component=c.name)


_EXAMPLE = {"availability": "availability (`availability 99.95%`)",
            "latency": "latency (`latency p50 5ms p99 25ms`)"}


def _default_text(c: Component, what: str) -> str:
    """The value a component took by default, as the design would write it."""
    from archlang import numbers

    if what == "availability":
        return numbers.exact_pct(c.availability)
    lat = c.latency
    if lat.p50_ms == lat.p99_ms:
        return f"{numbers.quantity(lat.p50_ms)}ms"
    return f"p50 {numbers.quantity(lat.p50_ms)}ms p99 {numbers.quantity(lat.p99_ms)}ms"


_STORES = {"database", "storage"}


def _plain(call: Call) -> bool:
    """A call statement with no modifier: written to list the caller's calls."""
    return (len(call.targets) == 1 and not call.optional and not call.write
            and call.count == 1 and not call.parallel and not call.asynchronous
            and not call.scatter and not call.resilient and not call.idempotent)


@register
class UndeclaredCall(Rule):
    """
    What it does
    ------------
    Flags a path step that no call declares (an implicit call) where the design's own
    structure says otherwise: the caller lists its calls in plain call statements (`a -> b`
    with no modifier: a call written only to carry a modifier, like `api -> images
    optional`, does not count as listing) and this is not one of them, or the caller is a
    data store (a database or storage), which calls nobody.

    Why is this bad?
    ----------------
    A plain path step that is not a declared call becomes a hard call. When the caller
    lists its calls, a step outside that list is most often a slip in the path (a name in
    the wrong place), and it silently changes every figure: writing
    `-> idempotency-keys -> stripe` makes the database call the payment provider.

    Example
    -------
    ```arch
    server api { }
    database keys { }
    external stripe { }
    api -> keys
    flow pay { path users -> api -> keys -> stripe }
    ```

    Use instead
    -----------
    Fix the path so that each step follows a declared call (`path api -> stripe` as its own
    path line beside `path users -> api -> keys`), or declare the call (`api -> stripe`).
    """

    code = "AL423"
    name = "undeclared-call"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        declared: dict[str, list[str]] = {}
        for call in design.calls:
            if not call.implicit and _plain(call):
                declared.setdefault(call.source, []).extend(call.targets)
        for call in design.calls:
            if not call.implicit:
                continue
            src = design.components.get(call.source)
            if src is None:
                continue
            target = call.targets[0]
            tgt = design.components.get(target)
            what = f"{tgt.kind} {target}" if tgt is not None else target
            if src.kind in _STORES:
                yield self.finding(
                    f"the path step {call.source} -> {target} makes {src.kind} "
                    f"{call.source} call {what}: a data store calls nobody, and no call "
                    "declares it", call.span,
                    f"start a new path line at the component that calls {target} "
                    f"(e.g. `path api -> {target}`), or declare `{call.source} -> {target}` "
                    "if it really does", component=call.source)
            elif call.source in declared:
                listed = sorted(dict.fromkeys(declared[call.source]))
                shown = ", ".join(listed[:4]) + (" ..." if len(listed) > 4 else "")
                yield self.finding(
                    f"the path step {call.source} -> {target} is not one of the calls "
                    f"{src.kind} {call.source} declares ({shown}): it becomes an undeclared "
                    "hard call", call.span,
                    f"declare `{call.source} -> {target}`, or fix the path (each step "
                    "follows a declared call)", component=call.source)


@register
class UnusedPlacement(Rule):
    """
    What it does
    ------------
    Flags a placement list longer than the component's replicas: replica i runs at the
    i-th placement (round-robin), so the places after the last replica hold nothing.

    Why is this bad?
    ----------------
    The design reads as spread over those zones, but no replica is there: availability,
    N+1 and the diagram all count the replicas where they really run. Usually `replicas`
    was forgotten.

    Example
    -------
    ```arch
    server api { placement us-east.a, us-east.b }
    ```

    Use instead
    -----------
    Declare as many replicas as places (`replicas 2 placement us-east.a, us-east.b`), or
    list only the places the replicas run in.
    """

    code = "AL415"
    name = "unused-placement"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        for c in design.components.values():
            if len(c.placement) > c.replicas:
                empty = ", ".join(p.key for p in c.placement[c.replicas:])
                n = len(c.placement)
                yield self.finding(
                    f"'{c.name}' lists {n} placements for {c.replicas} "
                    f"replica{'s' if c.replicas != 1 else ''}: {empty} "
                    f"hold{'s' if n - c.replicas == 1 else ''} no replica", c.span,
                    f"declare replicas {n}, or remove {empty}", component=c.name)


@register
class ConsumerRepeatsProducer(Rule):
    """
    What it does
    ------------
    Flags a consumer flow (its path starts at a queue: `path audit ~> auditor -> archive`)
    when another flow's path already goes on past that queue to the same components
    (`path users -> api -> audit ~> auditor -> archive`).

    Why is this bad?
    ----------------
    Each flow is its own stream of requests, and the load on a component is the sum over
    flows. The queue itself is counted once (the consumer flow adds nothing to a queue that
    another flow produces into), but the components after it carry both flows' rates: if
    the two flows describe the same messages, their consumers are counted twice (400 rps
    on the auditor for 200 messages a second), and every capacity, N+1 and zone-loss
    figure there is too high.

    Example
    -------
    ```arch
    flow write rate 200 rps { path users -> api -> audit ~> auditor -> archive }
    flow consume rate 200 rps { path audit ~> auditor -> archive }
    ```

    Use instead
    -----------
    Say it once: end the producer's path at the queue (`path users -> api -> audit`) and
    keep the consumer flow, whose latency is the consumer's own; or drop the consumer flow.
    """

    code = "AL425"
    name = "consumer-repeats-producer"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        from archlang.graph import flow_tree

        trees = {name: flow_tree(design, fl) for name, fl in design.flows.items()}
        for name, tree in trees.items():
            if not tree.consumer:
                continue
            after = [n.name for n in tree.walk(include_async=True)][1:]
            for other, ot in trees.items():
                if other == name or ot.consumer:
                    continue
                past: set[str] = set()
                for node in ot.walk(include_async=True):
                    if node.name == tree.name:
                        past.update(n.name for n in node.walk(include_async=True)
                                    if n is not node)
                both = list(dict.fromkeys(n for n in after if n in past))
                if not both:
                    continue
                shown = ", ".join(both[:4]) + (" ..." if len(both) > 4 else "")
                yield self.finding(
                    f"consumer flow '{name}' and flow '{other}' both go on past queue "
                    f"'{tree.name}' to {shown}: their loads add up there, as two streams "
                    "of messages", design.flows[name].span,
                    f"if they are the same messages, end the path of '{other}' at "
                    f"'{tree.name}', or drop flow '{name}'", component=tree.name)
