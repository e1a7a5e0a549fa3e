"""A view (render/view.py) -> a Mermaid flowchart, the text diagram GitHub renders in
Markdown (PR comments, issues, READMEs): ``archlang render --format mermaid``.

The same picture as the DOT: regions and zones are nested ``subgraph`` blocks, one shape per
kind, the same node and edge texts (dot.py's ``node_lines`` and ``edge_label_words``), SPOFs
outlined in red, what-if failures greyed and rerouted calls thick and orange.

Ids are generated (``n1``... in the view's order, ``c1``... for clusters), so no name has to
be a valid Mermaid id; every text is a quoted string in which the characters Mermaid reads
(``"``, ``#``, ``<``, ``>``, ``&``, and the backtick) are written as its entity codes
(``#34;``), so a name or description stays text. Deterministic: same view, same bytes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from archlang.render.dot import (
    GREY_FILL,
    GREY_LINE,
    KIND_STYLE,
    REROUTE_COLOUR,
    SPOF_COLOUR,
    _cluster_of,
)
from archlang.render.labels import edge_label_words, fmt_pct, node_lines, title_lines

if TYPE_CHECKING:  # pragma: no cover
    from archlang.render.view import View

#: Mermaid's flowchart shape per kind: (opening, closing) around the quoted text.
SHAPES = {
    "client": ("[/", "\\]"),      # trapezoid
    "dns": ("[/", "/]"),          # parallelogram
    "cdn": ("([", "])"),          # stadium
    "lb": ("{{", "}}"),           # hexagon
    "server": ("(", ")"),         # rounded box
    "cache": ("[[", "]]"),        # subroutine (double-sided box)
    "database": ("[(", ")]"),     # cylinder
    "queue": (">", "]"),          # flag
    "storage": ("[\\", "\\]"),    # parallelogram the other way
    "external": ("[", "]"),       # box, dashed by its class
}
_ESCAPE = {c: f"#{ord(c)};" for c in '"#<>&`'}


def text(s: str) -> str:
    """``s`` as a Mermaid quoted string: entity codes for what Mermaid would read, no
    control characters."""
    body = "".join(_ESCAPE.get(ch, ch) for ch in s if ch >= " " or ch == "\t")
    return f'"{body}"'


def _lines(lines: list[str]) -> str:
    """Lines of a node's label as one quoted string, broken with <br/>."""
    return '"' + "<br/>".join(text(line)[1:-1] for line in lines) + '"'


def render_mermaid(view: View) -> str:
    """The view as a Mermaid ``flowchart`` (see the module docstring)."""
    design = view.design
    ids = {name: f"n{i}" for i, name in enumerate(view.components, start=1)}
    out: list[str] = []
    title = " · ".join(title_lines(view))
    out += ["---", f"title: {json.dumps(title, ensure_ascii=False)}", "---"]
    out.append(f"flowchart {view.rankdir}")

    def node(name: str, indent: str) -> None:
        c = design.components[name]
        a, b = SHAPES[c.kind]
        out.append(f"{indent}{ids[name]}{a}{_lines(node_lines(view, name))}{b}")

    homes: dict[tuple[str, str | None] | None, list[str]] = {}
    for name in view.components:
        homes.setdefault(_cluster_of(design.components[name]), []).append(name)
    n_cluster = 0
    cluster_class: list[tuple[str, str]] = []
    for region in design.regions:
        zones = [z for z in region.zones if homes.get((region.name, z.name))]
        if not zones and not homes.get((region.name, None)):
            continue
        n_cluster += 1
        rid = f"c{n_cluster}"
        state = " DOWN" if region.name in view.domains_down else (
            " SPOF" if region.name in view.spof_domains else "")
        label = text(f"region {region.name}{state} · {fmt_pct(region.availability)}")
        out.append(f"  subgraph {rid}[{label}]")
        cluster_class.append((rid, _cluster_state(view, region.name)))
        for zone in zones:
            n_cluster += 1
            zid = f"c{n_cluster}"
            zstate = " DOWN" if zone.key in view.domains_down else (
                " SPOF" if zone.key in view.spof_domains else "")
            label = text(f"zone {zone.name}{zstate} · {fmt_pct(zone.availability)}")
            out.append(f"    subgraph {zid}[{label}]")
            cluster_class.append((zid, _cluster_state(view, zone.key)))
            for name in homes[(region.name, zone.name)]:
                node(name, "      ")
            out.append("    end")
        for name in homes.get((region.name, None), []):
            node(name, "    ")
        out.append("  end")
    for name in homes.get(None, []):
        node(name, "  ")

    link_styles: list[str] = []
    for i, edge in enumerate(view.edges):
        call = edge.call
        words = edge_label_words(view, edge)
        if edge.rerouted:
            arrow = "=="
        elif call.asynchronous or call.optional:
            arrow = "-."
        else:
            arrow = "--"
        head = {"==": "==>", "-.": "-.->"}.get(arrow, "-->")
        label = f"|{text(' · '.join(words))}|" if words else ""
        out.append(f"  {ids[call.source]} {head}{label} {ids[edge.target]}")
        style = []
        if edge.rerouted:
            style = [f"stroke:{REROUTE_COLOUR}", "stroke-width:3px"]
        elif edge.abandoned or edge.target in view.failed or call.source in view.failed:
            style = [f"stroke:{GREY_LINE}"]
        elif len(call.targets) > 1:
            style = ["stroke:#6a1b9a"]
        if call.asynchronous and not edge.rerouted:
            style.append("stroke-dasharray:6 4")
        if style:
            link_styles.append(f"  linkStyle {i} {','.join(style)}")
    out += link_styles

    for kind, st in KIND_STYLE.items():
        dash = ",stroke-dasharray:5 3" if "dashed" in st.style else ""
        out.append(f"  classDef {kind} fill:{st.fill},stroke:{st.border}{dash}")
    out.append(f"  classDef spof stroke:{SPOF_COLOUR},stroke-width:3px")
    out.append(f"  classDef down fill:{GREY_FILL},stroke:{GREY_LINE},color:#78909c,"
               "stroke-dasharray:5 3")
    out.append("  classDef region fill:#f7f9fa,stroke:#90a4ae")
    out.append(f"  classDef regionspof fill:#f7f9fa,stroke:{SPOF_COLOUR},stroke-width:3px")
    out.append(f"  classDef regiondown fill:#e9ecef,stroke:{GREY_LINE}")
    by_class: dict[str, list[str]] = {}
    for name in view.components:
        c = design.components[name]
        cls: str = ("down" if name in view.failed else
               "spof" if name in view.spof_components else c.kind)
        if cls == "spof":
            by_class.setdefault(c.kind, []).append(ids[name])
        by_class.setdefault(cls, []).append(ids[name])
    for cid, state in cluster_class:
        by_class.setdefault(state, []).append(cid)
    for cls in sorted(by_class):
        out.append(f"  class {','.join(by_class[cls])} {cls}")
    return "\n".join(out) + "\n"


def _cluster_state(view: View, key: str) -> str:
    if key in view.domains_down:
        return "regiondown"
    if key in view.spof_domains:
        return "regionspof"
    return "region"
