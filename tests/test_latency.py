"""Latency analysis: figures worked out by hand or by closed forms, on inline designs."""

import math
from statistics import NormalDist

import numpy as np
import pytest

import archlang
from archlang.analysis.capacity import analyze_capacity
from archlang.analysis.distributions import (
    erlang_c,
    lognormal_quantile,
    mmc_mean_wait,
    quantile_ci_halfwidth,
    quantile_sorted,
)
from archlang.analysis.latency import (
    BUDGET,
    MIN_SAMPLES,
    SAMPLES,
    analyze_latency,
    flow_samples,
    samples_for,
)
from archlang.graph import flow_tree
from archlang.model.design import Latency

NET = "network { same_zone 0.5ms cross_zone 1ms cross_region 80ms\n us <-> eu 75ms }"
REGIONS = "region us { zone a\n zone b }\n region eu { zone a }\n region ap { zone a }"


def design(body: str):
    return archlang.loads(f"system t {{\n{REGIONS}\n{NET}\n{body}\n}}\n")


def latency(body: str, flow: str = "f"):
    d = design(body)
    return analyze_latency(d, analyze_capacity(d)).flows[flow]


# ---- fixed latencies: exact sums ---------------------------------------------------------------
def test_fixed_latencies_sum_exactly_with_client_and_network():
    fl = latency("""
      client u { latency 10ms }
      lb front { latency 1ms placement us.a }
      server api { latency 5ms placement us.b }
      database db { latency 2ms placement us.b }
      flow f { path u -> front -> api -> db }
    """)
    # client 10 (last mile, instead of the network) + front 1 + cross zone 1 + api 5
    # + same zone 0.5 + db 2
    total = 10 + 1 + 1 + 5 + 0.5 + 2
    assert fl.method == "exact" and fl.error_ms == 0.0
    for p in (fl.p50, fl.p90, fl.p99, fl.p999, fl.mean):
        assert p == pytest.approx(total, abs=1e-12)
    hops = {(h.name, h.via): h for h in fl.hops}
    assert hops[("front", "u")].mean_ms == pytest.approx(11.0)
    assert hops[("front", "u")].network_ms == pytest.approx(10.0)
    assert hops[("api", "front")].mean_ms == pytest.approx(6.0)
    assert hops[("api", "front")].network_ms == pytest.approx(1.0)
    assert hops[("db", "api")].mean_ms == pytest.approx(2.5)
    assert hops[("db", "api")].share_of_mean == pytest.approx(2.5 / total)
    assert hops[("db", "api")].share_of_p99 == pytest.approx(2.5 / total)
    assert sum(h.share_of_mean for h in fl.hops) == pytest.approx(1.0)


def test_cross_region_pairs_and_default():
    body = """
      server api { latency 5ms placement us.a }
      database db1 { latency 1ms placement eu.a }
      database db2 { latency 1ms placement ap.a }
      flow f { path api -> db1 }
      flow g { path api -> db2 }
    """
    assert latency(body, "f").p99 == pytest.approx(5 + 75 + 1)     # `us <-> eu 75ms`
    assert latency(body, "g").p99 == pytest.approx(5 + 80 + 1)     # cross_region default


def test_unplaced_components_share_a_zone():
    fl = latency("server a { latency 2ms }\n server b { latency 3ms }\n flow f { path a -> b }")
    assert fl.p50 == pytest.approx(2 + 0.5 + 3)


def test_sequential_count_and_parallel_fanout_of_fixed_calls():
    body = """
      server api { latency 4ms }
      database db { latency 2ms }
      api -> db x3
      flow f { path api -> db }
    """
    assert latency(body).mean == pytest.approx(4 + 3 * (0.5 + 2))
    par = latency(body.replace("x3", "x8 parallel"))
    assert par.method == "exact"
    assert par.mean == pytest.approx(4 + 0.5 + 2)       # the max of equal calls


