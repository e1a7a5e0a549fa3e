"""The CLI as a user runs it: a subprocess, exit codes, every output format."""

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))

CHAIN = """\
system chain {
  client users { latency 20ms }
  server api { availability 99.9% latency 5ms capacity 10000 rps }
  database db { availability 99.95% latency 3ms }
  flow read rate 50 rps {
    path users -> api -> db
    slo availability AVAIL
    slo latency p99 P99
  }
}
"""


def chain(avail: str, p99: str) -> str:
    return CHAIN.replace("AVAIL", avail).replace("P99", p99)


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "archlang.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def write(tmp_path, text, name="d.arch"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_json_of_a_serial_chain_matches_the_hand_computation(tmp_path):
    p = write(tmp_path, chain("99.8%", "100ms"))
    r = run("check", p, "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["version"] == 1 and doc["status"] == "pass"
    (f,) = doc["files"]
    assert f["system"] == "chain"
    (flow,) = f["flows"]
    a = 0.999 * 0.9995
    assert flow["availability"] == pytest.approx(a, abs=1e-12)
    assert flow["availability_method"] == "exact" and flow["availability_ci95"] is None
    assert flow["downtime_minutes_per_30d"] == pytest.approx((1 - a) * 30 * 24 * 60, rel=1e-9)
    # fixed latencies add up: 20 (last mile) + 5 + 3, no network latency without placements;
    # at 0.5% utilisation only 0.5% of requests wait in api's queue (M/M/1: P(wait) = rho),
    # so the median and the p99 are the plain sum
    assert flow["latency_ms"]["p99"] == pytest.approx(28.0, abs=1e-9)
    assert flow["latency_ms"]["p50"] == pytest.approx(28.0, abs=1e-9)
    kinds = [s["kind"] for s in flow["slos"]]
    assert kinds == ["availability", "latency"]
    assert all(s["status"] == "pass" for s in flow["slos"])
    api = next(c for c in f["components"] if c["name"] == "api")
    assert api["utilisation"] == pytest.approx(50 / 10000)
    assert {s["unit"] for s in flow["spofs"]} == {"api", "db"}


def test_failing_slo_exits_1_and_every_format_says_so(tmp_path):
    p = write(tmp_path, chain("99.99%", "10ms"))
    r = run("check", p)
    assert r.returncode == 1
    assert "verdict: FAIL" in r.stdout

    doc = json.loads(run("check", p, "--format", "json").stdout)
    assert doc["status"] == "fail"
    statuses = {s["kind"]: s["status"] for s in doc["files"][0]["flows"][0]["slos"]}
    assert statuses == {"availability": "fail", "latency": "fail"}

    sarif = json.loads(run("check", p, "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0"
    ids = sorted(res["ruleId"] for res in sarif["runs"][0]["results"])
    assert "AL001" in ids and "AL002" in ids
    loc = next(res for res in sarif["runs"][0]["results"] if res["ruleId"] == "AL001")
    assert loc["locations"][0]["physicalLocation"]["region"]["startLine"] == 7

    junit = ET.fromstring(run("check", p, "--format", "junit").stdout)
    assert junit.tag == "testsuites"
    assert int(junit.get("failures")) >= 2

    gh = run("check", p, "--format", "github")
    assert gh.returncode == 1
    assert any(line.startswith("::error file=") and ",line=7," in line
               for line in gh.stdout.splitlines())

    md = run("check", p, "--format", "markdown").stdout
    assert "| `read` |" in md and "❌" in md


def test_fail_on_warning(tmp_path):
    # an unused component is a warning: exit 0 by default, 1 with --fail-on warning
    p = write(tmp_path, chain("99.8%", "100ms").replace("  flow read",
                                                    "  server legacy { }\n  flow read"))
    assert run("check", p).returncode == 0
    r = run("check", p, "--fail-on", "warning")
    assert r.returncode == 1
    assert "AL421" in r.stdout


def test_output_is_written_whole_or_not_at_all(tmp_path):
    good = write(tmp_path, chain("99.8%", "100ms"))
    out = tmp_path / "out" / "report.json"
    out.parent.mkdir()                       # archlang creates no directories
    assert run("check", good, "--format", "json", "--output", out).returncode == 0
    first = out.read_text()
    assert json.loads(first)["status"] == "pass"
    bad = write(tmp_path, "system x {\n  api -> db\n}\n", "bad.arch")
    r = run("check", bad, "--format", "json", "--output", out)
    assert r.returncode == 2
    # an invalid file is reported in the output too (as diagnostics), written whole
    doc = json.loads(out.read_text())
    assert doc["status"] == "invalid"
    assert doc["files"][0]["diagnostics"][0]["message"] == "unknown component 'api'"
    assert not [p for p in out.parent.iterdir() if p.name != "report.json"]   # no temp left


def test_down_what_if(tmp_path):
    p = write(tmp_path, chain("99.8%", "100ms"))
    doc = json.loads(run("check", p, "--format", "json", "--down", "db").stdout)
    assert doc["files"][0]["flows"][0]["availability"] == 0.0
    r = run("check", p, "--down", "dbb")
    assert r.returncode == 2
    assert "dbb" in r.stderr and "Traceback" not in r.stderr


def test_misuse_exits_2():
    assert run().returncode == 2
    assert run("check", "--fail-on", "never").returncode == 2
    assert run("check", "x.arch", "--format", "yaml").returncode == 2
    r = run("check", "does-not-exist.arch")
    assert r.returncode == 2
    assert "does-not-exist.arch" in r.stderr and "Traceback" not in r.stderr


def test_help_and_version():
    r = run("--help")
    assert r.returncode == 0 and "check" in r.stdout
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("archlang ")


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_every_format(path):
    for fmt in ("text", "json", "sarif", "junit", "github", "markdown"):
        r = run("check", path, "--format", fmt)
        assert r.returncode in (0, 1), (fmt, r.stderr)
        assert "Traceback" not in r.stderr
    a = run("check", path, "--format", "json").stdout
    b = run("check", path, "--format", "json").stdout
    assert a == b                     # deterministic, byte for byte


def test_all_examples_at_once_print_valid_json():
    r = run("check", *EXAMPLES, "--format", "json")
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads(r.stdout)
    assert [f["path"] for f in doc["files"]] == [str(p) for p in EXAMPLES]


def test_diff_flags_a_lost_replica(tmp_path):
    base = write(tmp_path, chain("99.8%", "100ms").replace("latency 5ms capacity",
                                                 "replicas 3 latency 5ms capacity"), "base.arch")
    head = write(tmp_path, chain("99.8%", "100ms"), "head.arch")
    r = run("diff", base, head)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "+api" in r.stdout and "WORSE" in r.stdout
    r = run("diff", head, base, "--format", "json")
    assert r.returncode == 0
    d = json.loads(r.stdout)
    assert d["flows"][0]["spofs_removed"] == ["api"]


def test_a_flow_whose_rate_does_not_fit_fails(tmp_path):
    # analyses.md: `slo throughput R` (or the flow's rate) passes when every component keeps
    # utilisation below 100% at that rate: 150 rps on 100 rps of capacity fails the flow.
    p = write(tmp_path, chain("99%", "1s").replace("rate 50 rps", "rate 150 rps")
              .replace("capacity 10000 rps", "capacity 100 rps"))
    r = run("check", p, "--format", "json")
    assert r.returncode == 1
    (flow,) = json.loads(r.stdout)["files"][0]["flows"]
    assert flow["capacity"] == {"bottleneck": "api", "fits": False, "max_rate_rps": 100.0,
                                "capacity_unknown": ["db"]}
    assert flow["status"] == "fail"
    assert all(s["status"] == "pass" for s in flow["slos"] if s["kind"] == "availability")
