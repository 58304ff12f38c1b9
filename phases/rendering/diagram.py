"""Phase 5's write and read paths drawn on the server: SVG for the page, Mermaid for Markdown.

``path_svg(arch, key, title)`` returns self-contained SVG markup: no script, no event
attributes, no external or ``xlink`` references, no ``<style>`` blocks or ``style=``
attributes (colours are ``fill``/``stroke`` attributes, so a strict Content-Security-Policy
is fine). Every piece of learner text is XML-escaped and stripped of characters XML forbids.
The same architecture always gives the same string.

Layout: a "Client" box, then one box per step, left to right in path order, at most
``PER_ROW`` boxes per row; longer paths wrap onto further bands. A step on the cache-miss
branch is drawn on a second row, below the step it follows (the cache), joined by a dashed
arrow tagged "miss"; a cache-hit step stays on the main row, tagged "hit" and drawn from the
step where the branch began. Asynchronous steps get a dashed arrow tagged "async". A step
naming an undeclared component gets a red dashed outline and "(not declared)".

The natural width of a full row is about 800 user units; the ``viewBox`` lets the page scale
it down (CSS ``max-width: 100%; height: auto``) and the text stays readable at 700 px.

``mermaid(arch, key)`` gives the same path as a Mermaid ``flowchart LR``, for the Markdown
export.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from phases.knowledge.components import COMPONENT_TYPES

if TYPE_CHECKING:
    from phases.architecture import Architecture, Step

PER_ROW = 5  # boxes per band before the path wraps

# Geometry, in SVG user units.
MARGIN = 12
BOX_W = 108
BOX_H = 60
GAP = 60  # between columns: room for the arrow's label
ROW_GAP = 46  # between the main row and the miss row of one band
BAND_GAP = 40  # between bands
TITLE_H = 34
BOX_PAD = 8  # horizontal padding inside a box, both sides together
SQUEEZE = 1.15  # box text up to 15% wider than estimated room is squeezed, not truncated

FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"
NAME_SIZE = 13
SUB_SIZE = 11
LABEL_SIZE = 11
TAG_SIZE = 10

INK = "#212121"
SUBTLE = "#424242"
EDGE = "#455a64"
RED = "#c62828"
TAG_INK = {"miss": "#b71c1c", "hit": "#1b5e20", "async": "#4a148c"}

CLIENT_COLOURS = ("#eceff1", "#546e7a")
UNDECLARED_COLOURS = ("#ffebee", RED)
UNKNOWN_COLOURS = ("#fafafa", "#757575")
TYPE_COLOURS = {
    "dns": ("#e3f2fd", "#1565c0"),
    "cdn": ("#e3f2fd", "#1565c0"),
    "load_balancer_l4": ("#e8eaf6", "#3949ab"),
    "load_balancer_l7": ("#e8eaf6", "#3949ab"),
    "app_server": ("#e8f5e9", "#2e7d32"),
    "cache": ("#fff3e0", "#e65100"),
    "queue": ("#f3e5f5", "#7b1fa2"),
    "worker": ("#f3e5f5", "#7b1fa2"),
    "batch": ("#f3e5f5", "#7b1fa2"),
    "db_primary": ("#e0f2f1", "#00695c"),
    "db_replica": ("#e0f2f1", "#00695c"),
    "object_storage": ("#e0f2f1", "#00695c"),
    "search": ("#fffde7", "#827717"),
}

ELLIPSIS = "…"


# --- text -------------------------------------------------------------------------------


def _xml_char_ok(c: str) -> bool:
    o = ord(c)
    return (
        o in (0x9, 0xA, 0xD)
        or 0x20 <= o <= 0xD7FF
        or 0xE000 <= o <= 0xFFFD
        or 0x10000 <= o <= 0x10FFFF
    )


def clean(text: object) -> str:
    """Learner text made safe to measure and print: XML-legal characters, one line."""
    return _clean("" if text is None else str(text))


@lru_cache(maxsize=4096)  # pure; the same labels are cleaned for every drawing
def _clean(text: str) -> str:
    kept = (
        " " if c.isspace() else c
        for c in text
        if _xml_char_ok(c) and (c.isspace() or unicodedata.category(c) != "Cc")
    )
    return " ".join("".join(kept).split())


def _t(text: str) -> str:
    """Escaped for XML text content."""
    return escape(text)


def _a(text: str) -> str:
    """Escaped for a double-quoted XML attribute value."""
    return escape(text, {'"': "&quot;", "'": "&apos;"})


@lru_cache(maxsize=4096)
def _char_w(c: str) -> float:
    """A rough advance width in ems for a proportional system font (Arial-like, padded)."""
    if unicodedata.combining(c):
        return 0.0
    if unicodedata.east_asian_width(c) in ("W", "F"):
        return 1.05
    if c in "iljI.,:;'|!` ":
        return 0.3
    if c in "ftr()[]{}/":
        return 0.36
    if c in "mwMW@%":
        return 0.9
    if c.isupper():
        return 0.7
    return 0.58


@lru_cache(maxsize=8192)
def _width(text: str, size: float) -> float:
    # Labels are measured again and again while fitting and wrapping; both are pure.
    return sum(map(_char_w, text)) * size


def _fit(text: str, size: float, max_w: float, *, cut: bool = False) -> str:
    """``text`` if it fits in ``max_w``, else truncated with an ellipsis (always, if ``cut``)."""
    if not cut and _width(text, size) <= max_w:
        return text
    while text and _width(text.rstrip() + ELLIPSIS, size) > max_w:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def _wrap(text: str, size: float, max_w: float, lines: int) -> list[str]:
    """Greedy word wrap into at most ``lines`` lines; the last one ends in … if text is left."""
    if not text:
        return []
    out: list[str] = []
    words = text.split(" ")
    current = ""
    while words:
        word = words[0]
        trial = f"{current} {word}" if current else word
        if _width(trial, size) <= max_w:
            current = trial
            words.pop(0)
            continue
        if not current:  # a single word wider than the line: break it
            cut = len(word)
            while cut > 1 and _width(word[:cut], size) > max_w:
                cut -= 1
            current, words[0] = word[:cut], word[cut:]
        out.append(current)
        current = ""
        if len(out) == lines:
            break
    if current:
        out.append(current)
    if len(out) > lines or words:
        out = out[:lines]
        rest = " ".join(w for w in words if w)
        out[-1] = _fit(f"{out[-1]} {rest}".strip(), size, max_w, cut=bool(rest))
    return out


def _n(x: float) -> str:
    """A coordinate, printed the same way every time."""
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


# --- model ------------------------------------------------------------------------------


@dataclass
class _Node:
    g: int  # global column: band = g // PER_ROW
    lane: int  # 0 = main row, 1 = miss row
    name: str
    sub: list[str]
    declared: bool
    colours: tuple[str, str]
    step: int | None = None  # index in the path; None for the client
    branch: str = ""
    is_async: bool = False
    tooltip: str = ""
    detail: str = ""  # type and count in full, for Mermaid


@dataclass
class _Edge:
    src: int
    dst: int
    action: str
    tags: list[str] = field(default_factory=list)

    @property
    def dashed(self) -> bool:
        return "miss" in self.tags or "async" in self.tags


def _steps(arch: Architecture | None, key: str) -> tuple[Step, ...]:
    if arch is None:
        return ()
    return tuple(arch.path(key) or ())


def _describe_component(
    arch: Architecture, step: Step
) -> tuple[str, list[str], bool, tuple[str, str], str, str]:
    """(name, sub-lines, declared, colours, tooltip, detail) for a step's box."""
    written = clean(step.component)
    component = arch.component(step.component) if written else None
    if component is None:
        name = written or "(no component)"
        note = "(not declared)" if written else "(not named)"
        return name, [note], False, UNDECLARED_COLOURS, f"{name} {note}", note
    name = clean(component.label)
    type_label = COMPONENT_TYPES.get(component.type) or clean(component.type) or "(no type)"
    count = ""
    if component.count is not None:
        count = f"×{component.count}"
    elif clean(component.count_text):
        count = f"×{clean(component.count_text)}"
    colours = TYPE_COLOURS.get(component.type, UNKNOWN_COLOURS)
    tooltip = " · ".join(p for p in (name, type_label, count) if p)
    inner = (BOX_W - BOX_PAD) * SQUEEZE
    one_line = f"{type_label} · {count}" if count else type_label
    if _width(one_line, SUB_SIZE) <= inner:
        sub = [one_line]
    else:
        sub = [_fit(type_label, SUB_SIZE, inner)] + (
            [_fit(count, SUB_SIZE, inner)] if count else []
        )
    return name, sub, True, colours, tooltip, one_line


