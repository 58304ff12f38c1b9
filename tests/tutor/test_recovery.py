"""Work whose worker died, and figures the database refuses.

A whole worker killed (main process and pool) leaves its message in Redis's unacked
set for the broker's visibility timeout; reports and regrades left pending or running
past ``REPORT_STALE_SECONDS`` are enqueued again, when the page polls and in a
periodic sweep. A report whose figures PostgreSQL refuses fails at once with a true
message; only connection-level errors are retried as an outage.
"""

import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import DataError, InterfaceError, ProgrammingError
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from phases import estimation
from phases.engine.registry import PHASES_BY_NUMBER
from tests.factories import make_user, subprocess_env
from tests.tutor import test_background
from tests.tutor.helpers import GOOD_ESTIMATE, estimation_post
from tests.tutor.test_background import (
    HTMX,
    REPORT_GET,
    expected_report,
    needs_redis,
    phase_two_url,
    poll_report,
)
from tests.worker import wait_for
from tutor import celery_app, services
from tutor.models import Job, PhaseAnswer, Report
from tutor.tasks import MAX_RETRIES, RETRY_BACKOFF_CAP, compute_report, recover_stale_work

ROOT = Path(__file__).resolve().parents[2]
STALE = 2  # REPORT_STALE_SECONDS for the tests that kill a worker

learner_attempt = test_background.learner_attempt  # fixtures shared with the neighbour
eager_retries = test_background.eager_retries


def report_of(attempt) -> Report:
    return Report.objects.get(answer=PhaseAnswer.objects.get(attempt=attempt, phase=2))


# -- A whole worker killed mid-report --------------------------------------------------------


def kill_a_worker_mid_report(start_worker, client, attempt) -> Report:
    """Save phase 2 with a slow worker, SIGKILL the whole worker inside the task."""
    first = start_worker(TUTOR_TEST_REPORT_DELAY_MS="60000", REPORT_STALE_SECONDS=str(STALE))
    response = client.post(phase_two_url(attempt), estimation_post(GOOD_ESTIMATE), **HTMX)
    assert "Computing the report" in response.content.decode()
    wait_for(
        lambda: report_of(attempt).status == Report.Status.RUNNING,
        15,
        what="the worker to mark the report running",
    )
    pool = first.pool_children()
    assert pool, first.output()
    first.kill()
    wait_for(lambda: not any(alive(pid) for pid in pool), 10, what="the pool to die")
    report = report_of(attempt)
    assert report.status == Report.Status.RUNNING
    return report


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def assert_done_by_a_worker(report: Report, attempt) -> None:
    assert Report.objects.filter(answer=report.answer).count() == 1
    report.refresh_from_db()
    assert report.status == Report.Status.DONE
    assert report.computed_in == Report.Where.WORKER
    assert report.runs == 2  # once in the killed worker, once in the new one
    assert report.data == expected_report(attempt)


@needs_redis
def test_a_report_whose_whole_worker_was_killed_is_completed_by_the_sweep_of_a_new_worker(
    start_worker, learner_attempt, settings
):
    settings.REPORT_STALE_SECONDS = STALE
    client, attempt = learner_attempt
    report = kill_a_worker_mid_report(start_worker, client, attempt)
    killed = time.monotonic()

    # Nobody polls: the new worker's beat sends the sweep, which enqueues it again.
    second = start_worker(beat=True, REPORT_STALE_SECONDS=str(STALE))
    bound = 10 * STALE + 10  # generous: the sweep runs every STALE / 2 s
    wait_for(
        lambda: Report.objects.filter(pk=report.pk, status=Report.Status.DONE).exists(),
        bound,
        interval=0.2,
        what=f"the stale report to be recovered\n{second.output()}",
    )
    print(f"recovered {time.monotonic() - killed:.1f} s after the SIGKILL")
    assert_done_by_a_worker(report, attempt)
    assert "tutor.tasks.recover_stale_work" in second.output()


