"""Golden error messages: every bad input in tests/data/errors/NAME.arch is checked by the
CLI, run as a subprocess, and its whole stderr must equal NAME.expected (rewritten when
ARCHLANG_ACCEPT=1; review the diff). Files under _inc/ are imported by the cases.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

import archlang

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "data" / "errors"
NAMES = sorted(p.stem for p in CASES.glob("*.arch"))
ACCEPT = os.environ.get("ARCHLANG_ACCEPT") == "1"


def run_check(*args: str, cwd: Path = CASES) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "archlang.cli", "check", *args], cwd=cwd,
                          capture_output=True, text=True, env=env)


def test_there_are_at_least_20_kinds_of_bad_input():
    assert len(NAMES) >= 20


@pytest.mark.parametrize("name", NAMES)
def test_golden_error(name):
    r = run_check(f"{name}.arch")
    expected_file = CASES / f"{name}.expected"
    if ACCEPT:
        expected_file.write_text(r.stderr, encoding="utf-8")
    assert "Traceback" not in r.stderr
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    assert r.stderr == expected_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_api_raises_the_same_message(name):
    """archlang.load raises an ArchlangError whose text is what the CLI prints."""
    cwd = os.getcwd()
    os.chdir(CASES)
    try:
        with pytest.raises(archlang.ArchlangError) as e:
            archlang.load(f"{name}.arch")
    finally:
        os.chdir(cwd)
    printed = (CASES / f"{name}.expected").read_text(encoding="utf-8")
    assert printed.startswith(str(e.value) + "\n")


def _caret_lines(text: str):
    """(source line, caret line) pairs of a rendered message."""
    lines = text.splitlines()
    for a, b in itertools.pairwise(lines):
        if " | " in a and b.strip().startswith("|") and "^" in b:
            yield a.split(" | ", 1)[1], b.split("| ", 1)[1]


@pytest.mark.parametrize("name", NAMES)
def test_carets_point_into_the_source_line(name):
    """A caret run starts at the column of the message and stays on the shown line."""
    text = (CASES / f"{name}.expected").read_text(encoding="utf-8")
    for src, caret in _caret_lines(text):
        col = caret.index("^")
        width = len(caret) - col
        assert caret[col:] == "^" * width
        assert col <= len(src)        # at most one past the end (an unclosed block)
        assert col + width <= max(len(src), col + 1)


def test_carets_cover_the_offending_word():
    text = (CASES / "misspelt_property.expected").read_text(encoding="utf-8")
    pairs = list(_caret_lines(text))
    words = [src[c.index("^"):len(c)] for src, c in pairs]
    assert words == ["min 3", "availabilty"]


def test_a_directory_is_walked_for_designs(tmp_path):
    # `check DIR` reads the *.arch files under it (ruff's convention); none is a warning
    r = run_check(".", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == ""
    assert r.stderr == "archlang: warning: no *.arch file under .\n"
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.arch").write_text("system x {\n  api -> db\n}\n")
    r = run_check(".", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith("sub/x.arch:2:3: error: unknown component 'api'\n")


def test_a_missing_file():
    r = run_check("no-such-design.arch")
    assert r.returncode == 2
    assert r.stderr == ("no-such-design.arch:1:1: error: cannot read 'no-such-design.arch': "
                        "no such file\narchlang: 1 file with errors\n")


def test_a_binary_file(tmp_path):
    (tmp_path / "x.arch").write_bytes(b"system x {\x00\x01\x02}")
    r = run_check("x.arch", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == ("x.arch:1:11: error: the file is binary, not text (it holds a NUL byte)\n"
                        "  hint: give a design file (.arch) written as UTF-8 text\n"
                        "archlang: 1 file with errors\n")


def test_errors_of_several_files_are_all_reported():
    r = run_check("empty.arch", "zero_rate.arch", "only_comments.arch")
    assert r.returncode == 2
    assert r.stderr.endswith("archlang: 3 files with errors\n")
    assert r.stderr.count(": error: ") == 3


def test_every_error_of_a_file_is_reported():
    text = (CASES / "many_errors.expected").read_text(encoding="utf-8")
    assert text.count(": error: ") >= 6
