"""Components: kind defaults, each component's properties checked and normalised, its
reliability, latency, replicas, placement and replication (its data tier: ``datatier``).

Size: one builder step: every component property (the vocabulary's table) checked and turned
into the model, with the messages a user sees for each.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from archlang.errors import did_you_mean
from archlang.model import defaults as D
from archlang.model.datatier import DataTierMixin
from archlang.model.design import Component, Latency, Placement, Region
from archlang.model.props import Prop, Val, _span_over
from archlang.model.recovery import PropertyRecovery
from archlang.span import Span, span_of, tree_of
from archlang.syntax.callmods import MODIFIER_WORDS
from archlang.vocabulary import BOOL_WORDS, ENUMS, KIND_PROPERTIES, KINDS
from archlang.words import a as article

if TYPE_CHECKING:
    from archlang.model.values import Fields, Statement

#: Words that start a statement or modify a call: a component named so could not be
#: called at the start of a line (`lb -> api`) or would read as a modifier (`optional`).
RESERVED_NAMES = frozenset(KINDS) | {"system", "description", "region", "zone", "network",
                                     "defaults", "import", "flow", "path", "rate", "slo",
                                     } | set(MODIFIER_WORDS)


class Reliability(NamedTuple):
    """The reliability of a component's replica, a region or a zone, as written."""

    availability: float
    mtbf_s: float
    mttr_s: float
    assumed: list[str]              # the defaults it took: "mttr", "availability"


