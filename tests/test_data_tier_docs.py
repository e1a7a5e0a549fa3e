"""The worked examples of docs/analyses/data-tier.md hold.

Each ```arch block is analysed; the comments after it (up to the next block) state figures:

    <!-- check: PATH VALUE [+-TOL] -->             a field of the Result (dots; list indices)
    <!-- check: count PATH N -->                   the length of a list of the Result
    <!-- check: finding CODE COMPONENT -->         a finding with that code on that component
    <!-- check with --down X [Y ...]: ... -->      the same, with units forced down
"""

import re
from pathlib import Path

import pytest

import archlang

DOC = Path(__file__).resolve().parents[1] / "docs" / "analyses" / "data-tier.md"
BLOCK = re.compile(r"```arch\n(.*?)```(.*?)(?=```arch|\Z)", re.S)
CHECK = re.compile(r"<!-- check(?: with --down ([^:]*))?: (.*?) -->")


def _cases():
    text = DOC.read_text(encoding="utf-8")
    return [pytest.param(m.group(1), CHECK.findall(m.group(2)), id=f"example-{i + 1}")
            for i, m in enumerate(BLOCK.finditer(text))]


def _get(obj, path: str):
    for part in path.split("."):
        if isinstance(obj, dict):
            obj = obj[part]
        elif isinstance(obj, (list, tuple)):
            obj = obj[int(part)]
        else:
            obj = getattr(obj, part)
    return obj


def test_the_doc_has_its_examples():
    cases = _cases()
    assert len(cases) == 6
    assert all(c.values[1] for c in cases)


@pytest.mark.parametrize("text,checks", _cases())
def test_worked_example(text, checks):
    d = archlang.loads(text)
    results = {}
    for down, check in checks:
        names = tuple(down.split()) if down else ()
        if names not in results:
            results[names] = archlang.analyze(d, down=names)
        r = results[names]
        words = check.split()
        if words[0] == "finding":
            code, comp = words[1:]
            assert any(f.code == code and f.component == comp for f in r.findings), check
            continue
        if words[0] == "count":
            assert len(_get(r, words[1])) == int(words[2]), check
            continue
        tol = 0.0
        if words[-1].startswith("+-"):
            tol = float(words.pop()[2:])
        path, want = words
        got = _get(r, path)
        if isinstance(got, (int, float)) and not isinstance(got, bool):
            assert got == pytest.approx(float(want), abs=tol or 1e-12, rel=0), check
        else:
            assert str(got) == want, check
