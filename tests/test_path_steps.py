"""Path steps carry the modifiers and alternatives of a call.

`path api -> shard x100 parallel` must give exactly the figures of the same design written
with a call statement (`api -> shard x100 parallel` and `path ... -> api -> shard`):
availability, latency and capacity are compared figure by figure, and a few are checked
against values worked out by hand.
"""

from __future__ import annotations

import math

import pytest

import archlang
from archlang.syntax.callmods import CALL_MODIFIERS, MODIFIER_WORDS, listing
from archlang.syntax.fmt import format_text

HEAD = """
system t {
  region us availability 99.99% { zone a availability 99.95%  zone b availability 99.9% }
  region eu availability 99.98% { zone a availability 99.95% }
  network { us <-> eu 80ms }
  client users { latency 20ms }
  dns resolver { availability 99.99% latency 2ms }
  lb us-lb { availability 99.95% latency 1ms capacity 5000 rps placement us.a, us.b
             replicas 2 }
  lb eu-lb { availability 99.9% latency 1ms capacity 3000 rps placement eu.a }
  server api { replicas 4 min 2 availability 99.9% latency p50 8ms p99 40ms
               capacity 300 rps placement us.a, us.b }
  server shard { replicas 6 availability 99.5% latency p50 2ms p99 30ms capacity 2000 rps
                 placement us.a, us.b }
  server audit { availability 99% latency 3ms capacity 100 rps placement us.a }
  database db { replication leader_follower followers 1 sync availability 99.95%
                latency p50 3ms p99 20ms capacity 4000 qps placement us.a, us.b }
  server worker { replicas 2 availability 99.9% latency 5ms capacity 50 rps
                  placement us.a, us.b }
  queue jobs { durable availability 99.99% latency 1ms }
"""

# (calls written as statements, the same flows with the calls written on the path steps)
CASES = {
    "fan-out": (
        """
  api -> shard x100 parallel
  flow read rate 20 rps {
    path users -> resolver -> us-lb -> api -> shard
    slo availability 99.9%
    slo latency p99 400ms
  }""",
        """
  flow read rate 20 rps {
    path users -> resolver -> us-lb -> api -> shard x100 parallel
    slo availability 99.9%
    slo latency p99 400ms
  }"""),
    "alternatives": (
        """
  resolver -> us-lb | eu-lb
  us-lb -> api
  eu-lb -> api
  flow read rate 100 rps {
    path users -> resolver -> us-lb
    path us-lb -> api -> db
  }""",
        """
  us-lb -> api
  eu-lb -> api
  flow read rate 100 rps {
    path users -> resolver -> us-lb | eu-lb
    path us-lb -> api -> db
  }"""),
    "alternatives mid-path": (
        """
  resolver -> us-lb | eu-lb
  eu-lb -> api
  flow read rate 100 rps {
    path users -> resolver -> us-lb -> api -> db
  }""",
        """
  eu-lb -> api
  flow read rate 100 rps {
    path users -> resolver -> us-lb | eu-lb -> api -> db
  }"""),
    "optional, write, x3": (
        """
  api -> audit optional
  api -> db x3 write
  flow write rate 50 rps {
    path users -> us-lb -> api -> audit
    path api -> db
    slo availability 99.9%
  }""",
        """
  flow write rate 50 rps {
    path users -> us-lb -> api -> audit optional
    path api -> db x3 write
    slo availability 99.9%
  }"""),
    "queue consumer": (
        """
  jobs ~> worker x2
  flow produce rate 40 rps { path users -> api -> jobs }
  flow consume rate 40 rps { path jobs ~> worker -> db }""",
        """
  flow produce rate 40 rps { path users -> api -> jobs }
  flow consume rate 40 rps { path jobs ~> worker x2 -> db }"""),
    "resilience modifiers": (
        """
  resolver -> us-lb | eu-lb failover 60s
  eu-lb -> api
  api -> db timeout 50ms retries 2 backoff 10ms retry_budget 20%
  api -> audit optional breaker
  flow read rate 100 rps {
    path users -> resolver -> us-lb -> api -> db
    path api -> audit
    slo availability 99.9%
    slo latency p99 200ms
  }""",
        """
  eu-lb -> api
  flow read rate 100 rps {
    path users -> resolver -> us-lb | eu-lb failover 60s
               -> api -> db timeout 50ms retries 2 backoff 10ms retry_budget 20%
    path api -> audit optional breaker
    slo availability 99.9%
    slo latency p99 200ms
  }"""),
    "two flows share the step's call": (
        """
  api -> shard x10 parallel
  flow a rate 10 rps { path users -> api -> shard }
  flow b rate 30 rps { path users -> us-lb -> api -> shard }""",
        """
  flow a rate 10 rps { path users -> api -> shard }
  flow b rate 30 rps { path users -> us-lb -> api -> shard x10 parallel }"""),
}


