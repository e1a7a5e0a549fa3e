"""`archlang check DIR -j N`: files checked in worker processes, the same report as -j 1."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow     # worker processes, each importing archlang


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "archlang.cli", *map(str, args)], cwd=cwd,
                          capture_output=True)


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    """The examples (with their imports), one invalid file and one with a failing SLO."""
    d = tmp_path_factory.mktemp("estate")
    shutil.copytree(ROOT / "examples", d / "designs")
    (d / "designs" / "broken.arch").write_text("system broken {\n  server api {\n}\n")
    (d / "designs" / "zz_slow.arch").write_text(
        "system slow {\n  client users\n  server api { latency p50 50ms p99 400ms }\n"
        "  flow f rate 10 rps {\n    path users -> api\n    slo latency p99 100ms\n  }\n}\n")
    return d


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_jobs_give_the_same_bytes_in_the_same_order(estate, fmt):
    one = run("check", "designs", "--format", fmt, "-j", "1", cwd=estate)
    two = run("check", "designs", "--format", fmt, "-j", "3", cwd=estate)
    assert one.returncode == 2            # broken.arch is invalid
    assert (two.returncode, two.stdout, two.stderr) == (one.returncode, one.stdout,
                                                        one.stderr)
    out = one.stdout.decode()
    assert b"broken.arch:2:3: error" in one.stderr
    names = ["chat.arch", "photos.arch", "shop.arch", "zz_slow.arch"]
    if fmt in ("text", "concise"):
        at = [out.find(n) for n in names]
        assert -1 not in at and at == sorted(at)     # the order of the files, sorted


def test_jobs_with_stdin_and_output_file(estate):
    text = (estate / "designs" / "zz_slow.arch").read_bytes()
    outs = []
    for j in ("1", "2", "0"):      # 0: one process per CPU
        target = estate / f"report{j}.json"
        r = subprocess.run([sys.executable, "-m", "archlang.cli", "check", "designs/shop.arch",
                            "-", "designs/chat.arch", "--format", "json", "-o", str(target),
                            "-j", j], cwd=estate, input=text, capture_output=True)
        assert r.returncode == 1, r.stderr
        outs.append(target.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    assert outs[0].index(b"shop.arch") < outs[0].index(b"<stdin>") < outs[0].index(b"chat.arch")


def test_jobs_must_be_a_whole_number(estate):
    r = run("check", "designs", "-j", "two", cwd=estate)
    assert r.returncode == 2 and b"expected a whole number of processes" in r.stderr
    assert b"Traceback" not in r.stderr


def test_an_invalid_file_survives_the_trip_between_processes():
    import pickle

    import archlang
    from archlang.errors import ArchlangError

    with pytest.raises(ArchlangError) as e:
        archlang.loads("system t {\n  server api { replicas 0 }\n}\n", path="t.arch")
    back = pickle.loads(pickle.dumps(e.value))
    assert type(back) is type(e.value) and back.diagnostics == e.value.diagnostics
    assert back.render() == e.value.render()
