"""The data tier (docs/analyses/data-tier.md) against independent methods: brute-force
enumeration of every node and zone state, closed forms, Monte Carlo, numerical integration of
order statistics, and hand-computed ring loads."""

import itertools
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import archlang
from archlang.analysis.montecarlo import monte_carlo_availability
from archlang.analysis.quorum import (
    Store,
    _plain_states,
    _scatter_enumerate,
    _vector_states,
    scatter_success,
    store_of,
)
from archlang.errors import DesignError

ROOT = Path(__file__).resolve().parents[1]


# ---- brute force ------------------------------------------------------------------------------
def brute(nodes, shards, rf, q, a, zones, zavail, scatter):
    """E[success] of one operation, by enumerating every zone and node state: node i in zone
    i mod len(zones); shard s on nodes s .. s + rf - 1 mod nodes; single key: the share of
    the shards whose quorum is up; scatter: all of them."""
    total = 0.0
    for zs in itertools.product((1, 0), repeat=len(zones)):
        pz = math.prod(zavail if s else 1 - zavail for s in zs)
        for ns in itertools.product((1, 0), repeat=nodes):
            up = [ns[i] and zs[i % len(zones)] for i in range(nodes)]
            pn = math.prod(a if s else 1 - a for s in ns)
            ok = [sum(up[(s + j) % nodes] for j in range(rf)) >= q for s in range(shards)]
            val = float(all(ok)) if scatter else sum(ok) / shards
            total += pz * pn * val
    return total


def ring_design(nodes, shards, rf, r, w, zones, call):
    zdecl = "\n".join(f"zone z{i} availability 99.5%" for i in range(zones))
    place = ", ".join(f"g.z{i}" for i in range(zones))
    sharding = f"sharding hash {shards}" if shards > 1 else ""
    return archlang.loads(f"""
system t {{
  region g {{ {zdecl} }}
  client u
  server api {{ availability 100% }}
  database st {{ {sharding} replicas {nodes} replication leaderless rf {rf}
                 read_quorum {r} write_quorum {w} availability 97% placement {place} }}
  api -> st {call}
  flow f {{ path u -> api -> st }}
}}""")


CASES = [(3, 1, 3, 2, 2, 3), (4, 4, 2, 1, 2, 2), (5, 7, 3, 2, 1, 2), (6, 10, 3, 2, 2, 3),
         (6, 4, 2, 2, 1, 3), (7, 3, 3, 1, 3, 2)]


@pytest.mark.parametrize("nodes,shards,rf,r,w,zones", CASES)
@pytest.mark.parametrize("call,quorum,scatter", [("", "r", False), ("write", "w", False),
                                                 ("scatter", "r", True),
                                                 ("write scatter", "w", True)])
def test_store_availability_matches_brute_force(nodes, shards, rf, r, w, zones, call, quorum,
                                                scatter):
    d = ring_design(nodes, shards, rf, r, w, zones, call)
    st = store_of(d.components["st"])
    # an unsharded store with rf < nodes is a ring of one range per node
    want = brute(nodes, st.shards, rf, r if quorum == "r" else w, 0.97, range(zones), 0.995,
                 scatter)
    got = archlang.analyze(d).flows["f"].availability
    assert got == pytest.approx(want, abs=1e-13)


def test_scatter_transfer_over_the_ring_matches_enumeration():
    rng = np.random.default_rng(7)
    for nodes, rf, q, shards in [(13, 3, 2, 40), (14, 4, 2, 14), (15, 3, 1, 9), (16, 2, 2, 50)]:
        p = tuple(float(x) for x in rng.uniform(0.6, 0.99, nodes))
        st = Store(name="x", style="leaderless", nodes=nodes, rf=rf, shards=shards,
                   read_quorum=q, write_quorum=q, sync_mode=None, failover=1.0, skew=1.0,
                   cache=False)
        op = st.op("read", scatter=True)
        want = _scatter_enumerate(st, q, p, tuple(range(st.windows)))
        assert scatter_success(st, op, p) == pytest.approx(want, abs=1e-13)


