"""The graph and the request tree of a flow."""

import archlang
from archlang.graph import build_graph, flow_tree

DESIGN = """
system t {
  client users { }
  dns geo { }
  lb east { }
  lb west { }
  server api { }
  cache c { hit_ratio 90% }
  database db { }
  queue q { }
  server worker { }
  geo -> east | west
  api -> c x3 parallel
  api -> db write optional
  flow via-west rate 10 rps {
    path users -> geo -> west -> api -> c -> db
    path api -> q ~> worker -> db
  }
  flow via-east rate 10 rps { path users -> geo -> east -> api }
}
"""


def names(node):
    return [n.name for n in node.walk()]


def test_tree_follows_the_paths_and_keeps_async_apart():
    d = archlang.loads(DESIGN)
    root = flow_tree(d, "via-west")
    assert root.name == "users"
    (geo_call,) = root.calls
    geo = geo_call.targets[0]
    (alt,) = geo.calls
    # the flow's own path goes west: west is the primary, east the failover
    assert [t.name for t in alt.targets] == ["west", "east"]
    api = alt.targets[0].calls[0].targets[0]
    assert [c.targets[0].name for c in api.calls] == ["c", "q"]
    cache_call = api.calls[0]
    assert (cache_call.count, cache_call.parallel) == (3, True)
    assert [c.targets[0].name for c in cache_call.targets[0].calls] == ["db"]   # miss path
    q = api.calls[1].targets[0]
    assert q.calls == () and [c.targets[0].name for c in q.async_calls] == ["worker"]
    assert "worker" not in names(root)
    assert "worker" in [n.name for n in root.walk(include_async=True)]


def test_primary_alternative_is_the_flows_own():
    d = archlang.loads(DESIGN)
    alt = flow_tree(d, "via-east").calls[0].targets[0].calls[0]
    assert [t.name for t in alt.targets] == ["east", "west"]


def test_graph_nodes_edges_and_flow_subgraphs():
    d = archlang.loads(DESIGN)
    g = build_graph(d)
    assert list(g.nodes) == list(d.components)
    assert g.edges["geo", "west"]["alternatives"] == ("east", "west")
    assert g.edges["api", "db"]["call"].optional and g.edges["api", "db"]["call"].write
    assert sorted(g.edges["users", "geo"]["flows"]) == ["via-east", "via-west"]
    sub = g.edge_subgraph(g.graph["flows"]["via-east"])     # one flow's edges, by networkx
    assert set(sub.edges) == {("users", "geo"), ("geo", "east"), ("east", "api")}


def test_a_flow_starting_at_a_queue_is_the_consumers_side():
    d = archlang.loads("""system q {
      queue events { availability 99.9% latency 2ms }
      server worker { availability 99% latency 10ms }
      database db { availability 99.5% latency 3ms }
      flow consume rate 10 rps { path events ~> worker -> db }
    }""")
    root = flow_tree(d, "consume")
    assert root.consumer and not root.ends_request
    assert [c.targets[0].name for c in root.calls] == ["worker"] and root.async_calls == ()
    r = archlang.analyze(d)
    f = r.flows["consume"]
    assert f.availability == 0.999 * 0.99 * 0.995          # every stage of the consumer
    assert f.latency.p50 == f.latency.p99 == 2 + 10 + 3
    assert r.components["db"].load_rps == 10.0
