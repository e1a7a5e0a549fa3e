"""`archlang render` and `archlang report` as a user runs them, with no system Graphviz."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "archlang.cli", *map(str, args)],
                          capture_output=True, env=env)


def no_system_dot_env() -> dict:
    """PATH with only this interpreter's directory: no `dot` to be found, as on a fresh
    machine; graphviz-pure must be found in the interpreter's scripts directory."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent)
    env.pop("ARCHLANG_DOT", None)
    return env


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_render_and_report_every_example_without_system_graphviz(path, tmp_path):
    env = no_system_dot_env()
    svg, png, html = tmp_path / "d.svg", tmp_path / "d.png", tmp_path / "r.html"
    r = run("render", path, "-o", svg, env=env)
    assert r.returncode == 0, r.stderr.decode()
    assert b"<svg" in svg.read_bytes()[:1000]
    r = run("render", path, "-o", png, env=env)
    assert r.returncode == 0, r.stderr.decode()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = run("report", path, "-o", html, env=env)
    assert r.returncode == 0, r.stderr.decode()
    text = html.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text


def test_render_dot_to_stdout_and_default_output_name(tmp_path):
    src = tmp_path / "shop.arch"
    src.write_text((ROOT / "examples" / "shop.arch").read_text())
    r = run("render", src, "--format", "dot", "-o", "-")
    assert r.returncode == 0 and r.stdout.startswith(b"digraph")
    r = run("render", src)
    assert r.returncode == 0 and (tmp_path / "shop.svg").exists()
    r = run("report", src)
    assert r.returncode == 0 and (tmp_path / "shop.html").exists()


def test_render_bad_input_and_bad_engine(tmp_path):
    bad = tmp_path / "bad.arch"
    bad.write_text("system x { server a { latency 0ms capacity -1 rps } }\n")
    out = tmp_path / "x.svg"
    r = run("render", bad, "-o", out)
    assert r.returncode == 2 and b"bad.arch:1:" in r.stderr and b"Traceback" not in r.stderr
    assert not out.exists()
    env = dict(os.environ, ARCHLANG_DOT=str(tmp_path / "no-dot"))
    r = run("render", ROOT / "examples" / "shop.arch", "-o", out, env=env)
    assert r.returncode == 2 and b"ARCHLANG_DOT" in r.stderr and b"Traceback" not in r.stderr
    assert not out.exists()
