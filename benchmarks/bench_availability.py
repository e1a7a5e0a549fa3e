"""Benchmarks of the availability analyzer (run on demand: python benchmarks/bench_availability.py).

1. A synthetic design of 1,000 components and 50 flows: analyze_availability (exact engine,
   SPOFs, order-2 cut sets, degrading units, importance, SLOs), parse excluded.
2. 10^6 Monte Carlo trials of every flow of the largest example (by component count).
3. How the exact engine's time grows with the number of shared units (zones that hold
   replicas of every component of a flow, so every zone is conditioned on at the root).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import archlang  # noqa: E402
from archlang.analysis.availability import analyze_availability  # noqa: E402
from archlang.analysis.compiled_flow import compile_flow  # noqa: E402
from archlang.analysis.exact import EXACT_WORK_LIMIT, ExactEngine  # noqa: E402
from archlang.analysis.montecarlo import monte_carlo_availability  # noqa: E402


def synthetic(n_flows: int = 50, per_flow: int = 20) -> str:
    """50 flows x 20 components (1,000 in all, two shared by every flow) over 3 regions."""
    out = ["system synthetic {"]
    for r in range(3):
        out.append(f"  region r{r} availability 99.99% {{ zone a availability 99.95% "
                   f"zone b availability 99.95% zone c availability 99.9% }}")
    out.append("  client users")
    out.append("  dns resolver { availability 99.99% replicas 2 }")
    out.append("  lb edge { availability 99.99% replicas 2 active_passive failover 10s "
               "placement r0.a, r1.a, r2.a }")
    out.append("  users -> resolver")
    out.append("  resolver -> edge")
    n = 2
    for f in range(n_flows):
        reg = f"r{f % 3}"
        zs = f"{reg}.a, {reg}.b, {reg}.c"
        names = []
        body = []
        k = per_flow if f else per_flow - 2
        for i in range(k):
            nm = f"f{f}c{i}"
            names.append(nm)
            kind = i % 6
            if kind == 0:
                body.append(f"  server {nm} {{ availability 99.9% replicas 3 min 2 placement {zs} }}")
            elif kind == 1:
                body.append(f"  cache {nm} {{ hit_ratio 80% availability 99.9% replicas 2 "
                            f"placement {reg}.a, {reg}.b }}")
            elif kind == 2:
                body.append(f"  database {nm} {{ availability 99.95% replicas 2 active_passive "
                            f"failover 30s placement {reg}.b, {reg}.c }}")
            elif kind == 3:
                body.append(f"  server {nm} {{ availability 99.5% placement {reg}.c }}")
            elif kind == 4:
                body.append(f"  external {nm} {{ availability 99.9% }}")
            else:
                body.append(f"  storage {nm} {{ availability 99.99% placement {reg} }}")
        n += len(names)
        out += body
        # chain: edge -> c0 -> c1(cache) -> c2(db); c0 -> c3 | c4; c0 -> c5 optional; ...
        calls = []
        paths = []
        prev = "edge"
        for j in range(0, len(names) - 5, 6):
            s, c, d, alt1, alt2, st = names[j:j + 6]
            calls += [f"  {prev} -> {s}", f"  {s} -> {c}", f"  {c} -> {d}",
                      f"  {s} -> {alt1} | {alt2}", f"  {s} -> {st} optional"]
            paths += [f"path {prev} -> {s} -> {c} -> {d}", f"path {s} -> {alt1}",
                      f"path {s} -> {st}"]
            prev = s
        out += calls
        out.append(f"  flow flow{f} rate 10 rps {{")
        out.append("    path users -> resolver -> edge")
        out += [f"    {p}" for p in paths]
        out.append("    slo availability 99.9%")
        out.append("  }")
    out.append("}")
    assert n >= 1000 - 2, n
    return "\n".join(out)


def shared_zones(m: int) -> str:
    """A chain of 8 components, each with m replicas placed over the same m zones."""
    zones = " ".join(f"zone z{i} availability 99.9%" for i in range(m))
    pl = ", ".join(f"r.z{i}" for i in range(m))
    comps = "\n".join(f"  server s{i} {{ availability 99.9% replicas {m} placement {pl} }}"
                      for i in range(8))
    path = " -> ".join(f"s{i}" for i in range(8))
    return (f"system z {{\n  region r availability 99.99% {{ {zones} }}\n  client users\n{comps}\n"
            f"  flow f rate 1 rps {{ path users -> {path} }}\n}}")


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    text = synthetic()
    t = time.perf_counter()
    design = archlang.loads(text)
    t_load = time.perf_counter() - t
    print(f"synthetic: {len(design.components)} components, {len(design.flows)} flows, "
          f"{len(design.calls)} calls; load {t_load:.2f} s")
    t_an = best_of(lambda: analyze_availability(design))
    rep = analyze_availability(design)
    methods = statistics.multimode(f.method for f in rep.flows.values())
    print(f"  analyze_availability: {t_an:.2f} s (best of 3); methods: {methods}")

    examples = sorted((ROOT / "examples").glob("*.arch"))
    largest = max((archlang.load(p) for p in examples), key=lambda d: len(d.components))
    print(f"Monte Carlo, 10^6 trials, largest example {largest.name} "
          f"({len(largest.components)} components):")
    for name in largest.flows:
        dt = best_of(lambda: monte_carlo_availability(largest, name, trials=1_000_000), 2)
        print(f"  flow {name}: {dt:.2f} s")

    print("exact engine vs shared zones (8 components, all replicas over the same m zones):")
    print("   m   work bound   availability() s   analyze_availability s")
    for m in (1, 2, 4, 6, 8, 10, 12, 14):
        d = archlang.loads(shared_zones(m))
        fm = compile_flow(d, "f")
        eng = ExactEngine(fm)
        da = best_of(lambda: analyze_availability(d), 1)
        if eng.work > EXACT_WORK_LIMIT:
            print(f"  {m:2d}   {eng.work:10d}   {'over the limit':>16}   {da:22.3f}"
                  "  (monte carlo fallback)")
            continue
        dt = best_of(lambda: ExactEngine(fm).availability(), 1)
        print(f"  {m:2d}   {eng.work:10d}   {dt:16.4f}   {da:22.3f}")


if __name__ == "__main__":
    main()
