"""Summing a component's failure domains out without enumerating their 2^d states.

Up to ENUMERATE_DOMAINS uncertain domains the engines enumerate them; beyond it they take
the convolution over the placement tree (replica_groups.placed_at_least). The two must agree
on every design, so each case here is analysed both ways (the limit patched to force one
method, then the other) and compared: flow availability, every component figure, and the
what-ifs behind importance. A design over 100 zones, which hung before, is analysed whole.
"""

from __future__ import annotations

import itertools
import math
import random

import pytest

import archlang
from archlang.analysis import exact, replica_groups
from archlang.analysis.availability import analyze_availability
from archlang.analysis.replica_groups import placed_at_least

TOL = 1e-12


def _brute(q, nodes, pdom):
    """P(at least q up) by enumerating every domain state and every node state."""
    doms = sorted(pdom)
    total = 0.0
    for ds in itertools.product((1, 0), repeat=len(doms)):
        st = dict(zip(doms, ds))
        pr = math.prod(pdom[d] if s else 1 - pdom[d] for d, s in st.items())
        ps = [p if all(st.get(d, 1) for d in dd) else 0.0 for p, dd in nodes]
        for ups in itertools.product((1, 0), repeat=len(ps)):
            if sum(ups) >= q:
                total += pr * math.prod(p if u else 1 - p for p, u in zip(ps, ups))
    return total


@pytest.mark.parametrize("seed", range(12))
def test_placed_at_least_equals_enumeration(seed):
    rnd = random.Random(seed)
    regions = [f"r{i}" for i in range(rnd.randint(1, 3))]
    zones = [(r, f"{r}.z{j}") for r in regions for j in range(rnd.randint(1, 2))]
    pdom = {d: rnd.choice([0.9, 0.95, 0.99]) for d in regions + [z for _, z in zones]}
    nodes = []
    for _ in range(rnd.randint(1, 7)):
        kind = rnd.random()
        if kind < 0.6:
            r, z = rnd.choice(zones)
            ds: tuple[str, ...] = (z, r)
        elif kind < 0.85:
            ds = (rnd.choice(regions),)
        else:
            ds = ()
        nodes.append((rnd.choice([0.8, 0.9, 0.99, 1.0]), ds))
    for q in range(len(nodes) + 2):
        assert placed_at_least(q, nodes, pdom) == pytest.approx(_brute(q, nodes, pdom),
                                                                abs=TOL)


def test_domains_that_do_not_nest_are_left_to_enumeration():
    assert placed_at_least(1, [(0.9, ("a", "b")), (0.9, ("a", "c"))],
                           {"a": 0.9, "b": 0.9, "c": 0.9}) is None


def _design(seed: int) -> str:
    """A random design whose groups span more than ENUMERATE_DOMAINS uncertain domains."""
    rnd = random.Random(seed)
    nreg = rnd.randint(2, 3)
    nz = rnd.randint(3, 4)
    regions = "\n".join(
        f"  region r{r} availability {rnd.choice(['99.9', '99.99'])}% {{\n"
        + "\n".join(f"    zone z{z} availability {rnd.choice(['99', '99.9', '99.5'])}%"
                    for z in range(nz))
        + "\n  }" for r in range(nreg))
    every = ", ".join(f"r{r}.z{z}" for r in range(nreg) for z in range(nz))
    some = ", ".join(f"r{r}" if rnd.random() < 0.3 else f"r{r}.z{rnd.randrange(nz)}"
                     for r in range(nreg))
    n_api = rnd.randint(nreg * nz, 2 * nreg * nz)
    store = rnd.choice([
        "replication leaderless rf 3 read_quorum 2 write_quorum 2 sharding hash 32",
        "replication leaderless rf 3 read_quorum 1 write_quorum 2 sharding hash 7",
        "replication leader_follower followers 2 sync failover 30s",
    ])
    nodes = "" if "leader_follower" in store else f"replicas {rnd.randint(nreg * nz, nreg * nz + 5)}"
    return f"""system t {{
{regions}
  client users
  lb front {{ availability 99.9% replicas 2 placement {some} }}
  server api {{ availability 99% replicas {n_api} min {rnd.randint(1, n_api - 2)}
               placement {every} }}
  database kv {{ mtbf 30d mttr 4h {nodes} {store}
                placement {every} }}
  flow f rate 10 rps {{ path users -> front -> api -> kv }}
  flow w rate 5 rps {{ path users -> api -> kv write }}
}}
"""