@needs_redis
def test_a_report_whose_whole_worker_was_killed_is_enqueued_again_when_the_page_polls(
    start_worker, learner_attempt, settings
):
    settings.REPORT_STALE_SECONDS = STALE
    client, attempt = learner_attempt
    report = kill_a_worker_mid_report(start_worker, client, attempt)

    start_worker(REPORT_STALE_SECONDS=str(STALE))  # no beat: only the poll can recover it
    html = poll_report(client, phase_two_url(attempt), timeout=10 * STALE + 10)
    assert "Estimate report" in html
    assert "by a background worker" in html
    assert_done_by_a_worker(report, attempt)


# -- The sweep and the poll, without a worker ------------------------------------------------


@pytest.fixture
def make_report(db, url_shortener):
    """A phase 2 report for a new learner, its clock set ``age`` seconds back."""
    made = []

    def make(status=Report.Status.PENDING, age: float = 600) -> Report:
        learner = make_user(f"learner{len(made)}")
        attempt = services.start_attempt(learner, url_shortener)
        answer = services.save_phase(attempt, 2, GOOD_ESTIMATE)  # on_commit never fires
        Report.objects.filter(answer=answer).update(
            status=status, requested_at=timezone.now() - timedelta(seconds=age)
        )
        made.append(answer)
        return Report.objects.get(answer=answer)

    return make


@pytest.fixture
def publish():
    with mock.patch.object(celery_app, "send_task") as send_task:
        yield send_task


def published(send_task, task: str = services.COMPUTE_REPORT) -> list:
    return [call.kwargs["args"] for call in send_task.call_args_list if call.args[0] == task]


def test_the_sweep_enqueues_stale_pending_and_running_reports_again(make_report, publish):
    pending = make_report(Report.Status.PENDING)
    running = make_report(Report.Status.RUNNING)

    assert services.recover_stale_reports() == 2

    assert sorted(published(publish)) == sorted(
        [[pending.pk, pending.revision], [running.pk, running.revision]]
    )
    for report in (pending, running):
        before = report.requested_at
        report.refresh_from_db()
        assert report.status == Report.Status.PENDING
        assert report.requested_at > before  # claimed: its clock starts again


def test_the_sweep_leaves_fresh_done_and_failed_reports_alone(make_report, publish):
    make_report(Report.Status.PENDING, age=1)
    make_report(Report.Status.RUNNING, age=settings.REPORT_STALE_SECONDS - 5)
    make_report(Report.Status.DONE)
    make_report(Report.Status.FAILED)

    assert services.recover_stale_reports() == 0
    publish.assert_not_called()


def test_a_stale_report_is_enqueued_once_by_sweeps_and_polls_that_follow(make_report, publish):
    report = make_report()
    assert services.recover_stale_reports() == 1
    assert services.recover_stale_reports() == 0
    assert services.recover_stale_report(report) is report  # the page's stale copy
    recover_stale_work.apply()
    assert published(publish) == [[report.pk, report.revision]]


def test_a_superseded_revision_is_left_alone(make_report, publish):
    stale = make_report()
    answer = stale.answer
    newer_data = {**GOOD_ESTIMATE, "conclusion": {"pressure": "storage", "implication": "Newer."}}
    newer = services.save_phase(answer.attempt, 2, newer_data)
    assert newer.revision == stale.revision + 1
    Report.objects.filter(pk=stale.pk).update(requested_at=timezone.now() - timedelta(hours=1))

    assert not services.claim_stale_report(stale.pk, stale.revision)
    assert services.recover_stale_report(stale) is stale  # the page's older copy
    publish.assert_not_called()
    row = Report.objects.get(pk=stale.pk)
    assert row.revision == newer.revision
    assert row.requested_at < timezone.now() - timedelta(minutes=59)  # not claimed


def test_with_the_broker_down_a_sweep_computes_a_bounded_number_itself(make_report, publish):
    publish.side_effect = BrokerDown("Error 111 connecting to 127.0.0.1:6379.")
    reports = [make_report() for _ in range(4)]

    assert services.recover_stale_reports(compute_limit=2) == 2

    assert publish.call_count == 1  # after the first refusal it stops asking the broker
    rows = Report.objects.filter(pk__in=[r.pk for r in reports]).order_by("requested_at")
    done = [r for r in rows if r.status == Report.Status.DONE]
    assert len(done) == 2
    assert all(r.computed_in == Report.Where.WORKER for r in done)
    left = [r for r in rows if r.status == Report.Status.PENDING]
    assert len(left) == 2
    assert all(r.requested_at < timezone.now() - timedelta(minutes=9) for r in left)


