"""docs/analyses/resilience.md: the worked examples' figures are the analyzer's, and agree with
the closed forms written next to them; latency with retries, timeouts and hedges agrees with
closed forms (Monte Carlo against the exact distribution)."""

from __future__ import annotations

import math
import re
from pathlib import Path
from statistics import NormalDist

import pytest

import archlang

DOC = Path(__file__).resolve().parents[1] / "docs" / "analyses" / "resilience.md"
N = NormalDist()


def _examples() -> list[tuple[str, list[tuple[str, float]]]]:
    text = DOC.read_text(encoding="utf-8")
    out = []
    for block in text.split("```arch\n")[1:]:
        code, rest = block.split("```", 1)
        table = rest.split("Checked figures", 1)[1].split("###", 1)[0]
        rows = re.findall(r"^\| `([\w.\-]+)` \| ([0-9.e+-]+) \|$", table, re.M)
        out.append((code, [(k, float(v)) for k, v in rows]))
    return out


def _get(obj, path: str):
    parts = path.split(".")
    i = 0
    while i < len(parts):
        part = parts[i]
        if isinstance(obj, dict):
            # component names may hold '.'-free dashes only; keys are whole parts
            obj = obj[part]
        else:
            obj = getattr(obj, part)
        i += 1
    return obj


def _result(code: str):
    return archlang.analyze(archlang.loads(code))


def test_every_example_has_checked_figures():
    ex = _examples()
    assert len(ex) == 4 and all(len(rows) >= 2 for _, rows in ex)


@pytest.mark.parametrize("index", range(4))
def test_checked_figures_are_the_analyzers(index):
    code, rows = _examples()[index]
    r = _result(code)
    for path, value in rows:
        assert _get(r, path) == pytest.approx(value, rel=1e-9), path


def test_payments_closed_form():
    code, _ = _examples()[0]
    r = _result(code)
    sigma = math.log(600 / 120) / N.inv_cdf(0.99)
    p = 1 - N.cdf(math.log(1000 / 120) / sigma)
    q = 0.99 * (1 - p)
    assert r.flows["checkout"].availability == pytest.approx(
        0.999 * 0.9995 * (1 - (1 - q) ** 3), rel=1e-12)
    assert r.components["provider"].load_rps == pytest.approx(
        100 * (1 + (1 - q) + (1 - q) ** 2), rel=1e-12)
    assert {f.code for f in r.findings} >= {"AL603"}


def test_layers_down_shows_the_storm():
    code, _ = _examples()[1]
    r = archlang.analyze(archlang.loads(code), down=("d",))
    loads = {n: c.load_rps for n, c in r.components.items()}
    assert (loads["b"], loads["c"], loads["d"]) == pytest.approx((30.0, 90.0, 270.0))
    assert "AL601" in {f.code for f in r.findings}


def test_geo_closed_form():
    code, _ = _examples()[2]
    r = _result(code)
    region = 720 / 722
    a = 0.9999 * region
    rate = 0.0001 / (0.9999 * 3600) + 1 / (30 * 86400)
    want = (a + (1 - a) * a) * (1 - 60 * rate)
    assert r.flows["home"].availability == pytest.approx(want, rel=1e-12)


def _hedged_quantile(mu: float, sigma: float, t: float, p: float) -> float:
    """x with P(min(L1, t + L2) > x) = 1 - p, L1, L2 lognormal: bisection."""
    def surv(x: float) -> float:
        s1 = 1 - N.cdf((math.log(x) - mu) / sigma)
        s2 = 1.0 if x <= t else 1 - N.cdf((math.log(x - t) - mu) / sigma)
        return s1 * s2

    lo, hi = 1e-9, 1e7
    for _ in range(200):
        mid = (lo + hi) / 2
        if surv(mid) > 1 - p:
            lo = mid
        else:
            hi = mid
    return lo


def test_hedging_reproduces_the_tail_at_scale():
    code, _ = _examples()[3]
    r = _result(code)
    mu, sigma = math.log(2.0), math.log(200) / N.inv_cdf(0.99)
    plain = math.exp(mu + sigma * N.inv_cdf(0.999))
    t = math.exp(mu + sigma * N.inv_cdf(0.98))
    hedged = _hedged_quantile(mu, sigma, t, 0.999)
    lat_plain = r.flows["plain"].latency
    lat_hedged = r.flows["hedged"].latency
    assert lat_plain.p999 == pytest.approx(plain, rel=0.05)       # Monte Carlo error
    assert lat_hedged.p999 == pytest.approx(hedged, rel=0.02)
    assert hedged == pytest.approx(277, rel=0.01)                  # the doc's figure
    assert lat_plain.p999 / lat_hedged.p999 > 7                    # the effect
    assert r.components["tablet-hedged"].load_rps == pytest.approx(102.0)  # 2% more


