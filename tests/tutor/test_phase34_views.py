"""Phases 3 and 4 in the site: rows that name the learner's own phase 1 requirements."""

import json

import pytest
from django.urls import reverse

from tests.factories import FIXTURES
from tests.tutor.helpers import phase_post
from tutor.forms import forms_for
from tutor.models import PhaseAnswer
from tutor.services import save_phase

EXAMPLE = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]
REQUIREMENTS = [fr["text"] for fr in EXAMPLE["1"]["functional"]]


@pytest.fixture
def with_phase_one(attempt):
    save_phase(attempt, 1, EXAMPLE["1"])
    return attempt


def url(attempt, number):
    return reverse("phase", args=[attempt.pk, number])


def one_pattern(requirement=REQUIREMENTS[1]):
    return {
        "version": 1,
        "access_patterns": [
            {
                "requirement": requirement,
                "name": "resolve a short code",
                "entity": "Link",
                "data": "long URL",
                "key": "short code",
                "kind": "read",
                "lookup": "by_key",
                "rate": "23,000/s",
                "records": "one",
                "storage": "key_value",
                "transactional": False,
                "large_objects": False,
            }
        ],
        "entities": [{"name": "Link", "fields": "code, long_url", "key": "code"}],
        "modelling": [],
    }


@pytest.mark.parametrize("number", [3, 4])
def test_rows_offer_the_learners_own_requirements(alice_client, with_phase_one, number):
    html = alice_client.get(url(with_phase_one, number)).content.decode()
    for text in REQUIREMENTS:
        assert f'<option value="{text}"' in html
    assert "first: each" not in html  # no "write phase 1 first" notice


@pytest.mark.parametrize("number", [3, 4])
def test_without_phase_one_the_page_says_where_to_start(alice_client, attempt, number):
    html = alice_client.get(url(attempt, number)).content.decode()
    assert "Write your functional requirements in" in html


def test_saving_phase_three_stores_the_rows_and_links_back_to_phase_one(
    alice_client, with_phase_one
):
    response = alice_client.post(url(with_phase_one, 3), phase_post(forms_for(3), one_pattern()))
    assert response.status_code == 302
    answer = PhaseAnswer.objects.get(attempt=with_phase_one, phase=3)
    pattern = answer.data["access_patterns"][0]
    assert pattern["requirement"] == REQUIREMENTS[1]
    assert pattern["transactional"] is False
    # Three requirements have no access pattern: findings that point into phase 1.
    cross = answer.findings.filter(field_phase=1)
    assert cross.count() >= 3
    html = alice_client.get(url(with_phase_one, 3)).content.decode()
    assert f'href="{url(with_phase_one, 1)}#' in html
    assert "Go to the field in phase 1, Requirements" in html


def test_a_requirement_no_longer_in_phase_one_is_kept_and_marked(alice_client, with_phase_one):
    save_phase(with_phase_one, 3, one_pattern("A requirement since deleted"))
    html = alice_client.get(url(with_phase_one, 3)).content.decode()
    assert "A requirement since deleted (not in phase 1 any more)" in html


def test_an_unreadable_rate_is_a_field_error(alice_client, with_phase_one):
    document = one_pattern()
    document["access_patterns"][0]["rate"] = "very often"
    response = alice_client.post(url(with_phase_one, 3), phase_post(forms_for(3), document))
    html = response.content.decode()
    assert response.status_code == 422
    assert "Rate: Enter a rate such as 100M/day" in html
    assert 'value="very often"' in html


def test_saving_phase_four_and_a_bad_status(alice_client, with_phase_one):
    document = {
        "version": 1,
        "protocols": [{"client": "browsers", "protocol": "rest", "reason": "public HTTP"}],
        "endpoints": [
            {
                "requirement": REQUIREMENTS[0],
                "method": "POST",
                "path": "/v1/urls",
                "request": "long_url",
                "response": "short_url",
                "status": "two hundred",
                "idempotency": "idempotency_key",
                "redirect": "",
                "pagination": "",
                "notes": "",
            }
        ],
    }
    response = alice_client.post(url(with_phase_one, 4), phase_post(forms_for(4), document))
    assert response.status_code == 422
    assert "Success status: Write the HTTP status as three digits" in response.content.decode()
    document["endpoints"][0]["status"] = "201"
    response = alice_client.post(url(with_phase_one, 4), phase_post(forms_for(4), document))
    assert response.status_code == 302
    answer = PhaseAnswer.objects.get(attempt=with_phase_one, phase=4)
    assert answer.data["endpoints"][0]["path"] == "/v1/urls"
