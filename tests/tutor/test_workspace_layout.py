"""The phase page's layout, without a browser: the guidance folds once the phase is
saved, the report folds while errors are open, and the htmx save refreshes the line that
leads to the findings."""

import json
import re

from django.urls import reverse

from tests.factories import FIXTURES
from tests.tutor.helpers import requirements_post
from tutor.services import save_phase

SOUND = json.loads((FIXTURES / "accuracy" / "url-shortener" / "sound.json").read_text())["phases"]


def phase_url(attempt, number=1):
    return reverse("phase", args=[attempt.pk, number])


def opening_tag(html: str, pattern: str) -> str:
    match = re.search(pattern, html)
    assert match, pattern
    return match.group(0)


def test_the_guidance_is_open_until_the_phase_is_saved_and_the_numbers_stay_in_sight(
    alice_client, attempt
):
    fresh = alice_client.get(phase_url(attempt)).content.decode()
    assert " open" in opening_tag(fresh, r'<details class="guidance-panel"[^>]*>')
    assert 'id="findings-jump"' in fresh and "Read the findings" not in fresh
    save_phase(attempt, 1, SOUND["1"])
    saved = alice_client.get(phase_url(attempt)).content.decode()
    assert " open" not in opening_tag(saved, r'<details class="guidance-panel"[^>]*>')
    assert "Ask yourself" in saved  # folded, not gone
    # The numbers come after the folded panel (whose last part is the statement).
    assert saved.index('data-given="writes"') > saved.index("The problem statement</summary>")


def test_the_report_is_folded_while_the_phase_has_errors_and_open_otherwise(alice_client, attempt):
    save_phase(attempt, 1, SOUND["1"])
    sound = alice_client.get(phase_url(attempt)).content.decode()
    tag = opening_tag(sound, r'<details class="report-fold"[^>]*>')
    assert " open" in tag
    assert "Allowed downtime" in sound.split(tag, 1)[1]

    broken = requirements_post(SOUND["1"] | {"availability": "highly available"}, 1)
    alice_client.post(phase_url(attempt), broken)
    folded = alice_client.get(phase_url(attempt)).content.decode()
    assert "Has errors" in folded
    tag = opening_tag(folded, r'<details class="report-fold"[^>]*>')
    assert " open" not in tag
    summary = folded.split(tag, 1)[1].split("</summary>", 1)[0]
    assert "allowed downtime" in summary and "folded while this phase has errors" in summary


def test_a_save_over_htmx_refreshes_the_line_leading_to_the_findings(alice_client, attempt):
    post = requirements_post(SOUND["1"] | {"availability": "highly available"})
    response = alice_client.post(phase_url(attempt), post, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    jump = opening_tag(html, r'<p id="findings-jump"[^>]*>.*?</p>')
    assert 'hx-swap-oob="true"' in jump
    assert 'href="#findings-column"' in jump and re.search(r"Has errors: [1-9]\d* errors?", jump)