RETRY = """
client users { latency 0ms }
server api { availability 100% latency 0ms }
database db { availability 100% latency 10ms error_rate 20% }
api -> db retries 2 backoff 50ms
flow f rate 100 rps { path users -> api -> db }
"""


def test_retry_latency_against_the_exact_distribution():
    r = _result(RETRY)
    lat = r.flows["f"].latency
    e = 0.2
    # k failed attempts before the last: (k + 1) x 10 ms + k x 50 ms
    mean = 10 * (1 + e + e * e) + 50 * (e + e * e)
    assert lat.mean == pytest.approx(mean, rel=0.01)
    assert lat.p50 == 10.0 and lat.p90 == 70.0 and lat.p99 == 130.0   # P(>=1 fail) = 20%


TIMEOUT = """
client users { latency 0ms }
server api { availability 100% latency 0ms }
external pay { availability 100% latency p50 100ms p99 400ms }
api -> pay timeout 300ms retries 1
flow f rate 1 rps { path users -> api -> pay }
"""


def test_timeout_latency_against_the_exact_distribution():
    r = _result(TIMEOUT)
    lat = r.flows["f"].latency
    mu, sigma = math.log(100), math.log(4) / N.inv_cdf(0.99)
    p = 1 - N.cdf((math.log(300) - mu) / sigma)

    def cdf(x: float) -> float:
        # first attempt L1 <= 300: time L1; else 300 + min(L2, 300)
        f = lambda y: N.cdf((math.log(y) - mu) / sigma) if y > 0 else 0.0  # noqa: E731
        if x < 300:
            return f(x)
        return (1 - p) + p * (f(x - 300) if x < 600 else 1.0)

    def quantile(q: float) -> float:
        lo, hi = 1e-6, 600.0
        for _ in range(100):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if cdf(mid) < q else (lo, mid)
        return hi

    assert lat.p50 == pytest.approx(quantile(0.5), rel=0.01)
    assert lat.p99 == pytest.approx(quantile(0.99), rel=0.02)
    assert lat.p999 <= 600.0 + 1e-9                      # two attempts of at most 300 ms
    want = 1 - p * p
    assert r.flows["f"].availability == pytest.approx(want, rel=1e-12)


BREAKER = """
client users { latency 0ms }
server api { availability 100% latency 5ms }
server recs { latency 20ms }
server ads { latency 20ms }
api -> recs optional timeout 500ms retries 1
api -> ads optional breaker timeout 500ms retries 1
flow f { path users -> api -> recs  path api -> ads }
"""


def test_down_latency_with_and_without_a_breaker():
    r = _result(BREAKER)
    assert r.flows["f"].latency.p50 == pytest.approx(45.0)
    recs = archlang.analyze(archlang.loads(BREAKER), down=("recs",)).flows["f"].latency
    ads = archlang.analyze(archlang.loads(BREAKER), down=("ads",)).flows["f"].latency
    assert recs.p50 == pytest.approx(5 + 2 * 500 + 20)      # waits for both timeouts
    assert ads.p50 == pytest.approx(5 + 20)                 # the breaker fails at once


def test_down_reports_the_latency_without_the_breaker():
    import subprocess
    import sys

    r = archlang.analyze(archlang.loads(BREAKER), down=("ads",))
    assert r.flows["f"].latency.p50 == pytest.approx(5 + 20)
    assert r.flows["f"].latency_without_breaker.p50 == pytest.approx(5 + 20 + 2 * 500)
    assert archlang.analyze(archlang.loads(BREAKER), down=("recs",)).flows["f"] \
        .latency_without_breaker is None                  # no breaker on recs: nothing to add
    path = Path(__file__).resolve().parents[1] / "examples" / "search.arch"
    out = subprocess.run([sys.executable, "-m", "archlang.cli", "check", str(path), "--down",
                          "suggest"], capture_output=True, text=True).stdout
    assert "latency without the breakers" in out
