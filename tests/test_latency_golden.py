"""Every example through the latency and capacity analyzers, against golden files.

tests/data/golden/<example>.latency.json, .capacity.json and .latency.txt hold the reports;
run with ARCHLANG_ACCEPT=1 to rewrite them, then review the diff. Floats compare with a
relative tolerance of 1e-9 (libm may differ in the last bits between platforms); every
other value, and the text sections, compare exactly. Except Monte Carlo figures: a flow
whose latency is sampled (``method`` "monte carlo, ...") has its times compared within
MC_K times the 95% half-width on p99 it reports (``error_ms``; the hops' shares within the
same fraction of p99), its sample count and error within a factor, and its text section
with the numbers masked, so that another numpy drawing other samples does not churn the
goldens while a real change of a figure still fails.
"""

import json
import math
import os
from pathlib import Path

import pytest

import archlang
from archlang.analysis.capacity import analyze_capacity
from archlang.analysis.latency import analyze_latency
from archlang.render.text_latency import format_capacity, format_latency

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden"
EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.arch"))
ACCEPT = os.environ.get("ARCHLANG_ACCEPT") == "1"


def _reports(name: str, monkeypatch):
    monkeypatch.chdir(ROOT)
    design = archlang.load(f"examples/{name}")
    cap = analyze_capacity(design)
    lat = analyze_latency(design, cap)
    return design, cap, lat


def _json(model) -> str:
    return json.dumps(model.model_dump(mode="json"), indent=1, sort_keys=True) + "\n"


MC_K = 4      # Monte Carlo figures agree within 4x their reported 95% half-width
SHARES = {"share_of_mean", "share_of_p99"}


def _sampled(flow: dict) -> bool:
    return str(flow.get("method", "")).startswith("monte carlo") and \
        (flow.get("error_ms") or 0) > 0


def _close(a, b, where="$", tol=None):
    """a == b, floats within 1e-9; ``tol`` (ms, share): a Monte Carlo flow's tolerance."""
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), where
        if tol is not None:
            ms, share = tol
            key = where.rsplit(".", 1)[-1]
            allowed = share if key in SHARES else ms
            assert abs(a - b) <= allowed + 1e-9 * max(abs(a), abs(b)), \
                f"{where}: {a} != {b} (Monte Carlo: within {allowed:.4g})"
            return
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {a} != {b}"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), where
        if tol is None and _sampled(a) and _sampled(b):
            err = max(a["error_ms"], b["error_ms"])
            assert a["error_ms"] <= 3 * b["error_ms"] and b["error_ms"] <= 3 * a["error_ms"], \
                f"{where}.error_ms: {a['error_ms']} against {b['error_ms']}"
            assert a["method"].split(",")[0] == b["method"].split(",")[0], where
            p99 = max(a.get("p99") or 0.0, b.get("p99") or 0.0, 1e-9)
            tol = (MC_K * err, MC_K * err / p99)
            for k in a:
                if k not in ("error_ms", "method"):
                    _close(a[k], b[k], f"{where}.{k}", tol)
            return
        for k in a:
            _close(a[k], b[k], f"{where}.{k}", tol)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{where}[{i}]", tol)
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _masked(text: str) -> str:
    """The text with every number replaced: its words, columns and lines."""
    import re

    return re.sub(r"[-+]?\d[\d.,]*(?:e[-+]?\d+)?", "#", text)


def _check(path: Path, text: str, as_json: bool, sampled: bool = False) -> None:
    if ACCEPT:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {path.name}: run with ARCHLANG_ACCEPT=1"
    want = path.read_text(encoding="utf-8")
    if as_json:
        _close(json.loads(text), json.loads(want))
    elif sampled:        # the numbers are checked in the JSON, within their error
        assert _masked(text) == _masked(want)
    else:
        assert text == want


def test_there_are_examples():
    assert "shop.arch" in EXAMPLES


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_matches_golden(name, monkeypatch):
    design, cap, lat = _reports(name, monkeypatch)
    stem = name.removesuffix(".arch")
    _check(GOLDEN / f"{stem}.capacity.json", _json(cap), True)
    _check(GOLDEN / f"{stem}.latency.json", _json(lat), True)
    text = format_latency(design, lat) + "\n" + format_capacity(design, cap)
    sampled = any(f.method.startswith("monte carlo") for f in lat.flows.values())
    _check(GOLDEN / f"{stem}.latency.txt", text, False, sampled)


def test_monte_carlo_goldens_hold_within_their_error_not_beyond():
    """The tolerance is real: a sampled p99 moved by 2x its error passes, by 5x fails; an
    exact figure moved by 1e-6 fails."""
    mc = {"method": "monte carlo, 200000 samples", "error_ms": 1.0, "p99": 100.0,
          "p50": 10.0, "hops": [{"p99_ms": 90.0, "share_of_p99": 0.9}]}
    moved = {**mc, "p99": 102.0, "hops": [{"p99_ms": 92.0, "share_of_p99": 0.92}]}
    _close({"f": mc}, {"f": moved})
    with pytest.raises(AssertionError, match="Monte Carlo"):
        _close({"f": mc}, {"f": {**mc, "p99": 105.0}})
    exact = {**mc, "method": "exact", "error_ms": 0.0}
    with pytest.raises(AssertionError):
        _close({"f": exact}, {"f": {**exact, "p50": 10.00001}})
    assert _masked("p99 61.0 ms  share 95.8%") == _masked("p99 60.2 ms  share 95.1%")
    assert _masked("p99 61.0 ms  mean") != _masked("p99 61.0 ms  tail")


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_reports_are_consistent(name, monkeypatch):
    design, cap, lat = _reports(name, monkeypatch)
    # same design, same bytes
    _, cap2, lat2 = _reports(name, monkeypatch)
    assert _json(cap) == _json(cap2) and _json(lat) == _json(lat2)
    for fl in lat.flows.values():
        if fl.unbounded:
            assert fl.p99 is None
            continue
        assert fl.p50 <= fl.p90 <= fl.p99 <= fl.p999
        assert sum(h.share_of_mean for h in fl.hops) == pytest.approx(1.0)
        assert sum(h.mean_ms for h in fl.hops) == pytest.approx(fl.mean)
        assert sum(h.share_of_p99 for h in fl.hops) == pytest.approx(1.0)
    for c in cap.components.values():
        assert c.load_rps == pytest.approx(sum(c.load_by_flow.values()))
    text = format_latency(design, lat) + format_capacity(design, cap)
    assert max(len(line) for line in text.splitlines()) <= 100
