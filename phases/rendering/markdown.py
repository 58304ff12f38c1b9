"""The pieces of the Markdown export: learner text made inert, tables, figures, field lines.

Each phase module writes its own section of the export (``export_section(design)``, named
in its ``UNIT``) with these; ``phases/rendering/export.py`` puts the sections together with each
phase's findings. Nothing here imports a phase module, so any phase can use it.

Safety: learner text never reaches the output as HTML or Markdown syntax. ``&``, ``<``
and ``>`` become entities, Markdown punctuation is backslash-escaped, and table cells keep
one line and escape ``|``.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from phases.reading import units
from phases.reading.quantities import format_value
from phases.rendering.diagram import clean

if TYPE_CHECKING:
    from phases.capacity import CapacityModel, NoModel
    from phases.engine.design import Design

ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Markdown punctuation that could start emphasis, code, links, images or strike-through.
_PUNCTUATION = set("\\`*_[]#~|")
_BULLET = re.compile(r"^(\s*)([-=])")
_NUMBERED = re.compile(r"^(\s*\d+)([.)])")


def _char(c: str) -> str:
    if c in ENTITIES:
        return ENTITIES[c]
    if c in _PUNCTUATION:
        return "\\" + c
    return c


def inline(text: object) -> str:
    """Learner text for one line of Markdown (a table cell, a list item): inert, one line."""
    text = clean(text)  # XML-legal characters, whitespace collapsed to one space
    return "".join(_char(c) for c in text)


def cell(text: object) -> str:
    """A table cell: inline text, or an em dash when empty (an empty cell reads as a gap)."""
    out = inline(text)
    return out or "—"


def block(text: object) -> str:
    """Free learner text as paragraphs: line breaks kept, nothing interpreted."""
    raw = "" if text is None else str(text)
    paragraphs = []
    for para in re.split(r"\n\s*\n", raw.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [inline(line) for line in para.split("\n")]
        lines = [_NUMBERED.sub(r"\1\\\2", _BULLET.sub(r"\1\\\2", ln)) for ln in lines if ln]
        if lines:
            paragraphs.append("  \n".join(lines))
    return "\n\n".join(paragraphs)


def code(text: object) -> str:
    """Text for inside a one-backtick code span: no backticks, one line."""
    return clean(text).replace("`", "'")


def table(headers: list[str], rows: list[list[str]], empty: str | None = None) -> str:
    """A GFM table; ``rows`` are already escaped cells. With no rows, ``empty`` instead
    (a sentence in italics) when given."""
    if not rows and empty is not None:
        return empty
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        out.append("| " + " | ".join(row) + " |")
    return "\n".join(out)


def yes(flag: bool) -> str:
    return "yes" if flag else "no"


def num(value: object) -> str:
    """A figure from a computed model, printed the same way every time."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return yes(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return units.TOO_LARGE if value > 0 else "—"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}"
    return cell(value)


def plain(value: object) -> str:
    """A number as ``num`` prints it; anything else as its text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return num(value)
    return "" if value is None else str(value)


def figure(value: float | None, kind: str) -> str:
    """A computed figure in its unit (``format_value``), or plainly if it has none."""
    if value is None:
        return "—"
    try:
        return inline(format_value(value, kind))
    except Exception:  # noqa: BLE001 - an odd figure is printed plainly
        return num(value)


def field_line(label: str, value: object) -> str:
    return f"- **{label}:** {cell(value)}"


def capacity_model(design: Design) -> CapacityModel | NoModel:
    """Phase 7's capacity model, or ``{}`` when it cannot be worked out yet."""
    try:
        return design.capacity
    except Exception:  # noqa: BLE001 - the capacity model may not exist yet
        return {}
