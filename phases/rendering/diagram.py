"""Phase 5's write and read paths drawn on the server: SVG for the page, Mermaid for Markdown.

``path_svg(arch, key, title)`` returns self-contained SVG markup: no script, no event
attributes, no external or ``xlink`` references, no ``<style>`` blocks or ``style=``
attributes (colours and sizes are presentation attributes such as ``fill`` and
``font-size``, so a strict Content-Security-Policy is fine). Every piece of learner text is
XML-escaped and stripped of characters XML forbids. The same architecture always gives the
same string.

Layout: a "Client" box, then one box per component the path goes through, each drawn
once however often the path comes back to it, left to right in the order the path first
reaches them, at most ``PER_ROW`` boxes per row; more components wrap onto further bands.
A component first reached on the cache-miss branch is drawn on a second row, below the
step it follows (usually the cache). Each step is an arrow from the component it starts at
to the one it reaches, tagged with the step's number (and "hit", "miss" or "async");
steps between the same two boxes share one arrow and list their numbers. Arrows of the
miss branch and asynchronous steps are dashed. Under the boxes, the numbered steps are
written out in full (wrapped, never cut), so the picture needs no tooltip to be read.
A step naming an undeclared component gets a red dashed outline and "(not declared)".
Box names wrap onto two lines; a name longer than that ends in "…" and is whole in the
box's ``<title>``.

The drawing is meant to be shown at its natural size (``width`` and ``height`` are given,
and the page does not scale it down: a figure narrower than the drawing scrolls), so the
smallest text, 12 user units, is 12 px on screen. A full row of four boxes is 796 units wide;
a drawing is never narrower than 380 units, so the written steps have room.

``steps_in_words(arch, key)`` gives the numbered steps as plain sentences, for the list
beside the drawing; ``mermaid(arch, key)`` gives the same path as a Mermaid
``flowchart LR``, for the Markdown export.

``capacity_svg(rows)`` draws phase 7's load against capacity: a bar per component with
its full name (wrapped, and in a ``<title>``), an axis "load as % of capacity" with ticks,
and the 100% line named "capacity".
"""

from __future__ import annotations

import math
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

PER_ROW = 4  # boxes per band before the drawing wraps

# Geometry, in SVG user units (1 unit = 1 px at the natural size).
MARGIN = 12
BOX_W = 148
BOX_H = 76
GAP = 60  # between columns: room for the arrow's number
ROW_GAP = 56  # between the main row and the miss row of one band
ARC_ROOM = 44  # above the main row and below the miss row: room for arcs over boxes
BAND_GAP = 56  # between bands: room for the arrows that cross to the next band
TITLE_H = 30
BOX_PAD = 12  # horizontal padding inside a box, both sides together
LEGEND_GAP = 20  # between the boxes and the written steps
MIN_LEGEND_W = 380  # the written steps get at least this width

FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"
TITLE_SIZE = 15
NAME_SIZE = 14
SUB_SIZE = 12
LABEL_SIZE = 12
LINE = 16  # line height of 12-unit text
BOLD = 1.08  # bold text is about this much wider

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
    first_step: int | None = None  # the step that first reaches it; None for the client
    branch: str = ""
    tooltip: str = ""
    detail: str = ""  # type and count in full, for Mermaid
    note: str = ""  # "(not declared)" or "(not named)" for an undeclared one


@dataclass
class _Step:
    """One step of the path: an arrow from ``src`` to ``dst`` (node indexes)."""

    number: int  # from 1
    src: int
    dst: int
    action: str
    tags: list[str] = field(default_factory=list)


@dataclass
class _Edge:
    """The arrow between two boxes, shared by every step that goes from one to the other."""

    src: int
    dst: int
    steps: list[_Step] = field(default_factory=list)

    @property
    def dashed(self) -> bool:
        return all("miss" in s.tags or "async" in s.tags for s in self.steps)

    @property
    def tags(self) -> list[str]:
        return list(dict.fromkeys(t for s in self.steps for t in s.tags))


def _steps(arch: Architecture | None, key: str) -> tuple[Step, ...]:
    if arch is None:
        return ()
    return tuple(arch.path(key) or ())


