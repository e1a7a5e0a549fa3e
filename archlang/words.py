"""Small words of messages: the article of a kind ("an external", "a server")."""

from __future__ import annotations


def a(word: str) -> str:
    """``word`` with its indefinite article: ``an external``, ``an lb``, ``a server``."""
    vowel_sound = word[:1].lower() in "aeio" or word.lower() in ("lb", "rpc", "sql")
    return f"{'an' if vowel_sound else 'a'} {word}"