def test_alternatives_use_the_primary_and_optional_calls_count():
    fl = latency("""
      server api { latency 4ms }
      database a { latency 2ms }
      database b { latency 100ms }
      external mail { latency 30ms }
      api -> a | b
      api -> mail optional
      flow f { path api -> a
               path api -> mail }
    """)
    assert fl.p50 == pytest.approx(4 + 0.5 + 2 + 0.5 + 30)


def test_queue_ends_the_request_and_async_consumers_do_not_count():
    fl = latency("""
      server api { latency 4ms }
      queue q { latency 2ms }
      server worker { latency 500ms }
      q -> worker
      flow f { path api -> q ~> worker }
    """)
    assert fl.p99 == pytest.approx(4 + 0.5 + 2)
    assert [h.name for h in fl.hops] == ["api", "q"]


def test_sync_replication_write_waits_for_the_slowest_follower():
    body = """
      server api { latency 4ms }
      database db { latency 3ms placement us.a, us.b
                    replication leader_follower followers 2 sync }
      api -> db write
      flow f { path api -> db }
    """
    # leader at us.a (3), follower 1 at us.b (3 + cross zone 1), follower 2 at us.a
    # (3 + same zone 0.5): the slowest is 4; the hop in is same zone (api unplaced) 0.5.
    # db has one replica (at us.a).
    assert latency(body).p50 == pytest.approx(4 + 0.5 + 4)
    assert latency(body.replace("sync", "async")).p50 == pytest.approx(4 + 0.5 + 3)
    assert latency(body.replace(" write", "")).p50 == pytest.approx(4 + 0.5 + 3)


def test_sync_replication_across_regions():
    fl = latency("""
      server api { latency 4ms }
      database db { latency 3ms placement us.a, eu.a
                    replication leader_follower followers 1 sync }
      api -> db write
      flow f { path api -> db }
    """)
    assert fl.p50 == pytest.approx(4 + 0.5 + 3 + 75)


# ---- lognormal fit -----------------------------------------------------------------------------
def test_lognormal_fit_reproduces_both_quantiles():
    for p50, p99 in [(8.0, 40.0), (0.5, 3.0), (120.0, 600.0)]:
        mu, sigma = Latency(p50_ms=p50, p99_ms=p99).lognormal
        assert lognormal_quantile(mu, sigma, 0.5) == pytest.approx(p50, rel=1e-12)
        assert lognormal_quantile(mu, sigma, 0.99) == pytest.approx(p99, rel=1e-12)


def test_lognormal_component_percentiles_by_monte_carlo():
    fl = latency("client u { latency 0ms }\n server api { latency p50 10ms p99 50ms }\n"
                 " flow f { path u -> api }")
    mu, sigma = Latency(p50_ms=10, p99_ms=50).lognormal
    assert fl.method.startswith("monte carlo")
    assert 0 < fl.error_ms < 1.5
    assert fl.p50 == pytest.approx(10.0, rel=0.01)
    assert abs(fl.p99 - 50.0) < 3 * fl.error_ms
    assert fl.p90 == pytest.approx(lognormal_quantile(mu, sigma, 0.9), rel=0.01)
    assert fl.mean == pytest.approx(math.exp(mu + sigma ** 2 / 2), rel=0.01)


def test_percentiles_come_from_the_sum_not_from_adding_percentiles():
    fl = latency("""
      server a { latency p50 10ms p99 50ms }
      server b { latency p50 10ms p99 50ms }
      flow f { path a -> b }
    """)
    # Two independent lognormals: the p99 of the sum is well below 50 + 50 + 0.5.
    assert fl.p99 < 100.5 - 10
    assert fl.p50 > 20.5


# ---- cache mixture -----------------------------------------------------------------------------
CACHED = """
  server api { latency 4ms }
  cache c { latency 1ms hit_ratio HIT }
  database db { latency 100ms }
  c -> db
  flow f { path api -> c -> db }
"""


