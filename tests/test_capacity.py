"""Capacity analysis: loads, utilisation, N+1 and throughput worked out by hand."""


import pytest

import archlang
from archlang.analysis.capacity import analyze_capacity
from archlang.errors import DesignError

REGIONS = "region us { zone a\n zone b\n zone c }\n region eu { zone a }"


def design(body: str):
    return archlang.loads(f"system t {{\n{REGIONS}\n{body}\n}}\n")


def capacity(body: str, down=()):
    return analyze_capacity(design(body), down=down)


BASIC = """
  client u { latency 0ms }
  lb front { capacity 1000 rps }
  server api { replicas 3 capacity 120 rps }
  cache c { hit_ratio 80% }
  database db { capacity 500 qps }
  queue q { }
  server worker { replicas 2 capacity 20 rps }
  api -> c x3
  c -> db
  api -> q
  q -> worker
  flow f rate 100 rps { path u -> front -> api -> c -> db
                        path api -> q ~> worker }
  flow g rate 50 rps { path u -> front -> api -> c }
"""


def test_loads_by_hand():
    r = capacity(BASIC)
    c = r.components
    # f: 100 into front and api; x3 -> 300 into c; 20% of that misses -> 60 into db;
    # 100 into q and on (asynchronously) to worker. g: 50 into front, api; 150 into c.
    assert c["front"].load_rps == pytest.approx(150)
    assert c["api"].load_rps == pytest.approx(150)
    assert c["c"].load_rps == pytest.approx(450)
    assert c["db"].load_rps == pytest.approx(60)
    assert c["q"].load_rps == pytest.approx(100)
    assert c["worker"].load_rps == pytest.approx(100)
    assert c["c"].load_by_flow == pytest.approx({"f": 300, "g": 150})
    assert c["db"].load_by_flow == pytest.approx({"f": 60})


def test_utilisation_status_and_findings():
    r = capacity(BASIC)
    c = r.components
    assert c["api"].serving_replicas == 3
    assert c["api"].utilisation == pytest.approx(150 / 360)
    assert c["api"].status == "ok"
    assert c["db"].utilisation == pytest.approx(60 / 500)
    assert c["worker"].utilisation == pytest.approx(100 / 40)       # 250%
    assert c["worker"].status == "error"
    assert c["c"].status == "unknown" and c["c"].utilisation is None
    codes = {(f.code, f.component) for f in r.findings}
    assert ("AL301", "worker") in codes
    al301 = next(f for f in r.findings if f.code == "AL301")
    assert al301.severity == "error" and "250.0%" in al301.message
    assert al301.span == design(BASIC).components["worker"].span


def test_warning_over_80_percent_and_boundaries():
    body = """
      client u { latency 0ms }
      server api { capacity 100 rps }
      flow f rate RATE rps { path u -> api }
    """
    def status(rate):
        return capacity(body.replace("RATE", str(rate))).components["api"].status
    assert status(80) == "ok"              # exactly 80% is not over 80%
    assert status(81) == "warning"
    assert status(100) == "warning"        # exactly 100% is not over 100% ...
    assert status(101) == "error"
    at100 = capacity(body.replace("RATE", "100"))
    assert not at100.flows["f"].fits       # ... but it is not under 100% either
    r = capacity(body.replace("RATE", "90"))
    assert [f.code for f in r.findings] == ["AL302"]
    assert r.findings[0].severity == "warning"


def test_float_rounding_does_not_flip_a_verdict():
    # 0.1 * 8 in floats is 0.8000000000000002 > 0.8; still exactly 80% by hand
    r = capacity("""
      client u { latency 0ms }
      cache c { hit_ratio 90% }
      server api { capacity 1 rps }
      c -> api
      flow f rate 8 rps { path u -> c -> api }
    """)
    assert r.components["api"].utilisation == pytest.approx(0.8)
    assert r.components["api"].status == "ok"


def test_active_passive_serves_with_one_replica():
    r = capacity("""
      client u { latency 0ms }
      lb front { replicas 2 active_passive capacity 100 rps placement us.a, us.b }
      flow f rate 60 rps { path u -> front }
    """)
    lb = r.components["front"]
    assert lb.serving_replicas == 1 and lb.utilisation == pytest.approx(0.6)
    # losing either zone leaves the passive one: still 60%; no "one replica" entry
    assert [(z.lost, z.remaining_replicas, z.utilisation) for z in lb.n_plus_1] == [
        ("us.a", 1, pytest.approx(0.6)), ("us.b", 1, pytest.approx(0.6))]
    assert not r.findings


