"""The archlang language server.

On open and on every change a worker process reads the new text (``worker.run``) and
reports in stages: first the diagnostics of parsing and building the design (the CLI's
messages and spans) with the name index, then the findings and failed SLOs with the
figures hover shows, then the latency of the calls into each component. Each stage is
published as soon as it arrives, tagged with the document version it is of. A newer
version cancels the pending one (its worker is killed), and a short pause after the last
keystroke starts the next, so typing never waits on analysis and a large design stays
responsive: hover, completion, definition and references answer from what the last
finished stage found.

Workers fork from a fork server that has imported the analysers once.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as T
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from archlang.about import version
from archlang.lsp import hover, worker
from archlang.lsp.complete import complete
from archlang.lsp.scan import Index, Occurrence

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.context import ForkServerContext  # not on Windows

    from archlang.lsp.worker import CallLatency, Figures, Message, WireDiagnostic

#: Seconds after the last change before the design is read again.
DEBOUNCE_S = 0.15
_SEVERITY = {"error": T.DiagnosticSeverity.Error, "warning": T.DiagnosticSeverity.Warning,
             "info": T.DiagnosticSeverity.Information}
_DID_YOU_MEAN = re.compile(r"did you mean '([^']+)'\?")
_ITEM_KIND = {"keyword": T.CompletionItemKind.Keyword, "kind": T.CompletionItemKind.Class,
              "property": T.CompletionItemKind.Property,
              "value": T.CompletionItemKind.EnumMember,
              "component": T.CompletionItemKind.Reference,
              "zone": T.CompletionItemKind.Module, "region": T.CompletionItemKind.Module,
              "modifier": T.CompletionItemKind.Keyword}


@dataclass
class DocState:
    version: int = 0
    index: Index | None = None
    model: list[WireDiagnostic] = field(default_factory=list)     # of parse/build
    findings: list[WireDiagnostic] = field(default_factory=list)  # of the analysis
    figures: Figures | None = None
    calls: dict[str, list[CallLatency]] | None = None
    analysing: bool = False
    task: asyncio.Task[None] | None = None
    published: set[str] = field(default_factory=set)      # URIs diagnostics went to


class ArchlangServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("archlang", version())
        self.docs: dict[str, DocState] = {}
        self._mp: ForkServerContext | None = None

    def context(self) -> ForkServerContext:
        if self._mp is None:
            self._mp = multiprocessing.get_context("forkserver")
            self._mp.set_forkserver_preload(["archlang.lsp.worker", "archlang.analysis",
                                             "archlang.analysis.latency", "archlang.rules",
                                             "archlang.render.ci", "numpy"])
        return self._mp

    # ---- positions ------------------------------------------------------------------------
    def lines_of(self, path: str) -> list[str]:
        uri = from_fs_path(path)
        doc = self.workspace.text_documents.get(uri) if uri else None
        if doc is not None:
            return list(doc.lines)
        try:
            return Path(path).read_text("utf-8").splitlines(True)
        except (OSError, UnicodeDecodeError):
            return []

    def to_range(self, path: str, line: int, col: int, end_line: int, end_col: int,
                 lines: list[str] | None = None) -> T.Range:
        lines = self.lines_of(path) if lines is None else lines
        rng = ServerTextRange(ServerTextPosition(line, col), ServerTextPosition(end_line,
                                                                                 end_col))
        return self.workspace.position_codec.range_to_client_units(lines, rng)

    def cursor(self, uri: str, pos: T.Position) -> tuple[str, int, int, str]:
        doc = self.workspace.get_text_document(uri)
        p = doc.position_from_client_units(pos)
        return _path(uri), p.line, p.character, doc.source

    # ---- analysis -------------------------------------------------------------------------
    def schedule(self, uri: str, version: int, delay: float) -> None:
        st = self.docs.setdefault(uri, DocState())
        if st.task is not None:
            st.task.cancel()
        st.version = version
        st.task = asyncio.get_running_loop().create_task(self._analyse(uri, version, delay))

    async def _analyse(self, uri: str, version: int, delay: float) -> None:
        await asyncio.sleep(delay)
        st = self.docs[uri]
        text = self.workspace.get_text_document(uri).source
        path = _path(uri)
        ctx = self.context()
        loop = asyncio.get_running_loop()
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=worker.run, args=(child, path, text), daemon=True)
        await loop.run_in_executor(None, proc.start)
        child.close()
        st.analysing = True
        try:
            while True:
                msg = await loop.run_in_executor(None, _recv, parent)
                if msg is None or msg["stage"] == "done":
                    break
                self._apply(uri, version, msg)
        except asyncio.CancelledError:
            proc.kill()
            self.log(f"superseded {uri} version {version}: its worker was stopped")
            raise
        finally:
            if st.version == version:
                st.analysing = False
            parent.close()
            await loop.run_in_executor(None, proc.join, 5)

    def log(self, message: str) -> None:
        self.window_log_message(T.LogMessageParams(T.MessageType.Log, message))

    def _apply(self, uri: str, version: int, msg: Message) -> None:
        stage = msg["stage"]
        st = self.docs.get(uri)
        if st is None or st.version != version:        # a newer version is on its way
            self.log(f"superseded {uri} version {version}: its {stage} was dropped")
            return
        self.log(f"{stage} of {uri} version {version}")
        if msg["stage"] == "model":
            st.model, st.findings = msg["diagnostics"], []
            st.index = msg["index"]
            if msg["diagnostics"]:
                st.figures, st.calls = None, None
            self.publish(uri, version)
        elif msg["stage"] == "analysis":
            st.findings, st.figures, st.calls = msg["diagnostics"], msg["figures"], None
            self.publish(uri, version)
        elif msg["stage"] == "calls":
            st.calls = msg["calls"]
        elif msg["stage"] == "crash":
            self.window_log_message(T.LogMessageParams(
                T.MessageType.Error, f"archlang analysis failed:\n{msg['trace']}"))

    def publish(self, uri: str, version: int) -> None:
        st = self.docs[uri]
        by_uri: dict[str, list[T.Diagnostic]] = {}
        for d in st.model + st.findings:
            target = from_fs_path(d["file"]) or uri
            by_uri.setdefault(target, []).append(self.diagnostic(d))
        for gone in st.published - set(by_uri) - {uri}:
            self.text_document_publish_diagnostics(T.PublishDiagnosticsParams(gone, []))
        by_uri.setdefault(uri, [])
        for target, diags in by_uri.items():
            self.text_document_publish_diagnostics(T.PublishDiagnosticsParams(
                target, diags, version=version if target == uri else None))
        st.published = set(by_uri)

    def diagnostic(self, d: WireDiagnostic) -> T.Diagnostic:
        message = d["message"] + (f"\nhint: {d['hint']}" if d["hint"] else "")
        return T.Diagnostic(
            range=self.to_range(d["file"], d["line"], d["col"], d["end_line"], d["end_col"]),
            message=message, severity=_SEVERITY[d["severity"]], code=d["code"],
            source="archlang", data={"hint": d["hint"]} if d["hint"] else None)


def _path(uri: str) -> str:
    """The file of a document's URI (the client opens files: their URIs have one)."""
    path = to_fs_path(uri)
    assert path is not None, uri
    return path


