"""Error rates, timeouts, retries, failover windows, limits and retry load, against closed
forms worked out here by hand (docs/analyses/resilience.md gives the model)."""

from __future__ import annotations

import math

import pytest

import archlang
from archlang.analysis.resilience import attempt_success, expected_attempts, retry_rho

HEAD = "client users { latency 10ms }\n"


def run(text: str, down=()):
    d = archlang.loads(text)
    return d, archlang.analyze(d, down=down)


def p_exceed_lognormal(p50: float, p99: float, t: float) -> float:
    """P(X > t) of the lognormal through p50 and p99, from erfc (independent of the code)."""
    sigma = math.log(p99 / p50) / 2.3263478740408408
    z = (math.log(t) - math.log(p50)) / sigma
    return 0.5 * math.erfc(z / math.sqrt(2))


def test_error_rates_multiply_the_state_based_availability():
    _, r = run(HEAD + """
server api { availability 99.9% error_rate 0.5% }
database db { availability 99.95% error_rate 0.1% }
flow f { path users -> api -> db }
""")
    f = r.flows["f"]
    assert f.availability_state == pytest.approx(0.999 * 0.9995, rel=1e-12)
    assert f.availability_transient == pytest.approx(0.995 * 0.999, rel=1e-12)
    assert f.availability == pytest.approx(0.999 * 0.995 * 0.9995 * 0.999, rel=1e-12)


def test_retries_recover_errors_not_outages():
    _, r = run(HEAD + """
server api { availability 99.9% error_rate 0.5% }
database db { availability 99.95% error_rate 10% }
api -> db retries 2
flow f { path users -> api -> db }
""")
    # given the state (db up), the call succeeds with 1 - (1 - q)^3, q = 0.9; db down: 0
    want = 0.999 * 0.995 * 0.9995 * (1 - 0.1 ** 3)
    assert r.flows["f"].availability == pytest.approx(want, rel=1e-12)
    assert r.flows["f"].availability_state == pytest.approx(0.999 * 0.9995, rel=1e-12)


def test_a_timeout_loses_the_tail_of_a_lognormal():
    _, r = run(HEAD + """
server api { availability 99.9% latency 5ms }
external pay { availability 99.95% latency p50 120ms p99 600ms error_rate 1% }
api -> pay timeout 1s retries 2 backoff 100ms
flow f { path users -> api -> pay }
""")
    p = p_exceed_lognormal(120, 600, 1000)
    assert p == pytest.approx(0.00109, rel=1e-2)      # by hand: z = ln(1000/120) / 0.6918 = 3.065
    q = 0.99 * (1 - p)
    want = 0.999 * 0.9995 * (1 - (1 - q) ** 3)
    assert r.flows["f"].availability == pytest.approx(want, rel=1e-12)
    call = r.capacity_report.calls[0]
    assert call.p_timeout == pytest.approx(p, rel=1e-12)
    assert call.attempts == pytest.approx(1 + (1 - q) + (1 - q) ** 2, rel=1e-12)
    assert r.components["pay"].load_rps == pytest.approx(call.attempts, rel=1e-12)


def test_a_timeout_without_retries_is_lost_availability():
    _, r = run(HEAD + """
server api { availability 100% }
external pay { availability 100% latency p50 100ms p99 400ms }
api -> pay timeout 300ms
flow f { path users -> api -> pay }
""")
    assert r.flows["f"].availability == pytest.approx(1 - p_exceed_lognormal(100, 400, 300),
                                                      rel=1e-12)


def test_failover_window_uses_the_first_alternatives_mtbf():
    _, r = run(HEAD + """
dns geo { availability 100% }
lb east { availability 99.99% }
lb west { availability 99.9% }
geo -> east | west failover 60s
flow f { path users -> geo -> east }
""")
    mtbf = 0.9999 * 3600 / 0.0001           # availability 99.99%, MTTR 1 h (default)
    w = 1 - 60 / mtbf
    a = 0.9999 + 0.0001 * 0.999
    assert r.flows["f"].availability == pytest.approx(a * w, rel=1e-12)
    assert r.flows["f"].availability_state == pytest.approx(a * w, rel=1e-12)


