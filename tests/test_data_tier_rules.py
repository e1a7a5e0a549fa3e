"""The data-tier findings AL501-AL505 (archlang/rules/data.py) on designs worked by hand, the
CLI's `explain`, and the capacity of a sequential key on a range-sharded store against loads
computed here from the placement rules of docs/analyses/data-tier.md."""

import itertools
import math
import subprocess
import sys
from pathlib import Path

import pytest

import archlang
from archlang.rules import check_rules

ROOT = Path(__file__).resolve().parents[1]


def _codes(text, code):
    return [f for f in check_rules(archlang.loads(text)) if f.code == code]


@pytest.mark.parametrize("code,name", [("AL501", "quorums-do-not-overlap"),
                                       ("AL502", "strong-read-from-async-replication"),
                                       ("AL503", "write-quorum-across-regions"),
                                       ("AL504", "ring-neighbour-takes-lost-load"),
                                       ("AL505", "range-sharding-sequential-key")])
def test_explain_names_the_rule(code, name):
    r = subprocess.run([sys.executable, "-m", "archlang.cli", "explain", code],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{code} ({name}), warning")
    assert "## Use instead" in r.stdout


QUORUM = """
system t {{
  client u
  database kv {{ replication leaderless rf {rf} read_quorum {r} write_quorum {w} }}
  flow f {{ consistency {cons}  path u -> kv }}
}}"""


@pytest.mark.parametrize("rf,r,w,cons,flagged", [
    (3, 1, 2, "strong", True), (3, 2, 2, "strong", False), (3, 1, 3, "strong", False),
    (5, 2, 3, "read_your_writes", True), (5, 3, 3, "read_your_writes", False),
    (3, 1, 1, "eventual", False), (1, 1, 1, "strong", False)])
def test_al501_is_r_plus_w_at_most_rf(rf, r, w, cons, flagged):
    got = _codes(QUORUM.format(rf=rf, r=r, w=w, cons=cons), "AL501")
    assert bool(got) == flagged
    if flagged:
        assert f"read_quorum {r} + write_quorum {w} <= rf {rf}" in got[0].message
        # the hint's read quorum is the smallest that overlaps W: R = rf - W + 1
        assert f"read_quorum {rf - w + 1} with write_quorum {w}" in got[0].hint


def test_al501_reads_the_flows_request_tree():
    # the store behind a cache is used by the flow (its miss path); a flow whose path
    # stops at the api does not use it
    text = """
system t {
  client u
  server api { }
  cache c { hit_ratio 90% }
  database kv { replication leaderless rf 3 read_quorum 1 write_quorum 1 }
  flow f { consistency strong  path u -> api -> c -> kv }
  flow g { consistency strong  path u -> api }
}"""
    assert [f.flow for f in _codes(text, "AL501")] == ["f"]


def test_al503_counts_the_copies_per_region_of_each_shard():
    # 4 nodes round-robin over us.a, us.b, eu.a, eu.b; rf 3: window w holds nodes w..w+2,
    # two in one region and one in the other, so W = 2 fits in a region, W = 3 never does
    base = """
system t {{
  region us {{ zone a
    zone b }}
  region eu {{ zone a
    zone b }}
  network {{ cross_region 70ms }}
  client u
  database kv {{ sharding hash 8 replicas 4 rf 3 read_quorum 1 write_quorum {w}
                placement us.a, us.b, eu.a, eu.b }}
  flow f {{ path u -> kv }}
}}"""
    assert not _codes(base.format(w=2), "AL503")
    got = _codes(base.format(w=3), "AL503")
    assert len(got) == 1 and "of all of its keys" in got[0].message
    assert "(70 ms)" in got[0].message


def test_al504_figures_by_hand():
    # 8 nodes, rf 2, 100 reads/s: each node serves 12.5; losing node 0 sends window 7's
    # reads to node 7 and window 0's to node 1: +6.25 each, half of the moved load
    text = """
system t {
  client u
  database kv { sharding hash 64 replicas 8 rf 2 read_quorum 1 write_quorum 1 }
  flow f rate 100 rps { path u -> kv }
}"""
    got = _codes(text, "AL504")
    assert len(got) == 1
    assert "losing kv[1] sends 50% of its moved reads to one node, kv[2]" in got[0].message
    assert "+6.25 node ops/s, 1.5x its load" in got[0].message
    assert not _codes(text.replace("rf 2", "rf 3"), "AL504")   # each neighbour: 1/3


def test_al505_names_the_last_shards_nodes():
    text = """
system t {
  client u
  database ev { sharding range 10 key sequential replicas 4 rf 2 }
  flow f { path u -> ev }
}"""
    got = _codes(text, "AL505")
    # shard 10 (0-based 9) on nodes 9 mod 4 = 1 and 2: ev[2], ev[3]
    assert len(got) == 1 and "on ev[2], ev[3] and the other 2 nodes" in got[0].message
    assert not _codes(text.replace("range", "hash"), "AL505")


SEQ = """
system t {{
  client u
  server api {{ }}
  server w {{ }}
  database ev {{ sharding {how} {shards} key sequential replicas {nodes} rf {rf}
                read_quorum {r} write_quorum 1 capacity 100000 qps }}
  w -> ev write
  flow read rate {reads} rps {{ path u -> api -> ev }}
  flow post rate {writes} rps {{ path u -> w -> ev }}
}}"""


def _hand_loads(nodes, shards, rf, r, reads, writes, sequential):
    """Node operations per node from the placement rules, written independently."""
    windows = min(shards, nodes)
    if shards >= nodes:
        share = [1 / nodes] * nodes
    else:
        share = [sum(1 for s in range(shards) if s % nodes == w) / shards for w in range(windows)]
    loads = [0.0] * nodes
    for w in range(windows):
        copies = [(w + j) % nodes for j in range(rf)]
        for i in copies:
            loads[i] += reads * share[w] * min(r, rf) / rf
            if not sequential:
                loads[i] += writes * share[w]
    if sequential:
        last = (shards - 1) % nodes
        for j in range(rf):
            loads[(last + j) % nodes] += writes
    return loads


@pytest.mark.parametrize("nodes,shards,rf,r", [(12, 256, 3, 1), (7, 10, 2, 1), (5, 3, 3, 2),
                                               (6, 6, 1, 1)])
@pytest.mark.parametrize("how", ["range", "hash"])
def test_sequential_key_capacity_against_hand_loads(nodes, shards, rf, r, how):
    reads, writes = 9000.0, 2000.0
    d = archlang.loads(SEQ.format(how=how, shards=shards, nodes=nodes, rf=rf, r=r,
                                  reads=reads, writes=writes))
    cc = archlang.analyze(d).components["ev"]
    want = _hand_loads(nodes, shards, rf, r, reads, writes, how == "range")
    assert list(cc.data_tier.node_loads) == pytest.approx(want, rel=1e-12)
    assert cc.utilisation == pytest.approx(max(want) / 100000, rel=1e-12)


def test_timeline_example_search_by_brute_force():
    """examples/timeline.arch, flow search: edge (1 of 3), search-api (2 of 3), and a scatter
    read over the index (24 shards on 6 nodes, rf 3, R 1: every window needs one copy up),
    one replica / node per zone in turn; every zone and node state enumerated."""
    d = archlang.load(ROOT / "examples" / "timeline.arch")
    got = archlang.analyze(d).flows["search"].availability
    z = 0.9995
    total = 0.0
    for zs in itertools.product((1, 0), repeat=3):
        pz = math.prod(z if s else 1 - z for s in zs)
        edge = 1 - math.prod(1 - 0.9999 * s for s in zs)
        ups = [0.999 * s for s in zs]
        api = (ups[0] * ups[1] + ups[0] * ups[2] + ups[1] * ups[2]
               - 2 * ups[0] * ups[1] * ups[2])
        index = 0.0
        for ns in itertools.product((1, 0), repeat=6):
            up = [ns[i] and zs[i % 3] for i in range(6)]
            if all(any(up[(w + j) % 6] for j in range(3)) for w in range(6)):
                index += math.prod(0.999 if s else 0.001 for s in ns)
        total += pz * edge * api * index
    assert got == pytest.approx(total, abs=1e-13)
