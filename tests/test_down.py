"""--down: one resolution (archlang.analysis.down) and failover routing under it.

Every figure here is worked out by hand in the comments; the CLI is run as a subprocess.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import archlang
from archlang.analysis.availability import analyze_availability
from archlang.analysis.capacity import analyze_capacity, flow_loads
from archlang.analysis.down import NO_DOWN, alive, resolve_down, route, serves, up_replicas
from archlang.analysis.latency import analyze_latency
from archlang.analysis.montecarlo import monte_carlo_availability
from archlang.errors import DesignError
from archlang.findings import analyze
from archlang.graph import flow_tree

ROOT = Path(__file__).resolve().parents[1]

# Two regions behind a geo DNS. The flow's path goes east; the west is its failover.
# Fixed latencies and no capacity: latency is exact.
ROUTES = """\
system routes {
  region east availability 99.9% { zone a availability 99.9%
    zone b availability 99.9% }
  region west availability 99.9% { zone a availability 99.9% }
  network { same_zone 0.5ms cross_zone 1ms cross_region 30ms }
  client users { latency 10ms }
  dns geo { latency 1ms availability 99.99% }
  lb lb-east { latency 1ms availability 99.9% placement east.a }
  lb lb-west { latency 2ms availability 99.9% placement west.a }
  server api-east { replicas 2 latency 5ms availability 99% placement east.a }
  server api-west { replicas 2 latency 5ms availability 99% placement west.a }
  database db { latency 3ms availability 99.95% placement west.a }
  geo -> lb-east | lb-west
  lb-east -> api-east
  lb-west -> api-west
  api-east -> db
  api-west -> db
  flow read rate 100 rps { path users -> geo -> lb-east -> api-east -> db }
}
"""

# east route: 10 (last mile) + 1 (geo) + 0.5 (geo has no placement: same zone) + 1 (lb-east)
#             + 0.5 + 5 (api-east) + 30 (east -> west) + 3 (db) = 51
EAST_MS = 10 + 1 + 0.5 + 1 + 0.5 + 5 + 30 + 3
# west route: 10 + 1 + 0.5 + 2 (lb-west) + 0.5 + 5 (api-west) + 0.5 (same zone) + 3 = 22.5
WEST_MS = 10 + 1 + 0.5 + 2 + 0.5 + 5 + 0.5 + 3

# Each region serves its half; each must be able to carry the other's.
LOADS = """\
system loads {
  region east { zone a
    zone b }
  region west { zone a
    zone b }
  client users { latency 0ms }
  dns geo { }
  lb lb-east { replicas 2 capacity 1000 rps placement east.a, east.b }
  lb lb-west { replicas 2 capacity 1000 rps placement west.a, west.b }
  server api-east { replicas 4 min MIN capacity 250 rps placement east.a, east.b }
  server api-west { replicas 4 capacity 250 rps placement west.a, west.b }
  geo -> lb-east | lb-west
  lb-east -> api-east
  lb-west -> api-west
  flow e rate 300 rps { path users -> geo -> lb-east -> api-east }
  flow w rate 300 rps { path users -> geo -> lb-west -> api-west }
}
"""


def loads(min_east: int = 1):
    return archlang.loads(LOADS.replace("MIN", str(min_east)))


def run(*args):
    return subprocess.run([sys.executable, "-m", "archlang.cli", *map(str, args)],
                          capture_output=True, text=True)


# ---- resolution ----------------------------------------------------------------------------
def test_resolve_every_kind_of_name():
    d = archlang.loads(ROUTES)
    got = resolve_down(d, ["east", "west.a", "db", "api-west[2]", "api-east[1]"])
    assert got.regions == {"east"} and got.zones == {"west.a"} and got.components == {"db"}
    assert got.replicas == {("api-west", 1), ("api-east", 0)}       # from 0 internally
    assert got.names == ("east", "west.a", "db", "api-west[2]", "api-east[1]")
    assert got and not resolve_down(d, []) and resolve_down(d, []) == NO_DOWN


def test_up_replicas_and_alive_follow_placement_and_min():
    d = loads(min_east=3)
    api = d.components["api-east"]            # 1, 3 in east.a; 2, 4 in east.b
    assert up_replicas(api, NO_DOWN) == [0, 1, 2, 3]
    assert up_replicas(api, resolve_down(d, ["east.a"])) == [1, 3]
    assert up_replicas(api, resolve_down(d, ["api-east[4]", "east.a"])) == [1]
    assert up_replicas(api, resolve_down(d, ["east"])) == []
    assert up_replicas(api, resolve_down(d, ["api-east"])) == []
    # alive: at least k = min 3 of 4 not forced down
    assert alive(api, resolve_down(d, ["api-east[2]"]))
    assert not alive(api, resolve_down(d, ["east.a"]))
    assert alive(d.components["lb-east"], resolve_down(d, ["east.a"]))      # 1 of 2, min 1


def errors(design, names) -> list:
    with pytest.raises(DesignError) as e:
        resolve_down(design, names)
    return e.value.diagnostics


def test_unknown_names_and_replicas_with_hints_all_reported_at_once():
    d = archlang.loads(ROUTES)
    diags = errors(d, ["api-eats", "east.c", "api-west[3]", "api-wst[1]", "db[0]", "db"])
    got = {x.message: x.hint for x in diags}
    assert got == {
        "unknown unit 'api-eats' for --down": "did you mean 'api-east'?",
        "unknown unit 'east.c' for --down": "did you mean 'east.b'?",
        "unknown replica 'api-west[3]' for --down":
            "server api-west has replicas api-west[1] to api-west[2] (numbered from 1)",
        "unknown unit 'api-wst[1]' for --down": "did you mean 'api-west[1]'?",
        "unknown replica 'db[0]' for --down": "database db has replicas db[1] (numbered from 1)",
    }
    assert all(x.span == d.span for x in diags)
    nothing_like = errors(d, ["zzzzzz"])[0]
    assert nothing_like.hint.startswith("name a component, a replica as name[i]")


AMBIGUOUS = """\
system amb {
  region us { zone a
    zone b }
  client u
  server us { replicas 2 placement us.a, us.b }
  flow f { path u -> us }
}
"""


def test_a_component_named_like_a_region_is_ambiguous_in_every_analysis():
    d = archlang.loads(AMBIGUOUS)
    (diag,) = errors(d, ["us"])
    assert diag.message == "'us' for --down names both a component and a region"
    assert diag.hint == ("for the server name its replicas (us[1] to us[2]); "
                         "for the region name its zones (us.a, us.b)")
    for analysis in (analyze_availability, analyze_capacity, analyze):
        with pytest.raises(DesignError):
            analysis(d, ["us"])
    # the ways around it the hint gives: the same failure, named without ambiguity
    a = analyze_availability(d, ["us[1]", "us[2]"]).flows["f"].availability
    assert a == 0.0 == analyze_availability(d, ["us.a", "us.b"]).flows["f"].availability


# ---- availability with replicas down -----------------------------------------------------------
KOFN = """\
system kofn {
  client users { latency 0ms }
  server api { replicas 3 min 2 availability 99% latency 5ms }
  flow f { path users -> api
           slo availability 99% }
}
"""


def test_a_replica_down_leaves_k_of_the_rest():
    d = archlang.loads(KOFN)
    a = 0.99
    # 2 of 3: 3 a^2 (1 - a) + a^3; with api[2] down, 2 of the 2 left: a^2
    assert analyze_availability(d).flows["f"].availability == pytest.approx(
        3 * a * a * (1 - a) + a ** 3, abs=1e-15)
    rep = analyze_availability(d, ["api[2]"])
    assert rep.flows["f"].availability == pytest.approx(a * a, abs=1e-15)
    assert rep.components["api"].availability == pytest.approx(a * a, abs=1e-15)
    assert rep.down == ("api[2]",)
    # the two left are now each a SPOF; the forced replica is never listed
    assert [cs.units[0].name for cs in rep.flows["f"].spofs] == ["api[1]", "api[3]"]
    assert rep.flows["f"].cut_sets == ()
    # two down: none of the 1 left can make 2
    assert analyze_availability(d, ["api[1]", "api[3]"]).flows["f"].availability == 0.0


def test_replica_down_combines_with_its_zone_and_monte_carlo_agrees():
    d = archlang.loads(ROUTES)
    # api-west has both replicas in west.a; with api-west[1] down, the one left is up with
    # 0.99 and the flow (east down, so through the west) needs geo, the west region and zone,
    # lb-west, api-west[2] and db.
    geo, R, z, lb, a, db = 0.9999, 0.999, 0.999, 0.999, 0.99, 0.9995
    want = geo * R * z * lb * a * db
    exact = analyze_availability(d, ["east", "api-west[1]"]).flows["read"].availability
    assert exact == pytest.approx(want, abs=1e-15)
    mc = monte_carlo_availability(d, "read", trials=200_000, down=["east", "api-west[1]"])
    assert abs(mc.estimate - exact) <= 3.29 * mc.std_error


# ---- failover routing: capacity ------------------------------------------------------------------
def test_nothing_down_each_region_carries_its_half():
    cap = analyze_capacity(loads())
    c = cap.components
    assert c["api-east"].load_rps == 300 and c["api-west"].load_rps == 300
    assert c["api-west"].utilisation == pytest.approx(300 / (4 * 250))       # 0.3
    assert c["lb-west"].utilisation == pytest.approx(300 / (2 * 1000))       # 0.15
    assert cap.flows["e"].max_rate_rps == pytest.approx(1000)                # api-east


@pytest.mark.parametrize("down", [["east"], ["lb-east"], ["lb-east[1]", "lb-east[2]"],
                                  ["east.a", "east.b"], ["api-east"]])
def test_east_down_moves_all_load_to_the_west(down):
    cap = analyze_capacity(loads(), down)
    c = cap.components
    # 300 + 300 rps on the west: utilisation doubles
    assert c["geo"].load_rps == 600
    assert c["lb-west"].load_rps == 600 and c["api-west"].load_rps == 600
    assert c["api-west"].utilisation == pytest.approx(600 / 1000)            # 0.3 -> 0.6
    assert c["lb-west"].utilisation == pytest.approx(600 / 2000)             # 0.15 -> 0.3
    assert c["lb-east"].load_rps == 0 and c["api-east"].load_rps == 0
    assert c["api-west"].load_by_flow == {"e": 300, "w": 300}
    # flow e now ends on api-west, which the other flow loads with 300: (1000 - 300) / 1
    assert cap.flows["e"].max_rate_rps == pytest.approx(700)
    assert cap.flows["e"].bottleneck == "api-west"


def test_losing_part_of_the_east_keeps_the_east_route():
    # east.a down: lb-east and api-east keep their east.b replicas (min 1): no failover,
    # api-east carries its 300 rps on 2 replicas: 300 / 500
    c = analyze_capacity(loads(), ["east.a"]).components
    assert c["api-east"].load_rps == 300 and c["api-west"].load_rps == 300
    assert c["api-east"].utilisation == pytest.approx(0.6)


def test_min_k_decides_whether_the_east_still_serves():
    # api-east needs 3 of 4: east.a takes 2 away, the east route cannot serve: failover,
    # as availability sees it (the east alternative's success fraction is 0).
    d = loads(min_east=3)
    c = analyze_capacity(d, ["east.a"]).components
    assert c["api-west"].load_rps == 600 and c["api-east"].load_rps == 0
    a = analyze_availability(d, ["east.a"]).flows["e"].availability
    assert a == analyze_availability(d, ["east"]).flows["e"].availability


def test_no_alternative_serves_keeps_the_primary():
    d = loads()
    c = analyze_capacity(d, ["east", "west"]).components
    assert c["lb-east"].load_rps == 300 and c["lb-west"].load_rps == 300     # as with none
    assert analyze_availability(d, ["east", "west"]).flows["e"].availability == 0.0


def test_route_and_serves():
    d = archlang.loads(ROUTES)
    tree = flow_tree(d, "read")
    (geo_call,) = tree.calls[0].targets[0].calls
    assert [t.name for t in geo_call.targets] == ["lb-east", "lb-west"]
    assert route(geo_call, NO_DOWN).name == "lb-east"
    assert route(geo_call, resolve_down(d, ["lb-east"])).name == "lb-west"
    # lb-east is up but what it needs is not: the request cannot succeed there
    down = resolve_down(d, ["api-east"])
    assert alive(d.components["lb-east"], down) and not serves(geo_call.targets[0], down)
    assert route(geo_call, down).name == "lb-west"
    assert route(geo_call, resolve_down(d, ["db"])).name == "lb-east"      # none serves
    assert flow_loads(tree, 100.0, resolve_down(d, ["east"])) == {
        "users": 100.0, "geo": 100.0, "lb-west": 100.0, "api-west": 100.0, "db": 100.0}


def test_a_cache_serves_its_hits_when_its_backend_is_down():
    d = archlang.loads("""\
