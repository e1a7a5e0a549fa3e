"""Small numeric helpers for the latency analysis: Erlang C, percentiles, confidence intervals.

Pure functions. numpy is imported inside the functions that need it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from archlang.analysis.arrays import FloatArray

Z95 = 1.959963984540054        # standard normal quantile at 0.975 (two-sided 95%)


def erlang_c(c: int, a: float) -> float:
    """P(an arrival waits) in an M/M/c queue with ``c`` servers and offered load ``a = λ/μ``.

    Through the Erlang B recursion ``B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1))``, then
    ``C = c B(c) / (c - a (1 - B(c)))``; numerically stable for large ``c``. Needs ``a < c``.
    """
    if c < 1:
        raise ValueError("an M/M/c queue needs at least one server")
    if a <= 0.0:
        return 0.0
    if a >= c:
        return 1.0
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1.0 - b))


def mmc_mean_wait(c: int, lam: float, mu: float) -> float:
    """Mean waiting time in queue, ``W_q = C(c, λ/μ) / (cμ - λ)`` (time unit of 1/μ)."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


def quantile_sorted(x: FloatArray | Sequence[float], q: float) -> float:
    """The ``q``-quantile (0..1) of sorted samples, numpy's default 'linear' method.

    ``h = (n - 1) q``; ``x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])``.
    """
    n = len(x)
    if n == 1:
        return float(x[0])
    h = (n - 1) * q
    lo, hi = _linear_positions(n, q)
    return float(x[lo] + (h - lo) * (x[hi] - x[lo]))


def _linear_positions(n: int, q: float) -> tuple[int, int]:
    """The two positions of the sorted samples that :func:`quantile_sorted` reads."""
    lo = math.floor((n - 1) * q)
    return lo, min(lo + 1, n - 1)


def _ci_positions(n: int, q: float, z: float = Z95) -> tuple[int, int]:
    """The two positions of the sorted samples that :func:`quantile_ci_halfwidth` reads."""
    s = z * math.sqrt(n * q * (1.0 - q))
    j = min(max(math.floor(n * q - s), 1), n)
    k = min(max(math.ceil(n * q + s), 1), n)
    return j - 1, k - 1


def sorted_where_read(a: FloatArray, quantiles: Iterable[float],
                      intervals: Iterable[float] = ()) -> FloatArray:
    """``a`` partitioned (``np.partition``) so that each position that
    ``quantile_sorted(x, q)`` (q in ``quantiles``) and ``quantile_ci_halfwidth(x, q)``
    (q in ``intervals``) reads holds what ``np.sort(a)`` holds there: the same figures
    without sorting every sample (a third of a flow's time after its draws)."""
    import numpy as np

    n = len(a)
    at = {i for q in quantiles for i in _linear_positions(n, q)}
    if n >= 2:
        at.update(i for q in intervals for i in _ci_positions(n, q))
    return np.partition(a, sorted(at))


def quantile_linear(a: FloatArray, q: float) -> float:
    """``float(np.quantile(a, q))`` (its default 'linear' method) bit for bit, for a 1-d
    array: the same two order statistics (``np.partition``) and numpy's interpolation
    (``a + d g``, or ``b - d (1 - g)`` from ``g = 0.5`` on), a NaN anywhere giving NaN.
    np.quantile itself calls np.unique, whose first call imports numpy.ma (~13 ms of a
    cold `archlang check`)."""
    import numpy as np

    n = len(a)
    h = (n - 1) * q
    if h >= n - 1:
        lo = hi = -1
    elif h < 0:
        lo = hi = 0
    else:
        lo = math.floor(h)
        hi = lo + 1
    part = np.partition(a, sorted({lo % n, hi % n, n - 1}))
    if np.isnan(part[-1]):
        return float(part[-1])
    x, y = part[lo], part[hi]
    g = h - lo
    d = y - x
    return float(y - d * (1 - g) if g >= 0.5 else x + d * g)


def quantile_ci_halfwidth(x: FloatArray | Sequence[float], q: float, z: float = Z95) -> float:
    """Half-width of the distribution-free 95% interval on the ``q``-quantile of sorted ``x``.

    The interval between the order statistics of ranks ``floor(nq - z sqrt(nq(1-q)))`` and
    ``ceil(nq + z sqrt(nq(1-q)))`` (1-based, clipped to 1..n) covers the true quantile with
    probability about 95% (normal approximation of the binomial count below it).
    """
    n = len(x)
    if n < 2:
        return 0.0
    j, k = _ci_positions(n, q, z)
    return float(x[k] - x[j]) / 2.0


def lognormal_quantile(mu: float, sigma: float, q: float) -> float:
    """Quantile of the lognormal exp(N(mu, sigma^2)) at ``q``."""
    from statistics import NormalDist

    return math.exp(mu + sigma * NormalDist().inv_cdf(q))
