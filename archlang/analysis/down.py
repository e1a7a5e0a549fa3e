"""What-if failures (``archlang check --down NAME``): one resolution for every analyzer.

A name in ``down`` is one of

* a component ``api``: every replica of it is down;
* a replica ``api[i]``, ``i`` from 1 to ``replicas`` (the numbering of the availability
  report's units): that replica is down. Internally it is ``("api", i - 1)``;
* a zone ``region.zone``: every replica placed in it is down;
* a region ``region``: every replica placed in it, or in one of its zones, is down.

A name that is both a component and a region is ambiguous and rejected; an unknown name,
or a replica number out of range, is rejected too. All problems of one ``down`` list are
reported together in one :class:`archlang.errors.DesignError`, each diagnostic at the
design's span with a hint (did you mean ...?).

Which replicas still serve (``up_replicas``), whether a component is *alive* (at least k of
its replicas are not forced down: ``replicas n min k``, k = 1 by default and for
active_passive, the rule availability uses for a group), and where a call with
alternatives goes (``route``) are defined here once. Availability, capacity and latency all
resolve ``down`` here; capacity and latency route with ``route`` (availability needs no
route: its engines try the alternatives in order, ``g = S(t1) + (1 - S(t1)) S(t2) + ...``,
and ``serves`` is exactly "S > 0 with the forced units down and every other unit up").

Routing under ``down``. A call ``a -> b | c`` normally goes to the flow's primary
(``targets[0]`` in ``graph.flow_tree``). With units forced down, it goes to the first
alternative, in flow-tree order, whose request can still succeed (``serves``): the
alternative is alive and every hard synchronous call below it has an alternative that
serves in turn. A cache or CDN with a hit ratio above 0 serves (its hits) even when its
miss path cannot; a queue serves when it is alive (the request ends there); optional calls
never matter. When no alternative serves, the call goes to the primary, as with nothing
down: the flow fails anyway, and availability says so. With nothing down every route is
the primary, so nothing changes.

Pure functions of the design: no I/O, no state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archlang.errors import DesignError, Diagnostic, did_you_mean
from archlang.model.design import Component, Design

if TYPE_CHECKING:  # pragma: no cover
    from archlang.graph import FlowCall, FlowNode

__all__ = ["NO_DOWN", "Down", "alive", "as_down", "leader_replica", "needed_replicas",
           "resolve_down", "route", "serves", "up_replicas"]


@dataclass(frozen=True)
class Down:
    """The units forced down, resolved. ``names`` keeps the names as given, in order."""

    components: frozenset[str] = frozenset()
    zones: frozenset[str] = frozenset()              # "region.zone"
    regions: frozenset[str] = frozenset()
    replicas: frozenset[tuple[str, int]] = frozenset()  # (component, index from 0)
    names: tuple[str, ...] = field(default=(), compare=False)

    def __bool__(self) -> bool:
        return bool(self.components or self.zones or self.regions or self.replicas)

    def replica_down(self, c: Component, i: int) -> bool:
        """Is replica ``i`` (0-based) of ``c`` forced down, itself or by its zone or region?"""
        return i not in up_replicas(c, self)


#: Nothing forced down.
NO_DOWN = Down()


# ---- resolution ----------------------------------------------------------------------------
def resolve_down(design: Design, names: Iterable[str]) -> Down:
    """Resolve ``--down`` names (see the module docstring). Raises DesignError."""
    names = tuple(dict.fromkeys(names))       # a name given twice is one unit, said once
    regions = {r.name: r for r in design.regions}
    zones = {z.key for r in design.regions for z in r.zones}
    known = sorted(set(design.components) | zones | set(regions))
    comps: set[str] = set()
    zs: set[str] = set()
    rs: set[str] = set()
    reps: set[tuple[str, int]] = set()
    diags: list[Diagnostic] = []

    def error(message: str, hint: str | None) -> None:
        diags.append(Diagnostic(message=message, span=design.span, hint=hint))

    for name in names:
        if name in design.components and name in regions:
            c = design.components[name]
            r = regions[name]
            how = [f"for the {c.kind} name its replicas ({_replica_range(c)})"]
            if r.zones:
                how.append("for the region name its zones ("
                           + ", ".join(z.key for z in r.zones) + ")")
            else:
                how.append("or rename one of them")
            error(f"'{name}' for --down names both a component and a region",
                  "; ".join(how))
        elif name in design.components:
            comps.add(name)
        elif name in zones:
            zs.add(name)
        elif name in regions:
            rs.add(name)
        elif name.endswith("]") and "[" in name:
            base, _, idx = name[:-1].partition("[")
            owner = design.components.get(base)
            if owner is None:
                error(f"unknown unit '{name}' for --down",
                      did_you_mean(name, [f"{x}[{idx}]" for x in design.components]) or _WHAT)
            elif not idx.isdigit() or not 1 <= int(idx) <= owner.replicas:
                error(f"unknown replica '{name}' for --down",
                      f"{owner.kind} {base} has replicas {_replica_range(owner)} "
                      "(numbered from 1)")
            else:
                reps.add((base, int(idx) - 1))
        else:
            error(f"unknown unit '{name}' for --down", did_you_mean(name, known) or _WHAT)
    if diags:
        raise DesignError(diags)
    return Down(components=frozenset(comps), zones=frozenset(zs), regions=frozenset(rs),
                replicas=frozenset(reps), names=names)


def as_down(design: Design, down: Down | Iterable[str]) -> Down:
    """``down`` as a resolved :class:`Down` (names are resolved, a Down is kept)."""
    return down if isinstance(down, Down) else resolve_down(design, down)


_WHAT = "name a component, a replica as name[i], a zone as region.zone, or a region"


def _replica_range(c: Component) -> str:
    return f"{c.name}[1]" if c.replicas == 1 else f"{c.name}[1] to {c.name}[{c.replicas}]"


# ---- replicas and components ------------------------------------------------------------------
def up_replicas(c: Component, down: Down = NO_DOWN) -> list[int]:
    """Indices (0-based) of the replicas of ``c`` that are not forced down."""
    if not down:
        return list(range(c.replicas))
    if c.name in down.components:
        return []
    return [i for i, p in enumerate(c.replica_placements())
            if (c.name, i) not in down.replicas
            and not (p is not None and (p.region in down.regions
                                        or (p.zone is not None and p.key in down.zones)))]


def leader_replica(c: Component, down: Down = NO_DOWN) -> int:
    """Index (0-based) of the replica that takes the requests of an active_passive group, or
    the writes of a leader: replica 0, or, when it is forced down, the first replica that is
    not (the one promoted); 0 when every replica is down."""
    up = up_replicas(c, down)
    return up[0] if up else 0


def needed_replicas(c: Component) -> int:
    """k of ``replicas n min k``: 1 for active_passive, ``min`` (default 1) otherwise."""
    return 1 if c.mode == "active_passive" else c.min_replicas


def alive(c: Component, down: Down = NO_DOWN) -> bool:
    """At least k of the replicas of ``c`` are not forced down (k = ``needed_replicas``).
    A client is always alive: availability never fails one."""
    if not down or c.kind == "client":
        return True
    return len(up_replicas(c, down)) >= needed_replicas(c)


# ---- routing ---------------------------------------------------------------------------------
def serves(node: FlowNode, down: Down = NO_DOWN, _memo: dict[int, bool] | None = None) -> bool:
    """Can a request into ``node`` succeed with the ``down`` units down and all else up?
    ``_memo``: the answers so far by ``id(node)``, shared by the alternatives of one call."""
    if not down:
        return True
    memo: dict[int, bool] = {} if _memo is None else _memo
    got = memo.get(id(node))
    if got is not None:
        return got
    ok = alive(node.component, down)
    if ok and not node.ends_request and not (node.kind in ("cache", "cdn")
                                            and (node.component.hit_ratio or 0.0) > 0.0):
        ok = all(fc.optional or any(serves(t, down, memo) for t in fc.targets)
                 for fc in node.calls)
    memo[id(node)] = ok
    return ok


def route(fc: FlowCall, down: Down = NO_DOWN) -> FlowNode:
    """The target a call's load and time go to: the first alternative that ``serves`` under
    ``down``, else the primary ``targets[0]``."""
    if not down or len(fc.targets) == 1:
        return fc.targets[0]
    memo: dict[int, bool] = {}
    return next((t for t in fc.targets if serves(t, down, memo)), fc.targets[0])