def _recv(conn: Connection) -> Message | None:
    try:
        msg: Message = conn.recv()          # what worker.run sent
    except (EOFError, OSError):
        return None
    return msg


server = ArchlangServer()


@server.feature(T.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: ArchlangServer, params: T.DidOpenTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, params.text_document.version, 0.0)


@server.feature(T.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: ArchlangServer, params: T.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, params.text_document.version, DEBOUNCE_S)


@server.feature(T.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: ArchlangServer, params: T.DidSaveTextDocumentParams) -> None:
    # imported files may have changed on disk: read every open design again
    for uri, st in list(ls.docs.items()):
        ls.schedule(uri, st.version, 0.0)


@server.feature(T.TEXT_DOCUMENT_DID_CLOSE)
async def did_close(ls: ArchlangServer, params: T.DidCloseTextDocumentParams) -> None:
    st = ls.docs.pop(params.text_document.uri, None)
    if st is not None:
        if st.task is not None:
            st.task.cancel()
        for uri in st.published:
            ls.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri, []))


def _location(ls: ArchlangServer, o: Occurrence) -> T.Location:
    return T.Location(from_fs_path(o.file), ls.to_range(o.file, o.line, o.col, o.line,
                                                        o.end_col))


@server.feature(T.TEXT_DOCUMENT_HOVER)
def on_hover(ls: ArchlangServer, params: T.HoverParams) -> T.Hover | None:
    st = ls.docs.get(params.text_document.uri)
    if st is None or st.index is None:
        return None
    path, line, col, _ = ls.cursor(params.text_document.uri, params.position)
    o = st.index.at(path, line, col)
    if o is None:
        return None
    kind, name = o.key
    figs = st.figures
    if kind == "component":
        text = hover.component(name, figs["components"].get(name) if figs else None,
                               (st.calls or {}).get(name), st.analysing)
    elif kind == "flow":
        text = hover.flow(name, figs["flows"].get(name) if figs else None, st.analysing)
    elif kind == "import":
        text = f"imports `{name}`"
    else:
        text = hover.domain(kind, name, figs["domains"].get((kind, name)) if figs else None)
    return T.Hover(T.MarkupContent(T.MarkupKind.Markdown, text),
                   range=ls.to_range(o.file, o.line, o.col, o.line, o.end_col))