def _layout(arch: Architecture, steps: Sequence[Step]) -> tuple[list[_Node], list[_Edge]]:
    nodes = [_Node(0, 0, "Client", [], True, CLIENT_COLOURS, tooltip="Client")]
    edges: list[_Edge] = []
    occupied = {(0, 0)}
    cursor = 0  # rightmost global column in use
    branch_point = 0  # the last plain step (or the client): where hit and miss branches start
    for i, step in enumerate(steps):
        prev = len(nodes) - 1
        branch = step.branch if step.branch in ("hit", "miss") else ""
        if branch == "miss":
            anchor = branch_point if nodes[prev].branch == "hit" else prev
            a = nodes[anchor]
            spot = (a.g, 1) if a.lane == 0 else (a.g + 1, 1)
            if spot in occupied:
                spot = (cursor + 1, 1)
        elif branch == "hit":
            anchor = branch_point if nodes[prev].branch == "miss" else prev
            spot = (cursor + 1, 0)
        else:
            anchor = prev
            spot = (cursor + 1, 0)
        name, sub, declared, colours, tooltip, detail = _describe_component(arch, step)
        nodes.append(
            _Node(
                *spot, name, sub, declared, colours, i, branch, bool(step.is_async), tooltip, detail
            )
        )
        occupied.add(spot)
        cursor = max(cursor, spot[0])
        if not branch:
            branch_point = len(nodes) - 1
        tags = [branch] if branch else []
        if step.is_async:
            tags.append("async")
        edges.append(_Edge(anchor, len(nodes) - 1, clean(step.action), tags))
    return nodes, edges


