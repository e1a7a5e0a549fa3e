"""Text -> syntax tree."""

from archlang.syntax.parser import parse

__all__ = ["parse"]
