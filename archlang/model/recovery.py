"""Misspelt-property recovery.

A property's arguments are read as a list of values by the grammar, so a misspelt property
(`replicas 2 availabilty 99%`) arrives as extra values of the property before it. These
tables and ``PropertyRecovery`` tell the two apart, split the stray name off and report it
as an unknown property with the likeliest intended one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from archlang.errors import did_you_mean
from archlang.model.props import Prop, Val, _props, _span_over
from archlang.model.values import ValueChecks
from archlang.vocabulary import KIND_PROPERTIES, PROPERTY_NAMES, SUB_WORDS
from archlang.words import a as article

if TYPE_CHECKING:
    from archlang.span import LarkItem

_FIRST_NAME = frozenset({"engine", "protocol", "consistency", "strategy", "write_policy",
                         "eviction", "model", "delivery", "durable", "replication", "sharding",
                         "key"})
# Where a stray sub-keyword belongs, for the hint.
_BELONGS = {"min": "replicas N min K", "active_active": "replicas N active_active",
            "active_passive": "replicas N active_passive failover T",
            "failover": "replicas N active_passive failover T",
            "followers": "replication leader_follower followers N sync",
            "sync": "replication leader_follower followers N sync",
            "async": "replication leader_follower followers N async",
            "semi_sync": "replication leader_follower followers N semi_sync"}


class PropertyRecovery(ValueChecks):
    """Mixin of the design builder: a block's properties, misspelt ones split off."""

    region_names: set[str]          # every declared region (the builder's)

    # ---- components ------------------------------------------------------------------------
    def props(self, file: str, nodes: Iterable[LarkItem], kind: str) -> list[Prop]:
        """The properties of a block, with misspelt properties split off and reported."""
        out = []
        for p in _props(file, nodes):
            keep = self._split_unknown(p, kind)
            if keep != len(p.values):
                last = p.values[keep - 1].span if keep else p.span
                p = Prop(p.key, p.span, p.values[:keep], _span_over(p.span, last))
            out.append(p)
        return out
    def _split_unknown(self, p: Prop, kind: str) -> int:
        """How many of ``p.values`` belong to ``p``; the name after them is reported as an
        unknown property, and so is every later name (with its own values)."""
        subs = SUB_WORDS.get(p.key, frozenset())
        cut = None
        prev = None
        for i, v in enumerate(p.values):
            if v.kind == "name":
                ok = (v.text in subs
                      or (i == 0 and p.key in _FIRST_NAME)
                      or (p.key == "placement" and self._placement_name(v, prev))
                      or (p.key == "replication" and i == 0)
                      or (p.key == "sharding" and i == 0))
                if not ok:
                    cut = i
                    break
            prev = v
        if cut is None:
            return len(p.values)
        allowed = KIND_PROPERTIES.get(kind, set(PROPERTY_NAMES))
        for v in p.values[cut:]:
            if v.kind != "name":
                continue
            if v.text in _BELONGS:
                hint = f"'{v.text}' belongs to '{_BELONGS[v.text]}'"
            else:
                hint = (did_you_mean(v.text, allowed) or did_you_mean(v.text, PROPERTY_NAMES)
                        or f"{article(kind)} takes: {', '.join(sorted(allowed))}")
            self.error(v.span, f"unknown property '{v.text}'", hint)
        return cut
    def _placement_name(self, v: Val, prev: Val | None) -> bool:
        """A name in `placement`: after a comma, first, or (a missing comma) a place."""
        if prev is None or prev.kind == "comma":
            return True
        return len(v.parts) > 1 or v.parts[0] in self.region_names
    def _unknown_prop(self, kind: str, p: Prop) -> None:
        allowed = sorted(KIND_PROPERTIES[kind])
        self.error(p.span, f"'{p.key}' does not apply to {article(kind)}",
                   f"{article(kind)} takes: {', '.join(allowed)}")