def _step_words(node: _Node, edge: _Edge) -> str:
    notes = list(edge.tags)
    if not node.declared:
        notes.append(node.sub[0].strip("()"))
    if edge.action:
        notes.append(edge.action)
    return f"{node.name} ({', '.join(notes)})" if notes else node.name


def describe(arch: Architecture, key: str) -> str:
    """The path in words: "Client → lb (forward) → app → db (insert)"."""
    steps = _steps(arch, key)
    if not steps:
        return "No steps yet."
    nodes, edges = _layout(arch, steps)
    return " → ".join(["Client", *(_step_words(nodes[e.dst], e) for e in edges)])


# --- drawing ----------------------------------------------------------------------------


class _Geometry:
    def __init__(self, nodes: list[_Node]):
        self.bands = max(n.g for n in nodes) // PER_ROW + 1
        lanes = {(n.g // PER_ROW, n.lane) for n in nodes}
        self.top: list[float] = []
        self.lane_y: dict[tuple[int, int], float] = {}
        y: float = TITLE_H
        for band in range(self.bands):
            self.top.append(y)
            has_main, has_miss = (band, 0) in lanes, (band, 1) in lanes
            self.lane_y[(band, 0)] = y
            self.lane_y[(band, 1)] = y + (BOX_H + ROW_GAP if has_main else 0)
            y = self.lane_y[(band, 1)] + BOX_H if has_miss else y + BOX_H
            y += BAND_GAP
        self.bottom = [
            self.lane_y[(b, 1)] + BOX_H if (b, 1) in lanes else self.lane_y[(b, 0)] + BOX_H
            for b in range(self.bands)
        ]
        self.height = y - BAND_GAP + MARGIN
        cols = min(PER_ROW, max(n.g for n in nodes) + 1)
        self.width = 2 * MARGIN + cols * BOX_W + (cols - 1) * GAP

    def box(self, node: _Node) -> tuple[float, float]:
        band, col = divmod(node.g, PER_ROW)
        return MARGIN + col * (BOX_W + GAP), self.lane_y[(band, node.lane)]


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: float,
    fill: str = INK,
    anchor: str = "middle",
    weight: str = "",
    italic: bool = False,
    room: float | None = None,
) -> str:
    """A <text>; with ``room``, text estimated a little too wide is squeezed to fit."""
    extra = ' font-weight="bold"' if weight else ""
    if room is not None and _width(content, size) > room:
        extra += f' textLength="{_n(room)}" lengthAdjust="spacingAndGlyphs"'
    extra += ' font-style="italic"' if italic else ""
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" fill="{fill}" '
        f'text-anchor="{anchor}"{extra}>{_t(content)}</text>'
    )


