"""`archlang lsp` end to end: a real LSP client (pytest-lsp) drives the server over stdio.

The figures the server shows are checked against `archlang check --format json` run as a
subprocess on the same file, and the latency of calls into an external service against its
closed form (a lognormal through the declared p50/p99, plus the same-zone network hop).
Waits are bounded: each poll gives up after WAIT_S seconds.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as T
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from archlang.render.labels import fmt_pct

ROOT = Path(__file__).resolve().parents[1]
ARCHLANG = str(Path(sys.executable).with_name("archlang"))
WAIT_S = 90.0


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[ARCHLANG, "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(T.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=None))
    yield
    await lsp_client.shutdown_session()


def cli_json(path: Path) -> dict:
    out = subprocess.run([ARCHLANG, "check", "--format", "json", str(path)],
                         capture_output=True, text=True, timeout=120)
    return json.loads(out.stdout)["files"][0]


def cli_errors(path: Path) -> list[tuple[int, int, str]]:
    """(line, column, message) of every error `archlang check` prints for ``path``."""
    out = subprocess.run([ARCHLANG, "check", str(path)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2
    return [(int(m[1]), int(m[2]), m[3]) for m in
            re.finditer(rf"^{re.escape(str(path))}:(\d+):(\d+): error: (.*)$", out.stderr,
                        re.M)]


async def until(predicate, what: str):
    """Poll ``predicate`` (a coroutine function or function) until true; bounded."""
    loop = asyncio.get_running_loop()
    end = loop.time() + WAIT_S
    while True:
        got = predicate()
        if asyncio.iscoroutine(got):
            got = await got
        if got:
            return got
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def pos(text: str, needle: str, offset: int = 0) -> T.Position:
    i = text.index(needle) + offset
    line = text.count("\n", 0, i)
    return T.Position(line, i - (text.rfind("\n", 0, i) + 1))


def open_doc(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(T.DidOpenTextDocumentParams(
        T.TextDocumentItem(uri=uri, language_id="archlang", version=version, text=text)))
    return uri


def change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(T.DidChangeTextDocumentParams(
        T.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [T.TextDocumentContentChangeWholeDocument(text=text)]))


def diag_key(d: T.Diagnostic) -> tuple:
    return (d.range.start.line + 1, d.range.start.character + 1, d.message.split("\n")[0])


def analysed(client, uri, version):
    return lambda: any("analysis" in m.message and f"version {version}" in m.message
                       for m in client.log_messages if uri in m.message)


@pytest.mark.asyncio
async def test_a_whole_editing_exchange(client: LanguageClient, tmp_path: Path):
    path = tmp_path / "shop.arch"
    text = (ROOT / "examples" / "shop.arch").read_text("utf-8")
    path.write_text(text, "utf-8")
    expected = cli_json(path)
    uri = open_doc(client, path, text)

    # diagnostics on open: the findings `check` reports, at the same lines and columns
    await until(analysed(client, uri, 1), "the analysis of version 1")
    got = sorted(diag_key(d) for d in client.diagnostics[uri])
    want = sorted((f["line"], f["column"], f["message"]) for f in expected["findings"])
    assert got == want and want

    # hover on a component: its availability alone and as placed, utilisation, SPOF
    comps = {c["name"]: c for c in expected["components"]}
    spof_units = {s["unit"] for f in expected["flows"] for s in f["spofs"]}
    h = await client.text_document_hover_async(T.HoverParams(
        T.TextDocumentIdentifier(uri), pos(text, "orders write")))
    body = h.contents.value
    assert "database orders" in body
    assert fmt_pct(comps["orders"]["availability"]) in body
    assert fmt_pct(comps["orders"]["availability_with_domains"]) in body
    assert fmt_pct(comps["orders"]["utilisation"], 1) in body
    assert ("SPOF" in body) == ("orders" in spof_units)

    # hover on the external payments: p50/p99 of the calls into it (from api), against the
    # closed form: lognormal p50 120ms / p99 600ms plus the same-zone hop (0.2 ms)
    async def payments_timed():
        h = await client.text_document_hover_async(T.HoverParams(
            T.TextDocumentIdentifier(uri), pos(text, "path api -> payments", 12)))
        return h if "timing" not in h.contents.value and "analysing" not in h.contents.value \
            else None
    h = await until(payments_timed, "call latencies")
    m = re.search(r"checkout from api: p50 ([\d.]+) ms, p99 ([\d.]+) ms", h.contents.value)
    assert m, h.contents.value
    assert abs(float(m[1]) - 120.2) / 120.2 < 0.02
    assert abs(float(m[2]) - 600.2) / 600.2 < 0.05
    assert "not a single point of failure" not in h.contents.value   # payments is one
    assert "payments" in spof_units

    # hover on a flow: availability, p99 and each SLO's verdict
    flows = {f["name"]: f for f in expected["flows"]}
    h = await client.text_document_hover_async(T.HoverParams(
        T.TextDocumentIdentifier(uri), pos(text, "flow checkout", 6)))
    body = h.contents.value
    assert fmt_pct(flows["checkout"]["availability"]) in body
    assert "p99" in body
    verdicts = re.findall(r"(pass|FAIL): (availability|latency|throughput)", body)
    assert [(v.lower(), k) for v, k in verdicts] == \
        [(s["status"], s["kind"]) for s in flows["checkout"]["slos"]]

    # go to definition: a component called in a flow path, a zone in a placement
    loc = await client.text_document_definition_async(T.DefinitionParams(
        T.TextDocumentIdentifier(uri), pos(text, "-> sessions ->", 4)))
    assert loc.uri == uri and loc.range.start == pos(text, "sessions {")
    loc = await client.text_document_definition_async(T.DefinitionParams(
        T.TextDocumentIdentifier(uri), pos(text, "placement us-east.a, us-east.b, us-east.c",
                                           29)))
    assert loc.range.start == pos(text, "b availability")
    h = await client.text_document_hover_async(T.HoverParams(
        T.TextDocumentIdentifier(uri), pos(text, "placement us-east.a", 19)))
    assert "**zone us-east.a**" in h.contents.value
    assert "availability: 99.95%" in h.contents.value
    assert "placed here: api, front, orders, sessions" in h.contents.value

    # references: every use of `sessions` outside comments, declaration included
    refs = await client.text_document_references_async(T.ReferenceParams(
        text_document=T.TextDocumentIdentifier(uri), position=pos(text, "cache sessions", 7),
        context=T.ReferenceContext(include_declaration=True)))
    code = "\n".join(re.sub(r"#.*", "", line) for line in text.splitlines())
    assert len(refs) == len(re.findall(r"(?<![\w-])sessions(?![\w-])", code)) == 3

    # completion: an enumeration's values, a kind's properties, declared names after '->'
    async def labels(at: T.Position):
        r = await client.text_document_completion_async(T.CompletionParams(
            T.TextDocumentIdentifier(uri), at))
        return {i.label for i in r.items}
    assert await labels(pos(text, "eviction lru", 9)) == {"lru", "lfu", "fifo", "random"}
    props = await labels(pos(text, "    engine redis", 4))
    assert {"hit_ratio", "write_policy", "eviction", "ttl"} <= props
    assert "followers" not in props and "delivery" not in props    # not a cache's
    assert {"orders", "payments", "images"} <= await labels(pos(text, "api -> images", 7))

    # an edit with a typo: the CLI's error, at its span, then the "did you mean" fix
    typo = text.replace("api -> images optional", "api -> imagez optional")
    change(client, uri, typo, 2)
    await until(lambda: client.diagnostics.get(uri) and any(
        d.severity == T.DiagnosticSeverity.Error for d in client.diagnostics[uri]),
        "the error of version 2")
    bad = tmp_path / "typo.arch"
    bad.write_text(typo, "utf-8")
    want = cli_errors(bad)
    errors = [d for d in client.diagnostics[uri] if d.severity == T.DiagnosticSeverity.Error]
    assert sorted(diag_key(d) for d in errors) == sorted(want) and want
    (err,) = [d for d in errors if "imagez" in d.message]
    assert err.range.end.character - err.range.start.character == len("imagez")
    actions = await client.text_document_code_action_async(T.CodeActionParams(
        text_document=T.TextDocumentIdentifier(uri), range=err.range,
        context=T.CodeActionContext(diagnostics=[err])))
    (fix,) = actions
    (edit,) = fix.edit.changes[uri]
    assert edit.new_text == "images" and edit.range == err.range

    # the fix applied: clean again
    change(client, uri, text, 3)
    await until(analysed(client, uri, 3), "the analysis of version 3")
    assert not [d for d in client.diagnostics[uri] if d.severity == T.DiagnosticSeverity.Error]

    # formatting through fmt: the edit gives exactly what `archlang fmt` writes
    messy = text.replace("  server api {", "server   api   {").replace(
        "    stateless\n", "        stateless\n")
    change(client, uri, messy, 4)
    edits = await client.text_document_formatting_async(T.DocumentFormattingParams(
        text_document=T.TextDocumentIdentifier(uri),
        options=T.FormattingOptions(tab_size=2, insert_spaces=True)))
    (edit,) = edits
    assert edit.range.start == T.Position(0, 0)
    other = tmp_path / "messy.arch"
    other.write_text(messy, "utf-8")
    subprocess.run([ARCHLANG, "fmt", str(other)], check=True, capture_output=True, timeout=60)
    assert edit.new_text == other.read_text("utf-8") == text


@pytest.mark.asyncio
async def test_imports_definition_and_diagnostics_in_the_imported_file(
        client: LanguageClient, tmp_path: Path):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    path = tmp_path / "examples" / "webapp.arch"
    text = path.read_text("utf-8")
    uri = open_doc(client, path, text)
    await until(analysed(client, uri, 1), "the analysis")
    # the import's string goes to the file, a zone declared there is found there
    loc = await client.text_document_definition_async(T.DefinitionParams(
        T.TextDocumentIdentifier(uri), pos(text, '"common/us-east.arch"', 3)))
    assert loc.uri == (tmp_path / "examples" / "common" / "us-east.arch").as_uri()
    loc = await client.text_document_definition_async(T.DefinitionParams(
        T.TextDocumentIdentifier(uri), pos(text, "placement us-east.a", 18)))
    shared = (tmp_path / "examples" / "common" / "us-east.arch").read_text("utf-8")
    assert loc.uri.endswith("common/us-east.arch")
    assert loc.range.start == pos(shared, "a availability")

    # an error in the imported file is published to that file, and cleared when fixed
    common = tmp_path / "examples" / "common" / "us-east.arch"
    common.write_text(shared.replace("zone a availability 99.95%",
                                     "zone a availabilty 99.95%"), "utf-8")
    client.text_document_did_save(T.DidSaveTextDocumentParams(T.TextDocumentIdentifier(uri)))
    await until(lambda: client.diagnostics.get(common.as_uri()), "the imported file's error")
    (d,) = client.diagnostics[common.as_uri()]
    assert "availabilty" in d.message and "did you mean 'availability'?" in d.message
    common.write_text(shared, "utf-8")
    client.text_document_did_save(T.DidSaveTextDocumentParams(T.TextDocumentIdentifier(uri)))
    await until(lambda: list(client.diagnostics.get(common.as_uri(), [None])) == [],
                "the error cleared")


def big_design(n: int) -> str:
    """A chain of n servers with lognormal latencies: a Monte Carlo analysis of seconds."""
    lines = ["system big {", "  client users { latency 10ms }"]
    lines += [f"  server s{i} {{ latency p50 1ms p99 9ms replicas 3 capacity 900 rps }}"
              for i in range(n)]
    for f in range(8):
        hops = " -> ".join(f"s{i}" for i in range(f, n, 8))     # 75 steps: under the limit
        lines += [f"  flow f{f} rate 10 rps {{", f"    path users -> {hops}",
                  "    slo latency p99 900ms", "  }"]
    return "\n".join(lines + ["}", ""])


@pytest.mark.asyncio
async def test_a_large_design_stays_responsive_and_newer_edits_cancel(
        client: LanguageClient, tmp_path: Path):
    path = tmp_path / "big.arch"
    text = big_design(600)
    uri = open_doc(client, path, text)
    # the names are in as soon as the model stage is: completion answers while the
    # analysis of the same version is still running
    await until(lambda: any(f"model of {uri} version 1" in m.message
                            for m in client.log_messages), "the model stage")
    r = await client.text_document_completion_async(T.CompletionParams(
        T.TextDocumentIdentifier(uri), pos(text, "path users -> s0", 14)))
    assert {"s0", "s599"} <= {i.label for i in r.items}
    assert not client.diagnostics.get(uri), "the large design must check"
    assert not analysed(client, uri, 1)(), "the analysis finished before the completion"
    # a newer version supersedes it: version 1's analysis is never published
    small = "system big {\n  client users { latency 10ms }\n  server s0 { latency 1ms }\n" \
            "  flow f0 { path users -> s0 }\n}\n"
    change(client, uri, small, 2)
    await until(analysed(client, uri, 2), "the analysis of version 2")
    await asyncio.sleep(1.0)
    assert not analysed(client, uri, 1)()
    # stopped while it ran, or (when it had just finished) its results dropped
    assert any(f"superseded {uri} version 1:" in m.message for m in client.log_messages)


def test_check_does_not_import_the_server():
    code = ("import sys; from archlang.cli import main; main(['check', 'examples/shop.arch']); "
            "sys.stdout.flush(); "
            "print('\\n' + ' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('pygls', 'lsprotocol', 'watchfiles', 'pygments', 'archlang.lsp'))) + '|')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.stdout.rstrip().endswith("\n|"), out.stdout[-300:]
    assert "archlang.lsp" not in out.stdout.splitlines()[-1]


def test_lsp_without_pygls_says_how_to_install_it():
    code = "import sys; sys.modules['pygls'] = None; from archlang.cli import main; " \
           "raise SystemExit(main(['lsp']))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2
    assert out.stderr == ("archlang: error: the language server needs pygls: "
                          "pip install 'archlang[lsp]'\n")
