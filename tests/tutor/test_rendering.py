"""The phase forms' HTML: the fast widget renderer draws what Django's own would, and
a save answered over htmx keeps the form's state straight."""

import json
import re

import pytest

from tests.factories import FIXTURES
from tutor.forms import PHASE_FORMS

ANSWERS = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]
REQUIREMENTS = tuple(row["text"] for row in ANSWERS["1"]["functional"])


def drawn_widgets(number: int) -> list[str]:
    forms = PHASE_FORMS[number](document=ANSWERS[str(number)], requirement_choices=REQUIREMENTS)
    every_form = [forms.main] + [f for fs in forms.formsets.values() for f in fs.forms]
    # Only whitespace (blank lines between <option>s), which HTML ignores, and the spelling
    # of an escaped apostrophe differ.
    return [
        re.sub(r">\s+<", "><", re.sub(r"\s+", " ", str(field))).replace("&#x27;", "&#39;")
        for form in every_form
        for field in form
    ]


@pytest.mark.parametrize("number", sorted(PHASE_FORMS))
def test_the_fast_renderer_draws_the_same_widgets_as_djangos_own(number, settings):
    assert settings.FORM_RENDERER == "tutor.renderers.FastWidgets"
    fast = drawn_widgets(number)
    assert len(fast) > 5 and all(html.startswith("<") for html in fast)
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
    assert drawn_widgets(number) == fast
