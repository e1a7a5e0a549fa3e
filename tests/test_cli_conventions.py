"""ruff's conventions on archlang's command line, and `diff` over git revisions. Every test
runs the CLI as a subprocess (`python -m archlang`, the way pre-commit and CI call it)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
system chain {
  client users { latency 20ms }
  server api { availability 99.9% latency 5ms capacity 10000 rps }
  database db { availability 99.95% latency 3ms }
  server legacy { }
  flow read rate 50 rps {
    path users -> api -> db
    slo availability 99%
    slo latency p99 100ms
  }
}
"""
# AL421 (warning): legacy is used by no flow; AL431 (info): defaults assumed.


def run(*args, cwd=None, input=None, env=None):
    e = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "archlang", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, input=input, env=e)


def codes(stdout: str) -> list[str]:
    return sorted(set(re.findall(r": (AL\d{3}) \[", stdout)))


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "designs" / "old").mkdir(parents=True)
    (tmp_path / "designs" / "a.arch").write_text(GOOD)
    (tmp_path / "designs" / "old" / "b.arch").write_text(GOOD)
    (tmp_path / "designs" / "notes.txt").write_text("not a design")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "gen.arch").write_text("not even valid")
    (tmp_path / ".gitignore").write_text("build/\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "x.arch").write_text("invalid")
    return tmp_path


def test_check_dir_finds_arch_files_and_respects_gitignore(repo):
    r = run("check", ".", "--format", "json", cwd=repo)
    assert r.returncode == 0, r.stderr
    assert [f["path"] for f in json.loads(r.stdout)["files"]] == \
        ["designs/a.arch", "designs/old/b.arch"]
    (repo / "designs" / ".gitignore").write_text("old/\n")
    r = run("check", "--format", "json", cwd=repo)               # no PATH: the current dir
    assert [f["path"] for f in json.loads(r.stdout)["files"]] == ["designs/a.arch"]
    # a .gitignore above the walked directory applies too; a file named is always read
    r = run("check", "designs", "build/gen.arch", "--format", "concise", cwd=repo)
    assert r.returncode == 2 and "build/gen.arch:1:1: AL000" in r.stdout
    r = run("check", "designs/old", "--format", "json", cwd=repo)
    assert json.loads(r.stdout)["files"] == []
    assert "no *.arch file" in r.stderr


def test_stdin_with_a_filename(repo):
    r = run("check", "-", "--stdin-filename", "designs/piped.arch", "--format", "concise",
            input=GOOD, cwd=repo)
    assert r.returncode == 0
    assert "designs/piped.arch:5:10: AL421 [warning] no flow uses 'legacy'" in r.stdout
    r = run("check", "-", "--format", "concise", cwd=repo, input="system x {\n  api -> db\n}\n")
    assert r.returncode == 2 and "<stdin>:2:3: AL000 [error]" in r.stdout


def test_config_in_pyproject_and_archlang_toml(repo):
    base = run("check", "designs/a.arch", "--format", "concise", cwd=repo)
    assert base.returncode == 0 and codes(base.stdout) == ["AL421", "AL431"]
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.archlang]\nfail-on = "warning"\nformat = "concise"\n')
    r = run("check", "designs/a.arch", cwd=(repo / "designs"))   # found from a subdirectory
    assert r.returncode == 2                                    # designs/designs/a.arch: none
    r = run("check", "a.arch", cwd=(repo / "designs"))
    assert r.returncode == 1 and codes(r.stdout) == ["AL421", "AL431"]
    (repo / "archlang.toml").write_text(
        'ignore = ["AL43"]\nfail-on = "warning"\nformat = "concise"\n'
        '[per-file-ignores]\n"old/*.arch" = ["AL421"]\n')
    # archlang.toml wins over pyproject.toml in the same directory; patterns are relative to
    # the configuration's directory, so designs/old/b.arch is not "old/*.arch"...
    r = run("check", "designs", cwd=repo)
    assert codes(r.stdout) == ["AL421"] and r.returncode == 1
    (repo / "archlang.toml").write_text(
        'ignore = ["AL43"]\nfail-on = "warning"\nformat = "concise"\n'
        '[per-file-ignores]\n"designs/old/*.arch" = ["AL421"]\n"a.arch" = ["AL4"]\n')
    r = run("check", "designs", cwd=repo)
    assert r.returncode == 0 and codes(r.stdout) == []
    # the command line overrides the file
    # equal prefixes: ignore wins (ruff); a longer --select wins over the file's ignore
    r = run("check", "designs", "--select", "AL43", cwd=repo)
    assert codes(r.stdout) == [] and r.returncode == 0
    r = run("check", "designs", "--select", "AL431", cwd=repo)
    assert codes(r.stdout) == ["AL431"] and r.returncode == 0      # info does not fail
    r = run("check", "designs", "--isolated", "--format", "concise", cwd=repo)
    assert codes(r.stdout) == ["AL421", "AL431"] and r.returncode == 0
    # a bad configuration is invalid input, with the file and line
    (repo / "archlang.toml").write_text('select = ["AL4"]\nfail_on = "warn"\n')
    r = run("check", "designs", cwd=repo)
    assert r.returncode == 2
    assert "archlang.toml:1:1: error: unknown key 'fail_on' in the file" in r.stderr
    assert "did you mean 'fail-on'?" in r.stderr
    # ... and a finding of the report, which -o writes (code scanning shows it)
    r = run("check", "designs", "--format", "sarif", "-o", "out.sarif", cwd=repo)
    assert r.returncode == 2
    results = json.loads((repo / "out.sarif").read_text())["runs"][0]["results"]
    assert [x["ruleId"] for x in results] == ["AL000"]
    where = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert where == "archlang.toml" and "fail_on" in results[0]["message"]["text"]
    (repo / "archlang.toml").write_text('select = ["AL4"\n')
    r = run("check", "designs", cwd=repo)
    assert r.returncode == 2 and re.search(r"archlang\.toml:\d+:\d+: error: invalid TOML",
                                           r.stderr)