COPIES = """
system t {
  client u
  server w { availability 100% }
  database db { replication leader_follower followers 3 FOLLOW failover 60s
                mtbf 5d mttr 2h }
  w -> db write
  flow r { path u -> db }
  flow s { path u -> db
           consistency strong }
  flow x { path u -> w -> db }
}"""


def test_copies_closed_forms():
    mtbf, mttr = 5 * 86400.0, 7200.0
    a = mtbf / (mtbf + mttr)
    f = 1 - 60 / mtbf
    for mode, writes in [("sync", a ** 4), ("semi_sync", 1 - (1 - a) ** 4 - 4 * a * (1 - a) ** 3),
                         ("async", 1 - (1 - a) ** 4)]:
        dd = archlang.loads(COPIES.replace("FOLLOW", mode))
        r = archlang.analyze(dd)
        assert r.flows["r"].availability == pytest.approx(1 - (1 - a) ** 4, abs=1e-14)
        assert r.flows["s"].availability == pytest.approx((1 - (1 - a) ** 4) * f, abs=1e-14)
        assert r.flows["x"].availability == pytest.approx(writes * f, abs=1e-14)
        assert dd.components["db"].replicas == 4


def test_a_small_store_states_without_numpy_are_the_vector_ones_bit_for_bit():
    # state_distribution enumerates a one-window store of up to PLAIN_NODES uncertain nodes
    # in plain Python (a diagram then needs no numpy): the same products in the same order
    # as the numpy enumeration, so every probability and success is the same float.
    rng = np.random.default_rng(7)
    compared = 0
    for _ in range(2000):
        nodes = int(rng.integers(1, 8))
        rf = int(rng.integers(1, nodes + 1))
        st = Store(name="s", style=str(rng.choice(["leader_follower", "multi_leader",
                                                     "leaderless", "none"])),
                   nodes=nodes, rf=rf, shards=int(rng.choice([1, 1, 4])),
                   read_quorum=int(rng.integers(1, rf + 1)),
                   write_quorum=int(rng.integers(1, rf + 1)),
                   sync_mode=str(rng.choice(["sync", "semi_sync", "async"])),
                   failover=float(rng.choice([1.0, 0.999, 0.5])), skew=1.0, cache=False,
                   sequential=bool(rng.integers(0, 2)))
        if st.windows != 1:
            continue
        ops = [st.op(k, sc) for k in ("read", "read_leader", "write") for sc in (False, True)]
        ops = ops[: int(rng.integers(1, len(ops) + 1))]
        p = [float(rng.choice([0.0, 1.0, rng.random(), 0.999, 0.9995])) for _ in range(nodes)]
        var = [i for i, x in enumerate(p) if 0.0 < x < 1.0]
        assert _plain_states(st, ops, p, var) == _vector_states(st, ops, p, var)
        compared += 1
    assert compared > 500


# ---- the engine where the whole distribution matters, against Monte Carlo ---------------------
MIXED = """
system t {
  region g { zone a availability 99%
    zone b availability 99%
    zone c availability 99% }
  client u
  server api { availability 100% placement g.a }
  server w { availability 100% placement g.b }
  cache ring { sharding hash 6 replicas 3 hit_ratio 70% availability 95% placement g.a, g.b }
  database st { sharding hash 9 replicas 6 rf 3 read_quorum 2 write_quorum 2
                availability 95% placement g.a, g.b, g.c }
  database pg { replication leader_follower followers 2 semi_sync failover 10m
                availability 97% placement g.a, g.b, g.c }
  api -> ring x2
  ring -> st
  api -> w
  w -> st write
  w -> pg write
  api -> pg x3
  flow f { path u -> api -> ring -> st
           path api -> w -> st
           path w -> pg
           path api -> pg }
}"""


def test_store_reached_twice_and_xn_agree_with_monte_carlo():
    d = archlang.loads(MIXED)
    r = archlang.analyze(d)
    assert r.flows["f"].availability_method == "exact"
    exact = r.flows["f"].availability
    mc = monte_carlo_availability(d, "f", trials=400_000)
    assert abs(exact - mc.estimate) <= 3.29 * mc.std_error
    for down in (["st[2]"], ["g.a"], ["ring[1]", "pg[1]"]):
        exact = archlang.analyze(d, down=down).flows["f"].availability
        mc = monte_carlo_availability(d, "f", trials=200_000, down=down)
        assert abs(exact - mc.estimate) <= 3.29 * mc.std_error + 1e-12, down


