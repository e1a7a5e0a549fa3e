"""Reading design files and resolving their imports (the stage before parsing).

`import "x.arch"` is relative to the importing file and must stay inside the project root,
the directory of the file that was loaded (or `root=`). A file is read once however often
it is imported; a cycle of imports is an error.
"""

from __future__ import annotations

import os
from pathlib import Path

from archlang.errors import Diagnostic, ImportError_, SourceError
from archlang.span import Span, span_of
from archlang.syntax.parser import parse, parse_recovering


#: Imports nest at most this deep (each level is a frame of ``visit``).
MAX_IMPORT_DEPTH = 100


def decode(data: bytes, file: str) -> str:
    """UTF-8 text of a file, or a SourceError pointing at the first undecodable byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        before = data[: e.start]
        line = before.count(b"\n") + 1
        col = e.start - (before.rfind(b"\n") + 1) + 1
        raise SourceError([Diagnostic(
            message=f"the file is not UTF-8 text (byte 0x{data[e.start]:02x})",
            span=Span.point(file, line, col), hint="save the file as UTF-8")]) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        col = nul - (text.rfind("\n", 0, nul) + 1) + 1
        raise SourceError([Diagnostic(
            message="the file is binary, not text (it holds a NUL byte)",
            span=Span.point(file, line, col), hint="give a design file (.arch) written as UTF-8 text")])
    return text


def check_not_empty(text: str, file: str) -> None:
    if not text.strip():
        raise SourceError([Diagnostic(message="the file is empty",
                                      span=Span.point(file, 1, 1),
                                      hint="a design starts with: system NAME { ... }")])


def read_file(path: str, at: Span | None = None, source_line: str | None = None,
              shown: str | None = None) -> str:
    """The text of ``path``; ``shown`` is how messages name it (default: ``path``)."""
    where = at or Span.point(path, 1, 1)
    name = shown or path
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        msg = f"cannot read '{name}': it is a directory"
    except FileNotFoundError:
        msg = f"cannot read '{name}': no such file"
    except PermissionError:
        msg = f"cannot read '{name}': permission denied"
    except OSError as e:
        msg = f"cannot read '{name}': {e.strerror or e}"
    else:
        return decode(data, name)
    hint = "an import is relative to the importing file" if at is not None else None
    raise SourceError([Diagnostic(message=msg, span=where, source_line=source_line, hint=hint)])


def load_units(path: str | os.PathLike, root: str | os.PathLike | None = None,
               text: str | None = None, recovered: list | None = None,
               name: str | None = None):
    """Parse ``path`` and everything it imports.

    Returns ``(units, sources)``: ``units`` is ``[(file, tree), ...]`` root first, then imports
    in the order they are met; ``sources`` maps each file to its text. With a ``recovered``
    list, syntax errors the parser can step over (unknown properties) are appended to it
    instead of raised, so that the builder can report the file's other errors too. ``name``
    is how messages and spans name the file (default: ``path``), e.g. ``main:shop.arch`` for
    a file read from a git revision; its imports are named relative to it.
    """
    actual = os.fspath(path)
    display = name or actual
    root_dir = Path(root if root is not None else (Path(actual).parent if actual != "<string>"
                                                   else Path.cwd())).resolve()
    sources: dict[str, str] = {}
    units: list[tuple[str, object]] = []
    done: set[Path] = set()

    def visit(file: str, real: Path | None, txt: str, stack: list[tuple[Path | None, str]]):
        check_not_empty(txt, file)
        sources[file] = txt
        if recovered is None:
            tree = parse(txt, file)
        else:
            tree, found = parse_recovering(txt, file)
            recovered.extend(found)
        if not tree.children:
            raise SourceError([Diagnostic(message="the file declares nothing: it holds only "
                                                  "comments and blank lines",
                                          span=Span.point(file, 1, 1),
                                          hint="a design starts with: system NAME { ... }")])
        units.append((file, tree))
        if real is not None:
            done.add(real)
        for imp in _imports(tree):
            tok = imp.children[-1]
            rel = str(tok)[1:-1]
            sp = span_of(file, imp)
            lines = txt.splitlines()
            src_line = lines[sp.line - 1] if sp.line <= len(lines) else None
            base = real.parent if real is not None else root_dir
            target = (base / rel).resolve()
            shown = os.path.normpath(os.path.join(os.path.dirname(file), rel)) \
                if file != "<string>" else rel
            try:
                target.relative_to(root_dir)
            except ValueError:
                raise ImportError_([Diagnostic(
                    message=f"import '{rel}' is outside the project root",
                    span=sp, source_line=src_line,
                    hint=f"imports must stay inside {root_dir.name or root_dir}/")]) from None
            chain = [p for p, _ in stack]
            if target in chain or target == real:
                names = [n for _, n in stack] + [file, shown]
                raise ImportError_([Diagnostic(
                    message="import cycle: " + " -> ".join(names[names.index(shown):] if shown in names[:-1] else names),
                    span=sp, source_line=src_line, hint="remove one of these imports")])
            if target in done:
                continue
            if len(stack) >= MAX_IMPORT_DEPTH:
                raise ImportError_([Diagnostic(
                    message=f"imports are nested more than {MAX_IMPORT_DEPTH} deep",
                    span=sp, source_line=src_line,
                    hint="import the shared files from one place instead of in a chain")])
            child_text = read_file(str(target), at=sp, source_line=src_line, shown=shown)
            visit(shown, target, child_text, stack + [(real, file)])

    if text is None:
        txt = read_file(actual, shown=display)
        real = Path(actual).resolve()
    else:
        txt = text
        real = None if actual == "<string>" else Path(actual).resolve()
    visit(display, real, txt, [])
    return units, sources


def _imports(tree):
    for node in tree.children:
        if node.data == "import_stmt":
            yield node
        elif node.data == "system":
            for stmt in node.children[1:]:
                if getattr(stmt, "data", None) == "import_stmt":
                    yield stmt