def test_select_ignore_exit_zero_quiet(repo):
    a = "designs/a.arch"
    r = run("check", a, "--format", "concise", "--select", "AL421", cwd=repo)
    assert codes(r.stdout) == ["AL421"]
    r = run("check", a, "--format", "concise", "--select", "AL4", "--ignore", "AL42",
            cwd=repo)
    assert codes(r.stdout) == ["AL431"]
    r = run("check", a, "--format", "concise", "--ignore", "AL421,AL431", cwd=repo)
    assert codes(r.stdout) == [] and r.stdout.strip() == "1 file: 1 pass, 0 fail; no findings"
    r = run("check", a, "--fail-on", "warning", cwd=repo)
    assert r.returncode == 1
    r = run("check", a, "--fail-on", "warning", "--exit-zero", cwd=repo)
    assert r.returncode == 0
    r = run("check", a, "--fail-on", "warning", "--ignore", "AL421", cwd=repo)
    assert r.returncode == 0                           # an ignored finding cannot fail
    r = run("check", "nope.arch", "--exit-zero", cwd=repo)
    assert r.returncode == 2                           # invalid input is never zeroed
    r = run("check", a, "-q", cwd=repo)
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and all(re.match(r"designs/a\.arch:\d+:\d+: AL4\d\d \[", x)
                                   for x in lines)
    r = run("check", a, "--select", "XY1", cwd=repo)
    assert r.returncode == 2 and "'XY1' is not a code" in r.stderr


def test_help_for_every_option_and_exit_codes_and_version():
    for cmd in ("check", "fmt", "diff", "render", "report"):
        r = run(cmd, "--help")
        assert r.returncode == 0
        opts = r.stdout.split("options:")[1]
        # every option line has words after it (its help text), on that line or the next
        entries = re.split(r"\n  (?=-)", opts)
        for e in entries[1:]:
            flag, _, rest = e.partition("  ")
            assert rest.strip() or "\n" in e, (cmd, flag)
    r = run("check", "--help")
    assert "exit codes:" in r.stdout and "  2  the input is invalid" in r.stdout
    v = run("-V")
    assert v.returncode == 0 and re.fullmatch(r"archlang \d+\.\d+\.\d+\n", v.stdout)
    m = subprocess.run([sys.executable, "-m", "archlang", "--version"], capture_output=True,
                       text=True)
    assert m.stdout == v.stdout