def test_cache_mixture_p50_on_hit_path_p99_on_miss_path():
    fl = latency(CACHED.replace("HIT", "95%"))
    hit = 4 + 0.5 + 1
    miss = hit + 0.5 + 100
    assert fl.p50 == pytest.approx(hit)
    assert fl.p90 == pytest.approx(hit)
    assert fl.p99 == pytest.approx(miss)        # misses (5%) exceed 1%
    assert fl.p999 == pytest.approx(miss)
    assert fl.mean == pytest.approx(hit + 0.05 * 100.5, abs=0.25)
    db = next(h for h in fl.hops if h.name == "db")
    assert db.mean_ms == pytest.approx(0.05 * 100.5, abs=0.25)
    assert db.p99_ms == pytest.approx(100.5)    # every tail sample is a miss
    assert db.share_of_p99 == pytest.approx(100.5 / miss)


def test_cache_with_rare_misses_keeps_p99_on_the_hit_path():
    fl = latency(CACHED.replace("HIT", "99.5%"))
    assert fl.p99 == pytest.approx(4 + 0.5 + 1)
    assert fl.p999 == pytest.approx(4 + 0.5 + 1 + 0.5 + 100)


def test_cache_hit_ratio_one_is_exact():
    fl = latency(CACHED.replace("HIT", "100%"))
    assert fl.method == "exact" and fl.p99 == pytest.approx(5.5)


# ---- the tail at scale -------------------------------------------------------------------------
FANOUT = """
  server api { latency 1ms }
  cache leaf { latency 1ms hit_ratio 99% }
  server slow { latency 50ms }
  api -> leaf x100 parallel
  leaf -> slow
  flow f { path api -> leaf -> slow
           slo latency p35 10ms
           slo latency p38 10ms }
"""


def test_fanout_of_100_with_one_slow_call_in_100_makes_63_percent_slow():
    d = design(FANOUT)
    total, _, exact = flow_samples(d, "f", analyze_capacity(d))
    n = len(total)
    assert not exact and n == MIN_SAMPLES           # 101 visits per request: the minimum
    slow = float((total > 10).mean())
    expected = 1 - 0.99 ** 100                       # 0.634
    assert abs(slow - expected) < 4 * math.sqrt(expected * (1 - expected) / n)
    fl = analyze_latency(d, analyze_capacity(d)).flows["f"]
    fast, slowest = 1 + 0.5 + 1, 1 + 0.5 + 1 + 0.5 + 50
    assert fl.p50 == pytest.approx(slowest)
    assert [(s.percentile, s.status) for s in fl.slos] == [(35.0, "pass"), (38.0, "fail")]
    assert fl.slos[0].actual == pytest.approx(fast)


# ---- network: a random replica -----------------------------------------------------------------
def test_network_to_a_replica_picked_at_random():
    fl = latency("""
      lb front { latency 1ms placement us.a }
      server api { latency 5ms replicas 2 placement us.a, us.b }
      flow f { path front -> api }
    """)
    # half the calls stay in us.a (0.5), half cross to us.b (1)
    assert fl.method.startswith("monte carlo")
    assert fl.mean == pytest.approx(1 + 5 + 0.75, abs=0.01)
    assert 6.5 <= fl.p50 <= 7.0
    assert fl.p90 == pytest.approx(7.0)
    assert fl.p99 == pytest.approx(7.0)
    api = next(h for h in fl.hops if h.name == "api")
    assert api.network_ms == pytest.approx(0.75, abs=0.01)



# ---- network: the active replica, the leader -----------------------------------------------------
ZONES = ("region r { zone a\n zone b\n zone c }\n"
         "network { same_zone 0ms cross_zone 10ms }\n client u { latency 0ms }")


def zoned(body: str, down: tuple[str, ...] = ()):
    """Flows of a design in three zones, 10 ms apart (0 within a zone), with ``down``."""
    d = archlang.loads(f"system z {{\n{ZONES}\n{body}\n}}\n")
    return analyze_latency(d, analyze_capacity(d, down=down), down=down).flows


def _hop(fl, name):
    return next(h for h in fl.hops if h.name == name)


