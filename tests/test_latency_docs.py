"""The worked examples of docs/analyses/latency.md and capacity.md hold.

Each ```arch block is analysed; the `<!-- expect: ... -->` comments after it (up to the next
block) state figures that must come out:

    latency FLOW FIELD VALUE [+-TOL]        p50 p90 p99 p999 mean method, or any pNN
    hop FLOW COMPONENT FIELD VALUE [+-TOL]  a field of the flow's first hop into COMPONENT
    slo FLOW PERCENTILE FIELD VALUE         a field of the flow's latency SLO
    component NAME FIELD VALUE [+-TOL]      a field of ComponentCapacity
    loss NAME LOST UTILISATION [+-TOL]      the N+1 entry of NAME for losing LOST
    flow FLOW FIELD VALUE [+-TOL]           a field of FlowCapacity
    throughput FLOW FIELD VALUE             a field of the flow's throughput SLO
    finding CODE COMPONENT                  a finding with that code on that component
"""

import re
from pathlib import Path

import pytest

import archlang
from archlang.analysis.capacity import analyze_capacity
from archlang.analysis.distributions import quantile_sorted
from archlang.analysis.latency import analyze_latency, flow_samples

DOCS = Path(__file__).resolve().parents[1] / "docs" / "analyses"
BLOCK = re.compile(r"```arch\n(.*?)```(.*?)(?=```arch|\Z)", re.S)
EXPECT = re.compile(r"<!-- expect: (.*?) -->")


def _cases():
    out = []
    for doc in ("latency.md", "capacity.md"):
        text = (DOCS / doc).read_text(encoding="utf-8")
        for i, m in enumerate(BLOCK.finditer(text)):
            expects = EXPECT.findall(m.group(2))
            out.append(pytest.param(m.group(1), expects, id=f"{doc}-{i + 1}"))
    return out


def _same(actual, want: str, tol: float) -> None:
    if isinstance(actual, bool) or want in ("true", "false"):
        assert str(actual).lower() == want
    elif isinstance(actual, (int, float)):
        assert actual == pytest.approx(float(want), abs=tol or 1e-9, rel=0 if tol else 1e-9)
    else:
        assert str(actual) == want


def test_every_doc_has_examples():
    cases = _cases()
    assert len(cases) >= 7
    assert all(c.values[1] for c in cases)


@pytest.mark.parametrize("text,expects", _cases())
def test_worked_example(text, expects):
    d = archlang.loads(text)
    cap = analyze_capacity(d)
    lat = analyze_latency(d, cap)
    for line in expects:
        words = line.split()
        tol = 0.0
        if words[-1].startswith("+-"):
            tol = float(words.pop()[2:])
        kind, *rest = words
        if kind == "latency":
            flow, field, want = rest
            fl = lat.flows[flow]
            if field in ("p50", "p90", "p99", "p999", "mean", "method"):
                got = getattr(fl, field)
            else:
                total, _, _ = flow_samples(d, flow, cap)
                import numpy as np

                got = quantile_sorted(np.sort(total), float(field[1:]) / 100)
        elif kind == "hop":
            flow, comp, field, want = rest
            got = getattr(next(h for h in lat.flows[flow].hops if h.name == comp), field)
        elif kind == "slo":
            flow, pct, field, want = rest
            got = getattr(next(s for s in lat.flows[flow].slos if s.percentile == float(pct)),
                          field)
        elif kind == "component":
            name, field, want = rest
            got = getattr(cap.components[name], field)
        elif kind == "loss":
            name, lost, want = rest
            got = next(z for z in cap.components[name].n_plus_1 if z.lost == lost).utilisation
        elif kind == "flow":
            flow, field, want = rest
            got = getattr(cap.flows[flow], field)
        elif kind == "throughput":
            flow, field, want = rest
            got = getattr(cap.flows[flow].slos[0], field)
        elif kind == "finding":
            code, comp = rest
            assert any(f.code == code and f.component == comp for f in cap.findings), line
            continue
        else:
            raise AssertionError(f"unknown expectation {line!r}")
        try:
            _same(got, want, tol)
        except AssertionError as e:
            raise AssertionError(f"{line}: got {got!r}") from e