N1 = """
  client u { latency 0ms }
  server api { replicas 3 capacity 60 rps placement us.a, us.b }
  flow f rate 100 rps { path u -> api
                        slo throughput 150 rps }
"""


def test_n_plus_1_names_the_zone():
    r = capacity(N1)
    api = r.components["api"]
    # replicas round-robin: api[1] us.a, api[2] us.b, api[3] us.a
    assert api.utilisation == pytest.approx(100 / 180)
    losses = {z.lost: (z.remaining_replicas, z.utilisation) for z in api.n_plus_1}
    assert losses["us.a"] == (1, pytest.approx(100 / 60))
    assert losses["us.b"] == (2, pytest.approx(100 / 120))
    assert losses["one replica"] == (2, pytest.approx(100 / 120))
    [f] = r.findings
    assert f.code == "AL303" and f.severity == "warning" and f.component == "api"
    assert "losing us.a" in f.message and "166.7%" in f.message


def test_single_replica_fails_n_plus_1_when_loaded():
    r = capacity("""
      client u { latency 0ms }
      database db { capacity 100 qps placement us.a }
      flow f rate 10 rps { path u -> db }
    """)
    db = r.components["db"]
    assert [(z.lost, z.remaining_replicas, z.utilisation) for z in db.n_plus_1] == [
        ("us.a", 0, None)]
    assert [f.code for f in r.findings] == ["AL303"]
    assert "no replica" in r.findings[0].message


def test_flow_max_rate_bottleneck_and_throughput_slo():
    r = capacity(N1)
    fc = r.flows["f"]
    assert fc.max_rate_rps == pytest.approx(180)
    assert fc.bottleneck == "api" and fc.fits
    [s150] = fc.slos
    assert (s150.status, s150.actual) == ("pass", pytest.approx(180))
    assert s150.margin == pytest.approx(30)
    [s200] = capacity(N1.replace("150 rps", "200 rps")).flows["f"].slos
    assert (s200.status, s200.margin) == ("fail", pytest.approx(-20))
    [s180] = capacity(N1.replace("150 rps", "180 rps")).flows["f"].slos
    assert s180.status == "fail"           # at 180 rps api is at 100%, not below it


def test_max_rate_with_other_flows_unchanged():
    r = capacity(BASIC)
    # f: per unit rate front 1, api 1, c 3, db 0.6, q 1, worker 1.
    # front (1000 - 50) / 1 = 950; api (360 - 50) / 1 = 310; db 500 / 0.6 = 833.3;
    # worker (40 - 0) / 1 = 40  -> bottleneck worker at 40 rps.
    assert r.flows["f"].max_rate_rps == pytest.approx(40)
    assert r.flows["f"].bottleneck == "worker"
    assert not r.flows["f"].fits
    # g: front (1000 - 100) = 900, api (360 - 100) = 260 -> api
    assert r.flows["g"].max_rate_rps == pytest.approx(260)
    assert r.flows["g"].bottleneck == "api" and r.flows["g"].fits


def test_alternatives_send_load_to_the_primary():
    r = capacity("""
      client u { latency 0ms }
      server api { }
      database a { capacity 100 qps }
      database b { capacity 100 qps }
      api -> a | b
      flow f rate 30 rps { path u -> api -> a }
    """)
    assert r.components["a"].load_rps == pytest.approx(30)
    assert r.components["b"].load_rps == 0.0


def test_down_zone_region_component_and_replica():
    d = design(N1)
    # us.a down: only api[2] serves
    api = analyze_capacity(d, down=["us.a"]).components["api"]
    assert api.serving_replicas == 1 and api.utilisation == pytest.approx(100 / 60)
    assert api.status == "error"
    assert analyze_capacity(d, down=["us"]).components["api"].serving_replicas == 0
    gone = analyze_capacity(d, down=["api"]).components["api"]
    assert gone.serving_replicas == 0 and gone.utilisation is None   # no replica: "down"
    assert gone.status == "down"
    assert analyze_capacity(d, down=["api[2]"]).components["api"].serving_replicas == 2
    # the throughput SLO fails when the capacity is gone
    assert analyze_capacity(d, down=["us.a"]).flows["f"].slos[0].status == "fail"


