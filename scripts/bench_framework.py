"""In process: what a request costs the framework before the tutor's own work.

    make bench                      # or: .venv/bin/python scripts/bench_framework.py [RUNS]

With Django's test client (no HTTP, no other process) and one logged-in learner of the
``tutor_bench`` database (set up as ``scripts/bench_http.py`` does), the median time of:

- ``GET /healthz/live``, the HTTP benchmark's floor;
- a logged-in GET that only reads ``request.user`` (session and user loaded);
- a logged-in POST that runs one ``UPDATE`` in a transaction;
- the phase 1 page, the phase 1 save-and-check over htmx, and the phase 2 report poll
  (the htmx GET its pending report makes every second): the real views.

The two middle ones are views this script adds to a URLconf of its own for the
measurement; the site has no such URLs. Each line gives its multiple of
``/healthz/live`` and of its own floor: a save against the logged-in POST with one
UPDATE (goal: at most 2×), the page against the logged-in GET (at most 3×), the poll
against the same GET (at most 1.5×), for the median and for the 95th percentile (each
against the floor's own). Not a test: timings on a shared machine are noisy, so they are
reported, never asserted. ``REPEATS`` short rounds of every target, interleaved, give
each target its median of the rounds' medians and of their 95th percentiles; a ratio is
taken within each round (a target against its floor measured moments before, so a busy
spell weighs on both) and the median of the rounds' ratios reported.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import types
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_http  # noqa: E402 - sets the environment (bench database, DEBUG=0)

os.environ["ALLOWED_HOSTS"] = "testserver"
RUNS = 100
REPEATS = 9  # rounds of all targets, interleaved, so a busy spell hits them all
USER_GET = "logged-in GET reading request.user"
ONE_UPDATE = "logged-in POST, one UPDATE in a transaction"
# Each target measured against its floor, with the goal for the ratio.
FLOORS = {
    "GET phase 1 page": (USER_GET, 3.0),
    "POST phase 1 save-and-check (htmx)": (ONE_UPDATE, 2.0),
    "GET phase 2 report poll (htmx)": (USER_GET, 1.5),
}


def timed_ms(call, runs: int) -> tuple[float, float]:
    """The median and the 95th percentile of ``runs`` calls, in milliseconds."""
    for _ in range(20):  # warm-up: connections, caches, template loading
        call()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e3, statistics.quantiles(timings, n=20)[-1] * 1e3


def main(runs: int) -> None:
    pairs, _ = bench_http.setup_data(1)
    from django.contrib.auth.decorators import login_required
    from django.db import transaction
    from django.db.models.functions import Now
    from django.http import HttpResponse
    from django.test import Client, override_settings
    from django.urls import path

    import tutor.urls
    from tutor.models import Attempt, User

    @login_required
    def user_only(request):
        return HttpResponse(str(request.user.pk))

    @login_required
    def one_update(request):
        with transaction.atomic():
            Attempt.objects.filter(learner=request.user).update(updated_at=Now())
        return HttpResponse("ok")

    urls = types.ModuleType("bench_framework_urls")
    urls.urlpatterns = [  # type: ignore[attr-defined]  # a module made here
        path("bench/user-only/", user_only),
        path("bench/one-update/", one_update),
        *tutor.urls.urlpatterns,
    ]
    sys.modules[urls.__name__] = urls

    username, attempt_id = pairs[0]
    client = Client()
    client.force_login(User.objects.get(username=username))
    page_path = f"/attempts/{attempt_id}/phases/1/"
    fields = bench_http.form_fields(client.get(page_path).content.decode(), 'id="phase-form"')
    notes = fields.get("clarifications__notes", "")
    form = "application/x-www-form-urlencoded"
    saves = 0

    def save():
        nonlocal saves
        saves += 1
        fields["clarifications__notes"] = notes + (" Checked again." if saves % 2 else "")
        response = client.post(
            page_path, urlencode(fields), content_type=form, HTTP_HX_REQUEST="true"
        )
        text = response.content.decode()
        if bench_http.SAVED_TEXT not in text:
            raise SystemExit(f"the save did not say {bench_http.SAVED_TEXT!r}")
        fields.update(bench_http.hidden_fields(text))

    report_path, report_headers = report_poll(client, attempt_id)

    with override_settings(ROOT_URLCONF=urls.__name__):
        targets = {
            "GET /healthz/live": lambda: client.get("/healthz/live"),
            USER_GET: lambda: client.get("/bench/user-only/"),
            ONE_UPDATE: lambda: client.post("/bench/one-update/", "a=1", content_type=form),
            "GET phase 1 page": lambda: client.get(page_path),
            "POST phase 1 save-and-check (htmx)": save,
            "GET phase 2 report poll (htmx)": lambda: poll(client, report_path, report_headers),
        }
        rounds: dict[str, list[tuple[float, float]]] = {label: [] for label in targets}
        for _ in range(REPEATS):
            for label, call in targets.items():
                rounds[label].append(timed_ms(call, runs))
        print(
            f"in process (Django test client, no HTTP), {REPEATS} rounds × {runs} runs; "
            "median and p95 (each the median of the rounds'):"
        )
        medians = {label: statistics.median(m for m, _ in ms) for label, ms in rounds.items()}
        p95s = {label: statistics.median(p for _, p in ms) for label, ms in rounds.items()}
        live = medians["GET /healthz/live"]
        for label, ms in medians.items():
            p95 = p95s[label]
            line = f"  {label:45s} {ms:7.2f} ms (p95 {p95:6.2f})  {ms / live:6.1f}× /healthz/live"
            if label in FLOORS:
                floor, goal = FLOORS[label]
                paired = list(zip(rounds[label], rounds[floor], strict=True))
                ratio = statistics.median(own[0] / base[0] for own, base in paired)
                p95_ratio = statistics.median(own[1] / base[1] for own, base in paired)
                line += f"  {ratio:5.2f}× its floor (p95 {p95_ratio:5.2f}×; goal ≤ {goal}×)"
            print(line)


def report_poll(client, attempt_id: int) -> tuple[str, dict[str, str]]:
    """The URL and headers of the poll phase 2's page makes for its pending report."""
    from django.utils import timezone

    from tutor.models import Report

    page = f"/attempts/{attempt_id}/phases/2/"
    pending = Report.objects.filter(answer__attempt_id=attempt_id, answer__phase=2)
    pending.update(status=Report.Status.PENDING, requested_at=timezone.now())
    tag = client.get(page).content.decode().split('id="report"', 1)[1].split(">", 1)[0]
    path = tag.split('hx-get="', 1)[1].split('"', 1)[0]
    return path, {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "report"}


def poll(client, path: str, headers: dict[str, str]) -> None:
    response = client.get(path, **headers)
    if b'id="report"' not in response.content:
        raise SystemExit("the poll did not answer with the report")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else RUNS)