def _node_svg(node: _Node, geo: _Geometry) -> str:
    x, y = geo.box(node)
    fill, stroke = node.colours
    dash = ' stroke-dasharray="6 4"' if not node.declared else ""
    kind = "client" if node.step is None else "step"
    attrs = f'class="node" data-kind="{kind}"'
    if node.step is not None:
        attrs += f' data-step="{node.step}" data-branch="{node.branch or "main"}"'
        attrs += f' data-declared="{"true" if node.declared else "false"}"'
    parts = [
        f"<g {attrs}>",
        f"<title>{_t(node.tooltip)}</title>",
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{BOX_W}" height="{BOX_H}" rx="8" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{1.5 if node.declared else 2}"{dash}/>',
    ]
    cx = x + BOX_W / 2
    room = BOX_W - BOX_PAD
    name = _fit(node.name, NAME_SIZE, room * SQUEEZE)
    sub_fill = RED if not node.declared else SUBTLE
    heights = [NAME_SIZE + 3] + [SUB_SIZE + 3] * len(node.sub)
    line_top = y + (BOX_H - sum(heights)) / 2
    baselines = []
    for h in heights:
        baselines.append(line_top + h - 4)
        line_top += h
    parts.append(_text(cx, baselines[0], name, size=NAME_SIZE, weight="bold", room=room))
    for line, base in zip(node.sub, baselines[1:], strict=True):
        parts.append(_text(cx, base, line, size=SUB_SIZE, fill=sub_fill, room=room))
    parts.append("</g>")
    return "".join(parts)


def _arrowhead(x: float, y: float, dx: int, dy: int, colour: str) -> str:
    """A filled triangle with its tip at (x, y), pointing along (dx, dy)."""
    length, half = 8, 4.5
    bx, by = x - dx * length, y - dy * length
    px, py = -dy * half, dx * half
    pts = [(x, y), (bx + px, by + py), (bx - px, by - py)]
    return f'<polygon points="{" ".join(f"{_n(a)},{_n(b)}" for a, b in pts)}" fill="{colour}"/>'


def _direction(a: tuple[float, float], b: tuple[float, float]) -> tuple[int, int]:
    dx, dy = b[0] - a[0], b[1] - a[1]
    if abs(dx) >= abs(dy):
        return (1 if dx > 0 else -1), 0
    return 0, (1 if dy > 0 else -1)


