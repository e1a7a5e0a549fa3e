"""A Pygments lexer for archlang, built from the vocabulary (grammar keywords, model tables).

Registered as the ``pygments.lexers`` entry point ``archlang`` (aliases ``archlang``,
``arch``; files ``*.arch``), so Sphinx, MkDocs and anything else on Pygments highlight
`````arch`` blocks once archlang is installed. Token patterns are the grammar's own regexes;
a word is classed by looking it up in the vocabulary, so a name such as ``server-a`` or
``order-events`` stays one name. A character the grammar cannot read is an ``Error`` token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import ClassVar

from pygments.lexer import RegexLexer, bygroups
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
    _TokenType,
)

from archlang.highlight.vocabulary import vocabulary

_V = vocabulary()
_P = _V.patterns
#: Token type of each class of word (vocabulary.words()).
WORD_TOKENS = {"statement": Keyword, "kind": Keyword.Type, "property": Name.Attribute,
               "modifier": Keyword.Pseudo, "value": Name.Constant}
#: A word the grammar reads as one token: a name, or a keyword when it is one.
_WORD_RE = _P["NAME"]
_END = r"(?![A-Za-z0-9_])"


def _alternation(words: Iterable[str]) -> str:
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w))) \
        + ")"


def _word(lexer: RegexLexer, match: re.Match[str]) -> Iterator[tuple[int, _TokenType, str]]:
    word = match.group(0)
    cls = _V.words().get(word)
    yield match.start(), WORD_TOKENS.get(cls, Name) if cls is not None else Name, word


# A declaration: the keyword, then the declared name (`server api`, `flow checkout`).
_DECLARES = {"kind": Name.Class, "flow": Name.Function, "system": Name.Namespace,
             "region": Name.Namespace, "zone": Name.Namespace}


class ArchlangLexer(RegexLexer):
    """archlang design files (``*.arch``)."""

    name = "archlang"
    aliases: ClassVar[list[str]] = ["archlang", "arch"]
    filenames: ClassVar[list[str]] = ["*.arch"]
    mimetypes: ClassVar[list[str]] = ["text/x-archlang"]
    url = "https://github.com/archlang/archlang"

    # state -> [(regex, a token type or a callback such as bygroups' or _word)]
    tokens: ClassVar[dict[str, list[tuple[str, object]]]] = {
        "root": [
            (r"[ \t\r\n\f]+", Whitespace),
            (r";", Punctuation),
            (_P["COMMENT"], Comment.Single),
            (_P["STRING"], String.Double),
            (rf"({_alternation(_V.kinds)})([ \t]+)({_WORD_RE})",
             bygroups(Keyword.Type, Whitespace, _DECLARES["kind"])),
            *[(rf"({re.escape(k)})([ \t]+)({_WORD_RE})",
               bygroups(Keyword, Whitespace, tok))
              for k, tok in sorted(_DECLARES.items()) if k in _V.statements],
            (_P["COUNT"], Keyword.Pseudo),
            (_P["PERCENTILE"], Number),
            (_P["QUANTITY"], Number),
            (_P["ARROW"], Operator),
            (_alternation(p for p in _V.punctuation if not re.fullmatch(r"[{}.,]", p)),
             Operator),
            (r"[{}]", Punctuation),
            (r"[.,]", Punctuation),
            (_WORD_RE, _word),
            (r".", Error),
        ],
    }
