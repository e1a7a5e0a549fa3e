"""Rules about timeouts and retries (AL6xx): retry storms, deadlines, idempotency.

The figures behind them are in docs/analyses/resilience.md. Sources: Google SRE book,
"Addressing Cascading Failures"; AWS Builders' Library, "Timeouts, retries, and backoff with
jitter".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from archlang.analysis.common import Finding
from archlang.model.design import Call, Design
from archlang.rules.base import Rule, register

if TYPE_CHECKING:
    from archlang.graph import FlowCall, FlowNode


def _num(x: float) -> str:
    from archlang.numbers import quantity

    return quantity(x)


def _ms(x: float) -> str:
    return f"{x / 1000:g}s" if x >= 1000 and x % 100 == 0 else f"{x:g}ms"


def call_bound_ms(call: Call) -> float | None:
    """How long a call with a timeout may take before it fails: (N+1) T + N B."""
    if call.timeout_ms is None:
        return None
    return (call.retries + 1) * call.timeout_ms + call.retries * call.backoff_ms


def _how(call: Call) -> str:
    if not call.retries:
        return f"timeout {_ms(call.timeout_ms or 0.0)}"
    out = f"{call.retries + 1} attempts x {_ms(call.timeout_ms or 0.0)}"
    if call.backoff_ms:
        out += f" + {call.retries} x {_ms(call.backoff_ms)} backoff"
    return out


def _label(call: Call) -> str:
    return f"{call.source} -> {' | '.join(call.targets)}"


def _flow_calls(design: Design, name: str) -> Iterator[tuple[FlowNode, FlowCall]]:
    """(caller node, FlowCall) of the synchronous request tree of a flow, each call once."""
    from archlang.graph import flow_tree

    seen: set[int] = set()
    for node in flow_tree(design, name).walk():
        if node.ends_request:
            continue
        for fc in node.calls:
            if id(fc.call) not in seen:
                seen.add(id(fc.call))
                yield node, fc


@register
class RetryAmplification(Rule):
    """
    What it does
    ------------
    Flags a component that receives more than 4 attempts per request when it fails, because
    callers retry at several layers: the attempts multiply along the path (3 layers of
    `retries 2` send 27 requests to the bottom one).

    Why is this bad?
    ----------------
    When the bottom component slows down or fails, every layer retries and the load on it
    multiplies just when it can least take it: a retry storm that keeps it down (Google SRE
    book, "Addressing Cascading Failures").

    Example
    -------
    ```arch
    a -> b retries 2
    b -> c retries 2
    c -> d retries 2
    ```

    Use instead
    -----------
    Retry at one layer only (usually the one closest to the user), or cap the retries with
    `retry_budget 10%`.
    """

    code = "AL601"
    name = "retry-amplification"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        from archlang.analysis.resilience import AMPLIFICATION_THRESHOLD, amplification_paths

        for comp, (factor, calls) in amplification_paths(design).items():
            if factor <= AMPLIFICATION_THRESHOLD * (1 + 1e-9):
                continue
            c = design.components[comp]
            chain = " x ".join(f"{_num(f)} ({_label(k)})" for k, f in calls)
            yield self.finding(
                f"{c.kind} {comp} receives up to {_num(factor)} attempts per request when it "
                f"fails: {chain}", calls[-1][0].span,
                "retry at one layer only, or add a retry_budget (e.g. retry_budget 10%)",
                component=comp)


@register
class DeadlineExceeded(Rule):
    """
    What it does
    ------------
    Flags a call whose attempts (timeout times attempts, plus the backoff between them) can
    outlast the timeout of the call into its caller.

    Why is this bad?
    ----------------
    The caller gives up first, so the callee goes on retrying for a request nobody waits
    for: wasted work and extra load during an incident, and the inner retries never get to
    help (AWS Builders' Library, "Timeouts, retries, and backoff with jitter").

    Example
    -------
    ```arch
    front -> api timeout 1s
    api -> db timeout 400ms retries 2
    ```

    Use instead
    -----------
    Budget the deadline top-down: the inner attempts must fit the outer timeout
    (`api -> db timeout 300ms retries 2` inside `timeout 1s`), or propagate the deadline.
    """

    code = "AL602"
    name = "deadline-exceeded"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        for caller in design.calls:
            if caller.timeout_ms is None:
                continue
            for t in caller.targets:
                for inner in design.calls_from(t):
                    bound = call_bound_ms(inner)
                    if bound is None or inner.asynchronous or bound <= caller.timeout_ms:
                        continue
                    yield self.finding(
                        f"call {_label(inner)} may take {_ms(bound)} ({_how(inner)}), more "
                        f"than the timeout {_ms(caller.timeout_ms)} of {_label(caller)}",
                        inner.span, f"fit the attempts into {_ms(caller.timeout_ms)}: fewer "
                        "retries or a shorter timeout", component=t)


@register
class SloBeyondTimeouts(Rule):
    """
    What it does
    ------------
    Flags a call on a flow with a latency SLO whose timeouts let it take longer than the
    SLO before it gives up (timeout times attempts, plus the backoff).

    Why is this bad?
    ----------------
    A request that meets the slow tail of that call waits for the whole timeout budget and
    misses the SLO anyway; the timeouts cannot protect the SLO they are meant to serve.

    Example
    -------
    ```arch
    api -> payments timeout 2s retries 2
    flow checkout { path users -> api -> payments  slo latency p99 1s }
    ```

    Use instead
    -----------
    Derive the timeouts from the SLO: the attempts of every call on the path must fit in
    the SLO's time, or relax the SLO.
    """

    code = "AL603"
    name = "slo-beyond-timeouts"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        for name, fl in design.flows.items():
            slos = [s for s in fl.slos if s.kind == "latency"]
            if not slos:
                continue
            target = min(slos, key=lambda s: s.target)
            for _, fc in _flow_calls(design, name):
                bound = call_bound_ms(fc.call)
                if bound is None or bound <= target.target:
                    continue
                pct = f"p{_num(target.percentile or 99.0)}"
                yield self.finding(
                    f"call {_label(fc.call)} may take {_ms(bound)} ({_how(fc.call)}) before "
                    f"it fails, beyond the {pct} latency SLO {_ms(target.target)} of flow "
                    f"{name}", fc.call.span,
                    "shorten the timeout or the retries so that they fit the SLO",
                    flow=name, component=fc.call.source)


@register
class RetriedWrite(Rule):
    """
    What it does
    ------------
    Flags retries on a `write` call that is not marked `idempotent`.

    Why is this bad?
    ----------------
    An attempt that timed out may still have been applied: the retry applies the write a
    second time (a payment charged twice). Retries are safe only for idempotent requests
    (AWS Builders' Library, "Making retries safe with idempotent APIs").

    Example
    -------
    ```arch
    api -> payments write timeout 2s retries 2
    ```

    Use instead
    -----------
    Make the write idempotent (a client-supplied idempotency key) and say so:
    `api -> payments write idempotent timeout 2s retries 2`, or do not retry it.
    """

    code = "AL604"
    name = "retried-write"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        for call in design.calls:
            if call.write and call.retries > 0 and not call.idempotent:
                yield self.finding(
                    f"call {_label(call)} retries a write ({call.retries} retries) that is "
                    f"not marked idempotent: a timed-out attempt may have been applied",
                    call.span, "use an idempotency key and mark the call `idempotent`, or "
                    "remove the retries", component=call.source)


@register
class MissingTimeout(Rule):
    """
    What it does
    ------------
    Flags a hard synchronous call with no `timeout` on a flow with a latency SLO, in a
    design that sets timeouts on some calls (a design without any timeout is not flagged
    call by call).

    Why is this bad?
    ----------------
    Without a timeout a slow or hung dependency holds the caller's threads and connections
    for as long as it hangs: latency is unbounded and the slowness spreads upstream (AWS
    Builders' Library, "Timeouts, retries, and backoff with jitter").

    Example
    -------
    ```arch
    api -> search timeout 300ms
    api -> db
    flow find { path users -> api -> db  slo latency p99 500ms }
    ```

    Use instead
    -----------
    Give every remote call a timeout that fits the SLO: `api -> db timeout 100ms`.
    """

    code = "AL605"
    name = "missing-timeout"
    severity = "info"

    def check(self, design: Design) -> Iterator[Finding]:
        if not any(c.timeout_ms is not None for c in design.calls):
            return
        flagged: set[int] = set()
        for name, fl in design.flows.items():
            if not any(s.kind == "latency" for s in fl.slos):
                continue
            for node, fc in _flow_calls(design, name):
                call = fc.call
                if (call.optional or call.asynchronous or call.timeout_ms is not None
                        or node.kind == "client" or id(call) in flagged):
                    continue
                flagged.add(id(call))
                yield self.finding(
                    f"hard call {_label(call)} on flow {name} (latency SLO) has no timeout",
                    call.span, "add a timeout that fits the SLO, e.g. timeout 200ms",
                    flow=name, component=call.source)


#: A timeout that more than this share of attempts exceed, with everything up, is flagged.
FALSE_TIMEOUT_SHARE = 0.01


@register
class TimeoutBelowLatency(Rule):
    """
    What it does
    ------------
    Flags a call whose `timeout` is shorter than the time its callee usually takes: more
    than 1% of the attempts time out with every component up and at the declared load
    (the callee's latency, what it calls, the network and its queueing, as
    docs/analyses/resilience.md computes P(L > T)). A timeout below a fixed latency fails
    every attempt.

    Why is this bad?
    ----------------
    A timeout is meant to cut off the rare slow attempt, not ordinary ones: false timeouts
    are lost availability, and each one is retried, so they add load every second of the
    day (AWS Builders' Library, "Timeouts, retries, and backoff with jitter": pick the rate
    of false timeouts you accept, such as 0.1%, and set the timeout at that percentile of the
    callee's latency).

    Example
    -------
    ```arch
    server db { latency p50 40ms p99 120ms }
    api -> db timeout 50ms retries 2
    ```

    Use instead
    -----------
    Set the timeout above the callee's p99.9 (`api -> db timeout 200ms`), or make the callee
    faster.
    """

    code = "AL606"
    name = "timeout-below-latency"
    severity = "warning"

    def check(self, design: Design) -> Iterator[Finding]:
        if not any(c.timeout_ms is not None for c in design.calls):
            return
        from archlang.analysis.capacity import analyze_capacity
        from archlang.analysis.resilience import build_plan

        plan = build_plan(design, analyze_capacity(design, ()))
        worst: dict[tuple[int, str], tuple[float, str]] = {}
        for (flow, _caller, _first), cp in sorted(plan.calls.items()):
            for target, p in sorted(cp.p_timeout.items()):
                key = (id(cp.call), target)
                if p > FALSE_TIMEOUT_SHARE and p > worst.get(key, (0.0, ""))[0]:
                    worst[key] = (p, flow)
        calls = {id(c): c for c in design.calls}
        for (cid, target), (p, flow) in sorted(
                worst.items(), key=lambda kv: (calls[kv[0][0]].span.line, kv[0][1])):
            call = calls[cid]
            assert call.timeout_ms is not None      # only timed calls have a P(L > T)
            share = ("every attempt into {t} times out" if p >= 0.9995
                     else f"{_share(p)} of the attempts into {{t}} time out").format(t=target)
            yield self.finding(
                f"timeout {_ms(call.timeout_ms)} of {_label(call)} is too short: {share} "
                f"with everything up (flow {flow})", call.span,
                f"set the timeout above the p99.9 of {target}'s latency (what it calls and "
                "the network included), or make it faster", flow=flow, component=target)


def _share(p: float) -> str:
    """A share to the digits that tell it from its neighbours: 1.3%, 97%, 99.95%."""
    pct = p * 100
    for digits in range(0, 6):
        text = f"{pct:.{digits}f}"
        if float(text) != 0 and abs(float(text) - pct) <= 0.05 * min(pct, 100 - pct) + 1e-12:
            return text.rstrip("0").rstrip(".") + "%" if "." in text else text + "%"
    return f"{pct:.4g}%"
