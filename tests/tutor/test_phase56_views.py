"""Phases 5 and 6 in the site: components and paths drawn as SVG, technology choices."""

import pytest
from django.urls import reverse

from tests.tutor.helpers import phase_post
from tutor.forms import forms_for
from tutor.models import PhaseAnswer

ARCHITECTURE = {
    "version": 1,
    "components": [
        {
            "name": "lb",
            "type": "load_balancer_l7",
            "count": "2",
            "why": "spreads 23,000 reads/s",
            "without": "one server takes everything",
            "stateful": False,
        },
        {
            "name": "app",
            "type": "app_server",
            "count": "4",
            "why": "runs the redirect logic",
            "without": "nothing answers",
            "stateful": False,
        },
        {
            "name": "cache",
            "type": "cache",
            "count": "1",
            "why": "99% of 23,000 reads/s",
            "without": "the database takes every read",
            "stateful": False,
        },
        {
            "name": "db",
            "type": "db_primary",
            "count": "1",
            "why": "stores 100M links a day",
            "without": "nothing is durable",
            "stateful": False,
        },
    ],
    "write_path": [
        {"component": "lb", "action": "forward", "branch": "", "async": False},
        {"component": "app", "action": "make a code", "branch": "", "async": False},
        {"component": "db", "action": "insert", "branch": "", "async": False},
    ],
    "read_path": [
        {"component": "lb", "action": "forward", "branch": "", "async": False},
        {"component": "app", "action": "resolve", "branch": "", "async": False},
        {"component": "cache", "action": "get code", "branch": "hit", "async": False},
        {"component": "db", "action": "select by code", "branch": "miss", "async": False},
    ],
}


def url(attempt, number):
    return reverse("phase", args=[attempt.pk, number])


def test_saving_the_architecture_draws_both_paths(alice_client, attempt):
    response = alice_client.post(url(attempt, 5), phase_post(forms_for(5), ARCHITECTURE))
    assert response.status_code == 302
    answer = PhaseAnswer.objects.get(attempt=attempt, phase=5)
    assert answer.data["read_path"][3] == {
        "component": "db",
        "action": "select by code",
        "branch": "miss",
        "async": False,
    }
    html = alice_client.get(url(attempt, 5)).content.decode()
    assert html.count("<svg") >= 2
    for name in ("lb", "app", "cache", "db"):
        assert f">{name}<" in html
    assert '<option value="cache">' in html  # the declared components offered to the steps


def test_the_async_flag_round_trips(alice_client, attempt):
    document = {
        **ARCHITECTURE,
        "write_path": [
            *ARCHITECTURE["write_path"],
            {"component": "db", "action": "count the click", "branch": "", "async": True},
        ],
    }
    alice_client.post(url(attempt, 5), phase_post(forms_for(5), document))
    answer = PhaseAnswer.objects.get(attempt=attempt, phase=5)
    assert answer.data["write_path"][-1]["async"] is True


@pytest.mark.parametrize("count", ["two", "0", "-1"])
def test_a_count_that_is_not_a_whole_number_is_a_field_error(alice_client, attempt, count):
    document = {**ARCHITECTURE, "components": [{**ARCHITECTURE["components"][0], "count": count}]}
    response = alice_client.post(url(attempt, 5), phase_post(forms_for(5), document))
    assert response.status_code == 422
    assert "How many: Write how many as a whole number" in response.content.decode()


def test_saving_technology_choices_shows_the_catalogue_entry(alice_client, attempt):
    document = {
        "version": 1,
        "choices": [
            {
                "technology": "PostgreSQL",
                "component": "db",
                "problem": "stores links with ACID writes and answers lookups by code",
                "alternatives": "Cassandra: built for write-heavy partitions, needless here",
                "tradeoffs": "a single primary takes every write",
                "trigger": "writes above 10,000/s",
            },
        ],
    }
    response = alice_client.post(url(attempt, 6), phase_post(forms_for(6), document))
    assert response.status_code == 302
    html = alice_client.get(url(attempt, 6)).content.decode()
    assert "Your choices in the catalogue" in html
    assert '<option value="Cassandra">' in html  # the catalogue offered as suggestions
