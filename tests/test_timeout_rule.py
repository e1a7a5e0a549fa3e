"""AL606: a timeout that ordinary attempts exceed (P(L > T) with everything up)."""

from __future__ import annotations

import math
import subprocess
import sys
from statistics import NormalDist

import archlang

DESIGN = """system s {
  network { same_zone 0ms }
  client users { latency 1ms }
  server api { replicas 2 latency 5ms availability 99.95% }
  server db { replicas 2 latency p50 40ms p99 120ms availability 99.95% }
  server fixed { replicas 2 latency 80ms availability 99.95% }
  server fast { replicas 2 latency p50 10ms p99 30ms availability 99.95% }
  api -> db timeout TIMEOUT retries 2
  api -> fixed timeout 50ms
  api -> fast timeout 100ms
  flow f rate 10 rps {
    path users -> api -> db
    path users -> api -> fixed
    path users -> api -> fast
  }
}
"""


def findings(t="50ms"):
    r = archlang.analyze(archlang.loads(DESIGN.replace("TIMEOUT", t)))
    return [f for f in r.findings if f.code == "AL606"]


def test_share_of_false_timeouts_is_the_lognormal_tail():
    sigma = math.log(120 / 40) / NormalDist().inv_cdf(0.99)
    p = 1 - NormalDist().cdf(math.log(50 / 40) / sigma)       # 0.318...
    got = {f.component: f for f in findings()}
    assert set(got) == {"db", "fixed"}                         # fast: P(L > 100ms) ~ 1e-5
    assert f"{round(p * 100)}% of the attempts into db time out" in got["db"].message
    assert "every attempt into fixed times out" in got["fixed"].message
    assert got["db"].span.line == 8 and got["db"].severity == "warning"


def test_a_timeout_at_the_tail_is_not_flagged():
    # P(L > 300ms) for p50 40ms p99 120ms: far below 1%
    assert {f.component for f in findings("300ms")} == {"fixed"}


def test_explain_knows_it():
    r = subprocess.run([sys.executable, "-m", "archlang.cli", "explain", "AL606"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "timeout-below-latency" in r.stdout
