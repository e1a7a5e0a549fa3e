"""Escaping what a design contains before it reaches a terminal, a log or a machine format.

A design comes from a pull request: its strings, its import paths and the names of its files
may hold control characters (ESC sequences that drive a terminal, CR that starts a GitHub
workflow command on a line of its own, characters XML cannot hold) and a format's own
syntax (a Markdown heading, a table's `|`, an HTML comment that hides the rest of a PR
comment). Every output goes through one of these helpers, one per format:

=================  ===========================================================================
``text``           a terminal or a log line: control characters as ``\\xNN`` / ``\\uNNNN``
``text_block``     several lines of ``text``: newlines kept, every other control escaped
``md_text``        inline Markdown: ``text``, then Markdown and HTML syntax backslash-escaped
``md_code``        a Markdown code span, with a fence longer than any backtick run inside
``xml_text``       XML 1.0 text or attribute: characters XML cannot hold as ``\\xNN``
``gh_data``        a GitHub workflow command's message (``::error ...::MESSAGE``)
``gh_prop``        a GitHub workflow command's property (``file=...``, ``title=...``)
=================  ===========================================================================

JSON (and SARIF) escape control characters themselves; DOT and HTML are quoted by the
graphviz package and by Jinja2's autoescape.
"""

from __future__ import annotations

import re

__all__ = [
    "UNSAFE",
    "gh_data",
    "gh_prop",
    "has_unsafe",
    "md_code",
    "md_text",
    "text",
    "text_block",
    "xml_text",
]

# C0 and C1 controls, DEL, the Unicode line and paragraph separators and the bidirectional
# overrides and isolates (which reorder what a reader sees: "Trojan Source").
_OTHER_UNSAFE = "\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff"
UNSAFE = re.compile(f"[\x00-\x1f{_OTHER_UNSAFE}]")
_UNSAFE_NOT_NL = re.compile(f"[\x00-\x09\x0b-\x1f{_OTHER_UNSAFE}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _esc(m: re.Match[str]) -> str:
    ch = m.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    n = ord(ch)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def has_unsafe(s: str) -> bool:
    """Does ``s`` hold a character :func:`text` would escape?"""
    return UNSAFE.search(s) is not None


def text(s: str) -> str:
    """``s`` on one line of a terminal or log: every control character escaped, visibly."""
    return UNSAFE.sub(_esc, s)


def text_block(s: str) -> str:
    """Lines of text for a terminal or a log: newlines kept, every other control escaped."""
    return _UNSAFE_NOT_NL.sub(_esc, s)


# ---- Markdown (GitHub flavoured) ---------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>&\"'=:])")


def md_text(s: str) -> str:
    """``s`` as inline Markdown text: no heading, list, link, table cell break, HTML tag or
    comment can start inside it. Control characters (newlines too) are escaped first."""
    return _MD_SPECIAL.sub(r"\\\1", text(s))


def md_code(s: str, table: bool = True) -> str:
    """``s`` as a Markdown code span. Backslashes do not escape inside a code span, so the
    fence is one backtick longer than the longest run inside; in a table (``table``) ``|``
    is escaped, which GFM honours even there (it would end the cell); elsewhere a ``\\|``
    would show its backslash, so ``|`` stays as it is."""
    body = text(s).replace("|", "\\|") if table else text(s)
    longest = max((len(r) for r in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or not body.strip() else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def md_rich(s: str) -> str:
    """Our own words (a hint) as inline Markdown outside a table: text escaped as
    :func:`md_text`, and what they quote in backticks as code spans, so ``-> a | b`` reads
    as code, not as escaped backticks."""
    parts = re.split(r"`([^`]+)`", s)
    return "".join(md_code(p, table=False) if i % 2 else md_text(p)
                   for i, p in enumerate(parts))


# ---- XML -----------------------------------------------------------------------------------
# XML 1.0 allows #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF];
# anything else cannot be written even as a character reference.
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(s: str) -> str:
    """``s`` for XML text or an attribute (ElementTree escapes ``<&>"`` itself): characters
    XML 1.0 cannot hold, and every other control character, escaped as ``\\xNN``."""
    return text(_XML_BAD.sub(_esc, s))


# ---- GitHub workflow commands --------------------------------------------------------------
def gh_data(s: str) -> str:
    """A workflow command's message: ``%``, CR and LF percent-encoded (as the runner decodes
    them), every other control character escaped, so nothing starts a command of its own."""
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text(s)


def gh_prop(s: str) -> str:
    """A workflow command's property value: as :func:`gh_data`, plus ``:`` and ``,``."""
    return gh_data(s).replace(":", "%3A").replace(",", "%2C")
