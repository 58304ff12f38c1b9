"""Phase 5's drawings while the learner types (htmx posts the unsaved form) and full size."""

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from tests.tutor.helpers import phase_post
from tests.tutor.test_phase56_views import ARCHITECTURE
from tutor.forms import forms_for
from tutor.models import PhaseAnswer
from tutor.services import finish_attempt, save_phase

SVG = "{http://www.w3.org/2000/svg}"


def live(attempt):
    return reverse("phase_diagram", args=[attempt.pk])


def full_size(attempt, key):
    return reverse("phase_diagram_svg", args=[attempt.pk, key])


def with_new_step(document):
    """The architecture with a component and a read step the saved answer does not have."""
    queue = {"name": "click queue", "type": "queue", "count": "1", "why": "w", "without": "x"}
    step = {"component": "click queue", "action": "count the click", "branch": "", "async": True}
    return {
        **document,
        "components": [*document["components"], {**queue, "stateful": False}],
        "read_path": [*document["read_path"], step],
    }


def test_the_unsaved_form_is_drawn_and_nothing_is_stored(alice_client, attempt):
    save_phase(attempt, 5, ARCHITECTURE)
    before = list(PhaseAnswer.objects.values_list("phase", "revision", "data"))
    data = phase_post(forms_for(5), with_new_step(ARCHITECTURE), base_revision=1)
    response = alice_client.post(live(attempt), data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    # Only the inside of the drawings' section (htmx swaps it into the section, which
    # stays): no page, no section, no form around it, and the new step drawn in it.
    assert html.lstrip().startswith('<h2 id="path-diagrams-heading"')
    assert "<html" not in html and "<section" not in html and "<form" not in html
    assert html.count("<svg") == 2
    assert ">click queue<" in html and "count the click" in html
    assert "<li>click queue, asynchronously: count the click</li>" in html
    assert list(PhaseAnswer.objects.values_list("phase", "revision", "data")) == before
    assert (
        not PhaseAnswer.objects.get(attempt=attempt, phase=5)
        .findings.filter(message__icontains="click queue")
        .exists()
    )  # no rule ran on the unsaved text


@pytest.mark.parametrize(
    "garbage",
    [
        {},
        {"components-TOTAL_FORMS": "abc", "read_path-TOTAL_FORMS": "-5"},
        {"components-TOTAL_FORMS": "1", "components-0-count": "two", "components-0-name": "x"},
        {"read_path-TOTAL_FORMS": "1", "read_path-0-branch": "sideways", "version": "zz"},
        {"write_path-TOTAL_FORMS": "99999", "write_path-0-component": "\x00<script>"},
    ],
)
def test_garbage_is_drawn_or_refused_never_a_server_error(alice_client, attempt, garbage):
    response = alice_client.post(live(attempt), garbage)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert "<script>" not in response.content.decode()


def test_a_count_being_typed_does_not_stop_the_drawing(alice_client, attempt):
    document = {**ARCHITECTURE, "components": [{**ARCHITECTURE["components"][0], "count": "tw"}]}
    response = alice_client.post(live(attempt), phase_post(forms_for(5), document))
    assert response.status_code == 200
    assert ">lb<" in response.content.decode()


def test_a_finished_attempt_is_not_redrawn(alice_client, attempt):
    save_phase(attempt, 5, ARCHITECTURE)
    finish_attempt(attempt)
    response = alice_client.post(live(attempt), phase_post(forms_for(5), ARCHITECTURE))
    assert response.status_code == 409
    page = alice_client.get(reverse("phase", args=[attempt.pk, 5])).content.decode()
    assert 'id="path-diagrams"' in page and "hx-post" not in page.split('id="path-diagrams"')[1]


def test_the_live_drawing_needs_the_csrf_token(alice, attempt):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(live(attempt), phase_post(forms_for(5), ARCHITECTURE))
    assert response.status_code == 403


def test_others_get_404(client, attempt, bob, charlie):
    save_phase(attempt, 5, ARCHITECTURE)
    for who in (bob, charlie):
        client.force_login(who)
        assert client.post(live(attempt), phase_post(forms_for(5), ARCHITECTURE)).status_code == 404
        assert client.get(full_size(attempt, "read_path")).status_code == 404


def test_full_size_serves_the_saved_drawing_alone(alice_client, attempt):
    save_phase(attempt, 5, ARCHITECTURE)
    response = alice_client.get(full_size(attempt, "read_path"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{SVG}svg" and root.find(f"{SVG}title").text == "Read path"
    assert alice_client.get(full_size(attempt, "nonsense")).status_code == 404
    assert alice_client.post(full_size(attempt, "read_path"), {}).status_code == 404


def test_the_phase_page_draws_under_the_form_with_the_steps_in_words(alice_client, attempt):
    save_phase(attempt, 5, ARCHITECTURE)
    html = alice_client.get(reverse("phase", args=[attempt.pk, 5])).content.decode()
    form_end, drawings = html.index("</form>"), html.index('id="path-diagrams"')
    findings = html.index('id="findings-column"')
    assert form_end < drawings < findings  # under the form, not in the findings column
    assert f'hx-post="{live(attempt)}"' in html
    assert 'hx-trigger="input delay:600ms from:#phase-form"' in html
    # It waits behind a save (whose disabled fields a request would not carry).
    assert 'hx-swap="innerHTML" hx-sync="#phase-form:queue last"' in html
    assert full_size(attempt, "write_path") in html and full_size(attempt, "read_path") in html
    assert "<li>db, on a cache miss: select by code</li>" in html
    assert html.count("<svg") == 2  # each drawing once on the page
