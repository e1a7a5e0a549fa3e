"""Availability of flows against closed forms worked out by hand (to 1e-9)."""

from __future__ import annotations

import itertools
import math

import pytest

import archlang
from archlang.analysis.availability import analyze_availability
from archlang.analysis.common import MINUTES_PER_30D, MINUTES_PER_YEAR
from archlang.errors import DesignError
from archlang.graph import flow_tree

TOL = 1e-9


def avail(text: str, flow: str = "f", down=()) -> float:
    return analyze_availability(archlang.loads(text), down=down).flows[flow].availability


def test_serial_chain():
    a = avail("""system t {
      client users
      lb front { availability 99.99% }
      server api { availability 99.9% }
      database db { availability 99.5% }
      flow f rate 10 rps { path users -> front -> api -> db }
    }""")
    assert a == pytest.approx(0.9999 * 0.999 * 0.995, abs=TOL)


def test_k_of_n_binomial():
    p = 0.99
    a = avail("""system t {
      client users
      server api { availability 99% replicas 5 min 3 }
      flow f rate 10 rps { path users -> api }
    }""")
    want = sum(math.comb(5, j) * p ** j * (1 - p) ** (5 - j) for j in range(3, 6))
    assert a == pytest.approx(want, abs=TOL)


def test_default_min_is_one_of_n():
    a = avail("""system t {
      client users
      server api { availability 90% replicas 3 }
      flow f rate 10 rps { path users -> api }
    }""")
    assert a == pytest.approx(1 - 0.1 ** 3, abs=TOL)


ZONES = """
  region r availability 99.99% { zone a availability 99.9% zone b availability 99.8% }
  client users
"""


def test_two_zones_with_replicas_in_both():
    # s: 2 replicas, one per zone, 1 of 2 needed; zones and region correlated.
    a = avail("system t {" + ZONES + """
      server s { availability 99% replicas 2 placement r.a, r.b }
      flow f rate 10 rps { path users -> s }
    }""")
    R, za, zb, p = 0.9999, 0.999, 0.998, 0.99
    want = R * (za * zb * (1 - (1 - p) ** 2) + za * (1 - zb) * p + (1 - za) * zb * p)
    assert a == pytest.approx(want, abs=TOL)


def test_round_robin_placement_and_k_of_n_across_zones():
    # 4 replicas over two zones (2 + 2), 3 needed: losing a zone loses the group.
    a = avail("system t {" + ZONES + """
      server s { availability 99% replicas 4 min 3 placement r.a, r.b }
      flow f rate 10 rps { path users -> s }
    }""")
    R, za, zb, p = 0.9999, 0.999, 0.998, 0.99
    tail = sum(math.comb(4, j) * p ** j * (1 - p) ** (4 - j) for j in (3, 4))
    assert a == pytest.approx(R * za * zb * tail, abs=TOL)


def test_database_in_one_zone_correlates_with_the_tier_above():
    a = avail("system t {" + ZONES + """
      server s { availability 99% replicas 2 placement r.a, r.b }
      database db { availability 99.95% placement r.a }
      flow f rate 10 rps { path users -> s -> db }
    }""")
    R, za, zb, p, d = 0.9999, 0.999, 0.998, 0.99, 0.9995
    # zone a must be up (for db); then s needs one replica: both zones, or a alone.
    want = R * za * d * (zb * (1 - (1 - p) ** 2) + (1 - zb) * p)
    assert a == pytest.approx(want, abs=TOL)
    # Not the product of the two components' own availabilities (that double-counts r, r.a).
    rep = analyze_availability(archlang.loads("system t {" + ZONES + """
      server s { availability 99% replicas 2 placement r.a, r.b }
      database db { availability 99.95% placement r.a }
      flow f rate 10 rps { path users -> s -> db }
    }"""))
    prod = (rep.components["s"].availability_with_domains
            * rep.components["db"].availability_with_domains)
    assert abs(prod - want) > 1e-6
    assert rep.components["db"].availability_with_domains == pytest.approx(R * za * d, abs=TOL)
    # a component's own availability takes its zones and regions as up
    assert rep.components["db"].availability == pytest.approx(d, abs=TOL)
    assert rep.components["s"].availability == pytest.approx(1 - (1 - p) ** 2, abs=TOL)