def _describe_component(arch: Architecture, step: Step, index: int) -> tuple[str, _Node]:
    """The identity of the box a step reaches (one box per identity), and that box."""
    written = clean(step.component)
    component = arch.component(step.component) if written else None
    if component is None:
        name = written or "(no component)"
        note = "(not declared)" if written else "(not named)"
        node = _Node(0, 0, name, [note], False, UNDECLARED_COLOURS, None, "", f"{name} {note}")
        node.detail, node.note = note, note
        # Steps naming the same unknown name meet in one box; unnamed ones stay apart.
        ident = f"undeclared:{name.lower()}" if written else f"unnamed:{index}"
        return ident, node
    name = clean(component.label)
    type_label = COMPONENT_TYPES.get(component.type) or clean(component.type) or "(no type)"
    count = ""
    if component.count is not None:
        count = f"×{component.count}"
    elif clean(component.count_text):
        count = f"×{clean(component.count_text)}"
    colours = TYPE_COLOURS.get(component.type, UNKNOWN_COLOURS)
    tooltip = " · ".join(p for p in (name, type_label, count) if p)
    inner = BOX_W - BOX_PAD
    one_line = f"{type_label} · {count}" if count else type_label
    if _width(one_line, SUB_SIZE) <= inner:
        sub = [one_line]
    else:
        sub = [_fit(type_label, SUB_SIZE, inner)] + (
            [_fit(count, SUB_SIZE, inner)] if count else []
        )
    node = _Node(0, 0, name, sub, True, colours, None, "", tooltip, one_line)
    return f"declared:{component.field}", node


def _layout(arch: Architecture, steps: Sequence[Step]) -> tuple[list[_Node], list[_Step]]:
    nodes = [_Node(0, 0, "Client", [], True, CLIENT_COLOURS, tooltip="Client")]
    placed: dict[str, int] = {}
    out: list[_Step] = []
    occupied = {(0, 0)}
    cursor = 0  # rightmost global column in use
    prev, prev_branch = 0, ""  # the box the last step reached, and that step's branch
    branch_point = 0  # where the last plain step ended: where hit and miss branches start
    for i, step in enumerate(steps):
        branch = step.branch if step.branch in ("hit", "miss") else ""
        if branch == "miss":
            anchor = branch_point if prev_branch == "hit" else prev
        elif branch == "hit":
            anchor = branch_point if prev_branch == "miss" else prev
        else:
            anchor = prev
        ident, node = _describe_component(arch, step, i)
        target = placed.get(ident)
        if target is None:
            a = nodes[anchor]
            if branch == "miss":
                spot = (a.g, 1) if a.lane == 0 else (a.g + 1, 1)
                if spot in occupied:
                    spot = (cursor + 1, 1)
            else:
                spot = (cursor + 1, 0)
            node.g, node.lane, node.first_step, node.branch = *spot, i, branch
            nodes.append(node)
            target = placed[ident] = len(nodes) - 1
            occupied.add(spot)
            cursor = max(cursor, spot[0])
        tags = [branch] if branch else []
        if step.is_async:
            tags.append("async")
        out.append(_Step(i + 1, anchor, target, clean(step.action), tags))
        prev, prev_branch = target, branch
        if not branch:
            branch_point = target
    return nodes, out


def _edges(steps: Sequence[_Step]) -> list[_Edge]:
    """Steps grouped by the pair of boxes they join, in the order each pair first comes."""
    edges: dict[tuple[int, int], _Edge] = {}
    for s in steps:
        edges.setdefault((s.src, s.dst), _Edge(s.src, s.dst)).steps.append(s)
    return list(edges.values())


def _step_words(node: _Node, step: _Step) -> str:
    notes = list(step.tags)
    if not node.declared:
        notes.append(node.note.strip("()"))
    if step.action:
        notes.append(step.action)
    return f"{node.name} ({', '.join(notes)})" if notes else node.name


def describe(arch: Architecture, key: str) -> str:
    """The path in words: "Client → lb (forward) → app → db (insert)"."""
    steps = _steps(arch, key)
    if not steps:
        return "No steps yet."
    nodes, out = _layout(arch, steps)
    return " → ".join(["Client", *(_step_words(nodes[s.dst], s) for s in out)])