def test_store_reached_twice_matches_brute_force():
    # a read and a write of the same unsharded 2-of-3 store in one request: both succeed
    # exactly when 2 copies are up (W = R = 2), so A = P(2 of 3), not P(2 of 3)^2
    d = archlang.loads("""
system t {
  client u
  server api { availability 100% }
  database kv { replication leaderless rf 3 availability 90% }
  api -> kv write
  flow f { path u -> kv
           path u -> api -> kv }
}""")
    want = 3 * 0.9 ** 2 * 0.1 + 0.9 ** 3
    assert archlang.analyze(d).flows["f"].availability == pytest.approx(want, abs=1e-14)


# ---- cut sets, degrading units ----------------------------------------------------------------
def test_a_ring_node_is_no_spof_and_degrades_by_its_shards():
    d = ring_design(6, 12, 2, 2, 2, 3, "")
    fa = archlang.analyze(d).flows["f"]
    assert not fa.spofs
    # R = 2 of rf 2: losing node i loses the shards of windows i - 1 and i: 4 of 12 shards
    lost = {x.unit.name: x.fraction_lost for x in fa.degrading}
    assert lost["st[1]"] == pytest.approx(4 / 12)
    # R = 1: one copy down keeps every shard
    fa = archlang.analyze(ring_design(6, 12, 2, 1, 1, 3, "")).flows["f"]
    assert not fa.spofs and not [x for x in fa.degrading if x.unit.kind == "replica"]


# ---- capacity ---------------------------------------------------------------------------------
def test_ring_neighbours_take_the_lost_nodes_reads():
    d = archlang.loads("""
system t {
  client u
  server api { }
  database kv { sharding hash 6 replicas 6 rf 2 read_quorum 1 write_quorum 1
                capacity 1000 qps }
  flow f rate 1200 rps { path u -> api -> kv }
}""")
    cc = archlang.analyze(d).components["kv"]
    assert cc.data_tier.node_loads == pytest.approx((200,) * 6)   # 1200 reads / 6 nodes
    cc = archlang.analyze(d, down=["kv[3]"]).components["kv"]
    # node 2 down: window 1 (nodes 1, 2) -> node 1 alone; window 2 (nodes 2, 3) -> node 3
    assert cc.data_tier.node_loads == pytest.approx((200, 300, 0, 300, 200, 200))
    assert cc.utilisation == pytest.approx(0.3)
    assert cc.data_tier.keys_moved == pytest.approx(1 / 6)
    r = archlang.analyze(d)
    assert r.flows["f"].capacity.max_rate_rps == pytest.approx(6000)


def test_sequential_range_store_and_skew_on_the_hottest():
    d = archlang.loads("""
system t {
  client u
  server api { }
  database kv { sharding range 8 replicas 4 rf 2 read_quorum 1 write_quorum 2 skew 2
                capacity 1000 qps }
  api -> kv write
  flow f rate 100 rps { path u -> api -> kv }
}""")
    cc = archlang.analyze(d).components["kv"]
    # 100 writes x rf 2 / 4 nodes = 50 per node, x skew 2 on the hottest
    assert cc.utilisation == pytest.approx(0.1)


# ---- latency: order statistics by numerical integration --------------------------------------
def _lognormal_cdf(t, p50, p99):
    z99 = 2.3263478740408408
    mu, sigma = math.log(p50), (math.log(p99) - math.log(p50)) / z99
    t = np.maximum(t, 1e-300)
    from math import erf
    return np.array([0.5 * (1 + erf((math.log(x) - mu) / (sigma * math.sqrt(2)))) if x > 0
                     else 0.0 for x in np.atleast_1d(t)])