def _edge_svg(edge: _Edge, nodes: list[_Node], geo: _Geometry) -> str:
    a, b = nodes[edge.src], nodes[edge.dst]
    ax, ay = geo.box(a)
    bx, by = geo.box(b)
    a_band, b_band = a.g // PER_ROW, b.g // PER_ROW
    tag = " · ".join(edge.tags)
    tag_ink = TAG_INK.get(edge.tags[0], EDGE) if edge.tags else EDGE
    labels: list[str] = []
    mid_a, mid_b = ay + BOX_H / 2, by + BOX_H / 2

    def above(x_from: float, x_to: float, y: float) -> None:
        """Action over a horizontal run, tag under it."""
        cx, room = (x_from + x_to) / 2, x_to - x_from - 6
        lines = _wrap(edge.action, LABEL_SIZE, room, 2)
        for k, line in enumerate(lines):  # in reading order, the last just over the run
            up = len(lines) - 1 - k
            labels.append(
                _text(cx, y - 5 - up * (LABEL_SIZE + 2), line, size=LABEL_SIZE, fill=EDGE)
            )
        # Tags under the run: on one line if they fit, else one per line.
        tag_lines = [tag] if _width(tag, TAG_SIZE) <= room else edge.tags
        tag_lines = [t for t in tag_lines if t]
        for k, line in enumerate(tag_lines):
            labels.append(
                _text(
                    cx,
                    y + TAG_SIZE + 4 + k * (TAG_SIZE + 1),
                    _fit(line, TAG_SIZE, max(room, 30)),
                    size=TAG_SIZE,
                    fill=TAG_INK.get(line, tag_ink),
                    italic=True,
                )
            )

    if a_band == b_band and a.lane == b.lane:
        points = [(ax + BOX_W, mid_a), (bx, mid_b)]
        above(bx - GAP, bx, mid_b)
    elif a_band == b_band and a.lane == 0 and b.lane == 1 and a.g == b.g:
        cx = ax + BOX_W / 2
        points = [(cx, ay + BOX_H), (cx, by)]
        room = min(BOX_W / 2 + GAP - 12, geo.width - MARGIN - cx - 6)
        y0 = ay + BOX_H + (ROW_GAP - 2 * LABEL_SIZE) / 2 + LABEL_SIZE - 2
        if tag:
            labels.append(
                _text(
                    cx + 6,
                    y0,
                    _fit(tag, TAG_SIZE, room),
                    size=TAG_SIZE,
                    fill=tag_ink,
                    anchor="start",
                    italic=True,
                )
            )
        if edge.action:
            labels.append(
                _text(
                    cx + 6,
                    y0 + LABEL_SIZE + 3,
                    _fit(edge.action, LABEL_SIZE, room),
                    size=LABEL_SIZE,
                    fill=EDGE,
                    anchor="start",
                )
            )
    elif a_band == b_band and a.lane == 0 and b.lane == 1:
        mid_gap = ay + BOX_H + ROW_GAP / 2
        points = [
            (ax + BOX_W / 2, ay + BOX_H),
            (ax + BOX_W / 2, mid_gap),
            (bx + BOX_W / 2, mid_gap),
            (bx + BOX_W / 2, by),
        ]
        label = f"{tag}: {edge.action}" if tag and edge.action else (tag or edge.action)
        room = bx - ax - 12
        labels.append(
            _text(
                (ax + bx + BOX_W) / 2,
                mid_gap - 4,
                _fit(label, LABEL_SIZE, room),
                size=LABEL_SIZE,
                fill=tag_ink,
            )
        )
    elif a_band == b_band:  # back up from the miss row to the main row
        x1 = ax + BOX_W + 10
        points = [(ax + BOX_W, mid_a), (x1, mid_a), (x1, mid_b), (bx, mid_b)]
        above(x1, bx, mid_b)
    else:  # onto a later band: down past this band, across, into the box from above
        x1 = ax + BOX_W + min(10, MARGIN / 2) if a.g % PER_ROW == PER_ROW - 1 else ax + BOX_W + 10
        sep = geo.bottom[a_band] + BAND_GAP / 2
        cx = bx + BOX_W / 2
        upper = b.lane == 1 and any(n.g == b.g and n.lane == 0 for n in nodes)
        if upper:  # the slot above is taken: come in from the left margin instead
            points = [
                (ax + BOX_W, mid_a),
                (x1, mid_a),
                (x1, sep),
                (MARGIN / 2, sep),
                (MARGIN / 2, mid_b),
                (bx, mid_b),
            ]
        else:
            points = [(ax + BOX_W, mid_a), (x1, mid_a), (x1, sep), (cx, sep), (cx, by)]
        label = f"{tag}: {edge.action}" if tag and edge.action else (tag or edge.action)
        room = min(max(abs(x1 - cx) - 12, 200), geo.width - 2 * MARGIN)
        lx = min(max((x1 + cx) / 2, MARGIN + room / 2), geo.width - MARGIN - room / 2)
        labels.append(
            _text(lx, sep - 5, _fit(label, LABEL_SIZE, room), size=LABEL_SIZE, fill=tag_ink)
        )
    dash = ' stroke-dasharray="6 4"' if edge.dashed else ""
    pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
    attrs = f'class="edge" data-from="{edge.src}" data-to="{edge.dst}"'
    attrs += f' data-async="{"true" if "async" in edge.tags else "false"}"'
    attrs += f' data-branch="{next((t for t in edge.tags if t != "async"), "main")}"'
    return (
        f"<g {attrs}>"
        f'<polyline points="{pts}" fill="none" stroke="{EDGE}" stroke-width="1.5"{dash}/>'
        + _arrowhead(*points[-1], *_direction(points[-2], points[-1]), EDGE)
        + "".join(labels)
        + "</g>"
    )


