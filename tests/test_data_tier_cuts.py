"""SPOFs and cut sets of order 2 of large groups and rings (analysis/spof.py) against brute
force: every unit and every pair of units is forced down and the flow's availability is
computed by the exact engine (a pair is a cut set when the flow fails with both down and
with neither alone), or, for the larger rings, by a structural evaluation written here from
the placement of data-tier.md (node i in zone i mod zones, shard s on nodes s .. s + rf - 1).
"""

import itertools
import math

import pytest

import archlang
from archlang.analysis.compiled_flow import compile_flow
from archlang.analysis.down import as_down
from archlang.analysis.exact import ExactEngine
from archlang.analysis.overrides import down_overrides
from archlang.analysis.replica_groups import component_models, domain_availability


def _units(design):
    """Every unit of the designs below that can fail: replicas / nodes, zones, regions."""
    out = []
    for c in design.components.values():
        if c.kind == "client" or c.availability >= 1.0:
            continue
        out += [c.name] if c.replicas == 1 else [f"{c.name}[{i + 1}]"
                                                 for i in range(c.replicas)]
    for r in design.regions:
        if r.availability < 1.0:
            out.append(r.name)
        out += [f"{r.name}.{z.name}" for z in r.zones if z.availability < 1.0]
    return out


def _fails(design, flow, names) -> bool:
    forced = as_down(design, list(names))
    fm = compile_flow(design, flow, component_models(design, forced), domain_availability(design))
    return ExactEngine(fm, down_overrides(forced)).availability() < 1e-15


def brute_cuts(design, flow, fails=None):
    fails = fails or (lambda names: _fails(design, flow, names))
    units = _units(design)
    ones = {u for u in units if fails([u])}
    twos = {tuple(sorted(p)) for p in itertools.combinations(units, 2)
            if not set(p) & ones and fails(list(p))}
    return ones, twos


def reported(design, flow):
    fl = archlang.analyze(design).flows[flow]
    ones = {s.units[0].name for s in fl.spofs}
    twos = {tuple(sorted(u.name for u in cs.units)) for cs in fl.cut_sets}
    return ones, twos, fl.cut_sets_total


def _collapse(design, ones):
    """A group every replica of which is a SPOF is reported once, as the component."""
    out = set(ones)
    for c in design.components.values():
        names = {f"{c.name}[{i + 1}]" for i in range(c.replicas)}
        if c.replicas > 1 and names <= out:
            out = (out - names) | {c.name}
    return out


RING = """
system t {{
  region g {{ zone a availability 99.9%
    zone b availability 99.9%
    zone c availability 99.9% }}
  client u
  server api {{ availability 100% }}
  database st {{ {sharding} replicas {nodes} replication leaderless rf {rf}
                 read_quorum {r} write_quorum {w} {key} availability 99%
                 placement {place} }}
  api -> st {call}
  flow f {{ path u -> api -> st }}
}}"""


def ring(nodes, shards, rf, r, w, zones, call, key=""):
    sharding = f"sharding {'range' if key else 'hash'} {shards}" if shards > 1 else ""
    place = ", ".join(f"g.{z}" for z in "abc"[:zones])
    return archlang.loads(RING.format(sharding=sharding, nodes=nodes, rf=rf, r=r, w=w,
                                      place=place, call=call, key=key))


SMALL = [(6, 6, 3, 2, 2, 3, "scatter"), (6, 6, 3, 1, 2, 3, "write scatter"),
         (7, 10, 3, 2, 2, 3, "scatter"), (5, 5, 2, 1, 2, 2, "write"),
         (6, 4, 2, 2, 1, 3, ""), (6, 6, 3, 3, 3, 2, "write"), (4, 1, 4, 3, 3, 2, ""),
         (6, 8, 3, 1, 2, 3, "write")]


@pytest.mark.parametrize("nodes,shards,rf,r,w,zones,call", SMALL)
def test_ring_cut_sets_match_brute_force_by_the_exact_engine(nodes, shards, rf, r, w, zones,
                                                             call):
    d = ring(nodes, shards, rf, r, w, zones, call)
    ones, twos, total = reported(d, "f")
    b1, b2 = brute_cuts(d, "f")
    assert ones == _collapse(d, b1)
    assert twos == b2
    assert total == len(b2)


