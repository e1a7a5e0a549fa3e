"""Value checking: a property's values read as a quantity in its unit, a whole number, a
fraction or a name from a list, with a diagnostic (file, line, column, hint) for each
problem. ``ValueChecks`` is the base of the design builder (``archlang.model.build``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeAlias

from archlang import limits as L
from archlang.errors import Diagnostic, did_you_mean
from archlang.model.props import Prop, Val
from archlang.span import Span, source_lines
from archlang.vocabulary import PROPERTY_NAMES, UNIT_CLASSES

if TYPE_CHECKING:
    from lark import Token, Tree

#: A statement of a design and the file it was read from, as the builder collects them.
Statement: TypeAlias = "tuple[str, Tree[Token]]"
#: The fields of a model as the builder gathers them, checked one by one: the pydantic
#: model (``Component``, ``Flow``) they are passed to validates them as a whole.
Fields: TypeAlias = "dict[str, Any]"


def _short(text: str) -> str:
    """A long literal, shortened for a message: 1000000000...0000000 (309 characters)."""
    return text if len(text) <= 40 else f"{text[:12]}...{text[-8:]} ({len(text)} characters)"


def _fmt(x: float) -> str:
    return f"{x:g}"


class ValueChecks:
    """The base of the design builder and of each of its mixins: diagnostics, and values
    read as what a property needs."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self.sources = sources
        self.diags: list[Diagnostic] = []

    # ---- diagnostics -----------------------------------------------------------------------
    def error(self, span: Span, message: str, hint: str | None = None) -> None:
        lines = source_lines(self.sources.get(span.file, ""))
        src = lines[span.line - 1] if 0 < span.line <= len(lines) else None
        d = Diagnostic(message=message, span=span, hint=hint, source_line=src)
        if d not in self.diags:        # one name in two links of a chain: say it once
            self.diags.append(d)

    # ---- values ----------------------------------------------------------------------------
    def quantity(self, prop: Prop, v: Val | None, unit_class: str | None,
                 positive: bool = True, allow_zero: bool = False,
                 maximum: float | None = None) -> float | None:
        """A number with a unit of ``unit_class`` (None: a plain number), normalised."""
        what = UNIT_CLASSES[unit_class][1] if unit_class else "a number"
        if v is None:
            self.error(prop.whole, f"'{prop.key}' needs {what}")
            return None
        if v.kind != "quantity":
            self.error(v.span, f"'{prop.key}' needs {what}, found {v.text!r}")
            return None
        num = v.number
        assert num is not None, v        # every quantity has its number (props.py)
        if unit_class is None:
            if v.unit is not None:
                self.error(v.span, f"'{prop.key}' takes a plain number, found {v.text!r}",
                           f"write {_fmt(num)}")
                return None
            value = num
        else:
            table = UNIT_CLASSES[unit_class][0]
            if v.unit is None:
                example = {"time": "ms", "rate": " rps", "size": "GB", "percent": "%"}[unit_class]
                hint = f"every quantity carries its unit: write {_fmt(num)}{example}"
                if unit_class == "percent" and 0 < num <= 1:
                    hint = f"write {_fmt(num * 100)}%"
                self.error(v.span, f"'{prop.key}' needs {what}, found {v.text!r}", hint)
                return None
            if v.unit not in table:
                self.error(v.span, f"'{prop.key}' needs {what}, found the unit '{v.unit}'")
                return None
            # a percentage in decimal arithmetic: 99.9% is exactly the float 0.999
            value = _percent(v.text) if v.unit == "%" else num * table[v.unit]
        number = v.text.rstrip("%usmhdrpqKMGTB \t")
        limit = maximum if maximum is not None else L.max_quantity(prop.key, unit_class)
        if not math.isfinite(value) or abs(value) > limit:
            shown = (str(int(limit)) if maximum is not None
                     else L.show_quantity(limit, unit_class))
            self.error(v.span, f"'{prop.key}' is at most {shown}, found {_short(v.text)!r}",
                       "the limits of a design are listed in docs/language.md")
            return None
        if _significant_digits(number) > L.MAX_DIGITS:
            self.error(v.span,
                       f"{_short(v.text)!r} has more than {L.MAX_DIGITS} significant digits",
                       "a number keeps 15 digits: more would be rounded silently")
            return None
        if positive and value < 0 and allow_zero:
            self.error(v.span, f"'{prop.key}' must not be negative, found {v.text!r}")
            return None
        if positive and value <= 0 and not allow_zero:
            self.error(v.span, f"'{prop.key}' must be greater than zero, found {v.text!r}")
            return None
        return value

    def integer(self, prop: Prop, v: Val | None, minimum: int = 1) -> int | None:
        n = self.quantity(prop, v, None, allow_zero=minimum == 0,
                          maximum=L.max_count(prop.key))
        if n is None:
            return None
        assert v is not None                # quantity() reported a missing value
        if n != int(n) or n < minimum:
            self.error(v.span, f"'{prop.key}' needs a whole number of at least {minimum}, "
                               f"found {v.text!r}")
            return None
        return int(n)

    def fraction(self, prop: Prop, v: Val | None, allow_zero: bool = False) -> float | None:
        x = self.quantity(prop, v, "percent", positive=False)
        if x is None:
            return None
        assert v is not None                # quantity() reported a missing value
        lo_ok = x >= 0 if allow_zero else x > 0
        if not lo_ok or x > 1:
            rng = "0% to 100%" if allow_zero else "above 0% and at most 100%"
            self.error(v.span, f"'{prop.key}' must be {rng}, found {v.text!r}")
            return None
        return x

    def name(self, prop: Prop, v: Val | None, choices: tuple[str, ...] | None = None) -> str | None:
        if v is None or v.kind != "name" or len(v.parts) != 1:
            found = f", found {v.text!r}" if v else ""
            opts = f" ({' | '.join(choices)})" if choices else ""
            self.error(v.span if v else prop.whole, f"'{prop.key}' needs a name{opts}{found}")
            return None
        if choices and v.text not in choices:
            hint = did_you_mean(v.text, choices) or f"one of: {', '.join(choices)}"
            self.error(v.span, f"unknown {prop.key} {v.text!r}", hint)
            return None
        return v.text

    def no_more(self, prop: Prop, values: Sequence[Val], used: int) -> None:
        if len(values) > used:
            extra = values[used]
            hint = None
            if extra.kind == "name":
                hint = did_you_mean(extra.text, PROPERTY_NAMES)
                hint = (f"'{extra.text}' is not a property; {hint}" if hint
                        else f"'{prop.key}' takes {used} value{'s' if used != 1 else ''}")
            self.error(extra.span, f"unexpected {extra.text!r} after '{prop.key}'", hint)


# A design repeats its quantities: each text is read once (pure functions of the text).
@functools.lru_cache(maxsize=4096)
def _percent(text: str) -> float:
    """`99.9%` -> 0.999 in decimal arithmetic: exactly the float nearest 0.999."""
    return float(Decimal(text[:-1].strip()) / 100)


@functools.lru_cache(maxsize=4096)
def _significant_digits(number: str) -> int:
    return L.significant_digits(number)
