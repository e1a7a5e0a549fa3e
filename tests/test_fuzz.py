"""Property-based: any text, and any mutation of an example, either loads or raises an
ArchlangError with at least one diagnostic. Never another exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archlang
from archlang.errors import ArchlangError

ROOT = Path(__file__).resolve().parents[1]
# Mutated examples are loaded as if they were the example file, so their imports resolve.
EXAMPLES = [(str(p), p.read_text(encoding="utf-8"))
            for p in sorted((ROOT / "examples").glob("*.arch"))]
WORDS = ["system", "server", "cache", "flow", "path", "slo", "{", "}", "->", "~>", "|", ",",
         "replicas", "min", "0", "-1", "99.9%", "150%", "0ms", "x0", "x3", "parallel",
         "optional", "write", "p99", "p0", "1e9", '"', "#", "//", "\n", ";", ".", "a.b.c",
         "region", "zone", "network", "<->", "defaults", "import", '"../x.arch"', "rate",
         "0 rps", "availability", "mtbf", "mttr", "latency", "\x00", "\ufeff", "é"]
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def check(text: str, path: str = "<string>") -> None:
    try:
        archlang.loads(text, path=path)
    except ArchlangError as e:
        assert e.diagnostics
        assert str(e)
        for d in e.diagnostics:
            assert d.span.line >= 1 and d.span.column >= 1


@SETTINGS
@given(st.text(max_size=300))
def test_arbitrary_text(text):
    check(text)


@SETTINGS
@given(st.lists(st.sampled_from(WORDS + ["api", "db", "users", "5ms", "100 rps"]), max_size=60))
def test_token_soup(words):
    check(" ".join(words))


@SETTINGS
@given(st.sampled_from(EXAMPLES), st.data())
def test_mutated_examples(example, data):
    path, text = example
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["delete", "insert", "replace", "swap_lines"]))
        i = data.draw(st.integers(0, len(text)))
        if op == "delete":
            j = data.draw(st.integers(i, min(len(text), i + 40)))
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + data.draw(st.sampled_from(WORDS)) + text[i:]
        elif op == "replace":
            j = data.draw(st.integers(i, min(len(text), i + 10)))
            text = text[:i] + data.draw(st.sampled_from(WORDS)) + text[j:]
        else:
            lines = text.splitlines()
            if len(lines) > 2:
                a = data.draw(st.integers(0, len(lines) - 1))
                b = data.draw(st.integers(0, len(lines) - 1))
                lines[a], lines[b] = lines[b], lines[a]
                text = "\n".join(lines)
    check(text, path)


@SETTINGS
@given(st.sampled_from(EXAMPLES), st.integers(0, 10_000))
def test_examples_cut_short(example, n):
    path, text = example
    check(text[: n % (len(text) + 1)], path)
