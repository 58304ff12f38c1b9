"""Nobody but the owner can see or change an attempt; closed sets need their code."""

import json

import pytest
from django.urls import reverse

from tests.factories import FIXTURES, closed_problem_set, make_user
from tests.tutor.helpers import requirements_post
from tutor.models import Attempt, Enrollment, PhaseAnswer, User
from tutor.services import save_phase, start_attempt

GOOD = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]["1"]


@pytest.fixture
def alices_attempt(alice, url_shortener):
    attempt = start_attempt(alice, url_shortener)
    save_phase(attempt, 1, GOOD)
    return attempt


@pytest.fixture
def outsider(request, bob, charlie):
    """bob, a second learner; charlie, an instructor of another problem set."""
    closed_problem_set("charlies-set", instructor=charlie)
    return {"bob": bob, "charlie": charlie}[request.param]


def attempt_urls(attempt):
    return [reverse("phase", args=[attempt.pk, n]) for n in range(1, 10)]


def snapshot(attempt):
    answer = PhaseAnswer.objects.get(attempt=attempt, phase=1)
    return (answer.data, answer.revision, answer.status, list(answer.findings.values_list("code")))


@pytest.mark.parametrize("outsider", ["bob", "charlie"], indirect=True)
def test_other_people_get_404_on_every_page_of_an_attempt(client, outsider, alices_attempt):
    client.force_login(outsider)
    before = snapshot(alices_attempt)
    for url in attempt_urls(alices_attempt):
        assert client.get(url).status_code == 404, url
        polled = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="report")
        assert polled.status_code == 404, url
        evil = dict(requirements_post(GOOD), availability="50%")
        assert client.post(url, evil).status_code == 404, url
        assert client.post(url, evil, HTTP_HX_REQUEST="true").status_code == 404, url
        assert client.post(url, {"row_action": "add:functional"}).status_code == 404, url
    assert snapshot(alices_attempt) == before
    overview = reverse("attempt", args=[alices_attempt.pk])
    export = reverse("export", args=[alices_attempt.pk])
    finish = reverse("finish", args=[alices_attempt.pk])
    assert client.get(overview).status_code == 404
    assert client.get(export).status_code == 404
    assert client.post(finish).status_code == 404
    assert client.post(finish, {"confirm": "on"}).status_code == 404
    alices_attempt.refresh_from_db()
    assert not alices_attempt.is_finished


def test_anonymous_visitors_are_sent_to_log_in(client, alices_attempt):
    before = snapshot(alices_attempt)
    for url in attempt_urls(alices_attempt):
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]
        response = client.post(url, requirements_post(GOOD))
        assert response.status_code == 302 and reverse("login") in response["Location"]
    for name in ("attempt", "export"):
        response = client.get(reverse(name, args=[alices_attempt.pk]))
        assert response.status_code == 302 and reverse("login") in response["Location"]
    response = client.post(reverse("finish", args=[alices_attempt.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert snapshot(alices_attempt) == before


def test_dashboard_shows_only_ones_own_attempts(client, bob, alices_attempt):
    client.force_login(bob)
    html = client.get(reverse("dashboard")).content.decode()
    assert "URL shortener" not in html
    assert "not started any problem" in html


def test_closed_set_needs_its_code_to_join_and_start(client, bob, charlie):
    problem_set = closed_problem_set("closed", instructor=charlie)
    client.force_login(bob)
    start = reverse("start_attempt", args=["closed", "url-shortener"])
    assert client.post(start).status_code == 302
    assert not Attempt.objects.exists()

    wrong = client.post(reverse("join", args=["closed"]), {"code": "WRONG"})
    assert wrong.status_code == 400
    assert "does not match" in wrong.content.decode()
    assert not Enrollment.objects.exists()

    right = client.post(reverse("join", args=["closed"]), {"code": problem_set.join_code.lower()})
    assert right.status_code == 302
    client.post(start)
    assert Attempt.objects.filter(learner=bob).count() == 1


def test_unpublished_sets_and_problems_are_404_for_learners(client, bob, foundations):
    foundations.is_published = False
    foundations.save()
    client.force_login(bob)
    assert client.get(reverse("problemset", args=["foundations"])).status_code == 404
    assert client.get(reverse("problem", args=["foundations", "url-shortener"])).status_code == 404
    assert (
        client.post(reverse("start_attempt", args=["foundations", "url-shortener"])).status_code
        == 404
    )


def test_draft_problem_is_hidden_but_visible_to_its_instructor(client, foundations):
    problem = foundations.problems.get(slug="url-shortener")
    problem.is_published = False
    problem.save()
    teacher = make_user("teacher", User.Role.INSTRUCTOR)
    foundations.instructors.add(teacher)
    learner = make_user("learner2")
    url = reverse("problem", args=["foundations", "url-shortener"])
    client.force_login(learner)
    assert client.get(url).status_code == 404
    client.force_login(teacher)
    assert client.get(url).status_code == 200


def test_staff_role_opens_the_admin(client, db):
    staff = make_user("sam", User.Role.STAFF)
    assert staff.is_staff
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    assert client.get(reverse("admin:tutor_attempt_changelist")).status_code == 200
    learner = make_user("lee")
    client.force_login(learner)
    assert client.get(reverse("admin:index")).status_code == 302