def test_active_passive_failover():
    a = avail("""system t {
      client users
      lb front { availability 99.99% replicas 2 active_passive failover 15s }
      flow f rate 10 rps { path users -> front }
    }""")
    p = 0.9999
    mtbf = p * 3600 / (1 - p)           # documented default MTTR: 1 h
    assert a == pytest.approx((1 - (1 - p) ** 2) * (1 - 15 / mtbf), abs=TOL)


def test_active_passive_with_mtbf_mttr():
    a = avail("""system t {
      client users
      database db { mtbf 30d mttr 2h replicas 3 active_passive failover 60s }
      flow f rate 10 rps { path users -> db }
    }""")
    mtbf, mttr = 30 * 86400, 7200
    p = mtbf / (mtbf + mttr)
    assert a == pytest.approx((1 - (1 - p) ** 3) * (1 - 60 / mtbf), abs=TOL)


def test_cache_mixture():
    a = avail("""system t {
      client users
      server api { availability 99.9% }
      cache c { hit_ratio 85% availability 99.9% }
      database db { availability 99% }
      api -> c
      c -> db
      flow f rate 10 rps { path users -> api -> c -> db }
    }""")
    assert a == pytest.approx(0.999 * 0.999 * (0.85 + 0.15 * 0.99), abs=TOL)


def test_cache_called_three_times_uses_the_same_backend_state():
    # Each of the 3 calls hits independently, but the database is up or down for all:
    # E[(h + (1-h) D)^3] = d + (1 - d) h^3, not (h + (1-h) d)^3.
    a = avail("""system t {
      client users
      server api { availability 99.9% }
      cache c { hit_ratio 80% availability 99.9% }
      database db { availability 90% }
      api -> c x3 parallel
      c -> db
      flow f rate 10 rps { path users -> api -> c -> db }
    }""")
    h, d = 0.8, 0.9
    assert a == pytest.approx(0.999 * 0.999 * (d + (1 - d) * h ** 3), abs=TOL)


def test_cdn_in_front_of_origin():
    a = avail("""system t {
      client users
      cdn edge { hit_ratio 92% availability 99.99% }
      server origin { availability 99% }
      edge -> origin
      flow f rate 10 rps { path users -> edge -> origin }
    }""")
    assert a == pytest.approx(0.9999 * (0.92 + 0.08 * 0.99), abs=TOL)


def test_alternatives():
    a = avail("""system t {
      client users
      server api { availability 99.9% }
      external pay1 { availability 99% }
      external pay2 { availability 98% }
      api -> pay1 | pay2
      flow f rate 10 rps { path users -> api -> pay1 }
    }""")
    assert a == pytest.approx(0.999 * (0.99 + 0.01 * 0.98), abs=TOL)


def test_alternatives_sharing_a_backend():
    # b | c, both need db: db is one unit, so A = api * db * (b + (1-b) c).
    a = avail("""system t {
      client users
      server api { availability 99.9% }
      server b { availability 99% }
      server c { availability 95% }
      database db { availability 99.5% }
      api -> b | c
      b -> db
      c -> db
      flow f rate 10 rps { path users -> api -> b -> db
        path api -> c -> db }
    }""")
    assert a == pytest.approx(0.999 * 0.995 * (0.99 + 0.01 * 0.95), abs=TOL)


def test_component_reached_twice_counts_once():
    a = avail("""system t {
      client users
      server api { availability 99.9% }
      server b { availability 99% }
      server c { availability 98% }
      database db { availability 97% }
      flow f rate 10 rps { path users -> api -> b -> db
        path api -> c -> db }
    }""")
    assert a == pytest.approx(0.999 * 0.99 * 0.98 * 0.97, abs=TOL)


