"""Monte Carlo estimate of a flow's availability: the cross-check of the exact engine.

Each trial draws the state of every unit the flow depends on (the variable zones and
regions, every replica, and the failover pseudo-event of active_passive groups; a k-of-n
group of more than ``BINOMIAL_FROM`` replicas draws its own state given the replicas its
domains leave, with one uniform) and
evaluates the success fraction S(root) of that state exactly as availability.py defines it
(cache hits are averaged inside S, not drawn). The estimate is the mean of S over the trials,
with its standard error and a normal 95% interval.

Determinism: numpy's ``default_rng(seed)`` (PCG64), trials drawn in chunks of ``CHUNK``; in
each chunk one uniform matrix with a row per unit, in a fixed order (domains sorted by
name, then each component's replicas in flow order, then failover events). The default
seed is ``DEFAULT_SEED``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from archlang.analysis.compiled_flow import CompiledFlow, compile_flow
from archlang.analysis.down import Down, as_down
from archlang.analysis.overrides import Overrides, down_overrides
from archlang.analysis.quorum import vector_success
from archlang.analysis.replica_groups import binom_tail, component_models, domain_availability
from archlang.model.design import Design

if TYPE_CHECKING:  # pragma: no cover
    from archlang.analysis.arrays import BoolArray, FloatArray
    from archlang.analysis.quorum import Op

DEFAULT_SEED = 1729
CHUNK = 1 << 17
#: A chunk draws at most this many numbers (rows x trials): 2^24 uniforms are 128 MB.
MAX_CELLS = 1 << 24
#: A k-of-n group of more replicas than this draws its state from its reachable replicas.
BINOMIAL_FROM = 64
Z95 = 1.959963984540054

#: A row of the uniform matrix, the unit drawn: ("d", domain), ("r", component, replica),
#: ("f", component) (a group's failover), ("f", store, window) (a leader's failover).
RowKey = tuple[str, str] | tuple[str, str, int]


class MonteCarloEstimate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    estimate: float
    std_error: float
    ci_low: float           # 95% normal interval, clipped to [0, 1]
    ci_high: float
    trials: int
    seed: int


class FlowSampler:
    """Vectorised sampler of one flow; ``availability(extra)`` replays the same draws
    (common random numbers) with what-if overrides, as the exact engine accepts them."""

    def __init__(self, fm: CompiledFlow, base: Overrides | None = None,
                 trials: int = 1_000_000, seed: int = DEFAULT_SEED):
        self.fm = fm
        self.base = dict(base or {})
        self.trials = int(trials)
        self.seed = int(seed)
        doms: set[str] = set()
        for c in fm.components:
            for ds in fm.models[c].replica_domains:
                doms.update(ds)
        self.fixed: dict[str, int] = {}
        self.rows: list[tuple[RowKey, float]] = []   # (unit key, P(up))
        for d in sorted(doms):
            p = fm.domains.get(d, 1.0)
            if ("d", d) in self.base:
                self.fixed[d] = int(self.base[("d", d)])
            elif p >= 1.0 or p <= 0.0:
                self.fixed[d] = 1 if p >= 1.0 else 0
            else:
                self.rows.append((("d", d), p))
        # A large k-of-n group draws its own state, not a row per replica: given the domains,
        # ``m`` of its replicas are reachable (the placement classes whose domains are up),
        # and since its replicas are its own the group is up with P(at least k of m up),
        # ``binom_tail`` (a table over m). One uniform per trial replaces n of them.
        self.classes: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        self.tables: dict[str, list[float]] = {}
        for c in fm.components:
            cm = fm.models[c]
            if cm.client or self.base.get(("c", c)) == "down":
                continue
            if cm.store is None and cm.n > BINOMIAL_FROM and cm.a < 1.0:
                per: dict[tuple[str, ...], int] = {}
                for ds in cm.replica_domains:
                    per[ds] = per.get(ds, 0) + 1
                self.classes[c] = sorted(per.items())
                self.tables[c] = [binom_tail(m, cm.k, cm.a) for m in range(cm.n + 1)]
                continue
            for i in range(cm.n):
                if cm.a < 1.0:
                    self.rows.append((("r", c, i), cm.a))
        for c in fm.components:
            cm = fm.models[c]
            if not cm.client and self.base.get(("c", c)) != "down" and cm.failover < 1.0:
                self.rows.append((("f", c), cm.failover))
        # A store: one failover pseudo-event per leader (window) its leader operations need.
        self.store_ops: dict[str, list[Op]] = {}
        for nd in fm.nodes:
            if nd.op is not None:
                ops = self.store_ops.setdefault(nd.comp, [])
                if nd.op not in ops:
                    ops.append(nd.op)
        for c, ops in self.store_ops.items():
            st = fm.models[c].store
            assert st is not None, "a call with a store operation goes into a store"
            if self.base.get(("c", c)) == "down" or st.failover >= 1.0:
                continue
            if any(o.leader for o in ops):
                for w in range(st.windows):
                    self.rows.append((("f", c, w), st.failover))
        self.index = {k: j for j, (k, _) in enumerate(self.rows)}

    def _chunk(self, up: BoolArray, n: int, extra: Overrides,
               draws: Mapping[str, FloatArray] | None = None) -> FloatArray:
        """S(root) in each of the ``n`` trials of ``up`` (a row per unit, ``rows``);
        ``draws``: a uniform per trial for each large group (``classes``)."""
        draws = draws or {}
        import numpy as np

        fm = self.fm
        over = dict(self.base)
        over.update(extra)
        ones = np.ones(n, dtype=bool)
        zeros = np.zeros(n, dtype=bool)

        def domain(d: str) -> BoolArray:
            forced = over.get(("d", d))
            if forced is not None:
                return ones if forced else zeros
            if d in self.fixed:
                return ones if self.fixed[d] else zeros
            row: BoolArray = up[self.index[("d", d)]]     # a row: the domain in each trial
            return row

        comp_up: dict[str, BoolArray] = {}
        store_val: dict[tuple[str, str], FloatArray] = {}
        for c in fm.components:
            cm = fm.models[c]
            force = over.get(("c", c))
            if cm.client:
                comp_up[c] = ones
                continue
            if force == "down":
                comp_up[c] = zeros
                for o in self.store_ops.get(c, ()):
                    store_val[(c, o.name)] = np.zeros(n)
                continue
            if cm.store is not None:
                nodes_up = np.empty((cm.n, n), dtype=bool)
                for i, ds in enumerate(cm.replica_domains):
                    eff = ones
                    if force != "up" and cm.a < 1.0:
                        eff = up[self.index[("r", c, i)]]
                    for d in ds:
                        eff = eff & domain(d)
                    nodes_up[i] = eff
                fail = None
                if force != "up" and ("f", c, 0) in self.index:
                    fail = np.stack([up[self.index[("f", c, w)]]
                                     for w in range(cm.store.windows)])
                for o in self.store_ops.get(c, ()):
                    store_val[(c, o.name)] = vector_success(cm.store, o, nodes_up, fail)
                continue
            count = np.zeros(n, dtype=np.int32)
            if c in draws:
                for ds, size in self.classes[c]:
                    eff = ones
                    for d in ds:
                        eff = eff & domain(d)
                    count += np.where(eff, size, 0)
                g = (count >= cm.k if force == "up"
                     else draws[c] < np.asarray(self.tables[c])[count])
                if force != "up" and cm.failover < 1.0:
                    g = g & up[self.index[("f", c)]]
                comp_up[c] = g
                continue
            for i, ds in enumerate(cm.replica_domains):
                eff = ones
                if force != "up" and cm.a < 1.0:
                    eff = up[self.index[("r", c, i)]]
                for d in ds:
                    eff = eff & domain(d)
                count += eff
            g = count >= cm.k
            if force != "up" and cm.failover < 1.0:
                g = g & up[self.index[("f", c)]]
            comp_up[c] = g

        nodes = fm.nodes

        def s(i: int) -> FloatArray:
            nd = nodes[i]
            if nd.op is not None:
                return s_store(i, store_val[(nd.comp, nd.op.name)])
            u = comp_up[nd.comp]
            rest: FloatArray | None = None
            for j, (count, targets) in enumerate(nd.calls):
                fail = 1.0 - s(targets[0])          # a compiled call has a target
                for t in targets[1:]:
                    fail = fail * (1.0 - s(t))
                g = 1.0 - fail
                if count > 1:
                    g = g ** count
                if nd.windows and nd.windows[j] < 1.0:   # failover window (its mean)
                    g = g * nd.windows[j]
                rest = g if rest is None else rest * g
            if rest is None:
                return u.astype(np.float64)
            if nd.hit is not None:
                rest = nd.hit + (1.0 - nd.hit) * rest
            return np.where(u, rest, 0.0)

        def s_store(i: int, f: FloatArray) -> FloatArray:
            """A store's node: ``f`` the success of its operation in each trial; a sharded
            cache sends the keys of a lost shard on as misses."""
            nd = nodes[i]
            rest: FloatArray | None = None
            for count, targets in nd.calls:
                fail = 1.0 - s(targets[0])
                for t in targets[1:]:
                    fail = fail * (1.0 - s(t))
                g = 1.0 - fail
                if count > 1:
                    g = g ** count
                rest = g if rest is None else rest * g
            if rest is None:
                rest = np.ones(n)
            if nd.hit is not None:
                return rest + f * nd.hit * (1.0 - rest)
            return f * rest

        return s(0)

    def _loss(self, up: BoolArray, n: int, extra: Overrides) -> FloatArray:
        """``1 - S(root)`` in each trial of ``up``, as ``_chunk`` gives it, evaluated only on
        the trials with a unit down and on one trial with every unit up, whose value the
        others share: S is a function of the trial's column alone (no large group draws
        here), elementwise, so every value is the one the whole chunk would give."""
        import numpy as np

        down = np.flatnonzero(~up.all(axis=0))
        some = np.ones((up.shape[0], len(down) + 1), dtype=bool)   # the last: all up
        some[:, :-1] = up[:, down]
        part = 1.0 - self._chunk(some, len(down) + 1, extra)
        loss = np.full(n, part[-1])
        loss[down] = part[:-1]
        return loss

    def _run(self, extra: Overrides) -> tuple[float, float]:
        """(mean of 1-S, mean of (1-S)^2) over all trials."""
        import numpy as np

        rng = np.random.default_rng(self.seed)
        probs = np.array([p for _, p in self.rows], dtype=np.float64)[:, None]
        s1 = 0.0
        s2 = 0.0
        done = 0
        cells = len(self.rows) + len(self.classes)
        chunk = max(1024, min(CHUNK, MAX_CELLS // max(cells, 1)))   # memory stays bounded
        while done < self.trials:
            n = min(chunk, self.trials - done)
            up = rng.random((len(self.rows), n)) < probs
            draws = {c: rng.random(n) for c in self.classes}
            loss = (1.0 - self._chunk(up, n, extra, draws) if draws
                    else self._loss(up, n, extra))
            s1 += float(loss.sum())
            # Not np.dot: OpenBLAS splits it over threads (the last bits then depend on the
            # machine's cores) and its threads spin on after it returns.
            s2 += float(np.square(loss).sum())
            done += n
        return s1 / self.trials, s2 / self.trials

    def estimate(self, extra: Overrides | None = None) -> MonteCarloEstimate:
        m1, m2 = self._run(dict(extra or {}))
        n = self.trials
        var = max(m2 - m1 * m1, 0.0) * n / (n - 1) if n > 1 else 0.0
        se = math.sqrt(var / n)
        est = 1.0 - m1
        return MonteCarloEstimate(estimate=est, std_error=se, ci_low=max(0.0, est - Z95 * se),
                                  ci_high=min(1.0, est + Z95 * se), trials=n, seed=self.seed)

    def availability(self, extra: Overrides | None = None) -> float:
        return self.estimate(extra).estimate


def monte_carlo_availability(design: Design, flow_name: str, trials: int = 1_000_000,
                             seed: int = DEFAULT_SEED, down: Sequence[str] | Down = ()
                             ) -> MonteCarloEstimate:
    """Monte Carlo estimate of one flow's availability (fixed seed, 95% interval).

    ``down`` forces units down as in ``analyze_availability``: components, replicas
    ``name[i]``, zones and regions (a forced-down replica is never drawn up)."""
    forced = as_down(design, down)
    base = down_overrides(forced)
    fm = compile_flow(design, flow_name, component_models(design, forced),
                      domain_availability(design), forced)
    return FlowSampler(fm, base, trials=trials, seed=seed).estimate()
