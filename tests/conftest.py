"""Fixtures shared by the tests (the stages' own helpers stay in their test modules).

- ``root``: the checkout; ``examples``: every examples/*.arch, sorted;
- ``cli``: run ``archlang`` as a user does (a subprocess of this interpreter), text out;
- ``analysed``: an example's (design, result), analysed once per session and shared
  (the analyses are deterministic, so sharing changes nothing but the time).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def examples() -> list[Path]:
    return sorted((ROOT / "examples").glob("*.arch"))


@pytest.fixture(scope="session")
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: object, cwd: Path | None = None, input: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "archlang", *map(str, args)],
                              capture_output=True, text=True, cwd=cwd or ROOT, input=input,
                              env=env)
    return run


@pytest.fixture(scope="session")
def analysed() -> Callable[[str], tuple[object, object]]:
    import archlang

    cache: dict[str, tuple[object, object]] = {}

    def get(name: str) -> tuple[object, object]:
        if name not in cache:
            design = archlang.load(ROOT / "examples" / name)
            cache[name] = (design, archlang.analyze(design))
        return cache[name]
    return get
