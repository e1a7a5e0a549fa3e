"""Every example through the latency and capacity analyzers, against golden files.

tests/data/golden/<example>.latency.json, .capacity.json and .latency.txt hold the reports;
run with ARCHLANG_ACCEPT=1 to rewrite them, then review the diff. Floats compare with a
relative tolerance of 1e-9 (libm may differ in the last bits between platforms); every
other value, and the text sections, compare exactly.
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


def _close(a, b, where="$"):
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), where
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {a} != {b}"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), where
        for k in a:
            _close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _check(path: Path, text: str, as_json: bool) -> None:
    if ACCEPT:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {path.name}: run with ARCHLANG_ACCEPT=1"
    want = path.read_text(encoding="utf-8")
    if as_json:
        _close(json.loads(text), json.loads(want))
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
    _check(GOLDEN / f"{stem}.latency.txt", text, False)


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
