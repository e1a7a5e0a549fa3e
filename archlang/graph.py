"""Design -> graph, and the request tree of each flow that the analyzers evaluate.

``build_graph`` gives a networkx ``DiGraph``: one node per component (attribute
``component``), one edge per call target (attributes ``call``, ``alternatives``: the whole
group when the call has alternatives, ``flows``: the flows whose paths use the edge), and
``graph["flows"]``: each flow's edges, so ``g.edge_subgraph(g.graph["flows"][name])`` is one
flow's graph. Nodes and edges are added in source order, so iteration is deterministic.
``archlang.graph(design)`` gives it to users; rules/structure.py runs graph algorithms on it.

``flow_tree`` unfolds one flow into the tree of calls a single request makes:

* the root is the flow's entry (the first hop of its first path);
* a node's calls are the steps out of it on the flow's paths, in the order first written,
  each carrying the declared call's attributes (optional, write, xN, parallel); a step with
  no declared call is a plain hard call;
* a step that is one target of a call with alternatives brings the whole group
  (``b | c``). The flow's primary is the alternative its own path takes (the first one it
  names, when it names several): the normal route, which carries the load and sets the
  latency; the others follow in their declared order and serve on failover. So a flow
  written through ``lb-west`` of ``geo-dns -> lb-east | lb-west`` uses the west. An
  alternative that no path of the flow passes through continues with its own declared
  synchronous calls;
* calls into a cache or CDN: the calls out of it are its miss path;
* asynchronous steps (``~>``, out of a queue) are kept apart in ``async_calls``: they carry
  load but are not part of the request the producer waits for. A flow that starts at a
  queue (``path events ~> worker -> db``) is the consumer's side: there the deliveries out
  of the queue are the flow's own work, so the root's steps are its calls.

A component reached along two branches appears twice in the tree (two calls); analyzers
that need exact probabilities treat it as one shared unit (``FlowNode.name``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archlang.model.design import Call, Component, Design, Flow

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class FlowCall:
    """One call made by a node: to ``targets[0]``, failing over to the next alternatives."""

    call: Call
    targets: tuple[FlowNode, ...]

    @property
    def optional(self) -> bool:
        return self.call.optional

    @property
    def write(self) -> bool:
        return self.call.write

    @property
    def count(self) -> int:
        return self.call.count

    @property
    def parallel(self) -> bool:
        return self.call.parallel


@dataclass(frozen=True)
class FlowNode:
    component: Component
    calls: tuple[FlowCall, ...] = ()          # synchronous, in order
    async_calls: tuple[FlowCall, ...] = ()    # fire-and-forget / queue delivery
    path: tuple[str, ...] = field(default=(), compare=False)   # names from the root to here
    consumer: bool = False        # a queue at the root of a consumer's flow (see above)

    @property
    def ends_request(self) -> bool:
        """The producer's request ends here: a queue, unless this flow is its consumer's."""
        return self.kind == "queue" and not self.consumer

    @property
    def name(self) -> str:
        return self.component.name

    @property
    def kind(self) -> str:
        return self.component.kind

    def walk(self, include_async: bool = False) -> Iterator[FlowNode]:
        """This node and every node below it, depth first, in call order."""
        yield self
        for c in self.calls + (self.async_calls if include_async else ()):
            for t in c.targets:
                yield from t.walk(include_async)


def flow_tree(design: Design, flow: Flow | str) -> FlowNode:
    """The request tree of ``flow`` (see the module docstring)."""
    if isinstance(flow, str):
        flow = design.flows[flow]
    steps: dict[str, list[tuple[str, bool]]] = {}
    on_flow: set[str] = set()
    for a, b, asyn in flow.edges():
        steps.setdefault(a, []).append((b, asyn))
        on_flow.update((a, b))

    def node(name: str, trail: tuple[str, ...]) -> FlowNode:
        trail = trail + (name,)
        comp = design.components[name]
        if name in on_flow:
            out = steps.get(name, [])
        else:  # an alternative the flow does not spell out: its declared calls
            out = [(t, c.asynchronous) for c in design.calls_from(name) if not c.implicit
                   for t in c.targets[:1]]
        sync: list[FlowCall] = []
        asyn: list[FlowCall] = []
        groups_done: set[int] = set()
        for target, is_async in out:
            if target in trail:   # guards a cycle among declared calls off the flow
                continue
            call = design.call_between(name, target)
            if call is None:
                continue
            if len(call.targets) > 1:
                if id(call) in groups_done:
                    continue
                groups_done.add(id(call))
                order = [target] + [t for t in call.targets if t != target]
                members = tuple(node(t, trail) for t in order if t not in trail)
                fc = FlowCall(call=call, targets=members)
            else:
                fc = FlowCall(call=call, targets=(node(target, trail),))
            (asyn if (is_async or call.asynchronous) else sync).append(fc)
        return FlowNode(component=comp, calls=tuple(sync), async_calls=tuple(asyn), path=trail)

    root = node(flow.entry, ())
    if root.kind == "queue" and root.async_calls:
        # the consumer's flow: what the queue delivers is the work this flow measures
        root = FlowNode(component=root.component, calls=root.calls + root.async_calls,
                        async_calls=(), path=root.path, consumer=True)
    return root


def build_graph(design: Design) -> nx.DiGraph[str]:
    """The design as a networkx DiGraph (see the module docstring)."""
    import networkx as nx

    g: nx.DiGraph[str] = nx.DiGraph(name=design.name)
    for c in design.components.values():
        g.add_node(c.name, component=c, kind=c.kind)
    for call in design.calls:
        for t in call.targets:
            g.add_edge(call.source, t, call=call, alternatives=call.targets, flows=[])
    for fl in design.flows.values():
        for a, b, _ in fl.edges():
            if g.has_edge(a, b):
                g.edges[a, b]["flows"].append(fl.name)
    g.graph["flows"] = {name: [(a, b) for a, b, _ in fl.edges()]
                        for name, fl in design.flows.items()}
    return g

