"""Highlighting: the Pygments lexer and the TextMate grammar read the one vocabulary.

* The vocabulary is checked against the grammar file read independently (every quoted
  keyword of grammar/archlang.lark) and the model's tables, so a keyword added anywhere
  shows up in both highlighters or this fails.
* The committed TextMate grammar is what the generator gives today (drift fails).
* Every example and every ```arch block of the docs tokenizes with no error token in
  Pygments, and with no ``invalid`` scope under VS Code's own engine (vscode-textmate +
  vscode-oniguruma under node; tests/node, installed by .ci/run with its lock file).
* The two highlighters agree on the class of every token of every example.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pytest
from pygments.token import Error, Token

from archlang import vocabulary as words
from archlang.highlight import textmate
from archlang.highlight.pygments_lexer import ArchlangLexer
from archlang.highlight.vocabulary import vocabulary
from archlang.syntax.callmods import MODIFIER_WORDS

ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = ROOT / "tests" / "node"
IN_CI = os.environ.get("CI") == "true"

EXAMPLES = sorted((ROOT / "examples").rglob("*.arch"))


def doc_blocks() -> list[tuple[str, str]]:
    out = []
    for md in sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]):
        text = md.read_text("utf-8")
        for i, m in enumerate(re.finditer(r"^```arch\n(.*?)^```", text, re.S | re.M)):
            out.append((f"{md.relative_to(ROOT)}#{i + 1}", m.group(1)))
    return out


SOURCES = [(str(p.relative_to(ROOT)), p.read_text("utf-8")) for p in EXAMPLES] + doc_blocks()


# ---- the vocabulary ---------------------------------------------------------------------------
def test_vocabulary_holds_every_keyword_of_the_grammar_file():
    grammar = (ROOT / "grammar" / "archlang.lark").read_text("utf-8")
    code = "\n".join(line.split("//")[0] for line in grammar.splitlines())
    quoted = set(re.findall(r'"([a-z_]+)"', code))
    v = vocabulary()
    known = set(v.words())
    assert quoted and quoted <= known, sorted(quoted - known)
    # the rules the words belong to, read from the text
    kinds = re.search(r"\?kind:(.*?)\n\n", code, re.S).group(1)
    assert set(re.findall(r'"([a-z_]+)"', kinds)) == set(v.kinds)
    mods = re.search(r"call_mod:(.*?)\n\n", code, re.S).group(1)
    assert set(re.findall(r'"([a-z_]+)"', mods)) <= set(v.modifiers)


def test_vocabulary_holds_the_model_tables():
    v = vocabulary()
    assert set(words.PROPERTY_NAMES) <= set(v.properties)
    for key, choices in words.ENUMS.items():
        assert set(choices) <= set(v.property_values[key]), key
        assert set(choices) <= set(v.words()), key
    assert v.kind_properties == {k: tuple(sorted(s)) for k, s in words.KIND_PROPERTIES.items()}
    assert {"min", "active_passive", "followers", "sync"} <= set(v.values)
    assert set(MODIFIER_WORDS) <= set(v.modifiers)


# ---- Pygments --------------------------------------------------------------------------------
def test_lexer_is_registered_as_an_entry_point():
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename

    eps = {e.name: e.value for e in metadata.entry_points(group="pygments.lexers")}
    assert eps.get("archlang") == "archlang.highlight.pygments_lexer:ArchlangLexer"
    assert isinstance(get_lexer_by_name("arch"), ArchlangLexer)
    assert isinstance(get_lexer_for_filename("shop.arch"), ArchlangLexer)


def pyg_tokens(text: str):
    return list(ArchlangLexer().get_tokens(text))


@pytest.mark.parametrize("name,text", SOURCES, ids=[n for n, _ in SOURCES])
def test_pygments_tokenizes_cleanly(name, text):
    toks = pyg_tokens(text)
    assert [t for t in toks if t[0] in Error] == []
    assert "".join(v for _, v in toks) == text if text.endswith("\n") else text + "\n"


def test_pygments_marks_what_the_grammar_cannot_read():
    toks = pyg_tokens("server api { latency 20ms @ }\n")
    assert [v for t, v in toks if t in Error] == ["@"]


def test_pygments_classes():
    toks = [(t, v) for t, v in pyg_tokens(
        "server server-a { replicas 3 min 2 eviction lru latency p99 40ms }\n"
        "flow buy rate 2 rps { path users -> server-a x3 parallel }  # done\n")
        if v.strip()]
    got: dict = {}
    for t, v in toks:
        got.setdefault(v, t)                            # the first occurrence
    assert [t for t, v in toks if v == "server-a"] == [Token.Name.Class, Token.Name]
    assert got["server"] is Token.Keyword.Type
    assert got["server-a"] is Token.Name.Class          # a name that starts with a kind
    assert got["replicas"] is Token.Name.Attribute
    assert got["min"] is Token.Name.Constant
    assert got["lru"] is Token.Name.Constant
    assert got["p99"] in Token.Number and got["40ms"] in Token.Number
    assert got["2 rps"] in Token.Number                  # a unit after a space
    assert got["flow"] is Token.Keyword and got["buy"] is Token.Name.Function
    assert got["users"] is Token.Name and got["->"] is Token.Operator
    assert got["x3"] is Token.Keyword.Pseudo and got["parallel"] is Token.Keyword.Pseudo
    for word in MODIFIER_WORDS:                          # the one table of modifiers
        (tok,) = [t for t, v in pyg_tokens(f"a -> b {word}\n") if v == word]
        assert tok is Token.Keyword.Pseudo, word
    assert got["# done"] in Token.Comment


# ---- TextMate ----------------------------------------------------------------------------------
def test_textmate_grammar_is_generated_from_the_vocabulary():
    committed = (ROOT / textmate.GRAMMAR_PATH).read_text("utf-8")
    assert committed == textmate.grammar_json(), (
        "editors/vscode/syntaxes/archlang.tmLanguage.json is out of date with the grammar "
        "or the model: run `python -m archlang.highlight.textmate`")


def test_vscode_extension_wires_grammar_language_and_server():
    ext = ROOT / "editors" / "vscode"
    pkg = json.loads((ext / "package.json").read_text("utf-8"))
    (lang,) = pkg["contributes"]["languages"]
    (gram,) = pkg["contributes"]["grammars"]
    assert lang["id"] == gram["language"] == "archlang"
    assert lang["extensions"] == [f[1:] for f in ArchlangLexer.filenames]
    assert gram["scopeName"] == textmate.SCOPE
    assert (ext / gram["path"]).resolve() == (ROOT / textmate.GRAMMAR_PATH).resolve()
    conf = json.loads((ext / lang["configuration"]).read_text("utf-8"))
    assert conf["wordPattern"] == vocabulary().patterns["NAME"]
    assert re.match(vocabulary().patterns["COMMENT"], conf["comments"]["lineComment"] + " x")
    js = (ext / pkg["main"]).read_text("utf-8")
    assert 'args: ["lsp"]' in js and "archlang.server.command" in json.dumps(pkg)


def node_tokenize(paths: list[Path]) -> list[dict]:
    node = shutil.which("node")
    ready = node and (NODE_DIR / "node_modules" / "vscode-textmate").is_dir() \
        and (NODE_DIR / "node_modules" / "vscode-oniguruma").is_dir()
    if not ready:
        msg = "node and tests/node/node_modules are needed (npm ci --prefix tests/node)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    proc = subprocess.run([node, str(NODE_DIR / "tokenize.js"),
                           str(ROOT / textmate.GRAMMAR_PATH), *map(str, paths)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def tm_sources(tmp_path_factory):
    d = tmp_path_factory.mktemp("blocks")
    paths = []
    for i, (_name, text) in enumerate(SOURCES):
        p = d / f"{i:03d}.arch"
        p.write_text(text, "utf-8")
        paths.append(p)
    return {name: f for (name, _), f in zip(SOURCES, node_tokenize(paths))}


def tm_tokens(result: dict) -> list[tuple[str, str]]:
    """(text, innermost scope) of every token that is not blank."""
    return [(t["text"].strip(), t["scopes"][-1]) for line in result["lines"] for t in line
            if t["text"].strip()]


def test_textmate_tokenizes_every_example_cleanly(tm_sources):
    bad = {name: [t for t in tm_tokens(r) if t[1].startswith("invalid")]
           for name, r in tm_sources.items()}
    assert {k: v for k, v in bad.items() if v} == {}
    assert len(tm_sources) == len(SOURCES) > len(EXAMPLES)


def test_textmate_marks_what_the_grammar_cannot_read(tmp_path):
    p = tmp_path / "bad.arch"
    p.write_text("server api { latency 20ms @ }\n", "utf-8")
    (r,) = node_tokenize([p])
    assert [t for t, s in tm_tokens(r) if s.startswith("invalid")] == ["@"]


# Pygments token type -> the TextMate scope it must agree with.
_SCOPES = [(Token.Comment, "comment."), (Token.String, "string."),
           (Token.Keyword.Type, "storage.type.kind"), (Token.Keyword.Pseudo, "storage.modifier"),
           (Token.Keyword, "keyword.control"), (Token.Name.Attribute, "support.type.property"),
           (Token.Name.Constant, "constant.language"), (Token.Number, "constant.numeric"),
           (Token.Operator, "keyword.operator"), (Token.Punctuation, "punctuation."),
           (Token.Name.Class, "entity.name.type"), (Token.Name.Function, "entity.name.function"),
           (Token.Name.Namespace, "entity.name.namespace"), (Token.Name, "variable.other")]


def _scope_of(tok) -> str:
    return next(s for t, s in _SCOPES if tok in t)


def test_both_highlighters_agree_on_every_token(tm_sources):
    for name, text in SOURCES:
        pyg = [(v.strip(), _scope_of(t)) for t, v in pyg_tokens(text) if v.strip()]
        tm = tm_tokens(tm_sources[name])
        assert len(pyg) == len(tm), name
        for (pv, ps), (tv, ts) in zip(pyg, tm):
            assert pv == tv and ts.startswith(ps), (name, pv, ps, tv, ts)


def test_a_property_added_to_the_model_reaches_both_highlighters(monkeypatch):
    monkeypatch.setattr(words, "PROPERTY_NAMES", [*words.PROPERTY_NAMES, "hedge_after"])
    vocabulary.cache_clear()
    try:
        assert "hedge_after" in textmate.grammar_json()
        assert vocabulary().words()["hedge_after"] == "property"
        assert textmate.grammar_json() != (ROOT / textmate.GRAMMAR_PATH).read_text("utf-8")
    finally:
        vocabulary.cache_clear()
