"""The limits of what a design may hold, and so of what analysing it may cost.

`archlang check` runs in CI on files that come from pull requests: an input must never
make it run for minutes, eat the machine's memory or overflow a float. Each limit is far
above any real design and low enough that every analysis stays bounded (the cost of each
analysis in terms of these limits is in benchmarks/README.md). Exceeding one is an error
located at the construct that exceeds it, like any other. docs/language.md lists them
(a test checks that the table there agrees with this module).
"""

from __future__ import annotations

# ---- size of the input -------------------------------------------------------------------
MAX_FILE_BYTES = 4_000_000          # one design file
MAX_FILES = 200                     # files of one design, the root and every import
MAX_IMPORT_DEPTH = 100              # imports nested in a chain
MAX_COMPONENTS = 20_000             # components of one design
MAX_CALLS = 40_000                  # declared calls (a chain `a -> b -> c` counts 2)
MAX_FLOWS = 500                     # flows of one design
MAX_PATH_HOPS = 100                 # components on one `path` line
MAX_REQUEST_DEPTH = 200             # components one request passes through, calls followed
MAX_STRING = 10_000                 # characters of one string
MAX_DIGITS = 15                     # significant digits of a number (what a double keeps)

# ---- counts ----------------------------------------------------------------------------------
#: The largest whole number each count takes.
MAX_COUNT = {
    "replicas": 1_000,
    "min": 1_000,
    "followers": 100,
    "call count": 1_000,            # `xN` on a call
    "sharding": 100_000,            # `sharding hash N`, `range N`
    "rf": 1_000,                    # copies of a shard (never more than the nodes)
    "read_quorum": 1_000,
    "write_quorum": 1_000,
    "retries": 100,                 # `retries N` on a call
}
DEFAULT_MAX_COUNT = 1_000_000       # a count no entry above names

# ---- magnitudes --------------------------------------------------------------------------------
_MS = 1.0
_S = 1000.0
_H = 3600 * _S
_D = 24 * _H
_Y = 365 * _D

#: The largest value of each quantity, in the unit it is normalised to (milliseconds for
#: times, rps for rates, bytes for sizes, a fraction for percentages). A quantity not
#: listed takes the maximum of its unit class.
MAX_QUANTITY = {
    "latency": 1 * _D,
    "mtbf": 1000 * _Y,
    "mttr": 1 * _Y,
    "failover": 1 * _D,
    "ttl": 100 * _Y,
    "same_zone": 1 * _H,
    "cross_zone": 1 * _H,
    "cross_region": 1 * _H,
    "<->": 1 * _H,
    "slo latency": 1 * _D,
    "timeout": 1 * _D,              # `timeout T` on a call
    "backoff": 1 * _D,              # `backoff T` on a call
    "skew": 100_000.0,              # hottest shard over the mean: at most the shards
}
MAX_UNIT_CLASS = {
    "time": 100 * _Y,               # any other duration
    "rate": 1e9,                    # requests per second: rates, capacities, SLOs
    "size": 1e18,                   # bytes: 1,000,000 TB
    "percent": 100.0,               # 10,000%; a share or an availability stops at 100%
    None: 1e15,                     # a plain number
}

#: How a limit's unit is shown in messages.
_SHOW = {"time": "ms", "rate": " rps", "size": " B", "percent": "", None: ""}


def max_quantity(key: str, unit_class: str | None) -> float:
    return MAX_QUANTITY.get(key, MAX_UNIT_CLASS[unit_class])


def max_count(key: str) -> int:
    return MAX_COUNT.get(key, DEFAULT_MAX_COUNT)


def show_quantity(value: float, unit_class: str | None) -> str:
    """A maximum in words a reader checks at a glance: 1h, 1000 years, 1000000000 rps
    (written as the design would write it: no exponent)."""
    if unit_class == "time":
        for unit, ms in (("years", _Y), ("d", _D), ("h", _H), ("s", _S)):
            if value >= ms and value % ms == 0:
                n = int(value // ms)
                if unit == "years":
                    return "1 year" if n == 1 else f"{n} years"
                return f"{n}{unit}"
        return f"{value:g}ms"
    if unit_class == "percent":
        return f"{value * 100:g}%"
    if unit_class == "size" and value >= 1e12 and (value / 1e12).is_integer():
        return f"{int(value / 1e12)}TB"
    shown = f"{int(value)}" if value.is_integer() and abs(value) < 1e16 else f"{value:g}"
    return f"{shown}{_SHOW[unit_class]}"


def significant_digits(number_text: str) -> int:
    """Significant digits of a decimal literal: `007.50` has 2, `1000` has 1."""
    digits = number_text.lstrip("-")
    if "." in digits:
        whole, frac = digits.split(".", 1)
        digits = (whole + frac.rstrip("0")).lstrip("0")
        return len(digits) or 1
    return len(digits.strip("0")) or 1
