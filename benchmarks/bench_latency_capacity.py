"""Benchmark: latency and capacity of a 1,000-component, 50-flow design.

    python benchmarks/bench_latency_capacity.py [--flows 50] [--repeat 3]

Each flow has its own 20 components: lb -> api (lognormal, 3 zones) -> cache (90% hits)
-> database (sync replication, written), a 10-way parallel fan-out to a shard tier, seven
sequential service -> store pairs, and a queue; all share one client. Prints the time of
``analyze_capacity`` and ``analyze_latency`` (parsing excluded, shown apart), and the numeric
error achieved (half-width of the 95% interval on p99, absolute and relative to p99).
"""

from __future__ import annotations

import argparse
import statistics
import time

import archlang
from archlang.analysis.capacity import analyze_capacity
from archlang.analysis.latency import SAMPLES, analyze_latency

PLACE = "placement us.a, us.b, us.c"


def design_text(flows: int) -> str:
    out = ["system bench {",
           "  region us { zone a\n zone b\n zone c }",
           "  network { same_zone 0.2ms cross_zone 1ms }",
           "  client users { latency 30ms }"]
    for i in range(flows):
        out += [
            f"  lb lb{i} {{ replicas 2 active_passive latency 0.5ms capacity 20000 rps {PLACE} }}",
            f"  server api{i} {{ replicas 6 latency p50 5ms p99 40ms capacity 300 rps {PLACE} }}",
            f"  cache cache{i} {{ replicas 3 hit_ratio 90% latency p50 0.4ms p99 2ms {PLACE} }}",
            f"  database db{i} {{ latency p50 2ms p99 15ms capacity 4000 qps {PLACE}",
            "    replication leader_follower followers 2 sync }",
            f"  server shard{i} {{ replicas 3 latency p50 3ms p99 25ms capacity 2000 rps "
            f"{PLACE} }}",
            f"  queue q{i} {{ latency 2ms }}",
            f"  api{i} -> cache{i}",
            f"  cache{i} -> db{i}",
            f"  api{i} -> db{i} write",
            f"  api{i} -> shard{i} x10 parallel",
            f"  api{i} -> q{i}",
        ]
        path = [f"    path users -> lb{i} -> api{i} -> cache{i} -> db{i}",
                f"    path api{i} -> db{i}",
                f"    path api{i} -> shard{i}",
                f"    path api{i} -> q{i}"]
        for k in range(7):
            out += [f"  server svc{i}_{k} {{ replicas 2 latency p50 2ms p99 12ms "
                    f"capacity 1000 rps {PLACE} }}",
                    f"  storage store{i}_{k} {{ latency 4ms }}"]
            path.append(f"    path api{i} -> svc{i}_{k} -> store{i}_{k}")
        out.append(f"  flow f{i} rate 400 rps {{")
        out += path
        out += ["    slo latency p99 300ms", "  }"]
    out.append("}")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--flows", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    text = design_text(args.flows)
    t0 = time.perf_counter()
    d = archlang.loads(text, path="bench.arch")
    t_load = time.perf_counter() - t0
    print(f"design: {len(d.components)} components, {len(d.calls)} calls, "
          f"{len(d.flows)} flows ({len(text) / 1024:.0f} KB); load {t_load:.2f} s")

    cap_t, lat_t, cpu_t = [], [], []
    for _ in range(args.repeat):
        c0 = time.process_time()
        t0 = time.perf_counter()
        cap = analyze_capacity(d)
        t1 = time.perf_counter()
        lat = analyze_latency(d, cap)
        t2 = time.perf_counter()
        cpu_t.append(time.process_time() - c0)
        cap_t.append(t1 - t0)
        lat_t.append(t2 - t1)
    tot = [a + b for a, b in zip(cap_t, lat_t)]
    print(f"capacity: median {statistics.median(cap_t):.3f} s")
    used = sorted({int(fl.method.split()[2]) for fl in lat.flows.values()
                   if fl.method.startswith("monte carlo")})
    print(f"latency:  median {statistics.median(lat_t):.3f} s "
          f"(samples per flow: {', '.join(map(str, used))}; at most {SAMPLES})")
    print(f"together: median {statistics.median(tot):.3f} s, max {max(tot):.3f} s "
          f"over {args.repeat} runs: {' '.join(f'{t:.2f}' for t in tot)}")
    print(f"CPU time (all threads): median {statistics.median(cpu_t):.3f} s "
          f"(wall time is about CPU / cores on an idle machine)")
    errs = [(fl.error_ms, fl.error_ms / fl.p99) for fl in lat.flows.values() if fl.p99]
    print(f"p99 95% half-width: max {max(e for e, _ in errs):.3f} ms, "
          f"max {100 * max(r for _, r in errs):.2f}% of p99 "
          f"(median {statistics.median(e for e, _ in errs):.3f} ms)")
    some = lat.flows["f0"]
    print(f"f0: p50 {some.p50:.1f} p90 {some.p90:.1f} p99 {some.p99:.1f} "
          f"p99.9 {some.p999:.1f} mean {some.mean:.1f} ms; method: {some.method}")


if __name__ == "__main__":
    main()