def _ident(key: str) -> str:
    return "diagram-" + (re.sub(r"[^a-z0-9]+", "-", str(key).lower()).strip("-") or "path")


def _svg_open(key: str, title: str, desc: str, width: float, height: float) -> str:
    ident = _ident(key)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="path-diagram" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width)}" height="{_n(height)}" '
        f'role="img" aria-labelledby="{ident}-title {ident}-desc" font-family="{_a(FONT)}">'
        f'<title id="{ident}-title">{_t(title)}</title>'
        f'<desc id="{ident}-desc">{_t(desc)}</desc>'
    )


def path_svg(arch: Architecture, key: str, title: str) -> str:
    """SVG markup for one of the architecture's paths (``"write_path"`` or ``"read_path"``)."""
    title = clean(title) or "Path"
    steps = _steps(arch, key)
    if not steps:
        width, height = 240, 64
        return (
            _svg_open(key, title, "No steps yet.", width, height)
            + f'<rect x="1" y="1" width="{width - 2}" height="{height - 2}" rx="8" fill="#fafafa"'
            f' stroke="#9e9e9e" stroke-dasharray="6 4"/>'
            + _text(width / 2, 28, _fit(title, 13, width - 20), size=13, weight="bold")
            + _text(width / 2, 47, "No steps yet", size=SUB_SIZE, fill=SUBTLE)
            + "</svg>"
        )
    nodes, edges = _layout(arch, steps)
    geo = _Geometry(nodes)
    desc = " → ".join(["Client", *(_step_words(nodes[e.dst], e) for e in edges)])
    return (
        _svg_open(key, title, desc, geo.width, geo.height)
        + _text(
            MARGIN,
            22,
            _fit(title, 14, geo.width - 2 * MARGIN),
            size=14,
            anchor="start",
            weight="bold",
        )
        + "".join(_edge_svg(e, nodes, geo) for e in edges)
        + "".join(_node_svg(n, geo) for n in nodes)
        + "</svg>"
    )


# --- Mermaid ----------------------------------------------------------------------------

_MERMAID_ESCAPES = {
    "#": "#35;",
    '"': "#quot;",
    "&": "#amp;",
    "<": "#lt;",
    ">": "#gt;",
    "|": "#124;",
    "`": "#96;",
    ";": "#59;",
    "\\": "#92;",
}


def _mm(text: str) -> str:
    """Text for inside a quoted Mermaid label: nothing Mermaid (or HTML) would interpret."""
    return "".join(_MERMAID_ESCAPES.get(c, c) for c in clean(text))


