"""The one number formatter: every figure a person reads (text, HTML, DOT, Markdown, finding
messages) is written by these functions, so that the outputs agree digit for digit.

* No exponent notation, no float noise: a value is first snapped to 12 significant digits
  (``359.9999999999999`` is 360, ``0.99999999999998`` is 1).
* An availability is truncated, never rounded up: 99.99995% is never shown as 100%, and
  ``availability`` keeps at least four decimals and one per nine beyond (``99.9989%``,
  ``99.999912%``).
* A target from the design is shown as written (``exact_pct``); a figure compared with it
  carries the digits that tell the two apart (``pct_apart``: 99.98996% against 99.99%, never
  "99.99% against 99.99%" or "100%" for 99.995%).
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["apart", "availability", "budget_share", "budget_used", "count", "duration_ms",
           "exact_pct", "hop_ms", "importance", "latency_ms", "minutes", "ms", "nines",
           "pct_apart", "probability", "quantity", "rate", "share", "snap"]


def snap(x: float) -> float:
    """``x`` to 12 significant digits: float noise of sums and products removed."""
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.12g}")


def _fixed(x: float, decimals: int) -> str:
    text = f"{x:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def quantity(x: float | None, missing: str = "-") -> str:
    """A load, rate or capacity: four significant digits, the whole part never rounded,
    never an exponent, trailing zeros dropped (``6009000``, ``1599``, ``600.5``, ``360``,
    ``0.25``)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return missing
    if math.isinf(x):
        return "unbounded" if x > 0 else "-unbounded"
    x = snap(float(x))
    if x == 0:
        return "0"
    digits = max(0, 4 - (math.floor(math.log10(abs(x))) + 1))
    return _fixed(x, digits)


def rate(rps: float | None, missing: str = "n/a") -> str:
    """A rate with its unit: ``1200 rps``."""
    return missing if rps is None else f"{quantity(rps)} rps"


def availability(a: float | None, missing: str = "n/a") -> str:
    """An availability (a fraction) as a percentage, truncated to 4 decimals, or one per
    nine beyond, at most 10; trailing zeros dropped (``99.9783%``, ``99.9989%``,
    ``99.999912%``, ``99.99%``, ``100%``)."""
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return missing
    a = snap(a)
    if a >= 1.0:
        return "100%"
    if a <= 0.0:
        return "0%"
    n = -math.log10(1.0 - a)
    decimals = min(10, max(4, math.floor(n + 1e-9)))
    scale = 10 ** decimals
    value = math.floor(snap(a * 100 * scale)) / scale
    return _fixed(value, decimals) + "%"


def exact_pct(x: float) -> str:
    """A fraction as written in a design (a target): ``0.99995`` -> ``99.995%``."""
    return _fixed(snap(x * 100), 10) + "%"


def _availability_decimals(a: float) -> int:
    """The decimals ``availability`` shows: four, or one per nine beyond, at most ten."""
    if a >= 1.0 or a <= 0.0:
        return 4
    return min(10, max(4, math.floor(-math.log10(1.0 - a) + 1e-9)))


def pct_apart(a: float, other: float) -> str:
    """``a`` as a percentage with the digits that tell it apart from ``other`` (shown by
    ``exact_pct``): at least the decimals of ``other`` and of ``availability(a)`` (so the
    message and the availability table print the same digits), and enough that the last
    digit resolves the gap between them. It is truncated, as ``availability`` is, so a
    shortfall is never shown rounded up to the target (99.98996% against 99.99%, 99.9499%
    against 99.999%)."""
    a_pct, o_pct = snap(a * 100), snap(other * 100)
    if a_pct >= 100.0:
        return "100%"
    o_text = _fixed(o_pct, 10)
    start = len(o_text.split(".")[1]) if "." in o_text else 0
    gap = abs(o_pct - a_pct)
    need = math.ceil(-math.log10(gap) - 1e-9) if gap > 0 else 10
    decimals = min(10, max(2, start, need, _availability_decimals(snap(a))))
    scale = 10 ** decimals
    value = math.floor(snap(a_pct * scale)) / scale
    return _fixed(value, decimals) + "%"