def test_sequential_writes_make_the_last_shards_copies_a_cut_set():
    # range 12 on 12 nodes: the last shard (11) is on nodes 11, 0, 1: st[12], st[1], st[2];
    # every write goes there, so two of them down fail every write (W = 2).
    d = ring(12, 12, 3, 1, 2, 3, "write", key="key sequential")
    ones, twos, _total = reported(d, "f")
    b1, b2 = brute_cuts(d, "f")
    assert ones == b1 == set()
    assert twos == b2
    last = {tuple(sorted(p)) for p in itertools.combinations(["st[12]", "st[1]", "st[2]"], 2)}
    assert last <= twos
    # the same store hashed: no pair of nodes fails every write
    ones, twos, _ = reported(ring(12, 12, 3, 1, 2, 3, "write"), "f")
    assert not [p for p in twos if all(x.startswith("st[") for x in p)]


def _structural(nodes, shards, rf, q, zones, scatter):
    """Does the operation fail with these units down? Written from the placement rules."""
    def fails(names):
        down_nodes = {int(n[3:-1]) - 1 for n in names if n.startswith("st[")}
        down_zones = {n.split(".")[1] for n in names if n.startswith("g.")}
        if "g" in names:
            return True
        up = [i not in down_nodes and "abc"[i % zones] not in down_zones for i in range(nodes)]
        ok = [sum(up[(s + j) % nodes] for j in range(rf)) >= q for s in range(shards)]
        return not all(ok) if scatter else not any(ok)
    return fails


@pytest.mark.parametrize("rf,q,scatter,call", [(3, 2, True, "scatter"), (3, 3, False, "write"),
                                               (3, 2, False, "write"), (2, 1, True, "scatter"),
                                               (4, 3, True, "write scatter")])
def test_twelve_node_ring_cut_sets_match_a_structural_brute_force(rf, q, scatter, call):
    r, w = (q, 1) if "write" not in call else (1, q)
    d = ring(12, 256, rf, r, w, 3, call)
    ones, twos, total = reported(d, "f")
    b1, b2 = brute_cuts(d, "f", _structural(12, 256, rf, q, 3, scatter))
    assert ones == _collapse(d, b1)
    assert twos == b2
    assert total == len(b2)


def test_scatter_quorum_two_of_three_cut_sets_counted_by_hand():
    # 12 nodes, rf 3, scatter with W = 2: two nodes within distance 2 on the ring share a
    # window (12 x 2 = 24 pairs), a node and a zone holding one of its window-mates (each node
    # has neighbours at distance 1 and 2 in both other zones: 12 x 2 = 24), the 3 pairs of
    # zones: 51 in all; a node two apart from another in the same zone is impossible
    # (distance 3), so no same-zone pair appears.
    d = ring(12, 256, 3, 1, 2, 3, "write scatter")
    _ones, twos, total = reported(d, "f")
    assert total == 51 and len(twos) == 51
    assert ("st[1]", "st[3]") in twos and ("st[1]", "st[4]") not in twos


GROUP = """
system t {{
  region r {{ zone a availability 99.9%
    zone b availability 99.9% }}
  client u
  server api {{ replicas {n} min {k} availability 99.99% {place} }}
  flow f {{ path u -> api }}
}}"""


@pytest.mark.parametrize("n,k,place", [(8, 7, "placement r.a, r.b"), (6, 6, ""),
                                       (9, 7, "placement r.a, r.b")])
def test_group_cut_sets_match_brute_force(n, k, place):
    d = archlang.loads(GROUP.format(n=n, k=k, place=place))
    ones, twos, total = reported(d, "f")
    b1, b2 = brute_cuts(d, "f")
    assert ones == _collapse(d, b1)
    assert twos == b2 and total == len(b2)


def test_six_hundred_replicas_min_599_counted_by_combinatorics():
    # one class of interchangeable replicas: every pair is a cut set, C(600, 2) of them,
    # the most probable 1,000 listed; each zone is a SPOF (300 left < 599)
    d = archlang.loads(GROUP.format(n=600, k=599, place=""))
    ones, twos, total = reported(d, "f")
    assert total == math.comb(600, 2) == 179_700
    assert len(twos) == 1000 and ones == set()
    d = archlang.loads(GROUP.format(n=600, k=599, place="placement r.a, r.b"))
    ones, twos, total = reported(d, "f")
    assert ones == {"r.a", "r.b"} and total == math.comb(600, 2)
