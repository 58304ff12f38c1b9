"""HTTP benchmark against gunicorn with PostgreSQL and Redis, measured in one run.

    make bench                      # or: .venv/bin/python scripts/bench_http.py

Sets up the ``tutor_bench`` database (created if missing, migrated, the shipped problem
set imported, static files collected), learners each with an attempt at the URL
shortener whose phases 1-8 hold ``fixtures/answers/url-shortener.json``; starts one Celery
worker (phase 2 and 7 saves enqueue their reports to Redis db 1) and ``gunicorn
tutor.wsgi`` with the repository's ``gunicorn.conf.py`` (threaded workers, one process per
core, or ``BENCH_WORKERS``) on a free loopback port with DEBUG=0; logs every simulated
client in through the login form (session cookie, CSRF token).

Then, for each target, 16 threads, each with its own learner and its own ``http.client``
connection (reopened after each response: gunicorn.conf.py turns keep-alive off), send
requests back to back for a fixed time (a short warm-up is not counted) and it prints
requests per second, p50 and p99 of the round trips (sent, then read in full), and the
ratio of the throughput to the floor's; to show that the client is not what is
measured, the p99 with the client's own work around each request included; and where
the CPU went, per request, by process (the web server, PostgreSQL, this client, the
rest of the machine) with how busy the cores were, read from ``/proc`` around the
measured seconds. The machine is shared, so a run can be slow for reasons outside the
code: then the same requests take more CPU, or the cores are busy with other work.

- ``/healthz/live``: the floor (no session, no database);
- a phase page: GET of phase 1, logged in;
- save-and-check: the htmx POST of phase 1 with the whole rule set, built from the form
  on the page (every input, hidden ones such as the CSRF token and ``base_revision``
  included, which each response renews), one text field alternating between two values
  so every request runs the full save and check.

The goal (issue 13's, in place of issue 8's fifth of the floor with p99 under 50 ms): the
save-and-check sustains at least 0.12 of the floor's throughput with p99 under 100 ms at
16 connections. ``make bench`` then runs the load run of
``scripts/load_run.py`` (50 learners for 60 s), which starts the same server its own way
with this module's helpers. Everything started is stopped at the end, also on Ctrl-C or
SIGTERM. Not a test: timings on a shared machine are noisy, so they are reported, never
asserted (only errors fail the run).
"""

from __future__ import annotations

import contextlib
import html
import http.client
import os
import re
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tutor_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
os.environ.update(
    SECRET_KEY="bench-only-secret-not-for-deploy",
    DEBUG="0",
    SECURE_COOKIES="0",
    ALLOWED_HOSTS="127.0.0.1",
    DJANGO_SETTINGS_MODULE="tutor.settings",
)

HOST = "127.0.0.1"
# Processes: gunicorn.conf.py's (WEB_CONCURRENCY), unless BENCH_WORKERS says otherwise.
if os.environ.get("BENCH_WORKERS"):
    os.environ["WEB_CONCURRENCY"] = os.environ["BENCH_WORKERS"]
CONNECTIONS = 16
WARMUP = 1.0  # s per target, not counted
DURATION = 10.0  # s measured per target
REQUEST_TIMEOUT = 10.0  # s for one request
READY_TIMEOUT = 30.0  # s for gunicorn to answer /healthz/live
REPORTS_TIMEOUT = 60.0  # s for the reports enqueued by the set-up to be computed
PASSWORD = "bench-only-Passw0rd-not-for-deploy"
USERNAME = "bench-learner-{:02d}"
SAVED_TEXT = "Saved and checked."
SAVE_RATIO_GOAL = 0.12  # of the floor's requests per second
SAVE_P99_GOAL = 100  # ms


class BenchError(Exception):
    """A request that failed: a wrong status, a missing text, a broken connection."""


# -- A small HTTP client: one keep-alive connection, cookies, forms ----------------------