def apart(x: float, other: float, unit: str = "", fmt: Callable[[float], str] | None = None
          ) -> str:
    """A computed figure beside the target it is compared with (a latency, a rate): as
    ``fmt`` (default ``quantity``) shows it, with more decimals when that would print the
    two alike (100.04ms against a target of 100ms, not 100.0ms)."""
    fmt = fmt or quantity
    shown = fmt(x)
    gap = abs(snap(x) - snap(other))
    if gap > 0 and shown == fmt(other):
        decimals = min(10, math.ceil(-math.log10(gap) - 1e-9))
        shown = _fixed(snap(x), decimals)
    return shown + unit


def share(fraction: float | None, missing: str = "-") -> str:
    """A share or utilisation: one decimal (``37.5%``)."""
    if fraction is None:
        return missing
    if math.isinf(fraction):
        return "unbounded"
    return f"{snap(fraction) * 100:.1f}%"


def budget_share(use: float | None, missing: str = "n/a") -> str:
    """How much of an error budget is used: ``71%``, ``250%``, and from ten budgets on a
    multiple (``1000x``: a whole number of percent there says nothing more)."""
    if use is None:
        return missing
    if math.isinf(use):
        return "all (no downtime allowed)"
    use = snap(use)
    if use >= 10:
        return f"{use:.0f}x"
    return f"{use * 100:.0f}%"


def budget_used(use: float | None) -> str:
    """An error budget's use: ``budget 71% used``, ``budget 1000x used``."""
    if use is None:
        return "budget n/a"
    if math.isinf(use):
        return "budget exhausted (no downtime allowed)"
    return f"budget {budget_share(use)} used"


def probability(p: float | None, missing: str = "-") -> str:
    """A probability or a small gain in availability: three significant digits, never an
    exponent (``0.0005``, ``0.000000999``, ``0.25``)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return missing
    p = snap(float(p))
    if p == 0:
        return "0"
    digits = min(15, max(0, 3 - (math.floor(math.log10(abs(p))) + 1)))
    return _fixed(p, digits)


def importance(b: float) -> str:
    """A Birnbaum importance (A with the unit up minus A with it down): six decimals."""
    return f"{snap(b) + 0.0:.6f}"


def ms(x: float | None, missing: str = "-") -> str:
    """A latency in milliseconds, one decimal (``62.7``)."""
    if x is None:
        return missing
    if math.isinf(x):
        return "unbounded"
    return f"{snap(x):.1f}"


def latency_ms(x: float | None) -> str:
    """A computed latency of a flow (a percentile, a mean, an SLO's actual): one decimal and
    its unit, as the text output prints it (``658.4 ms``, ``1060.0 ms``)."""
    if x is None:
        return "n/a"
    if math.isinf(x):
        return "unbounded"
    return f"{ms(x)} ms"


def hop_ms(x: float | None) -> str:
    """A computed latency of one hop or a Monte Carlo error: two decimals and its unit
    (``0.03 ms``, ``5.01 ms``), as the text output's hop table."""
    if x is None:
        return "-"
    if math.isinf(x):
        return "unbounded"
    return f"{snap(x):.2f} ms"


def duration_ms(x: float | None) -> str:
    """A duration written in a design (a timeout, a backoff, a target, a network latency),
    in the unit that reads best (``3.43 ms``, ``62.7 ms``, ``660 ms``, ``1.20 s``,
    ``60.0 s``); computed latencies use ``latency_ms`` and ``hop_ms``."""
    if x is None:
        return "n/a"
    if math.isinf(x):
        return "unbounded"
    x = snap(x)
    if x >= 1000:
        return _seconds(x / 1000)
    if x >= 100:
        return f"{x:.0f} ms"
    if x >= 10:
        return f"{x:.1f} ms"
    return f"{x:.2f} ms"


def _seconds(s: float) -> str:
    """Seconds with three significant digits, the whole part never rounded (``1.20 s``,
    ``60.0 s``, ``300 s``)."""
    if s >= 100:
        return f"{s:.0f} s"
    if s >= 10:
        return f"{s:.1f} s"
    return f"{s:.2f} s"


def minutes(m: float | None) -> str:
    """A downtime: seconds, minutes or hours, whichever reads best."""
    if m is None:
        return "n/a"
    m = snap(m)
    if m < 1:
        return f"{m * 60:.1f} s"
    if m < 120:
        return f"{m:.1f} min"
    return f"{m / 60:.1f} h"


def nines(n: float | None) -> str:
    if n is None:
        return "n/a"
    return "inf" if math.isinf(n) else f"{n + 0.0:.2f}"    # + 0.0: no "-0.00"


def count(n: int, word: str, plural: str | None = None) -> str:
    """``1 file``, ``6 files``."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"