system c {
  client u
  dns geo { }
  cache c1 { hit_ratio 90% }
  cache c2 { hit_ratio 0% }
  database db1 { }
  database db2 { }
  server s { }
  geo -> c1 | s
  c1 -> db1
  s -> c2
  c2 -> db2
  flow f { path u -> geo -> c1 -> db1 }
}
""")
    tree = flow_tree(d, "f")
    (call,) = tree.calls[0].targets[0].calls
    assert route(call, resolve_down(d, ["db1"])).name == "c1"      # 90% still served
    assert route(call, resolve_down(d, ["c1"])).name == "s"
    s = call.targets[1]
    assert not serves(s, resolve_down(d, ["db2"]))                  # hit ratio 0: no hits


# ---- failover routing: latency -------------------------------------------------------------------
def latency(design, down=()):
    cap = analyze_capacity(design, down)
    return analyze_latency(design, cap, down=down).flows["read"]


@pytest.mark.parametrize("down", [["east"], ["east.a"], ["lb-east"], ["api-east"],
                                  ["api-east[1]", "api-east[2]"]])
def test_latency_follows_the_west_route(down):
    d = archlang.loads(ROUTES)
    assert latency(d).p50 == pytest.approx(EAST_MS) and latency(d).method == "exact"
    fl = latency(d, down)
    assert fl.method == "exact"
    assert fl.p50 == fl.p99 == fl.mean == pytest.approx(WEST_MS)
    assert [(h.name, h.via) for h in fl.hops] == [("geo", "users"), ("lb-west", "geo"),
                                                  ("api-west", "lb-west"), ("db", "api-west")]
    api = next(h for h in fl.hops if h.name == "api-west")
    assert api.mean_ms == pytest.approx(0.5 + 5) and api.network_ms == pytest.approx(0.5)


def test_latency_keeps_the_primary_when_it_still_serves_or_nothing_does():
    d = archlang.loads(ROUTES)
    assert latency(d, ["api-east[1]"]).p50 == pytest.approx(EAST_MS)   # one replica left
    assert latency(d, ["db"]).p50 == pytest.approx(EAST_MS)            # no route serves


def test_a_request_goes_to_replicas_that_are_up():
    # db replicas in west.a and west.b; api in west.a. Nothing down: half the calls cross
    # zones (1 ms), half do not (0.5 ms). With west.b down every call stays in the zone.
    d = archlang.loads("""\