def test_the_poll_enqueues_a_stale_report_again_once(make_report, publish):
    report = make_report(Report.Status.RUNNING)
    client = Client()
    client.force_login(report.answer.attempt.learner)
    url = phase_two_url(report.answer.attempt)

    html = client.get(url, **REPORT_GET).content.decode()
    assert "Computing the report" in html
    assert "hx-get" in html  # still polling
    client.get(url, **REPORT_GET)
    assert published(publish) == [[report.pk, report.revision]]


def test_the_poll_leaves_a_fresh_report_to_its_worker(make_report, publish):
    report = make_report(Report.Status.RUNNING, age=1)
    client = Client()
    client.force_login(report.answer.attempt.learner)
    client.get(phase_two_url(report.answer.attempt), **REPORT_GET)
    publish.assert_not_called()


def test_the_poll_computes_a_stale_report_in_the_web_process_when_the_broker_is_down(
    make_report, publish
):
    publish.side_effect = BrokerDown("Error 111 connecting to 127.0.0.1:6379.")
    report = make_report(Report.Status.RUNNING)
    client = Client()
    client.force_login(report.answer.attempt.learner)

    html = client.get(phase_two_url(report.answer.attempt), **REPORT_GET).content.decode()

    assert "Estimate report" in html
    assert "in the web process" in html
    assert "hx-get" not in html
    report.refresh_from_db()
    assert report.computed_in == Report.Where.WEB


def stale_job(url_shortener, status, age: float = 600) -> Job:
    job = Job.objects.create(problem=url_shortener, status=status)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=age))
    return job


def test_the_sweep_enqueues_regrades_that_stopped_making_progress(url_shortener):
    running = stale_job(url_shortener, Job.Status.RUNNING)
    pending = stale_job(url_shortener, Job.Status.PENDING)
    stale_job(url_shortener, Job.Status.RUNNING, age=1)
    stale_job(url_shortener, Job.Status.DONE)
    with mock.patch.object(celery_app, "send_task") as send_task:
        assert services.recover_stale_jobs() == 2
        assert services.recover_stale_jobs() == 0
    assert sorted(published(send_task, services.REGRADE_PROBLEM)) == sorted(
        [[running.pk], [pending.pk]]
    )
    running.refresh_from_db()
    assert running.status == Job.Status.PENDING


