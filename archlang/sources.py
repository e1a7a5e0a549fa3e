"""Reading design files and resolving their imports (the stage before parsing).

`import "x.arch"` is relative to the importing file and must stay inside the project root,
the directory of the file that was loaded (or `root=`). A file is read once however often
it is imported; a cycle of imports is an error.
"""

from __future__ import annotations

import gc
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from archlang.errors import Diagnostic, ImportError_, SourceError, SyntaxError_
from archlang.limits import MAX_FILE_BYTES, MAX_FILES, MAX_IMPORT_DEPTH
from archlang.span import (
    Span,
    is_tree,
    normalize_newlines,
    source_lines,
    span_of,
    token_of,
    tree_of,
)
from archlang.syntax.parser import decode_string, parse, parse_recovering, string_problems

if TYPE_CHECKING:
    from lark import Token, Tree

#: One file of a design: its name (as messages show it) and its syntax tree.
Unit: TypeAlias = "tuple[str, Tree[Token]]"


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
            span=Span.point(file, line, col),
            hint="give a design file (.arch) written as UTF-8 text")])
    return text


def check_not_empty(text: str, file: str) -> None:
    if not text.strip():
        raise SourceError([Diagnostic(message="the file is empty",
                                      span=Span.point(file, 1, 1),
                                      hint="a design starts with: system NAME { ... }")])


class _NotRegular(OSError):
    pass


def _read_regular(path: str) -> bytes:
    """The bytes of a regular file, at most MAX_FILE_BYTES + 1 of them. A FIFO, a device or
    a socket is refused without blocking: it is opened non-blocking and checked first."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(st.st_mode):
            raise _NotRegular("it is not a regular file (a FIFO, a device or a socket)")
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_file(path: str, at: Span | None = None, source_line: str | None = None,
              shown: str | None = None) -> str:
    """The text of ``path``; ``shown`` is how messages name it (default: ``path``)."""
    where = at or Span.point(path, 1, 1)
    name = shown or path
    try:
        data = _read_regular(path)
    except _NotRegular as e:
        msg = f"cannot read '{name}': {e}"
    except IsADirectoryError:
        msg = f"cannot read '{name}': it is a directory"
    except FileNotFoundError:
        msg = f"cannot read '{name}': no such file"
    except PermissionError:
        msg = f"cannot read '{name}': permission denied"
    except OSError as e:
        msg = f"cannot read '{name}': {e.strerror or e}"
    else:
        if len(data) > MAX_FILE_BYTES:
            raise SourceError([Diagnostic(
                message=f"'{name}' is larger than {MAX_FILE_BYTES:,} bytes, the limit of a "
                        f"design file", span=where, source_line=source_line,
                hint="split the design into files that import each other")])
        return decode(data, name)
    hint = "an import is relative to the importing file" if at is not None else None
    raise SourceError([Diagnostic(message=msg, span=where, source_line=source_line, hint=hint)])


def load_units(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None,
               text: str | None = None, recovered: list[Diagnostic] | None = None,
               name: str | None = None) -> tuple[list[Unit], dict[str, str]]:
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
    units: list[Unit] = []
    done: set[Path] = set()

    def visit(file: str, real: Path | None, txt: str,
              stack: list[tuple[Path | None, str]]) -> None:
        txt = normalize_newlines(txt)
        check_not_empty(txt, file)
        sources[file] = txt
        if recovered is None:
            tree = parse(txt, file)
        else:
            tree, found = parse_recovering(txt, file)
            recovered.extend(found)
        bad_strings = string_problems(tree, file, txt)
        if bad_strings:
            if recovered is None:
                raise SyntaxError_(bad_strings)
            recovered.extend(bad_strings)
        if not tree.children:
            raise SourceError([Diagnostic(message="the file declares nothing: it holds only "
                                                  "comments and blank lines",
                                          span=Span.point(file, 1, 1),
                                          hint="a design starts with: system NAME { ... }")])
        units.append((file, tree))
        if real is not None:
            done.add(real)
        for imp in _imports(tree):
            tok = token_of(imp.children[-1])
            rel = decode_string(str(tok))
            sp = span_of(file, imp)
            lines = source_lines(txt)
            src_line = lines[sp.line - 1] if sp.line <= len(lines) else None
            base = real.parent if real is not None else root_dir
            if "\x00" in rel:            # no file system takes it (os: "embedded null byte")
                raise ImportError_([Diagnostic(
                    message="an import path cannot hold a NUL character", span=sp,
                    source_line=src_line, hint="write the file's path, relative to this file")])
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
                cycle = names[names.index(shown):] if shown in names[:-1] else names
                raise ImportError_([Diagnostic(
                    message="import cycle: " + " -> ".join(cycle),
                    span=sp, source_line=src_line, hint="remove one of these imports")])
            if target in done:
                continue
            if len(sources) >= MAX_FILES:
                raise ImportError_([Diagnostic(
                    message=f"a design reads at most {MAX_FILES} files (its imports included)",
                    span=sp, source_line=src_line,
                    hint="the limits of a design are listed in docs/language.md")])
            if len(stack) >= MAX_IMPORT_DEPTH:
                raise ImportError_([Diagnostic(
                    message=f"imports are nested more than {MAX_IMPORT_DEPTH} deep",
                    span=sp, source_line=src_line,
                    hint="import the shared files from one place instead of in a chain")])
            child_text = read_file(str(target), at=sp, source_line=src_line, shown=shown)
            visit(shown, target, child_text, stack + [(real, file)])

    real: Path | None
    if text is None:
        txt = read_file(actual, shown=display)
        real = Path(actual).resolve()
    else:
        txt = text
        real = None if actual == "<string>" else Path(actual).resolve()
        if len(txt) > MAX_FILE_BYTES or len(txt.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
            raise SourceError([Diagnostic(
                message=f"'{display}' is larger than {MAX_FILE_BYTES:,} bytes, the limit of a "
                        f"design file", span=Span.point(display, 1, 1),
                hint="split the design into files that import each other")])
    # The collector paused over every file's parse and checks, not only Lark's part of it:
    # resumed between them, it would walk each whole tree again to free nothing.
    was_on = gc.isenabled()
    gc.disable()
    try:
        visit(display, real, txt, [])
    finally:
        if was_on:
            gc.enable()
    # visit() calls itself, so its closure holds it: a cycle, which holds ``units``. The
    # trees are handed out in a list of their own and dropped from the cycle's, so they are
    # freed as soon as the caller drops them, not at the next full collection (none comes
    # during the analyses, which pause the collector).
    out = units[:]
    units.clear()
    return out, sources


def _imports(tree: Tree[Token]) -> Iterator[Tree[Token]]:
    for node in map(tree_of, tree.children):
        if node.data == "import_stmt":
            yield node
        elif node.data == "system":
            for stmt in node.children[1:]:
                if is_tree(stmt) and stmt.data == "import_stmt":
                    yield stmt
