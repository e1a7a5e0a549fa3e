"""What-if overrides (``--down``) as the engines see them, and the keys of the units they force.

Unit keys: ("c", component) for a component's group, ("d", "region" or "region.zone") for a
failure domain. The names are resolved once, by ``archlang.analysis.down``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from archlang.analysis.down import Down, as_down
from archlang.model.design import Design

#: A unit the engines condition on or force: ("c", component) or ("d", domain key).
UnitKey = tuple[str, str]
#: What an override does to a component's group: "up" (every replica up, no failover
#: downtime) or "down" (every replica down).
ComponentForce = Literal["up", "down"]
#: What an override does to a failure domain: 1 (up) or 0 (down).
DomainForce = Literal[0, 1]
#: The value of an override: a ComponentForce for ("c", name), a DomainForce for ("d", key).
Forced = ComponentForce | DomainForce
#: Overrides as the engines take them (``--down`` and what-ifs), unit key -> forced state.
Overrides = Mapping[UnitKey, Forced]


# The names are resolved once, by archlang.analysis.down. The engines see forced units as
# overrides: a component ("c", name) -> "down" (every replica down), a zone or region
# ("d", key) -> 0. A forced-down replica ``name[i]`` is a failure domain of its own, named
# "name[i]", that holds that replica only and is forced down: ``component_models`` adds it to
# the replica's domains and ``down_overrides`` forces it to 0, so every engine (exact, Monte
# Carlo, the structural cut sets) treats the replica as down without a special case.
def down_overrides(down: Down) -> dict[UnitKey, Forced]:
    """The engines' overrides for the units of ``down``."""
    forced: dict[UnitKey, Forced] = {("c", c): "down" for c in sorted(down.components)}
    for d in sorted(down.zones | down.regions):
        forced[("d", d)] = 0
    for c, i in sorted(down.replicas):
        forced[("d", replica_domain(c, i))] = 0
    return forced


def replica_domain(component: str, index: int) -> str:
    """The failure domain of its own that a forced-down replica (0-based index) is put in."""
    return f"{component}[{index + 1}]"


def resolve_down(design: Design, names: Sequence[str] | Down) -> dict[UnitKey, Forced]:
    """--down names -> the engines' overrides (``archlang.analysis.down.resolve_down`` does
    the resolution and raises DesignError for unknown or ambiguous names)."""
    return down_overrides(as_down(design, names))


def component_force(forced: Forced | None) -> ComponentForce | None:
    """An override read at a component's key, as the component's force (a domain's 0 or 1
    is never stored under a component's key)."""
    return forced if isinstance(forced, str) else None
