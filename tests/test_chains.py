"""`a -> b -> c`: a chain of plain calls."""

import pytest

import archlang
from archlang.syntax.fmt import format_text

BASE = "system x {\n  client u\n  server a\n  server b\n  database c\n  queue q\n  server w\n%s\n}\n"


def test_chain_declares_each_call_with_its_own_span():
    d = archlang.loads(BASE % "  a -> b ~> c\n  q -> w", path="x.arch")
    calls = [(c.source, c.targets, c.asynchronous, c.span.line, c.span.column) for c in d.calls]
    assert calls == [("a", ("b",), False, 8, 3), ("b", ("c",), True, 8, 8), ("q", ("w",), True, 9, 3)]


def test_chain_modifiers_belong_to_the_link_they_follow():
    d = archlang.loads(BASE % "  a -> b -> c optional", path="x.arch")
    assert [(c.source, c.optional) for c in d.calls] == [("a", False), ("b", True)]


def test_chain_with_alternatives_before_its_end_is_an_error():
    with pytest.raises(archlang.DesignError) as e:
        archlang.loads(BASE % "  a -> b | w -> c", path="x.arch")
    assert str(e.value).startswith("x.arch:8:12: error: alternatives end a chain of calls")


def test_chain_errors_name_the_unknown_link():
    with pytest.raises(archlang.DesignError) as e:
        archlang.loads(BASE % "  a -> bb -> c", path="x.arch")
    assert "x.arch:8:8: error: unknown component 'bb'" in str(e.value)
    assert len(e.value.diagnostics) == 1


def test_fmt_keeps_chains():
    text = BASE % "  a->b->c"
    assert "  a -> b -> c\n" in format_text(text)
