"""Parse + validate benchmark (run on demand, not part of the test run).

    python benchmarks/bench_parse.py            # 100, 1,000 and 10,000 components
    python benchmarks/bench_parse.py 10000      # one size

For each size: a synthetic design with that many components (servers in tiers, caches,
databases, queues, calls and flows), its size in bytes, the wall time of
``archlang.loads`` (parse + build + validate; best of N runs) and the peak memory of one
run (tracemalloc). Then the cold start of ``python -m archlang.cli check`` on an example
(median of 7 fresh processes) and of the bare interpreter for comparison.
"""

from __future__ import annotations

import gc
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def synthetic(n: int) -> str:
    """A valid design with ``n`` components: groups of 10 (lb, 5 servers, cache, db, queue,
    worker), each group with its calls and one flow."""
    out = ["# synthetic design for the parse benchmark", "system bench {",
           '  description "synthetic"',
           "  region r1 availability 99.99% {", "    zone a availability 99.95%",
           "    zone b availability 99.95%", "    zone c mtbf 90d mttr 1h", "  }",
           "  network { same_zone 0.2ms cross_zone 1ms }",
           "  defaults { server { availability 99.9% mttr 20m } }",
           "  client users { latency 30ms }"]
    groups = max(1, n // 10)
    for g in range(groups):
        p = f"g{g}"
        out += [
            f"  lb {p}-lb {{ replicas 2 active_passive failover 10s latency 0.5ms "
            f"placement r1.a, r1.b }}",
        ]
        for s in range(5):
            out += [
                f"  server {p}-svc{s} {{",
                "    replicas 6 min 4",
                "    latency p50 8ms p99 40ms",
                "    capacity 400 rps",
                "    placement r1.a, r1.b, r1.c",
                "    stateless",
                "  }",
            ]
        out += [
            f"  cache {p}-cache {{ engine redis hit_ratio 85% latency 0.5ms "
            f"write_policy write_through placement r1.a, r1.b }}",
            f"  database {p}-db {{",
            "    model sql engine postgres",
            "    replication leader_follower followers 2 async",
            "    availability 99.95% latency p50 3ms p99 20ms capacity 5000 qps",
            "    placement r1.a, r1.b, r1.c",
            "  }",
            f"  queue {p}-events {{ durable delivery at_least_once availability 99.99% }}",
            f"  server {p}-worker {{ replicas 2 capacity 50 rps placement r1.c }}",
            f"  {p}-lb -> {p}-svc0",
            f"  {p}-svc0 -> {p}-svc1 | {p}-svc2",
            f"  {p}-svc1 -> {p}-svc3 x3 parallel",
            f"  {p}-svc3 -> {p}-cache",
            f"  {p}-cache -> {p}-db",
            f"  {p}-svc4 -> {p}-db write",
            f"  {p}-svc0 -> {p}-events optional",
            f"  {p}-events ~> {p}-worker",
            f"  {p}-worker -> {p}-db write",
            f"  flow {p}-flow rate 100 rps {{",
            f"    path users -> {p}-lb -> {p}-svc0 -> {p}-svc1 -> {p}-svc3 -> {p}-cache -> {p}-db",
            f"    path {p}-svc0 -> {p}-events ~> {p}-worker -> {p}-db",
            "    slo availability 99.9%",
            "    slo latency p99 300ms",
            "  }",
        ]
    out.append("}")
    return "\n".join(out) + "\n"


def terse(n: int) -> str:
    """About 100 bytes per component: ``n`` servers in a chain of calls, one line each."""
    out = ["system terse {", "  region r1 { zone a zone b zone c }", "  client users"]
    for i in range(n - 1):
        out.append(f"  server s{i} {{ replicas 3 latency 5ms capacity 100 rps "
                   f"placement r1.a, r1.b }}")
        if i:
            out.append(f"  s{i - 1} -> s{i}")
    out += ["  flow f rate 10 rps { path users -> s0 -> s1 }", "}"]
    return "\n".join(out) + "\n"


def bench(n: int, make=synthetic) -> dict:
    import archlang

    text = make(n)
    d = archlang.loads(text, path="bench.arch")   # warm: grammar cache, imports
    comps = len(d.components)
    times = []
    runs = 5 if n <= 1000 else 3
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        archlang.loads(text, path="bench.arch")
        times.append(time.perf_counter() - t0)
    gc.collect()
    tracemalloc.start()
    archlang.loads(text, path="bench.arch")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"components": comps, "bytes": len(text.encode()), "best_s": min(times),
            "median_s": statistics.median(times), "peak_mb": peak / 1e6}


def cold_start(example: str = "examples/webapp.arch", runs: int = 7) -> tuple[float, float]:
    def median_of(cmd):
        ts = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, capture_output=True)
            ts.append(time.perf_counter() - t0)
        return statistics.median(ts)

    subprocess.run([sys.executable, "-m", "archlang.cli", "check", example], cwd=ROOT,
                   capture_output=True)   # writes Lark's grammar cache
    bare = median_of([sys.executable, "-c", "pass"])
    check = median_of([sys.executable, "-m", "archlang.cli", "check", example])
    return check, bare


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [100, 1000, 10000]
    print(f"{'components':>10} {'bytes':>10} {'best s':>8} {'median s':>9} {'MB/s':>6} {'peak MB':>8}")
    for n in sizes:
        r = bench(n)
        print(f"{r['components']:>10} {r['bytes']:>10} {r['best_s']:>8.3f} {r['median_s']:>9.3f} "
              f"{r['bytes'] / 1e6 / r['best_s']:>6.2f} {r['peak_mb']:>8.1f}")
    r = bench(10000, terse)
    print(f"terse: {r['components']} components, {r['bytes']} bytes: best {r['best_s']:.3f} s, "
          f"median {r['median_s']:.3f} s, peak {r['peak_mb']:.1f} MB")
    check, bare = cold_start()
    print(f"cold `archlang check examples/webapp.arch`: {check:.3f} s "
          f"(bare interpreter {bare:.3f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
