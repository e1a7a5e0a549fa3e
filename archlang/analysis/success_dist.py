"""Distributions of S, the success fraction of one request below a node of the flow tree.

A distribution is a finite map value -> probability (caches make S fractional). The exact
engine (``archlang.analysis.exact``) multiplies independent subtrees' distributions, maps
them through a cache or a repeated call and scales them by a component's up-probability.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from archlang.analysis.resilience import Classes

#: A node's distribution of S keeps at most this many distinct values; beyond, values are
#: merged onto a 1e-12 grid (an error of at most 1e-12 per merge in A). Never reached by
#: designs with fewer than ~12 independent caches under one node.
SUPPORT_LIMIT = 4096


#: The values of a distribution the exact engine keeps: S itself (a float), or the request
#: classes of the request engine (``archlang.analysis.resilience``), which round alike.
V = TypeVar("V", float, "Classes")

#: The distribution of S: value -> probability.
Dist = dict[float, float]

ONE: Dist = {1.0: 1.0}
ZERO: Dist = {0.0: 1.0}


def clean(d: dict[V, float]) -> dict[V, float]:
    """``d``, its values merged on a 1e-12 grid when it has more than SUPPORT_LIMIT."""
    if len(d) > SUPPORT_LIMIT:
        merged: dict[V, float] = {}
        for v, p in d.items():
            k = round(v, 12)
            merged[k] = merged.get(k, 0.0) + p
        return merged
    return d


def dmap(d: Dist, fn: Callable[[float], float]) -> Dist:
    out: Dist = {}
    for v, p in d.items():
        w = fn(v)
        out[w] = out.get(w, 0.0) + p
    return out


def power(d: Dist, n: int) -> Dist:
    """Distribution of S ** n: a call made n times, each time in the same state."""
    return dmap(d, lambda x: x ** n)


def times(x: Dist, y: Dist) -> Dist:
    if len(x) == 1 and 1.0 in x:
        return y
    if len(y) == 1 and 1.0 in y:
        return x
    out: Dist = {}
    for v, p in x.items():
        for w, q in y.items():
            z = v * w
            out[z] = out.get(z, 0.0) + p * q
    return clean(out)


def scale(u: float, rest: Dist) -> Dist:
    """Distribution of U * rest, U ~ Bernoulli(u) independent of rest."""
    if u >= 1.0:
        return rest
    if u <= 0.0:
        return ZERO
    out: Dist = {v: u * p for v, p in rest.items()}
    out[0.0] = out.get(0.0, 0.0) + (1.0 - u)
    return out


def cache_success(h: float, v: float) -> float:
    return 1.0 if v == 1.0 else h + (1.0 - h) * v


def mean(d: Dist) -> float:
    return math.fsum(v * p for v, p in d.items())
