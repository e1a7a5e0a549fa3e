"""The data tier of a store: replication factor, quorums, shards, skew and key order checked
against each other (docs/analyses/data-tier.md gives their semantics)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from archlang.model import defaults as D
from archlang.model.values import ValueChecks
from archlang.span import Span
from archlang.vocabulary import ENUMS

if TYPE_CHECKING:
    from archlang.model.props import Prop
    from archlang.model.values import Fields


class DataTierMixin(ValueChecks):
    """Mixin of the design builder: a database's or cache's data-tier properties."""

    def _data_tier(self, kind: str, name: str, props: Mapping[str, Prop], f: Fields,
                   assumed: list[str]) -> None:
        """Copies, quorums and shards (docs/analyses/data-tier.md): `followers F` is F + 1
        copies; `rf`, `read_quorum`, `write_quorum` (majority defaults), `skew`, `key`."""
        sp_rep = props["replicas"].whole if "replicas" in props else None
        mode = f.get("replication")
        sharded = f.get("sharding") in ("range", "hash")
        nums: dict[str, tuple[int, Span]] = {}
        for key in ("rf", "read_quorum", "write_quorum"):
            if key in props:
                p = props[key]
                n = self.integer(p, p.values[0] if p.values else None)
                self.no_more(p, p.values, 1)
                if n is not None:
                    nums[key] = (n, p.whole)
        if "skew" in props:
            p = props["skew"]
            x = self.quantity(p, p.values[0] if p.values else None, None)
            self.no_more(p, p.values, 1)
            if x is not None and x < 1:
                self.error(p.values[0].span, f"'skew' is the hottest shard's load over the "
                                             f"mean, at least 1, found {p.values[0].text!r}")
            elif x is not None:
                f["skew"] = x
        if "key" in props:
            p = props["key"]
            f["key_order"] = self.name(p, p.values[0] if p.values else None, ENUMS["key"])
            self.no_more(p, p.values, 1)
        fo_span: Span | None = f.pop("_followers_span", None)
        rep_failover = f.pop("_replication_failover", None)
        if nums and mode in ("leader_follower", "multi_leader", "none"):
            key, (_, sp) = next(iter(nums.items()))
            if mode == "none" and "replication" not in assumed:
                self.error(sp, f"'{key}' needs copies, but the store says 'replication none'",
                           "write replication leaderless rf N, or leave replication out")
                return
            if mode in ("leader_follower", "multi_leader"):
                self.error(sp, f"'{key}' applies to a leaderless store, not to {mode}",
                           "a leader-follower store has followers F + 1 copies: "
                           "write `followers F`, or replication leaderless rf N")
                return
        if mode in ("leader_follower", "multi_leader"):
            copies = f.get("followers", 0) + 1 if "followers" in f else None
            if sharded:
                if copies is None:
                    copies = min(3, f.get("replicas", 3)) if "replicas" in f else 2
                    f["followers"] = copies - 1
                    assumed.append("followers")
                if "replicas" not in f:
                    f["replicas"] = copies
                if copies > f["replicas"]:
                    assert sp_rep is not None       # `replicas` set f["replicas"]
                    self.error(fo_span or sp_rep, f"{copies} copies of each shard need at "
                                                  f"least {copies} nodes, found replicas "
                                                  f"{f['replicas']}")
                    return
            else:
                if copies is None:
                    if "replicas" in f and f["replicas"] >= 2:
                        copies = f["replicas"]
                    else:
                        copies = 2
                        assumed.append("followers")
                    f["followers"] = copies - 1
                if "replicas" in f and f["replicas"] != copies:
                    assert sp_rep is not None       # `replicas` set f["replicas"]
                    self.error(sp_rep,
                               f"'replicas {f['replicas']}' disagrees with 'followers "
                               f"{copies - 1}': a leader and {copies - 1} followers are "
                               f"{copies} copies",
                               f"write replicas {copies}, or leave replicas out")
                    return
                f["replicas"] = copies
            f["rf"] = copies
            if f.get("min_replicas", 1) != 1:
                assert sp_rep is not None           # `replicas N min K` set min_replicas
                self.error(sp_rep, f"'min' does not apply to {mode} replication",
                           "reads need one copy up, writes what the sync mode says: "
                           "drop min")
            if "failover_s" not in f:
                f["failover_s"] = D.FAILOVER_S
                assumed.append("failover_s")
            if mode == "multi_leader" and rep_failover:
                self.error(sp_rep or fo_span or props["replication"].whole,
                           "'failover' does not apply to multi_leader: every copy is a leader")
            return
        # A sharded database that declares no replication keeps rf copies of each shard
        # (data-tier.md: rf defaults to 3 when sharded); a sharded cache keeps one (a
        # memcached ring) unless it declares copies.
        leaderless = (mode == "leaderless" or bool(nums)
                      or (kind == "database" and sharded and "replication" in assumed))
        if not leaderless and not sharded:
            return
        if mode in (None, "none") and leaderless:
            f["replication"] = "leaderless"
            if "replication" in assumed:
                assumed.remove("replication")
        if "replicas" not in f and "rf" in nums:
            f["replicas"] = nums["rf"][0]        # nodes left out: one per copy
        nodes = f.get("replicas", 1)
        # Sharded without copies: each shard on one node (memcached, a plain split).
        default_rf = (min(3, nodes) if sharded else nodes) if leaderless else 1
        if "rf" in nums:
            rf, sp = nums["rf"]
            if rf > nodes:
                self.error(sp, f"'rf {rf}' needs at least {rf} nodes, found replicas {nodes}",
                           f"write replicas {rf} or more, or a smaller rf")
                return
        else:
            rf = default_rf
            if leaderless:
                assumed.append("rf")
        f["rf"] = rf
        majority = rf // 2 + 1
        for key in ("read_quorum", "write_quorum"):
            if key in nums:
                q, sp = nums[key]
                if q > rf:
                    self.error(sp, f"'{key} {q}' is more than the rf {rf} copies",
                               f"a quorum is between 1 and {rf}")
                    return
                f[key] = q
            else:
                f[key] = majority if leaderless else 1
                if leaderless:
                    assumed.append(key)
        if f.get("mode") == "active_passive":
            assert sp_rep is not None               # `replicas N active_passive` set it
            self.error(sp_rep, "a sharded or leaderless store has no standby",
                       "every node serves its shards: drop active_passive")
        if f.get("min_replicas", 1) != 1:
            assert sp_rep is not None               # `replicas N min K` set min_replicas
            self.error(sp_rep, "'min' does not apply to a sharded or leaderless store",
                       "availability comes from the quorums of each shard: "
                       "read_quorum / write_quorum")
