"""A PostgreSQL that accepts connections and never answers, and Redis down for readiness.

The database is reached through ``tests/faults.py``'s proxy, which is switched to silent
while connections are open and pooled: the bound of ``tutor/database.py`` ends every wait,
gunicorn (``gunicorn.conf.py``) keeps ``/healthz/live`` and static files answering, the
Celery worker's report completes once the database is back, and ``/healthz/ready`` says
503 for the database but not for Redis.
"""

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError, connection, connections
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

from tests.factories import make_user, shipped_problem_set, subprocess_env
from tests.faults import TcpProxy
from tests.tutor.helpers import GOOD_ESTIMATE, estimation_post
from tests.worker import wait_for
from tutor import services
from tutor.models import PhaseAnswer, Report

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"

QUERY_TIMEOUT = 3  # s, DB_QUERY_TIMEOUT for the processes under test
CONNECT_TIMEOUT = 2  # s, DB_CONNECT_TIMEOUT
# The longest a request may wait for a silent database: the pooled connection's health
# check gives up after QUERY_TIMEOUT, a new connection after CONNECT_TIMEOUT; then a
# generous margin for a shared, noisy machine.
REQUEST_BOUND = QUERY_TIMEOUT + CONNECT_TIMEOUT + 5

needs_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs PostgreSQL in DATABASE_URL",
)
needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs a real Redis in REDIS_URL"
)
pytestmark = needs_postgresql


@pytest.fixture
def db_proxy(transactional_db):
    """A proxy in front of the test database, forwarding until told otherwise."""
    db = connection.settings_dict
    with TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)) as proxy:
        yield proxy


def proxied_database_url(proxy: TcpProxy) -> str:
    return proxy.url_for(subprocess_env()["DATABASE_URL"])


