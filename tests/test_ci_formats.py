"""CI formats as a CI system reads them: invalid input reported, SARIF against the official
schema, GitLab Code Quality, JUnit names, Markdown parsed as GitHub would. The CLI always
runs as a subprocess."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))
SCHEMA = json.loads((ROOT / "tests/data/sarif/sarif-schema-2.1.0.json").read_text())

GOOD = """\
system chain {
  client users { latency 20ms }
  server api { availability 99.9% latency 5ms capacity 10000 rps }
  database db { availability 99.95% latency 3ms }
  flow read rate 50 rps {
    path users -> api -> db
    slo availability 99.99%
    slo latency p99 100ms
  }
}
"""
BAD = "system x {\n  api -> db\n}\n"


def run(*args, cwd=None, input=None, env=None):
    e = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "archlang", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, input=input, env=e)


def validate_sarif(doc):
    import jsonschema

    cls = jsonschema.validators.validator_for(SCHEMA)
    cls(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(doc)


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".git").mkdir()             # the repository root for relative URIs
    (tmp_path / "good.arch").write_text(GOOD)
    (tmp_path / "bad.arch").write_text(BAD)
    return tmp_path


# ---- 1. invalid input is reported by every format -------------------------------------------
def test_invalid_input_is_a_finding_in_every_format_and_o_is_written(project):
    for fmt in ("json", "sarif", "junit", "github", "gitlab", "markdown", "concise", "text"):
        out = project / f"report.{fmt}"
        r = run("check", "good.arch", "bad.arch", "--format", fmt, "-o", out, cwd=project)
        assert r.returncode == 2, (fmt, r.stderr)
        assert "bad.arch:2:3: error: unknown component 'api'" in r.stderr   # still on stderr
        text = out.read_text()
        assert text, fmt
        if fmt == "json":
            doc = json.loads(text)
            assert doc["status"] == "invalid"
            good, bad = doc["files"]
            assert good["path"] == "good.arch" and good["status"] == "fail"
            assert [s["status"] for s in good["flows"][0]["slos"]] == ["fail", "pass"]
            assert bad["status"] == "invalid"
            assert [(d["line"], d["column"], d["message"]) for d in bad["diagnostics"]] == [
                (2, 3, "unknown component 'api'"), (2, 10, "unknown component 'db'")]
        elif fmt == "sarif":
            doc = json.loads(text)
            validate_sarif(doc)
            res = doc["runs"][0]["results"]
            inv = [x for x in res if x["ruleId"] == "AL000"]
            assert [x["locations"][0]["physicalLocation"]["region"]["startColumn"]
                    for x in inv] == [3, 10]
            assert all(x["level"] == "error" for x in inv)
            assert any(x["ruleId"] == "AL001" for x in res)      # the valid file's SLO
        elif fmt == "junit":
            root = ET.fromstring(text)
            suites = {s.get("name"): s for s in root}
            assert suites["bad.arch"].get("errors") == "2"
            errs = suites["bad.arch"].findall("testcase/error")
            assert [e.get("type") for e in errs] == ["AL000", "AL000"]
            assert suites["good.arch"].get("failures") == "1"
            assert root.get("errors") == "2"
        elif fmt == "github":
            lines = text.splitlines()
            assert "::error file=bad.arch,line=2,col=3,endLine=2,title=AL000::unknown " \
                   "component 'api' (declare it, e.g. `server NAME { ... }`)" in lines
            assert any("file=good.arch,line=7," in x for x in lines)
        elif fmt == "gitlab":
            issues = json.loads(text)
            assert {i["location"]["path"] for i in issues} == {"bad.arch", "good.arch"}
            assert [i["severity"] for i in issues if i["check_name"].startswith("AL000")] \
                == ["critical", "critical"]
        elif fmt == "markdown":
            assert text.startswith("⛔ **archlang: invalid**")
        elif fmt == "concise":
            assert "bad.arch:2:3: AL000 [error] unknown component 'api'" in text
            assert text.splitlines()[-1] == \
                "2 files: 0 pass, 1 fail (good.arch), 1 invalid (bad.arch); 3 errors, 2 warnings"
        else:
            assert "bad.arch: invalid, 2 errors" in text and "verdict: INVALID" in text
            assert "system chain" in text
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".report"))== []


# ---- 2. SARIF for GitHub code scanning -----------------------------------------------------
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_sarif_of_every_example_is_valid_against_the_official_schema(path):
    r = run("check", path.relative_to(ROOT), "--format", "sarif", cwd=ROOT)
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads(r.stdout)
    validate_sarif(doc)
    run_ = doc["runs"][0]
    driver = run_["tool"]["driver"]
    assert driver["informationUri"].startswith("https://")
    assert re.fullmatch(r"\d+\.\d+\.\d+", driver["version"])
    rules = driver["rules"]
    rules_md = (ROOT / "docs/rules.md").read_text()
    anchors = {_gh_anchor(h) for h in re.findall(r"^#+ (.+)$", rules_md, re.M)}
    for rule in rules:
        assert rule["helpUri"].split("#")[0].endswith("/docs/rules.md")
        assert rule["helpUri"].split("#")[1] in anchors, rule["id"]
        assert rule["fullDescription"]["text"] and rule["help"]["text"]
    for res in run_["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]["artifactLocation"]
        assert loc["uriBaseId"] == "%SRCROOT%"
        assert loc["uri"].startswith("examples/")
        assert (ROOT / loc["uri"]).is_file()
    fps = [res["partialFingerprints"]["archlang/v1"] for res in run_["results"]]
    assert len(fps) == len(set(fps))


def _gh_anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to -."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("name", ["my shop.arch", "a#b.arch", "100%.arch", "sub dir/x y#%.arch"])
def test_sarif_uris_are_percent_encoded_and_relative_to_the_repo(project, name):
    target = project / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(GOOD)
    sub = project / "elsewhere"
    sub.mkdir()
    rel = os.path.relpath(target, sub)              # typed as ../name from a subdirectory
    for typed, cwd in ((name, project), ("./" + name, project), (rel, sub),
                       (str(target), sub)):
        r = run("check", typed, "--format", "sarif", cwd=cwd)
        assert r.returncode == 1, r.stderr
        doc = json.loads(r.stdout)
        validate_sarif(doc)
        (loc,) = {json.dumps(x["locations"][0]["physicalLocation"]["artifactLocation"],
                             sort_keys=True) for x in doc["runs"][0]["results"]}
        loc = json.loads(loc)
        from urllib.parse import unquote

        assert loc["uriBaseId"] == "%SRCROOT%"
        assert unquote(loc["uri"]) == name
        assert " " not in loc["uri"] and "#" not in loc["uri"]


def test_an_unencoded_uri_fails_the_schema_check():
    # the validator itself would catch the bug the issue saw (a space, a bare #)
    import jsonschema

    doc = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [
        {"message": {"text": "m"}, "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": "my shop#1.arch"}}}]}]}]}
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(doc)


def test_fingerprints_survive_moving_lines_and_junit_names_too(project):
    p = project / "good.arch"
    a = json.loads(run("check", "good.arch", "--format", "sarif", cwd=project).stdout)
    j1 = run("check", "good.arch", "--format", "junit", "--fail-on", "warning", cwd=project)
    p.write_text("# a comment\n\n" + GOOD.replace("  server api", "\n  server api"))
    b = json.loads(run("check", "good.arch", "--format", "sarif", cwd=project).stdout)
    j2 = run("check", "good.arch", "--format", "junit", "--fail-on", "warning", cwd=project)
    fa = sorted((x["ruleId"], x["partialFingerprints"]["archlang/v1"])
                for x in a["runs"][0]["results"])
    fb = sorted((x["ruleId"], x["partialFingerprints"]["archlang/v1"])
                for x in b["runs"][0]["results"])
    assert fa == fb and fa
    la = [x["locations"][0]["physicalLocation"]["region"]["startLine"]
          for x in a["runs"][0]["results"]]
    lb = [x["locations"][0]["physicalLocation"]["region"]["startLine"]
          for x in b["runs"][0]["results"]]
    assert la != lb                                     # the lines did move

    def names(xml):
        return [(c.get("classname"), c.get("name")) for c in ET.fromstring(xml).iter("testcase")]
    assert names(j1.stdout) == names(j2.stdout)


def test_junit_names_are_unique_and_only_xunit_attributes(project):
    # Jenkins xUnit's JUnit schema: testsuite(name tests failures errors skipped time ...),
    # testcase(name classname time ...); no file or line attributes.
    for path in EXAMPLES:
        r = run("check", path, "--format", "junit", "--fail-on", "warning")
        root = ET.fromstring(r.stdout)
        for suite in root.iter("testsuite"):
            assert set(suite.attrib) <= {"name", "tests", "failures", "errors", "skipped",
                                         "time", "timestamp", "hostname", "id", "package"}
            cases = [(c.get("classname"), c.get("name")) for c in suite.iter("testcase")]
            assert len(cases) == len(set(cases)), path
            assert int(suite.get("tests")) == len(cases)
            for c in suite.iter("testcase"):
                assert set(c.attrib) <= {"name", "classname", "time", "status", "assertions"}
                assert not re.search(r":\d+", c.get("name"))        # no line numbers


def test_junit_names_unique_across_files_that_share_a_system(project):
    # a prod/ and a staging/ copy of one design, and two invalid files: Jenkins keys a test
    # by classname + name across the whole report
    for d in ("prod", "staging"):
        (project / d).mkdir()
        (project / d / "good.arch").write_text(GOOD)
    (project / "bad2.arch").write_text(BAD)
    r = run("check", "prod", "staging", "good.arch", "bad.arch", "bad2.arch", "--format",
            "junit", "--fail-on", "warning", cwd=project)
    cases = [(c.get("classname"), c.get("name")) for c in ET.fromstring(r.stdout).iter("testcase")]
    assert len(cases) == len(set(cases)) > 6
    assert ("archlang.chain[prod/good.arch].read", "slo availability") in cases


def test_junit_text_keeps_the_hint_on_its_own_line(project):
    r = run("check", "bad.arch", "good.arch", "--format", "junit", "--fail-on", "warning",
            cwd=project)
    root = ET.fromstring(r.stdout)
    texts = [e.text for e in root.iter() if e.tag in ("error", "failure") and e.text]
    hinted = [t for t in texts if "hint: " in t]
    assert hinted and all("\\n" not in t and "\nhint: " in t for t in hinted)


def test_gitlab_code_quality(project):
    r = run("check", "good.arch", "--format", "gitlab", "--fail-on", "warning", cwd=project)
    assert r.returncode == 1
    issues = json.loads(r.stdout)
    assert issues
    for i in issues:
        assert set(i) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert i["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert re.fullmatch(r"[0-9a-f]{32}", i["fingerprint"])
        assert i["location"]["path"] == "good.arch"
        assert i["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    slo = next(i for i in issues if i["check_name"].startswith("AL001"))
    assert slo["severity"] == "major" and slo["location"]["lines"]["begin"] == 7


# ---- 3. Markdown for pull-request comments ------------------------------------------------
def _md_tokens(text):
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").parse(text)


def test_check_markdown_summary_first_findings_folded_info_only_when_asked(project):
    (project / "good.arch").write_text(GOOD.replace("  flow read",
                                                    "  server legacy { }\n  flow read"))
    r = run("check", "good.arch", "--format", "markdown", cwd=project)
    assert r.returncode == 1
    md = r.stdout
    tokens = _md_tokens(md)
    assert tokens[0].type == "paragraph_open"
    first = tokens[1].content
    assert first.startswith("❌ **archlang: fail**")
    assert "1 file" in first and "1 fail" in first
    assert "<details><summary>" in md and "</details>" in md
    # the table parses as a table whose first column holds the flow
    cells = [t.children[0].content if t.children else "" for t in tokens if t.type == "inline"]
    assert "read" in cells
    assert "AL431" not in md and "info note" in md          # info notes: hidden, counted
    r2 = run("check", "good.arch", "--format", "markdown", "--show-info", cwd=project)
    assert "AL431" in r2.stdout


def test_markdown_escapes_what_a_file_name_can_hold(project):
    name = "x<!--y\n# z|w.arch"
    (project / name).write_text(GOOD)
    r = run("check", name, "--format", "markdown", cwd=project)
    tokens = _md_tokens(r.stdout)
    # the only HTML is the <details> fold: no comment or tag comes from the name
    html = [t.content.strip() for t in tokens if t.type in ("html_block", "html_inline")]
    assert html and all(re.fullmatch(r"(<details><summary>\d+ findings?</summary>|</details>)",
                                     h) for h in html), html
    heading = next(tokens[i + 1] for i, t in enumerate(tokens) if t.type == "heading_open")
    shown = "".join(c.content for c in heading.children)
    assert shown == "❌ x<!--y\\n# z|w.arch: system chain"         # shown, not obeyed
    assert sum(1 for t in tokens if t.type == "heading_open" and t.tag == "h1") == 0
    # the table keeps its six columns on every row
    rows = [t for t in tokens if t.type == "tr_open"]
    widths = []
    for i, t in enumerate(tokens):
        if t.type == "tr_open":
            j, n = i + 1, 0
            while tokens[j].type != "tr_close":
                n += tokens[j].type in ("td_open", "th_open")
                j += 1
            widths.append(n)
    assert rows and set(widths) == {6}


def test_markdown_hints_keep_their_code_and_list_items_show_no_backslash(project):
    name = "we|rd.arch"
    (project / name).write_text(GOOD.replace("  flow read", "  server legacy { }\n  flow read"))
    r = run("check", name, "--format", "markdown", "--show-info", cwd=project)
    tokens = _md_tokens(r.stdout)
    spans = [c.content for t in tokens if t.type == "inline" for c in t.children or []
             if c.type == "code_inline"]
    assert any(s.startswith("we|rd.arch:") for s in spans), spans     # no "\|" shown
    # an external's AL101 hint quotes code: a code span, not escaped backticks
    r = run("check", ROOT / "examples" / "payments.arch", "--format", "markdown", cwd=project)
    tokens = _md_tokens(r.stdout)
    line = next(t for t in tokens if t.type == "inline" and "AL101" in t.content
                and "processor" in t.content)
    assert "-> processor | processor-backup" in [c.content for c in line.children
                                                  if c.type == "code_inline"]


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


def test_diff_markdown_renders_as_tables_with_the_verdict_first(tmp_path):
    base = tmp_path / "base.arch"
    head = tmp_path / "head.arch"
    base.write_text(GOOD.replace("latency 5ms capacity", "replicas 3 latency 5ms capacity")
                    .replace("99.99%", "99%"))
    head.write_text(GOOD.replace("99.99%", "99%") + "\n")
    head.write_text(head.read_text().replace("  flow read", "  server legacy { }\n  flow read"))
    r = run("diff", base, head, "--format", "markdown")
    assert r.returncode == 1
    tokens = _md_tokens(r.stdout)
    assert tokens[0].type == "paragraph_open"
    assert tokens[1].content.startswith("❌ **archlang diff: worse**")
    assert "bullet_list_open" not in [t.type for t in tokens]
    tables = [i for i, t in enumerate(tokens) if t.type == "table_open"]
    assert len(tables) == 3         # the flows, the components, the findings gained and lost
    cells = [t.content for t in tokens if t.type == "inline"]
    assert any("+api" in c for c in cells)
    assert "➕" in cells
    # legacy adds AL421 (a warning: shown) and AL431 (an info note: counted, not listed)
    assert "AL421" in cells and "AL431" not in cells
    assert any(c.startswith("1 info note changed") for c in cells)
    # nothing changed: the summary alone, no empty table
    same = run("diff", head, head, "--format", "markdown")
    assert same.returncode == 0
    tokens = _md_tokens(same.stdout)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    assert "no change in the figures" in tokens[1].content


def test_github_annotations_name_files_from_the_repository_root(project):
    (project / "designs").mkdir()
    (project / "designs" / "good.arch").write_text(GOOD)
    r = run("check", "./good.arch", "--format", "github", cwd=project / "designs")
    files = set(re.findall(r"file=([^,]+),", r.stdout))
    assert files == {"designs/good.arch"}, r.stdout
