"""Failure domains and the network: regions, their zones, and the links between regions."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from archlang.errors import did_you_mean
from archlang.model import defaults as D
from archlang.model.components import ComponentsMixin
from archlang.model.design import Network, Region, Zone
from archlang.model.props import Prop, _val_from
from archlang.span import Span, is_tree, span_of, tree_of

if TYPE_CHECKING:
    from archlang.model.values import Statement
    from archlang.span import LarkItem


class DomainsMixin(ComponentsMixin):
    """Mixin of the design builder: regions, zones and the network. A domain's reliability
    is read as a component's is (``ComponentsMixin._reliability``)."""

    region_nodes: list[Statement]       # the builder's, in reading order
    network_nodes: list[Statement]

    # ---- failure domains -------------------------------------------------------------------
    def _domain_props(self, file: str, props_nodes: Iterable[LarkItem], what: str
                      ) -> tuple[float, list[str], float]:
        props = []
        for p in map(tree_of, props_nodes):
            key_tok = p.children[0]
            values = [_val_from(file, c) for c in p.children[1:]]
            props.append(Prop(str(key_tok), span_of(file, key_tok), values, span_of(file, p)))
        got = self._reliability(props, what)
        if got is None:
            return D.DOMAIN_AVAILABILITY, ["availability"], math.inf
        # the default MTTR is an assumption where it turns an MTBF into an availability
        uses_mtbf = any(p.key == "mtbf" for p in props)
        return (got.availability, [f for f in got.assumed if f == "mttr" and uses_mtbf],
                got.mtbf_s)
    def build_regions(self) -> list[Region]:
        regions: list[Region] = []
        seen: dict[str, Span] = {}
        for file, node in self.region_nodes:
            name_tok = node.children[0]
            name = str(name_tok)
            sp = span_of(file, name_tok)
            if name in seen:
                self.error(sp, f"region '{name}' is declared twice",
                           f"first declared at {seen[name]}")
                continue
            seen[name] = sp
            self.region_names.add(name)
            dprops = [c for c in map(tree_of, node.children[1:]) if c.data == "domain_prop"]
            avail, assumed, mtbf = self._domain_props(file, dprops, f"region {name}")
            zones: list[Zone] = []
            zseen: dict[str, Span] = {}
            for body in (c for c in map(tree_of, node.children[1:]) if c.data == "region_body"):
                for z in map(tree_of, body.children):
                    zname_tok = z.children[0]
                    zname = str(zname_tok)
                    zsp = span_of(file, zname_tok)
                    if zname in zseen:
                        self.error(zsp, f"zone '{name}.{zname}' is declared twice",
                                   f"first declared at {zseen[zname]}")
                        continue
                    zseen[zname] = zsp
                    za, zassumed, zmtbf = self._domain_props(file, z.children[1:],
                                                             f"zone {name}.{zname}")
                    zones.append(Zone(name=zname, region=name, availability=za, span=zsp,
                                      assumed=tuple(zassumed), mtbf_s=zmtbf))
            regions.append(Region(name=name, availability=avail, zones=tuple(zones), span=sp,
                                  assumed=tuple(assumed), mtbf_s=mtbf))
        return regions
    # ---- network ---------------------------------------------------------------------------
    def build_network(self, regions: Sequence[Region]) -> Network:
        values: dict[str, float] = {}
        pairs: dict[str, float] = {}
        span: Span | None = None
        names = [r.name for r in regions]
        seen: dict[str, Span] = {}
        for file, node in self.network_nodes:
            span = span or span_of(file, node)
            for item in (c for c in node.children if is_tree(c)):
                if item.data == "net_setting":
                    key_tok, q = item.children
                    key = str(key_tok)
                    prop = Prop(key, span_of(file, key_tok), [_val_from(file, q)],
                                span_of(file, item))
                    if key in seen:
                        self.error(prop.span, f"'{key}' is given twice",
                                   f"first given at {seen[key]}")
                        continue
                    seen[key] = prop.span
                    v = self.quantity(prop, prop.values[0], "time", allow_zero=True)
                    if v is not None:
                        values[key] = v
                else:
                    a, b, q = item.children
                    ok = True
                    for tok in (a, b):
                        if str(tok) not in names:
                            ok = False
                            self.error(span_of(file, tok), f"unknown region '{tok}'",
                                       did_you_mean(str(tok), names) or
                                       "declare it with `region NAME { zone a }`")
                    prop = Prop("<->", span_of(file, item), [_val_from(file, q)],
                                span_of(file, item))
                    v = self.quantity(prop, prop.values[0], "time", allow_zero=True)
                    if str(a) == str(b):
                        self.error(span_of(file, item),
                                   "a region pair needs two different regions",
                                   "latency inside a region is cross_zone")
                        ok = False
                    key = Network.pair_key(str(a), str(b))
                    if key in pairs:
                        self.error(span_of(file, item),
                                   f"latency between {a} and {b} is given twice")
                    elif ok and v is not None:
                        pairs[key] = v
        assumed = [k for k in ("same_zone", "cross_zone", "cross_region") if k not in values]
        if not any(r.zones for r in regions) and "cross_zone" in assumed:
            assumed.remove("cross_zone")       # nothing to assume when there are no zones
        if len(regions) < 2 and "cross_region" in assumed:
            assumed.remove("cross_region")
        if not regions and "same_zone" in assumed and not self.network_nodes:
            pass
        return Network(
            same_zone_ms=values.get("same_zone", D.NETWORK_MS["same_zone"]),
            cross_zone_ms=values.get("cross_zone", D.NETWORK_MS["cross_zone"]),
            cross_region_ms=values.get("cross_region", D.NETWORK_MS["cross_region"]),
            pairs=dict(sorted(pairs.items())), span=span, assumed=tuple(assumed))
