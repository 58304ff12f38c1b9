"""Phase 2's report in the background: a real Celery worker, a worker killed mid-task,
a broker that is down or silent, and the task's retries.

The worker tests start ``celery -A tutor worker`` as a child process on the test database
(``subprocess_env``) and the Redis in ``REDIS_URL``; they need committed rows, hence
``transactional_db``.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from phases import estimation
from tests.factories import make_user, shipped_problem_set, subprocess_env
from tests.tutor.helpers import GOOD_ESTIMATE, estimation_post
from tests.worker import wait_for
from tutor import celery_app, services
from tutor.models import PhaseAnswer, Report
from tutor.tasks import MAX_RETRIES, backoff_with_jitter, compute_report

ROOT = Path(__file__).resolve().parents[2]
HTMX = {"HTTP_HX_REQUEST": "true"}
REPORT_GET = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "report"}

needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs a real Redis in REDIS_URL"
)


@pytest.fixture
def learner_attempt(transactional_db):
    """A learner with an attempt at the URL shortener, committed so children see it."""
    user = make_user("alice")
    problem = shipped_problem_set().problems.get(slug="url-shortener")
    attempt = services.start_attempt(user, problem)
    client = Client()
    client.force_login(user)
    return client, attempt


def phase_two_url(attempt) -> str:
    return reverse("phase", args=[attempt.pk, 2])


def expected_report(attempt) -> dict:
    """What run_report stores, computed here, through a JSON round trip as the column."""
    data = estimation.computed(services.design_for(attempt))
    return json.loads(json.dumps(data))


def poll_report(client, url, timeout: float = 20) -> str:
    def visible():
        html = client.get(url, **REPORT_GET).content.decode()
        return html if "Estimate report" in html or "could not be computed" in html else None

    return wait_for(visible, timeout, interval=0.25, what="the report partial to settle")


# -- A real worker -------------------------------------------------------------------------


@needs_redis
def test_a_real_worker_computes_the_report_and_the_page_polls_until_it_shows(
    start_worker, learner_attempt
):
    worker = start_worker()
    client, attempt = learner_attempt
    url = phase_two_url(attempt)

    started = time.monotonic()
    response = client.post(url, estimation_post(GOOD_ESTIMATE), **HTMX)
    elapsed = time.monotonic() - started
    html = response.content.decode()
    assert response.status_code == 200
    assert "Saved and checked." in html
    assert "Computing the report" in html
    assert 'hx-get="' + url + 'report/"' in html  # the partial polls its own URL
    assert elapsed < 2.0, f"the save took {elapsed:.2f} s"

    html = poll_report(client, url)
    assert "Estimate report" in html, worker.output()
    assert "by a background worker" in html
    assert "hx-get" not in html  # settled: no more polling

    answer = PhaseAnswer.objects.get(attempt=attempt, phase=2)
    report = Report.objects.get(answer=answer)
    assert report.status == Report.Status.DONE
    assert report.computed_in == Report.Where.WORKER
    assert report.runs == 1
    assert report.revision == answer.revision
    assert report.data == expected_report(attempt)
    assert "tutor.tasks.compute_report" in worker.output()


@needs_redis
def test_a_task_whose_pool_process_is_killed_is_redelivered_and_completed_once(
    start_worker, learner_attempt
):
    worker = start_worker(TUTOR_TEST_REPORT_DELAY_MS="3000")
    client, attempt = learner_attempt
    url = phase_two_url(attempt)

    response = client.post(url, estimation_post(GOOD_ESTIMATE), **HTMX)
    assert "Computing the report" in response.content.decode()
    answer = PhaseAnswer.objects.get(attempt=attempt, phase=2)

    wait_for(
        lambda: Report.objects.filter(answer=answer, status=Report.Status.RUNNING).exists(),
        15,
        what="the worker to mark the report running",
    )
    children = worker.pool_children()
    assert len(children) == 1, (children, worker.output())
    os.kill(children[0], signal.SIGKILL)  # the pool process, inside run_report's sleep

    html = poll_report(client, url, timeout=30)
    assert "Estimate report" in html, worker.output()
    assert "by a background worker" in html
    assert Report.objects.filter(answer=answer).count() == 1
    report = Report.objects.get(answer=answer)
    assert report.status == Report.Status.DONE
    assert report.computed_in == Report.Where.WORKER
    assert report.runs == 2, worker.output()
    assert report.data == expected_report(attempt)
    assert worker.process.poll() is None  # the main process lived on and re-forked
    log = worker.output()
    assert "WorkerLostError" in log or "signal 9" in log, log
    assert worker.pool_children() and worker.pool_children() != children


# -- A broker that is down or silent ---------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import json, sys, time
    import django
    django.setup()
    from django.test import Client
    from django.urls import reverse
    from tests.tutor.helpers import GOOD_ESTIMATE, estimation_post
    from tutor.models import Attempt, PhaseAnswer, Report

    attempt = Attempt.objects.get(pk=int(sys.argv[1]))
    client = Client()
    client.force_login(attempt.learner)
    url = reverse("phase", args=[attempt.pk, 2])
    started = time.monotonic()
    response = client.post(url, estimation_post(GOOD_ESTIMATE), HTTP_HX_REQUEST="true")
    elapsed = time.monotonic() - started
    partial = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="report")
    answer = PhaseAnswer.objects.get(attempt=attempt, phase=2)
    report = Report.objects.get(answer=answer)
    print(json.dumps({
        "status_code": response.status_code,
        "elapsed": elapsed,
        "html": response.content.decode(),
        "partial": partial.content.decode(),
        "answer": answer.data,
        "report": {"status": report.status, "computed_in": report.computed_in,
                   "runs": report.runs, "data": report.data},
    }))
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SilentRedis:
    """Accepts connections and never says a word, like a hung Redis or a black hole."""

    def __init__(self):
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.server.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted.append(conn)  # held open, never read from or written to

    def close(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        for conn in self.accepted:
            conn.close()
        self.server.close()


@pytest.fixture
def silent_redis():
    server = SilentRedis()
    yield server
    server.close()


def save_in_child(attempt, redis_url: str) -> dict:
    env = subprocess_env(
        REDIS_URL=redis_url,
        ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="tutor.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(attempt.pk)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_computed_in_the_web_process(outcome: dict, attempt) -> None:
    assert outcome["status_code"] == 200
    assert outcome["elapsed"] < 2.5, f"the save took {outcome['elapsed']:.2f} s"
    assert outcome["answer"]["assumptions"]["writes"] == "100M/day"
    assert outcome["answer"]["results"]["storage_with_overhead"] == "110 TB"
    assert outcome["answer"]["conclusion"] == GOOD_ESTIMATE["conclusion"]
    assert outcome["report"]["status"] == Report.Status.DONE
    assert outcome["report"]["computed_in"] == Report.Where.WEB
    assert outcome["report"]["runs"] == 1
    assert outcome["report"]["data"] == expected_report(attempt)
    assert 'id="report"' in outcome["html"]  # the save's response carries the report partial
    # The report was computed during the save; the partial's next poll shows it.
    assert "Estimate report" in outcome["partial"]
    assert "in the web process" in outcome["partial"]
    assert "hx-get" not in outcome["partial"]


def test_a_save_with_redis_down_answers_quickly_and_computes_in_the_web_process(
    learner_attempt,
):
    _, attempt = learner_attempt
    outcome = save_in_child(attempt, f"redis://127.0.0.1:{free_port()}/0")
    assert_computed_in_the_web_process(outcome, attempt)


def test_a_save_with_a_silent_redis_answers_quickly_and_computes_in_the_web_process(
    learner_attempt, silent_redis
):
    _, attempt = learner_attempt
    outcome = save_in_child(attempt, f"redis://127.0.0.1:{silent_redis.port}/0")
    assert silent_redis.accepted, "the child never connected to the silent Redis"
    assert_computed_in_the_web_process(outcome, attempt)


def test_the_save_response_itself_shows_a_report_computed_in_the_web_process(
    learner_attempt,
):
    _, attempt = learner_attempt
    outcome = save_in_child(attempt, f"redis://127.0.0.1:{free_port()}/0")
    assert outcome["report"]["computed_in"] == Report.Where.WEB
    assert "in the web process" in outcome["html"]


# -- Retries ---------------------------------------------------------------------------------


@pytest.fixture
def eager_retries():
    """``apply()`` runs a task and its retries here, one after another, without waiting.
    Eager retries only loop when errors are not propagated (each retry is a new apply)."""
    before = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = before


def test_the_task_retries_a_database_error_then_marks_the_report_failed(
    alice, url_shortener, eager_retries
):
    attempt = services.start_attempt(alice, url_shortener)
    answer = services.save_phase(attempt, 2, GOOD_ESTIMATE)  # on_commit never fires here
    report = Report.objects.get(answer=answer)
    assert report.status == Report.Status.PENDING

    failing = mock.Mock(side_effect=OperationalError("the database is restarting"))
    with (
        mock.patch.object(services, "run_report", failing),
        mock.patch("tutor.tasks.backoff_with_jitter", wraps=backoff_with_jitter) as backoff,
    ):
        result = compute_report.apply(args=[report.pk, answer.revision])

    assert result.successful()
    assert failing.call_count == MAX_RETRIES + 1
    assert [c.args[0] for c in backoff.call_args_list] == list(range(MAX_RETRIES))
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert "database could not be reached" in report.error
    assert report.completed_at is not None

    client = Client()
    client.force_login(alice)
    html = client.get(phase_two_url(attempt), **REPORT_GET).content.decode()
    assert "could not be computed" in html
    assert "database could not be reached" in html
    assert "hx-get" not in html  # a failed report is settled: the partial stops polling


def test_a_retry_that_succeeds_stores_the_report_once(alice, url_shortener, eager_retries):
    attempt = services.start_attempt(alice, url_shortener)
    answer = services.save_phase(attempt, 2, GOOD_ESTIMATE)
    report = Report.objects.get(answer=answer)
    real = services.run_report
    calls = []

    def flaky(*args, **kwargs):
        calls.append(args)
        if len(calls) < 3:
            raise OperationalError("connection dropped")
        return real(*args, **kwargs)

    with mock.patch.object(services, "run_report", flaky):
        compute_report.apply(args=[report.pk, answer.revision])

    assert len(calls) == 3
    report.refresh_from_db()
    assert report.status == Report.Status.DONE
    assert report.computed_in == Report.Where.WORKER
    assert report.data == expected_report(attempt)


@pytest.mark.parametrize("retries", [0, 1, 2, 3, 4, 5, 10])
def test_backoff_with_jitter_stays_within_zero_and_the_capped_exponential(retries):
    base, cap = 1.0, 30.0
    waits = [backoff_with_jitter(retries, base=base, cap=cap) for _ in range(200)]
    assert all(0 <= w <= min(cap, base * 2**retries) for w in waits)
    assert len(set(waits)) > 1  # jittered, so retries do not stampede together


def test_backoff_with_jitter_honours_base_and_cap():
    assert all(0 <= backoff_with_jitter(3, base=0.5, cap=2.0) <= 2.0 for _ in range(200))
    assert all(0 <= backoff_with_jitter(2, base=0.1, cap=30.0) <= 0.4 for _ in range(200))
    assert max(backoff_with_jitter(20) for _ in range(200)) <= 30.0
