"""Every speed and memory figure of archlang beside its reference, with the ratio and the goal.

    python benchmarks/run.py                    # every section
    python benchmarks/run.py cold scale         # some sections
    python benchmarks/run.py --runs 9           # more pairs for the whole-process figures
    python benchmarks/run.py --pytm             # also against pytm (installed in its own venv)

Sections: ``cold`` (a cold ``archlang check`` and the light commands against a bare
interpreter and the bare import of the dependencies), ``scale`` (each stage at 1,000 and
10,000 components / 50 flows and its growth exponent; the memory of a whole 10k check),
``render`` (200 components, ``archlang render`` against the bundled engine on the same
DOT), ``montecarlo`` (both Monte Carlo engines against a bare numpy loop drawing the same
numbers), ``jobs`` (``check DIR -j 2`` against ``-j 1``), ``pytm`` (only with ``--pytm``).

How it measures, on a machine shared with other work: whole-process figures are CPU
seconds (user + sys, from the kernel's accounting of each finished child) of pairs run in
turn, A B A B ..., and the ratio is the median of the pairs' ratios, so a machine that
slows down between pairs moves both sides. In-process figures (stages, Monte Carlo) are
CPU seconds of this process (``time.process_time``, every thread), the two sides of a
ratio interleaved in the same loop. Never run from the tests: speed is not asserted.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
PY = sys.executable
ROWS: list[tuple] = []


# ---- reporting ----------------------------------------------------------------------------
def row(figure: str, value: float, unit: str, reference: str | None = None,
        ref_value: float | None = None, goal: float | None = None, ratio: float | None = None,
        note: str = "") -> None:
    """One line: the figure, its reference and the ratio; ``goal`` an upper bound on the
    ratio (or on the value itself when there is no reference)."""
    if ratio is None and ref_value:
        ratio = value / ref_value
    shown = f"{value:.3f} {unit}" if unit else f"{value:.3f}"
    ref = f"{ref_value:.3f} {unit} {reference}" if reference and ref_value is not None \
        else (reference or "")
    rat = f"{ratio:.2f}x" if ratio is not None else ""
    judged = ratio if ratio is not None else value
    verdict = "" if goal is None else ("ok" if judged <= goal and (unit or judged < goal)
                                       else "MISSED")
    goal_s = "" if goal is None else (f"<= {goal:g}x" if ratio is not None else
                                      f"< {goal:g}" if not unit else f"<= {goal:g} {unit}")
    ROWS.append((figure, shown, ref, rat, goal_s, verdict))
    print(f"  {figure:<46} {shown:>12}  {ref:<34} {rat:>7}  {goal_s:<9} {verdict}"
          + (f"  {note}" if note else ""), flush=True)


def section(title: str) -> None:
    print(f"\n== {title}", flush=True)


# ---- whole processes ----------------------------------------------------------------------
def cpu_of(cmd: list[str], env: dict | None = None, cwd: Path = ROOT) -> tuple[float, float]:
    """(CPU seconds, peak RSS in MB) of one run of ``cmd``, output thrown away."""
    with open(os.devnull, "wb") as null:
        p = subprocess.Popen(cmd, cwd=cwd, stdout=null, stderr=null, env=env)
        _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0


# The peak RSS the kernel gives for a child counts the memory of the process it was
# started from (the address space it had before its exec): a child of this process, after
# the in-process stages at 10,000 components, would report this process's own peak. A
# small launcher in between starts the command and reports the command's own figures.
_LAUNCHER = (
    "import os, subprocess, sys\n"
    "with open(os.devnull, 'wb') as null:\n"
    "    p = subprocess.Popen(sys.argv[1:], stdout=null, stderr=null)\n"
    "    _, status, ru = os.wait4(p.pid, 0)\n"
    "print(ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0)\n")


def peak_of(cmd: list[str], env: dict | None = None, cwd: Path = ROOT) -> tuple[float, float]:
    """(CPU seconds, peak RSS in MB) of one run of ``cmd``, started by a fresh launcher so
    that the peak is the command's own (see _LAUNCHER), output thrown away."""
    out = subprocess.run([PY, "-c", _LAUNCHER, *cmd], cwd=cwd, env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def paired(a: list[str], b: list[str], runs: int, env_a=None, env_b=None
           ) -> tuple[float, float, float]:
    """(median CPU of A, median CPU of B, median of the ratios A/B) over ``runs`` pairs run in
    turn, after one warm-up of each."""
    cpu_of(a, env_a), cpu_of(b, env_b)
    ta, tb, ratios = [], [], []
    for _ in range(runs):
        x = cpu_of(a, env_a)[0]
        y = cpu_of(b, env_b)[0]
        ta.append(x)
        tb.append(y)
        ratios.append(x / y if y > 0 else math.inf)
    return statistics.median(ta), statistics.median(tb), statistics.median(ratios)


#: Where the whole-process runs keep their bytecode (set by main; None: --no-pycache).
PYCACHE: Path | None = None


def bare_env() -> dict:
    """The environment a user's shell gives (no thread setting of ours), with bytecode
    cached as an installed package has it: pip compiles a wheel's modules when it installs
    them, and the dependencies' are compiled already. A PYTHONDONTWRITEBYTECODE in the
    caller's environment would have archlang's hundred modules compiled from source on
    every run and nothing else's, so the runs write theirs under a temporary
    PYTHONPYCACHEPREFIX instead (the warm-up run of each pair fills it; the checkout stays
    clean). ``--no-pycache`` keeps the caller's setting."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if PYCACHE is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


# ---- designs ------------------------------------------------------------------------------
def design(n: int, flows: int = 50) -> str:
    """The parse benchmark's synthetic design (groups of ten components with their calls)
    with ``n`` components and the flows of its first ``flows`` groups."""
    from bench_parse import synthetic

    out, skip, seen = [], False, 0
    for line in synthetic(n).split("\n"):
        if line.startswith("  flow "):
            seen += 1
            skip = seen > flows
        if not skip:
            out.append(line)
        elif line == "  }":
            skip = False
    return "\n".join(out)


def write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text)
    return p


# ---- sections -----------------------------------------------------------------------------
def cold(runs: int, tmp: Path) -> None:
    section("cold start (whole process, CPU s, pairs in turn)")
    cli = [PY, "-m", "archlang.cli"]
    env = bare_env()
    deps = [PY, "-c", "import pydantic, lark, numpy"]
    bare = [PY, "-c", "pass"]
    check = cli + ["check", "examples/shop.arch"]
    a, b, r = paired(check, deps, runs, env, env)
    row("check examples/shop.arch", a, "s", "import pydantic, lark, numpy", b, 1.3, r)
    a, b, r = paired(check, bare, runs, env, env)
    row("check examples/shop.arch", a, "s", "python -c pass", b, 20, r)
    # `import pydantic` is lazy: BaseModel (pydantic.main, its schema machinery) is not in
    # the reference above, and any model needs it. Shown, no goal.
    floor = [PY, "-c", "from pydantic import BaseModel; import lark, numpy"]
    a, b, r = paired(check, floor, runs, env, env)
    row("check examples/shop.arch", a, "s", "the same + pydantic.BaseModel", b, None, r)
    for args in (["--version"], ["explain", "AL101"], ["fmt", "--check", "examples/shop.arch"],
                 ["schema"]):
        a, b, r = paired(cli + args, bare, runs, env, env)
        row(" ".join(args), a, "s", "python -c pass", b, None, r)


class StageTimer:
    """CPU seconds of each analysis that ``analyze`` runs, by wrapping the module
    functions it looks up when called."""

    TARGETS = {"capacity": ("archlang.analysis.capacity", "analyze_capacity"),
               "availability": ("archlang.analysis.availability", "analyze_availability"),
               "latency": ("archlang.analysis.latency", "analyze_latency"),
               "rules": ("archlang.rules", "check_rules")}

    def __init__(self):
        import importlib

        self.spent = dict.fromkeys(self.TARGETS, 0.0)
        self.saved = []
        for stage, (mod, fn) in self.TARGETS.items():
            m = importlib.import_module(mod)
            orig = getattr(m, fn)
            self.saved.append((m, fn, orig))
            setattr(m, fn, self._wrap(stage, orig))

    def _wrap(self, stage, fn):
        def timed(*a, **k):
            t = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                self.spent[stage] += time.process_time() - t
        return timed

    def restore(self):
        for m, fn, orig in self.saved:
            setattr(m, fn, orig)


def stages(text: str, path: str) -> dict[str, float]:
    """CPU seconds of each stage of `archlang check` on ``text``."""
    import gc

    from archlang.checks import FileCheck
    from archlang.findings import analyze, problems
    from archlang.model.build import build_design, collector_paused
    from archlang.render.text import render_text
    from archlang.sources import load_units

    gc.collect()
    out: dict[str, float] = {}
    # as load_design does: the collector paused over the parse and the build together,
    # and the trees dropped before it resumes
    with collector_paused():
        t = time.process_time()
        recovered: list = []
        units, sources = load_units(path, text=text, recovered=recovered)
        out["parse"] = time.process_time() - t
        t = time.process_time()
        d = build_design(units, sources, path, recovered)
        out["build"] = time.process_time() - t
        del units
    timer = StageTimer()
    try:
        t = time.process_time()
        result = analyze(d)
        total = time.process_time() - t
    finally:
        timer.restore()
    out.update(timer.spent)
    out["assembly"] = total - sum(timer.spent.values())
    gc.freeze()                   # as `archlang check` does before its report
    t = time.process_time()
    fc = FileCheck(path=path, design=d, result=result, problems=problems(result),
                   verdict="fail")
    render_text([fc])
    out["report"] = time.process_time() - t
    gc.unfreeze()
    return out


def lark_parse(text: str) -> float:
    """CPU seconds of the bare ``Lark.parse`` of ``text`` with archlang's parser (the best
    of two), the collector paused as the parse stage pauses it."""
    import gc

    from archlang.model.build import collector_paused
    from archlang.syntax.parser import _parser

    lark = _parser()
    best = math.inf
    for _ in range(2):
        gc.collect()
        with collector_paused():
            t = time.process_time()
            lark.parse(text)
            best = min(best, time.process_time() - t)
    return best


def scale(runs: int, tmp: Path) -> None:
    section("stages at 1,000 and 10,000 components / 50 flows (in process, CPU s)")
    texts = {n: design(n) for n in (1000, 10000)}
    stages(design(100), "warm.arch")          # imports, grammar cache
    got = {}
    for n, text in texts.items():
        best = None
        for _ in range(2):      # the best of two at both sizes: one slow pass is no trend
            s = stages(text, f"bench{n}.arch")
            best = s if best is None else {k: min(v, s[k]) for k, v in best.items()}
        got[n] = best
    small, big = got[1000], got[10000]
    for k in small:
        row(f"{k} at 10k", big[k], "s", "at 1k", small[k], None, None)
        exp = math.log10(max(big[k], 1e-4) / max(small[k], 1e-4))
        row(f"  {k}: growth exponent 1k -> 10k", exp, "", goal=1.1)
    t1, t10 = sum(small.values()), sum(big.values())
    row("check, every stage, 10k", t10, "s", "at 1k", t1, None, None)
    row("  check: growth exponent 1k -> 10k", math.log10(t10 / t1), "", goal=1.1)
    row("check, every stage, 10k", t10, "s", goal=3.0)
    # The floor under the parse stage: Lark's own LALR parse of the same text (the grammar
    # and parser archlang uses, no error recovery, no span work), the best of two.
    floor = lark_parse(texts[10000])
    row("parse at 10k", big["parse"], "s", "Lark's own parse", floor, None)
    row("parse + build at 10k (of the 3 s)", big["parse"] + big["build"], "s")
    path = write(tmp, "bench10k.arch", texts[10000])
    cpu, rss = peak_of([PY, "-m", "archlang.cli", "check", str(path)], bare_env())
    row("archlang check 10k (whole process)", cpu, "s")
    row("peak memory, archlang check 10k", rss, "MB", goal=200.0)


def render(runs: int, tmp: Path) -> None:
    section("render, 200 components (whole process, CPU s, pairs in turn)")
    src = write(tmp, "r200.arch", design(200))
    dot = tmp / "r200.dot"
    subprocess.run([PY, "-m", "archlang.cli", "render", str(src), "-o", str(dot)], check=True,
                   capture_output=True)
    from archlang.render.engine import PURE, find_engine

    env = {**bare_env(), "ARCHLANG_DOT": PURE}
    engine = find_engine("svg", PURE).path
    bare_engine = [engine, "-Tsvg", str(dot), "-o" + str(tmp / "b.svg")]
    a, b, r = paired([PY, "-m", "archlang.cli", "render", str(src), "-o", str(tmp / "a.svg")],
                     bare_engine, runs, env, env)
    row("render 200 components to SVG", a, "s", f"{PURE} -Tsvg, same DOT", b, 3.0, r)
    # The floor under that goal: the imports a render cannot do without (pydantic's models,
    # Lark, Jinja2) and the same engine run on the same DOT, in one process.
    floor = [PY, "-c", "import subprocess, sys; from pydantic import BaseModel; "
             "import lark, jinja2; subprocess.run(sys.argv[1:], check=True)",
             *bare_engine]
    c, b, r = paired(floor, bare_engine, runs, env, env)
    row("  floor: imports + the engine", c, "s", f"{PURE} -Tsvg, same DOT", b, None, r)


class Recorder:
    """A numpy Generator that notes every draw (method and size) a run makes."""

    def __init__(self, rng):
        self.rng = rng
        self.calls: list[tuple[str, tuple, dict]] = []

    def __getattr__(self, name):
        fn = getattr(self.rng, name)

        def noted(*a, **k):
            self.calls.append((name, a, k))
            return fn(*a, **k)
        return noted


def montecarlo(runs: int, tmp: Path) -> None:
    section("Monte Carlo against a bare numpy loop drawing the same numbers (in process)")
    import numpy as np

    import archlang
    from archlang.analysis import latency as L
    from archlang.analysis import montecarlo as M
    from archlang.analysis.availability import compile_flow, component_models, domain_availability
    from archlang.analysis.capacity import analyze_capacity
    from archlang.graph import flow_tree

    d = archlang.load(ROOT / "examples" / "shop.arch")
    flow = next(iter(d.flows))
    fm = compile_flow(d, flow, component_models(d), domain_availability(d))
    sampler = M.FlowSampler(fm, trials=1_000_000)
    probs = np.array([p for _, p in sampler.rows])[:, None]

    def floor_availability():
        rng = np.random.default_rng(sampler.seed)
        done, total = 0, 0.0
        while done < sampler.trials:
            n = min(M.CHUNK, sampler.trials - done)
            up = rng.random((len(probs), n)) < probs
            total += float(up.all(axis=0).sum())
            done += n
        return total

    _ratio_rows(f"availability, {flow} ({sampler.trials:,} trials, {len(probs)} units)",
                lambda: sampler.estimate(), floor_availability, runs)

    cap = analyze_capacity(d)
    queues, _ = L._queues(d, cap)
    for flow in d.flows:
        tree = flow_tree(d, flow)
        n = L.samples_for(tree)
        rec = Recorder(L._rng(flow))
        try:
            _, hops = L._evaluate(L._sampler(d, queues, rec, L.NO_DOWN, None, flow), tree, n)
        except Exception:
            continue
        if not rec.calls:
            continue
        calls = rec.calls
        outputs = 1 + 3 * len(hops)    # the total and each hop's time, network and queueing

        def real(flow=flow, tree=tree, n=n):
            return L._evaluate(L._sampler(d, queues, L._rng(flow), L.NO_DOWN, None, flow),
                               tree, n)

        def floor(flow=flow, calls=calls, n=n, outputs=outputs):
            """The same draws, and the per-sample arrays the figures are read from written
            once each (a draw on a sub-sample, a cache's miss path, is spread over the
            ``n`` samples by the engine: the floor writes it too, into a row of its own)."""
            rng = L._rng(flow)
            out = np.empty((outputs, n))
            out[0] = 0.0
            for name, a, k in calls:
                x = getattr(rng, name)(*a, **k)
                if np.ndim(x) == 1 and len(x) == n:
                    out[0] += x
            out[1:] = out[0]
            return out

        _ratio_rows(f"latency, {flow} ({n:,} samples, {len(calls)} draws, {outputs} outputs)",
                    real, floor, runs)


def _ratio_rows(label: str, real, floor, runs: int) -> None:
    real(), floor()
    ta, tb, ratios = [], [], []
    for _ in range(max(3, runs)):
        t = time.process_time()
        real()
        x = time.process_time() - t
        t = time.process_time()
        floor()
        y = time.process_time() - t
        ta.append(x)
        tb.append(y)
        ratios.append(x / y)
    row(label, statistics.median(ta), "s", "bare numpy loop", statistics.median(tb), 1.3,
        statistics.median(ratios))


def jobs(runs: int, tmp: Path) -> None:
    section("check DIR -j 2 against -j 1 (whole process, wall s; same bytes)")
    cmd = [PY, "-m", "archlang.cli", "check", "examples", "--format", "json"]
    outs = [subprocess.run(cmd + ["-j", j], cwd=ROOT, capture_output=True).stdout
            for j in ("1", "2")]
    walls = {"1": [], "2": []}
    for _ in range(max(3, runs // 2)):
        for j in ("1", "2"):
            t = time.perf_counter()
            cpu_of(cmd + ["-j", j])
            walls[j].append(time.perf_counter() - t)
    a, b = statistics.median(walls["2"]), statistics.median(walls["1"])
    row("check examples -j 2 (wall)", a, "s", "-j 1", b, None, None,
        note="identical bytes" if outs[0] == outs[1] else "OUTPUT DIFFERS")


PYTM_MODEL = '''
from pytm import TM, Actor, Boundary, Dataflow, Datastore, Server
tm = TM("bench")
tm.description = "synthetic"
inet = Boundary("internet")
user = Actor("user")
user.inBoundary = inet
prev = user
for i in range({n}):
    node = Datastore(f"db{{i}}") if i % 5 == 4 else Server(f"svc{{i}}")
    Dataflow(prev, node, f"call {{i}}")
    prev = node if i % 5 != 4 else prev
tm.process()
'''


def pytm(runs: int, tmp: Path) -> None:
    section("against pytm --json, 51 nodes (whole process, CPU s, pairs in turn)")
    venv = ROOT / "benchmarks" / ".pytm-venv"
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([PY, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "pytm"], check=True)
    model = write(tmp, "tm.py", PYTM_MODEL.format(n=50))
    ours = write(tmp, "d51.arch", design(50, flows=5))
    a, b, r = paired([PY, "-m", "archlang.cli", "check", str(ours)],
                     [str(py), str(model), "--json", str(tmp / "tm.json")], runs,
                     bare_env(), bare_env())
    row("check, 51 components", a, "s", "pytm --json, 51 nodes", b, 1.0, r)


SECTIONS = {"cold": cold, "scale": scale, "render": render, "montecarlo": montecarlo,
            "jobs": jobs, "pytm": pytm}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sections", nargs="*", choices=[*SECTIONS, []], metavar="SECTION",
                    help=f"of {', '.join(SECTIONS)} (default: all but pytm)")
    ap.add_argument("--runs", type=int, default=5, help="pairs per whole-process ratio")
    ap.add_argument("--pytm", action="store_true",
                    help="also compare with pytm, installed in benchmarks/.pytm-venv")
    ap.add_argument("--no-pycache", action="store_true",
                    help="whole-process runs keep the caller's PYTHONDONTWRITEBYTECODE "
                         "(default: bytecode cached in a temporary PYTHONPYCACHEPREFIX)")
    args = ap.parse_args(argv)
    chosen = args.sections or [s for s in SECTIONS if s != "pytm"]
    if args.pytm and "pytm" not in chosen:
        chosen.append("pytm")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}")
    print(f"  {'figure':<46} {'measured':>12}  {'reference':<34} {'ratio':>7}  goal")
    global PYCACHE
    with tempfile.TemporaryDirectory() as tmp:
        PYCACHE = None if args.no_pycache else Path(tmp) / "pycache"
        print("  bytecode: " + ("as the caller's environment has it" if PYCACHE is None
                                else "cached (PYTHONPYCACHEPREFIX in a temporary folder)"))
        for name in chosen:
            SECTIONS[name](args.runs, Path(tmp))
    if "pytm" not in chosen:
        print("\n== pytm: skipped (run with --pytm to install it in its own venv and compare)")
    missed = [r for r in ROWS if r[5] == "MISSED"]
    print(f"\n{len(ROWS)} figures, {len(missed)} goals missed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
