"""Every example loads, `archlang check` never calls one invalid, and together the
examples use every construct of the language."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import archlang

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))


def test_at_least_six_examples():
    assert {p.stem for p in EXAMPLES} >= {"shop", "webapp", "photos", "multiregion", "chat",
                                          "urlshort"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_cli_check_accepts_the_example(path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "archlang.cli", "check", f"examples/{path.name}"],
                       cwd=ROOT, capture_output=True, text=True, env=env)
    assert "Traceback" not in r.stderr
    assert r.returncode in (0, 1), r.stderr


def test_shop_passes():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "archlang.cli", "check", "examples/shop.arch"],
                       cwd=ROOT, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_starts_with_a_comment_on_what_it_shows(path):
    assert path.read_text(encoding="utf-8").startswith("#")


def _all():
    return [archlang.load(p) for p in EXAMPLES]


def test_examples_use_every_construct():
    designs = _all()
    comps = [c for d in designs for c in d.components.values()]
    calls = [c for d in designs for c in d.calls if not c.implicit]
    flows = [f for d in designs for f in d.flows.values()]
    kinds = {c.kind for c in comps}
    from archlang.vocabulary import KINDS

    assert kinds == set(KINDS)
    assert any(len(d.regions) >= 2 for d in designs)
    assert any(r.zones for d in designs for r in d.regions)
    assert any(d.network.pairs for d in designs)
    assert any(len(d.files) > 1 for d in designs)                      # imports
    assert any(c.mode == "active_passive" and "failover_s" not in c.assumed for c in comps)
    assert any(c.min_replicas > 1 for c in comps)
    assert any(c.replication == "leader_follower" for c in comps)
    assert any(c.replication == "multi_leader" for c in comps)
    assert any(c.sharding == "hash" for c in comps)
    assert any(c.scatter for c in calls)                                 # into a shard ring
    assert any(c.kind == "cache" and c.sharding == "hash" for c in comps)
    assert any(c.replication == "leaderless" for c in comps)
    assert any(c.optional for c in calls)
    assert any(c.write for c in calls)
    assert any(c.count > 1 and not c.parallel for c in calls)
    assert any(c.count > 1 and c.parallel for c in calls)
    assert any(len(c.targets) > 1 for c in calls)
    assert any(h.asynchronous for f in flows for p in f.paths for h in p.hops)   # ~>
    assert {s.kind for f in flows for s in f.slos} == {"availability", "latency", "throughput"}
    assert any(f.consistency == "read_your_writes" for f in flows)
    # mtbf/mttr written in a design: an availability that is not a round percentage
    assert any("mttr" not in c.assumed and c.mtbf_s < 1e9 and round(c.availability, 4) != c.availability
               for c in comps)
    # values from a `defaults` block are not assumed
    webapp = next(d for d in designs if d.name == "webapp")
    assert webapp.components["app"].mttr_s == 20 * 60
    assert "availability" not in webapp.components["app"].assumed


def test_fragments_load_on_their_own():
    for p in sorted((ROOT / "examples" / "common").glob("*.arch")):
        d = archlang.load(p)
        assert d.components == {}


def _on_purpose(text: str) -> set[str]:
    """The codes an example shows on purpose: `# on purpose: AL101, AL421 (why)`."""
    import re

    out: set[str] = set()
    for m in re.finditer(r"#\s*on purpose:\s*((?:AL\d{3}(?:,\s*)?)+)", text):
        out.update(re.findall(r"AL\d{3}", m.group(1)))
    return out


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_passes_fail_on_warning_but_for_what_it_shows_on_purpose(path):
    # `check --fail-on warning` on an example fails only on the codes its comments say it
    # shows on purpose; each of those codes does appear (the comment is not stale).
    import json

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "archlang.cli", "check", f"examples/{path.name}",
                        "--fail-on", "warning", "--format", "json"],
                       cwd=ROOT, capture_output=True, text=True, env=env)
    (f,) = json.loads(r.stdout)["files"]
    shown = {x["code"] for x in f["findings"] if x["severity"] in ("warning", "error")}
    shown |= {{"availability": "AL001", "latency": "AL002", "throughput": "AL003"}[s["kind"]]
              for fl in f["flows"] for s in fl["slos"] if s["status"] == "fail"}
    purpose = _on_purpose(path.read_text(encoding="utf-8"))
    assert shown == purpose, (shown, purpose)
    assert r.returncode == (1 if purpose else 0)


def test_readme_design_passes_fail_on_warning(tmp_path):
    import re

    (block,) = re.findall(r"```arch\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    (tmp_path / "shop.arch").write_text(block, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "archlang.cli", "check", "shop.arch",
                        "--fail-on", "warning"], cwd=tmp_path, capture_output=True, text=True,
                       env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.rstrip().endswith("findings: none\n\nverdict: PASS".rstrip())
