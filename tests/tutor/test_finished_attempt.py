"""A finished attempt stays finished, and finishing asks first.

Its phase pages say it is finished, offer a new attempt, and show the answers read-only:
no Save button, no row buttons, fields disabled, no draft kept in the browser. Finishing
needs a ticked box (it works without JavaScript); without it nothing changes.
"""

import json
import re

import pytest
from django.urls import reverse

from phases.engine.registry import PHASE_NUMBERS
from tests.factories import FIXTURES
from tutor.models import Attempt, PhaseAnswer
from tutor.services import save_phase

EXAMPLE = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]


def page(client, attempt, number: int) -> str:
    response = client.get(reverse("phase", args=[attempt.pk, number]))
    assert response.status_code == 200
    return response.content.decode()


def buttons(html: str) -> list[str]:
    return re.findall(r"<button\b[^>]*>", html)


def test_an_attempt_in_progress_has_save_and_row_buttons(alice_client, attempt):
    """The other side of the read-only checks below: the same page, still editable."""
    save_phase(attempt, 1, EXAMPLE["1"])
    html = page(alice_client, attempt, 1)
    assert 'id="save-phase"' in html
    assert 'name="row_action"' in html
    assert "data-draft-key=" in re.search(r'<form id="phase-form"[^>]*>', html).group(0)
    assert "This attempt is finished" not in html


@pytest.mark.parametrize("number", PHASE_NUMBERS)
def test_a_finished_attempts_phase_page_is_read_only(alice_client, attempt, number):
    save_phase(attempt, number, EXAMPLE[str(number)])
    page(alice_client, attempt, number)  # drawn once before finishing: the fragment cache
    attempt.finish()
    html = page(alice_client, attempt, number)
    assert "This attempt is finished" in html
    assert "can no longer change" in html
    assert 'id="save-phase"' not in html and "Save and check</button>" not in html
    assert 'name="row_action"' not in html
    form_tag = re.search(r'<form id="phase-form"[^>]*>', html).group(0)
    assert "data-draft-key=" not in form_tag and "hx-post=" not in form_tag
    assert re.search(r'<fieldset class="form-body read-only"[^>]* disabled', html)
    start = reverse("start_attempt", args=["foundations", "url-shortener"])
    assert f'action="{start}"' in html
    # The only buttons left on the page: starting anew, disputes, logging out.
    for button in buttons(html):
        assert "row_action" not in button and "save" not in button.lower()


def test_row_buttons_posted_to_a_finished_attempt_are_refused(alice_client, attempt):
    save_phase(attempt, 1, EXAMPLE["1"])
    attempt.finish()
    url = reverse("phase", args=[attempt.pk, 1])
    response = alice_client.post(url, {"row_action": "add:functional", "base_revision": "1"})
    assert response.status_code == 409
    assert "can no longer change" in response.content.decode()
    assert PhaseAnswer.objects.get(attempt=attempt, phase=1).revision == 1


def test_a_finished_attempt_offers_a_new_one_and_then_leads_to_it(alice_client, alice, attempt):
    attempt.finish()
    start = reverse("start_attempt", args=["foundations", "url-shortener"])
    response = alice_client.post(start)
    newer = Attempt.objects.get(learner=alice, state=Attempt.State.IN_PROGRESS)
    assert newer.pk != attempt.pk
    assert response["Location"] == reverse("phase", args=[newer.pk, 1])
    html = page(alice_client, attempt, 1)
    assert "Continue your newer attempt" in html
    assert reverse("phase", args=[newer.pk, 1]) in html


def test_the_attempt_page_says_what_finishing_does(alice_client, attempt):
    html = alice_client.get(reverse("attempt", args=[attempt.pk])).content.decode()
    form = html[html.index('id="finish-form"') :]
    assert "can no longer change" in form
    assert "your score for each phase is shown" in form
    assert "the reference solution is shown" in form
    assert re.search(r'<input type="checkbox" name="confirm"[^>]* required', form)


def test_the_attempt_page_says_when_scores_wait_for_the_instructor(alice_client, attempt):
    attempt.problem.problem_set.__class__.objects.filter(pk=attempt.problem.problem_set_id).update(
        release_scores=False, release_reference=False
    )
    html = alice_client.get(reverse("attempt", args=[attempt.pk])).content.decode()
    assert "your scores stay hidden until your instructor releases them" in html
    assert "the reference solution stays hidden until your instructor releases it" in html


def test_finishing_without_confirming_changes_nothing_and_says_why(alice_client, attempt):
    response = alice_client.post(reverse("finish", args=[attempt.pk]), {})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Not finished: tick the box" in html
    assert 'aria-invalid="true"' in html
    attempt.refresh_from_db()
    assert not attempt.is_finished and attempt.finished_at is None


def test_finishing_with_the_box_ticked_finishes(alice_client, attempt):
    response = alice_client.post(reverse("finish", args=[attempt.pk]), {"confirm": "on"})
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.is_finished
    html = alice_client.get(response["Location"]).content.decode()
    assert "Attempt finished: its answers can no longer change." in html
    assert "Your scores and the reference solution are below." in html
    assert 'id="finish-form"' not in html
    assert "This attempt is finished" in html


def test_finishing_twice_keeps_the_first_time(alice_client, attempt):
    attempt.finish()
    first = Attempt.objects.get(pk=attempt.pk).finished_at
    response = alice_client.post(reverse("finish", args=[attempt.pk]), {"confirm": "on"})
    assert response.status_code == 302
    assert Attempt.objects.get(pk=attempt.pk).finished_at == first
