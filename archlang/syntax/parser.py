"""Text -> Lark syntax tree, with syntax errors turned into diagnostics.

Size: the one front end over Lark: the parser, error messages by expected token, error
recovery, whole-word keywords and string decoding all read the same token tables.
"""

from __future__ import annotations

import functools
import gc
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from archlang.errors import Diagnostic, SyntaxError_
from archlang.span import Span, column_of, end_of, line_of, source_lines, start_of

if TYPE_CHECKING:
    from lark import Lark, Token, Tree
    from lark.exceptions import UnexpectedInput

#: Where a diagnostic goes and what it says: (line, column, width, message, hint).
_Parts = tuple[int, int, int, str, "str | None"]

# What the grammar's terminals mean to a person reading an error.
_TERMINALS = {
    "NAME": "a name",
    "QUANTITY": "a number with its unit (like 20ms, 99.9%, 120 rps)",
    "PERCENTILE": "a percentile (like p99)",
    "STRING": 'a quoted string ("...")',
    "ARROW": "'->'",
    "COUNT": "a count (like x3)",
    "COMMA": "','",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "NETKEY": "same_zone, cross_zone or cross_region",
    "SLOKIND": "availability, latency or throughput",
    "VBAR": "'|'",
    "DOT": "'.'",
    "$END": "the end of the file",
}


