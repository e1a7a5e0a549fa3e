"""Design rules: each has its docs and a fixture whose `# CODE` comments mark the lines it flags."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import archlang
from archlang.rules import REGISTRY, check_rules
from archlang.rules.base import SECTIONS
from archlang.rules.docs import rules_markdown

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data" / "rules"
CODES = [r.code for r in REGISTRY]


def expected_lines(path: Path, code: str) -> set[int]:
    return {i for i, line in enumerate(path.read_text().splitlines(), 1)
            if re.search(rf"#\s*{code}\b", line)}


@pytest.mark.parametrize("code", CODES)
def test_rule_fixture(code):
    path = FIXTURES / f"{code}.arch"
    assert path.exists(), f"rule {code} has no fixture"
    want = expected_lines(path, code)
    assert want, f"fixture of {code} marks no line"
    design = archlang.load(path)
    got = {f.span.line for f in check_rules(design) if f.code == code}
    assert got == want


@pytest.mark.parametrize("code", CODES)
def test_rule_has_docs(code):
    rule = REGISTRY.get(code)
    docs = rule.docs()
    assert list(docs) == list(SECTIONS)
    assert all(docs.values())
    assert rule.severity in ("error", "warning", "info")


def test_registry_refuses_duplicates():
    rule = next(iter(REGISTRY))
    with pytest.raises(ValueError, match="registered twice"):
        REGISTRY.register(rule)


def test_noqa_silences_named_codes():
    design = archlang.load(FIXTURES / "noqa.arch")
    found = {(f.code, f.component) for f in check_rules(design)}
    assert ("AL421", "legacy") not in found and ("AL431", "legacy") not in found
    assert ("AL421", "old") not in found
    # without the comment the same component is flagged
    text = (FIXTURES / "noqa.arch").read_text().replace("# noqa: AL421, AL431", "")
    found = {(f.code, f.component) for f in check_rules(archlang.loads(text))}
    assert ("AL421", "legacy") in found and ("AL431", "legacy") in found


def test_noqa_in_any_case_on_its_own_line_only():
    # the lines a noqa may be on are found once per text (rules.noqa_lines); the comment is
    # read in any case, and a "noqa" in a string or on another line silences nothing
    text = (FIXTURES / "noqa.arch").read_text()
    upper = text.replace("# noqa: AL421, AL431", "# NoQA: al421, AL431")
    found = {(f.code, f.component) for f in check_rules(archlang.loads(upper))}
    assert ("AL421", "legacy") not in found and ("AL431", "legacy") not in found
    moved = text.replace("# noqa: AL421, AL431", "").replace(
        "server api {", '# noqa: AL421, AL431\n  server api { description "noqa"')
    found = {(f.code, f.component) for f in check_rules(archlang.loads(moved))}
    assert ("AL421", "legacy") in found and ("AL431", "legacy") in found


def test_rules_doc_is_up_to_date():
    assert (ROOT / "docs" / "rules.md").read_text() == rules_markdown(), \
        "regenerate: python -m archlang.rules.docs > docs/rules.md"


def test_explain_cli():
    r = subprocess.run([sys.executable, "-m", "archlang.cli", "explain", "AL401"],
                       capture_output=True, text=True)
    assert r.returncode == 0
    assert r.stdout.startswith("AL401 (write-back-cache), warning")
    assert "## Use instead" in r.stdout
    r = subprocess.run([sys.executable, "-m", "archlang.cli", "explain", "write-back-cach"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "unknown code 'write-back-cach'; did you mean 'write-back-cache'?" in r.stderr


def _emitted_codes() -> set[str]:
    """Every code a source file of archlang can emit: `code="ALnnn"` and the mapping of SLO
    kinds to codes, read from the sources (independent of the catalogue)."""
    codes = set()
    for path in (ROOT / "archlang").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes.update(re.findall(r'(?:code|CODE)\s*=\s*"(AL\d{3})"', text))
        codes.update(re.findall(r'"(?:availability|latency|throughput)":\s*"(AL\d{3})"', text))
    return codes


def test_every_emitted_code_is_explained():
    from archlang.rules.catalogue import all_rules
    from archlang.rules.docs import explain_text

    infos = all_rules()
    emitted = _emitted_codes()
    assert {"AL000", "AL001", "AL002", "AL003", "AL101", "AL102", "AL301", "AL423"} <= emitted
    for code in sorted(emitted):
        assert code in infos, code
        text = explain_text(code)
        for title in SECTIONS:
            assert f"## {title}\n" in text, (code, title)
        assert "```arch" in text, code             # an example for every code


def test_explain_alone_lists_every_code_and_explain_works_for_each():
    from archlang.rules.catalogue import all_rules

    out = subprocess.run([sys.executable, "-m", "archlang", "explain"], capture_output=True,
                         text=True, check=True).stdout
    listed = [line.split()[0] for line in out.splitlines() if line.startswith("AL")]
    assert listed == sorted(all_rules())
    assert all(len(line) <= 100 for line in out.splitlines())
    for code in ("AL101", "AL301", "AL002", "al423"):
        r = subprocess.run([sys.executable, "-m", "archlang", "explain", code],
                           capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout.startswith(code.upper()), code
    r = subprocess.run([sys.executable, "-m", "archlang", "explain", "AL999"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "archlang explain lists every code" in r.stderr
