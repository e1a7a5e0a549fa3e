import subprocess
import sys
from pathlib import Path

import archlang

ROOT = Path(__file__).resolve().parents[1]


def test_shop_loads():
    d = archlang.load(ROOT / "examples" / "shop.arch")
    assert d.name == "shop"
    assert d.components["api"].replicas == 6
    assert d.components["api"].min_replicas == 4
    assert d.components["api"].availability == 0.999


def test_cli_bad_input_exits_2(tmp_path):
    bad = tmp_path / "bad.arch"
    bad.write_text("system x {\n  api -> db\n}\n")
    r = subprocess.run([sys.executable, "-m", "archlang.cli", "check", str(bad)],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "bad.arch:2:3: error: unknown component 'api'" in r.stderr
    assert "Traceback" not in r.stderr