def _figures(text: str) -> dict:
    design = archlang.loads(text)
    r = archlang.analyze(design)
    out = {}
    for name, f in r.flows.items():
        out[f"{name} availability"] = f.availability
        lat = r.latency_report.flows[name]
        out[f"{name} latency"] = (lat.p50, lat.p90, lat.p99, lat.p999, lat.mean)
        out[f"{name} spofs"] = sorted(s.units[0].name for s in
                                      r.availability_report.flows[name].spofs)
    for c in r.capacity_report.components.values():
        out[f"{c.name} load"] = (c.load_rps, c.utilisation, c.status)
    out["findings"] = sorted((f.code, f.message) for f in r.findings)
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_modifiers_on_a_path_step_give_the_figures_of_a_call_statement(case):
    with_call, on_path = CASES[case]
    a = _figures(HEAD + with_call + "\n}\n")
    b = _figures(HEAD + on_path + "\n}\n")
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == b[key], key


def test_fan_out_on_a_path_step_by_hand():
    text = """
system t {
  client users { latency 10ms }
  server api { availability 99.9% latency 5ms capacity 100 rps }
  server shard { availability 99.5% latency 2ms capacity 400 rps replicas 3 }
  flow f rate 10 rps { path users -> api -> shard x100 parallel }
}
"""
    r = archlang.analyze(archlang.loads(text))
    # one shard group, k=1 of 3: a request needs api and the group (the 100 calls go to
    # the same group, which is up or not for all of them)
    group = 1 - (1 - 0.995) ** 3
    assert r.flows["f"].availability == pytest.approx(0.999 * group, rel=1e-12)
    cap = r.capacity_report.components
    assert cap["shard"].load_rps == pytest.approx(1000.0)          # 10 rps x 100
    assert cap["shard"].utilisation == pytest.approx(1000 / 1200)  # 3 x 400 rps
    # without capacity (no queueing): users 10 ms + api 5 ms + the slowest of 100 fixed
    # 2 ms calls; same-zone network 0 ms by default
    r = archlang.analyze(archlang.loads(text.replace("capacity 400 rps", "")
                                        .replace("capacity 100 rps", "")))
    assert r.latency_report.flows["f"].p99 == pytest.approx(17.0, abs=1e-9)


def test_alternatives_on_a_path_step_by_hand():
    text = """
system t {
  client users { latency 10ms }
  dns resolver { availability 99.99% latency 2ms }
  lb us-lb { availability 99.9% latency 1ms }
  lb eu-lb { availability 99% latency 1ms }
  flow f rate 10 rps { path users -> resolver -> us-lb | eu-lb }
}
"""
    d = archlang.loads(text)
    call = d.call_between("resolver", "eu-lb")
    assert call.targets == ("us-lb", "eu-lb") and not call.implicit
    r = archlang.analyze(d)
    expected = 0.9999 * (1 - (1 - 0.999) * (1 - 0.99))
    assert r.flows["f"].availability == pytest.approx(expected, rel=1e-12)


def test_optional_on_a_path_step_by_hand():
    text = """
system t {
  client users { latency 10ms }
  server api { availability 99.9% latency 5ms }
  server recs { availability 90% latency 5ms }
  flow f rate 10 rps { path users -> api -> recs optional }
}
"""
    r = archlang.analyze(archlang.loads(text))
    assert r.flows["f"].availability == pytest.approx(0.999, rel=1e-12)