def test_a_regrade_marks_its_progress(url_shortener, alice):
    job = stale_job(url_shortener, Job.Status.PENDING)
    services.start_attempt(alice, url_shortener)
    services.run_regrade(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert job.heartbeat_at > timezone.now() - timedelta(minutes=1)


def test_the_broker_redelivers_only_after_a_visibility_timeout_longer_than_any_task():
    options = celery_app.conf.broker_transport_options
    # Longer than a regrade of a large problem and than the retry chain.
    assert options["visibility_timeout"] >= 3600
    schedule = celery_app.conf.beat_schedule["recover-stale-work"]
    assert schedule["task"] == "tutor.tasks.recover_stale_work"
    assert schedule["schedule"] <= settings.REPORT_STALE_SECONDS


SHOW_SETTINGS = (
    "from tutor import settings as s; "
    "print(s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'], s.REPORT_STALE_SECONDS, "
    "s.CELERY_BEAT_SCHEDULE['recover-stale-work']['schedule'])"
)


def settings_with(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        cwd=ROOT,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_visibility_timeout_and_the_stale_bound_come_from_the_environment(db):
    result = settings_with(BROKER_VISIBILITY_TIMEOUT="600", REPORT_STALE_SECONDS="10")
    assert result.stdout.split() == ["600", "10", "5.0"], result.stderr


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_a_stale_bound_that_makes_no_sense_stops_the_process(db, value):
    result = settings_with(REPORT_STALE_SECONDS=value)
    assert result.returncode != 0
    assert "REPORT_STALE_SECONDS" in result.stderr


# -- Figures the database refuses, and outages ----------------------------------------------

UNSTORABLE = [
    pytest.param({"total": float("inf")}, id="infinity"),  # jsonb has no Infinity token
    pytest.param({"total": float("nan")}, id="nan"),
    pytest.param({"note": "a\x00b"}, id="nul"),  # jsonb refuses \u0000
    pytest.param({"when": object()}, id="not-serialisable"),
]


def computing(figures: dict):
    """Phase 2's report computes ``figures``, whatever the answers say."""
    unit = replace(estimation.UNIT, computed=lambda design: figures)
    return mock.patch.dict(PHASES_BY_NUMBER, {2: unit})


@pytest.mark.parametrize("figures", UNSTORABLE)
def test_figures_the_database_refuses_fail_the_report_at_once_with_a_true_message(
    attempt, eager_retries, caplog, figures
):
    answer = services.save_phase(attempt, 2, GOOD_ESTIMATE)
    report = Report.objects.get(answer=answer)
    runs = mock.Mock(wraps=services.run_report)

    with (
        computing(figures),
        mock.patch.object(services, "run_report", runs),
    ):
        result = compute_report.apply(args=[report.pk, answer.revision])

    assert result.successful()
    assert runs.call_count == 1  # no retry: the same figures would be refused again
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert report.error == services.UNSTORABLE_MESSAGE
    assert "could not be reached" not in report.error
    assert report.completed_at is not None
    assert f"report {report.pk}: its figures could not be stored" in caplog.text


@pytest.mark.parametrize(
    "error", [DataError("value out of range"), ProgrammingError("column does not exist")]
)
def test_a_database_error_that_is_not_an_outage_is_not_retried(attempt, eager_retries, error):
    answer = services.save_phase(attempt, 2, GOOD_ESTIMATE)
    report = Report.objects.get(answer=answer)
    failing = mock.Mock(side_effect=error)

    with mock.patch.object(services, "run_report", failing):
        compute_report.apply(args=[report.pk, answer.revision])

    assert failing.call_count == 1
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert report.error == services.UNSTORABLE_MESSAGE


def test_a_lost_connection_is_retried_then_reported_as_an_outage(attempt, eager_retries):
    answer = services.save_phase(attempt, 2, GOOD_ESTIMATE)
    report = Report.objects.get(answer=answer)
    failing = mock.Mock(side_effect=InterfaceError("connection already closed"))

    with mock.patch.object(services, "run_report", failing):
        compute_report.apply(args=[report.pk, answer.revision])

    assert failing.call_count == MAX_RETRIES + 1
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert report.error == services.OUTAGE_MESSAGE


def test_the_retries_wait_a_bounded_total_well_inside_the_stale_bound():
    worst = sum(min(RETRY_BACKOFF_CAP, 2**retry) for retry in range(MAX_RETRIES))
    assert worst == 15
    assert worst < settings.REPORT_STALE_SECONDS / 2


def test_a_save_with_redis_down_and_figures_the_database_refuses_still_answers(
    learner_attempt,
):
    client, attempt = learner_attempt
    url = phase_two_url(attempt)
    with (
        mock.patch.object(celery_app, "send_task", side_effect=BrokerDown("refused")),
        computing({"total": float("inf")}),
    ):
        response = client.post(url, estimation_post(GOOD_ESTIMATE), **HTMX)

    assert response.status_code == 200
    assert "Saved and checked." in response.content.decode()
    answer = PhaseAnswer.objects.get(attempt=attempt, phase=2)
    assert answer.data["conclusion"] == GOOD_ESTIMATE["conclusion"]
    report = Report.objects.get(answer=answer)
    assert report.status == Report.Status.FAILED
    assert report.error == services.UNSTORABLE_MESSAGE
    html = client.get(url, **REPORT_GET).content.decode()
    assert "could not be computed" in html
    assert "could not be stored" in html
    assert "hx-get" not in html
