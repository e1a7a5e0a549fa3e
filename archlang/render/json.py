"""`archlang check --format json`: the stable contract of interfaces.md, sorted keys."""

from __future__ import annotations

import json

from archlang.model.design import Design


def design_json(design: Design) -> dict:
    return {
        "path": design.path,
        "system": design.name,
        "flows": [{"name": f.name, "rate_rps": f.rate_rps} for f in design.flows.values()],
        "components": [{"name": c.name, "kind": c.kind, "replicas": c.replicas}
                       for c in design.components.values()],
        "assumed": [{"construct": what, "field": fld, "line": sp.line, "column": sp.column}
                    for what, fld, sp in design.assumptions()],
        "findings": [],
    }


def render_json(designs: list[Design]) -> str:
    doc = {"version": 1, "files": [design_json(d) for d in designs], "status": "pass"}
    return json.dumps(doc, indent=2, sort_keys=True, allow_nan=False) + "\n"
