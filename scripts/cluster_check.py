"""Two web instances behind HAProxy and two Celery workers; one of each killed mid-run.

    make cluster                    # or: .venv/bin/python scripts/cluster_check.py

Shows that web processes keep no state and that the site outlives a dead web instance and
a dead worker. On this machine only (127.0.0.1), against one PostgreSQL database and one
Redis database, it starts:

- two ``gunicorn tutor.wsgi`` instances, run from the repository root so a root
  ``gunicorn.conf.py`` applies; only ``--bind`` and ``--workers`` are passed;
- HAProxy (Debian's package) in front of them, with the configuration written below to a
  temporary directory: round robin, health checks, short timeouts, and a retry elsewhere
  only where that is safe (see ``HAPROXY_CONFIG``);
- two Celery workers (concurrency 1 each, each report task held ``TASK_DELAY_MS`` by the
  test hook ``TUTOR_TEST_REPORT_DELAY_MS`` so a kill finds one mid-task) and one beat.

The database is ``<name>_cluster`` beside the one ``DATABASE_URL`` names (created when
missing, migrated, given the shipped problem sets); Redis is the server of ``REDIS_URL``
with database ``CLUSTER_REDIS_DB`` (default 2), emptied first: it must be used by nothing
else. Every process gets ``REPORT_STALE_SECONDS`` (default 3): a report pending or running
longer than that is handed to a worker again when its page polls (and by beat).

``LEARNERS`` simulated learners, each a thread with its own keep-alive connection to
HAProxy, log in through the login form, then save phase 1 and phase 2 over htmx in a loop
(one text field carries a token naming the save), and after each phase 2 save poll its
report the way the page does (GET with ``HX-Request``, ``HX-Target: report``, once a
second). A save that fails is sent again, as a learner pressing Save again would.
After ``RUN_BEFORE_KILL`` seconds one web instance (gunicorn master and workers) and one
worker (main process and pool, the one with a report task in hand) are killed with
SIGKILL; the learner whose report that worker held stops saving phase 2, so that report
must be recovered, not replaced. The learners go on for ``RUN_AFTER_KILL`` seconds, then
wait for their last report.

Asserts, reading PostgreSQL at the end: no acknowledged save lost (each learner's stored
phase 1 and 2 hold the text of their last acknowledged save at the revision the response
gave, or a later save of theirs); every report done, for the answer's current revision;
both instances served saves; both workers ran report tasks; no request failed before the
kill and none after HAProxy took the dead instance out. Prints the requests per instance,
the errors during the failover, the tasks per worker and the times. Bounded: a hard
deadline (``HARD_DEADLINE``), and everything started is stopped on the way out, also on
Ctrl-C or SIGTERM. Exits 0 when every check holds, 1 when one fails, 2 when it cannot run.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def cluster_database_url(url: str) -> str:
    """The database beside ``url``'s, named ``<name>_cluster``."""
    parsed = urlparse(url)
    return parsed._replace(path=f"/{parsed.path.lstrip('/') or 'tutor'}_cluster").geturl()


def cluster_redis_url(url: str, db: int) -> str:
    """The Redis server of ``url`` with database ``db``."""
    return urlparse(url)._replace(path=f"/{db}").geturl()


