"""Print pip pins of the lowest versions pyproject.toml declares: `name==bound` per `>=`.

`--dev` pins the dev extra too. Markers are kept (a pin for Python < 3.11 only is skipped by
pip elsewhere). Used by .ci/run's lowest-versions job."""

import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

doc = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
reqs = list(doc["project"]["dependencies"])
if "--dev" in sys.argv:
    reqs += doc["project"]["optional-dependencies"]["dev"]
for req in reqs:
    spec, _, marker = req.partition(";")
    m = re.fullmatch(r"\s*([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([^,\s]+)\s*", spec)
    if not m:
        sys.exit(f"no lower bound in {req!r}: every dependency declares one")
    print(f"{m.group(1)}=={m.group(2)}" + (f"; {marker.strip()}" if marker else ""))
