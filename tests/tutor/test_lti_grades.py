"""Assignment and Grade Services: a finished attempt's score goes to the LMS line item of
the link the learner launched, in the background, and a platform that is down delays it
without losing it. The platform (tests/lti_platform.py) runs for real: its token endpoint
checks the tutor's signed client assertion against the tutor's keyset, and its score
endpoint records what it is sent.

``lti.send_grade`` is what the Celery task runs (tutor/tasks.py); the tests call it, or
the task eagerly, rather than waiting for a worker.
"""

import copy
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.tutor.lti_helpers import launch, learner, teacher
from tutor import lti, services, tasks
from tutor.celery import app as celery_app
from tutor.models import Attempt, GradeSync, Job

SHORTEN_ONLY = {"functional": [{"text": "A user can shorten a long URL into a short link"}]}


@pytest.fixture
def graded_link(platform, registration, url_shortener):
    return platform.link({"problem_set": "foundations", "problem": "url-shortener"}, "URL")


@pytest.fixture
def finished(client, platform, graded_link, url_shortener):
    """The learner launched the graded link, answered phase 1 and finished."""
    launch(client, platform, learner, graded_link)
    user = client.get("/").wsgi_request.user
    attempt = services.start_attempt(user, url_shortener)
    services.save_phase(attempt, 1, SHORTEN_ONLY)
    response = client.post(reverse("finish", args=[attempt.pk]), {"confirm": "on"})
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.is_finished
    return attempt


def test_finishing_records_the_grade_and_sending_posts_it_to_the_line_item(
    finished, platform, graded_link
):
    grade = GradeSync.objects.get()
    assert grade.attempt == finished and grade.status == GradeSync.Status.PENDING
    assert grade.score == services.attempt_score(finished) > 0
    assert grade.lti_user.sub == learner.sub

    assert lti.send_grade(grade.pk) is True
    [score] = platform.scores
    assert score["userId"] == learner.sub
    assert score["scoreGiven"] == grade.score and score["scoreMaximum"] == 100
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    assert score["lineitem"] == "/lineitems/" + graded_link.id
    assert platform.token_requests == 1  # its token endpoint checked the tutor's key
    grade.refresh_from_db()
    assert grade.status == GradeSync.Status.SENT and grade.sent_at and grade.tries == 1

    assert lti.send_grade(grade.pk) is True  # sent already: nothing more goes out
    assert len(platform.scores) == 1


def test_no_grade_for_an_ungraded_link_or_an_unfinished_attempt(
    client, platform, registration, url_shortener
):
    link = platform.link(
        {"problem_set": "foundations", "problem": "url-shortener"}, "URL", graded=False
    )
    launch(client, platform, learner, link)
    user = client.get("/").wsgi_request.user
    attempt = services.start_attempt(user, url_shortener)
    assert lti.record_grades(attempt, 50) == []
    services.finish_attempt(attempt)
    assert not GradeSync.objects.exists()


def test_a_learner_who_never_launched_the_link_owes_the_lms_nothing(finished, alice, url_shortener):
    other = services.start_attempt(alice, url_shortener)
    services.finish_attempt(other)
    assert list(GradeSync.objects.values_list("attempt", flat=True)) == [finished.pk]


def test_a_platform_that_is_down_delays_the_grade_and_never_loses_it(finished, platform):
    grade = GradeSync.objects.get()
    platform.down = True
    assert lti.send_grade(grade.pk) is False
    grade.refresh_from_db()
    assert grade.status == GradeSync.Status.PENDING and grade.tries == 1
    assert grade.last_error == "The LMS answered HTTP 503."
    assert platform.scores == []

    # Nothing retried it (a lost task, a broker that was down): the sweep finds it.
    assert lti.stale_grades() == []
    GradeSync.objects.update(tried_at=timezone.now() - timedelta(hours=1))
    assert lti.stale_grades() == [grade.pk]

    platform.down = False
    assert lti.send_grade(grade.pk) is True
    grade.refresh_from_db()
    assert grade.status == GradeSync.Status.SENT and grade.tries == 2
    assert [s["scoreGiven"] for s in platform.scores] == [grade.score]
    assert lti.stale_grades() == []


def test_an_unreachable_platform_is_a_recorded_failure_not_a_crash(finished, platform):
    grade = GradeSync.objects.get()
    placement = grade.placement
    placement.lineitem_url = "http://127.0.0.1:9/lineitems/1"
    placement.save()
    registration = placement.resource_link.context.deployment.registration
    registration.token_url = "http://127.0.0.1:9/token"
    registration.save()
    assert lti.send_grade(grade.pk) is False
    grade.refresh_from_db()
    assert grade.last_error == "The LMS could not be reached."