def grammar_text() -> str:
    """The grammar: inside the installed package, or grammar/ in a checkout, with the call
    modifiers' keywords filled in from the one table of them (archlang/syntax/callmods.py)."""
    import re

    from archlang.syntax.callmods import MODIFIER_WORDS

    # Read from the file system where the package is (no importlib.resources and its
    # zipfile: ~4 ms of a cold check); a package imported from a zip falls back to it.
    here = Path(__file__).resolve().parents[1]
    for path in (here / "grammar" / "archlang.lark", here.parent / "grammar" / "archlang.lark"):
        if path.is_file():
            text = path.read_text("utf-8")
            break
    else:
        from importlib import resources

        text = resources.files("archlang").joinpath("grammar/archlang.lark").read_text("utf-8")
    words = " | ".join(f'"{w}"' for w in MODIFIER_WORDS)
    return re.sub(r"^!modword:.*$", lambda _: f"!modword: {words}", text, count=1,
                  flags=re.M)


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    from lark import Lark

    # No propagate_positions: tokens carry their positions, and span_of() takes a tree's
    # span from its first and last token (a third faster on large designs).
    text = grammar_text()
    keywords = {w.upper() for w in re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', text)}
    return Lark(text, parser="lalr", propagate_positions=False, maybe_placeholders=False,
                cache=True, lexer_callbacks={k: _whole_word for k in keywords})


class _RunOn(Exception):
    """A keyword that runs on into a name: `zoneb`, `replicass`."""

    def __init__(self, token: Token, word: str) -> None:
        super().__init__(word)
        self.token, self.word = token, word


# The text being parsed, for _whole_word (one parse at a time per thread).
_parsing = threading.local()
_NAME_TAIL = re.compile(r"[A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*")


def _whole_word(token: Token) -> Token:
    """Keywords are whole words. Lark's contextual lexer tries only the terminals that the
    parser state accepts, so where `zone` is expected and a name is not, `zoneb` would lex
    as `zone` + `b` (a zone named b) and `replicass 2` as `replicas` + `s`: a guess, made
    silently. A keyword followed at once by more of a name is an error instead."""
    text = getattr(_parsing, "text", None)
    end = end_of(token)
    if text is not None and end < len(text):
        m = _NAME_TAIL.match(text, end)
        tail = m.group() if m else ""
        if tail:
            raise _RunOn(token, str(token) + tail)
    return token


def _describe(expected: set[str]) -> str:
    words = []
    for t in sorted(expected):
        if t in _TERMINALS:
            words.append(_TERMINALS[t])
        elif t.startswith("__ANON"):            # a punctuation string such as '<->'
            words.append(f"'{_parser().get_terminal(t).pattern.value}'")
        elif t.isupper():
            words.append(f"'{t.lower()}'")
        else:
            words.append(t)
    words = sorted(set(words))
    if len(words) > 6:
        words = words[:6] + ["..."]
    return ", ".join(words)


def _token_text(token: Token) -> str:
    if token.type == "$END":
        return "end of file"
    return repr(str(token))


def parse(text: str, file: str = "<string>") -> Tree[Token]:
    """Parse ``text``; raise :class:`SyntaxError_` with a span on the first syntax error."""
    tree, recovered = parse_recovering(text, file)
    if recovered:
        raise SyntaxError_(recovered)
    return tree


# Tokens that can only be the arguments of a property: skipped after an unknown property.
_VALUE_TOKENS = {"NAME", "QUANTITY", "PERCENTILE", "STRING", "COMMA", "DOT"}


def parse_recovering(text: str, file: str = "<string>"
                     ) -> tuple[Tree[Token], list[Diagnostic]]:
    """Parse ``text`` -> ``(tree, diagnostics)``.

    An unknown property inside a block (`server api { availabilty 99% }`) does not stop the
    parse: it is reported, it and its arguments are skipped, and the rest of the file is
    parsed so that its other errors are reported in the same run. Any other syntax error
    raises :class:`SyntaxError_` at once (carrying the unknown properties seen before it).
    """
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    from archlang.vocabulary import PROPERTY_NAMES

    prop_keys = {k.upper() for k in PROPERTY_NAMES}
    recovered: list[Diagnostic] = []
    last_end: list[int] = [-1]          # end of the last skipped token
    last_type: list[str] = [""]         # its type

    def diag(line: int, col: int, width: int, message: str,
             hint: str | None = None) -> Diagnostic:
        lines = source_lines(text)     # only on an error: a large design's lines are megabytes
        src = lines[line - 1] if 0 < line <= len(lines) else ""
        return Diagnostic(message=message, span=Span.point(file, line, col, width), hint=hint,
                          source_line=src)

    # The garbage collector finds nothing to free in a growing parse tree but walks it again
    # and again: pausing it makes large files parse about 1.7x faster.
    def on_error(e: UnexpectedInput) -> bool:
        if not isinstance(e, UnexpectedToken):
            return False
        tok: Token = e.token
        expected = set(e.expected)
        if tok.type == "NAME" and "RBRACE" in expected:
            # `path a -> b timeout 2s` in a flow: an unknown call modifier; skip its value
            modifier = _modifier_here(source_lines(text), tok)
            if modifier is not None:
                line, col, width, message, hint = modifier
                recovered.append(diag(line, col, width, message, hint))
                last_end[0] = end_of(tok)
                return True
        if (tok.type not in _VALUE_TOKENS or "RBRACE" not in expected
                or not expected & prop_keys):
            return False
        # A run of skipped tokens is reported once: its first token (an unknown property or
        # a value that follows no property), and any name after a value in it (`1
        # availabilty 10%`: the misspelt property must not hide behind the stray value).
        gap = text[last_end[0]:start_of(tok)] if last_end[0] >= 0 else "x"
        starts = bool(_strip_comment(gap).strip())
        if tok.type == "NAME" and (starts or last_type[0] != "NAME"):
            message, hint = _explain(tok, expected)
            recovered.append(diag(line_of(tok), column_of(tok), len(str(tok)), message, hint))
        elif starts:
            message, hint = _stray_value(tok)
            recovered.append(diag(line_of(tok), column_of(tok), len(str(tok)), message, hint))
        last_end[0] = end_of(tok)
        last_type[0] = tok.type
        return True

    gc_was_on = gc.isenabled()
    gc.disable()
    _parsing.text = text
    try:
        return _parser().parse(text, on_error=on_error), recovered
    except _RunOn as run_on:
        import difflib

        kw, whole = run_on.token, run_on.word
        near = difflib.get_close_matches(whole, [str(kw)], n=1)
        suggest = f"did you mean '{kw}'?" if near else None
        from archlang.vocabulary import PROPERTY_NAMES

        what = "unknown property" if str(kw) in PROPERTY_NAMES else "unexpected"
        raise SyntaxError_(recovered + [diag(line_of(kw), column_of(kw), len(whole),
                                             f"{what} {whole!r}", suggest)]) from None
    except UnexpectedToken as e:
        tok: Token = e.token
        expected = set(e.expected) - {"COMMENT"}
        pos = len(text) if tok.type == "$END" else start_of(tok)
        unclosed = _unclosed_block(text, pos, tok)
        modifier = _unknown_modifier(source_lines(text), tok, expected)
        if modifier is not None:
            line, col, width, message, hint = modifier
        elif unclosed is not None:
            line, col, width, message, hint = unclosed
        elif tok.type == "$END":
            line, col = _end_position(text)
            width = 1
            message, hint = _explain(tok, expected)
        else:
            line, col = line_of(tok), column_of(tok)
            width = len(str(tok))
            message, hint = _explain(tok, expected)
            word = _word_before(source_lines(text), line, col)
            if word is not None and expected == {"ARROW"} and tok.type == "NAME":
                # `sever api { ... }`: a misspelt kind reads as the start of a call.
                line, col, width = word[0], word[1], len(word[2])
                message, hint = _unknown_statement(word[2])
        last = diag(line, col, width, message, hint)
        if recovered and recovered[-1] == last:     # `b deadline 300ms`: told once
            raise SyntaxError_(recovered) from None
        raise SyntaxError_(recovered + [last]) from None
    except UnexpectedCharacters as e:
        at = e.pos_in_stream if e.pos_in_stream is not None else len(text)  # always set here
        ch = text[at] if at < len(text) else ""
        allowed = set(e.allowed or ()) - {"COMMENT"}
        hint = f"expected {_describe(allowed)}" if allowed else None
        if ch == '"':
            message = "unterminated string"
            hint = 'close the string with " on the same line'
        else:
            message = f"unexpected character {ch!r}"
        raise SyntaxError_(recovered + [diag(e.line, e.column, 1, message, hint)]) from None
    except UnexpectedEOF as e:  # pragma: no cover - LALR reports EOF as UnexpectedToken
        line = len(source_lines(text)) or 1
        raise SyntaxError_([diag(line, 1, 1, "unexpected end of file",
                                 f"expected {_describe(set(e.expected))}")]) from None
    finally:
        _parsing.text = None
        if gc_was_on:
            gc.enable()


def _stray_value(tok: Token) -> tuple[str, str]:
    """A value in a block that follows no property (`server api { 40ms replicas 2 }`)."""
    text = str(tok)
    unit = text.lstrip("-0123456789.").strip()
    where = {"%": "availability", "rps": "capacity", "qps": "capacity", "rpm": "capacity",
             "us": "latency", "ms": "latency", "s": "latency", "B": "memory", "KB": "memory",
             "MB": "memory", "GB": "memory", "TB": "memory", "": "replicas"}
    if tok.type == "QUANTITY" and unit in where:
        hint = f"write it after the property it belongs to, like '{where[unit]} {text}'"
    else:
        hint = "a value follows the property it belongs to, like 'latency 40ms'"
    return f"unexpected {text!r}: a value without a property", hint


def _word_before(lines: Sequence[str], line: int, col: int) -> tuple[int, int, str] | None:
    """(line, column, word) of the name just before ``line:col`` on the same line."""
    import re

    if not 0 < line <= len(lines):
        return None
    m = re.search(r"([A-Za-z_][A-Za-z0-9_-]*)\s+$", lines[line - 1][: col - 1])
    return (line, m.start(1) + 1, m.group(1)) if m else None


def _unknown_statement(word: str) -> tuple[str, str]:
    from archlang.errors import did_you_mean
    from archlang.vocabulary import KINDS

    kinds = did_you_mean(word, KINDS)
    if kinds:
        return f"unknown kind {word!r}", kinds
    other = did_you_mean(word, ["flow", "region", "network", "defaults", "import",
                                "description", "system"])
    if other:
        return f"unknown statement {word!r}", other
    return (f"unknown kind {word!r}",
            f"a component starts with its kind ({', '.join(KINDS)}); a call reads 'a -> b'")


def _end_position(text: str) -> tuple[int, int]:
    """Line and column just after the last character that is not a space or a comment."""
    lines = source_lines(text)
    for i in range(len(lines) - 1, -1, -1):
        code = _strip_comment(lines[i]).rstrip()
        if code:
            return i + 1, len(code) + 1
    return 1, 1


def comment_of(line: str) -> str:
    """The comment on one source line ('' when there is none), strings skipped as the
    lexer skips them: a `#` inside a string starts no comment."""
    return line[len(_strip_comment(line)):]


def _strip_comment(line: str) -> str:
    in_str = False
    i = 0
    while i < len(line):
        ch = line[i]
        if in_str:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch == "#" or line.startswith("//", i):
            return line[:i]
        i += 1
    return line


@dataclass(frozen=True)
class _Open:
    line: int
    column: int         # of the block's first word
    indent: int
    header: str         # "server charge-api"


def _blocks(text: str, upto: int) -> tuple[list[_Open], list[_Open]]:
    """Scan braces up to offset ``upto`` (strings and comments skipped) -> (blocks still open
    there, innermost last; blocks that a '}' indented less than them skipped over: a
    closing brace at the indentation of an outer block closes that one, so the inner one
    was left open)."""
    stack: list[_Open] = []
    skipped: list[_Open] = []
    offset = 0
    for n, raw in enumerate(text.split("\n"), 1):       # LF only, as the parser counts
        line = _strip_comment(raw.rstrip("\r"))
        indent = len(line) - len(line.lstrip(" \t"))
        in_str = False
        for i, ch in enumerate(line):
            if offset + i >= upto:
                return stack, skipped
            if ch == '"':
                in_str = not in_str
            elif not in_str and ch == "{":
                head = line[:i].strip()
                words = head.split()
                start = line.find(words[0]) + 1 if words else i + 1
                stack.append(_Open(n, start, indent, " ".join(words[:2]) or "{"))
            elif not in_str and ch == "}" and stack:
                alone = not line[:i].strip()
                while alone and len(stack) > 1 and indent < stack[-1].indent \
                        and indent <= stack[-2].indent:
                    skipped.append(stack.pop())
                stack.pop()
        offset += len(raw) + 1
    return stack, skipped


#: Words that start a statement outside any component, flow or network block.
_OUTER_WORDS = {"flow", "region", "network", "defaults", "import", "system", "client",
                "server", "lb", "cache", "cdn", "database", "queue", "storage", "external",
                "dns"}


def _unclosed_block(text: str, pos: int, tok: Token) -> _Parts | None:
    """An error explained by a block left open: "block 'server api' opened at line 3 is
    not closed", at the block's opening line. Asked when the parse fails at ``pos`` on the
    end of the file, on a '{', or on a word that starts a statement of an outer block."""
    import re

    stack, skipped = _blocks(text, pos)
    if tok.type != "$END":
        word = str(tok)
        rest = text[tok.end_pos:].lstrip(" \t")
        starts_call = tok.type == "NAME" and rest.startswith(("->", "~>"))
        if not (word == "{" or word in _OUTER_WORDS or starts_call):
            return None
        code = "\n".join(_strip_comment(x) for x in source_lines(text))
        code = re.sub(r'"([^"\\\n]|\\.)*"', "", code)
        if code.count("{") <= code.count("}"):   # every block is closed: not the problem
            return None
        if not skipped and len(stack) < 2:
            return None
    culprit = skipped[0] if skipped else (stack[-1] if stack else None)
    if culprit is None:
        return None
    src = source_lines(text)[culprit.line - 1]
    width = len(culprit.header) if src[culprit.column - 1:].startswith(culprit.header) else 1
    where = "the end of the file" if tok.type == "$END" else f"line {tok.line}"
    return (culprit.line, culprit.column, width,
            f"block '{culprit.header}' opened at line {culprit.line} is not closed",
            f"add its '}}' before {where}")


def _unknown_modifier(lines: Sequence[str], tok: Token, expected: set[str]) -> _Parts | None:
    """`api -> b failover 60s`: a word after a call's target that is not a call modifier
    reads as the start of the next statement, and the parse fails just after it. Say so."""
    import re

    if "ARROW" not in expected:
        return None
    n = (len(lines) if tok.type == "$END" else line_of(tok))
    col = None if tok.type == "$END" else column_of(tok)
    while n >= 1:
        code = _strip_comment(lines[n - 1])
        if col is not None:
            code = code[: col - 1]
            col = None
        if code.strip():
            break
        n -= 1
    else:
        return None
    m = re.search(r"([A-Za-z_][A-Za-z0-9_-]*)\s*$", code)
    if m is None:
        return None
    return _modifier_word(n, m.start(1) + 1, m.group(1), code[: m.start(1)])


def _modifier_here(lines: Sequence[str], tok: Token) -> _Parts | None:
    """The unexpected name ``tok`` itself, if it stands where a call modifier would."""
    line, col = line_of(tok), column_of(tok)
    if not 0 < line <= len(lines):
        return None
    before = _strip_comment(lines[line - 1])[: col - 1]
    return _modifier_word(line, col, str(tok), before)


def _modifier_word(line: int, col: int, word: str, before: str) -> _Parts | None:
    """``word`` at ``line:col`` after ``before`` on its line: a call's step before it and
    not a modifier -> the diagnostic parts (line, col, width, message, hint)."""
    from archlang.errors import did_you_mean
    from archlang.syntax.callmods import MODIFIER_WORDS, listing

    before = before.rstrip()
    if word in MODIFIER_WORDS or ("->" not in before and "~>" not in before):
        return None
    if before.endswith((">", "|")):          # the word is a call's target, not a modifier
        return None
    hint = did_you_mean(word, MODIFIER_WORDS) or "see the calls section of docs/language.md"
    return (line, col, len(word), f"unknown call modifier '{word}' ({listing()})", hint)


_PROPERTIES_HINT = ("properties are: availability, mtbf, mttr, latency, capacity, replicas, "
                    "placement, ... (see docs/language.md)")


def _explain(tok: Token, expected: set[str]) -> tuple[str, str | None]:
    from archlang.errors import did_you_mean
    from archlang.vocabulary import PROPERTY_NAMES

    text = str(tok)
    if tok.type == "$END":
        if "RBRACE" in expected:
            return "unexpected end of file: a block is not closed", "add the missing '}'"
        return "unexpected end of file", f"expected {_describe(expected)}"
    prop_keys = {k.upper() for k in PROPERTY_NAMES}
    if tok.type == "NAME" and expected & prop_keys and "NAME" not in expected:
        hint = did_you_mean(text, PROPERTY_NAMES) or _PROPERTIES_HINT
        return f"unknown property {text!r}", hint
    if tok.type == "NAME" and "KIND" not in expected and {"SERVER", "FLOW"} <= expected:
        from archlang.vocabulary import KINDS

        words = list(KINDS) + ["flow", "region", "network", "defaults", "import", "description"]
        close = did_you_mean(text, words)
        if close is None:
            close = (f"a statement starts with a kind ({', '.join(KINDS)}), 'flow', "
                     "or a call 'a -> b'")
        return f"unexpected {_token_text(tok)}", close
    if tok.type == "QUANTITY" and "NAME" in expected and len(expected) <= 2:
        return f"expected a name, found {_token_text(tok)}", "names start with a letter or '_'"
    return f"unexpected {_token_text(tok)}", f"expected {_describe(expected)}"


# ---- strings --------------------------------------------------------------------------------
# Inside "...", `\"` and `\\` are the only escapes; a string holds no control character.
_ESCAPE = re.compile(r'\\(.)', re.S)


def decode_string(token: str) -> str:
    """The value of a STRING token (quotes removed, `\\"` and `\\\\` decoded in one pass)."""
    return _ESCAPE.sub(lambda m: m.group(1), token[1:-1])


def string_problems(tree: Tree[Token], file: str, text: str) -> list[Diagnostic]:
    """Strings with an escape other than `\\"` and `\\\\`, or a control character
    (ESC, CR, ...): reported, never decoded silently or passed on to an output."""
    from archlang.escape import _UNSAFE_NOT_NL, UNSAFE
    from archlang.escape import text as esc
    from archlang.limits import MAX_STRING

    # A string is on one line (STRING matches no newline): without a backslash, a character
    # UNSAFE finds (newlines aside) or a line long enough to hold too long a string, the
    # text holds no string with a problem, and its tokens need not be walked (270,000 at
    # 10,000 components). The lines are split for the test and dropped (source_lines keeps
    # the lines it splits: megabytes at that size, which only a diagnostic needs).
    if "\\" not in text and _UNSAFE_NOT_NL.search(text) is None \
            and max(map(len, text.split("\n"))) <= MAX_STRING + 2:
        return []
    lines = source_lines(text)
    out: list[Diagnostic] = []
    for tok in tree.scan_values(lambda t: getattr(t, "type", None) == "STRING"):
        raw = str(tok)
        problem = None
        if len(raw) - 2 > MAX_STRING:
            problem = (0, 1, f"a string holds at most {MAX_STRING:,} characters "
                             f"(this one {len(raw) - 2:,})",
                       "shorten it: descriptions belong in the docs the design links to")
        for m in () if problem else re.finditer(r'\\(.)|(' + UNSAFE.pattern + ")",
                             raw[1:-1], re.S):
            if m.group(1) is not None and m.group(1) not in '"\\':
                bad = esc("\\" + m.group(1))
                problem = (m.start() + 1, 2, f"unknown escape '{bad}' in a string",
                           'only \\" and \\\\ escape: write a backslash as \\\\')
                break
            if m.group(2) is not None:
                problem = (m.start() + 1, 1,
                           f"a string must not hold the control character {esc(m.group(2))}",
                           "remove it: strings are shown in terminals, logs and reports")
                break
        if problem is None:
            continue
        offset, width, message, hint = problem
        line, col = line_of(tok), column_of(tok) + offset
        src = lines[line - 1] if 0 < line <= len(lines) else None
        out.append(Diagnostic(message=message, hint=hint, source_line=src,
                              span=Span.point(file, line, col, width)))
    return out