def test_colour_on_a_terminal_honours_no_color_and_force_color(repo):
    a = "designs/a.arch"
    plain = run("check", a, "--format", "concise", cwd=repo)
    assert "\x1b[" not in plain.stdout                       # a pipe: no colour
    forced = run("check", a, "--format", "concise", cwd=repo, env={"FORCE_COLOR": "1"})
    assert "\x1b[1;33mwarning\x1b[0m" in forced.stdout
    assert re.sub(r"\x1b\[[0-9;]*m", "", forced.stdout) == plain.stdout
    both = run("check", a, "--format", "concise", cwd=repo,
               env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in both.stdout
    # a real terminal (a pseudo-terminal) gets colour unless NO_COLOR is set
    import pty

    for env, coloured in (({}, True), ({"NO_COLOR": "1"}, False)):
        pid, fd = pty.fork()
        if pid == 0:  # pragma: no cover - the child
            os.chdir(repo)
            os.environ.pop("FORCE_COLOR", None)
            os.environ.pop("NO_COLOR", None)
            os.environ.update(env)
            os.environ["TERM"] = "xterm"
            os.execv(sys.executable, [sys.executable, "-m", "archlang", "check", a,
                                      "--format", "concise"])
        out = b""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        os.waitpid(pid, 0)
        assert (b"\x1b[1;33m" in out) == coloured, out


def test_fmt_diff_and_check_and_stdin(tmp_path):
    p = tmp_path / "d.arch"
    p.write_text("system s {\n  server   api { latency 5ms }\n}\n")
    r = run("fmt", "--diff", p)
    assert r.returncode == 1
    assert "-  server   api { latency 5ms }\n+  server api { latency 5ms }\n" in r.stdout
    assert p.read_text() == "system s {\n  server   api { latency 5ms }\n}\n"   # untouched
    assert run("fmt", "--check", p).returncode == 1
    r = run("fmt", "-", input=p.read_text())
    assert r.returncode == 0 and r.stdout == "system s {\n  server api { latency 5ms }\n}\n"
    assert run("fmt", p).returncode == 0
    r = run("fmt", "--diff", p)
    assert r.returncode == 0 and r.stdout == ""


def test_the_repository_examples_follow_fmt():
    r = run("fmt", "--check", "examples", cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


# ---- 5. diff over git revisions --------------------------------------------------------------
def _git(cwd, *args):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True, env=env).stdout


SHARED = "server api { availability 99.9% latency 5ms capacity 10000 rps REPLICAS}\n"
MAIN = """\
system chain {
  import "lib/shared.arch"
  client users { latency 20ms }
  database db { availability 99.95% latency 3ms }
  flow read rate 50 rps {
    path users -> api -> db
    slo availability 99%
  }
}
"""


@pytest.fixture
def gitrepo(tmp_path):
    g = tmp_path / "repo"
    (g / "designs" / "lib").mkdir(parents=True)
    (g / "designs" / "main.arch").write_text(MAIN)
    (g / "designs" / "lib" / "shared.arch").write_text(SHARED.replace("REPLICAS", "replicas 3 "))
    _git(g, "init", "-q", "-b", "main")
    _git(g, "add", ".")
    _git(g, "commit", "-q", "-m", "base")
    _git(g, "checkout", "-q", "-b", "feature")
    (g / "designs" / "lib" / "shared.arch").write_text(SHARED.replace("REPLICAS", ""))
    (g / "designs" / "new.arch").write_text(MAIN.replace("chain", "other"))
    _git(g, "add", ".")
    _git(g, "commit", "-q", "-m", "one replica")
    return g


def test_diff_of_two_revisions_reads_imports_from_git(gitrepo):
    # the work tree differs from both revisions: diff must not read it
    (gitrepo / "designs" / "lib" / "shared.arch").write_text("garbage")
    status_before = _git(gitrepo, "status", "--porcelain")
    r = run("diff", "main", "feature", "--format", "json", cwd=gitrepo)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    files = {(d["base"], d["head"]): d for d in doc["files"]}
    main = files[("main:designs/main.arch", "feature:designs/main.arch")]
    assert main["worse"] and main["flows"][0]["spofs_added"] == ["api"]
    # the flow's availability: 1 - 0.001 replica failure, 3 replicas in parallel vs one
    assert main["flows"][0]["availability_base"] == pytest.approx(
        (1 - 0.001 ** 3) * 0.9995, rel=1e-9)
    assert main["flows"][0]["availability_head"] == pytest.approx(0.999 * 0.9995, rel=1e-9)
    assert ("(none)", "feature:designs/new.arch") in files
    assert _git(gitrepo, "status", "--porcelain") == status_before
    # the Markdown is what a bot posts
    r = run("diff", "main", "feature", "main.arch", "--format", "markdown",
            cwd=gitrepo / "designs")
    assert r.returncode == 1
    assert r.stdout.startswith("❌ **archlang diff: worse** (`main:designs/main.arch` → "
                               "`feature:designs/main.arch`)")
    # PATHS restrict; an unknown revision is misuse
    r = run("diff", "main", "feature", "designs/new.arch", cwd=gitrepo)
    assert "new.arch" in r.stdout and "main.arch" not in r.stdout
    r = run("diff", "main", "nope", cwd=gitrepo)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "'nope' is neither a file nor a git revision" in r.stderr


def test_diff_with_an_invalid_design_reports_it_and_the_others(gitrepo):
    # a revision with a broken design: the report says it, keeps the valid files' diffs,
    # -o is written (the PR bot posts it), exit 2
    (gitrepo / "designs" / "broken.arch").write_text("system broken {\n")
    _git(gitrepo, "add", ".")
    _git(gitrepo, "commit", "-q", "-m", "broken")
    r = run("diff", "main", "feature", "--format", "markdown", "-o", "diff.md", cwd=gitrepo)
    assert r.returncode == 2
    md = (gitrepo / "diff.md").read_text()
    assert md.startswith("⛔ **archlang diff: invalid input** (`feature:designs/broken.arch`)")
    assert "feature:designs/main.arch" in md          # the valid file's diff is kept
    assert "no change" not in md                      # unchanged files are not listed
    r = run("diff", "main", "feature", "--format", "json", cwd=gitrepo)
    doc = json.loads(r.stdout)
    assert r.returncode == 2 and doc["worse"]
    assert [x["name"] for x in doc["invalid"]] == ["feature:designs/broken.arch"]
    assert doc["invalid"][0]["diagnostics"][0]["line"] >= 1
    r = run("diff", "main", "feature", cwd=gitrepo)
    assert r.returncode == 2 and "verdict: INVALID" in r.stdout


def test_diff_rev_path_against_a_file(gitrepo):
    (gitrepo / "designs" / "lib" / "shared.arch").write_text(
        SHARED.replace("REPLICAS", "replicas 3 "))
    r = run("diff", "main:designs/main.arch", "designs/main.arch", cwd=gitrepo)
    assert r.returncode == 0, r.stderr
    assert "archlang diff main:designs/main.arch -> designs/main.arch" in r.stdout
    assert "no change in the figures" in r.stdout
    r = run("diff", "feature:./main.arch", "main.arch", cwd=gitrepo / "designs")
    assert r.returncode == 0 and "-api" in r.stdout       # the file has 3 replicas again
    r = run("diff", "main:designs/missing.arch", "designs/main.arch", cwd=gitrepo)
    assert r.returncode == 2 and "does not exist in 'main'" in r.stderr