REDIS_DB = int(os.environ.get("CLUSTER_REDIS_DB") or 2)
REPORT_STALE_SECONDS = int(os.environ.get("REPORT_STALE_SECONDS") or 3)
os.environ.update(
    DATABASE_URL=cluster_database_url(
        os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/tutor"
    ),
    REDIS_URL=cluster_redis_url(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379", REDIS_DB),
    REPORT_STALE_SECONDS=str(REPORT_STALE_SECONDS),
    # HAProxy appends the client's address to X-Forwarded-For (option forwardfor): the
    # log-in lock-outs count per client, not per balancer.
    TRUSTED_PROXY_COUNT="1",
)

import bench_http  # noqa: E402 - reads the environment set above
from bench_http import _FORM_ONLY, Client, form_fields, free_port, hidden_fields  # noqa: E402

HOST = bench_http.HOST
LEARNERS = 6
WEB_WORKERS = 2  # gunicorn workers per instance: two instances on a machine of two cores
TASK_DELAY_MS = 1500  # each report task's extra time in the worker, so a kill finds one
RUN_BEFORE_KILL = 8.0  # s of learners saving before the kills
RUN_AFTER_KILL = 12.0  # s of learners saving after them
REPORT_WAIT = 6.0  # s a learner waits for its report before saving again
DRAIN_TIMEOUT = 30.0  # s, at the end, for every learner's last report
POLL_INTERVAL = 1.0  # s between report polls, as the page's hx-trigger="load delay:1s"
THINK_TIME = 0.2  # s between a learner's saves
READY_TIMEOUT = 40.0  # s for every process to be ready
HARD_DEADLINE = 150  # s for the whole run; then everything is stopped
SAVED_TEXT = bench_http.SAVED_TEXT
# The text field each phase's save changes, so every save makes a new revision.
TOKEN_FIELDS = {1: "clarifications__notes", 2: "conclusion__implication"}
TOKEN = re.compile(r"\[(?P<user>[\w-]+) (?P<phase>\d)\.(?P<n>\d+)\]")
HTMX_SAVE = {"HX-Request": "true", "HX-Target": "workspace"}
HTMX_REPORT = {"HX-Request": "true", "HX-Target": "report"}

# The load balancer. Health checks ask /healthz/live, not /healthz/ready: every instance
# shares the one database, so when it is down "ready" fails on all of them at once and
# HAProxy would answer its own 503 instead of the tutor's page; what tells instances apart
# is whether the process answers at all, which "live" shows without a query (2 checks
# per second per instance cost nothing). A connection refused (the instance is dead) is
# retried on the other instance for every method: the request never reached a server.
# A request that reached a server which then closed without answering is retried only
# for GET and HEAD; a POST may have been saved, so it gets 502 and the learner decides
# (the tutor's base_revision makes pressing Save again safe).
HAPROXY_CONFIG = """\
global
    maxconn 512
    stats socket {socket} mode 600 level admin

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 10s
    timeout queue 5s
    timeout http-request 5s
    timeout http-keep-alive 5s
    timeout check 1s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    option forwardfor

frontend tutor
    bind {host}:{port}
    default_backend web

backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri /healthz/live ver HTTP/1.1 hdr Host {host}
    http-check expect status 200
    http-request disable-l7-retry unless METH_GET
    http-response set-header X-Backend %s
    default-server check inter 1s fastinter 500ms downinter 1s fall 2 rise 2
{servers}
"""


class ClusterError(Exception):
    """The cluster could not be set up."""


# -- Processes -----------------------------------------------------------------------------


@dataclass
class Process:
    """A started process, in its own process group so a kill reaches its children."""

    name: str
    popen: subprocess.Popen
    log_path: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL, the whole group: master and workers, or main process and pool."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start(name: str, argv: list[str], tmp: Path, env: dict | None = None) -> Process:
    log_path = tmp / f"{name}.log"
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(
            argv,
            cwd=ROOT,  # a root gunicorn.conf.py is read from here
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Process(name, popen, log_path)


def stop_all(processes: list[Process]) -> None:
    """SIGTERM every main process (a gunicorn master or a Celery worker then stops its
    own children after their current request or task), wait a little, then SIGKILL
    each group, so nothing outlives the check."""
    for process in processes:
        if process.alive():
            process.popen.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 5
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
    for process in processes:
        process.kill()  # the group: children a master left behind too
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.popen.wait(timeout=5)


def answers(port: int, path: str = "/healthz/live") -> bool:
    with contextlib.suppress(OSError, bench_http.http.client.HTTPException):
        conn = bench_http.http.client.HTTPConnection(HOST, port, timeout=1)
        try:
            conn.request("GET", path, headers={"Host": HOST})
            return conn.getresponse().status == 200
        finally:
            conn.close()
    return False


def wait_until(predicate, what: str, processes: list[Process]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while not predicate():
        for process in processes:
            if not process.alive():
                raise ClusterError(f"{process.name} exited early:\n{process.log()[-2000:]}")
        if time.monotonic() > deadline:
            raise ClusterError(f"{what} not ready within {READY_TIMEOUT:.0f} s")
        time.sleep(0.2)


def haproxy_status(socket_path: Path) -> dict[str, str]:
    """Each server's state from HAProxy's stats socket: {"web1": "UP", ...}."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(1)
        s.connect(str(socket_path))
        s.sendall(b"show stat\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    lines = data.decode().splitlines()
    header = lines[0].lstrip("# ").split(",")
    name, status = header.index("svname"), header.index("status")
    rows = [line.split(",") for line in lines[1:] if line.startswith("web,")]
    return {row[name]: row[status] for row in rows if row[name] not in ("BACKEND", "FRONTEND")}


def worker_tasks(process: Process) -> dict[str, int]:
    """Report tasks received and finished, from a worker's log (loglevel info)."""
    log = process.log()
    return {
        "received": len(re.findall(r"compute_report\[[^\]]+\] received", log)),
        "succeeded": len(re.findall(r"compute_report\[[^\]]+\] succeeded", log)),
    }


# -- Set-up ----------------------------------------------------------------------------------


def setup_data(count: int) -> list[tuple[str, int]]:
    """Create and migrate the database, import the shipped problem sets, empty the Redis
    database; learners each with a new attempt at the URL shortener, phases 1 and 2 saved
    from the fixture answers. Returns (username, attempt id) pairs."""
    import django
    import redis
    from bench_estimate import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=2).flushdb()
    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction

    from tutor import services
    from tutor.models import Attempt, Problem, User

    call_command("migrate", verbosity=0)
    call_command(
        "import_problemset", *sorted(str(p) for p in (ROOT / "fixtures/problemsets").glob("*.yaml"))
    )
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    newest = max(p.stat().st_mtime for p in (ROOT / "static").rglob("*") if p.is_file())
    if not manifest.exists() or manifest.stat().st_mtime < newest:  # DEBUG=0 needs it
        call_command("collectstatic", interactive=False, verbosity=0)
    document = json.loads((ROOT / "fixtures/answers/url-shortener.json").read_text())
    problem = Problem.objects.get(problem_set__slug="foundations", slug="url-shortener")
    password = make_password(bench_http.PASSWORD)
    pairs = []
    for index in range(count):
        name = f"cluster-learner-{index:02d}"
        user, _ = User.objects.get_or_create(username=name, defaults={"role": User.Role.LEARNER})
        user.password = password
        user.save(update_fields=["password"])
        Attempt.objects.filter(learner=user).delete()  # each run starts from the fixture
        attempt = services.start_attempt(user, problem)
        with transaction.atomic():
            for number in (1, 2):
                services.save_phase(attempt, number, document["phases"][str(number)])
        pairs.append((name, attempt.pk))
    return pairs


# -- Learners --------------------------------------------------------------------------------


@dataclass
class Ack:
    token: str
    revision: int
    at: float


@dataclass
class Tally:
    """What every learner saw, shared between their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    by_backend: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[tuple[float, str]] = field(default_factory=list)
    acks: dict[tuple[str, int], list[Ack]] = field(default_factory=dict)
    sent: dict[tuple[str, int], list[tuple[str, float]]] = field(default_factory=dict)
    reports_seen: dict[str, int] = field(default_factory=dict)
    frozen: set[str] = field(default_factory=set)  # learners who stop saving phase 2

    def count(self, kind: str, backend: str) -> None:
        with self.lock:
            per = self.by_backend.setdefault(backend or "haproxy-itself", {})
            per[kind] = per.get(kind, 0) + 1

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append((time.monotonic(), what))


class Learner:
    def __init__(self, port: int, username: str, attempt_id: int, tally: Tally, posts: dict):
        self.port = port
        self.username = username
        self.attempt_id = attempt_id
        self.tally = tally
        self.posts = posts
        self.client = Client(port)
        self.fields: dict[int, dict[str, str]] = {}
        self.saves = 0
        self.last_report_revision = 0

    def path(self, number: int) -> str:
        return f"/attempts/{self.attempt_id}/phases/{number}/"

    def request(self, kind: str, method: str, path: str, fields=None, headers=None):
        """One request; (status, headers, text), status 0 for a broken connection."""
        try:
            status, got, text = self.client.request(method, path, fields, headers)
        except (OSError, bench_http.http.client.HTTPException) as exc:
            self.client.close()
            self.tally.error(f"{self.username} {kind} {method} {path}: {type(exc).__name__}")
            return 0, {}, ""
        self.tally.count(kind, got.get("x-backend", ""))
        if status >= 500:
            self.client.close()
            self.tally.error(f"{self.username} {kind} {method} {path}: HTTP {status}")
        return status, got, text

    def login(self) -> None:
        for _ in range(3):
            with contextlib.suppress(bench_http.BenchError, OSError):
                self.client.login(self.username)
                return
            self.client.close()
            time.sleep(0.5)
        raise ClusterError(f"{self.username} could not log in")

    def load(self, number: int) -> bool:
        status, _, page = self.request("page", "GET", self.path(number))
        if status != 200:
            return False
        fields = form_fields(page, 'id="phase-form"')
        fields.update(self.posts[number])
        fields.update(hidden_fields(_FORM_ONLY(page)))
        self.fields[number] = fields
        return True

    def save(self, number: int) -> int | None:
        """Save the phase with a new token; sent again after a failure, as a learner
        pressing Save again would. Returns the revision acknowledged, or None."""
        if number not in self.fields and not self.load(number):
            return None
        self.saves += 1
        token = f"[{self.username} {number}.{self.saves}]"
        text = f"{self.posts[number][TOKEN_FIELDS[number]]} {token}"
        key = (self.username, number)
        for _ in range(3):
            fields = {**self.fields[number], TOKEN_FIELDS[number]: text}
            headers = {
                **HTMX_SAVE,
                "HX-Current-URL": f"http://{HOST}:{self.port}{self.path(number)}",
                "X-CSRFToken": fields.get("csrfmiddlewaretoken", ""),
            }
            with self.tally.lock:
                self.tally.sent.setdefault(key, []).append((token, time.monotonic()))
            status, _, body = self.request("save", "POST", self.path(number), fields, headers)
            if status == 200 and SAVED_TEXT in body:
                renewed = hidden_fields(_FORM_ONLY(body) or body)
                self.fields[number].update(renewed)
                revision = int(renewed["base_revision"])
                with self.tally.lock:
                    self.tally.acks.setdefault(key, []).append(
                        Ack(token, revision, time.monotonic())
                    )
                return revision
            if 400 <= status < 500:
                self.tally.error(f"{self.username} save phase {number}: HTTP {status}")
                self.fields.pop(number, None)  # read the form again: a newer revision
                return None
            time.sleep(0.5)
        return None

    def report(self, revision: int, timeout: float) -> str:
        """Poll the report as the page does until it is settled for ``revision`` (or
        a later one); "done", "failed", or "computing" when the time ran out."""
        deadline = time.monotonic() + timeout
        while True:
            status, _, body = self.request("poll", "GET", self.path(2), headers=HTMX_REPORT)
            shown = re.search(r"for revision (\d+)", body)
            if status == 200 and "hx-get=" not in body and shown and int(shown[1]) >= revision:
                state = "done" if "could not be computed" not in body else "failed"
                with self.tally.lock:
                    self.tally.reports_seen[state] = self.tally.reports_seen.get(state, 0) + 1
                return state
            if status == 200 and "could not be computed" in body:
                return "failed"
            if time.monotonic() + POLL_INTERVAL > deadline:
                return "computing"
            time.sleep(POLL_INTERVAL)

    def run(self, stop_saving: threading.Event, drain_until: list[float]) -> None:
        self.load(1)
        self.load(2)
        while not stop_saving.is_set():
            self.save(1)
            if self.username in self.tally.frozen:
                # Its report was in the killed worker's hands: wait for the recovery.
                if self.last_report_revision:
                    self.report(self.last_report_revision, POLL_INTERVAL)
            else:
                revision = self.save(2)
                if revision:
                    self.last_report_revision = revision
                    self.report(revision, REPORT_WAIT)
            time.sleep(THINK_TIME)
        if self.last_report_revision:
            self.report(self.last_report_revision, max(0.0, drain_until[0] - time.monotonic()))


# -- The run ---------------------------------------------------------------------------------


def kill_worker_mid_task(workers: list[Process], hostnames: dict[str, str], timeout=5.0):
    """SIGKILL the worker that has a report task in hand, checked in PostgreSQL just
    before the kill (the report is running at the task's revision); the last worker if
    none had one within ``timeout``. Returns (worker, (report id, revision) or None)."""
    from tutor import celery_app
    from tutor.models import Report

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        active = celery_app.control.inspect(list(hostnames.values()), timeout=1.0).active() or {}
        for worker in workers:
            for task in active.get(hostnames[worker.name], []):
                if not task.get("name", "").endswith("compute_report"):
                    continue
                args = task.get("args")
                report_id, revision = ast.literal_eval(args) if isinstance(args, str) else args
                running = Report.objects.filter(
                    pk=report_id, revision=revision, status=Report.Status.RUNNING
                )
                if running.exists():
                    worker.kill()
                    return worker, (int(report_id), int(revision))
        time.sleep(0.1)
    workers[-1].kill()
    return workers[-1], None


def log_errors(text: str) -> list[str]:
    """The exception line closing each traceback in a log, once each."""
    lines, found = text.splitlines(), []
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = next(
                (x for x in lines[i + 1 :] if x and not x[0].isspace() and "Traceback" not in x),
                "",
            )
            if end and end not in found:
                found.append(end)
    return found


def run(tmp: Path, processes: list[Process]) -> bool:
    t0 = time.monotonic()
    pairs = setup_data(LEARNERS)  # sets Django up
    from tests.tutor.helpers import phase_post
    from tutor import celery_app
    from tutor.forms import forms_for
    from tutor.models import PhaseAnswer, Report

    print(
        f"database {urlparse(os.environ['DATABASE_URL']).path.lstrip('/')}, Redis db {REDIS_DB}"
        f" (emptied), REPORT_STALE_SECONDS={REPORT_STALE_SECONDS}; {len(pairs)} learners with"
        f" a fresh attempt ({time.monotonic() - t0:.1f} s)"
    )

    t_start = time.monotonic()
    webs = []
    for name in ("web1", "web2"):
        port = free_port()
        argv = [str(ROOT / ".venv/bin/gunicorn"), "tutor.wsgi"]
        argv += ["--bind", f"{HOST}:{port}", "--workers", str(WEB_WORKERS)]
        webs.append((start(name, argv, tmp), port))
        processes.append(webs[-1][0])
    worker_env = {"TUTOR_TEST_REPORT_DELAY_MS": str(TASK_DELAY_MS)}
    workers, hostnames = [], {}
    for name in ("worker1", "worker2"):
        hostnames[name] = f"cluster-{name}-{os.getpid()}@{socket.gethostname()}"
        argv = [str(ROOT / ".venv/bin/celery"), "-A", "tutor", "worker", "--pool", "prefork"]
        argv += ["--concurrency", "1", "--loglevel", "info", "-n", hostnames[name]]
        argv += ["--without-gossip", "--without-mingle"]
        workers.append(start(name, argv, tmp, worker_env))
        processes.append(workers[-1])
    beat_argv = [str(ROOT / ".venv/bin/celery"), "-A", "tutor", "beat", "--loglevel", "info"]
    beat_argv += ["--schedule", str(tmp / "beat-schedule")]
    processes.append(start("beat", beat_argv, tmp))

    lb_port, lb_socket = free_port(), tmp / "haproxy.sock"
    config = tmp / "haproxy.cfg"
    config.write_text(
        HAPROXY_CONFIG.format(
            socket=lb_socket,
            host=HOST,
            port=lb_port,
            servers="\n".join(f"    server {w.name} {HOST}:{port}" for w, port in webs),
        )
    )
    checked = subprocess.run(
        ["haproxy", "-c", "-q", "-f", str(config)], capture_output=True, text=True, check=False
    )
    if checked.returncode != 0:
        raise ClusterError(f"haproxy rejects the configuration:\n{checked.stderr}")
    haproxy = start("haproxy", ["haproxy", "-db", "-f", str(config)], tmp)
    processes.append(haproxy)

    for web, port in webs:
        wait_until(lambda port=port: answers(port), web.name, processes)

    def pinged() -> bool:
        replies = celery_app.control.ping(list(hostnames.values()), timeout=0.5)
        return len({host for reply in replies for host in reply}) == len(hostnames)

    wait_until(pinged, "the workers", processes)
    wait_until(
        lambda: all(s == "UP" for s in haproxy_status(lb_socket).values()) and answers(lb_port),
        "haproxy with both instances up",
        processes,
    )
    print(
        f"started in {time.monotonic() - t_start:.1f} s on {HOST}: haproxy :{lb_port} -> "
        + ", ".join(f"{w.name} :{port}" for w, port in webs)
        + f" (gunicorn --workers {WEB_WORKERS} each); worker1, worker2 (concurrency 1, "
        f"each task held {TASK_DELAY_MS} ms); beat"
    )

    document = json.loads((ROOT / "fixtures/answers/url-shortener.json").read_text())
    posts = {n: phase_post(forms_for(n), document["phases"][str(n)]) for n in (1, 2)}
    tally = Tally()
    learners = [Learner(lb_port, name, attempt, tally, posts) for name, attempt in pairs]
    for learner in learners:
        learner.login()
    stop_saving = threading.Event()
    drain_until = [0.0]
    threads = [
        threading.Thread(target=learner.run, args=(stop_saving, drain_until), daemon=True)
        for learner in learners
    ]
    t_run = time.monotonic()
    for thread in threads:
        thread.start()
    print(f"{len(learners)} learners logged in through haproxy; saving phases 1 and 2")

    time.sleep(max(0.0, t_run + RUN_BEFORE_KILL - time.monotonic()))
    before = {k: dict(v) for k, v in tally.by_backend.items()}
    victim_web = webs[0][0]
    victim_worker, task = kill_worker_mid_task(workers, hostnames)
    t_kill, t_kill_wall = time.monotonic(), time.time()
    victim_web.kill()
    frozen_report = None
    killed = (
        f"t+{t_kill - t_run:.1f} s: SIGKILL {victim_web.name} (master and workers) and "
        f"{victim_worker.name} (main and pool)"
    )
    report = task and Report.objects.select_related("answer__attempt__learner").get(pk=task[0])
    if report and report.revision == task[1] and report.status == Report.Status.RUNNING:
        owner = report.answer.attempt.learner.username
        tally.frozen.add(owner)
        frozen_report = (task[0], task[1], owner)
        print(
            f"{killed}, which was computing report {task[0]} (revision {task[1]}) of "
            f"{owner}; {owner} stops saving phase 2, so that report must be recovered"
        )
    elif report:
        print(f"{killed}; the report it held, {task[0]}, was {report.status} by the kill")
    else:
        print(f"{killed}, which held no report task")
    t_down = None
    while time.monotonic() < t_run + RUN_BEFORE_KILL + RUN_AFTER_KILL:
        if t_down is None and haproxy_status(lb_socket).get(victim_web.name, "").startswith("DOWN"):
            t_down = time.monotonic()
        time.sleep(0.1)
    stop_saving.set()
    drain_until[0] = time.monotonic() + DRAIN_TIMEOUT
    for thread in threads:
        thread.join(max(0.0, drain_until[0] - time.monotonic()) + 2 * bench_http.REQUEST_TIMEOUT)
    t_end = time.monotonic()
    stuck_threads = sum(thread.is_alive() for thread in threads)

    # -- What PostgreSQL holds ----------------------------------------------------------
    stored = {
        (a.attempt.learner.username, a.phase): a
        for a in PhaseAnswer.objects.select_related("attempt__learner").filter(
            attempt_id__in=[attempt for _, attempt in pairs], phase__in=(1, 2)
        )
    }
    lost, unacknowledged = [], 0
    for key, acks in sorted(tally.acks.items()):
        revisions = [ack.revision for ack in acks]
        if any(b <= a for a, b in zip(revisions, revisions[1:], strict=False)):
            lost.append(f"{key}: acknowledged revisions not increasing: {revisions}")
        last = acks[-1]
        answer = stored.get(key)
        if answer is None:
            lost.append(f"{key}: no answer stored, last acknowledged {last.token}")
            continue
        section = "clarifications" if key[1] == 1 else "conclusion"
        text = answer.data.get(section, {}).get(TOKEN_FIELDS[key[1]].split("__")[1], "")
        found = TOKEN.search(text)
        token = found.group(0) if found else "(none)"
        later = [t for t, at in tally.sent.get(key, []) if at > last.at]
        if answer.revision < last.revision:
            lost.append(f"{key}: stored revision {answer.revision} < acknowledged {last.revision}")
        elif answer.revision == last.revision and token != last.token:
            lost.append(f"{key}: revision {last.revision} holds {token}, not {last.token}")
        elif answer.revision > last.revision:
            if token in later:
                unacknowledged += 1  # a save that failed on the way back, stored all the same
            else:
                lost.append(f"{key}: revision {answer.revision} holds {token}, never sent later")
    reports = list(
        Report.objects.select_related("answer__attempt__learner").filter(
            answer__attempt_id__in=[attempt for _, attempt in pairs]
        )
    )
    not_done = [
        r for r in reports if r.status != Report.Status.DONE or r.revision != r.answer.revision
    ]
    frozen_done = None  # seconds from the kill to the held report being done
    if frozen_report:
        frozen_done = next(
            (
                r.completed_at.timestamp() - t_kill_wall
                for r in reports
                if r.pk == frozen_report[0]
                and r.status == Report.Status.DONE
                and r.completed_at is not None  # always set with DONE
            ),
            None,
        )

    # -- The summary ----------------------------------------------------------------------
    saves = sum(len(v) for v in tally.acks.values())
    errors_before = [e for at, e in tally.errors if at < t_kill]
    errors_failover = [e for at, e in tally.errors if t_kill <= at <= (t_down or t_end)]
    errors_after = [e for at, e in tally.errors if t_down and at > t_down]
    backends = sorted(tally.by_backend)
    saves_before = {b: before.get(b, {}).get("save", 0) for b in backends}
    tasks = {w.name: worker_tasks(w) for w in workers}
    computed_in: dict[str, int] = {}
    for r in reports:
        computed_in[r.computed_in or "-"] = computed_in.get(r.computed_in or "-", 0) + 1
    print()
    print("cluster check summary")
    print(
        "  requests per instance: "
        + "; ".join(
            f"{b}: " + ", ".join(f"{k} {n}" for k, n in sorted(tally.by_backend[b].items()))
            for b in backends
        )
    )
    print(
        "  saves per instance before the kill: "
        + ", ".join(f"{b} {n}" for b, n in saves_before.items())
    )
    print(
        f"  saves acknowledged: {saves}; stored although their answer failed: "
        f"{unacknowledged}; lost acknowledged saves: {len(lost)}"
    )
    print(
        f"  errors: {len(errors_before)} before the kill, {len(errors_failover)} during the "
        f"failover (kill to haproxy marking {victim_web.name} DOWN), {len(errors_after)} after"
    )
    for error in errors_failover[:5]:
        print(f"    during the failover: {error}")
    for error in (errors_before + errors_after)[:5]:
        print(f"    error: {error}")
    print(
        "  time to take the dead instance out: "
        + (f"{t_down - t_kill:.1f} s" if t_down else "never, within the run")
    )
    print(
        "  report tasks per worker (received/finished, from their logs): "
        + ", ".join(f"{n} {t['received']}/{t['succeeded']}" for n, t in tasks.items())
        + f" ({victim_worker.name} killed); reports computed in: "
        + ", ".join(f"{k} {n}" for k, n in sorted(computed_in.items()))
    )
    print(
        "  reports polled to the end: "
        + ", ".join(f"{k} {n}" for k, n in sorted(tally.reports_seen.items()))
        + f"; reports done at the end: {len(reports) - len(not_done)}/{len(reports)}"
    )
    if frozen_report:
        print(
            f"  the report the killed worker held (report {frozen_report[0]}, "
            f"{frozen_report[2]}): "
            + (
                f"recovered, done {frozen_done:.1f} s after the kill"
                if frozen_done is not None
                else "NOT recovered"
            )
        )
    for r in not_done:
        age = (time.time() - r.requested_at.timestamp()) if r.requested_at else 0
        print(
            f"    stuck report {r.pk} of {r.answer.attempt.learner.username}: {r.status}, "
            f"revision {r.revision} (answer at {r.answer.revision}), runs {r.runs}, "
            f"requested {age:.0f} s ago"
        )
    for item in lost:
        print(f"    lost: {item}")
    print(
        f"  time: {t_kill - t_run:.1f} s saving before the kill, {t_end - t_kill:.1f} s after "
        f"it to the last report; {t_end - t0:.1f} s in all"
    )

    checks = {
        "no acknowledged save lost": not lost,
        "saves acknowledged before and after the kill": bool(saves)
        and any(a.at > t_kill for acks in tally.acks.values() for a in acks),
        "both instances served saves": all(saves_before.get(w.name) for w, _ in webs),
        "both workers ran report tasks": all(t["succeeded"] for t in tasks.values()),
        "every report done for its answer's revision": bool(reports) and not not_done,
        "no error before the kill": not errors_before,
        f"haproxy took {victim_web.name} out": t_down is not None,
        "no error once haproxy took it out": not errors_after,
        "every learner finished": not stuck_threads,
    }
    failed = [name for name, ok in checks.items() if not ok]
    print("RESULT: " + ("ok" if not failed else "FAILED: " + "; ".join(failed)))
    return not failed


def main() -> int:
    def stop(signum, frame):
        raise SystemExit(f"stopped by signal {signum} (hard deadline {HARD_DEADLINE} s)")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGALRM, stop)
    if not shutil.which("haproxy"):
        print("haproxy is missing: apt-get install haproxy", file=sys.stderr)
        return 2
    signal.alarm(HARD_DEADLINE)
    processes: list[Process] = []
    with tempfile.TemporaryDirectory(prefix="tutor-cluster-") as tmp:
        try:
            return 0 if run(Path(tmp), processes) else 1
        except ClusterError as exc:
            print(f"cluster check could not run: {exc}", file=sys.stderr)
            return 2
        finally:
            signal.alarm(0)
            stop_all(processes)
            for process in processes:
                for line in log_errors(process.log())[:3]:
                    print(f"    {process.name} log: {line}")


if __name__ == "__main__":
    sys.exit(main())
