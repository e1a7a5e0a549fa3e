"""The exact engine against the Monte Carlo estimator: every example, every flow, and the
hand-worked designs of test_availability.py."""

from __future__ import annotations

from pathlib import Path

import pytest

import archlang
from archlang.analysis.availability import analyze_availability
from archlang.analysis.montecarlo import DEFAULT_SEED, monte_carlo_availability

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))
Z999 = 3.2905267314918945     # two-sided 99.9% normal quantile
TRIALS = 400_000


def agree(exact: float, est) -> None:
    """Exact within the 99.9% interval. When no trial failed (std error 0) the exact
    unavailability must be too small to have been seen: below 10 / trials."""
    if est.std_error == 0.0:
        assert est.estimate == 1.0 or est.estimate == 0.0
        assert abs(exact - est.estimate) < 10.0 / est.trials
    else:
        assert abs(exact - est.estimate) <= Z999 * est.std_error, (exact, est)


def test_examples_exist():
    assert EXAMPLES, "no examples/*.arch found"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_exact_agrees_with_monte_carlo_on_every_example(path):
    design = archlang.load(path)      # a load failure fails the test: nothing skipped
    report = analyze_availability(design)
    assert list(report.flows) == list(design.flows)
    for name, fl in report.flows.items():
        est = monte_carlo_availability(design, name, trials=TRIALS)
        agree(fl.availability, est)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_exact_agrees_with_monte_carlo_with_first_zone_down(path):
    design = archlang.load(path)
    zones = [z.key for r in design.regions for z in r.zones]
    if not zones:
        pytest.skip(f"{path.name} declares no zone")
    report = analyze_availability(design, down=[zones[0]])
    for name, fl in report.flows.items():
        agree(fl.availability,
              monte_carlo_availability(design, name, trials=TRIALS // 4, down=[zones[0]]))


def _hand_designs():
    import test_availability as ta

    return {"whatif": ta.WHATIF, **{f"brute{i}": t for i, t in enumerate(ta.BRUTE)}}


@pytest.mark.parametrize("key", ["whatif", "brute0", "brute1"])
def test_exact_agrees_with_monte_carlo_on_hand_designs(key):
    d = archlang.loads(_hand_designs()[key])
    exact = analyze_availability(d).flows["f"].availability
    agree(exact, monte_carlo_availability(d, "f", trials=TRIALS))


def test_closed_form_inside_the_95_interval():
    d = archlang.loads("""system t {
      client users
      server api { availability 99% replicas 3 min 2 }
      cache c { hit_ratio 70% availability 98% }
      database db { availability 90% }
      api -> c x2
      c -> db
      flow f rate 10 rps { path users -> api -> c -> db }
    }""")
    p = 0.99
    api = 3 * p ** 2 * (1 - p) + p ** 3
    want = api * 0.98 * (0.9 + 0.1 * 0.7 ** 2)
    est = monte_carlo_availability(d, "f", trials=200_000)
    assert est.ci_low <= want <= est.ci_high
    assert est.ci_high - est.ci_low == pytest.approx(2 * 1.959963984540054 * est.std_error)


def test_fixed_seed_is_deterministic_and_documented():
    d = archlang.loads(_hand_designs()["brute1"])
    a = monte_carlo_availability(d, "f", trials=50_000)
    b = monte_carlo_availability(d, "f", trials=50_000)
    c = monte_carlo_availability(d, "f", trials=50_000, seed=DEFAULT_SEED + 1)
    assert a == b
    assert a.seed == DEFAULT_SEED and a.trials == 50_000
    assert c.estimate != a.estimate


def test_monte_carlo_honours_down():
    d = archlang.loads(_hand_designs()["whatif"])
    assert monte_carlo_availability(d, "f", trials=10_000, down=["r.b"]).estimate == 0.0
    exact = analyze_availability(d, down=["db"]).flows["f"].availability
    agree(exact, monte_carlo_availability(d, "f", trials=TRIALS, down=["db"]))


def test_beyond_the_exact_limit_falls_back_to_monte_carlo(monkeypatch):
    import archlang.analysis.availability as av
    from archlang.analysis import exact as engine
    from archlang.analysis.compiled_flow import compile_flow

    d = archlang.loads(_hand_designs()["brute1"])
    exact = analyze_availability(d).flows["f"]
    assert exact.method == "exact"
    monkeypatch.setattr(engine, "EXACT_WORK_LIMIT", 1)
    monkeypatch.setattr(av, "FALLBACK_TRIALS", TRIALS)
    monkeypatch.setattr(av, "FALLBACK_IMPORTANCE_TRIALS", 20_000)
    mc = analyze_availability(d).flows["f"]
    assert mc.method.startswith("monte carlo") and f"seed {DEFAULT_SEED}" in mc.method
    est = monte_carlo_availability(d, "f", trials=TRIALS)
    assert mc.availability == est.estimate
    agree(exact.availability, est)
    # structural results do not depend on the engine
    assert mc.spofs == exact.spofs and mc.cut_sets == exact.cut_sets
    assert [i.name for i in mc.importance][:2] == [i.name for i in exact.importance][:2]
    with pytest.raises(engine.TooComplex):
        engine.ExactEngine(compile_flow(d, "f")).availability()
