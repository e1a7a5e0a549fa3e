"""Rules on the shape of the design graph (archlang/graph.py's networkx DiGraph): where a
graph algorithm is the right tool. networkx is imported by these rules only, and only when
there is something to find (a cheap standard-library test says so first)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from archlang.analysis.common import Finding
from archlang.rules.base import Rule, register

if TYPE_CHECKING:
    from archlang.model.design import Call, Design


def _has_cycle(calls: list[Call]) -> bool:
    """Do the calls loop? (graphlib, the standard library: networkx's import costs ~70 ms of
    every check, and most designs have no loop to find.)"""
    from graphlib import CycleError, TopologicalSorter

    graph: dict[str, set[str]] = {}
    for c in calls:
        graph.setdefault(c.source, set()).update(c.targets)
    try:
        TopologicalSorter(graph).prepare()
    except CycleError:
        return True
    return False


@register
class CallCycle(Rule):
    """
    What it does
    ------------
    Flags components whose synchronous calls form a cycle (`a -> b`, `b -> a`, or longer:
    `a -> b`, `b -> c`, `c -> a`), alternatives included. One finding per cycle of
    mutually calling components (a strongly connected set), at the call that closes it.

    Why is this bad?
    ----------------
    A request that comes back to a component it passed holds a worker there while it waits
    for itself: under load the pools fill with requests waiting on each other (a
    distributed deadlock), each retry on the way multiplies around the loop, and a failure
    anywhere in it takes the whole loop down. Flows cannot be cycles (their paths are
    checked), but the declared calls can, for example through the calls an alternative
    makes on failover.

    Example
    -------
    ```arch
    server orders { }
    server stock { }
    orders -> stock
    stock -> orders
    ```

    Use instead
    -----------
    Break the loop: one side calls, the other publishes what it knows (a queue, `~>`), or
    both read a shared store.
    """

    code = "AL424"
    name = "call-cycle"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        sync = [c for c in design.calls if not c.asynchronous]
        if not _has_cycle(sync):          # the usual case, without importing networkx
            return
        import networkx as nx

        from archlang.graph import build_graph

        g = build_graph(design)
        g.remove_edges_from([(a, b) for a, b in list(g.edges)
                             if g.edges[a, b]["call"].asynchronous])
        order = {name: i for i, name in enumerate(design.components)}
        loops = [sorted(s, key=order.__getitem__) for s in nx.strongly_connected_components(g)
                 if len(s) > 1]
        for names in sorted(loops, key=lambda s: order[s[0]]):
            # one cycle through the first declared of them (find_cycle: a depth-first walk)
            cycle = nx.find_cycle(g.subgraph(names), source=names[0])
            walk = [a for a, _ in cycle] + [cycle[0][0]]
            closing: Call = g.edges[cycle[-1][0], cycle[-1][1]]["call"]
            others = len(names) - (len(walk) - 1)
            yield self.finding(
                f"synchronous calls form a cycle: {' -> '.join(walk)}"
                + (f" ({others} more component{'s' if others != 1 else ''} in the same loop)"
                   if others > 0 else ""),
                closing.span, "break the loop: publish through a queue (`~>`) or share a "
                "store, so that no request waits on itself", component=names[0])
