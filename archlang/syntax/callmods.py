"""The one list of call modifiers: what may follow the target(s) of a call.

A call statement (`api -> shard x100 parallel`) and a step of a flow's path
(`path users -> api -> shard x100 parallel`) take the same modifiers, read by the same
code (``DesignBuilder.call_modifiers`` in model/build.py). The grammar's `modword` rule
is filled from this table when the grammar is loaded (``syntax/parser.grammar_text``), the
reserved names include its words, and the error for an unknown modifier lists them.

To add a modifier: append a ``CallModifier`` here (its ``word``, the ``value`` it takes,
the ``Call`` field it sets and one line of doc), add that field to ``model.design.Call``
with its default, and give it its meaning in the analyses. Nothing else needs editing:
the grammar, the builder, the path steps, fmt and the error messages read this table.

``value`` is the kind of argument the word takes:
  None           a flag (`optional`): sets the field to True
  "count"        the `xN` form, written as one token (`x8`): sets an int >= 1
  "ms"           a time above zero with its unit (`2s`, `300ms`): milliseconds
  "ms0"          the same, zero allowed
  "s0"           a time, zero allowed: seconds (durations other than latencies)
  "integer"      a whole number (`retries 2`)
  "fraction"     a percentage (`10%`): a fraction in [0, 1]
  "percentile"   a percentile (`p95`): the number, 95.0
  "rate"         a rate with its unit (`5000 rps`): requests per second
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CallModifier:
    word: str            # as written; "xN" for the count form
    value: str | None    # see the module docstring
    field: str           # the Call field it sets
    doc: str


CALL_MODIFIERS: tuple[CallModifier, ...] = (
    CallModifier("optional", None, "optional", "a soft dependency: the caller tolerates "
                 "the callee's failure"),
    CallModifier("write", None, "write", "the call writes (sync replication and write "
                 "policies apply)"),
    CallModifier("xN", "count", "count", "N calls per request, one after another "
                 "(with `parallel`: at once, waiting for all)"),
    CallModifier("parallel", None, "parallel", "the N calls of `xN` go out at once; the "
                 "request waits for all of them"),
    CallModifier("scatter", None, "scatter", "into a sharded or leaderless store: the call "
                 "touches every shard and waits for all (docs/analyses/data-tier.md)"),
    # Resilience (docs/analyses/resilience.md gives their figures).
    CallModifier("timeout", "ms", "timeout_ms", "an attempt slower than T fails, and costs T"),
    CallModifier("retries", "integer", "retries", "up to N more attempts after a failed one"),
    CallModifier("backoff", "ms0", "backoff_ms", "wait before each retry (needs `retries`)"),
    CallModifier("retry_budget", "fraction", "retry_budget",
                 "retries at most this share of the call's requests (needs `retries`)"),
    CallModifier("hedge", "percentile", "hedge", "a second attempt when the first has not "
                 "answered by the callee's pNN"),
    CallModifier("breaker", None, "breaker", "optional calls: fail at once while the callee "
                 "is down"),
    CallModifier("idempotent", None, "idempotent", "the call may be repeated safely"),
    CallModifier("limit", "rate", "limit_rps", "load above R is rejected"),
    CallModifier("failover", "s0", "failover_s", "alternatives only: requests fail for T "
                 "before traffic moves"),
)

#: Words of the modifiers written as a keyword (all but the `xN` count form).
MODIFIER_WORDS: tuple[str, ...] = tuple(m.word for m in CALL_MODIFIERS if m.value != "count")
BY_WORD: dict[str, CallModifier] = {m.word: m for m in CALL_MODIFIERS}
BY_FIELD: dict[str, CallModifier] = {m.field: m for m in CALL_MODIFIERS}
COUNT_MODIFIER: CallModifier = next(m for m in CALL_MODIFIERS if m.value == "count")


def listing() -> str:
    """The modifiers as a reader lists them: 'optional, write, xN, parallel'."""
    return ", ".join(m.word for m in CALL_MODIFIERS)


def describe(mod: CallModifier, value: float | None) -> str:
    """A modifier's value as it would be written: 'x100', 'parallel', 'no optional',
    'timeout 2s'. ``value``: the ``Call`` field's (a flag's bool, a count's int, a number,
    or None when unset)."""
    if mod.value is None:
        return mod.word if value else f"no '{mod.word}'"
    if mod.value == "count":
        return f"x{value}"
    if value is None:
        return f"no '{mod.word}'"
    if mod.value in ("ms", "ms0", "s0"):
        ms = value * 1000 if mod.value == "s0" else value
        text = f"{ms:g}ms" if ms < 1000 else f"{ms / 1000:g}s"
    elif mod.value == "fraction":
        text = f"{value * 100:g}%"
    elif mod.value == "percentile":
        text = f"p{value:g}"
    elif mod.value == "rate":
        text = f"{value:g} rps"
    else:
        text = f"{value:g}"
    return f"{mod.word} {text}"
