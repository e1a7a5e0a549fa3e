"""Syntax trees -> Design, with every problem collected as a diagnostic.

The builder reads the statements of the root file and of everything it imports, in order,
then builds, in this order: failure domains, the network, kind defaults, components, calls,
flows. Every check that needs the whole design (names, placements, paths) runs after all
statements are read, so an error never hides the next one.
"""

from __future__ import annotations

import gc
import os
from typing import Any

from archlang import limits as L
from archlang.errors import DesignError, Diagnostic, SyntaxError_, did_you_mean
from archlang.model.calls import CallsMixin
from archlang.model.components import ComponentsMixin
from archlang.model.datatier import DataTierMixin
from archlang.model.design import Component, Design
from archlang.model.domains import DomainsMixin
from archlang.model.flows import FlowsMixin
from archlang.model.props import _unquote
from archlang.model.recovery import PropertyRecovery
from archlang.model.values import ValueChecks
from archlang.span import Span, span_of


class DesignBuilder(DomainsMixin, ComponentsMixin, DataTierMixin, CallsMixin, FlowsMixin,
                    PropertyRecovery, ValueChecks):
    def __init__(self, sources: dict[str, str], root: str,
                 syntax_errors: list[Diagnostic] | None = None):
        super().__init__(sources)
        self.root = root
        self.syntax_errors = list(syntax_errors or ())   # stepped over by the parser
        self.system_name: str | None = None
        self.system_span: Span | None = None
        self.description: str | None = None
        self.region_nodes: list[tuple[str, Any]] = []
        self.network_nodes: list[tuple[str, Any]] = []
        self.default_nodes: list[tuple[str, Any]] = []
        self.component_nodes: list[tuple[str, Any]] = []
        self.call_nodes: list[tuple[str, Any]] = []
        self.flow_nodes: list[tuple[str, Any]] = []
        self.region_names: set[str] = set()
    def collect(self, file: str, tree) -> None:
        """Sort the statements of one file (imports are resolved before we get here)."""
        for node in tree.children:
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
                    if hasattr(stmt, "data"):
                        self._stmt(file, stmt)
            else:
                self._stmt(file, node)
    def _stmt(self, file: str, node) -> None:
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
    # ---- calls: model/calls.py ---------------------------------------------------------
    def _ref(self, file: str, tok, comps: dict[str, Component], starts: bool = False) -> bool:
        """Is ``tok`` a declared component? ``starts``: it begins a flow's first path."""
        name = str(tok)
        if name in comps:
            return True
        example = f"client {name} {{ latency 30ms }}" if starts else "server NAME { ... }"
        self.error(span_of(file, tok), f"unknown component '{name}'",
                   did_you_mean(name, comps) or f"declare it, e.g. `{example}`")
        return False
    # ---- whole design ----------------------------------------------------------------------
    def _within_limits(self) -> None:
        """Too many components, calls or flows: reported at the first one too many, and the
        build stops there (its cost would grow with what it was asked to refuse)."""
        def arrows(node) -> int:
            return sum(1 for t in node.children if getattr(t, "type", None) == "ARROW")

        checks = (
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
    def build(self, files: list[str]) -> Design:
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


def build_design(units: list[tuple[str, Any]], sources: dict[str, str], root: str,
                 syntax_errors: list[Diagnostic] | None = None) -> Design:
    """Syntax trees of the root file and its imports (in reading order) -> Design.

    ``syntax_errors``: what the parser stepped over; reported with the builder's own."""
    gc_was_on = gc.isenabled()
    gc.disable()     # see syntax/parser.py: the builder only allocates
    try:
        b = DesignBuilder(sources, root, syntax_errors)
        for file, tree in units:
            b.collect(file, tree)
        return b.build([f for f, _ in units])
    finally:
        if gc_was_on:
            gc.enable()


def load_design(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None,
                name: str | None = None) -> Design:
    """A design file and its imports (archlang/sources.py) -> Design; ``name`` is how
    messages name the file (default: ``path``). Raises ArchlangError."""
    from archlang.sources import load_units

    recovered: list[Diagnostic] = []
    units, sources = load_units(path, root=root, recovered=recovered, name=name)
    return build_design(units, sources, name or os.fspath(path), recovered)


def loads_design(text: str, path: str = "<string>",
                 root: str | os.PathLike[str] | None = None) -> Design:
    """Design text -> Design; ``path`` names it in messages and anchors its imports."""
    from archlang.sources import load_units

    recovered: list[Diagnostic] = []
    units, sources = load_units(path, root=root, text=text, recovered=recovered)
    return build_design(units, sources, path, recovered)