def test_failover_window_adds_the_region_of_the_first_alternative():
    _, r = run(HEAD + """
region us-east mtbf 30d mttr 2h
region us-west availability 100%
dns geo { availability 100% }
lb east { availability 99.99% placement us-east }
lb west { availability 100% placement us-west }
geo -> east | west failover 60s
flow f { path users -> geo -> east }
""")
    rate = 0.0001 / (0.9999 * 3600) + 1 / (30 * 86400)
    w = 1 - 60 * rate
    a_region = 30 * 24 / (30 * 24 + 2)
    a_east = 0.9999 * a_region
    a = a_east + (1 - a_east) * 1.0
    assert r.flows["f"].availability == pytest.approx(a * w, rel=1e-12)


def test_limit_rejects_the_excess_and_protects_the_callee():
    _, r = run(HEAD + """
server api { availability 100% }
database db { availability 99.95% capacity 900 rps }
api -> db limit 800 rps
flow f rate 1000 rps { path users -> api -> db }
""")
    assert r.flows["f"].availability == pytest.approx(0.9995 * 0.8, rel=1e-12)
    assert r.components["db"].load_rps == pytest.approx(800.0)
    assert r.components["db"].capacity_status == "warning"       # 800 of 900: not over
    call = r.capacity_report.calls[0]
    assert call.offered_rps == pytest.approx(1000.0) and call.admitted == pytest.approx(0.8)


LAYERS = HEAD + """
server a { availability 100% }
server b { availability 100% }
server c { availability 100% }
database d { availability 99.9% error_rate 1% }
a -> b retries 2
b -> c retries 2
c -> d retries 2
flow f rate 10 rps { path users -> a -> b -> c -> d }
"""


def test_three_layers_of_retries_amplify_27_times():
    _, r = run(LAYERS)
    amp = {n: c.retry_amplification for n, c in r.components.items()}
    assert amp == {"users": 1.0, "a": 1.0, "b": 3.0, "c": 9.0, "d": 27.0}
    # normal operation: only d errs; c retries it (1 + e + e^2 attempts), and b retries c
    # when c's three attempts all failed (f = e^3), a retries b when b's did (f^3)
    e = 0.01
    f_c = e ** 3
    f_b = (1 - (1 - f_c)) ** 3
    load_b = 10 * (1 + f_b + f_b ** 2)
    load_c = load_b * (1 + f_c + f_c ** 2)
    assert r.components["b"].load_rps == pytest.approx(load_b, rel=1e-12)
    assert r.components["c"].load_rps == pytest.approx(load_c, rel=1e-12)
    assert r.components["d"].load_rps == pytest.approx(load_c * (1 + e + e * e), rel=1e-12)


def test_down_shows_the_retry_storm_on_the_survivors():
    _, r = run(LAYERS, down=("d",))
    loads = {n: c.load_rps for n, c in r.components.items()}
    assert loads["b"] == pytest.approx(30.0)       # a retries b, which fails
    assert loads["c"] == pytest.approx(90.0)
    assert loads["d"] == pytest.approx(270.0)


def test_a_retry_budget_caps_the_storm():
    text = LAYERS.replace("c -> d retries 2", "c -> d retries 2 retry_budget 10%")
    _, r = run(text)
    assert r.components["d"].retry_amplification == pytest.approx(9 * 1.1)
    _, r = run(text, down=("d",))
    assert r.components["d"].load_rps == pytest.approx(10 * 9 * 1.1)


