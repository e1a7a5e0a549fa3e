"""Syntax trees -> Design, with every problem collected as a diagnostic.

The builder reads the statements of the root file and of everything it imports, in order,
then builds, in this order: failure domains, the network, kind defaults, components, calls,
flows. Every check that needs the whole design (names, placements, paths) runs after all
statements are read, so an error never hides the next one.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from archlang import limits as L
from archlang.errors import DesignError, Diagnostic, SyntaxError_
from archlang.model.calls import CallsMixin
from archlang.model.components import ComponentsMixin
from archlang.model.datatier import DataTierMixin
from archlang.model.design import Design
from archlang.model.domains import DomainsMixin
from archlang.model.flows import FlowsMixin
from archlang.model.props import _unquote
from archlang.model.recovery import PropertyRecovery
from archlang.model.values import ValueChecks
from archlang.span import Span, is_tree, span_of, tree_of

if TYPE_CHECKING:
    from lark import Token, Tree

    from archlang.model.values import Statement


# Each mixin derives from the ones it uses, down to ValueChecks (DomainsMixin reads
# reliability as ComponentsMixin does, FlowsMixin reads steps as CallsMixin does): the
# bases are listed in that order.
class DesignBuilder(DomainsMixin, ComponentsMixin, DataTierMixin, FlowsMixin, CallsMixin,
                    PropertyRecovery, ValueChecks):
    def __init__(self, sources: Mapping[str, str], root: str,
                 syntax_errors: Sequence[Diagnostic] | None = None) -> None:
        super().__init__(sources)
        self.root = root
        self.syntax_errors = list(syntax_errors or ())   # stepped over by the parser
        self.system_name: str | None = None
        self.system_span: Span | None = None
        self.description: str | None = None
        self.region_nodes: list[Statement] = []
        self.network_nodes: list[Statement] = []
        self.default_nodes: list[Statement] = []
        self.component_nodes: list[Statement] = []
        self.call_nodes: list[Statement] = []
        self.flow_nodes: list[Statement] = []
        self.region_names: set[str] = set()
    def collect(self, file: str, tree: Tree[Token]) -> None:
        """Sort the statements of one file (imports are resolved before we get here)."""
        for node in map(tree_of, tree.children):
            if node.data == "system":
                # `!system` keeps its keyword and braces, so that its span covers them.
                name_tok = node.children[1]
                if file == self.root:
                    if self.system_name is not None:
                        self.error(span_of(file, name_tok), "a file holds one system",
                                   f"'{self.system_name}' is already declared")
                    else:
                        self.system_name = str(name_tok)
                        self.system_span = span_of(file, node)
                for stmt in node.children[2:]:
                    if is_tree(stmt):
                        self._stmt(file, stmt)
            else:
                self._stmt(file, node)
    def _stmt(self, file: str, node: Tree[Token]) -> None:
        d = node.data
        if d == "import_stmt":
            return
        if d == "description":
            if file == self.root:
                self.description = _unquote(str(node.children[0]))
            return
        target = {"region": self.region_nodes, "network": self.network_nodes,
                  "defaults": self.default_nodes, "component": self.component_nodes,
                  "call": self.call_nodes, "flow": self.flow_nodes}[d]
        target.append((file, node))
    # ---- whole design ----------------------------------------------------------------------
    def _within_limits(self) -> None:
        """Too many components, calls or flows: reported at the first one too many, and the
        build stops there (its cost would grow with what it was asked to refuse)."""
        def arrows(node: Tree[Token]) -> int:
            """The calls a call statement declares: one per step (`a -> b -> c`: 2)."""
            return sum(1 for t in node.children if is_tree(t) and t.data == "step")

        checks: tuple[tuple[list[Statement], Callable[[Tree[Token]], int], int, str,
                            Callable[[str, Tree[Token]], Span]], ...] = (
            (self.component_nodes, lambda n: 1, L.MAX_COMPONENTS, "components",
             lambda f, n: span_of(f, n.children[1])),
            (self.call_nodes, arrows, L.MAX_CALLS, "calls", span_of),
            (self.flow_nodes, lambda n: 1, L.MAX_FLOWS, "flows",
             lambda f, n: span_of(f, n.children[0])),
        )
        for nodes, weight, limit, what, where in checks:
            total = 0
            for file, node in nodes:
                total += weight(node)
                if total > limit:
                    self.error(where(file, node), f"a design holds at most {limit:,} {what}",
                               "the limits of a design are listed in docs/language.md")
                    raise DesignError(self.syntax_errors + self.diags)
    def build(self, files: Sequence[str]) -> Design:
        self._within_limits()
        regions = self.build_regions()
        network = self.build_network(regions)
        kind_defaults = self.build_defaults()
        comps = self.build_components(regions, kind_defaults)
        calls = self.build_calls(comps)
        flows, implicit = self.build_flows(comps, calls)
        if self.syntax_errors:
            raise SyntaxError_(self.syntax_errors + self.diags)
        if self.diags:
            raise DesignError(self.diags)
        name = self.system_name
        if name is None:
            from pathlib import PurePath
            name = PurePath(self.root).stem if self.root != "<string>" else "design"
        return Design(
            name=name, description=self.description, path=self.root, files=tuple(files),
            span=self.system_span or Span.point(self.root, 1, 1),
            regions=tuple(regions), network=network, components=comps,
            calls=tuple(calls) + tuple(implicit), flows=flows,
            sources=dict(self.sources))


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The garbage collector paused (and resumed after, if it ran before). Around the parse
    and the build of a design together: a collection between them walks the whole syntax
    tree (~500,000 objects at 10,000 components: a quarter of a second) to free nothing;
    once the trees are dropped, the next one walks only the design."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def build_design(units: Sequence[tuple[str, Tree[Token]]], sources: Mapping[str, str],
                 root: str, syntax_errors: Sequence[Diagnostic] | None = None) -> Design:
    """Syntax trees of the root file and its imports (in reading order) -> Design.

    ``syntax_errors``: what the parser stepped over; reported with the builder's own."""
    with collector_paused():     # see syntax/parser.py: the builder only allocates
        b = DesignBuilder(sources, root, syntax_errors)
        for file, tree in units:
            b.collect(file, tree)
        return b.build([f for f, _ in units])


def load_design(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None,
                name: str | None = None) -> Design:
    """A design file and its imports (archlang/sources.py) -> Design; ``name`` is how
    messages name the file (default: ``path``). Raises ArchlangError."""
    from archlang.sources import load_units

    recovered: list[Diagnostic] = []
    with collector_paused():
        units, sources = load_units(path, root=root, recovered=recovered, name=name)
        design = build_design(units, sources, name or os.fspath(path), recovered)
        del units
    return design


def loads_design(text: str, path: str = "<string>",
                 root: str | os.PathLike[str] | None = None) -> Design:
    """Design text -> Design; ``path`` names it in messages and anchors its imports."""
    from archlang.sources import load_units

    recovered: list[Diagnostic] = []
    with collector_paused():
        units, sources = load_units(path, root=root, text=text, recovered=recovered)
        design = build_design(units, sources, path, recovered)
        del units
    return design