def mermaid(arch: Architecture, key: str) -> str:
    """The path as a Mermaid ``flowchart LR``, for the Markdown export."""
    steps = _steps(arch, key)
    if not steps:
        return 'flowchart LR\n    n0["No steps yet"]\n'
    nodes, edges = _layout(arch, steps)
    lines = ["flowchart LR"]
    for k, node in enumerate(nodes):
        label = "<br/>".join(_mm(part) for part in (node.name, node.detail) if part)
        lines.append(f'    n{k}["{label}"]')
    for edge in edges:
        arrow = "-.->" if edge.dashed else "-->"
        tag = " · ".join(edge.tags)
        label = f"{tag}: {edge.action}" if tag and edge.action else (tag or edge.action)
        middle = f'{arrow}|"{_mm(label)}"|' if label else arrow
        lines.append(f"    n{edge.src} {middle} n{edge.dst}")
    undeclared = [f"n{k}" for k, n in enumerate(nodes) if not n.declared]
    if undeclared:
        lines.append("    classDef undeclared fill:#ffebee,stroke:#c62828,stroke-dasharray:6 4")
        lines.append(f"    class {','.join(undeclared)} undeclared")
    return "\n".join(lines) + "\n"


# -- Load against capacity -------------------------------------------------------------------

BAR_LABEL_W = 150
BAR_W = 420
BAR_H = 18
BAR_GAP = 10
BAR_SCALE = 1.5  # the chart shows up to 150% of capacity; beyond, the bar is capped
BAR_COLOURS = {"ok": "#2e7d32", "tight": "#f9a825", "over": RED}


def capacity_svg(rows: Sequence[Mapping[str, Any]], title: str = "Load against capacity") -> str:
    """A horizontal bar per component: its load as a share of its capacity.

    ``rows`` are the capacity model's component rows ({name, load, capacity, headroom});
    components without a capacity (unbounded) are left out. The line marks 100%.
    """
    bars = [r for r in rows if r.get("capacity") and r.get("load") is not None]
    height = TITLE_H + max(1, len(bars)) * (BAR_H + BAR_GAP) + MARGIN
    width = MARGIN * 2 + BAR_LABEL_W + BAR_W + 60
    ident = "capacity-chart"
    summary = (
        "; ".join(
            f"{clean(r['name'])}: {100 * r['load'] / r['capacity']:.0f}% of capacity" for r in bars
        )
        or "No component has a known capacity yet."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-family="{_a(FONT)}">',
        f'<title id="{ident}-title">{_t(clean(title))}</title>',
        f'<desc id="{ident}-desc">{_t(summary)}</desc>',
        f'<text x="{MARGIN}" y="{MARGIN + 12}" font-size="{NAME_SIZE}" '
        f'font-weight="bold" fill="{INK}">{_t(clean(title))}</text>',
    ]
    x0 = MARGIN + BAR_LABEL_W
    for index, row in enumerate(bars):
        y = TITLE_H + index * (BAR_H + BAR_GAP)
        share = row["load"] / row["capacity"]
        state = "over" if share > 1 else "tight" if share > 0.7 else "ok"
        length = BAR_W * min(share, BAR_SCALE) / BAR_SCALE
        label = _fit(clean(row["name"]), LABEL_SIZE, BAR_LABEL_W - 8, cut=True)
        parts += [
            f'<text x="{MARGIN}" y="{_n(y + BAR_H - 5)}" font-size="{LABEL_SIZE}" '
            f'fill="{INK}">{_t(label)}</text>',
            f'<rect x="{x0}" y="{_n(y)}" width="{BAR_W}" height="{BAR_H}" fill="#eceff1"/>',
            f'<rect x="{x0}" y="{_n(y)}" width="{_n(max(length, 1))}" height="{BAR_H}" '
            f'fill="{BAR_COLOURS[state]}" data-share="{share:.4f}"/>',
            f'<text x="{_n(x0 + BAR_W + 6)}" y="{_n(y + BAR_H - 5)}" font-size="{LABEL_SIZE}" '
            f'fill="{INK}">{share:.0%}</text>',
        ]
    full = x0 + BAR_W / BAR_SCALE
    parts.append(
        f'<line x1="{_n(full)}" y1="{TITLE_H - 6}" x2="{_n(full)}" y2="{height - MARGIN}" '
        f'stroke="{INK}" stroke-dasharray="4 3"/>'
    )
    parts.append("</svg>")
    return "".join(parts)