_TAG_WORDS = {"hit": "on a cache hit", "miss": "on a cache miss", "async": "asynchronously"}


def _sentence(nodes: list[_Node], step: _Step) -> str:
    """One step in full: "Links table, on a cache miss: get the link by code"."""
    node = nodes[step.dst]
    who = node.name + (f" {node.note}" if node.note else "")
    how = ", ".join(_TAG_WORDS[t] for t in step.tags)
    head = f"{who}, {how}" if how else who
    return f"{head}: {step.action}" if step.action else head


def steps_in_words(arch: Architecture | None, key: str) -> list[str]:
    """The path's steps as sentences, in order (the page numbers them)."""
    steps = _steps(arch, key)
    if not steps or arch is None:
        return []
    nodes, out = _layout(arch, steps)
    return [_sentence(nodes, s) for s in out]


# --- drawing ----------------------------------------------------------------------------


def _is_arc(edge: _Edge, nodes: list[_Node]) -> bool:
    """An arrow along one row that would cross the boxes between its ends: drawn as an
    arc over the main row (under the miss row)."""
    a, b = nodes[edge.src], nodes[edge.dst]
    return a.g // PER_ROW == b.g // PER_ROW and a.lane == b.lane and abs(a.g - b.g) > 1


class _Geometry:
    def __init__(self, nodes: list[_Node], edges: list[_Edge], legend_lines: int, steps: int):
        self.bands = max(n.g for n in nodes) // PER_ROW + 1
        lanes = {(n.g // PER_ROW, n.lane) for n in nodes}
        # Rows with an arc or a loop over (under) them get room for it.
        roomy = {
            (nodes[e.src].g // PER_ROW, nodes[e.src].lane)
            for e in edges
            if e.src == e.dst or _is_arc(e, nodes)
        }
        self.lane_y: dict[tuple[int, int], float] = {}
        y: float = TITLE_H
        for band in range(self.bands):
            has_main, has_miss = (band, 0) in lanes, (band, 1) in lanes
            if has_main and (band, 0) in roomy:
                y += ARC_ROOM
            self.lane_y[(band, 0)] = y
            if has_main:
                y += BOX_H + (ROW_GAP if has_miss else 0)
            self.lane_y[(band, 1)] = y
            if has_miss:
                y += BOX_H + (ARC_ROOM if (band, 1) in roomy else 0)
            y += BAND_GAP
        self.graph_bottom = y - BAND_GAP
        cols = min(PER_ROW, max(n.g for n in nodes) + 1)
        self.graph_width = 2 * MARGIN + cols * BOX_W + (cols - 1) * GAP
        self.width = max(self.graph_width, MIN_LEGEND_W)
        self.legend_top = self.graph_bottom + LEGEND_GAP
        self.height = self.legend_top + legend_lines * LINE + steps * 4 + MARGIN

    def box(self, node: _Node) -> tuple[float, float]:
        band, col = divmod(node.g, PER_ROW)
        return MARGIN + col * (BOX_W + GAP), self.lane_y[(band, node.lane)]

    def centre(self, node: _Node) -> tuple[float, float]:
        x, y = self.box(node)
        return x + BOX_W / 2, y + BOX_H / 2


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
) -> str:
    extra = ' font-weight="bold"' if weight else ""
    extra += ' font-style="italic"' if italic else ""
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" fill="{fill}" '
        f'text-anchor="{anchor}"{extra}>{_t(content)}</text>'
    )


def _node_svg(node: _Node, geo: _Geometry) -> str:
    x, y = geo.box(node)
    fill, stroke = node.colours
    dash = ' stroke-dasharray="6 4"' if not node.declared else ""
    kind = "client" if node.first_step is None else "step"
    attrs = f'class="node" data-kind="{kind}"'
    if node.first_step is not None:
        attrs += f' data-step="{node.first_step}" data-branch="{node.branch or "main"}"'
        attrs += f' data-declared="{"true" if node.declared else "false"}"'
    parts = [
        f"<g {attrs}>",
        f"<title>{_t(node.tooltip)}</title>",
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{BOX_W}" height="{BOX_H}" rx="8" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{1.5 if node.declared else 2}"{dash}/>',
    ]
    cx = x + BOX_W / 2
    room = BOX_W - BOX_PAD
    names = _wrap(node.name, NAME_SIZE * BOLD, room, 2)
    sub_fill = RED if not node.declared else SUBTLE
    lines = [(line, NAME_SIZE, INK, "bold") for line in names]
    lines += [(line, SUB_SIZE, sub_fill, "") for line in node.sub]
    heights = [size + 4 for _, size, _, _ in lines]
    top = y + (BOX_H - sum(heights)) / 2
    for (line, size, ink, weight), h in zip(lines, heights, strict=True):
        parts.append(_text(cx, top + h - 4, line, size=size, fill=ink, weight=weight))
        top += h
    parts.append("</g>")
    return "".join(parts)


Point = tuple[float, float]


def _arrowhead(tip: Point, towards: Point, colour: str) -> str:
    """A filled triangle with its tip at ``tip``, pointing away from ``towards``."""
    x, y = tip
    dx, dy = x - towards[0], y - towards[1]
    norm = math.hypot(dx, dy) or 1.0
    dx, dy = dx / norm, dy / norm
    length, half = 9, 5
    bx, by = x - dx * length, y - dy * length
    px, py = -dy * half, dx * half
    pts = [(x, y), (bx + px, by + py), (bx - px, by - py)]
    return f'<polygon points="{" ".join(f"{_n(a)},{_n(b)}" for a, b in pts)}" fill="{colour}"/>'


def _pts(*points: Point) -> str:
    return " ".join(f"{_n(x)} {_n(y)}" for x, y in points)


def _clip(centre: Point, dx: float, dy: float) -> Point:
    """Where a ray from a box's centre along (dx, dy) leaves the box."""
    cx, cy = centre
    tx = (BOX_W / 2) / abs(dx) if dx else math.inf
    ty = (BOX_H / 2) / abs(dy) if dy else math.inf
    t = min(tx, ty)
    return cx + dx * t, cy + dy * t


def _edge_label(edge: _Edge) -> list[tuple[str, str]]:
    """(line, colour) per step on the arrow: "3", "5 miss", "8 async"."""
    out = []
    for s in edge.steps:
        tag = " · ".join(s.tags)
        out.append((f"{s.number} {tag}".strip(), TAG_INK.get(s.tags[0], EDGE) if s.tags else EDGE))
    return out


def _pill(centre: Point, lines: list[tuple[str, str]]) -> str:
    """The steps' numbers in a white box over the arrow, so no line runs through them."""
    w = max(_width(line, LABEL_SIZE) for line, _ in lines) + 10
    h = len(lines) * LINE + 4
    x, y = centre[0] - w / 2, centre[1] - h / 2
    parts = [
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="4" '
        f'fill="#ffffff" stroke="{EDGE}" stroke-width="0.75"/>'
    ]
    for k, (line, ink) in enumerate(lines):
        parts.append(_text(centre[0], y + 2 + (k + 1) * LINE - 4, line, size=LABEL_SIZE, fill=ink))
    return "".join(parts)


def _edge_svg(
    edge: _Edge, nodes: list[_Node], geo: _Geometry, pairs: set[tuple[int, int]]
) -> tuple[str, str]:
    """The arrow (drawn under the boxes) and its label (drawn over everything)."""
    a, b = nodes[edge.src], nodes[edge.dst]
    lines = _edge_label(edge)
    pill_h = len(lines) * LINE + 4
    ax, ay = geo.box(a)
    if edge.src == edge.dst:  # a step that stays in its box: a loop over (under) it
        up = -1 if a.lane == 0 else 1
        edge_y = ay if up < 0 else ay + BOX_H
        cx = ax + BOX_W / 2
        start, end = (cx - 16, edge_y), (cx + 16, edge_y)
        c1, c2 = (cx - 16, edge_y + up * 34), (cx + 16, edge_y + up * 34)
        d = f"M {_pts(start)} C {_pts(c1, c2, end)}"
        label_at: Point = (cx + 16 + 6 + _width(lines[0][0], LABEL_SIZE) / 2, edge_y + up * 22)
        towards = c2
    elif _is_arc(edge, nodes):
        bx, by = geo.box(b)
        up = -1 if a.lane == 0 else 1
        edge_y = ay if up < 0 else ay + BOX_H
        # Both ways between the same two boxes: the way back arcs further out.
        depth = 18 if edge.src < edge.dst or (edge.dst, edge.src) not in pairs else 38
        start = (ax + BOX_W / 2 + (10 if bx > ax else -10), edge_y)
        end = (bx + BOX_W / 2 + (-10 if bx > ax else 10), edge_y)
        control = ((start[0] + end[0]) / 2, edge_y + up * 2 * depth)
        d = f"M {_pts(start)} Q {_pts(control, end)}"
        label_at = ((start[0] + end[0]) / 2, edge_y + up * depth)
        towards = control
    else:
        (acx, acy), (bcx, bcy) = geo.centre(a), geo.centre(b)
        dx, dy = bcx - acx, bcy - acy
        norm = math.hypot(dx, dy) or 1.0
        ux, uy = dx / norm, dy / norm
        px, py = uy, -ux  # to the left of the way the arrow goes (y grows downwards)
        both = (edge.dst, edge.src) in pairs
        shift = 8 if both else 0
        start = _clip((acx + px * shift, acy + py * shift), ux, uy)
        end = _clip((bcx + px * shift, bcy + py * shift), -ux, -uy)
        d = f"M {_pts(start)} L {_pts(end)}"
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        if both:  # the two labels side by side, each beside its own line
            pill_w = max(_width(line, LABEL_SIZE) for line, _ in lines) + 10
            away = (abs(px) * pill_w + abs(py) * pill_h) / 2 + 2
            mx, my = mx + px * away, my + py * away
        label_at = (mx, my)
        towards = start
    dash = ' stroke-dasharray="6 4"' if edge.dashed else ""
    tags = edge.tags
    attrs = f'class="edge" data-from="{edge.src}" data-to="{edge.dst}"'
    attrs += f' data-steps="{" ".join(str(s.number) for s in edge.steps)}"'
    attrs += f' data-async="{"true" if "async" in tags else "false"}"'
    attrs += f' data-branch="{next((t for t in tags if t != "async"), "main")}"'
    title = "; ".join(f"{s.number}. {_sentence(nodes, s)}" for s in edge.steps)
    line = (
        f"<g {attrs}><title>{_t(title)}</title>"
        f'<path d="{d}" fill="none" stroke="{EDGE}" stroke-width="1.5"{dash}/>'
        + _arrowhead(end, towards, EDGE)
        + "</g>"
    )
    numbers = " ".join(str(s.number) for s in edge.steps)
    label = (
        f'<g class="edge-label" data-steps="{numbers}"><title>{_t(title)}</title>'
        f"{_pill(label_at, lines)}</g>"
    )
    return line, label


def _legend_lines(nodes: list[_Node], steps: list[_Step], width: float) -> list[list[str]]:
    room = width - 2 * MARGIN - 30
    return [_wrap(_sentence(nodes, s), LABEL_SIZE, room, 1000) for s in steps]


def _legend_svg(wrapped: list[list[str]], steps: list[_Step], geo: _Geometry) -> str:
    parts = ['<g class="steps">']
    y = geo.legend_top
    for s, lines in zip(steps, wrapped, strict=True):
        ink = TAG_INK.get(s.tags[0], INK) if s.tags else INK
        parts.append(
            _text(
                MARGIN + 22,
                y + LABEL_SIZE,
                f"{s.number}.",
                size=LABEL_SIZE,
                fill=ink,
                anchor="end",
                weight="bold",
            )
        )
        for k, line in enumerate(lines):
            parts.append(
                _text(MARGIN + 30, y + LABEL_SIZE + k * LINE, line, size=LABEL_SIZE, anchor="start")
            )
        y += len(lines) * LINE + 4
    parts.append("</g>")
    return "".join(parts)


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


def path_svg(arch: Architecture | None, key: str, title: str) -> str:
    """SVG markup for one of the architecture's paths (``"write_path"`` or ``"read_path"``)."""
    title = clean(title) or "Path"
    steps = _steps(arch, key)
    if not steps or arch is None:
        width, height = 240, 64
        return (
            _svg_open(key, title, "No steps yet.", width, height)
            + f'<rect x="1" y="1" width="{width - 2}" height="{height - 2}" rx="8" fill="#fafafa"'
            f' stroke="#9e9e9e" stroke-dasharray="6 4"/>'
            + _text(width / 2, 28, _fit(title, 14, width - 20), size=14, weight="bold")
            + _text(width / 2, 47, "No steps yet", size=SUB_SIZE, fill=SUBTLE)
            + "</svg>"
        )
    nodes, out = _layout(arch, steps)
    edges = _edges(out)
    pairs = {(e.src, e.dst) for e in edges}
    # The legend's width depends on the boxes' and its height on the width: two passes.
    probe = _Geometry(nodes, edges, 0, 0)
    wrapped = _legend_lines(nodes, out, probe.width)
    geo = _Geometry(nodes, edges, sum(len(w) for w in wrapped), len(out))
    desc = " → ".join(["Client", *(_step_words(nodes[s.dst], s) for s in out)])
    drawn = [_edge_svg(e, nodes, geo, pairs) for e in edges]
    return (
        _svg_open(key, title, desc, geo.width, geo.height)
        + _text(
            MARGIN,
            21,
            _fit(title, TITLE_SIZE * BOLD, geo.width - 2 * MARGIN),
            size=TITLE_SIZE,
            anchor="start",
            weight="bold",
        )
        + "".join(line for line, _ in drawn)
        + "".join(_node_svg(n, geo) for n in nodes)
        + "".join(label for _, label in drawn)
        + _legend_svg(wrapped, out, geo)
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
    nodes, out = _layout(arch, steps)
    lines = ["flowchart LR"]
    for k, node in enumerate(nodes):
        label = "<br/>".join(_mm(part) for part in (node.name, node.detail) if part)
        lines.append(f'    n{k}["{label}"]')
    for step in out:  # one arrow per step: Mermaid draws repeated pairs side by side
        arrow = "-.->" if ("miss" in step.tags or "async" in step.tags) else "-->"
        tag = " · ".join(step.tags)
        label = f"{tag}: {step.action}" if tag and step.action else (tag or step.action)
        middle = f'{arrow}|"{_mm(label)}"|' if label else arrow
        lines.append(f"    n{step.src} {middle} n{step.dst}")
    undeclared = [f"n{k}" for k, n in enumerate(nodes) if not n.declared]
    if undeclared:
        lines.append("    classDef undeclared fill:#ffebee,stroke:#c62828,stroke-dasharray:6 4")
        lines.append(f"    class {','.join(undeclared)} undeclared")
    return "\n".join(lines) + "\n"


# -- Load against capacity -------------------------------------------------------------------

BAR_LABEL_W = 140  # the names' column: a name wraps onto up to three lines
BAR_W = 200  # with the names, about 410 units: the width of the findings column
BAR_H = 20
BAR_GAP = 12
BAR_SCALE = 1.5  # the chart shows up to 150% of capacity; beyond, the bar is capped
BAR_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5)
BAR_COLOURS = {"ok": "#2e7d32", "tight": "#f9a825", "over": RED}
AXIS_LABEL = "load as % of capacity"


def capacity_svg(rows: Sequence[Mapping[str, Any]], title: str = "Load against capacity") -> str:
    """A horizontal bar per component: its load as a share of its capacity.

    ``rows`` are the capacity model's component rows ({name, load, capacity, headroom});
    components without a capacity (unbounded) are left out. Names are written in full
    (wrapped; a name longer than three lines ends in "…" and is whole in the row's
    ``<title>``). Under the bars, an axis from 0% to 150% with its ticks and label; a
    dashed line at 100% is named "capacity".
    """
    bars = [r for r in rows if r.get("capacity") and r.get("load") is not None]
    x0 = MARGIN + BAR_LABEL_W
    width = x0 + BAR_W + 56
    top = TITLE_H + 18  # room for the capacity line's name
    names = [_wrap(clean(r["name"]), LABEL_SIZE, BAR_LABEL_W - 10, 3) or [""] for r in bars]
    heights = [max(BAR_H, len(lines) * LINE) + BAR_GAP for lines in names]
    axis_y = top + max(sum(heights), BAR_H + BAR_GAP)
    height = axis_y + 6 + LINE + LINE + 8 + MARGIN
    ident = "capacity-chart"
    summary = (
        "; ".join(
            f"{clean(r['name'])}: {100 * r['load'] / r['capacity']:.0f}% of capacity" for r in bars
        )
        or "No component has a known capacity yet."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="capacity-chart" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width)}" height="{_n(height)}" '
        f'role="img" aria-labelledby="{ident}-title {ident}-desc" font-family="{_a(FONT)}">',
        f'<title id="{ident}-title">{_t(clean(title))}</title>',
        f'<desc id="{ident}-desc">{_t(summary)}</desc>',
        _text(MARGIN, MARGIN + 12, clean(title), size=NAME_SIZE, anchor="start", weight="bold"),
    ]
    y: float = top
    for row, lines, h in zip(bars, names, heights, strict=True):
        share = row["load"] / row["capacity"]
        state = "over" if share > 1 else "tight" if share > 0.7 else "ok"
        length = BAR_W * min(share, BAR_SCALE) / BAR_SCALE
        row_h = h - BAR_GAP
        bar_y = y + (row_h - BAR_H) / 2
        text_top = y + (row_h - len(lines) * LINE) / 2
        parts.append(
            f'<g class="bar"><title>{_t(clean(row["name"]))}: {share:.0%} of capacity</title>'
        )
        parts += [
            _text(MARGIN, text_top + (k + 1) * LINE - 4, line, size=LABEL_SIZE, anchor="start")
            for k, line in enumerate(lines)
        ]
        parts += [
            f'<rect x="{x0}" y="{_n(bar_y)}" width="{BAR_W}" height="{BAR_H}" fill="#eceff1"/>',
            f'<rect x="{x0}" y="{_n(bar_y)}" width="{_n(max(length, 1))}" height="{BAR_H}" '
            f'fill="{BAR_COLOURS[state]}" data-share="{share:.4f}"/>',
            _text(
                x0 + BAR_W + 6, bar_y + BAR_H - 5, f"{share:.0%}", size=LABEL_SIZE, anchor="start"
            ),
            "</g>",
        ]
        y += h
    # The axis: a line under the bars, a tick and a figure every 25%, and its name.
    parts.append(
        f'<g class="axis"><line x1="{x0}" y1="{_n(axis_y)}" x2="{x0 + BAR_W}" y2="{_n(axis_y)}" '
        f'stroke="{SUBTLE}"/>'
    )
    for tick in BAR_TICKS:
        tx = x0 + BAR_W * tick / BAR_SCALE
        parts.append(
            f'<line x1="{_n(tx)}" y1="{_n(axis_y)}" x2="{_n(tx)}" y2="{_n(axis_y + 5)}" '
            f'stroke="{SUBTLE}"/>'
        )
        if round(tick * 100) % 50 == 0:  # a figure every 50%: room for them at 12 units
            parts.append(
                _text(tx, axis_y + 6 + LINE - 2, f"{tick:.0%}", size=LABEL_SIZE, fill=SUBTLE)
            )
    parts.append(
        _text(x0 + BAR_W / 2, axis_y + 6 + 2 * LINE + 2, AXIS_LABEL, size=LABEL_SIZE, fill=SUBTLE)
    )
    parts.append("</g>")
    full = x0 + BAR_W / BAR_SCALE
    parts.append(
        f'<g class="capacity-line"><line x1="{_n(full)}" y1="{top - 4}" x2="{_n(full)}" '
        f'y2="{_n(axis_y)}" stroke="{INK}" stroke-width="1.5" stroke-dasharray="4 3"/>'
        + _text(full, top - 8, "capacity (100%)", size=LABEL_SIZE, weight="bold")
        + "</g>"
    )
    parts.append("</svg>")
    return "".join(parts)
