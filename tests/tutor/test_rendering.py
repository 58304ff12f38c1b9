"""The phase forms' HTML: the fast widget renderer draws what Django's own would, and
a save answered over htmx keeps the form's state straight."""

import json
import re

import pytest
from django.urls import reverse

from phases.engine.registry import PHASE_NUMBERS
from tests.factories import FIXTURES
from tutor.forms import forms_for
from tutor.services import save_phase

ANSWERS = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]
REQUIREMENTS = tuple(row["text"] for row in ANSWERS["1"]["functional"])


def drawn_widgets(number: int) -> list[str]:
    forms = forms_for(number)(document=ANSWERS[str(number)], requirement_choices=REQUIREMENTS)
    every_form = [forms.main] + [f for fs in forms.formsets.values() for f in fs.forms]
    # Only whitespace (blank lines between <option>s), which HTML ignores, and the spelling
    # of an escaped apostrophe differ.
    return [
        re.sub(r">\s+<", "><", re.sub(r"\s+", " ", str(field))).replace("&#x27;", "&#39;")
        for form in every_form
        for field in form
    ]


@pytest.mark.parametrize("number", PHASE_NUMBERS)
def test_the_fast_renderer_draws_the_same_widgets_as_djangos_own(number, settings):
    assert settings.FORM_RENDERER == "tutor.renderers.FastWidgets"
    fast = drawn_widgets(number)
    assert len(fast) > 5 and all(html.startswith("<") for html in fast)
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
    assert drawn_widgets(number) == fast


def test_widgets_drawn_in_python_match_the_jinja2_templates_to_the_character():
    """Escaping, bare and left-out attributes, empty values, option groups: what
    tutor/renderers.py writes in Python is what the Jinja2 template it replaces writes."""
    from django import forms
    from django.forms.renderers import BaseRenderer
    from django.utils.safestring import mark_safe

    from tutor.renderers import IN_PYTHON, FastWidgets

    odd = {"flag": True, "off": False, "rows": 3, "none": None, "quote": "x\"<&'"}
    choices = [("", "---"), ('a"', "A<"), ("Group", [("1", "one"), (2, "two")]), (3, "three")]
    cases = [
        (forms.TextInput(attrs=odd), "v\"<>&'"),
        (forms.TextInput(), None),
        (forms.TextInput(), ""),
        (forms.NumberInput(), 0),
        (forms.HiddenInput(), mark_safe("<b>")),
        (forms.Textarea(), "  leading\n<x>"),
        (forms.Textarea(), None),
        (forms.Select(choices=choices), "1"),
        (forms.Select(choices=[]), None),
    ]
    renderer = FastWidgets()
    for widget, value in cases:
        assert widget.template_name in IN_PYTHON
        context = widget.get_context('na"me', value, {"id": "id_x", "required": True})
        jinja2 = BaseRenderer.render(renderer, widget.template_name, context)
        assert renderer.render(widget.template_name, context) == jinja2


def test_the_review_page_draws_both_paths_where_the_file_has_mermaid(alice_client, attempt):
    for number in (1, 5):
        save_phase(attempt, number, ANSWERS[str(number)])
    page = alice_client.get(reverse("phase", args=[attempt.pk, 9])).content.decode()
    document = page[page.index('class="design-document"') :]
    assert document.count('<figure class="diagram"><svg') == 2
    assert "language-mermaid" not in document
    assert "Write path" in document and "Read path" in document
    exported = alice_client.get(reverse("export", args=[attempt.pk])).content.decode()
    assert exported.count("```mermaid") == 2  # the file keeps the source