def test_unknown_down_name_is_a_design_error_with_a_hint():
    d = design(N1)
    with pytest.raises(DesignError) as e:
        analyze_capacity(d, down=["us.x"])
    assert e.value.diagnostics[0].span == d.span
    assert "unknown unit 'us.x'" in str(e.value)
    with pytest.raises(DesignError) as e:
        analyze_capacity(d, down=["apj"])
    assert "did you mean 'api'?" in str(e.value)


def test_no_capacity_means_unknown_and_no_throughput_limit():
    r = capacity("""
      client u { latency 0ms }
      server api { }
      flow f rate 30 rps { path u -> api
                           slo throughput 1000 rps }
    """)
    assert r.components["api"].status == "unknown"
    fc = r.flows["f"]
    assert fc.max_rate_rps is None and fc.bottleneck is None and fc.fits
    assert fc.slos[0].status == "pass" and fc.slos[0].actual is None


def test_min_replicas_that_cannot_carry_the_load():
    # replicas 6 min 4 at 100 rps each: 450 rps is 75% of the six, but 112.5% of the four the
    # availability figure counts on -> AL304; at 380 rps (95%) no finding.
    def run(rate):
        return analyze_capacity(archlang.loads(f"""system m {{
          client u
          server api {{ replicas 6 min 4 capacity 100 rps }}
          flow f rate {rate} rps {{ path u -> api }}
        }}"""))
    r = run(450)
    api = r.components["api"]
    assert api.utilisation == pytest.approx(0.75)
    assert api.utilisation_at_min == pytest.approx(1.125)
    assert [f.code for f in r.findings] == ["AL304"]
    r = run(380)
    assert r.components["api"].utilisation_at_min == pytest.approx(0.95)
    assert r.findings == ()


CONSUMER = """system q {
  client users
  server api { capacity 1000 rps }
  queue audit { capacity 1000 rps }
  server auditor { capacity 1000 rps }
  storage archive { }
  flow write rate 200 rps {
    path users -> api -> audit
  }
  flow consume rate 200 rps {
    path audit ~> auditor -> archive
  }
}"""


def test_consumer_flow_counts_the_queue_load_once():
    r = archlang.analyze(archlang.loads(CONSUMER)).capacity_report
    assert r.components["audit"].load_rps == 200.0             # not 400
    assert r.components["audit"].load_by_flow == {"write": 200.0}
    assert r.components["auditor"].load_rps == 200.0
    assert r.components["archive"].load_rps == 200.0
    # the queue's room is the producer's: write's max is api's 1000, consume's auditor's 1000
    assert r.flows["write"].max_rate_rps == pytest.approx(1000.0)
    assert r.flows["consume"].max_rate_rps == pytest.approx(1000.0)
    # a queue no flow produces into takes the consumer's rate
    alone = CONSUMER.replace("path users -> api -> audit", "path users -> api")
    r2 = archlang.analyze(archlang.loads(alone)).capacity_report
    assert r2.components["audit"].load_rps == 200.0


def test_unknown_capacity_and_down_components_are_said_so():
    from archlang.render.text_latency import format_capacity
    d = archlang.loads("""system t {
      client users
      server a { }
      server b { replicas 2 capacity 100 rps }
      server c { }
      flow f rate 50 rps { path users -> a }
      flow g rate 50 rps { path users -> b -> c }
    }""")
    r = archlang.analyze(d).capacity_report
    assert r.flows["f"].max_rate_rps is None and r.flows["f"].capacity_unknown == ("a",)
    assert r.flows["g"].capacity_unknown == ("c",)
    text = format_capacity(d, r)
    assert "flow f: rate 50 rps, capacity unknown (no component on the flow declares one)" \
        in text
    assert "fits; capacity unknown: c" in text
    down = archlang.analyze(d, down=["b"]).capacity_report
    assert down.components["b"].status == "down" and down.components["b"].utilisation is None
    assert not down.flows["g"].fits
    line = next(x for x in format_capacity(d, down).splitlines() if x.startswith("  b "))
    assert line.split()[-2:] == ["down", "-"] and "0x100" not in line
    assert not any(f.component == "b" for f in down.findings)       # no AL301 for "down"
