"""Design -> JSON -> Design gives the same design (Design.sources is excluded from JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import archlang
from archlang.model.design import Design

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_json_round_trip(path):
    d = archlang.load(path)
    text = d.model_dump_json()
    assert "sources" not in json.loads(text)
    back = Design.model_validate_json(text)
    assert back.model_dump() == d.model_dump()
    assert back == d.model_copy(update={"sources": {}})
    assert back.model_dump_json() == text          # same bytes again


def test_round_trip_keeps_infinite_mtbf_and_spans():
    d = archlang.loads("system x {\n  client users\n  server a { availability 100% }\n"
                       "  flow f { path users -> a }\n}\n")
    back = Design.model_validate_json(d.model_dump_json())
    assert back.components["a"].mtbf_s == float("inf")
    assert back.components["a"].span == d.components["a"].span
    assert back.flows["f"].paths[0].hops[1].span.column == 26


def test_json_is_deterministic():
    a = archlang.load(ROOT / "examples" / "shop.arch").model_dump_json()
    b = archlang.load(ROOT / "examples" / "shop.arch").model_dump_json()
    assert a == b