class Client:
    """One simulated browser: its own connection and cookies. Not thread-safe."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        self.cookies: dict[str, str] = {}
        # The last request's round trip (s): from sending it to having read the whole
        # response, before the client does anything with it.
        self.round_trip = 0.0

    def close(self) -> None:
        self.conn.close()

    def request(
        self, method: str, path: str, fields: dict | None = None, headers: dict | None = None
    ) -> tuple[int, dict[str, str], str]:
        body = urlencode(fields, doseq=True) if fields is not None else None
        sent = {"Host": f"{HOST}:{self.port}", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            reused = self.conn.sock is not None
            try:
                sending = time.monotonic()
                self.conn.request(method, path, body=body, headers=sent)
                response = self.conn.getresponse()
                raw = response.read()
                self.round_trip = time.monotonic() - sending
                text = raw.decode("utf-8", errors="replace")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.conn.close()
                if attempt == 2 or not reused:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def get(self, path: str, headers: dict | None = None, expect: int = 200) -> str:
        status, _, text = self.request("GET", path, headers=headers)
        if status != expect:
            raise BenchError(f"GET {path}: HTTP {status}")
        return text

    def login(self, username: str) -> None:
        page = self.get("/accounts/login/")
        fields = form_fields(page, 'action="/accounts/login/"')
        fields.update(username=username, password=PASSWORD)
        status, headers, _ = self.request("POST", "/accounts/login/", fields)
        if status != 302 or "sessionid" not in self.cookies:
            raise BenchError(f"login {username}: HTTP {status} to {headers.get('location')}")


_FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.S | re.I)
_INPUT = re.compile(r"<input\b([^>]*)>", re.I)
_TEXTAREA = re.compile(r"<textarea\b([^>]*)>(.*?)</textarea>", re.S | re.I)
_SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S | re.I)
_OPTION = re.compile(r"<option\b([^>]*)>", re.I)
_ATTR = re.compile(r'([^\s=/>"]+)(?:\s*=\s*"([^"]*)")?')


def _attrs(text: str) -> dict[str, str]:
    return {k.lower(): html.unescape(v or "") for k, v in _ATTR.findall(text)}


def form_fields(page: str, marker: str) -> dict[str, str]:
    """What a browser submits for the form whose opening tag contains ``marker``: text,
    hidden, checked boxes, textareas and selected options (no submit buttons)."""
    form = next((m for m in _FORM.finditer(page) if marker in m.group("attrs")), None)
    if form is None:
        raise BenchError(f"no form with {marker!r} on the page")
    body = form.group("body")
    fields: dict[str, str] = {}
    for raw in _INPUT.findall(body):
        a = _attrs(raw)
        kind = a.get("type", "text").lower()
        if "name" not in a or kind in ("submit", "button", "reset", "image", "file"):
            continue
        if kind in ("checkbox", "radio") and "checked" not in a:
            continue
        fields[a["name"]] = a.get("value", "on" if kind in ("checkbox", "radio") else "")
    for raw, content in _TEXTAREA.findall(body):
        a = _attrs(raw)
        if "name" in a:
            text = html.unescape(content)
            fields[a["name"]] = text[1:] if text.startswith("\n") else text
    for raw, content in _SELECT.findall(body):
        a = _attrs(raw)
        options = [_attrs(o) for o in _OPTION.findall(content)]
        chosen = next((o for o in options if "selected" in o), options[0] if options else None)
        if "name" in a and chosen is not None:
            fields[a["name"]] = chosen.get("value", "")
    return fields


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a page or fragment (CSRF token, base_revision, ...)."""
    found = {}
    for raw in _INPUT.findall(page):
        a = _attrs(raw)
        if a.get("type", "").lower() == "hidden" and "name" in a:
            found[a["name"]] = a.get("value", "")
    return found


