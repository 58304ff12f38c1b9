"""Phase 2's estimate: in-process cost, and save-to-report-visible through one worker.

    make bench                      # or: .venv/bin/python scripts/bench_estimate.py [N]

(a) Parses the sound URL-shortener estimate and computes its report
    (``phases.estimation.computed``) ~2,000 times in process: median and p99.
(b) Against PostgreSQL and Redis with one real Celery worker: N times (default 100),
    an htmx POST of the phase 2 save, then the htmx report GET (HX-Target: report)
    polled until it shows "Estimate report". Prints the save POST latency and the time
    from the start of the POST to the report being visible, median and p99.

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/tutor_bench (created if
missing, then migrated and given the shipped problem set); REDIS_URL to
redis://127.0.0.1:6379/1, whose default Celery queue is purged first. Not a test: timings
on a shared machine are noisy, so they are reported, never asserted.
"""

import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tutor_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
os.environ.update(
    SECRET_KEY="bench-only-secret-not-for-deploy",
    DEBUG="0",
    SECURE_COOKIES="0",
    ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
    DJANGO_SETTINGS_MODULE="tutor.settings",
)

IN_PROCESS_RUNS = 2000
SAVES = 100
POLL_INTERVAL = 0.005  # s between report GETs; bounds the resolution of "visible"
VISIBLE_TIMEOUT = 20.0  # s for one report to show before the run is abandoned
TOTAL_TIMEOUT = 600.0  # s for the whole worker part
WORKER_READY_TIMEOUT = 30.0


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    median = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return f"median {median:.2f} ms, p99 {p99:.2f} ms"


def ensure_database(url: str) -> None:
    """Create the benchmark database when it does not exist yet."""
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def bench_in_process(document: dict, spec) -> None:
    from phases import estimation
    from phases.engine.design import Design

    timings = []
    for _ in range(IN_PROCESS_RUNS):
        start = time.perf_counter()
        estimation.computed(Design({2: document}, spec))  # parses phase 2 on first use
        timings.append(time.perf_counter() - start)
    print(
        f"(a) in process, parse + estimation.computed(design): {percentiles(timings)}, "
        f"{IN_PROCESS_RUNS} runs"
    )


def start_worker(log_file) -> subprocess.Popen:
    from tutor import celery_app

    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "tutor",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--loglevel",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"bench-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + WORKER_READY_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit("the worker exited before it was ready")
            replies = celery_app.control.ping(timeout=0.5)
            if any(host.startswith(f"bench-{os.getpid()}@") for r in replies for host in r):
                others = sorted(host for r in replies for host in r)
                if len(others) > 1:
                    print(f"    warning: other workers share this broker: {others}")
                return process
        raise SystemExit(f"the worker did not answer a ping within {WORKER_READY_TIMEOUT:.0f} s")
    except BaseException:
        stop_worker(process)
        raise


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):  # the group started above: pool children too
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def bench_worker(document: dict, saves: int) -> None:
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from tests.tutor.helpers import estimation_post
    from tutor import celery_app, services
    from tutor.models import Problem, Report, User

    call_command("migrate", verbosity=0)
    call_command("import_problemset", str(ROOT / "fixtures/problemsets/foundations.yaml"))
    if not (ROOT / "staticfiles" / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    user, _ = User.objects.get_or_create(username="bench", defaults={"role": User.Role.LEARNER})
    problem = Problem.objects.get(problem_set__slug="foundations", slug="url-shortener")
    attempt = services.start_attempt(user, problem)
    client = Client()
    client.force_login(user)
    url = reverse("phase", args=[attempt.pk, 2])
    post_data = estimation_post(document)

    celery_app.control.purge()
    with tempfile.NamedTemporaryFile("w+b", prefix="bench-worker-", suffix=".log") as log:
        worker = start_worker(log)
        posts: list[float] = []
        visible: list[float] = []
        where: dict[str, int] = {}
        try:
            overall = time.monotonic() + TOTAL_TIMEOUT
            for i in range(saves):
                if time.monotonic() > overall:
                    print(f"stopped after {i} saves: over {TOTAL_TIMEOUT:.0f} s in total")
                    break
                start = time.perf_counter()
                response = client.post(url, post_data, HTTP_HX_REQUEST="true")
                posts.append(time.perf_counter() - start)
                if response.status_code != 200 or "Saved and checked." not in response.text:
                    raise SystemExit(f"save {i} failed: HTTP {response.status_code}")
                deadline = time.monotonic() + VISIBLE_TIMEOUT
                while True:
                    html = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="report").text
                    if "Estimate report" in html:
                        visible.append(time.perf_counter() - start)
                        break
                    if "could not be computed" in html or time.monotonic() > deadline:
                        raise SystemExit(f"save {i}: no report within {VISIBLE_TIMEOUT:.0f} s")
                    time.sleep(POLL_INTERVAL)
                report = Report.objects.get(answer__attempt=attempt, answer__phase=2)
                where[report.computed_in] = where.get(report.computed_in, 0) + 1
        finally:
            stop_worker(worker)
            log.seek(0)
            lines = log.read().decode(errors="replace").splitlines()
    print(f"(b) one worker, {len(posts)} saves, report computed in: {where}")
    print(f"    save POST (htmx): {percentiles(posts)}")
    print(
        f"    POST start → report visible (polled every {POLL_INTERVAL * 1000:.0f} ms): "
        f"{percentiles(visible)}"
    )
    problems = [line for line in lines if "ERROR" in line or "WARNING" in line]
    for line in problems[-5:]:
        print(f"    worker log: {line}")


def main() -> None:
    import yaml

    saves = int(sys.argv[1]) if len(sys.argv) > 1 else SAVES
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from phases.engine.design import ProblemSpec
    from tests.tutor.helpers import GOOD_ESTIMATE

    problems = yaml.safe_load((ROOT / "fixtures/problemsets/foundations.yaml").read_text())
    shortener = next(p for p in problems["problems"] if p["slug"] == "url-shortener")
    spec = ProblemSpec(
        "url-shortener",
        givens=shortener.get("givens", {}),
        expectations=shortener.get("expectations", {}),
    )
    print(f"database {os.environ['DATABASE_URL']}, broker {os.environ['REDIS_URL']}")
    bench_in_process(GOOD_ESTIMATE, spec)
    bench_worker(GOOD_ESTIMATE, saves)


if __name__ == "__main__":
    main()