def test_retry_budget_closed_form():
    q, b = 0.5, 0.1
    rho = retry_rho(q, 1, b)
    assert rho == pytest.approx(b / (1 - q), rel=1e-12)      # one retry: rho (1 - q) = b
    assert attempt_success(q, 1, b) == pytest.approx(1 - (1 - q) * ((1 - rho) + rho * (1 - q)))
    assert expected_attempts(q, 1, b) == pytest.approx(1 + b)
    assert attempt_success(0.9, 2) == pytest.approx(1 - 0.1 ** 3)
    assert retry_rho(0.99, 2, 0.1) == 1.0                   # under the budget: every retry


def test_retries_through_a_cache_do_not_recover_a_dead_backend():
    _, r = run(HEAD + """
server api { availability 99.9% }
cache c { availability 99.9% hit_ratio 80% }
database db { availability 99.5% error_rate 5% }
api -> c retries 1
c -> db
flow f { path users -> api -> c -> db }
""")
    h, e = 0.8, 0.05
    up = h + (1 - h) * (1 - e ** 2)        # a miss is the request's: its retry misses again
    want = 0.999 * 0.999 * (0.995 * up + 0.005 * h)
    assert r.flows["f"].availability == pytest.approx(want, rel=1e-12)
    assert r.flows["f"].availability_state == pytest.approx(0.999 * 0.999 * (0.995 + 0.005 * h),
                                                            rel=1e-12)


def test_a_design_without_the_constructs_is_unchanged():
    d = archlang.load("examples/shop.arch")
    r = archlang.analyze(d)
    for f in r.flows.values():
        assert f.availability == f.availability_state and f.availability_transient == 1.0