def test_the_task_retries_then_marks_the_grade_failed_and_the_dashboard_shows_it(
    finished, platform, client, settings, graded_link, monkeypatch
):
    settings.LTI_GRADE_TRIES = 3
    # Eager retries run nested; each would otherwise raise its Retry out of apply().
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)
    grade = GradeSync.objects.get()
    platform.down = True
    tasks.send_grade.apply(args=[grade.pk])  # eager: its retries run at once
    grade.refresh_from_db()
    assert grade.status == GradeSync.Status.FAILED and grade.tries == 3

    client.logout()
    launch(client, platform, teacher, graded_link)
    page = client.get(reverse("teach_cohort", args=["foundations"])).content.decode()
    assert "Grades the LMS does not have yet" in page
    assert "<strong>Failed</strong>" in page and "The LMS answered HTTP 503." in page

    platform.down = False
    retry = reverse("teach_grade_retry", args=["foundations", grade.pk])
    assert client.post(retry).status_code == 302
    grade.refresh_from_db()
    assert grade.status == GradeSync.Status.PENDING and grade.tries == 0
    assert lti.send_grade(grade.pk) is True
    page = client.get(reverse("teach_cohort", args=["foundations"])).content.decode()
    assert "Every grade owed to the LMS has been sent." in page
    assert "<strong>Failed</strong>" not in page


def test_pending_grades_show_on_the_dashboard_and_can_be_pushed(
    finished, platform, client, graded_link
):
    client.logout()
    launch(client, platform, teacher, graded_link)
    page = client.get(reverse("teach_cohort", args=["foundations"])).content.decode()
    table = page.split('class="computed grades-table"')[1].split("</table>")[0]
    assert "Pending" in table and "Failed" not in table and "Send again" in table
    grade = GradeSync.objects.get()
    GradeSync.objects.update(tries=2)
    client.post(reverse("teach_grade_retry", args=["foundations", grade.pk]))
    grade.refresh_from_db()
    assert grade.status == GradeSync.Status.PENDING and grade.tries == 0
    lti.send_grade(grade.pk)
    response = client.post(reverse("teach_grade_retry", args=["foundations", grade.pk]))
    assert response.status_code == 302
    grade.refresh_from_db()
    assert grade.status == GradeSync.Status.SENT  # a sent grade is not sent again


def test_a_regrade_that_changes_the_score_sends_the_new_one(finished, platform, url_shortener):
    grade = GradeSync.objects.get()
    lti.send_grade(grade.pk)
    before = grade.score

    # The instructor drops the capability the learner left out, and regrades.
    expectations = copy.deepcopy(url_shortener.expectations)
    expectations["phase1"]["capabilities"] = [
        c for c in expectations["phase1"]["capabilities"] if c["id"] == "shorten"
    ]
    url_shortener.expectations = expectations
    url_shortener.version += 1
    url_shortener.save()
    job = Job.objects.create(problem=url_shortener, total=1)
    services.run_regrade(job.pk)

    finished.refresh_from_db()
    after = services.attempt_score(finished)
    assert after != before
    grade.refresh_from_db()
    assert grade.status == GradeSync.Status.PENDING and grade.score == after
    assert lti.send_grade(grade.pk) is True
    assert [s["scoreGiven"] for s in platform.scores] == [before, after]


def test_a_regrade_requeues_a_failed_grade_but_not_a_sent_one_of_the_same_score(
    finished, platform, url_shortener
):
    grade = GradeSync.objects.get()
    lti.send_grade(grade.pk)
    services.run_regrade(Job.objects.create(problem=url_shortener, total=1).pk)
    grade.refresh_from_db()
    assert grade.status == GradeSync.Status.SENT and grade.revision == 1

    GradeSync.objects.update(status=GradeSync.Status.FAILED, tries=6)
    services.run_regrade(Job.objects.create(problem=url_shortener, total=1).pk)
    grade.refresh_from_db()
    assert grade.status == GradeSync.Status.PENDING and grade.tries == 0
    assert grade.revision == 2
    assert Attempt.objects.get(pk=finished.pk).is_finished


def test_the_sweep_sends_stale_grades(finished, platform, monkeypatch):
    """recover_stale_work hands each stale grade to services.enqueue_grade; with no
    broker configured (tasks in process), that sends it there and then."""
    grade = GradeSync.objects.get()
    GradeSync.objects.update(requested_at=timezone.now() - timedelta(hours=1))
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    tasks.recover_stale_work()
    grade.refresh_from_db()
    assert grade.status == GradeSync.Status.SENT
    assert [s["userId"] for s in platform.scores] == [learner.sub]
