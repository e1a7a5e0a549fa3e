"""Language server responsiveness (run on demand, not part of the test run).

    python benchmarks/bench_lsp.py            # designs of 100 and 1,000 components
    python benchmarks/bench_lsp.py 3000       # one size

For each size (bench_parse's synthetic design): the time from didOpen to the first
diagnostics (the model stage) and to the analysis; the round trip of completion and
hover requests made while that analysis is still running (median and max of 20); and,
after an edit made during the analysis, the time to the new version's model stage.
Then the cold start of `archlang check examples/shop.arch` (median of 9 processes).
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

from lsprotocol import types as T
from pytest_lsp import client_capabilities, make_test_lsp_client

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_parse import synthetic  # noqa: E402

ARCHLANG = str(Path(sys.executable).with_name("archlang"))


async def wait_log(client, needle: str, timeout: float = 600.0) -> float:
    start = time.perf_counter()
    while not any(needle in m.message for m in client.log_messages):
        if time.perf_counter() - start > timeout:
            raise TimeoutError(needle)
        await asyncio.sleep(0.005)
    return time.perf_counter()


async def one(n: int, tmp: Path) -> dict:
    client = make_test_lsp_client()
    await client.start_io(ARCHLANG, "lsp")
    await client.initialize_session(T.InitializeParams(
        capabilities=client_capabilities("visual-studio-code")))
    text = synthetic(n)
    path = tmp / f"bench{n}.arch"
    path.write_text(text, "utf-8")
    uri = path.as_uri()
    t0 = time.perf_counter()
    client.text_document_did_open(T.DidOpenTextDocumentParams(
        T.TextDocumentItem(uri=uri, language_id="archlang", version=1, text=text)))
    t_model = await wait_log(client, f"model of {uri} version 1") - t0
    i = text.index("users ->")
    line = text.count("\n", 0, i)
    at = T.Position(line, i - (text.rfind("\n", 0, i) + 1) + 9)
    trips = []
    for _ in range(10):
        s = time.perf_counter()
        await client.text_document_completion_async(T.CompletionParams(
            T.TextDocumentIdentifier(uri), at))
        trips.append(time.perf_counter() - s)
        s = time.perf_counter()
        await client.text_document_hover_async(T.HoverParams(T.TextDocumentIdentifier(uri), at))
        trips.append(time.perf_counter() - s)
    during = not any(f"analysis of {uri} version 1" in m.message for m in client.log_messages)
    t_analysis = await wait_log(client, f"analysis of {uri} version 1") - t0
    # an edit while the next analysis runs
    client.text_document_did_change(T.DidChangeTextDocumentParams(
        T.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [T.TextDocumentContentChangeWholeDocument(text=text + "\n")]))
    t1 = time.perf_counter()
    t_edit = await wait_log(client, f"model of {uri} version 2") - t1
    await client.shutdown_session()
    return dict(n=n, bytes=len(text), model=t_model, analysis=t_analysis,
                median=statistics.median(trips), max=max(trips), during=during, edit=t_edit)


def cold_check() -> float:
    runs = []
    for _ in range(9):
        s = time.perf_counter()
        subprocess.run([ARCHLANG, "check", "examples/shop.arch"], cwd=ROOT,
                       capture_output=True, check=False)
        runs.append(time.perf_counter() - s)
    return statistics.median(runs)


def main() -> None:
    import tempfile

    sizes = [int(a) for a in sys.argv[1:]] or [100, 1000]
    print("| components | bytes | first diagnostics | analysis | completion/hover round trip "
          "(median / max) | answered during the analysis | new version's diagnostics |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            r = asyncio.run(one(n, Path(d)))
            print(f"| {r['n']:,} | {r['bytes']:,} | {r['model']:.2f} s | {r['analysis']:.2f} s "
                  f"| {r['median'] * 1000:.1f} / {r['max'] * 1000:.1f} ms | "
                  f"{'yes' if r['during'] else 'no'} | {r['edit']:.2f} s |")
    print(f"\ncold `archlang check examples/shop.arch`: {cold_check():.3f} s (median of 9)")


if __name__ == "__main__":
    main()