def _errors(text: str) -> list[str]:
    with pytest.raises(archlang.ArchlangError) as e:
        archlang.loads(text)
    return [f"{d.span.line}:{d.span.column}: {d.message}" for d in e.value.diagnostics]


BASE = """system t {
  client users { latency 10ms }
  server api { availability 99.9% latency 5ms }
  server shard { availability 99.9% latency 5ms }
  lb a { availability 99.9% latency 1ms }
  lb b { availability 99.9% latency 1ms }
  lb c { availability 99.9% latency 1ms }
"""


def test_a_step_that_contradicts_the_declared_call_is_an_error():
    errs = _errors(BASE + """  api -> shard x10 parallel
  flow f { path users -> api -> shard x100 parallel }
}
""")
    assert errs == ["9:39: this step says x100, but the call api -> shard declared at "
                    "<string>:8:3 says x10"]


def test_a_step_that_adds_a_flag_the_call_does_not_have_is_an_error():
    errs = _errors(BASE + """  api -> shard
  flow f { path users -> api -> shard optional }
}
""")
    assert errs == ["9:39: this step says optional, but the call api -> shard declared at "
                    "<string>:8:3 says no 'optional'"]


def test_alternatives_must_be_the_declared_ones():
    errs = _errors(BASE + """  api -> a | b
  flow f { path users -> api -> a | c }
}
""")
    assert errs == ["9:33: this step names the alternatives a | c, but the call "
                    "api -> a | b is declared at <string>:8:3"]


def test_one_alternative_of_a_declared_group_and_unwritten_modifiers_agree():
    d = archlang.loads(BASE + """  api -> a | b optional
  flow f { path users -> api -> b }
  flow g { path users -> api -> b | a }
}
""")
    assert [c.targets for c in d.calls if c.source == "api"] == [("a", "b")]


def test_two_steps_that_disagree_are_an_error_at_the_second():
    errs = _errors(BASE + """  flow f { path users -> api -> shard x3 }
  flow g { path users -> api -> shard x4 }
}
""")
    assert errs == ["9:39: this step says x4, but the call api -> shard declared at "
                    "<string>:8:26 says x3"]


def test_a_chain_statement_takes_modifiers_on_each_step():
    d = archlang.loads(BASE + """  users -> api x3 -> shard optional
}
""")
    calls = {(c.source, c.targets): c for c in d.calls}
    assert calls[("users", ("api",))].count == 3
    assert not calls[("users", ("api",))].optional
    assert calls[("api", ("shard",))].optional


def test_alternatives_in_the_middle_of_a_chain_statement_are_an_error():
    errs = _errors(BASE + """  users -> a | b -> api
}
""")
    assert errs == ["8:16: alternatives end a chain of calls: which of them makes the next "
                    "call?"]


def test_fmt_keeps_the_modifiers_of_path_steps():
    text = BASE + """  flow f {
    path users  ->   a|b   x3  ->api->shard  x10   parallel
  }
}
"""
    out = format_text(text)
    assert "    path users -> a | b x3 -> api -> shard x10 parallel\n" in out
    assert format_text(out) == out


def test_the_grammar_takes_its_modifier_words_from_the_one_table():
    from archlang.syntax.parser import grammar_text

    line = next(x for x in grammar_text().splitlines() if x.startswith("!modword:"))
    assert line == "!modword: " + " | ".join(f'"{w}"' for w in MODIFIER_WORDS)
    assert listing().startswith("optional, write, xN, parallel")


def test_every_modifier_sets_a_field_of_call():
    from archlang.model.design import Call

    for m in CALL_MODIFIERS:
        assert m.field in Call.model_fields, m.word


def test_figures_are_finite():
    r = archlang.analyze(archlang.loads(HEAD + CASES["fan-out"][1] + "\n}\n"))
    assert all(math.isfinite(f.availability) for f in r.flows.values())