def test_outputs_show_the_resilience_figures(tmp_path):
    import json
    import subprocess
    import sys

    ex = "examples/payments.arch"
    out = subprocess.run([sys.executable, "-m", "archlang.cli", "check", ex, "--format", "json"],
                         capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr
    doc = json.loads(out.stdout)["files"][0]
    flow = doc["flows"][0]
    assert flow["availability"] < flow["availability_state"]
    assert 0 < flow["availability_transient"] < 1
    call = next(c for c in doc["calls"] if c["target"] == "processor")
    assert call["failing_attempts"] == pytest.approx(1.1)           # retry_budget 10%
    amp = {c["name"]: c["retry_amplification"] for c in doc["components"]}
    assert amp["processor"] == pytest.approx(1.1)
    text = subprocess.run([sys.executable, "-m", "archlang.cli", "check", ex],
                          capture_output=True, text=True).stdout
    assert "request based" in text and "pay-api -> processor: attempts" in text
    dot = tmp_path / "d.dot"
    subprocess.run([sys.executable, "-m", "archlang.cli", "render", ex, "-o", str(dot),
                    "--format", "dot"], check=True, capture_output=True)
    assert "timeout 1.20 s · retries 2 backoff 200 ms budget 10%" in dot.read_text()
    html = tmp_path / "r.html"
    subprocess.run([sys.executable, "-m", "archlang.cli", "report", ex, "-o", str(html)],
                   check=True, capture_output=True)
    page = html.read_text()
    assert 'data-field="availability_state"' in page and 'data-call="pay-api->processor"' in page


def test_modifier_errors_are_clear():
    from archlang.errors import ArchlangError

    cases = {
        "api -> db breaker": "'breaker' applies to an optional call",
        "api -> db failover 5s": "'failover T' on a call needs alternatives",
        "api -> db backoff 1s": "'backoff' needs 'retries N'",
        "api -> db hedge 5ms": "'hedge' needs a percentile",
        "api -> db timeout 0ms": "'timeout' must be greater than zero",
        "api -> db retries 2 retries 3": "'retries' is given twice",
    }
    for line, message in cases.items():
        with pytest.raises(ArchlangError) as exc:
            archlang.loads(f"server api\ndatabase db\n{line}\n")
        assert message in str(exc.value), line


def test_fmt_keeps_the_modifiers():
    from archlang.syntax.fmt import format_text

    text = "server api\nexternal p\napi -> p write idempotent timeout 2s retries 2 backoff 100ms\n"
    assert "api -> p write idempotent timeout 2s retries 2 backoff 100ms" in format_text(text)


def test_request_engine_against_brute_force_enumeration():
    """Shared zones, a component reached twice, a cache, retries and error rates: the exact
    engine against the sum over all 2^6 unit states, each evaluated by hand."""
    from itertools import product

    _, r = run(HEAD + """
region r { zone a availability 99%  zone b availability 98% }
server api { replicas 2 availability 99% placement r.a, r.b error_rate 1% }
cache c { availability 99.5% hit_ratio 70% placement r.a }
database db { availability 99.9% placement r.b error_rate 5% }
api -> c retries 1
c -> db
api -> db retries 2
flow f { path users -> api -> c -> db  path api -> db }
""")
    units = {"api1": 0.99, "api2": 0.99, "c": 0.995, "db": 0.999, "a": 0.99, "b": 0.98}
    total = 0.0
    for states in product((1, 0), repeat=len(units)):
        s = dict(zip(units, states))
        p = math.prod(units[u] if s[u] else 1 - units[u] for u in units)
        api = (s["api1"] and s["a"]) or (s["api2"] and s["b"])
        c = s["c"] and s["a"]
        db = s["db"] and s["b"]
        q_db = 0.95 if db else 0.0
        via_c = 0.0
        if c:   # hit: q = 1; miss: q = q_db; one retry of the same class
            via_c = 0.7 * 1.0 + 0.3 * (1 - (1 - q_db) ** 2)
        direct = 1 - (1 - q_db) ** 3
        total += p * (0.99 * via_c * direct if api else 0.0)
    assert r.flows["f"].availability == pytest.approx(total, rel=1e-12)


def test_retries_through_a_cache_availability_per_class_load_pooled():
    """resilience.md, choices: the availability keeps a request's hit or miss across its
    attempts; the load pools the attempt's success over the classes (worked example)."""
    d = archlang.loads("""system cr {
  client u { latency 0ms }
  server api { availability 100% latency 1ms }
  cache c { availability 100% latency 1ms hit_ratio 50% }
  database db { availability 100% latency 10ms error_rate 50% }
  api -> c retries 1
  c -> db
  flow f rate 100 rps { path u -> api -> c -> db }
}
""")
    r = archlang.analyze(d)
    assert r.flows["f"].availability == pytest.approx(0.5 + 0.5 * (1 - 0.5**2))
    assert r.components["c"].load_rps == pytest.approx(125.0)
    assert r.components["db"].load_rps == pytest.approx(62.5)


def test_no_failover_window_once_the_first_alternative_is_down():
    """resilience.md: `--down` of the first alternative means the traffic has moved: the
    flow is the second alternative's availability, with no window (it used to keep paying
    the window of a route it no longer takes)."""
    d = archlang.loads("""system t {
  region r availability 99.9% { zone a availability 99.8% }
  region s { zone a }
  client u { latency 0ms }
  dns d { availability 100% }
  lb p { availability 99.9% mttr 30m placement r.a }
  lb q { availability 99% placement s.a }
  d -> p | q failover 120s
  flow f rate 10 rps { path u -> d -> p }
}
""")
    up = archlang.analyze(d).flows["f"].availability
    # p as a group: MTBF = A MTTR / (1 - A); its zone and region fail too
    a_p = 0.999
    rate = (1 - a_p) / (a_p * 1800) + 1 / d.region("r").mtbf_s + 1 / d.zone("r.a").mtbf_s
    window = 1 - 120 * rate
    p_ok = a_p * 0.999 * 0.998
    assert up == pytest.approx((1 - (1 - p_ok) * (1 - 0.99)) * window, rel=1e-9)
    assert archlang.analyze(d, down=["p"]).flows["f"].availability == pytest.approx(0.99)
