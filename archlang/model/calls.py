"""Call modifiers: the ONE list of what may follow a call's targets, and their checking.

``a -> b [| c ...] MODIFIER*``. Flags: ``optional``, ``write``, ``parallel``, ``breaker``,
``idempotent`` (the call may be repeated safely: rule AL604), ``xN``. Options with a value (docs/analyses/resilience.md gives their semantics):

=================  =========================  ==========================================
``timeout T``      a time above 0             an attempt slower than T fails, costs T
``retries N``      a whole number (0 or more) up to N more attempts after a failed one
``backoff B``      a time (0 or more)         wait before each retry (needs ``retries``)
``retry_budget P`` a percentage               retries at most P of the call's requests
``hedge pNN``      a percentile               a second attempt at the callee's pNN
``limit R``        a rate above 0             load above R is rejected
``failover T``     a time (0 or more)         alternatives only: T of failures per switch
=================  =========================  ==========================================

``apply_modifier`` checks one modifier of a call into the call's fields (a dict), with the
builder's diagnostics; ``check_call`` checks the combinations once all are read.
"""

from __future__ import annotations

from typing import Any

#: Flags (a keyword alone) and options (a keyword and its value), in the order `fmt` keeps.
CALL_FLAGS: tuple[str, ...] = ("optional", "write", "parallel", "breaker", "idempotent")
CALL_OPTIONS: tuple[str, ...] = ("timeout", "retries", "backoff", "retry_budget", "hedge",
                                 "limit", "failover")
CALL_MODIFIERS: tuple[str, ...] = CALL_FLAGS + CALL_OPTIONS

#: Option keyword -> (Call field, what it takes).
_FIELDS = {
    "timeout": ("timeout_ms", "a time, like timeout 2s"),
    "retries": ("retries", "a whole number, like retries 2"),
    "backoff": ("backoff_ms", "a time, like backoff 100ms"),
    "retry_budget": ("retry_budget", "a percentage, like retry_budget 10%"),
    "hedge": ("hedge", "a percentile, like hedge p95"),
    "limit": ("limit_rps", "a rate, like limit 5000 rps"),
    "failover": ("failover_s", "a time, like failover 60s"),
}


def apply_option(b, file: str, node, f: dict[str, Any]) -> None:
    """Check one ``call_opt`` tree (keyword and value) into the call's fields ``f``."""
    from archlang.model.build import Prop, _val_from
    from archlang.span import span_of

    key_tok = node.children[0]
    key = str(key_tok)
    field, what = _FIELDS[key]
    values = [_val_from(file, c) for c in node.children[1:]]
    prop = Prop(key, span_of(file, key_tok), values, span_of(file, node))
    if field in f:
        b.error(prop.span, f"'{key}' is given twice")
        return
    v = values[0] if values else None
    if key == "hedge":
        if v is None or v.kind != "percentile":
            b.error(v.span if v else prop.whole, f"'hedge' needs {what}")
            return
        if not 0 < v.number < 100:
            b.error(v.span, f"'hedge' needs a percentile between p0 and p100, found {v.text}")
            return
        f[field] = v.number
        f["_spans"][key] = prop.whole
        return
    if key == "retries":
        got = b.integer(prop, v, minimum=0)
    elif key == "retry_budget":
        got = b.fraction(prop, v, allow_zero=True)
    elif key == "limit":
        got = b.quantity(prop, v, "rate")
    elif key == "timeout":
        got = b.quantity(prop, v, "time")
    else:       # backoff, failover: times, zero allowed
        got = b.quantity(prop, v, "time", allow_zero=True)
        if got is not None and key == "failover":
            got = got / 1000.0          # durations other than latencies are in seconds
    if got is not None:
        f[field] = got
        f["_spans"][key] = prop.whole


def check_call(b, f: dict[str, Any], span) -> bool:
    """The combinations of a call's modifiers; False when the call is in error."""
    spans = f.pop("_spans", {})
    ok = True

    def err(key: str, message: str, hint: str | None = None) -> None:
        nonlocal ok
        b.error(spans.get(key, span), message, hint)
        ok = False

    for key in ("backoff", "retry_budget"):
        if key in spans and "retries" not in spans:
            err(key, f"'{key}' needs 'retries N' on the same call",
                f"for example: retries 2 {key} {'100ms' if key == 'backoff' else '10%'}")
    if f.get("breaker") and not f.get("optional"):
        b.error(spans.get("breaker", span), "'breaker' applies to an optional call",
                "a breaker fails fast a call the request can do without: add 'optional'")
        ok = False
    if "failover" in spans and len(f["targets"]) < 2:
        err("failover", "'failover T' on a call needs alternatives, like a -> b | c failover 60s",
            "for replicas of one component write: replicas 2 active_passive failover 15s")
    if f.get("asynchronous"):
        for key in ("timeout", "retries", "hedge"):
            if key in spans:
                err(key, f"'{key}' does not apply to an asynchronous call: nobody waits for it")
        if f.get("breaker"):
            b.error(spans.get("breaker", span), "'breaker' does not apply to an asynchronous call")
            ok = False
    return ok