def test_active_passive_callee_is_the_active_replica_not_the_standby():
    body = """
      server api { latency 1ms placement r.b }
      server web { latency 1ms placement r.a }
      lb x { latency 2ms replicas 2 active_passive placement r.a, r.b }
      api -> x
      web -> x
      flow f { path u -> api -> x }
      flow g { path u -> web -> x }
      server y { latency 1ms placement r.a }
      x -> y
      flow root { path x -> y }
    """
    flows = zoned(body)
    # the active replica x[1] is in r.a; the standby in r.b, next to api, does not serve
    f = flows["f"]
    assert f.method == "exact"
    assert (f.p50, f.p99, f.mean) == (13.0, 13.0, 13.0)      # 1 + 10 + 2
    assert _hop(f, "x").network_ms == 10.0
    assert flows["g"].p99 == 3.0 and flows["g"].method == "exact"   # 1 + 0 + 2
    # a flow starting at the group starts at the active replica: 2 + 0 (r.a to r.a) + 1
    assert flows["root"].method == "exact" and flows["root"].p99 == 3.0
    # the active one down: the standby in r.b takes the calls
    flows = zoned(body, ("x[1]",))
    assert flows["f"].p99 == 3.0 and flows["f"].method == "exact"
    assert flows["g"].p99 == 13.0 and flows["g"].method == "exact"
    # three replicas (r.a, r.b, r.a): with x[1] down the active one is x[2], in r.b,
    # not x[2] or x[3] at random
    three = body.replace("replicas 2", "replicas 3")
    assert zoned(three)["f"].p99 == 13.0
    flows = zoned(three, ("x[1]",))
    assert flows["f"].method == "exact" and flows["f"].p99 == 3.0
    assert flows["g"].method == "exact" and flows["g"].p99 == 13.0


LEADER_FOLLOWER = """
      server near { latency 1ms placement r.a }
      server far { latency 1ms placement r.b }
      database db { latency 2ms replicas 2 placement r.a, r.b
                    replication leader_follower followers 1 SYNC }
      near -> db write
      far -> db write
      flow n { path u -> near -> db }
      flow f { path u -> far -> db }
"""


def test_write_to_leader_follower_enters_the_leader():
    flows = zoned(LEADER_FOLLOWER.replace("SYNC", "sync"))
    # the leader, db[1], is in r.a; it waits for follower 1 at placement[1] = r.b:
    # service max(2, 2 + 10) = 12
    n, f = flows["n"], flows["f"]
    assert n.method == f.method == "exact"
    assert (n.p50, n.p99, n.mean) == (1 + 0 + 12, 1 + 0 + 12, 1 + 0 + 12)
    assert (f.p50, f.p99, f.mean) == (1 + 10 + 12, 1 + 10 + 12, 1 + 10 + 12)
    assert _hop(n, "db").network_ms == 0.0 and _hop(f, "db").network_ms == 10.0
    flows = zoned(LEADER_FOLLOWER.replace("SYNC", "async"))
    assert flows["n"].p99 == 1 + 0 + 2 and flows["n"].method == "exact"
    assert flows["f"].p99 == 1 + 10 + 2 and flows["f"].method == "exact"


def test_write_with_the_leader_down_enters_the_promoted_replica():
    flows = zoned(LEADER_FOLLOWER.replace("SYNC", "sync"), ("db[1]",))
    # db[2], in r.b, is promoted; the wait for follower 1 (placement[1] = r.b) is measured
    # from it: max(2, 2 + 0) = 2
    n, f = flows["n"], flows["f"]
    assert n.method == f.method == "exact"
    assert n.p99 == 1 + 10 + 2 and _hop(n, "db").network_ms == 10.0
    assert f.p99 == 1 + 0 + 2 and _hop(f, "db").network_ms == 0.0
    flows = zoned(LEADER_FOLLOWER.replace("SYNC", "async"), ("db[1]",))
    assert flows["n"].p99 == 1 + 10 + 2 and flows["f"].p99 == 1 + 0 + 2
    # three replicas (r.a, r.b, r.a), db[1] down: db[2] (r.b) is promoted, not db[2] or
    # db[3] at random; the write from r.a crosses to it every time
    three = (LEADER_FOLLOWER.replace("SYNC", "async").replace("replicas 2", "replicas 3")
             .replace("followers 1", "followers 2"))
    flows = zoned(three, ("db[1]",))
    assert flows["n"].method == "exact" and flows["n"].p99 == 1 + 10 + 2
    assert flows["f"].method == "exact" and flows["f"].p99 == 1 + 0 + 2


