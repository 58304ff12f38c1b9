import re

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from phases import architecture, data_model, review
from phases.engine.answers import AnswerShapeError
from phases.knowledge import catalogue, storage
from phases.reading.quantities import format_value
from phases.rendering import export
from phases.rendering.diagram import capacity_svg
from tutor import services
from tutor.markdown import render_markdown

register = template.Library()


@register.filter
def storage_labels(kinds):
    """Storage types as the phase 3 form names them: ``key_value`` is "key-value"."""
    return [data_model.LAYOUT.label("storage", kind, "access_patterns") for kind in kinds]


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


def findings_slot(name: str, findings, oob: bool = False) -> str:
    """The box under a field (or a list of rows) holding the findings that point at it.

    Every field has one, empty or not, so that a save answered over htmx can refill each
    box by its id (``findings-for-<field name>``) without sending the form back.
    """
    return format_html(
        '<div class="field-findings" id="findings-for-{}"{}>{}</div>',
        name,
        mark_safe(' hx-swap-oob="innerHTML"') if oob else "",
        format_html_join(
            "",
            '<p class="field-finding sev-{}"><a href="#finding-{}">{} {}</a> {}</p>',
            (
                (f.severity, f.position, f.severity_label, f.code, _short(f.message))
                for f in findings
            ),
        ),
    )


def _short(message: str, limit: int = 70) -> str:
    """A finding's first words, as the pointer under a field: the whole finding, with its
    arithmetic and fix, is shown once, in the findings column."""
    if len(message) <= limit:
        return message
    cut = message[:limit].rsplit(" ", 1)[0].rstrip(",;:.")
    return f"{cut}…"


def _shown(form):
    """The names of a form's fields a page has drawn so far (``field_row`` adds them)."""
    if not hasattr(form, "_drawn_fields"):
        form._drawn_fields = set()
    return form._drawn_fields


@register.simple_tag(takes_context=True)
def remaining_fields(context, form):
    """Every main field of a phase form that its template did not place: a field added
    to a phase's unit appears on the page (after the template's own groups) without a
    template line of its own."""
    if form is None:
        return ""
    drawn = _shown(form)
    rows = [field_row(context, field) for field in form if field.name not in drawn]
    if not rows:
        return ""
    return format_html(
        '<fieldset class="group">\n  <legend>More</legend>\n  {}\n</fieldset>',
        mark_safe("\n  ".join(rows)),
    )


@register.simple_tag(takes_context=True)
def list_findings(context, prefix):
    """The findings box of a list of rows (a formset), by its prefix."""
    return findings_slot(prefix, (context.get("findings_by_field") or {}).get(prefix, ()))


@register.simple_tag(takes_context=True)
def field_row(context, field):
    """One phase-form field: label, widget, help text, errors, then its findings box.

    Written in Python rather than as an included template: a phase form has dozens of
    fields, and an include per field was most of the time a phase page took to render.
    """
    _shown(field.form).add(field.name)
    errors = field.errors
    help_text = field.help_text
    return format_html(
        '<div class="field{}">\n  <label for="{}">{}</label>\n  {}\n  {}{}{}\n</div>',
        " has-error" if errors else "",
        field.id_for_label,
        field.label,
        str(field),
        format_html('<p class="help" id="{}_helptext">{}</p>', field.auto_id, help_text)
        if help_text
        else "",
        format_html_join(
            "",
            '<p class="error" role="alert">{}: {}</p>',
            ((field.label, error) for error in errors),
        ),
        findings_slot(
            field.html_name, (context.get("findings_by_field") or {}).get(field.html_name, ())
        ),
    )


@register.simple_tag
def findings_slots(forms, findings_by_field):
    """Every field's findings box of a phase form, each marked to replace its twin on the
    page (htmx out-of-band): what a save answered over htmx sends instead of the form."""
    names = forms.html_names()
    return mark_safe(
        "\n".join(findings_slot(name, findings_by_field.get(name, ()), oob=True) for name in names)
    )


@register.simple_tag
def storage_table():
    """The storage decision table (phases/knowledge/storage.py) as rows for templates."""
    return storage.as_rows()


@register.simple_tag
def technologies():
    """The technology catalogue (phases/knowledge/catalogue.py), grouped by category."""
    return catalogue.as_rows()


