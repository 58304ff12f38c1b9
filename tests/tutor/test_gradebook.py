"""The gradebook CSV: which attempt counts, the scores it carries, cells a spreadsheet
cannot run, a constant number of queries, and only the set's instructors may download it."""

import csv
import datetime
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import FIXTURES, closed_problem_set, make_user
from tests.tutor.test_cohort import build_cohort
from tutor.models import Attempt, Enrollment, User
from tutor.services import finish_attempt, phase_scores, save_phase, start_attempt

ANSWERS = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]


@pytest.fixture
def dora(foundations):
    user = make_user("dora", User.Role.INSTRUCTOR)
    foundations.instructors.add(user)
    return user


def gradebook_url(problem_set):
    return reverse("teach_gradebook", args=[problem_set.slug])


def download(client, problem_set) -> list[dict[str, str]]:
    response = client.get(gradebook_url(problem_set))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="{problem_set.slug}-gradebook-'
    )
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_a_finished_attempt_carries_its_scores_time_and_link(client, dora, foundations, alice):
    problem = foundations.problems.get(slug="url-shortener")
    attempt = start_attempt(alice, problem)
    save_phase(attempt, 1, ANSWERS["1"])
    save_phase(attempt, 2, {**ANSWERS["2"], "results": {}})  # results missing: findings
    finish_attempt(attempt)
    attempt.refresh_from_db()
    expected = [row["score"] for row in phase_scores(attempt)]
    assert expected[0] == 100 and expected[1] < 100 and expected[2:] == [0] * 7

    client.force_login(dora)
    (row,) = download(client, foundations)

    assert row["Learner"] == "alice"
    assert row["URL shortener: state"] == "finished"
    assert [int(row[f"URL shortener: phase {n}"]) for n in range(1, 10)] == expected
    assert row["URL shortener: score"] == str(round(sum(expected) / 9))
    finished = attempt.finished_at.astimezone(datetime.UTC)
    assert row["URL shortener: finished (UTC)"] == finished.strftime("%Y-%m-%d %H:%M")
    assert row["URL shortener: attempt"] == "http://testserver" + reverse(
        "teach_review", args=[attempt.pk]
    )
    # The set's other problem, never started: a state and nothing else.
    assert row["Pastebin: state"] == "not started"
    assert row["Pastebin: score"] == "" and row["Pastebin: attempt"] == ""


def test_the_newest_finished_attempt_counts_over_a_newer_one_in_progress(client, dora, foundations):
    build_cohort(foundations, 3)
    client.force_login(dora)
    rows = download(client, foundations)

    assert [row["Learner"] for row in rows] == ["learner0000", "learner0001", "learner0002"]
    problem = foundations.problems.order_by("position").first().title
    for row in rows:
        # build_cohort's finished attempt: passed, one warning, two errors, passed, then
        # nothing; its newer attempt in progress has the same answers but is not finished.
        assert row[f"{problem}: state"] == "finished"
        phases = [int(row[f"{problem}: phase {n}"]) for n in range(1, 10)]
        assert phases == [100, 95, 60, 100, 0, 0, 0, 0, 0]
        assert row[f"{problem}: score"] == "39"
        counted = int(row[f"{problem}: attempt"].rstrip("/").rsplit("/", 1)[1])
        assert Attempt.objects.get(pk=counted).state == Attempt.State.FINISHED


def test_an_attempt_in_progress_counts_when_none_is_finished(client, dora, foundations, alice):
    attempt = start_attempt(alice, foundations.problems.get(slug="url-shortener"))
    save_phase(attempt, 1, ANSWERS["1"])
    client.force_login(dora)
    (row,) = download(client, foundations)
    assert row["URL shortener: state"] == "in progress"
    assert row["URL shortener: phase 1"] == "100"
    assert row["URL shortener: finished (UTC)"] == ""


def test_a_username_a_spreadsheet_would_run_is_written_inert(client, dora, foundations):
    learner = User.objects.create_user("=cmd|calc", password="x")
    Enrollment.objects.create(learner=learner, problem_set=foundations)
    client.force_login(dora)
    (row,) = download(client, foundations)
    assert row["Learner"] == "'=cmd|calc"


def test_the_name_an_lms_gave_is_beside_the_account(client, dora, foundations, alice):
    """LTI accounts have opaque usernames: the instructor reads the name, on the cohort
    page and in the gradebook. A name a spreadsheet would run is written inert too."""
    lena = User.objects.create_user("lti-0f3a", first_name="Lena", last_name="Learner")
    sly = User.objects.create_user("lti-9b2c", first_name="=1+1", last_name="")
    for learner in (alice, lena, sly):
        Enrollment.objects.create(learner=learner, problem_set=foundations)
    client.force_login(dora)
    names = {row["Learner"]: row["Name"] for row in download(client, foundations)}
    assert names == {"alice": "", "lti-0f3a": "Lena Learner", "lti-9b2c": "'=1+1"}
    cohort = client.get(reverse("teach_cohort", args=[foundations.slug])).content.decode()
    assert '<th scope="row">Lena Learner</th>' in cohort
    assert '<th scope="row">alice</th>' in cohort
    assert "lti-0f3a" not in cohort


def test_queries_do_not_grow_with_learners(client, dora, foundations):
    client.force_login(dora)
    counts = []
    for n, prefix in ((3, "a"), (30, "b")):
        build_cohort(foundations, n, prefix=prefix)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(gradebook_url(foundations)).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_the_cohort_page_offers_the_download(client, dora, foundations):
    client.force_login(dora)
    response = client.get(reverse("teach_cohort", args=[foundations.slug]))
    assert gradebook_url(foundations).encode() in response.content


def test_only_the_sets_instructors_may_download_it(client, foundations, alice, bob, charlie):
    url = gradebook_url(foundations)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(bob)
    assert client.get(url).status_code in (403, 404)
    closed_problem_set("charlies-set", instructor=charlie)
    client.force_login(charlie)  # teaches another set
    assert client.get(url).status_code == 404