SPREAD = """
      server api { latency 1ms placement r.a }
      database db { latency 2ms replicas 3 placement r.a, r.b, r.c
                    replication MODE followers 2 sync }
      api -> db CALL
      flow f { path u -> api -> db }
"""


def test_read_is_spread_over_the_replicas_that_serve():
    fl = zoned(SPREAD.replace("MODE", "leader_follower").replace("CALL", ""))["f"]
    # a third of the reads stay in r.a (0), two thirds cross to r.b or r.c (10):
    # network mean (0 + 10 + 10) / 3; reads do not wait for followers
    assert fl.method.startswith("monte carlo")
    assert _hop(fl, "db").network_ms == pytest.approx(20 / 3, abs=0.05)
    assert fl.mean == pytest.approx(1 + 20 / 3 + 2, abs=0.05)
    assert fl.p50 == 13.0 and fl.p99 == 13.0
    assert fl.p999 == 13.0
    # db[2] (r.b) down: the reads go to r.a and r.c, half each: network mean 5
    fl = zoned(SPREAD.replace("MODE", "leader_follower").replace("CALL", ""), ("db[2]",))["f"]
    assert _hop(fl, "db").network_ms == pytest.approx(5.0, abs=0.05)
    assert fl.mean == pytest.approx(1 + 5 + 2, abs=0.05)


def test_multi_leader_write_goes_to_any_replica_and_waits_from_it():
    fl = zoned(SPREAD.replace("MODE", "multi_leader").replace("CALL", "write"))["f"]
    # followers 2 (3 copies): followers 1 and 2 at placement[1] = r.b, placement[2] = r.c
    # entry r.a: 0 + max(2, 2 + 10, 2 + 10) = 12            -> 13 ms
    # entry r.b: 10 + max(2, 2 + 0, 2 + 10) = 22            -> 23 ms
    # entry r.c: 10 + max(2, 2 + 10, 2 + 0) = 22            -> 23 ms
    assert fl.method.startswith("monte carlo")
    assert fl.mean == pytest.approx(1 + (12 + 22 + 22) / 3, abs=0.05)
    assert _hop(fl, "db").network_ms == pytest.approx(20 / 3, abs=0.05)
    assert fl.p50 == 23.0 and fl.p99 == 23.0

# ---- queueing ----------------------------------------------------------------------------------
def _erlang_c_direct(c: int, a: float) -> float:
    top = a ** c / math.factorial(c) * c / (c - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)


def test_erlang_c_textbook_values():
    assert erlang_c(1, 0.7) == pytest.approx(0.7)              # M/M/1: P(wait) = rho
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)            # 2 rho^2 / (1 + rho), rho 0.5
    assert erlang_c(10, 8.0) == pytest.approx(0.4092, abs=5e-5)  # call-centre table value
    for c, a in [(3, 2.5), (20, 15.0), (50, 45.0)]:
        assert erlang_c(c, a) == pytest.approx(_erlang_c_direct(c, a), rel=1e-12)
    # M/M/1 mean wait: rho / (mu - lambda)
    assert mmc_mean_wait(1, 50.0, 100.0) == pytest.approx(0.5 / 50)


def test_queueing_wait_added_at_utilisation():
    fl = latency("""
      client u { latency 0ms }
      server api { latency 10ms capacity 100 rps }
      flow f rate 50 rps { path u -> api }
    """)
    # M/M/1 at rho 0.5: waits with probability 0.5 for Exp(rate 50/s), mean 10 ms.
    # P(T > 10 + t) = 0.5 exp(-50 t): p90 at t = ln 5 / 50 s, p99 at t = ln 50 / 50 s.
    assert fl.mean == pytest.approx(20.0, rel=0.01)
    assert abs(fl.p90 - (10 + 1000 * math.log(5) / 50)) < 0.5
    assert abs(fl.p99 - (10 + 1000 * math.log(50) / 50)) < 3 * fl.error_ms
    assert fl.hops[0].queueing_ms == pytest.approx(10.0, rel=0.02)