system z {
  region west { zone a
    zone b }
  network { same_zone 0.5ms cross_zone 1ms }
  client u { latency 0ms }
  server api { latency 5ms placement west.a }
  database db { replicas 2 latency 3ms placement west.a, west.b }
  api -> db
  flow read { path u -> api -> db }
}
""")
    assert latency(d).method.startswith("monte carlo")
    assert latency(d).mean == pytest.approx(5 + 3 + 0.75, abs=0.01)
    fl = latency(d, ["west.b"])
    assert fl.method == "exact" and fl.p99 == pytest.approx(5 + 0.5 + 3)
    assert latency(d, ["db[1]"]).p99 == pytest.approx(5 + 1 + 3)


def test_analyze_passes_down_to_every_analysis():
    d = archlang.loads(ROUTES)
    r = analyze(d, ["east"])
    assert r.down == ("east",)
    f = r.flows["read"]
    assert f.latency.p99 == pytest.approx(WEST_MS)
    # by hand: geo, then the west region and zone (shared by lb-west, api-west, db), lb-west,
    # 1 of 2 api-west replicas, db
    geo, R, z, lb, a, db = 0.9999, 0.999, 0.999, 0.999, 0.99, 0.9995
    assert f.availability == pytest.approx(geo * R * z * lb * (1 - (1 - a) ** 2) * db,
                                           abs=1e-15)
    assert r.components["lb-west"].load_rps == 100 and r.components["lb-east"].load_rps == 0


# ---- the CLI ---------------------------------------------------------------------------------
def test_cli_accepts_a_replica(tmp_path):
    p = tmp_path / "kofn.arch"
    p.write_text(KOFN)
    ok = run("check", p, "--format", "json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["files"][0]["flows"][0]["availability"] == pytest.approx(
        3 * 0.99 ** 2 * 0.01 + 0.99 ** 3, abs=1e-12)
    r = run("check", p, "--format", "json", "--down", "api[2]")
    assert r.returncode == 1, r.stderr          # 0.9801 < the SLO of 99%: a verdict, not misuse
    doc = json.loads(r.stdout)
    assert doc["files"][0]["flows"][0]["availability"] == pytest.approx(0.99 ** 2, abs=1e-12)
    text = run("check", p, "--down", "api[2]")
    assert text.returncode == 1 and "Traceback" not in text.stderr


def test_cli_rejects_ambiguous_and_unknown_names_with_hints(tmp_path):
    amb = tmp_path / "amb.arch"
    amb.write_text(AMBIGUOUS)
    r = run("check", amb, "--down", "us")
    assert r.returncode == 2
    assert "'us' for --down names both a component and a region" in r.stderr
    assert "hint: for the server name its replicas (us[1] to us[2])" in r.stderr
    assert "Traceback" not in r.stderr
    k = tmp_path / "kofn.arch"
    k.write_text(KOFN)
    r = run("check", k, "--down", "apj", "--down", "api[4]")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "unknown unit 'apj' for --down" in r.stderr and "did you mean 'api'?" in r.stderr
    assert "unknown replica 'api[4]' for --down" in r.stderr
    assert "api[1] to api[3]" in r.stderr


def test_cli_region_down_on_the_failover_design(tmp_path):
    p = tmp_path / "routes.arch"
    p.write_text(ROUTES)
    doc = json.loads(run("check", p, "--format", "json", "--down", "east").stdout)
    (flow,) = doc["files"][0]["flows"]
    assert flow["latency_ms"]["p99"] == pytest.approx(WEST_MS)
    assert doc["files"][0]["down"] == ["east"]


# ---- the documented what-ifs -------------------------------------------------------------------
DOCS = ROOT / "docs" / "analyses"
BLOCK = re.compile(r"```arch\n(.*?)```(.*?)(?=```arch|\Z)", re.S)
WITH = re.compile(r"<!-- with --down ([^:]+): (.*?) -->")


def _doc_cases():
    out = []
    for doc in ("capacity.md", "latency.md", "availability.md"):
        text = (DOCS / doc).read_text(encoding="utf-8")
        for i, m in enumerate(BLOCK.finditer(text)):
            for names, expect in WITH.findall(m.group(2)):
                out.append(pytest.param(m.group(1), names.split(), expect,
                                        id=f"{doc}-{i + 1}-{names}-{expect}"))
    return out


def test_docs_have_what_if_examples():
    assert len(_doc_cases()) >= 6


@pytest.mark.parametrize("text,down,expect", _doc_cases())
def test_documented_what_if(text, down, expect):
    """``<!-- with --down NAMES: KIND ... VALUE [+-TOL] -->`` after an arch block, KIND one
    of ``component NAME FIELD``, ``flow FLOW FIELD`` (capacity), ``latency FLOW FIELD``,
    ``availability FLOW``."""
    d = archlang.loads(text)
    r = analyze(d, down)
    words = expect.split()
    tol = float(words.pop()[2:]) if words[-1].startswith("+-") else 1e-9
    kind, *rest, want = words
    if kind == "component":
        got = getattr(r.capacity_report.components[rest[0]], rest[1])
    elif kind == "flow":
        got = getattr(r.capacity_report.flows[rest[0]], rest[1])
    elif kind == "latency":
        got = getattr(r.flows[rest[0]].latency, rest[1])
    elif kind == "availability":
        got = r.flows[rest[0]].availability
    else:
        raise AssertionError(f"unknown expectation {expect!r}")
    if isinstance(got, (int, float)) and not isinstance(got, bool):
        assert got == pytest.approx(float(want), abs=tol, rel=0), expect
    else:
        assert str(got) == want, expect



def test_a_unit_named_twice_is_down_once_and_said_once():
    design = archlang.load(ROOT / "examples" / "shop.arch")
    once = archlang.analyze(design, down=["api"])
    twice = archlang.analyze(design, down=["api", "api"])
    assert twice.down == once.down == ("api",)
    assert twice.flows["checkout"].availability == once.flows["checkout"].availability
    out = subprocess.run([sys.executable, "-m", "archlang", "check", "examples/shop.arch",
                          "--down", "api", "--down", "api"], cwd=ROOT, capture_output=True,
                         text=True).stdout
    assert "(with down: api)" in out


DOWN_WITH_LOAD = """system t {
  client users
  server front { capacity 1000 rps latency 2ms }
  server down1 { replicas 2 capacity 600 rps latency 5ms }
  flow f rate 120 rps { path users -> front -> down1  slo availability 99% }
}
"""


def test_a_component_down_is_said_down_in_every_output(tmp_path):
    path = tmp_path / "d.arch"
    path.write_text(DOWN_WITH_LOAD)
    run = [sys.executable, "-m", "archlang"]
    out = subprocess.run([*run, "check", str(path), "--down", "down1"], capture_output=True,
                         text=True).stdout
    assert "unbounded: down1 is down with load to carry" in out
    assert "120 rps against at most 0 rps (down1 is down)" in out
    assert "saturates" not in out and "at or over 100% at down1" not in out
    html = tmp_path / "d.html"
    subprocess.run([*run, "report", str(path), "--down", "down1", "-o", str(html)],
                   check=True, capture_output=True)
    page = html.read_text()
    assert "Unbounded: down1 is down with load to carry." in page
    assert '<span class="bad">down</span>' in page
