"""SPOFs, cut sets of order 2, degrading units and importance on designs built to have them
(or not)."""

from __future__ import annotations

import pytest

import archlang
from archlang.analysis.availability import analyze_availability

TOL = 1e-9


def flow(text: str, name: str = "f", down=()):
    return analyze_availability(archlang.loads(text), down=down).flows[name]


def names(cut_sets):
    return [tuple((u.name, u.kind) for u in cs.units) for cs in cut_sets]


WITH_SPOFS = """system t {
  region r availability 99.99% { zone a availability 99.9% zone b availability 99.8% }
  client users
  server s { availability 99% replicas 2 placement r.a }
  database db { availability 99.5% placement r.b }
  flow f rate 10 rps { path users -> s -> db }
}"""


def test_spofs_component_zone_region():
    f = flow(WITH_SPOFS)
    assert names(f.spofs) == [(("db", "component"),), (("r.b", "zone"),), (("r.a", "zone"),),
                              (("r", "region"),)]
    assert [cs.probability for cs in f.spofs] == pytest.approx([0.005, 0.002, 0.001, 0.0001],
                                                               abs=1e-15)
    # Order 2: the two replicas of s; nothing containing a SPOF.
    assert names(f.cut_sets) == [(("s[1]", "replica"), ("s[2]", "replica"))]
    assert f.cut_sets[0].probability == pytest.approx(0.01 * 0.01, abs=1e-15)
    db = f.spofs[0].units[0]
    assert db.component == "db" and db.span.line == 5


NO_SPOF = """system t {
  region r { zone a availability 99.9% zone b availability 99.8% }
  client users
  server s { availability 99% replicas 2 placement r.a, r.b }
  database db { availability 99.5% replicas 2 placement r.a, r.b }
  flow f rate 10 rps { path users -> s -> db }
}"""


def test_no_spof_but_order_two_cut_sets():
    f = flow(NO_SPOF)
    assert f.spofs == ()
    got = {tuple(u.name for u in cs.units): cs.probability for cs in f.cut_sets}
    want = {
        ("db[1]", "db[2]"): 0.005 ** 2,
        ("db[1]", "r.b"): 0.005 * 0.002,
        ("db[2]", "r.a"): 0.005 * 0.001,
        ("r.a", "r.b"): 0.001 * 0.002,
        ("r.a", "s[2]"): 0.001 * 0.01,
        ("r.b", "s[1]"): 0.002 * 0.01,
        ("s[1]", "s[2]"): 0.01 ** 2,
    }
    assert got.keys() == want.keys()
    for k, p in want.items():
        assert got[k] == pytest.approx(p, abs=1e-15)
    probs = [cs.probability for cs in f.cut_sets]
    assert probs == sorted(probs, reverse=True)
    # the region has availability 1 (default): never a unit
    assert all(u.name != "r" for cs in f.cut_sets for u in cs.units)


def test_what_if_turns_cut_sets_into_spofs():
    f = flow(NO_SPOF, down=["r.a"])
    assert names(f.spofs) == [(("s[2]", "replica"),), (("db[2]", "replica"),),
                              (("r.b", "zone"),)]
    assert f.cut_sets == ()


def test_all_replicas_needed_makes_the_component_a_spof():
    # analyses.md: a SPOF is "a component with one replica, or min k equal to replicas n":
    # each replica alone fails it, so the group is reported once, as the component, with
    # the chance that any of its replicas is down.
    f = flow("""system t {
      client users
      server s { availability 99.9% replicas 3 min 3 }
      flow f rate 10 rps { path users -> s }
    }""")
    assert names(f.spofs) == [(("s", "component"),)]
    assert f.spofs[0].probability == pytest.approx(1 - 0.999 ** 3, abs=1e-15)
    assert f.cut_sets == ()
    # with min 2 of 3 no replica alone is a SPOF: the pairs are order-2 cut sets
    f = flow("""system t {
      client users
      server s { availability 99.9% replicas 3 min 2 }
      flow f rate 10 rps { path users -> s }
    }""")
    assert f.spofs == () and len(f.cut_sets) == 3


def test_units_that_cannot_fail_are_never_reported():
    f = flow("""system t {
      region r { zone a }
      client users
      server s { availability 100% placement r.a }
      server t2 { availability 100% replicas 2 min 2 }
      flow f rate 10 rps { path users -> s -> t2 }
    }""")
    assert f.spofs == () and f.cut_sets == () and f.degrading == () and f.importance == ()
    assert f.availability == 1.0


def test_alternatives_form_an_order_two_cut():
    f = flow("""system t {
      client users
      server api { availability 100% }
      external p1 { availability 99% }
      external p2 { availability 98% }
      api -> p1 | p2
      flow f rate 10 rps { path users -> api -> p1 }
    }""")
    assert f.spofs == ()
    assert names(f.cut_sets) == [(("p1", "component"), ("p2", "component"))]
    assert f.cut_sets[0].probability == pytest.approx(0.01 * 0.02, abs=1e-15)