def test_optional_call_is_not_needed():
    a = avail("""system t {
      client users
      server api { availability 99.9% }
      external mail { availability 50% }
      api -> mail optional
      flow f rate 10 rps { path users -> api -> mail }
    }""")
    assert a == pytest.approx(0.999, abs=TOL)


def test_queue_ends_the_request():
    a = avail("""system t {
      client users
      server api { availability 99.9% }
      queue q { availability 99.99% }
      server worker { availability 50% }
      api -> q
      q -> worker
      flow f rate 10 rps { path users -> api -> q ~> worker }
    }""")
    assert a == pytest.approx(0.999 * 0.9999, abs=TOL)


WHATIF = "system t {" + ZONES + """
  server s { availability 99% replicas 2 placement r.a, r.b }
  cache c { hit_ratio 70% availability 99.9% placement r.b }
  database db { availability 99.95% }
  s -> c
  c -> db
  flow f rate 10 rps { path users -> s -> c -> db }
}"""


def test_what_if_zone_down():
    R, za, zb, p, cc, d = 0.9999, 0.999, 0.998, 0.99, 0.999, 0.9995
    base = R * zb * cc * (0.7 + 0.3 * d) * (za * (1 - (1 - p) ** 2) + (1 - za) * p)
    assert avail(WHATIF) == pytest.approx(base, abs=TOL)
    # zone a down: s keeps its replica in b.
    assert avail(WHATIF, down=["r.a"]) == pytest.approx(R * zb * p * cc * (0.7 + 0.3 * d),
                                                        abs=TOL)
    # zone b down: the cache is gone.
    assert avail(WHATIF, down=["r.b"]) == 0.0
    # the database down: only cache hits succeed.
    assert avail(WHATIF, down=["db"]) == pytest.approx(base / (0.7 + 0.3 * d) * 0.7, abs=TOL)
    # the region down, or several units at once.
    assert avail(WHATIF, down=["r"]) == 0.0
    assert avail(WHATIF, down=["r.a", "db"]) == pytest.approx(R * zb * p * cc * 0.7, abs=TOL)


def test_what_if_recomputes_component_availability_and_echoes_down():
    rep = analyze_availability(archlang.loads(WHATIF), down=["r.a"])
    assert rep.down == ("r.a",)
    assert rep.components["s"].availability_with_domains == pytest.approx(0.9999 * 0.998 * 0.99,
                                                                          abs=TOL)
    assert rep.components["s"].availability == pytest.approx(0.99, abs=TOL)   # r.a forced down
    assert rep.components["db"].availability == pytest.approx(0.9995, abs=TOL)


def test_unknown_down_name_is_a_design_error_with_a_hint():
    with pytest.raises(DesignError) as e:
        analyze_availability(archlang.loads(WHATIF), down=["r.c", "dbb"])
    msgs = [d.message for d in e.value.diagnostics]
    assert "unknown unit 'r.c' for --down" in msgs
    assert "unknown unit 'dbb' for --down" in msgs
    hints = {d.message: d.hint for d in e.value.diagnostics}
    assert hints["unknown unit 'dbb' for --down"] == "did you mean 'db'?"
    assert "error: unknown unit 'dbb' for --down" in str(e.value)


def test_reported_figures():
    rep = analyze_availability(archlang.loads("""system t {
      client users
      server api { availability 99.9% }
      flow f rate 10 rps { path users -> api
        slo availability 99.95% }
      server perfect { availability 100% }
      flow g rate 10 rps { path users -> perfect }
    }"""))
    f = rep.flows["f"]
    assert f.nines == pytest.approx(3.0, abs=TOL)
    assert f.downtime_minutes_per_30d == pytest.approx(0.001 * MINUTES_PER_30D, abs=1e-6)
    assert f.downtime_minutes_per_year == pytest.approx(0.001 * MINUTES_PER_YEAR, abs=1e-6)
    assert rep.flows["g"].availability == 1.0 and math.isinf(rep.flows["g"].nines)
    assert list(rep.components) == ["users", "api", "perfect"]
    assert rep.components["users"].availability == 1.0
    assert rep.components["api"].availability == pytest.approx(0.999, abs=TOL)


