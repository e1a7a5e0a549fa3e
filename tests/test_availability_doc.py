"""docs/analyses/availability.md: the worked example's figures are the analyzer's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import archlang
from archlang.analysis.availability import analyze_availability

DOC = Path(__file__).resolve().parents[1] / "docs" / "analyses" / "availability.md"


def _figures(text: str) -> list[tuple[str, float]]:
    table = text.split("Checked figures", 1)[1]
    rows = re.findall(r"^\| ((?:flows|components)\.[\w.\-]+) \| ([0-9.e+-]+) \|$", table, re.M)
    return [(k, float(v)) for k, v in rows]


def _get(report, path: str):
    obj = report
    for part in path.split("."):
        if part.isdigit():
            obj = obj[int(part)]
        elif isinstance(obj, dict):
            obj = obj[part]
        else:
            obj = getattr(obj, part)
    return obj


def test_worked_example_figures_match_the_analyzer():
    text = DOC.read_text(encoding="utf-8")
    example = re.search(r"```arch\n(.*?)```", text, re.S).group(1)
    report = analyze_availability(archlang.loads(example))
    figures = _figures(text)
    assert len(figures) >= 10
    for path, value in figures:
        assert _get(report, path) == pytest.approx(value, rel=1e-8, abs=1e-9), path


def test_worked_example_closed_form():
    # The formula of the worked example, by hand.
    R, za, zb = 0.9999, 0.999, 0.998
    f = 1 - 36 / (0.9999 * 3600 / 0.0001)
    a = R * zb * 0.999 * (0.7 + 0.3 * 0.9995) * f * (za * (1 - 1e-8) * 0.9999
                                                   + (1 - za) * 0.9999 * 0.99)
    text = DOC.read_text(encoding="utf-8")
    example = re.search(r"```arch\n(.*?)```", text, re.S).group(1)
    fl = analyze_availability(archlang.loads(example)).flows["login"]
    assert fl.availability == pytest.approx(a, abs=1e-12)
    assert [u.name for cs in fl.spofs for u in cs.units] == ["r.b", "sessions", "r"]
    assert [tuple(u.name for u in cs.units) for cs in fl.cut_sets] == [
        ("api[1]", "api[2]"), ("api[2]", "r.a"), ("front[2]", "r.a"), ("front[1]", "front[2]")]


def test_worked_example_extra_nine():
    # Section 5 on the worked example: each hard dependency judged with region r up.
    za, zb = 0.999, 0.998
    api = za * zb * (1 - 0.01 ** 2) + (za * (1 - zb) + (1 - za) * zb) * 0.99
    sessions = zb * 0.999
    text = DOC.read_text(encoding="utf-8")
    example = re.search(r"```arch\n(.*?)```", text, re.S).group(1)
    found = {f.component: f for f in analyze_availability(archlang.loads(example)).findings
             if f.code in ("AL101", "AL102")}
    assert sorted(found) == ["api", "sessions"]          # front is inside, r uses exactly 1e-4
    assert 1 - api > 1e-4 and 1 - sessions > 1e-4
    trunc = int(api * 1e6) / 1e4          # truncated, at the availability table's 4 decimals
    assert f"is {trunc:.4f}% available with region r up" in found["api"].message
    assert f"is {int(sessions * 1e6) / 1e4:.4f}% available" in found["sessions"].message
    assert found["sessions"].hint.startswith(
        "run 2 replicas (now 1) and spread its replicas over two or more zones")