class ComponentsMixin(DataTierMixin, PropertyRecovery):
    """Mixin of the design builder: kind defaults and components."""

    default_nodes: list[Statement]      # the builder's, in reading order
    component_nodes: list[Statement]

    def build_defaults(self) -> dict[str, list[Prop]]:
        out: dict[str, list[Prop]] = {}
        for file, node in self.default_nodes:
            for block in map(tree_of, node.children):
                kind = str(block.children[0])
                props = self.props(file, block.children[1:], kind)
                for p in props:
                    if p.key not in KIND_PROPERTIES[kind]:
                        self._unknown_prop(kind, p)
                out.setdefault(kind, []).extend(props)
        return out
    def _reliability(self, props: Sequence[Prop], what: str) -> Reliability | None:
        """The reliability from availability / mtbf / mttr, or None."""
        by: dict[str, Prop] = {}
        for p in props:
            if p.key in ("availability", "mtbf", "mttr"):
                by.setdefault(p.key, p)
            elif p.key not in ("availability", "mtbf", "mttr"):
                self.error(p.span, f"'{p.key}' does not apply to {article(what.split()[0])}",
                           "a region or zone takes availability, or mtbf and mttr")
        mttr_s = None
        if "mttr" in by:
            p = by["mttr"]
            v = self.quantity(p, p.values[0] if p.values else None, "time")
            self.no_more(p, p.values, 1)
            mttr_s = v / 1000 if v else None
        if "mtbf" in by:
            p = by["mtbf"]
            v = self.quantity(p, p.values[0] if p.values else None, "time")
            rest = p.values[1:]
            if rest and rest[0].kind == "name" and rest[0].text == "mttr":
                m = self.quantity(Prop("mttr", rest[0].lazy_span, rest[1:], p.lazy_whole),
                                  rest[1] if len(rest) > 1 else None, "time")
                mttr_s = m / 1000 if m else mttr_s
                self.no_more(p, p.values, 3)
            else:
                self.no_more(p, p.values, 1)
            if "availability" in by:
                self.error(p.span, "give either 'availability' or 'mtbf', not both",
                           "availability = mtbf / (mtbf + mttr)")
            if v is None:
                return None
            mtbf_s = v / 1000
            assumed: list[str] = []
            if mttr_s is None:
                mttr_s, assumed = D.MTTR_S, ["mttr"]
            return Reliability(mtbf_s / (mtbf_s + mttr_s), mtbf_s, mttr_s, assumed)
        if "availability" in by:
            p = by["availability"]
            a = self.fraction(p, p.values[0] if p.values else None)
            self.no_more(p, p.values, 1)
            if a is None:
                return None
            assumed = []
            if mttr_s is None:
                mttr_s, assumed = D.MTTR_S, ["mttr"]
            mtbf_s = math.inf if a >= 1 else a * mttr_s / (1 - a)
            return Reliability(a, mtbf_s, mttr_s, assumed)
        return None
    def build_components(self, regions: Sequence[Region],
                         kind_defaults: Mapping[str, Sequence[Prop]]) -> dict[str, Component]:
        comps: dict[str, Component] = {}
        first: dict[str, Span] = {}
        for file, node in self.component_nodes:
            kind = str(node.children[0])
            name_tok = node.children[1]
            name = str(name_tok)
            sp = span_of(file, name_tok)
            body = tree_of(node.children[2]).children if len(node.children) > 2 else []
            props = self.props(file, body, kind)
            if name in RESERVED_NAMES:
                self.error(sp, f"'{name}' is a keyword and cannot name a component",
                           f"choose another name, e.g. '{name}-1' or 'main-{name}'")
                continue
            if name in first:
                self.error(sp, f"'{name}' is declared twice", f"first declared at {first[name]}")
                continue
            first[name] = sp
            c = self._component(kind, name, sp, props, kind_defaults.get(kind, []), regions)
            if c is not None:
                comps[name] = c
        return comps
    def _component(self, kind: str, name: str, sp: Span, own: Sequence[Prop],
                   inherited: Sequence[Prop], regions: Sequence[Region]) -> Component | None:
        seen: dict[str, Prop] = {}
        for p in own:
            if p.key not in KIND_PROPERTIES[kind]:
                self._unknown_prop(kind, p)
                continue
            if p.key in seen and p.key not in ("stateless", "stateful"):
                self.error(p.span, f"'{p.key}' is given twice for '{name}'",
                           f"first given at {seen[p.key].span}")
                continue
            seen[p.key] = p
        if "stateless" in seen and "stateful" in seen:
            self.error(seen["stateful"].span, "a component is either stateless or stateful")
        # A kind default applies where the component itself is silent.
        props = dict(seen)
        from_defaults: set[str] = set()
        for p in inherited:
            if p.key not in props and p.key in KIND_PROPERTIES[kind]:
                if p.key in ("mtbf", "availability") and ({"mtbf", "availability"} & set(seen)):
                    continue
                props[p.key] = p
                from_defaults.add(p.key)

        f: Fields = {"name": name, "kind": kind, "span": sp}
        assumed: list[str] = []

        if "description" in props:
            p = props["description"]
            if not p.values or p.values[0].kind != "string":
                self.error(p.whole, "'description' needs a quoted string")
            else:
                f["description"] = p.values[0].text
            self.no_more(p, p.values, 1)

        rel = self._reliability([props[k] for k in ("availability", "mtbf", "mttr") if k in props],
                                f"{kind} {name}")
        if rel is None:
            a = D.AVAILABILITY[kind]
            mttr = D.MTTR_S
            rel = Reliability(a, math.inf if a >= 1 else a * mttr / (1 - a), mttr,
                              ["availability"] if kind != "client" else [])
            if kind != "client":
                rel.assumed.append("mttr")
        f["availability"], f["mtbf_s"], f["mttr_s"] = rel.availability, rel.mtbf_s, rel.mttr_s
        assumed += rel.assumed

        if "latency" in props:
            lat = self._latency(props["latency"])
            # On an error, go on with the default so that later errors are reported too.
            f["latency"] = lat or _latency_of(D.LATENCY_MS[kind], D.LATENCY_MS[kind])
        else:
            ms = D.LATENCY_MS[kind]
            f["latency"] = _latency_of(ms, ms)
            assumed.append("latency")

        if "error_rate" in props:
            p = props["error_rate"]
            f["error_rate"] = self.fraction(p, p.values[0] if p.values else None,
                                            allow_zero=True) or 0.0
            self.no_more(p, p.values, 1)

        if "capacity" in props:
            p = props["capacity"]
            f["capacity_rps"] = self.quantity(p, p.values[0] if p.values else None, "rate")
            self.no_more(p, p.values, 1)

        if "replicas" in props:
            self._replicas(props["replicas"], f, assumed, name)
        if "placement" in props:
            f["placement"] = self._placement(props["placement"], regions)

        if kind in ("cache", "cdn"):
            if "hit_ratio" in props:
                p = props["hit_ratio"]
                f["hit_ratio"] = self.fraction(p, p.values[0] if p.values else None,
                                               allow_zero=True)
                self.no_more(p, p.values, 1)
            else:
                f["hit_ratio"] = D.HIT_RATIO[kind]
                assumed.append("hit_ratio")

        for key, field_name in (("write_policy", "write_policy"), ("eviction", "eviction"),
                                ("model", "data_model"), ("delivery", "delivery"),
                                ("strategy", "strategy")):
            if key in props:
                p = props[key]
                f[field_name] = self.name(p, p.values[0] if p.values else None, ENUMS[key])
                self.no_more(p, p.values, 1)
        if "consistency" in props:
            p = props["consistency"]
            f["consistency"] = self.name(p, p.values[0] if p.values else None,
                                         ENUMS["consistency"])
            self.no_more(p, p.values, 1)
        for key in ("engine", "protocol"):
            if key in props:
                p = props[key]
                f[key] = self.name(p, p.values[0] if p.values else None)
                self.no_more(p, p.values, 1)
        for key, unit, fld in (("ttl", "time", "ttl_s"), ("memory", "size", "memory_bytes"),
                               ("size", "size", "size_bytes")):
            if key in props:
                p = props[key]
                v = self.quantity(p, p.values[0] if p.values else None, unit)
                f[fld] = (v / 1000 if v is not None and unit == "time" else v)
                self.no_more(p, p.values, 1)
        if "layer" in props:
            p = props["layer"]
            n = self.integer(p, p.values[0] if p.values else None)
            if n is not None and n not in (4, 7):
                self.error(p.values[0].span, f"'layer' is 4 or 7, found {n}")
            f["layer"] = n if n in (4, 7) else None
            self.no_more(p, p.values, 1)
        if "stateless" in props or "stateful" in props:
            p = props.get("stateful") or props["stateless"]
            f["stateful"] = p.key == "stateful"
            self.no_more(p, p.values, 0)
        if "durable" in props:
            p = props["durable"]
            if p.values:
                word = p.values[0]
                if word.kind != "name" or word.text not in BOOL_WORDS:
                    self.error(word.span, f"'durable' takes yes or no, found {word.text!r}")
                else:
                    f["durable"] = BOOL_WORDS[word.text]
            else:
                f["durable"] = True
            self.no_more(p, p.values, 1)
        if "replication" in props:
            self._replication(props["replication"], f)
        if "sharding" in props:
            p = props["sharding"]
            mode = self.name(p, p.values[0] if p.values else None, ENUMS["sharding"])
            f["sharding"] = mode
            if mode in ("range", "hash"):
                n = self.integer(p, p.values[1] if len(p.values) > 1 else None, minimum=2)
                f["shards"] = n or 1
                self.no_more(p, p.values, 2)
            else:
                self.no_more(p, p.values, 1)

        for key, value in D.KIND_SETTINGS.get(kind, {}).items():
            if key not in f:
                f[key] = value
                assumed.append(key)
        if kind in ("database", "cache"):
            self._data_tier(kind, name, props, f, assumed)
        if kind == "lb" and "mode" not in f:
            pass
        for key in from_defaults:
            if key not in assumed:
                pass  # set by the design's own `defaults` block: not assumed
        if "mttr" in assumed and f.get("mode") != "active_passive" and "mtbf" not in props:
            # MTTR only matters for a failover time or an availability from MTBF: a default
            # that changes no figure is not reported as an assumption.
            assumed.remove("mttr")
        f["assumed"] = tuple(sorted(set(assumed)))
        try:
            return Component(**f)
        except Exception as exc:  # pragma: no cover - a bug: every value was checked above
            self.error(sp, f"internal error building '{name}': {exc}")
            return None
    def _latency(self, p: Prop) -> Latency | None:
        vals = p.values
        if vals and vals[0].kind == "quantity":
            ms = self.quantity(p, vals[0], "time", allow_zero=True)
            self.no_more(p, vals, 1)
            return None if ms is None else _latency_of(ms, ms)
        got: dict[float, float] = {}
        i = 0
        while i < len(vals):
            v = vals[i]
            if v.kind != "percentile" or v.number not in (50.0, 99.0):
                self.error(v.span,
                           f"'latency' takes a time (20ms) or 'p50 T p99 T', found {v.text!r}")
                return None
            ms = self.quantity(p, vals[i + 1] if i + 1 < len(vals) else None, "time")
            if ms is None:
                return None
            if v.number in got:
                self.error(v.span, f"{v.text} is given twice")
                return None
            got[v.number] = ms
            i += 2
        if not vals:
            self.error(p.whole, "'latency' needs a time (like 20ms) or 'p50 T p99 T'")
            return None
        if set(got) != {50.0, 99.0}:
            self.error(p.whole, "'latency' with percentiles needs both p50 and p99",
                       "for example: latency p50 8ms p99 40ms")
            return None
        if got[99.0] < got[50.0]:
            self.error(p.whole, "p99 latency must not be below p50")
            return None
        return _latency_of(got[50.0], got[99.0])
    def _replicas(self, p: Prop, f: Fields, assumed: list[str], name: str) -> None:
        vals = p.values
        n = self.integer(p, vals[0] if vals else None)
        if n is None:
            return
        f["replicas"] = n
        i = 1
        min_val: Val | None = None
        while i < len(vals):
            v = vals[i]
            word = v.text if v.kind == "name" else None
            if word == "min":
                k = self.integer(Prop("min", v.lazy_span, vals, p.lazy_whole),
                                 vals[i + 1] if i + 1 < len(vals) else None)
                if k is not None:
                    f["min_replicas"] = k
                    min_val = vals[i + 1]
                    min_word = v
                i += 2
            elif word in ("active_active", "active_passive"):
                f["mode"] = word
                i += 1
            elif word == "failover":
                t = self.quantity(Prop("failover", v.lazy_span, vals, p.lazy_whole),
                                  vals[i + 1] if i + 1 < len(vals) else None, "time",
                                  allow_zero=True)
                if t is not None:
                    f["failover_s"] = t / 1000
                    f["_failover_span"] = v.span
                i += 2
            else:
                hint = did_you_mean(v.text, ["min", "active_active", "active_passive", "failover"]
                                    ) or "replicas N [min K] [active_passive failover T]"
                self.error(v.span, f"unexpected {v.text!r} in 'replicas'", hint)
                return
        fo_span = f.pop("_failover_span", None)
        if min_val is not None and f["min_replicas"] > n:
            self.error(_span_over(min_word.span, min_val.span),
                       f"'min {f['min_replicas']}' is more than the "
                                     f"{n} replica{'s' if n != 1 else ''} of '{name}'",
                       f"min must be between 1 and {n}")
            f["min_replicas"] = 1
        if f.get("mode") == "active_passive":
            if min_val is not None and f.get("min_replicas", 1) != 1:
                self.error(min_val.span, "'min' does not apply to active_passive",
                           "one active replica serves; the others stand by")
                f["min_replicas"] = 1
            if n < 2:
                self.error(p.whole, "active_passive needs at least 2 replicas")
            if "failover_s" not in f:
                f["failover_s"] = D.FAILOVER_S
                assumed.append("failover_s")
        elif fo_span is not None:
            self.error(fo_span, "'failover' applies to active_passive replicas",
                       "write: replicas 2 active_passive failover 15s")
            f.pop("failover_s", None)
    def _placement(self, p: Prop, regions: Sequence[Region]) -> tuple[Placement, ...]:
        out: list[Placement] = []
        seen: set[tuple[str, str | None]] = set()      # (region, zone) of each in out
        expect_name = True
        names = [r.name for r in regions]
        for v in p.values:
            if v.kind == "comma":
                if expect_name:
                    self.error(v.span, "unexpected ',' in 'placement'")
                expect_name = True
                continue
            if v.kind != "name":
                self.error(v.span, f"'placement' needs region.zone names, found {v.text!r}")
                continue
            if not expect_name:
                self.error(v.span, f"missing ',' before {v.text!r} in 'placement'",
                           "separate places with commas: placement us-east.a, us-east.b")
            expect_name = False
            if len(v.parts) > 2:
                self.error(v.span, f"'{v.text}' is not a region or region.zone")
                continue
            region = next((r for r in regions if r.name == v.parts[0]), None)
            if region is None:
                hint = did_you_mean(v.parts[0], names) or (
                    "declare it: region NAME { zone a }" if not names else
                    f"regions: {', '.join(names)}")
                self.error(v.span, f"unknown region '{v.parts[0]}' in placement", hint)
                continue
            zone = v.parts[1] if len(v.parts) == 2 else None
            if zone is not None and region.zone(zone) is None:
                zn = [z.name for z in region.zones]
                hint = did_you_mean(zone, zn) or (
                    f"zones of {region.name}: {', '.join(zn)}" if zn else
                    f"{region.name} declares no zones")
                self.error(v.span, f"unknown zone '{v.text}' in placement", hint)
                continue
            if (region.name, zone) in seen:
                self.error(v.span, f"'{v.text}' is listed twice in placement")
                continue
            seen.add((region.name, zone))
            out.append(_placement_of(region.name, zone))
        if not p.values:
            self.error(p.whole, "'placement' needs at least one region or region.zone")
        return tuple(out)
    def _replication(self, p: Prop, f: Fields) -> None:
        vals = p.values
        mode = self.name(p, vals[0] if vals else None, ENUMS["replication"])
        if mode is None:
            return
        f["replication"] = mode
        i = 1
        while i < len(vals):
            v = vals[i]
            if v.kind == "name" and v.text == "followers":
                n = self.integer(Prop("followers", v.lazy_span, vals, p.lazy_whole),
                                 vals[i + 1] if i + 1 < len(vals) else None, minimum=1)
                if n is not None:
                    f["followers"] = n
                    f["_followers_span"] = _span_over(v.span, vals[i + 1].span)
                i += 2
            elif v.kind == "name" and v.text in ("sync", "async", "semi_sync"):
                f["replication_sync"] = v.text != "async"
                f["sync_mode"] = v.text
                i += 1
            elif v.kind == "name" and v.text == "failover":
                t = self.quantity(Prop("failover", v.lazy_span, vals, p.lazy_whole),
                                  vals[i + 1] if i + 1 < len(vals) else None, "time",
                                  allow_zero=True)
                if t is not None:
                    f["failover_s"] = t / 1000
                    f["_replication_failover"] = True
                i += 2
            else:
                hint = did_you_mean(v.text, ["followers", "sync", "async", "semi_sync",
                                             "failover"]) or \
                    "replication MODE [followers N] [sync | semi_sync | async] [failover T]"
                self.error(v.span, f"unexpected {v.text!r} in 'replication'", hint)
                return
        if mode in ("none", "leaderless") and "followers" in f:
            self.error(f["_followers_span"], f"'followers' does not apply to "
                                             f"'replication {mode}'",
                       "a leaderless store keeps rf copies: write `rf N`" if mode == "leaderless"
                       else "use replication leader_follower followers N")
            f.pop("followers")
        if mode == "none" and len(vals) > 1 and "followers" not in f:
            self.error(vals[1].span, "'replication none' takes nothing more")
        if mode == "leaderless" and f.get("_replication_failover"):
            self.error(p.whole, "'failover' does not apply to a leaderless store",
                       "no leader is promoted: every copy takes reads and writes")
        if mode in ("leader_follower", "multi_leader") and "replication_sync" not in f:
            f["replication_sync"] = D.REPLICATION_SYNC
            f["sync_mode"] = "sync" if D.REPLICATION_SYNC else "async"


@functools.lru_cache(maxsize=1024)
def _placement_of(region: str, zone: str | None) -> Placement:
    """One frozen Placement per place, shared by every component placed there (the
    10,000-component benchmark design lists 23,000 placements of 3 zones)."""
    return Placement(region=region, zone=zone)


def _latency_of(p50_ms: float, p99_ms: float) -> Latency:
    """One frozen Latency per pair of figures, shared by the components that declare it (a
    design repeats its latencies). A zero is not shared: 0.0 and -0.0 are equal keys."""
    if not p50_ms or not p99_ms:
        return Latency(p50_ms=p50_ms, p99_ms=p99_ms)
    return _shared_latency(p50_ms, p99_ms)


@functools.lru_cache(maxsize=1024)
def _shared_latency(p50_ms: float, p99_ms: float) -> Latency:
    return Latency(p50_ms=p50_ms, p99_ms=p99_ms)