DEGRADE = """system t {
  region r { zone a availability 99.9% zone b availability 99.8% }
  client users
  server api { availability 99.9% replicas 2 placement r.a, r.b }
  cache c { hit_ratio 85% availability 99.9% replicas 2 placement r.a, r.b }
  database db { availability 99.5% placement r.b }
  api -> c
  c -> db
  flow f rate 10 rps { path users -> api -> c -> db }
}"""


def test_database_behind_a_cache_only_degrades():
    f = flow(DEGRADE)
    assert f.spofs == ()
    deg = [(d.unit.name, d.unit.kind, d.fraction_lost) for d in f.degrading]
    assert [x[:2] for x in deg] == [("db", "component"), ("r.b", "zone")]
    assert deg[0][2] == pytest.approx(0.15, abs=TOL)
    assert deg[1][2] == pytest.approx(0.15, abs=TOL)
    # the database is not a hard dependency, so never in a cut set either
    assert all(u.name != "db" for cs in f.cut_sets for u in cs.units)


def test_importance_serial_chain():
    f = flow("""system t {
      client users
      server a { availability 99% }
      server b { availability 95% }
      server c { availability 100% }
      flow f rate 10 rps { path users -> a -> b -> c }
    }""")
    imp = [(i.name, i.kind) for i in f.importance]
    # I_b = A(a) = 0.99 ranks above I_a = A(b) = 0.95; c cannot fail: not ranked
    assert imp == [("b", "component"), ("a", "component")]
    b, a = f.importance
    assert a.birnbaum == pytest.approx(0.95, abs=TOL)        # A(a up) - A(a down) = b
    assert b.birnbaum == pytest.approx(0.99, abs=TOL)
    assert a.gain_if_perfect == pytest.approx(0.95 - 0.99 * 0.95, abs=TOL)
    assert b.gain_if_perfect == pytest.approx(0.99 - 0.99 * 0.95, abs=TOL)
    assert a.unit_availability == pytest.approx(0.99, abs=TOL)


def test_importance_ranks_descending_and_includes_domains():
    f = flow(WITH_SPOFS)
    bs = [i.birnbaum for i in f.importance]
    assert bs == sorted(bs, reverse=True)
    byname = {i.name: i for i in f.importance}
    assert set(byname) == {"s", "db", "r", "r.a", "r.b"}
    R, za, zb, p, d = 0.9999, 0.999, 0.998, 0.99, 0.995
    a = R * za * zb * (1 - (1 - p) ** 2) * d
    assert f.availability == pytest.approx(a, abs=TOL)
    # zone a: A(up) - A(down) = R zb (1-(1-p)^2) d - 0
    assert byname["r.a"].birnbaum == pytest.approx(R * zb * (1 - (1 - p) ** 2) * d, abs=TOL)
    assert byname["r.a"].gain_if_perfect == pytest.approx(a / za - a, abs=TOL)
    # component s perfect: its replicas always up, still inside zone a
    assert byname["s"].gain_if_perfect == pytest.approx(a / (1 - (1 - p) ** 2) - a, abs=TOL)
    assert byname["s"].kind == "component" and byname["r"].kind == "region"
    # the region holds s and db: conditioned on above both, then forced up and down
    assert byname["r"].birnbaum == pytest.approx(a / R, abs=TOL)
    assert byname["r.b"].birnbaum == pytest.approx(a / zb, abs=TOL)
    assert byname["db"].birnbaum == pytest.approx(a / d, abs=TOL)


def test_importance_what_ifs_match_fresh_engines():
    # The engine memoises across what-ifs; each must equal a fresh computation.
    import test_availability as ta

    from archlang.analysis.compiled_flow import compile_flow
    from archlang.analysis.exact import ExactEngine

    for text in [WITH_SPOFS, NO_SPOF, DEGRADE, ta.WHATIF] + ta.BRUTE:
        d = archlang.loads(text)
        fm = compile_flow(d, "f")
        shared = ExactEngine(fm)
        shared.availability()
        units = [("c", c) for c in fm.components] + \
            [("d", k) for k in sorted({x for c in fm.components
                                       for x in fm.models[c].domains})]
        for u in units:
            for state in (("up", "down") if u[0] == "c" else (1, 0)):
                got = shared.availability({u: state})
                want = ExactEngine(fm).availability({u: state})
                assert got == pytest.approx(want, abs=1e-15), (text[:20], u, state)


def test_json_importance_entries_carry_the_unit_availability():
    from pathlib import Path

    from archlang.render.json import file_json
    design = archlang.load(Path(__file__).resolve().parents[1] / "examples" / "shop.arch")
    flows = file_json(design, archlang.analyze(design))["flows"]
    assert isinstance(flows, list)
    zones = {z.key: z.availability for r in design.regions for z in r.zones}
    seen = 0
    for fl in flows:
        for entry in fl["importance"]:
            assert 0.0 < entry["unit_availability"] <= 1.0
            if entry["kind"] == "zone":
                assert entry["unit_availability"] == pytest.approx(zones[entry["name"]])
                seen += 1
    assert seen
