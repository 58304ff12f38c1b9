from django import template
from django.utils.safestring import mark_safe

from phases.quantities import format_value
from tutor.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text):
    """Markdown rendered and sanitised (see tutor/markdown.py)."""
    return render_markdown(text)


@register.filter
def get(mapping, key):
    """``mapping|get:key`` for dictionaries whose keys are not identifiers."""
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def qty(value, kind):
    """A base-unit number written for people: ``1157.4|qty:"rate"`` → ``1,157/s``."""
    if value is None or value == "":
        return "—"
    return format_value(float(value), kind)


@register.filter
def times(value):
    """A ratio as a multiplier: 0.5 → '1/2×', 3 → '3×'."""
    if value in (None, ""):
        return "—"
    value = float(value)
    if value >= 1:
        return f"{value:,.3g}×"
    if value >= 0.1:
        return f"{value:.2g}×"
    return f"1/{1 / value:,.3g}×" if value > 0 else "0×"


@register.simple_tag
def storage_table():
    """The storage decision table (phases/storage.py) as rows for templates."""
    from phases import storage

    return storage.as_rows()


@register.simple_tag
def technologies():
    """The technology catalogue (phases/catalogue.py), grouped by category."""
    from phases import catalogue

    return catalogue.as_rows()


@register.filter
def capacity_chart(rows):
    """The capacity model's rows as an SVG bar chart (escaped inside phases/diagram.py)."""
    from phases.diagram import capacity_svg

    return mark_safe(capacity_svg(rows or []))  # noqa: S308 - built from escaped parts


@register.simple_tag
def design_document(attempt):
    """The whole design as one document: the Markdown export, rendered and sanitised."""
    from tutor import services

    return render_markdown(services.export_markdown(attempt))