def _figures(text, monkeypatch, limit):
    monkeypatch.setattr(replica_groups, "ENUMERATE_DOMAINS", limit)
    monkeypatch.setattr(exact, "ENUMERATE_DOMAINS", limit)
    rep = analyze_availability(archlang.loads(text))
    flows = {n: (f.availability, sorted((i.name, i.birnbaum, i.gain_if_perfect) for i in f.importance))
             for n, f in rep.flows.items()}
    comps = {n: (c.availability, c.availability_with_domains)
             for n, c in rep.components.items()}
    return flows, comps


@pytest.mark.parametrize("seed", range(6))
def test_engines_agree_with_enumeration_beyond_the_limit(seed, monkeypatch):
    text = _design(seed)
    enum_flows, enum_comps = _figures(text, monkeypatch, 10_000)   # always enumerate
    tree_flows, tree_comps = _figures(text, monkeypatch, 0)        # never enumerate
    assert enum_comps.keys() == tree_comps.keys()
    for name, (a, b) in enum_comps.items():
        assert tree_comps[name] == pytest.approx((a, b), abs=TOL), name
    for name, (a, imp) in enum_flows.items():
        a2, imp2 = tree_flows[name]
        assert a2 == pytest.approx(a, abs=TOL), name
        assert [u for u, _, _ in imp2] == [u for u, _, _ in imp], name
        assert [v for x in imp2 for v in x[1:]] == pytest.approx(
            [v for x in imp for v in x[1:]], abs=1e-10), name


def test_a_group_over_a_hundred_zones():
    """k of n over 100 zones: before, 2^101 domain states (no answer in 120 s). By hand:
    api is up when at least 990 of its 1000 replicas are, each up with 0.99 x its zone's
    0.999 x the region's 0.9999; the zones' counts are binomial mixtures, convolved."""
    zones = "\n".join(f"    zone z{i} availability 99.9%" for i in range(100))
    place = ", ".join(f"r.z{i}" for i in range(100))
    text = f"""system s {{
  region r availability 99.99% {{
{zones}
  }}
  client u
  server api {{ availability 99% replicas 1000 min 990 placement {place} }}
  flow f {{ path u -> api }}
}}
"""
    # independent figure: distribution of replicas up, zone by zone (10 replicas each)
    zone = [0.999 * math.comb(10, j) * 0.99 ** j * 0.01 ** (10 - j) for j in range(11)]
    zone[0] += 0.001
    dist = [1.0]
    for _ in range(100):
        nxt = [0.0] * (len(dist) + 10)
        for i, x in enumerate(dist):
            for j, y in enumerate(zone):
                nxt[i + j] += x * y
        dist = nxt
    want = 0.9999 * math.fsum(dist[990:])
    rep = analyze_availability(archlang.loads(text))
    assert rep.flows["f"].availability == pytest.approx(want, rel=1e-9)
    assert rep.components["api"].availability_with_domains == pytest.approx(want, rel=1e-9)
    fl = rep.flows["f"]
    assert [c.units[0].name for c in fl.spofs] == ["r"]    # a zone leaves 990: still up
    # order 2: two zones (C(100, 2)), or a zone and a replica outside it (100 x 990)
    assert fl.cut_sets_total == math.comb(100, 2) + 100 * 990


def test_monte_carlo_draws_a_large_group_from_its_reachable_replicas():
    """Above BINOMIAL_FROM replicas the sampler draws a group's state from the replicas its
    domains leave (one uniform, not one per replica); it must agree with the exact figure."""
    from archlang.analysis.montecarlo import BINOMIAL_FROM, monte_carlo_availability
    text = """system s {
  region r availability 99.9% {
    zone a availability 99%
    zone b availability 99%
    zone c availability 98%
  }
  region q availability 99% { zone a availability 99% }
  client u
  server api { availability 97% replicas 120 min 100 placement r.a, r.b, r.c, q }
  server db { availability 99% replicas 2 placement r.a, r.b }
  flow f { path u -> api -> db }
}
"""
    design = archlang.loads(text)
    assert design.components["api"].replicas > BINOMIAL_FROM
    exact_a = analyze_availability(design).flows["f"].availability
    for down in ((), ("r.c",)):
        est = monte_carlo_availability(design, "f", trials=400_000, down=down)
        want = analyze_availability(design, down=down).flows["f"].availability
        assert abs(est.estimate - want) <= 3.3 * est.std_error, (down, est, want)  # 99.9%
    assert 0.5 < exact_a < 0.99