class PhaseForm:
    """The phase form of one learner's attempt, kept current from each response."""

    def __init__(self, client: Client, attempt_id: int, number: int, document: dict | None):
        self.client = client
        self.path = f"/attempts/{attempt_id}/phases/{number}/"
        self.document_fields = document or {}
        self.fields: dict[str, str] = {}

    def load(self) -> None:
        """GET the page and read its form; the benchmark document's fields override the
        visible ones, the page's hidden ones (CSRF, base_revision) are kept."""
        page = self.client.get(self.path)
        self.fields = form_fields(page, 'id="phase-form"')
        self.fields.update(self.document_fields)
        self.fields.update(hidden_fields(_FORM_ONLY(page)))

    def save(self, extra: dict | None = None) -> None:
        """The htmx save-and-check; raises BenchError unless it saved."""
        fields = {**self.fields, **(extra or {})}
        headers = {
            "HX-Request": "true",
            "HX-Target": "workspace",
            "HX-Current-URL": f"http://{HOST}:{self.client.port}{self.path}",
            "X-CSRFToken": self.fields.get("csrfmiddlewaretoken", ""),
        }
        status, _, text = self.client.request("POST", self.path, fields, headers)
        if status != 200 or SAVED_TEXT not in text:
            reason = "conflict" if "revision" in text and "saved" in text.lower() else ""
            raise BenchError(f"save {self.path}: HTTP {status}, not saved {reason}".rstrip())
        # A save answered with the findings only renews base_revision, out of band; one
        # that sends the form back (errors were on show) renews every hidden input.
        self.fields.update(hidden_fields(_FORM_ONLY(text) or text))


def _FORM_ONLY(page: str) -> str:  # noqa: N802 - reads as a filter
    form = next((m for m in _FORM.finditer(page) if 'id="phase-form"' in m.group("attrs")), None)
    return form.group(0) if form else ""


# -- Measuring ---------------------------------------------------------------------------


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def run_target(workers: list, action, duration: float = DURATION) -> dict:
    """Each worker calls ``action(worker, i)`` back to back until the time is up; the
    requests that start after the warm-up and end before the deadline are counted.

    A request's latency is its round trip (``Client.round_trip``: sent, then answered and
    read in full). The client's own work around it (encoding the form, reading the new
    CSRF token and revision out of the response) is not the server's, yet with 16
    client threads sharing one interpreter on the server's cores it waits its turn too:
    the p99 of each whole action, that work included, is reported beside it. ``cpu``:
    the CPU each role used during the measured seconds (``cpu_seconds``)."""
    start = time.monotonic()
    measure_from, measure_to = start + WARMUP, start + WARMUP + duration
    latencies: list[list[float]] = [[] for _ in workers]
    whole: list[list[float]] = [[] for _ in workers]
    errors: list[str] = []

    def loop(index: int) -> None:
        i = 0
        while True:
            begin = time.monotonic()
            if begin >= measure_to:
                return
            failed = False
            try:
                action(workers[index], i)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                errors.append(f"{type(exc).__name__}: {exc}")
                failed = True
                with contextlib.suppress(Exception):
                    workers[index].reset()
            end = time.monotonic()
            if begin >= measure_from and end <= measure_to:
                # A failed request may not have read a response: its whole time counts.
                trip = end - begin if failed else workers[index].client.round_trip
                latencies[index].append(trip)
                whole[index].append(end - begin)
            i += 1

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(len(workers))]
    for t in threads:
        t.start()
    time.sleep(max(0.0, measure_from - time.monotonic()))
    cpu_from = cpu_seconds()
    time.sleep(max(0.0, measure_to - time.monotonic()))
    cpu_used = {role: used - cpu_from.get(role, 0.0) for role, used in cpu_seconds().items()}
    for t in threads:
        t.join(WARMUP + duration + REQUEST_TIMEOUT * 2)
    ordered = sorted(x for per in latencies for x in per)
    return {
        "count": len(ordered),
        "cpu": cpu_used,
        "rps": len(ordered) / duration,
        "p50": percentile(ordered, 0.50) * 1e3,
        "p99": percentile(ordered, 0.99) * 1e3,
        "p99_whole": percentile(sorted(x for per in whole for x in per), 0.99) * 1e3,
        "errors": errors,
    }