@server.feature(T.TEXT_DOCUMENT_DEFINITION)
def on_definition(ls: ArchlangServer, params: T.DefinitionParams) -> T.Location | None:
    st = ls.docs.get(params.text_document.uri)
    if st is None or st.index is None:
        return None
    path, line, col, _ = ls.cursor(params.text_document.uri, params.position)
    o = st.index.at(path, line, col)
    if o is None:
        return None
    if o.key[0] == "import":
        return T.Location(from_fs_path(os.path.abspath(o.key[1])),
                          T.Range(T.Position(0, 0), T.Position(0, 0)))
    decl = st.index.declarations().get(o.key)
    return _location(ls, decl) if decl is not None else None


@server.feature(T.TEXT_DOCUMENT_REFERENCES)
def on_references(ls: ArchlangServer, params: T.ReferenceParams
                  ) -> list[T.Location] | None:
    st = ls.docs.get(params.text_document.uri)
    if st is None or st.index is None:
        return None
    path, line, col, _ = ls.cursor(params.text_document.uri, params.position)
    o = st.index.at(path, line, col)
    if o is None:
        return None
    return [_location(ls, u) for u in st.index.uses(o.key)
            if params.context.include_declaration or not u.declaration]


@server.feature(T.TEXT_DOCUMENT_COMPLETION,
                T.CompletionOptions(trigger_characters=[" ", ">", ".", ","]))
def on_completion(ls: ArchlangServer, params: T.CompletionParams) -> T.CompletionList:
    st = ls.docs.get(params.text_document.uri)
    _, line, col, text = ls.cursor(params.text_document.uri, params.position)
    items = complete(text, line, col, st.index if st else None)
    return T.CompletionList(is_incomplete=False, items=[
        T.CompletionItem(label=i.label, kind=_ITEM_KIND.get(i.kind), detail=i.detail or i.kind)
        for i in items])


@server.feature(T.TEXT_DOCUMENT_FORMATTING)
async def on_formatting(ls: ArchlangServer, params: T.DocumentFormattingParams
                        ) -> list[T.TextEdit] | None:
    from archlang.errors import ArchlangError
    from archlang.syntax.fmt import format_text

    doc = ls.workspace.get_text_document(params.text_document.uri)
    text = doc.source
    try:
        new = await asyncio.get_running_loop().run_in_executor(
            None, format_text, text, _path(params.text_document.uri))
    except ArchlangError:
        return None                    # the diagnostics already say why
    if new == text:
        return []
    lines = list(doc.lines)
    end = ls.workspace.position_codec.position_to_client_units(
        lines, ServerTextPosition(len(lines), 0))
    return [T.TextEdit(T.Range(T.Position(0, 0), end), new)]


@server.feature(T.TEXT_DOCUMENT_CODE_ACTION,
                T.CodeActionOptions(code_action_kinds=[T.CodeActionKind.QuickFix]))
def on_code_action(ls: ArchlangServer, params: T.CodeActionParams) -> list[T.CodeAction]:
    """"did you mean 'x'?" -> a fix that writes x in place of the misspelt word."""
    doc = ls.workspace.get_text_document(params.text_document.uri)
    actions = []
    for d in params.context.diagnostics:
        m = _DID_YOU_MEAN.search(d.message)
        if d.source != "archlang" or m is None:
            continue
        word = doc.text_in_client_range(d.range) if hasattr(doc, "text_in_client_range") \
            else None
        if not word or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", word):
            continue
        actions.append(T.CodeAction(
            title=f"Change '{word}' to '{m.group(1)}'", kind=T.CodeActionKind.QuickFix,
            diagnostics=[d], is_preferred=True,
            edit=T.WorkspaceEdit(changes={params.text_document.uri: [
                T.TextEdit(d.range, m.group(1))]})))
    return actions


def serve() -> None:
    server.start_io()