def _quantile(cdf, q, lo=0.0, hi=500.0):
    for _ in range(100):
        mid = (lo + hi) / 2
        if cdf(mid) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def test_quorum_latency_is_the_qth_fastest_answer():
    text = """
system t {
  region r { zone a
    zone b
    zone c }
  network { same_zone 0.5ms cross_zone 3ms }
  client u { latency 0ms }
  server api { latency 1ms placement r.a }
  database kv { replication leaderless rf 3 read_quorum Q latency p50 2ms p99 12ms
                placement r.a, r.b, r.c }
  flow f { path u -> api -> kv }
}"""
    nets = (0.5, 3.0, 3.0)
    for q in (1, 2, 3):
        fl = archlang.analyze(archlang.loads(text.replace("Q", str(q)))).flows["f"].latency

        def cdf(t, q=q):
            ps = [_lognormal_cdf(t - 1 - n, 2, 12)[0] if t - 1 - n > 0 else 0.0 for n in nets]
            # P(at least q of the three answers by t), Poisson-binomial
            tot = 0.0
            for bits in itertools.product((0, 1), repeat=3):
                if sum(bits) >= q:
                    tot += math.prod(p if b else 1 - p for p, b in zip(ps, bits))
            return tot
        for pct, got in ((0.5, fl.p50), (0.99, fl.p99)):
            want = _quantile(cdf, pct)
            assert got == pytest.approx(want, rel=0.02), (q, pct)


def test_scatter_latency_is_the_slowest_shard():
    text = (ROOT / "docs" / "analyses" / "data-tier.md").read_text(encoding="utf-8")
    block = text.split("### 4.")[1].split("```arch\n")[1].split("```")[0]
    fl = archlang.analyze(archlang.loads(block)).flows["search"].latency

    def cdf(t):
        # api 1 ms, then the same-zone hop (big has no placement) 0.5 ms
        g = _lognormal_cdf(t - 1.5, 2, 10)[0] if t > 1.5 else 0.0
        return (1 - (1 - g) ** 2) ** 8
    assert fl.p50 == pytest.approx(_quantile(cdf, 0.5), rel=0.02)
    assert fl.p99 == pytest.approx(_quantile(cdf, 0.99), rel=0.04)


# ---- the language -----------------------------------------------------------------------------
@pytest.mark.parametrize("body,needle", [
    ("database x { replicas 2 replication leader_follower followers 2 }", "disagrees"),
    ("database x { replicas 2 rf 3 }", "needs at least 3 nodes"),
    ("database x { replication leaderless rf 3 read_quorum 4 }", "more than the rf 3"),
    ("database x { replication leaderless followers 2 }", "'followers' does not apply"),
    ("database x { replicas 3 min 2 replication leader_follower }", "'min' does not apply"),
    ("database x { sharding hash 8 replicas 4 skew 0.5 }", "'skew'"),
    ("database x { }\nserver a { }\na -> x scatter", "'scatter' needs a sharded"),
])
def test_bad_data_tier_input_is_a_clear_error(body, needle):
    with pytest.raises(DesignError) as e:
        archlang.loads(f"system t {{ {body} }}")
    assert needle in str(e.value)


def test_replicas_may_be_left_out_and_agree():
    d = archlang.loads("system t { database a { replication leader_follower followers 2 }\n"
                       "database b { replicas 3 replication multi_leader followers 2 }\n"
                       "database c { replicas 4 replication leader_follower } }")
    assert [d.components[x].replicas for x in "abc"] == [3, 3, 4]
    assert d.components["c"].followers == 3


def test_readme_design_shows_followers(tmp_path):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```arch\n")[1].split("```")[0]
    f = tmp_path / "shop.arch"
    f.write_text(block, encoding="utf-8")
    d = archlang.load(f)
    assert d.components["orders"].replicas == 3
    r = archlang.analyze(d)
    assert r.components["orders"].data_tier.rf == 3
    assert not any(f.component == "orders" for f in r.findings if f.severity != "info")
    dot = subprocess.run([sys.executable, "-m", "archlang.cli", "render", str(f), "-o",
                          str(tmp_path / "d.dot")], capture_output=True, text=True)
    assert dot.returncode == 0, dot.stderr
    assert "leader + 2 sync followers" in (tmp_path / "d.dot").read_text(encoding="utf-8")


