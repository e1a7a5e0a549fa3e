"""Benchmark of the data tier (run on demand: python benchmarks/bench_data_tier.py).

The target of issue 11: a 12-node, 256-shard store analysed without a slowdown you would
notice. Each case is analysed in full (``archlang.analyze``: availability exact where the
state space allows, SPOFs, cut sets, degrading units, importance, capacity with N+1 and the
latency Monte Carlo) and set beside the same design with the store replaced by a plain
group of as many replicas (``replicas N min N - 2``): the ratio is the cost of the ring.

* ring-12x256: the docs' example 3 (single-key reads and writes, a scatter search), the
  store reached once per flow: availability exact (a transfer over the ring for scatter).
* ring-12x256-twice: a flow that reads and writes the store (reached twice): the exact
  engine conditions on the store's state, enumerating its 2^12 node states.
* ring-24x1024-twice: the same at 24 nodes, past quorum.ENUMERATE_NODES (16): the flow
  falls back to Monte Carlo, and ``availability_method`` says so.
* ring-120x4096: a large ring reached once (exact), to show how the cut sets and the N+1
  loads grow with the nodes.

``run()`` returns the figures as a dict (for a driver that collects benchmarks); ``main()``
prints them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import archlang  # noqa: E402

ZONES = """  region us-east { zone a availability 99.9%
    zone b availability 99.9%
    zone c availability 99.9% }"""


def ring(nodes: int, shards: int, twice: bool = False, plain: bool = False) -> str:
    """A tweet store of ``nodes`` nodes and ``shards`` shards (rf 3, R 1, W 2) behind an api,
    a writer and a search; ``plain`` replaces the store by ``replicas nodes min nodes-2``."""
    if plain:
        store = (f"  database tweets {{ replicas {nodes} min {nodes - 2} availability 99.9% "
                 f"capacity {20000 * nodes} qps placement us-east.a, us-east.b, us-east.c }}")
    else:
        store = (f"  database tweets {{\n    sharding hash {shards}\n    replicas {nodes}\n"
                 f"    rf 3 read_quorum 1 write_quorum 2\n    skew 1.5\n"
                 f"    availability 99.9%\n    latency p50 2ms p99 15ms\n"
                 f"    capacity 20000 qps\n    placement us-east.a, us-east.b, us-east.c\n  }}")
    scatter = "" if plain else " scatter"
    lines = ["system ring {", ZONES, "  client users",
             "  server api { availability 99.99% replicas 3 latency 1ms "
             "placement us-east.a, us-east.b, us-east.c }",
             "  server writer { availability 99.99% replicas 3 latency 1ms "
             "placement us-east.a, us-east.b, us-east.c }",
             "  server search { availability 99.99% replicas 3 latency 1ms "
             "placement us-east.a, us-east.b, us-east.c }",
             store,
             "  writer -> tweets write",
             f"  search -> tweets{scatter}",
             "  flow timeline rate 100000 rps { path users -> api -> tweets }",
             "  flow post rate 10000 rps { path users -> writer -> tweets }",
             "  flow find rate 10 rps { path users -> search -> tweets }"]
    if twice:
        lines += ["  server edit { availability 99.99% replicas 3 latency 1ms "
                  "placement us-east.a, us-east.b, us-east.c }",
                  "  server check { availability 99.99% latency 1ms }",
                  "  edit -> check",
                  "  edit -> tweets write",
                  "  check -> tweets",
                  "  flow edit rate 100 rps { path users -> edit -> check -> tweets\n"
                  "    path edit -> tweets }"]
    lines.append("}")
    return "\n".join(lines)


CASES = {
    "ring-12x256": (12, 256, False),
    "ring-12x256-twice": (12, 256, True),
    "ring-24x1024-twice": (24, 1024, True),
    "ring-120x4096": (120, 4096, False),
}


def _time(text: str, repeat: int) -> tuple[float, object]:
    best = float("inf")
    result = None
    design = archlang.loads(text)
    for _ in range(repeat):
        t = time.perf_counter()
        result = archlang.analyze(design)
        best = min(best, time.perf_counter() - t)
    return best, result


def run(repeat: int = 3) -> dict[str, dict]:
    """Seconds of ``archlang.analyze`` (best of ``repeat``) per case, the plain group's, their
    ratio, and each flow's availability method."""
    out: dict[str, dict] = {}
    for name, (nodes, shards, twice) in CASES.items():
        t_ring, res = _time(ring(nodes, shards, twice), repeat)
        t_plain, _ = _time(ring(nodes, shards, twice, plain=True), repeat)
        out[name] = {
            "seconds": t_ring, "plain_seconds": t_plain, "ratio": t_ring / t_plain,
            "methods": {f: fl.availability_method.split(" (")[0]
                        for f, fl in sorted(res.flows.items())},
            "cut_sets_total": {f: fl.cut_sets_total for f, fl in sorted(res.flows.items())},
        }
    return out


def main() -> None:
    print("data tier: archlang.analyze, best of 3, against the store as a plain group")
    print(f"  {'case':20} {'ring s':>8} {'plain s':>8} {'ratio':>6}  availability methods")
    for name, r in run().items():
        methods = ", ".join(f"{f} {m}" for f, m in r["methods"].items())
        print(f"  {name:20} {r['seconds']:8.3f} {r['plain_seconds']:8.3f} {r['ratio']:6.2f}"
              f"  {methods}")


if __name__ == "__main__":
    main()