def finishes_within(seconds: float, function):
    """Run ``function`` in a thread; return (its result or exception, elapsed seconds).
    Fails instead of hanging the test run when it is still waiting after ``seconds``."""
    outcome = {}

    def run():
        started = time.monotonic()
        try:
            outcome["value"] = function()
        except Exception as exc:  # noqa: BLE001 - handed to the test
            outcome["value"] = exc
        outcome["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s"
    return outcome["value"], outcome["elapsed"]


# -- The bound itself, in process --------------------------------------------------------


def bounded_connection(host: str, port: int):
    """A second Django connection to the test database at ``host:port``."""
    settings_dict = {**connection.settings_dict, "HOST": host, "PORT": port}
    wrapper = type(connections["default"])(settings_dict, alias="proxied")
    wrapper.inc_thread_sharing()  # finishes_within() uses it from another thread
    return wrapper


@pytest.fixture
def proxied_connection(db_proxy, settings):
    """A second Django connection to the test database, through the proxy, bounded."""
    settings.DB_QUERY_TIMEOUT = QUERY_TIMEOUT
    wrapper = bounded_connection(db_proxy.host, db_proxy.port)
    yield wrapper
    with contextlib.suppress(Exception):
        wrapper.close()


def select(wrapper, sql: str):
    with wrapper.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def test_a_query_on_an_open_connection_to_a_silent_database_fails_within_the_bound(
    db_proxy, proxied_connection
):
    assert select(proxied_connection, "SELECT 1") == (1,)
    db_proxy.silent()

    error, elapsed = finishes_within(REQUEST_BOUND, lambda: select(proxied_connection, "SELECT 2"))

    assert isinstance(error, OperationalError), error
    assert "did not answer within" in str(error)
    assert elapsed >= QUERY_TIMEOUT - 0.5
    # The connection was left mid-query: it is closed and dropped, never reused.
    proxied_connection.close_if_unusable_or_obsolete()
    assert proxied_connection.connection is None

    db_proxy.forward()
    assert select(proxied_connection, "SELECT 3") == (3,)  # a new connection


def test_a_commit_on_a_silent_database_fails_within_the_bound(db_proxy, proxied_connection):
    proxied_connection.set_autocommit(False)
    select(proxied_connection, "SELECT 1")  # a transaction is open
    db_proxy.silent()

    error, _ = finishes_within(REQUEST_BOUND, proxied_connection.commit)

    assert isinstance(error, OperationalError), error


def test_a_slow_query_under_the_bound_is_unaffected(proxied_connection):
    seconds = QUERY_TIMEOUT / 3
    assert select(proxied_connection, f"SELECT pg_sleep({seconds}), 1") == ("", 1)
    assert proxied_connection.is_usable()


def test_postgresql_cancels_a_runaway_statement_itself_and_the_connection_stays_usable(
    transactional_db,
):
    # With the settings' own bound: statement_timeout, 80 % of it, fires first on a live
    # server and the connection stays usable.
    db = connection.settings_dict
    wrapper = bounded_connection(db["HOST"], db["PORT"])
    try:
        error, _ = finishes_within(
            settings.DB_QUERY_TIMEOUT * 2,
            lambda: select(wrapper, f"SELECT pg_sleep({settings.DB_QUERY_TIMEOUT * 2})"),
        )
        assert isinstance(error, OperationalError), error
        assert "statement timeout" in str(error)
        assert wrapper.is_usable()
    finally:
        wrapper.close()


# -- gunicorn in front of a silent database ----------------------------------------------


def http_get(port: int, path: str, cookie: str = "", timeout: float = REQUEST_BOUND):
    """GET on a new connection; (status, body, elapsed seconds)."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        body = response.read().decode(errors="replace")
        return response.status, body, time.monotonic() - started
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(db_proxy, tmp_path):
    """gunicorn with the repository's gunicorn.conf.py, on the database through the proxy."""
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [str(GUNICORN), "tutor.wsgi", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,  # gunicorn reads ./gunicorn.conf.py
            env=subprocess_env(
                DATABASE_URL=proxied_database_url(db_proxy),
                DB_QUERY_TIMEOUT=str(QUERY_TIMEOUT),
                DB_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
                WEB_CONCURRENCY="2",
                GUNICORN_THREADS="4",
                ALLOWED_HOSTS="127.0.0.1",
                DEBUG="0",
                SECURE_COOKIES="0",
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:

        def live():
            assert process.poll() is None, log_path.read_text()
            with contextlib.suppress(OSError):
                return http_get(port, "/healthz/live", timeout=1)[0] == 200

        wait_for(live, 30, interval=0.2, what="gunicorn to answer")
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def in_parallel(count: int, function):
    results: list = [None] * count

    def run(i):
        results[i] = function()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    return threads, results


def test_gunicorn_on_a_silent_database_answers_503_fast_and_stays_live(db_proxy, gunicorn):
    port = gunicorn
    cookie = session_cookie(make_user("alice"))
    dashboard = reverse("dashboard")
    stylesheet = static("css/tutor.css")

    # Several threads of the workers hold pooled connections.
    threads, results = in_parallel(3, lambda: http_get(port, dashboard, cookie))
    for thread in threads:
        thread.join(REQUEST_BOUND)
    assert [status for status, _, _ in results] == [200] * 3

    db_proxy.silent()
    # Six requests that need the database are in flight: all the threads of one worker
    # and some of the other's (two workers of four threads) ...
    threads, results = in_parallel(6, lambda: http_get(port, dashboard, cookie))
    time.sleep(0.5)
    # ... while liveness and static files answer at once, not behind them.
    live_status, _, live_elapsed = http_get(port, "/healthz/live", timeout=QUERY_TIMEOUT)
    static_status, css, static_elapsed = http_get(port, stylesheet, timeout=QUERY_TIMEOUT)
    assert live_status == 200
    assert live_elapsed < QUERY_TIMEOUT / 2, f"/healthz/live took {live_elapsed:.2f} s"
    assert static_status == 200 and "{" in css
    assert static_elapsed < QUERY_TIMEOUT / 2, f"the stylesheet took {static_elapsed:.2f} s"
    for thread in threads:
        thread.join(REQUEST_BOUND + 1)
    for status, body, elapsed in results:
        assert status == 503, body[:300]
        assert "Temporarily unavailable" in body
        assert elapsed < REQUEST_BOUND, f"the 503 took {elapsed:.2f} s"

    ready_status, ready_body, ready_elapsed = http_get(port, "/healthz/ready")
    assert ready_status == 503
    assert json.loads(ready_body)["ready"] is False
    assert ready_elapsed < REQUEST_BOUND

    # Healed: the site recovers by itself, on new connections (no restart).
    db_proxy.forward()

    def recovered():
        return http_get(port, dashboard, cookie)[0] == 200

    wait_for(recovered, REQUEST_BOUND, interval=0.2, what="the dashboard to answer again")
    statuses = [http_get(port, dashboard, cookie)[0] for _ in range(6)]
    assert statuses == [200] * 6  # no pooled connection left broken behind


# -- The Celery worker on a silent database ----------------------------------------------


@pytest.fixture
def learner_attempt(transactional_db):
    user = make_user("alice")
    problem = shipped_problem_set().problems.get(slug="url-shortener")
    attempt = services.start_attempt(user, problem)
    client = Client()
    client.force_login(user)
    return client, attempt


def report_status(attempt) -> str | None:
    answer = PhaseAnswer.objects.filter(attempt=attempt, phase=2).first()
    report = answer and Report.objects.filter(answer=answer, revision=answer.revision).first()
    return report.status if report else None


@needs_redis
def test_a_worker_on_a_silent_database_does_not_hang_and_completes_once_it_is_back(
    db_proxy, start_worker, learner_attempt
):
    worker = start_worker(
        DATABASE_URL=proxied_database_url(db_proxy),
        DB_QUERY_TIMEOUT=str(QUERY_TIMEOUT),
        DB_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
    )
    client, attempt = learner_attempt
    url = reverse("phase", args=[attempt.pk, 2])
    # A first report through the proxy. Celery closes the task's connections after each
    # task, so the next task opens a new one (bounded by DB_CONNECT_TIMEOUT); silence in the
    # middle of a task is bounded by DB_QUERY_TIMEOUT, as the tests above show in process.
    assert client.post(url, estimation_post(GOOD_ESTIMATE), HTTP_HX_REQUEST="true").status_code
    wait_for(lambda: report_status(attempt) == Report.Status.DONE, 30, what="the first report")

    db_proxy.silent()
    conclusion = {**GOOD_ESTIMATE["conclusion"], "implication": "Sharded store; reads cached."}
    changed = {**GOOD_ESTIMATE, "conclusion": conclusion}
    assert client.post(url, estimation_post(changed), HTTP_HX_REQUEST="true").status_code == 200
    # The worker meets the silence: its waits end (bounded) and the task is retried.
    wait_for(
        lambda: "did not answer within" in worker.output() or "Retry in" in worker.output(),
        REQUEST_BOUND * 2,
        what="the worker to give up a wait on the silent database",
    )
    assert worker.process.poll() is None

    db_proxy.forward()
    wait_for(
        lambda: report_status(attempt) == Report.Status.DONE,
        60,
        what=f"the report once the database is back:\n{worker.output()[-3000:]}",
    )


# -- Readiness: the database is a hard dependency, Redis a soft one -----------------------


def test_ready_with_redis_down_stays_ready_and_shows_redis_degraded(client, db, settings):
    # (A database that is down or silent makes it 503: see the gunicorn test above and
    # tests/tutor/test_security.py.)
    redis_url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings.REDIS_URL = redis_url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("degraded")


# -- The settings --------------------------------------------------------------------------


def settings_in_child(**env) -> subprocess.CompletedProcess:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.DB_QUERY_TIMEOUT, settings.DATABASES['default']['OPTIONS']]))"
    )
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", code],
        cwd=ROOT,
        env=subprocess_env(DJANGO_SETTINGS_MODULE="tutor.settings", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_db_query_timeout_sets_the_servers_statement_timeout_a_little_below_it(db):
    result = settings_in_child(DB_QUERY_TIMEOUT="5")
    assert result.returncode == 0, result.stderr
    seconds, options = json.loads(result.stdout.strip().splitlines()[-1])
    assert seconds == 5
    assert "-c statement_timeout=4000" in options["options"]
    assert options["connect_timeout"] == 3

    result = settings_in_child(DB_QUERY_TIMEOUT="0")  # off: neither bound
    seconds, options = json.loads(result.stdout.strip().splitlines()[-1])
    assert seconds == 0 and "options" not in options


@pytest.mark.parametrize("value", ["-1", "soon"])
def test_a_nonsense_db_query_timeout_stops_the_process_naming_it(db, value):
    result = settings_in_child(DB_QUERY_TIMEOUT=value)
    assert result.returncode != 0
    assert "DB_QUERY_TIMEOUT" in result.stderr