# The processes by what they are to the benchmark: a process whose command line names
# gunicorn serves the tutor, one named postgres is PostgreSQL (the machine's server, so
# another database's work counts too), this one is the client.
ROLES = (("web", "gunicorn"), ("database", "postgres"))


def cpu_seconds() -> dict[str, float]:
    """The CPU time (user and system) each role's processes have used so far, the rest of
    the machine's as ``other``, and all of it as ``machine`` (``/proc/stat``: time not
    idle, on every core); empty without ``/proc``. Read before and after a target, the
    difference per request shows where a request's CPU went, and whether the machine
    was busy with something else."""
    if not Path("/proc/stat").exists():
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after the name, which may hold spaces
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        role = next((r for r, word in ROLES if word in command), "other")
        if int(entry.name) == os.getpid():
            role = "client"
        used[role] = used.get(role, 0.0) + seconds
    cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    ticks = [int(x) for x in cpu]
    idle = ticks[3] + ticks[4]  # idle, iowait
    used["machine"] = (sum(ticks[:8]) - idle) / tick  # up to steal; guests are in user
    return used


def cpu_line(cpu: dict[str, float], requests: int, duration: float) -> str:
    """Where the measured requests' CPU went, per request, and how busy the cores were."""
    if not cpu or not requests:
        return ""
    per = ", ".join(
        f"{role} {cpu.get(role, 0.0) / requests * 1e3:.2f}"
        for role in ("web", "database", "client", "other")
    )
    busy = cpu["machine"] / (duration * (os.cpu_count() or 1))
    return f"CPU a request (ms): {per}; cores busy {busy:.0%}"


class Learner:
    """A logged-in client with its attempt and phase forms."""

    def __init__(self, port: int, username: str, attempt_id: int, documents: dict[int, dict]):
        self.port = port
        self.username = username
        self.attempt_id = attempt_id
        self.documents = documents
        self.client = Client(port)
        self.forms: dict[int, PhaseForm] = {}

    def login(self) -> None:
        self.client.login(self.username)

    def form(self, number: int) -> PhaseForm:
        if number not in self.forms:
            self.forms[number] = PhaseForm(
                self.client, self.attempt_id, number, self.documents.get(number)
            )
        return self.forms[number]

    def reset(self) -> None:
        """After an error: a fresh connection and forms read again."""
        self.client.close()
        self.forms.clear()


# -- Set-up and processes ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def setup_data(learners: int) -> tuple[list[tuple[str, int]], dict[int, dict]]:
    """Migrate, import, collect static files; learners with phases 1-8 saved. Returns
    (username, attempt id) pairs and each phase's POST fields for the fixture answers."""
    import json

    import django
    from bench_estimate import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction

    from tests.tutor.helpers import phase_post
    from tutor import services
    from tutor.forms import forms_for
    from tutor.models import Problem, User

    call_command("migrate", verbosity=0)
    call_command("import_problemset", str(ROOT / "fixtures/problemsets/foundations.yaml"))
    call_command("collectstatic", interactive=False, verbosity=0)
    document = json.loads((ROOT / "fixtures/answers/url-shortener.json").read_text())
    phases = {int(k): v for k, v in document["phases"].items()}
    problem = Problem.objects.get(problem_set__slug="foundations", slug="url-shortener")
    password = make_password(PASSWORD)  # hashed once, shared by every bench learner
    pairs = []
    for index in range(learners):
        name = USERNAME.format(index)
        user, _ = User.objects.get_or_create(username=name, defaults={"role": User.Role.LEARNER})
        user.password = password
        user.save(update_fields=["password"])
        attempt = services.start_attempt(user, problem)
        with transaction.atomic():
            for number in range(1, 9):
                services.save_phase(attempt, number, phases[number])
        pairs.append((name, attempt.pk))
    # Each save replaces its findings, so earlier runs leave thousands of dead rows that
    # slow every query until autovacuum comes by: start each run from the same state.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    posts = {n: phase_post(forms_for(n), phases[n]) for n in sorted(phases)}
    return pairs, posts


