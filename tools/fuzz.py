"""The long run of the grammar-aware fuzzer (tests/grammar_fuzz.py holds the strategies).

    .venv/bin/python tools/fuzz.py --inputs 20000 [--seed 0] [--corpus tests/data/fuzz]

Draws inputs from three sources in turn (texts from the grammar, valid designs laid out at
random, mutated examples), runs each through load, analysis, every output format and
fmt, and counts: inputs, valid designs, tracebacks (any exception but ArchlangError),
rule breaks (a non-finite figure, a raw control character, fmt changing meaning), hangs
(an input taking over --timeout seconds) and the slowest input. An input that fails is
written to the corpus directory, where tests/test_hardening.py replays it.
"""

from __future__ import annotations

import argparse
import hashlib
import signal
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.setrecursionlimit(5000)       # as archlang.analysis sets it, before hypothesis records it
sys.path.insert(0, str(ROOT / "tests"))

import grammar_fuzz as gf  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def mutated_examples():
    examples = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.arch"))]
    words = ["{", "}", "->", "|", ",", "x1000", "replicas 1000", "p100", '"\\x"', "\r",
             "\u2028", "\x0c", "# noqa", "1e309", "9" * 400, "latency 1d", ";", "legend"]

    @st.composite
    def mutate(draw):
        text = draw(st.sampled_from(examples))
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(text)))
            j = draw(st.integers(i, min(len(text), i + 20)))
            text = text[:i] + draw(st.sampled_from(words + [""])) + text[j:]
        return text
    return mutate()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inputs", type=int, default=20000)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--corpus", default=str(ROOT / "tests" / "data" / "fuzz"))
    args = ap.parse_args(argv)
    corpus = Path(args.corpus)
    counts = {"inputs": 0, "valid": 0, "invalid": 0, "tracebacks": 0, "rule_breaks": 0,
              "fmt_changes": 0, "hangs": 0}
    slowest = [0.0]
    strategy = st.one_of(gf.syntax_texts(), gf.designs(), mutated_examples())
    signal.signal(signal.SIGALRM, _alarm)

    @settings(max_examples=args.inputs, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(text):
        counts["inputs"] += 1
        t0 = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, args.timeout)
        kind = None
        try:
            counts[gf.check_input(text)] += 1
        except Hang:
            kind = "hangs"
        except gf.FuzzFailure as e:
            kind = "fmt_changes" if "fmt" in str(e) else "rule_breaks"
            detail = str(e)
        except Exception:
            kind = "tracebacks"
            detail = traceback.format_exc()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        slowest[0] = max(slowest[0], time.perf_counter() - t0)
        if kind is not None:
            counts[kind] += 1
            name = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
            corpus.mkdir(parents=True, exist_ok=True)
            (corpus / f"{kind}-{name}.arch").write_bytes(text.encode("utf-8", "surrogatepass"))
            if kind != "hangs":
                print(f"{kind}: {name}: {detail.splitlines()[-1] if detail else ''}",
                      file=sys.stderr)
        if counts["inputs"] % 1000 == 0:
            print(f"{counts} slowest {slowest[0]:.2f}s", file=sys.stderr, flush=True)

    run()
    print(" ".join(f"{k}={v}" for k, v in counts.items()) + f" slowest={slowest[0]:.2f}s")
    bad = counts["tracebacks"] + counts["rule_breaks"] + counts["fmt_changes"] + counts["hangs"]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