def test_queueing_with_several_servers():
    fl = latency("""
      client u { latency 0ms }
      server api { latency 10ms capacity 100 rps replicas 2 }
      flow f rate 100 rps { path u -> api }
    """)
    # c = 2, a = 1: P(wait) = 1/3, wait rate 2*100 - 100 = 100/s: mean wait 1/3 * 10 ms
    assert fl.hops[0].queueing_ms == pytest.approx(10 / 3, rel=0.02)


def test_saturated_component_makes_the_flow_unbounded():
    fl = latency("""
      server api { latency 10ms capacity 100 rps }
      database db { latency 1ms }
      flow f rate 100 rps { path api -> db
                            slo latency p99 1s }
    """)
    assert fl.unbounded and fl.unbounded_at == ("api",)
    assert fl.p50 is None and fl.p99 is None and fl.mean is None
    assert fl.slos[0].status == "fail" and fl.slos[0].actual is None


def test_forced_down_replicas_raise_queueing():
    d = design("""
      client u { latency 0ms }
      server api { latency 10ms capacity 100 rps replicas 2 placement us.a, us.b }
      flow f rate 60 rps { path u -> api }
    """)
    assert not analyze_latency(d, analyze_capacity(d)).flows["f"].unbounded
    down = analyze_capacity(d, down=["us.a"])
    fl = analyze_latency(d, down).flows["f"]
    # one server left at rho 0.6: mean wait 0.6 / (100 - 60) s = 15 ms
    assert fl.hops[0].queueing_ms == pytest.approx(15.0, rel=0.02)
    gone = analyze_capacity(d, down=["api"])
    assert analyze_latency(d, gone).flows["f"].unbounded


# ---- SLOs, percentiles, errors -----------------------------------------------------------------
def test_latency_slo_pass_fail_and_margin():
    fl = latency("""
      client u { latency 0ms }
      server api { latency 40ms }
      flow f { path u -> api
               slo latency p99 50ms
               slo latency p50 30ms }
    """)
    by_pct = {s.percentile: s for s in fl.slos}
    assert by_pct[99.0].status == "pass" and by_pct[99.0].margin == pytest.approx(10.0)
    assert by_pct[50.0].status == "fail" and by_pct[50.0].margin == pytest.approx(-10.0)
    assert by_pct[99.0].actual == pytest.approx(40.0)


def test_quantile_definition_is_numpy_linear():
    rng = np.random.default_rng(3)
    x = np.sort(rng.random(1001))
    for q in (0.5, 0.9, 0.99, 0.999, 0.3217):
        assert quantile_sorted(x, q) == pytest.approx(float(np.quantile(x, q)), rel=1e-12)


def test_p99_interval_covers_the_true_quantile():
    # 200 independent exponential samples sets: the 95% interval covers about 95% of the time.
    rng = np.random.default_rng(11)
    truth = -math.log(0.01)
    cover = 0
    for _ in range(200):
        x = np.sort(rng.exponential(1.0, 20_000))
        est, hw = quantile_sorted(x, 0.99), quantile_ci_halfwidth(x, 0.99)
        cover += abs(est - truth) <= hw * 1.05
    assert 180 <= cover <= 200


def test_same_design_same_figures():
    body = FANOUT.replace("x100", "x10")
    a = latency(body).model_dump_json()
    b = latency(body).model_dump_json()
    assert a == b


def test_normal_quantile_constant_matches():
    assert NormalDist().inv_cdf(0.99) == pytest.approx(2.3263478740408408, rel=1e-12)


