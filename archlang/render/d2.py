"""A view (render/view.py) -> D2 source (https://d2lang.com): ``archlang render --format d2``.

The same picture as the DOT: regions and zones are nested containers, one shape per kind,
the same node and edge texts (dot.py's ``node_lines`` and ``edge_label_words``), SPOFs
outlined in red, what-if failures faded and rerouted calls thick and orange.

Every key is a quoted string (``"order-events"``), so a name is never read as D2 syntax
(a dot would nest, a colon would label); labels are quoted strings with ``\\"``, ``\\\\``
and ``\\n`` escapes and no other control character. Edges name their ends by their full
container path. Deterministic: same view, same bytes.
"""

from __future__ import annotations

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

#: D2's shape per kind.
SHAPES = {"client": "person", "dns": "parallelogram", "cdn": "cloud", "lb": "hexagon",
          "server": "rectangle", "cache": "stored_data", "database": "cylinder",
          "queue": "queue", "storage": "package", "external": "rectangle"}


def q(s: str) -> str:
    """``s`` as a D2 double-quoted string."""
    body = []
    for ch in s:
        if ch in '"\\':
            body.append("\\" + ch)
        elif ch == "\n":
            body.append("\\n")
        elif ch >= " ":
            body.append(ch)
    return '"' + "".join(body) + '"'


def render_d2(view: View) -> str:
    """The view as D2 source (see the module docstring)."""
    design = view.design
    out: list[str] = [f"direction: {'down' if view.rankdir == 'TB' else 'right'}"]
    key = "title"
    while key in design.components or key in {r.name for r in design.regions}:
        key += "_"
    out.append(f"{q(key)}: {q(chr(10).join(title_lines(view)))} {{")
    out.extend(["  shape: text", "  near: top-left", "  style.font-size: 16", "}"])

    homes: dict[tuple[str, str | None] | None, list[str]] = {}
    for name in view.components:
        homes.setdefault(_cluster_of(design.components[name]), []).append(name)
    path: dict[str, str] = {}

    def node(name: str, indent: str, prefix: str) -> None:
        c = design.components[name]
        st = KIND_STYLE[c.kind]
        path[name] = prefix + q(name)
        out.append(f"{indent}{q(name)}: {q(chr(10).join(node_lines(view, name)))} {{")
        out.append(f"{indent}  shape: {SHAPES[c.kind]}")
        if name in view.failed:
            out.extend([f'{indent}  style.fill: "{GREY_FILL}"',
                        f'{indent}  style.stroke: "{GREY_LINE}"',
                        f"{indent}  style.stroke-dash: 4",
                        f'{indent}  style.font-color: "#78909c"'])
        else:
            out.append(f'{indent}  style.fill: "{st.fill}"')
            if name in view.spof_components:
                out.extend([f'{indent}  style.stroke: "{SPOF_COLOUR}"',
                            f"{indent}  style.stroke-width: 3"])
            else:
                out.append(f'{indent}  style.stroke: "{st.border}"')
            if "dashed" in st.style:
                out.append(f"{indent}  style.stroke-dash: 3")
            if "rounded" in st.style:
                out.append(f"{indent}  style.border-radius: 8")
        out.append(f"{indent}}}")

    def container(key: str, label: str, indent: str, prefix: str, state_key: str) -> str:
        out.append(f"{indent}{q(key)}: {q(label)} {{")
        down = state_key in view.domains_down
        spof = state_key in view.spof_domains
        out.append(f'{indent}  style.fill: "{"#e9ecef" if down else "#f7f9fa"}"')
        out.append(f'{indent}  style.stroke: "{SPOF_COLOUR if spof else "#90a4ae"}"')
        if spof:
            out.append(f"{indent}  style.stroke-width: 3")
        return prefix + q(key) + "."

    for region in design.regions:
        zones = [z for z in region.zones if homes.get((region.name, z.name))]
        if not zones and not homes.get((region.name, None)):
            continue
        state = (" DOWN" if region.name in view.domains_down else
                 " SPOF" if region.name in view.spof_domains else "")
        rp = container(region.name, f"region {region.name} · {fmt_pct(region.availability)}"
                       f"{state}", "", "", region.name)
        for zone in zones:
            zstate = (" DOWN" if zone.key in view.domains_down else
                      " SPOF" if zone.key in view.spof_domains else "")
            zp = container(zone.name, f"zone {zone.name} · {fmt_pct(zone.availability)}{zstate}",
                           "  ", rp, zone.key)
            for name in homes[(region.name, zone.name)]:
                node(name, "    ", zp)
            out.append("  }")
        for name in homes.get((region.name, None), []):
            node(name, "  ", rp)
        out.append("}")
    for name in homes.get(None, []):
        node(name, "", "")

    for edge in view.edges:
        call = edge.call
        words = edge_label_words(view, edge)
        label = f": {q(' · '.join(words))}" if words else ""
        style: list[str] = []
        if edge.rerouted:
            style += [f'style.stroke: "{REROUTE_COLOUR}"', "style.stroke-width: 3"]
        elif edge.abandoned or edge.target in view.failed or call.source in view.failed:
            style += [f'style.stroke: "{GREY_LINE}"']
        elif len(call.targets) > 1:
            style += ['style.stroke: "#6a1b9a"']
        if call.asynchronous:
            style.append("style.stroke-dash: 5")
        elif call.optional:
            style.append("style.stroke-dash: 2")
        body = " {\n" + "".join(f"  {s}\n" for s in style) + "}" if style else ""
        out.append(f"{path[call.source]} -> {path[edge.target]}{label}{body}")
    return "\n".join(out) + "\n"
