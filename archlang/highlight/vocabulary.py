"""The one vocabulary of the language, derived (never copied) from the grammar and the model.

Keywords come from the Lark grammar itself: every keyword terminal (a literal word such as
``"server"``, or an alternation of words such as ``NETKEY``) is classed by the rule that
uses it: ``kind`` -> kinds, ``propkey``/``domainkey`` -> properties, ``call_mod`` -> call
modifiers, any other -> statement keywords; a terminal that is an alternation of words
(``NETKEY``, ``SLOKIND``) names settings, so its words are properties. The model adds the
words a property takes after its keyword: the enumerations (``ENUMS``), the sub-keywords of
``replicas``/``replication``, and the booleans. The token patterns (numbers with units,
percentiles, counts, names, strings, comments, arrows) are the grammar's own regexes.

So a property or a call modifier added to the grammar or the model shows up in the Pygments
lexer, the TextMate grammar and the language server's completion with no edit here.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lark import Lark

#: Rules whose keyword terminals form a class of their own.
_RULE_CLASS = {"kind": "kinds", "propkey": "properties", "domainkey": "properties",
               "call_mod": "modifiers", "call_opt": "modifiers",
               "modword": "modifiers"}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A terminal that is an alternation of whole words (the lookahead keeps `same_zones` a name).
_ALTERNATION = re.compile(r"\(\?:([A-Za-z_][A-Za-z0-9_]*(?:\|[A-Za-z_][A-Za-z0-9_]*)*)\)"
                          r"(?:\(\?!\[A-Za-z0-9_\]\|-\[A-Za-z0-9_\]\))?")


@dataclass(frozen=True)
class Vocabulary:
    statements: tuple[str, ...]     # system, import, region, zone, flow, path, slo, ...
    kinds: tuple[str, ...]          # client, server, lb, ...
    properties: tuple[str, ...]     # availability, replicas, same_zone, throughput, ...
    modifiers: tuple[str, ...]      # optional, write, parallel (and xN, a pattern)
    values: tuple[str, ...]         # enumeration values, sub-keywords and booleans
    #: Terminal name -> the grammar's regex for it (NAME, QUANTITY, PERCENTILE, COUNT,
    #: STRING, COMMENT, ARROW), and the punctuation literals.
    patterns: dict[str, str] = field(default_factory=dict)
    punctuation: tuple[str, ...] = ()
    #: For completion: the properties each kind takes, and the words each property takes.
    kind_properties: dict[str, tuple[str, ...]] = field(default_factory=dict)
    property_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    units: tuple[str, ...] = ()
    #: Terminals that are an alternation of words (NETKEY, SLOKIND) -> their words.
    settings: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def words(self) -> dict[str, str]:
        """Every keyword -> its class (statement, kind, property, modifier, value).

        A word in several classes takes the first of: kind, statement, modifier,
        property, value (``description`` is a statement and a property: a statement)."""
        out: dict[str, str] = {}
        for cls, words in (("kind", self.kinds), ("statement", self.statements),
                           ("modifier", self.modifiers), ("property", self.properties),
                           ("value", self.values)):
            for w in words:
                out.setdefault(w, cls)
        return out


def _grammar() -> Lark:
    from lark import Lark

    from archlang.syntax.parser import grammar_text

    return Lark(grammar_text(), parser="lalr", maybe_placeholders=False)


@functools.lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    from lark.lexer import PatternRE, PatternStr

    from archlang import vocabulary as vocab

    lark = _grammar()
    used_in: dict[str, set[str]] = {}
    for rule in lark.rules:
        for sym in rule.expansion:
            used_in.setdefault(sym.name, set()).add(rule.origin.name.lstrip("_?!"))
    classes: dict[str, set[str]] = {"statements": set(), "kinds": set(), "properties": set(),
                                    "modifiers": set()}
    patterns: dict[str, str] = {}
    punctuation: set[str] = set()
    settings: dict[str, tuple[str, ...]] = {}
    for t in lark.terminals:
        value = t.pattern.value
        if isinstance(t.pattern, PatternStr):
            if not _WORD.fullmatch(value):
                punctuation.add(value)
                continue
            rules = used_in.get(t.name, set())
            cls = next((_RULE_CLASS[r] for r in sorted(rules) if r in _RULE_CLASS),
                       "statements")
            classes[cls].add(value)
        elif isinstance(t.pattern, PatternRE):
            alt = _ALTERNATION.fullmatch(value)
            if alt:
                classes["properties"].update(alt.group(1).split("|"))
                settings[t.name] = tuple(sorted(alt.group(1).split("|")))
            elif not t.name.startswith("__"):
                patterns[t.name] = value
    values: set[str] = set(vocab.BOOL_WORDS)
    property_values: dict[str, set[str]] = {k: set(v) for k, v in vocab.ENUMS.items()}
    for key, subs in vocab.SUB_WORDS.items():
        property_values.setdefault(key, set()).update(subs)
    for words in property_values.values():
        values.update(words)
    if "durable" in vocab.PROPERTY_NAMES:          # `durable` or `durable false`
        property_values.setdefault("durable", set()).update(vocab.BOOL_WORDS)
    properties = classes["properties"] | set(vocab.PROPERTY_NAMES)
    # the model's one list of call modifiers, however the grammar spells their rules
    from archlang.syntax.callmods import MODIFIER_WORDS

    modifiers = classes["modifiers"] | set(MODIFIER_WORDS)
    classes["statements"] -= modifiers
    units = sorted({u for table, _ in vocab.UNIT_CLASSES.values() for u in table})
    return Vocabulary(
        statements=tuple(sorted(classes["statements"])),
        kinds=tuple(sorted(classes["kinds"])),
        properties=tuple(sorted(properties)),
        modifiers=tuple(sorted(modifiers)),
        values=tuple(sorted(values - properties - classes["statements"] - classes["kinds"])),
        patterns=patterns, punctuation=tuple(sorted(punctuation)),
        kind_properties={k: tuple(sorted(v)) for k, v in vocab.KIND_PROPERTIES.items()},
        property_values={k: tuple(sorted(v)) for k, v in sorted(property_values.items()) if v},
        units=tuple(units), settings=settings)