def test_availability_slo_and_budget():
    rep = analyze_availability(archlang.loads("""system t {
      client users
      server api { availability 99.9% replicas 2 }
      flow ok rate 10 rps { path users -> api
        slo availability 99.99% }
      flow bad rate 10 rps { path users -> api
        slo availability 99.99999% }
    }"""))
    a = 1 - 0.001 ** 2
    ok = rep.flows["ok"].slos[0]
    assert ok.status == "pass" and ok.margin == pytest.approx(a - 0.9999, abs=TOL)
    assert ok.error_budget_minutes_per_30d == pytest.approx(0.0001 * 43200, abs=1e-6)
    assert ok.predicted_downtime_minutes_per_30d == pytest.approx(1e-6 * 43200, abs=1e-6)
    assert ok.budget_use == pytest.approx(0.01, abs=1e-6)
    bad = rep.flows["bad"].slos[0]
    assert bad.status == "fail" and bad.budget_use == pytest.approx(10.0, rel=1e-6)
    assert bad.margin == pytest.approx(a - 0.9999999, abs=TOL)


def test_extra_nine_rule():
    rep = analyze_availability(archlang.loads("""system t {
      client users
      server api { availability 99.99% replicas 2 }
      database db { availability 99.99% }
      cache c { availability 99.9% hit_ratio 90% }
      api -> c
      c -> db
      flow f rate 10 rps { path users -> api -> c -> db
        slo availability 99.9% }
    }"""))
    # need <= (1 - 0.999) / 10 = 1e-4: api (1e-8) and c... c is 1e-3 > 1e-4: flagged.
    # db is behind the cache: not a hard dependency, never flagged.
    codes = [(f.code, f.component, f.flow, f.severity) for f in rep.findings]
    assert codes == [("AL101", "c", "f", "warning")]
    f = rep.findings[0]
    assert f.span.line == 5
    assert f.message == ("cache c, a hard dependency of flow f, is 99.9% available as placed; "
                         "the extra-nine rule asks for 99.99% under the SLO 99.9%")
    # A 99.9%-available component can reach 99.99% by replicas: 2 (1 - 1e-6).
    assert f.hint.startswith("run 2 replicas (now 1)")


REGION_DESIGN = """system t {
  region r availability %s { zone a availability 99.95%% zone b availability 99.95%% }
  region s availability 99.99%% { zone a availability 99.95%% }
  client users
  lb front { availability 99.99%% replicas 2 placement r.a, r.b }
  server api { availability 99.9%% replicas %s placement r.a, r.b }
  server one { availability 99.9%% replicas 2 placement r.a }
  front -> api
  api -> one
  flow f rate 10 rps { path users -> front -> api -> one
    slo availability %s }
}"""


