"""What each command imports: the light commands never load numpy or the analyses."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import contextlib, io, json, os, sys
from archlang.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
print(json.dumps({"modules": sorted(sys.modules),
                  "openblas": os.environ.get("OPENBLAS_NUM_THREADS"),
                  "plugins": os.environ.get("PYDANTIC_DISABLE_PLUGINS")}))
"""

ENGINES = ["archlang.analysis.availability", "archlang.analysis.latency",
           "archlang.analysis.capacity", "archlang.analysis.montecarlo",
           "archlang.analysis.spof", "archlang.analysis.resilience"]


def imported(*args, env=None):
    r = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True,
                       text=True, env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.splitlines()[-1])


def test_version_imports_no_pydantic_lark_or_numpy():
    got = set(imported("--version")["modules"])
    assert "archlang" in got
    assert not got & {"numpy", "pydantic", "lark", "networkx", "jinja2",
                      "archlang.model.design", "archlang.analysis"}


@pytest.mark.parametrize("args", [["explain", "AL101"], ["schema"],
                                  ["fmt", "--check", "examples/shop.arch"]])
def test_light_commands_import_neither_numpy_nor_the_analyses(args):
    got = set(imported(*args)["modules"])
    assert "archlang.cli" in got
    assert not got & {"numpy", "networkx", "jinja2", *ENGINES}, args


def test_check_loads_numpy_with_openblas_on_one_thread_unless_told():
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    got = imported("check", "examples/shop.arch", env=env)
    assert "numpy" in got["modules"] and got["openblas"] == "1"
    # networkx (~70 ms) only where a graph rule has something to find (rules/structure.py)
    assert "networkx" not in got["modules"]
    got = imported("check", "examples/shop.arch", env={**env, "OPENBLAS_NUM_THREADS": "2"})
    assert got["openblas"] == "2"


def test_check_leaves_pydantic_plugins_off_unless_told():
    # no scan of every installed distribution's entry points for pydantic plugins
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    assert imported("check", "examples/shop.arch", env=env)["plugins"] == "__all__"
    got = imported("check", "examples/shop.arch", env={**env, "PYDANTIC_DISABLE_PLUGINS": ""})
    assert got["plugins"] == ""


def test_the_public_names_load_on_first_use():
    code = ("import sys, archlang; before = 'archlang.api' in sys.modules; "
            "d = archlang.loads('system t {\\n  server api\\n}\\n'); "
            "print(before, type(d).__name__, 'archlang.api' in sys.modules, "
            "'load' in dir(archlang))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.split() == ["False", "Design", "True", "True"], r.stderr


def test_render_of_a_replicated_store_needs_no_numpy(tmp_path):
    # A leader-follower database on three zones, read and written by one flow: the exact
    # engine conditions on the store's state and enumerates its nodes' states, in plain
    # Python for a store this small (analysis/quorum.py, PLAIN_NODES).
    design = tmp_path / "db.arch"
    design.write_text("""system s {
  region r1 availability 99.99% {
    zone a availability 99.95%
    zone b availability 99.95%
    zone c mtbf 90d mttr 1h
  }
  client users { latency 30ms }
  server api { replicas 3 placement r1.a, r1.b, r1.c }
  server worker { replicas 2 placement r1.c }
  database db {
    replication leader_follower followers 2 async
    availability 99.95% placement r1.a, r1.b, r1.c
  }
  api -> db
  api -> worker
  worker -> db write
  flow f rate 100 rps {
    path users -> api -> db
    path api -> worker -> db
    slo availability 99.9%
  }
}
""")
    got = set(imported("render", str(design), "-o", str(tmp_path / "db.svg"))["modules"])
    assert "archlang.analysis.quorum" in got and (tmp_path / "db.svg").exists()
    assert "numpy" not in got