def wait_for_reports(usernames: list[str]) -> str:
    """Wait until the reports the set-up enqueued are computed (so the worker is idle)."""
    from tutor.models import Report

    pending = Report.objects.filter(answer__attempt__learner__username__in=usernames).exclude(
        status__in=[Report.Status.DONE, Report.Status.FAILED]
    )
    deadline = time.monotonic() + REPORTS_TIMEOUT
    while time.monotonic() < deadline:
        if not pending.exists():
            return "all computed"
        time.sleep(0.25)
    return f"{pending.count()} still pending after {REPORTS_TIMEOUT:.0f} s"


def start_gunicorn(port: int, log) -> subprocess.Popen:
    env = dict(os.environ)
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "tutor.wsgi",
            "-b",
            f"{HOST}:{port}",
        ],  # the rest (worker class, threads, timeouts) from gunicorn.conf.py in ROOT
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited before it was ready")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection(HOST, port, timeout=1)
            conn.request("GET", "/healthz/live", headers={"Host": f"{HOST}:{port}"})
            if conn.getresponse().status == 200:
                conn.close()
                return process
        time.sleep(0.2)
    stop_process(process)
    raise SystemExit(f"gunicorn did not answer within {READY_TIMEOUT:.0f} s")


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):  # the group started: its children too
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@contextlib.contextmanager
def running_server(learners: int):
    """Set up the data, start a worker and gunicorn, log every learner in; yields
    (port, logged-in learners). Stops both on the way out, whatever happened."""

    def terminate(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, terminate)
    started = time.monotonic()
    pairs, posts = setup_data(learners)
    from bench_estimate import start_worker, stop_worker

    print(
        f"database {os.environ['DATABASE_URL']}, broker {os.environ['REDIS_URL']}; "
        f"{len(pairs)} learners with phases 1-8 saved ({time.monotonic() - started:.1f} s)"
    )
    with contextlib.ExitStack() as stack:
        log = stack.enter_context(
            tempfile.NamedTemporaryFile("w+b", prefix="bench-http-", suffix=".log")
        )
        worker = start_worker(log)
        stack.callback(stop_worker, worker)
        settled = wait_for_reports([name for name, _ in pairs])
        print(f"one Celery worker (concurrency 1); the set-up's phase 2/7 reports: {settled}")
        port = free_port()
        server = start_gunicorn(port, log)
        stack.callback(stop_process, server)
        config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))  # as the server reads it
        print(
            f"gunicorn tutor.wsgi (gunicorn.conf.py: {config['workers']} processes of "
            f"{config['threads']} threads) on {HOST}:{port} (DEBUG=0)"
        )
        learners_ = [Learner(port, name, attempt, posts) for name, attempt in pairs]
        started = time.monotonic()
        errors: list[str] = []
        run_all(learners_, lambda learner: learner.login(), errors)
        if errors:
            raise SystemExit(f"{len(errors)} logins failed, e.g. {errors[0]}")
        print(
            f"{len(learners_)} learners logged in through the login form "
            f"({time.monotonic() - started:.1f} s)"
        )
        try:
            yield port, learners_
        finally:
            for learner in learners_:
                learner.client.close()
            log.seek(0)
            lines = log.read().decode(errors="replace").splitlines()
            problems = [
                line
                for line in lines
                if "ERROR" in line or "Traceback" in line or "CRITICAL" in line
            ]
            for line in problems[-5:]:
                print(f"    server/worker log: {line}")
            if "Traceback" in "\n".join(lines):  # the last traceback whole, to find its cause
                last = max(i for i, line in enumerate(lines) if "Traceback" in line)
                for line in lines[last : last + 60]:
                    print(f"    | {line}")