def _hand_group(a, n, za):
    """P(at least one of n replicas up), replicas alternating over zones of availability
    za each (region up), worked out by conditioning on the two zones."""
    per = {0: (n + 1) // 2, 1: n // 2}
    total = 0.0
    for sa in (0, 1):
        for sb in (0, 1):
            pr = (za if sa else 1 - za) * (za if sb else 1 - za)
            m = per[0] * sa + per[1] * sb
            total += pr * (1 - (1 - a) ** m)
    return total


def test_extra_nine_region_cap_said_once():
    # SLO 99.99% in a 99.99% region: the allowance is 1e-5 and the region alone is 1e-4,
    # so no replica inside r helps: one AL102 at the region naming the components it caps.
    rep = analyze_availability(archlang.loads(REGION_DESIGN % ("99.99%", 4, "99.99%")))
    al102 = [f for f in rep.findings if f.code == "AL102"]
    assert len(al102) == 1
    assert al102[0].span.line == 11          # at the SLO line that asks for it
    assert "region r (99.99%, <string>:2)" in al102[0].message
    assert "front, api, one" not in al102[0].message
    assert "(api, front, one)" in al102[0].message
    assert "asks for 99.999% under the SLO 99.99%" in al102[0].message
    assert al102[0].hint.startswith("only another region removes it")
    # With r taken as up: api (4 replicas over two 99.95% zones) is 1 - 2.5e-7 ~ inside 1e-5;
    # one (2 replicas, both in zone r.a) is capped by its zone at 99.95%: flagged, and the
    # hint says to spread it over zones. front is inside the allowance.
    al101 = {f.component: f for f in rep.findings if f.code == "AL101"}
    assert sorted(al101) == ["one"]
    # 0.9995 * (1 - 0.001 ** 2) = 99.94990005%, truncated to the digits that differ
    assert al101["one"].message == (
        "server one, a hard dependency of flow f, is 99.9499% available with region "
        "r up; the extra-nine rule asks for 99.999% under the SLO 99.99%")
    assert "spread its replicas over two or more zones (all in zone r.a)" in al101["one"].hint
    assert 1 - _hand_group(0.999, 4, 0.9995) < 1e-5


def test_extra_nine_region_inside_allowance_is_no_noise():
    # SLO 99.9% in a 99.99% region: the region uses exactly the allowance (1e-4) and each
    # component's own share is far inside it: nothing to report (the "good practice" case
    # that used to flag every component).
    text = REGION_DESIGN.replace("replicas 2 placement r.a }", "replicas 2 placement r.a, r.b }")
    rep = analyze_availability(archlang.loads(text % ("99.99%", 2, "99.9%")))
    assert [f.code for f in rep.findings if f.code.startswith("AL10")] == []


def test_extra_nine_digits_tell_apart():
    # A component 99.98996% available against a 99.99% target: printed with the digits that
    # tell them apart, never "99.99%" beside "99.99%", never "at least 100%" for 99.995%.
    from archlang.numbers import exact_pct, pct_apart
    assert pct_apart(0.9998996, 0.9999) == "99.98996%"
    assert pct_apart(0.99989, 0.9999) == "99.989%"
    assert pct_apart(0.9999, 0.99995) == "99.99%"
    assert pct_apart(0.99994999, 0.99995) == "99.994999%"
    assert exact_pct(0.99995) == "99.995%"
    assert exact_pct(1 - (1 - 0.9995) / 10) == "99.995%"


# ---- an independent brute force over every unit state -----------------------------------------
def brute_force(design, flow):
    """Enumerate every replica, zone, region and failover state; evaluate S on flow_tree."""
    comps = {}
    for node in flow_tree(design, flow).walk():
        comps[node.name] = node.component
    doms = {}
    for r in design.regions:
        doms[r.name] = r.availability
        for z in r.zones:
            doms[z.key] = z.availability
    units = [("d", k, p) for k, p in sorted(doms.items())]
    for c in comps.values():
        if c.kind == "client":
            continue
        units += [("r", (c.name, i), c.availability) for i in range(c.replicas)]
        if c.mode == "active_passive":
            units.append(("f", c.name, 1 - min(c.failover_s / c.mtbf_s, 1)))
    total = 0.0
    for states in itertools.product((0, 1), repeat=len(units)):
        pr = 1.0
        st = {}
        for (kind, key, p), s in zip(units, states):
            pr *= p if s else 1 - p
            st[(kind, key)] = s
        if pr == 0:
            continue

        def up(c):
            if c.kind == "client":
                return 1
            k = 1 if c.mode == "active_passive" else c.min_replicas
            m = 0
            for i, pl in enumerate(c.replica_placements()):
                ok = st[("r", (c.name, i))]
                if pl is not None:
                    ok = ok and st[("d", pl.region)]
                    if pl.zone:
                        ok = ok and st[("d", pl.key)]
                m += bool(ok)
            f = st.get(("f", c.name), 1)
            return int(m >= k and f)

        def s(node):
            if not up(node.component):
                return 0.0
            if node.kind == "queue":
                return 1.0
            rest = 1.0
            for call in node.calls:
                if call.optional:
                    continue
                fail = 1.0
                for t in call.targets:
                    fail *= 1 - s(t)
                rest *= (1 - fail) ** call.count
            if node.kind in ("cache", "cdn"):
                h = node.component.hit_ratio
                rest = h + (1 - h) * rest
            return rest

        total += pr * s(flow_tree(design, flow))
    return total


BRUTE = [
    WHATIF,
    "system t {" + ZONES + """
      lb front { availability 99% replicas 2 active_passive failover 1h placement r.a, r.b }
      server b { availability 95% replicas 3 min 2 placement r.a, r.b }
      server c { availability 90% placement r.b }
      cache k { hit_ratio 60% availability 97% placement r.a }
      database db { availability 93% placement r.b }
      front -> b | c
      b -> k x2 parallel
      k -> db
      c -> db
      flow f rate 10 rps { path users -> front -> b -> k -> db
        path front -> c -> db }
    }""",
]


@pytest.mark.parametrize("text", BRUTE)
def test_exact_engine_matches_brute_force(text):
    d = archlang.loads(text)
    assert avail(text) == pytest.approx(brute_force(d, "f"), abs=1e-12)


def random_design(rng) -> str:
    """A small random design: zones, replicas, active_passive, caches, queues, optional
    calls, alternatives and xN calls, wired as a DAG and walked by one flow."""
    kinds = ["server", "cache", "database", "lb", "queue", "cdn", "external"]
    lines = ["system rnd {",
             f"  region r availability {rng.choice([99, 99.9, 100])}% {{ "
             f"zone a availability {rng.choice([98, 99.5, 100])}% "
             f"zone b availability {rng.choice([97, 99])}% }}",
             "  client users"]
    names = [f"c{i}" for i in range(rng.randint(3, 5))]
    budget = 11
    for nm in names:
        kind = rng.choice(kinds)
        n = rng.randint(1, 2 if budget < 4 else 3)
        budget -= n
        props = [f"availability {rng.choice([80, 90, 95, 99])}%"]
        if n > 1:
            if kind != "queue" and rng.random() < 0.3:
                props.append(f"replicas {n} active_passive failover {rng.choice([600, 3600])}s")
            else:
                props.append(f"replicas {n} min {rng.randint(1, n)}")
        pl = rng.choice(["", "r.a", "r.b", "r.a, r.b", "r"])
        if pl:
            props.append(f"placement {pl}")
        if kind in ("cache", "cdn"):
            props.append(f"hit_ratio {rng.choice([50, 80])}%")
        lines.append(f"  {kind} {nm} {{ {' '.join(props)} }}")
    paths = [f"path users -> {names[0]}"]
    kind_of = {ln.split()[1]: ln.split()[0] for ln in lines[3:]}
    reached = {names[0]}
    declared: set[tuple[str, str]] = set()
    for i, src in enumerate(names[:-1]):
        if src not in reached or kind_of[src] == "queue":
            continue
        later = names[i + 1:]
        for _ in range(rng.randint(1, 2)):
            t = rng.choice(later)
            alts = [t]
            if rng.random() < 0.3 and len(later) > 1:
                alts.append(rng.choice([x for x in later if x != t]))
            if any((src, x) in declared for x in alts):
                continue
            mods = []
            if rng.random() < 0.2:
                mods.append("optional")
            if rng.random() < 0.3:
                mods.append(f"x{rng.randint(2, 3)}")
            declared.update((src, x) for x in alts)
            lines.append(f"  {src} -> {' | '.join(alts)} {' '.join(mods)}".rstrip())
            paths.append(f"path {src} -> {t}")
            reached.add(t)
    lines.append("  flow f rate 1 rps {")
    lines += [f"    {p}" for p in paths]
    lines += ["  }", "}"]
    return "\n".join(lines)


def test_random_designs_match_brute_force():
    import random

    rng = random.Random(7)
    checked = 0
    for _ in range(40):
        text = random_design(rng)
        try:
            d = archlang.loads(text)
        except archlang.ArchlangError as e:   # the generator should only write valid designs
            raise AssertionError(f"{e}\n{text}") from None
        got = analyze_availability(d).flows["f"].availability
        assert got == pytest.approx(brute_force(d, "f"), abs=1e-12), text
        checked += 1
    assert checked == 40


def test_one_number_formatter():
    # archlang.numbers: no exponent, no float noise, availabilities truncated (never 100% for
    # less), budget "used"; text, HTML, DOT and Markdown all call it.
    from archlang import numbers as N
    assert N.quantity(6009000.0) == "6009000" and "e" not in N.quantity(2e6)
    assert N.quantity(359.9999999999999) == "360" and N.quantity(600.4591) == "600.5"
    assert N.availability(0.99999999999998) == "100%"        # float noise is 1
    assert N.availability(0.999995) == "99.9995%"
    assert N.availability(0.9999999) == "99.99999%"          # 7 nines: 5 decimals
    assert N.availability(0.99998999) == "99.9989%"          # truncated, not 99.9990%
    assert N.availability(0.9999) == "99.99%"
    assert N.budget_used(0.71) == "budget 71% used"
    assert N.budget_used(1000.0) == "budget 1000x used"          # not "100000% used"
    assert N.budget_used(2.5) == "budget 250% used"
    # loads: four significant digits, the whole part never rounded
    assert [N.quantity(x) for x in (1598.78, 177.7777, 993.51, 0.123456, 12345.6)] == \
        ["1599", "177.8", "993.5", "0.1235", "12346"]
    # probabilities and gains: three significant digits, never an exponent
    assert [N.probability(x) for x in (5e-4, 9.99e-7, 0.25, 1.0, 0.0)] == \
        ["0.0005", "0.000000999", "0.25", "1", "0"]
    assert N.importance(0.99979123) == "0.999791"
    assert N.latency_ms(658.44) == "658.4 ms" and N.hop_ms(0.0312) == "0.03 ms"
    # written durations: three significant digits (a minute is "60.0 s", not "60.00 s")
    assert [N.duration_ms(x) for x in (3.431, 62.7, 660.0, 1200.0, 60000.0, 300000.0)] == \
        ["3.43 ms", "62.7 ms", "660 ms", "1.20 s", "60.0 s", "300 s"]
    # a figure beside its target: digits enough to tell them apart, availability truncated
    # with at least the table's decimals (99.9899% in both, not 99.989% in the message)
    assert N.apart(100.04, 100.0, "ms", N.ms) == "100.04ms"
    assert N.apart(999.96, 1000.0, " rps") == "999.96 rps"
    assert N.apart(1234.56, 100.0, "ms", N.ms) == "1234.6ms"
    assert N.pct_apart(0.999899, 0.9999) == N.availability(0.999899) == "99.9899%"
    assert N.pct_apart(0.99989, 0.9999) == "99.989%"
    assert N.pct_apart(0.99999996, 0.9999) != "100%"
    from archlang.render.labels import fmt_pct, fmt_rate
    from archlang.render.markdown import _pct as md_pct
    from archlang.render.text_availability import _avail
    for a in (0.99998999, 0.9978, 0.999999123):
        assert fmt_pct(a) == md_pct(a) == _avail(a) == N.availability(a)
    assert fmt_rate(2e6) == "2000000 rps"


def test_nines_of_a_flow_that_always_fails_is_zero_not_minus_zero():
    from archlang.analysis.common import nines
    assert math.copysign(1.0, nines(0.0)) == 1.0
    assert nines(0.9) == pytest.approx(1.0)


def test_extra_nine_hint_names_the_failover_as_written():
    design = archlang.loads("""system t {
      client users
      server api { replicas 2 active_passive failover 600s mtbf 1d mttr 1h latency 5ms }
      flow f rate 1 rps { path users -> api  slo availability 99.95% }
    }""")
    hints = [f.hint for f in archlang.analyze(design).findings if f.code == "AL101"]
    assert hints and "`failover 600s`" in hints[0] and "failover_s" not in hints[0]