def _readme_by_hand():
    """The README design's checkout availability, conditioned on the three zones (each
    0.9995) inside the region (0.9999); given the zones every component is independent."""
    from math import comb

    z, h = 0.9995, 0.85
    mtbf = 0.9999 * 3600 / 0.0001                      # front: MTTR 1 h
    f_front = 1 - 15 / mtbf
    total = 0.0
    for za, zb, zc in itertools.product((1, 0), repeat=3):
        pz = math.prod(z if s else 1 - z for s in (za, zb, zc))
        front = (1 - (1 - 0.9999 * za) * (1 - 0.9999 * zb)) * f_front
        m = 2 * (za + zb + zc)                         # api replicas in up zones, 4 needed
        api = sum(comb(m, j) * 0.999 ** j * 0.001 ** (m - j) for j in range(4, m + 1))
        sessions = 1 - (1 - 0.999 * za) * (1 - 0.999 * zb)
        orders = 1 - math.prod(1 - 0.9995 * s for s in (za, zb, zc))   # a read: any copy
        total += pz * front * api * sessions * (h + (1 - h) * orders)
    return 0.9999 * total


def test_readme_design_passes_its_slo(tmp_path):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```arch\n")[1].split("```")[0]
    f = tmp_path / "shop.arch"
    f.write_text(block, encoding="utf-8")
    r = archlang.analyze(archlang.load(f))
    fl = r.flows["checkout"]
    assert fl.availability == pytest.approx(_readme_by_hand(), abs=1e-12)
    assert fl.availability > 0.999 and all(s.status == "pass" for s in fl.slos)
    assert [s.units[0].name for s in fl.spofs] == ["us-east"]
    dt = r.components["orders"].data_tier
    assert (dt.rf, len(dt.node_loads)) == (3, 3)           # three copies, one per zone
    cli = subprocess.run([sys.executable, "-m", "archlang.cli", "check", str(f)],
                         capture_output=True, text=True)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "3 nodes, rf 3, 1 shard" in cli.stdout


def test_a_ring_store_queues_at_each_node_at_the_hottest_utilisation():
    """data-tier.md: every copy an operation asks waits in its own M/M/1 queue at the hottest
    node's utilisation rho: P(wait > t) = rho e^(-mu (1 - rho) t). 4 nodes of 25 ops/s, 40
    reads (R 1) and 20 writes (W = rf = 2): 80 node operations, 20 a node, rho = 0.8.
    Reads take the faster of two copies, P(min > t) = rho^2 e^(-2 mu (1-rho) t); writes the
    slower, P(max <= t) = (1 - rho e^(-mu (1-rho) t))^2. Closed forms, against the samples."""
    import math

    d = archlang.loads("""system q {
  network { same_zone 0ms cross_zone 0ms cross_region 0ms }
  client u { latency 0ms }
  server api { availability 100% latency 1ms }
  server w { availability 100% latency 1ms }
  database big {
    sharding hash 10
    replicas 4
    replication leaderless rf 2 read_quorum 1 write_quorum 2
    availability 100%
    latency 5ms
    capacity 25 qps
  }
  w -> big write
  flow read rate 40 rps { path u -> api -> big }
  flow write rate 20 rps { path u -> w -> big }
}
""")
    r = archlang.analyze(d)
    assert r.components["big"].utilisation == pytest.approx(0.8)
    rho, rate = 0.8, 25 * (1 - 0.8) / 1000            # per ms
    read, write = r.flows["read"].latency, r.flows["write"].latency
    # reads: 1 + 5 + min of two waits
    assert read.mean == pytest.approx(6 + rho**2 / (2 * rate), abs=3 * read.error_ms)
    assert read.p99 == pytest.approx(6 + math.log(rho**2 / 0.01) / (2 * rate),
                                     abs=3 * read.error_ms)
    # writes: 1 + 5 + max of two waits: E = 2 E[W] - E[min]
    assert write.mean == pytest.approx(6 + 2 * rho / rate - rho**2 / (2 * rate),
                                       abs=3 * write.error_ms)
    p99 = -math.log((1 - math.sqrt(0.99)) / rho) / rate
    assert write.p99 == pytest.approx(6 + p99, abs=3 * write.error_ms)
    hop = next(h for h in read.hops if h.name == "big")
    assert hop.queueing_ms == pytest.approx(rho**2 / (2 * rate), rel=0.05)