def test_sample_count_follows_the_budget():
    d = design(FANOUT.replace("x100", "x10"))
    tree = flow_tree(d, "f")
    # api, then 10 x (leaf + slow) if every call missed: 21 visits
    assert samples_for(tree) == BUDGET // 21 // 1000 * 1000
    small = design("server a { latency p50 1ms p99 5ms }\n server b { }\n flow f { path a -> b }")
    assert samples_for(flow_tree(small, "f")) == SAMPLES
    fl = analyze_latency(small, analyze_capacity(small)).flows["f"]
    assert fl.method == "monte carlo, 200000 samples, seed 20240601+crc32(flow)"


# ---- independent methods: closed forms and numerical convolution -------------------------------
def test_parallel_fanout_of_lognormals_matches_the_closed_form():
    fl = latency("""
      client u { latency 0ms }
      server api { latency 1ms }
      database db { latency p50 3ms p99 30ms }
      api -> db x20 parallel
      flow f { path u -> api -> db }
    """)
    mu, sigma = Latency(p50_ms=3, p99_ms=30).lognormal
    # max of 20 iid: P(M <= t) = F(t)^20, so its q-quantile is F^-1(q^(1/20))
    for q, got in [(0.5, fl.p50), (0.9, fl.p90), (0.99, fl.p99)]:
        want = 1 + 0.5 + lognormal_quantile(mu, sigma, q ** (1 / 20))
        assert abs(got - want) < max(3 * fl.error_ms, 0.01 * want), q


def test_sum_of_lognormals_matches_numerical_convolution():
    from scipy import integrate, optimize, stats

    fl = latency("""
      client u { latency 0ms }
      server a { latency p50 10ms p99 50ms }
      database b { latency p50 5ms p99 80ms }
      flow f { path u -> a -> b }
    """)
    x = stats.lognorm(s=Latency(p50_ms=10, p99_ms=50).lognormal[1], scale=10)
    y = stats.lognorm(s=Latency(p50_ms=5, p99_ms=80).lognormal[1], scale=5)

    def cdf(t):   # P(X + Y <= t) = integral of F_X(t - y) f_Y(y) dy over 0..t
        return integrate.quad(lambda v: x.cdf(t - v) * y.pdf(v), 0, t, limit=200)[0]

    for q, got in [(0.5, fl.p50), (0.99, fl.p99)]:
        want = 0.5 + optimize.brentq(lambda t: cdf(t) - q, 1e-3, 2000)
        assert abs(got - want) < 3 * fl.error_ms if q == 0.99 else abs(got - want) < 0.01 * want


# ---- text sections -----------------------------------------------------------------------------
def test_text_sections_unbounded_and_long_names():
    from archlang.render.text_latency import format_capacity, format_latency

    long = "a-very-long-component-name-that-goes-on-and-on-and-on"
    d = design(f"""
      client u {{ latency 0ms }}
      server {long} {{ latency 10ms capacity 100 rps }}
      flow f rate 150 rps {{ path u -> {long}
                             slo latency p99 1s
                             slo throughput 200 rps }}
    """)
    cap = analyze_capacity(d)
    text = format_latency(d, analyze_latency(d, cap))
    assert f"unbounded: utilisation at or over 100% at {long}\n" in text
    assert "slo latency p99 1000ms: FAIL (unbounded)" in text
    ctext = format_capacity(d, cap)
    assert "150.0% error" in ctext
    assert "slo throughput 200 rps: FAIL (max 100 rps, margin -100 rps)" in ctext
    assert f"(bottleneck\n    {long}), DOES NOT FIT" in ctext     # wrapped at 100
    assert max(len(line) for line in (text + ctext).splitlines()) <= 100


def test_miss_path_hops_are_listed_even_when_no_sample_misses():
    fl = latency("""
      client u { latency 0ms }
      server api { latency p50 1ms p99 5ms }
      cache c { hit_ratio 99.9999% }
      cache c2 { hit_ratio 50% }
      database db { latency 5ms }
      api -> c x3 parallel
      c -> c2
      c2 -> db
      flow f { path u -> api -> c -> c2 -> db }
    """)
    assert [(h.name, h.via) for h in fl.hops] == [
        ("api", "u"), ("c", "api"), ("c2", "c"), ("db", "c2")]
    assert fl.hops[-1].mean_ms < 1e-3


