"""`archlang fmt`: canonical, idempotent, comment-preserving, meaning-preserving."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import archlang
from archlang.syntax.fmt import format_text

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "examples").rglob("*.arch"))

MESSY = """\
system  x{description "messy"   # trailing
server a{latency 1ms;capacity 5 rps placement r.a,r.b}


// a full-line comment
client u  a->b|c x3 parallel optional
server b { } server c { }
region r { zone a zone b }
flow f rate 1 rps {path u->a
slo latency p99 3ms}}
"""

CANONICAL = """\
system x {
  description "messy"           # trailing
  server a { latency 1ms capacity 5 rps placement r.a, r.b }

  // a full-line comment
  client u
  a -> b | c x3 parallel optional
  server b { }
  server c { }
  region r { zone a zone b }
  flow f rate 1 rps {
    path u -> a
    slo latency p99 3ms
  }
}
"""


def _strip(obj):
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in ("span", "path", "files")}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def test_messy_input_becomes_canonical():
    assert format_text(MESSY) == CANONICAL


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_idempotent_and_keeps_comments(path):
    text = path.read_text()
    once = format_text(text)
    assert format_text(once) == once
    def comments(t):
        return sorted(m.group(0).strip() for m in re.finditer(r"(#|//)[^\n]*", t))
    assert comments(once) == comments(text)


@pytest.mark.parametrize("path", [p for p in FILES if p.parent.name == "examples"],
                         ids=lambda p: p.name)
def test_meaning_is_unchanged(path, tmp_path):
    # format every file of the example (imports too) into a copy, load both, compare models
    for f in FILES:
        dst = tmp_path / f.relative_to(ROOT / "examples")
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(format_text(f.read_text()))
    before = archlang.load(path).model_dump(mode="json")
    after = archlang.load(tmp_path / path.name).model_dump(mode="json")
    assert _strip(after) == _strip(before)


def test_cli_check_and_rewrite(tmp_path):
    p = tmp_path / "m.arch"
    p.write_text(MESSY)
    cmd = [sys.executable, "-m", "archlang.cli", "fmt"]
    r = subprocess.run(cmd + ["--check", str(p)], capture_output=True, text=True)
    assert r.returncode == 1 and f"would reformat {p}" in r.stdout
    assert p.read_text() == MESSY
    r = subprocess.run(cmd + [str(p)], capture_output=True, text=True)
    assert r.returncode == 0 and p.read_text() == CANONICAL
    r = subprocess.run(cmd + ["--check", str(p)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == ""
    p.write_text("system x { server }\n")
    r = subprocess.run(cmd + [str(p)], capture_output=True, text=True)
    assert r.returncode == 2 and "m.arch:1:19" in r.stderr and "Traceback" not in r.stderr


def test_one_idea_lines_stay_as_written():
    src = ("system s {\n"
           "  database kv {\n"
           "    replicas 6\n"
           "    replication leaderless rf 3 read_quorum 2 write_quorum 2  # QUORUM\n"
           "    mtbf 30d mttr 4h\n"
           "    sharding hash 32\n"
           "  }\n"
           "}\n")
    out = format_text(src)
    assert "    replication leaderless rf 3 read_quorum 2 write_quorum 2  # QUORUM\n" in out
    assert "    mtbf 30d mttr 4h\n" in out
    # written on lines of their own, they stay on lines of their own
    split = src.replace(" rf 3 read_quorum 2 write_quorum 2", "\n    rf 3\n    read_quorum 2")
    assert "    replication leaderless\n    rf 3\n    read_quorum 2  # QUORUM\n" \
        in format_text(split)
    assert archlang.loads(out).model_dump() == archlang.loads(src).model_dump()