@register.simple_tag
def path_figures(computed):
    """Phase 5's two drawings, each with its path key, title and steps in words: from the
    saved answer's figures (``computed``), or empty paths before anything is saved."""
    figures = computed if computed and "write_svg" in computed else architecture.figures(None)
    drawn = (
        ("write_path", "Write path", figures["write_svg"], figures["write_steps"]),
        ("read_path", "Read path", figures["read_svg"], figures["read_steps"]),
    )
    return [
        # The SVG is built from escaped parts (phases.rendering.diagram).
        {"key": key, "title": title, "svg": mark_safe(svg), "steps": steps}  # noqa: S308
        for key, title, svg, steps in drawn
    ]


@register.filter
def capacity_chart(rows):
    """The capacity model's rows as an SVG bar chart (escaped inside phases.rendering.diagram)."""
    return mark_safe(capacity_svg(rows or []))  # noqa: S308 - built from escaped parts


# How python-markdown renders the export's ```mermaid blocks (one per path, write first).
_MERMAID_BLOCK = re.compile(r'<pre><code class="language-mermaid">.*?</code></pre>', re.S)


def _drawn(html: str, design, figure: str = '<figure class="diagram">', ids: str = "") -> str:
    """Rendered export Markdown with phase 5's Mermaid blocks replaced by its SVG paths
    (built from escaped text), as the page draws them, each inside ``figure``. ``ids``
    goes before the diagrams' ids, for a page that draws two designs' paths."""
    try:
        figures = architecture.computed(design)
    except AnswerShapeError:
        return html
    drawings = iter(_prefixed(svg, ids) for svg in (figures["write_svg"], figures["read_svg"]))

    def draw(match):
        svg = next(drawings, None)
        return f"{figure}{svg}</figure>" if svg else match.group(0)

    return mark_safe(_MERMAID_BLOCK.sub(draw, html))  # noqa: S308 - sanitised, and our SVG


def _prefixed(svg: str, ids: str) -> str:
    """The SVG with ``ids`` put before each of its ids and the references to them."""
    if not ids:
        return svg
    svg = svg.replace(' id="', f' id="{ids}')
    return re.sub(
        r'aria-labelledby="([^"]*)"',
        lambda m: 'aria-labelledby="' + " ".join(ids + i for i in m.group(1).split()) + '"',
        svg,
    )


@register.simple_tag
def design_document(attempt, phase=None):
    """The whole design as one document: the Markdown export, rendered and sanitised.
    ``phase``: the phase whose page shows it, whose findings the page lists already.

    On the page the two paths are drawn (phase 5's SVGs, built from escaped text) where
    the downloaded file has their Mermaid source.
    """
    html = render_markdown(services.export_markdown(attempt, findings_elsewhere=phase))
    return _drawn(html, services.design_for(attempt))


@register.simple_tag
def phase_answer(design, number, ids=""):
    """One phase's answers, read-only, drawn as the design document draws them (the same
    export section, rendered and sanitised, phase 5's paths as SVG); the comparison with
    the reference design shows both sides through it. ``ids``: a prefix for the
    diagrams' ids, so that two designs' paths can share a page."""
    try:
        text = export.answer_markdown(design, number)
    except AnswerShapeError:
        return format_html(
            '<p class="empty">{}</p>',
            "This answer was saved in an older form and cannot be shown here.",
        )
    if not text:
        return format_html('<p class="empty">{}</p>', "Not answered.")
    # In a column half the page wide, a table or a diagram keeps its size (its text stays
    # legible) and scrolls sideways inside a box the keyboard can reach and scroll.
    html = _TABLE.sub(_SCROLLING_TABLE, render_markdown(text))
    if number == architecture.UNIT.number:
        html = _drawn(html, design, _SCROLLING_FIGURE, ids)
    return mark_safe(html)  # noqa: S308 - sanitised, our own wrappers, and our SVG


_TABLE = re.compile(r"<table>(.*?)</table>", re.S)
_SCROLLING_TABLE = (
    r'<div class="scroll-box" tabindex="0" role="region" aria-label="Table">'
    r"<table>\1</table></div>"
)
_SCROLLING_FIGURE = '<figure class="diagram scroll-box" tabindex="0">'


@register.filter
def checklist_pointers(where):
    """A checklist item's shortfalls, each finding named once by its code
    (``phases.review.pointers``)."""
    return review.pointers(where or [])
