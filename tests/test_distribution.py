"""What a user installs: declared dependencies and their bounds, the packaging metadata,
the pre-commit hooks and the GitHub Action. (.ci/run builds the wheel, installs it outside
the checkout, installs the lowest declared versions and runs `pre-commit try-repo`.)"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import yaml  # pre-commit's own dependency (dev extra)

ROOT = Path(__file__).resolve().parents[1]
if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# import name -> distribution name, where they differ
DIST = {"yaml": "pyyaml", "markdown_it": "markdown-it-py", "graphviz_pure": "graphviz-pure",
        "tomli": "tomli"}


def _declared(reqs):
    return {re.split(r"[\s<>=;\[]", r, maxsplit=1)[0].lower() for r in reqs}


def test_every_third_party_import_of_the_package_is_declared_with_a_lower_bound():
    stdlib = set(sys.stdlib_module_names)
    found = set()
    for py in (ROOT / "archlang").rglob("*.py"):
        for node in ast.walk(ast.parse(py.read_text())):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    third = {m for m in found if m not in stdlib and m != "archlang"}
    runtime = PYPROJECT["project"]["dependencies"]
    declared = _declared(runtime) | _declared(
        PYPROJECT["project"]["optional-dependencies"].get("lsp", []))
    missing = {m for m in third if DIST.get(m, m).replace("_", "-").lower() not in declared}
    # optional integrations imported lazily and guarded (Jupyter, editors) may live in extras
    extras = set()
    for reqs in PYPROJECT["project"]["optional-dependencies"].values():
        extras |= _declared(reqs)
    assert {m for m in missing if DIST.get(m, m).lower() not in extras} == set()
    assert "markupsafe" in declared                     # the HTML report imports Markup
    for r in runtime:
        assert ">=" in r, f"{r}: every dependency declares its lowest version"
    assert any(r.startswith("pydantic>=2.8") for r in runtime)   # ser_json_inf_nan


def test_metadata_license_urls_classifiers():
    from archlang.about import PROJECT_URL

    project = PYPROJECT["project"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert project["license"] == {"text": "MIT"}
    assert "License :: OSI Approved :: MIT License" in project["classifiers"]
    assert project["urls"]["Homepage"] == PROJECT_URL
    assert all(u.startswith(PROJECT_URL) for u in project["urls"].values())
    py = {c.rsplit(":: ", 1)[1] for c in project["classifiers"]
          if re.match(r"Programming Language :: Python :: 3\.\d+$", c)}
    assert min(py, key=lambda v: tuple(map(int, v.split(".")))) == \
        project["requires-python"].removeprefix(">=")


def test_pre_commit_hooks():
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"archlang-check", "archlang-fmt"}
    for h in hooks.values():
        assert h["files"] == r"\.arch$" and h["language"] == "python"
        assert re.search(h["files"], "designs/shop.arch")
        assert not re.search(h["files"], "designs/shop.arch.bak")
    # the entries are real commands: run them as pre-commit would (entry + file names)
    good = ROOT / "examples" / "shop.arch"
    for h in hooks.values():
        cmd = h["entry"].split()
        args = [*cmd[1:], "--check"] if h["id"] == "archlang-fmt" else cmd[1:]
        r = subprocess.run([sys.executable, "-m", "archlang", *args, str(good)],
                           capture_output=True, text=True)
        assert r.returncode == 0, (h["id"], r.stdout, r.stderr)


def test_action_is_composite_installs_checks_and_uploads_sarif():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "pip install" in runs and "github.action_path" in runs
    assert "archlang check" in runs and "--format sarif" in runs
    upload = next(s for s in steps if s.get("uses", "").startswith(
        "github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    assert steps[-1]["run"].strip() == "exit ${{ steps.check.outputs.exit-code }}"


def test_ci_runs_the_distribution_jobs():
    run = (ROOT / ".ci" / "run").read_text()
    assert "pip wheel" in run and "lowest.py --dev" in run and "try-repo" in run
    r = subprocess.run([sys.executable, str(ROOT / ".ci" / "lowest.py")], capture_output=True,
                       text=True, check=True)
    pins = r.stdout.split("\n")
    assert "pydantic==2.8" in pins and "pathspec==0.10.1" in pins
