"""docs/language.md: every ```arch block parses, and its defaults tables are defaults.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import archlang
from archlang.model import defaults as D
from archlang.syntax.parser import parse

DOC = Path(__file__).resolve().parents[1] / "docs" / "language.md"
TEXT = DOC.read_text(encoding="utf-8")
BLOCKS = re.findall(r"```arch\n(.*?)```", TEXT, re.S)


def test_the_reference_has_examples():
    assert len(BLOCKS) >= 12


@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_every_arch_block_parses(i):
    block = BLOCKS[i]
    code = block if re.match(r"\s*system\b", block) else "system doc {\n" + block + "\n}\n"
    assert parse(code, "language.md").children


def test_the_first_example_is_a_valid_design():
    d = archlang.loads(BLOCKS[0], path="language.md")
    assert d.name == "shop"
    assert d.components["api"].min_replicas == 2


def _table(heading: str) -> list[list[str]]:
    """Rows (cells) of the first table after ``heading``."""
    part = TEXT.split(heading, 1)[1]
    rows = []
    for line in part.splitlines()[1:]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not set(cells[0]) <= {"-"}:
                rows.append(cells)
        elif rows:
            break
    return rows[1:]   # without the header


def _pct(s: str) -> float:
    from decimal import Decimal

    return float(Decimal(s.rstrip("%")) / 100)


def _ms(s: str) -> float:
    units = {"ms": 1, "s": 1000, "h": 3_600_000, "m": 60_000}
    m = re.fullmatch(r"([0-9.]+)(ms|s|m|h)", s)
    return float(m.group(1)) * units[m.group(2)]


def test_defaults_by_kind_match_defaults_py():
    rows = _table("### By kind")
    assert [r[0] for r in rows] == list(D.AVAILABILITY)
    for kind, avail, lat, hit in rows:
        assert _pct(avail) == D.AVAILABILITY[kind], kind
        assert _ms(lat) == D.LATENCY_MS[kind], kind
        assert (None if hit == "-" else _pct(hit)) == D.HIT_RATIO.get(kind), kind


def test_other_defaults_match_defaults_py():
    rows = dict((r[0], r[1]) for r in _table("### Other values"))
    assert _ms(rows["mttr"]) / 1000 == D.MTTR_S
    assert _ms(rows["failover"]) / 1000 == D.FAILOVER_S
    assert _pct(rows["domain availability"]) == D.DOMAIN_AVAILABILITY
    for key in ("same_zone", "cross_zone", "cross_region"):
        assert _ms(rows[key]) == D.NETWORK_MS[key]
    assert rows["flow rate"] == f"{D.FLOW_RATE_RPS:g} rps"
    assert rows["replication sync"] == ("sync" if D.REPLICATION_SYNC else "async")
    assert len(rows) == 8


def test_kind_settings_match_defaults_py():
    rows = _table("### Kind settings")
    documented: dict[str, dict[str, str]] = {}
    for kind, setting, value in rows:
        documented.setdefault(kind, {})[setting] = value
    actual = {k: {s: str(v).lower() for s, v in d.items()}
              for k, d in D.KIND_SETTINGS.items() if d}
    assert documented == actual


def test_every_property_is_documented():
    from archlang.vocabulary import ENUMS, PROPERTY_NAMES

    for prop in PROPERTY_NAMES:
        assert f"| `{prop}`" in TEXT or f"`{prop}`" in TEXT.split("### Properties")[1][:4000], prop
    for name, choices in ENUMS.items():
        for c in choices:
            assert c in TEXT, (name, c)


def test_every_unit_is_documented():
    from archlang.vocabulary import UNIT_CLASSES

    for table, _ in UNIT_CLASSES.values():
        for unit in table:
            assert f"`{unit}`" in TEXT, unit