def test_hop_p99_is_the_hops_own_percentile_not_its_tail_mean():
    # One hop whose time is the whole request: its own p99 is the flow's p99 (same samples),
    # while its part of the slowest 1% (p99_ms, "tail ms") is the mean above the p99, larger.
    d = archlang.loads("""system t {
      client users { latency 0.001ms }
      server api { latency p50 10ms p99 50ms }
      flow f { path users -> api }
    }""")
    fl = archlang.analyze(d).flows["f"].latency
    (hop,) = fl.hops
    assert hop.hop_p99_ms == pytest.approx(fl.p99, rel=1e-6)
    assert hop.p99_ms > fl.p99 * 1.1                  # the tail mean of a lognormal
    # the text report shows both, under different names
    from archlang.render.text_latency import format_latency
    text = format_latency(d, archlang.analyze(d).latency_report)
    assert "p99 ms   tail ms of tail" in text and text.count("share") == 1


# ---- the sample size, sized to the p99 error target (docs/analyses/latency.md) -------------
@pytest.mark.parametrize("p99, expected", [(12, "pilot"), (15, 81_300), (20, "cap")])
def test_samples_are_sized_to_the_p99_error_target(p99, expected):
    from archlang.analysis.latency import P99_ERROR_TARGET, PILOT

    d = design("client users\nserver api { latency p50 10ms p99 %dms }\n"
               "flow f { path users -> api }" % p99)
    fl = analyze_latency(d, analyze_capacity(d)).flows["f"]
    n = int(fl.method.split(", ")[1].split()[0])
    # independent: the asymptotic half-width of the 95% interval on the p99 of a lognormal
    sigma = math.log(p99 / 10) / 2.3263478740408408
    rel = 1.959963984540054 * math.sqrt(0.99 * 0.01) * sigma / 0.026652142
    theory = 1.25 * (rel / P99_ERROR_TARGET) ** 2
    if expected == "pilot":
        assert theory < PILOT and n == PILOT
    elif expected == "cap":
        assert theory > SAMPLES and n == SAMPLES
    else:
        assert theory == pytest.approx(expected, rel=0.01)
        assert n == pytest.approx(theory, rel=0.2)
        assert fl.error_ms / fl.p99 == pytest.approx(P99_ERROR_TARGET / math.sqrt(1.25), rel=0.3)


def test_a_multi_leader_sync_write_waits_for_the_other_copy():
    """latency.md: a multi_leader write waits for every copy but the one it entered (it used
    to count the entered copy as its own follower when it entered the second one)."""
    d = archlang.loads("""system ml {
  region r { zone a zone b }
  network { same_zone 0ms cross_zone 4ms cross_region 50ms }
  client u { latency 0ms }
  server w { availability 100% latency 1ms placement r.a }
  database m { replication multi_leader followers 1 sync latency 2ms availability 100%
               placement r.a, r.b }
  w -> m write
  flow f rate 1 rps { path u -> w -> m }
}
""")
    fl = analyze_latency(d, analyze_capacity(d)).flows["f"]
    assert (fl.p50, fl.p99) == (7.0, 11.0)
    assert fl.mean == pytest.approx(9.0, abs=0.1)


def test_quantile_linear_is_numpys_quantile_bit_for_bit():
    from archlang.analysis.distributions import quantile_linear

    rng = np.random.default_rng(15)
    for trial in range(3000):
        n = int(rng.integers(1, 400)) if trial % 10 else int(rng.integers(1000, 50_000))
        a = [rng.lognormal(0, 2, n), rng.integers(0, 5, n).astype(float),
             rng.random(n) * 1e-3, rng.normal(0, 1, n)][trial % 4]
        if trial % 7 == 0 and n > 3:
            a[int(rng.integers(0, n))] = np.nan
        q = float(rng.choice([0.99, 0.5, 0.9, 0.999, 0.0, 1.0, rng.random()]))
        want, got = float(np.quantile(a, q)), quantile_linear(a, q)
        assert want == got or (math.isnan(want) and math.isnan(got)), (n, q, want, got)
