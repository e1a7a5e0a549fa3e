"""A flow compiled for the availability engines: its request tree as a list of nodes.

Optional calls are left out and a queue ends the request (the producer's request ends
there); each node keeps its component, its hit ratio (caches and CDNs), the store operation
of the call into it (the data tier) and the failover-window factor of each of its calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archlang.analysis.down import NO_DOWN, Down
from archlang.analysis.quorum import Op, op_for
from archlang.analysis.replica_groups import ComponentModel, component_models, domain_availability
from archlang.model.design import Call, Design

if TYPE_CHECKING:  # pragma: no cover
    from archlang.graph import FlowNode

#: One call of a node: (count, the nodes of its targets), alternatives in order.
CompiledCall = tuple[int, list[int]]


@dataclass
class CompiledNode:
    comp: str
    hit: float | None                              # cache/cdn hit ratio, else None
    calls: list[CompiledCall] = field(default_factory=list)
    parent: int = -1
    depth: int = 0
    op: Op | None = None                           # into a store: what the call does
    repeated: bool = False                         # below (or at) a call made xN
    # Per entry of ``calls``: the declared call, and its failover-window factor
    # (``failover T`` on alternatives, analysis/resilience.py; 1.0 without).
    mods: list[Call] = field(default_factory=list)
    windows: list[float] = field(default_factory=list)


@dataclass
class CompiledFlow:
    """A flow's request tree without optional calls and without anything after a queue."""

    name: str
    nodes: list[CompiledNode]
    components: list[str]                          # in order of first appearance
    models: dict[str, ComponentModel]
    domains: dict[str, float]

    def children(self, n: int) -> list[int]:
        return [t for _, ts in self.nodes[n].calls for t in ts]


def compile_flow(design: Design, flow_name: str, models: dict[str, ComponentModel] | None = None,
                 domains: dict[str, float] | None = None, down: Down = NO_DOWN
                 ) -> CompiledFlow:
    from archlang.analysis.resilience import failover_window
    from archlang.graph import flow_tree

    models = models if models is not None else component_models(design)
    domains = domains if domains is not None else domain_availability(design)
    nodes: list[CompiledNode] = []
    comps: dict[str, None] = {}
    consistency = design.flows[flow_name].consistency

    def add(fn: FlowNode, parent: int, depth: int, call: Call | None = None,
            repeated: bool = False) -> int:
        i = len(nodes)
        hit = fn.component.hit_ratio if fn.kind in ("cache", "cdn") else None
        if hit is None and fn.kind in ("cache", "cdn"):
            hit = 0.0
        st = models[fn.name].store
        op = None
        if st is not None:
            op = op_for(st, bool(call and call.write), bool(call and call.scatter),
                        consistency)
        nodes.append(CompiledNode(comp=fn.name, hit=hit, parent=parent, depth=depth, op=op,
                          repeated=repeated))
        comps.setdefault(fn.name)
        if fn.ends_request:
            return i          # the request ends at the queue
        for fc in fn.calls:
            if fc.optional:
                continue
            rep = repeated or fc.count > 1
            targets = [add(t, i, depth + 1, fc.call, rep) for t in fc.targets]
            if targets:
                nodes[i].calls.append((max(fc.count, 1), targets))
                nodes[i].mods.append(fc.call)
                nodes[i].windows.append(failover_window(design, fc, down))
        return i

    add(flow_tree(design, flow_name), -1, 0)
    return CompiledFlow(name=flow_name, nodes=nodes, components=list(comps), models=models,
                     domains=domains)
