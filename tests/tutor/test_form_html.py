"""Each phase page's form, fresh and with the sample answers saved, draws the HTML
recorded in tests/tutor/form_html/: the forms are built from the phases' declared
layouts, and a change to a layout that alters the page shows up here.

To record on purpose after a deliberate change: ``WRITE_FORM_HTML=1 pytest`` this file.
"""

import json
import os
import re
from pathlib import Path

import pytest
from django.urls import reverse

from phases.engine.registry import PHASE_NUMBERS
from tests.factories import FIXTURES
from tutor.services import save_phase

ANSWERS = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]
RECORDED = Path(__file__).resolve().parent / "form_html"


def form_html(client, attempt, number: int) -> str:
    """The phase form as the page draws it; the CSRF token, the attempt's id and the key
    of the browser's draft (learner and attempt ids) normalised."""
    page = client.get(reverse("phase", args=[attempt.pk, number])).content.decode()
    start = page.index('<form id="phase-form"')
    html = page[start : page.index("</form>", start) + len("</form>")]
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', html)
    html = html.replace(f"/attempts/{attempt.pk}/", "/attempts/N/")
    draft = f'data-draft-key="tutor-draft:{attempt.learner_id}:{attempt.pk}:'
    return html.replace(draft, 'data-draft-key="tutor-draft:U:N:')


def check(name: str, html: str) -> None:
    path = RECORDED / f"{name}.html"
    if os.environ.get("WRITE_FORM_HTML"):
        path.write_text(html)
    assert html == path.read_text(), f"{name}: the form's HTML changed"


@pytest.mark.parametrize("number", PHASE_NUMBERS)
def test_a_fresh_phase_form_draws_the_recorded_html(alice_client, attempt, number):
    check(f"phase{number}-fresh", form_html(alice_client, attempt, number))


def test_the_sample_answers_draw_the_recorded_forms(alice_client, attempt):
    for number in PHASE_NUMBERS:
        save_phase(attempt, number, ANSWERS[str(number)])
    for number in PHASE_NUMBERS:
        check(f"phase{number}-answered", form_html(alice_client, attempt, number))


def test_a_main_field_the_template_does_not_place_is_drawn_after_its_groups():
    """A field added to a phase's unit needs no template line: what the template did not
    place is drawn at the end, under "More", once."""
    from django.template import Context, Template

    from tutor.forms import forms_for

    form = forms_for(9)().main
    template = Template(
        "{% load tutor %}{% field_row form.revisit_at_10x %}{% remaining_fields form %}"
    )
    html = template.render(Context({"form": form}))
    assert html.count('name="revisit_at_10x"') == 1
    assert html.count('name="why_simple"') == 1
    assert "<legend>More</legend>" in html
    everything = Template(
        "{% load tutor %}{% field_row form.revisit_at_10x %}{% field_row form.why_simple %}"
        "{% remaining_fields form %}"
    ).render(Context({"form": forms_for(9)().main}))
    assert "<legend>More</legend>" not in everything