def run_all(learners: list, action, errors: list, parallel: int = 8) -> None:
    """``action(learner)`` for every learner, ``parallel`` at a time."""
    lock = threading.Lock()
    queue = list(learners)

    def work():
        while True:
            with lock:
                if not queue:
                    return
                learner = queue.pop()
            try:
                action(learner)
            except Exception as exc:  # noqa: BLE001 - reported by the caller
                errors.append(f"{learner.username}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, daemon=True) for _ in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)


# -- The benchmark -----------------------------------------------------------------------


class Floor:
    """A client with no session, for /healthz/live."""

    def __init__(self, port: int):
        self.client = Client(port)

    def reset(self) -> None:
        self.client.close()


def benchmark(port: int, learners: list[Learner]) -> bool:
    """The three targets; True when none had an error."""
    floors = [Floor(port) for _ in range(CONNECTIONS)]
    bench = learners[:CONNECTIONS]
    notes = bench[0].documents.get(1, {}).get("clarifications__notes", "")

    def live(floor: Floor, i: int) -> None:
        if floor.client.get("/healthz/live") != "ok":
            raise BenchError("/healthz/live did not say ok")

    def page(learner: Learner, i: int) -> None:
        if 'id="phase-form"' not in learner.client.get(learner.form(1).path):
            raise BenchError("the phase page has no form")

    def save(learner: Learner, i: int) -> None:
        form = learner.form(1)
        if not form.fields:
            form.load()
        # Alternate one text field, so no double-submit shortcut can skip the save.
        form.save({"clarifications__notes": notes + (" Checked again." if i % 2 else "")})

    print(
        f"\n{CONNECTIONS} concurrent connections, {DURATION:.0f} s measured per target "
        f"after {WARMUP:.0f} s of warm-up:"
    )
    results = {}
    for label, workers, action in (
        ("GET /healthz/live (floor)", floors, live),
        ("GET phase 1 page", bench, page),
        ("POST phase 1 save-and-check (htmx)", bench, save),
    ):
        results[label] = result = run_target(workers, action)
        floor = next(iter(results.values()))["rps"]
        print(
            f"  {label:<36} {result['rps']:8.1f} req/s  p50 {result['p50']:7.2f} ms  "
            f"p99 {result['p99']:7.2f} ms  ratio to floor {result['rps'] / floor:5.3f}  "
            f"({result['count']} requests, {len(result['errors'])} errors; p99 with the "
            f"client's own work {result['p99_whole']:.2f} ms)"
        )
        cpu = cpu_line(result["cpu"], result["count"], DURATION)
        if cpu:
            print(f"      {cpu}")
        for error in result["errors"][:3]:
            print(f"      error: {error}")
    for floor in floors:
        floor.client.close()
    save_result = results["POST phase 1 save-and-check (htmx)"]
    floor_rps = results["GET /healthz/live (floor)"]["rps"]
    ratio_ok = save_result["rps"] >= SAVE_RATIO_GOAL * floor_rps
    p99_ok = save_result["p99"] < SAVE_P99_GOAL
    print(
        f"  goal (save ≥ {SAVE_RATIO_GOAL} of the floor's req/s, p99 < {SAVE_P99_GOAL} ms): "
        f"throughput {'met' if ratio_ok else 'missed'}, p99 {'met' if p99_ok else 'missed'}"
    )
    return not any(r["errors"] for r in results.values())


def main() -> int:
    # The load run (scripts/load_run.py) is its own step of `make bench`: it reuses this
    # module's server and client, so this module does not import it.
    with running_server(CONNECTIONS) as (port, learners):
        ok = benchmark(port, learners)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
