"""Load run: 50 simulated learners walking through the nine phases for a minute.

    make bench                      # after scripts/bench_http.py, on a server of its own
    .venv/bin/python scripts/load_run.py [SECONDS]   # on its own: same set-up and server

Each learner is a thread with its own account, attempt (phases 1-8 already saved) and
keep-alive connection to gunicorn (gunicorn.conf.py: threaded workers, one per core,
PostgreSQL, one Celery worker; see ``scripts/bench_http.py``). In a loop until the time is
up it visits phases 1 to 9: GET the phase page, read its form (hidden CSRF token and
``base_revision`` included), and save the phase with the fixture answer
(``fixtures/answers/url-shortener.json``) as an htmx POST, with THINK_TIME between requests.
Prints the total number of requests, the errors and, per request kind (page, save), the
count and p50/p95/p99. Exits non-zero on any error: a status other than 200, a save that
did not say "Saved and checked.", a timeout or a broken connection.
"""

from __future__ import annotations

import sys
import threading
import time

import bench_http

LEARNERS = 50
DURATION = 60.0  # s
THINK_TIME = 0.1  # s between one learner's requests
PHASES = range(1, 10)


def run(port: int, learners: list, duration: float = DURATION) -> bool:
    """The load run against a running server; True when there was no error."""
    learners = learners[:LEARNERS]
    latencies: dict[str, list[float]] = {"page": [], "save": []}
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def walk(learner) -> None:
        learner.forms.clear()
        while time.monotonic() < deadline:
            for number in PHASES:
                for kind in ("page", "save"):
                    if time.monotonic() >= deadline:
                        return
                    form = learner.form(number)
                    begin = time.monotonic()
                    try:
                        form.load() if kind == "page" else form.save()
                    except Exception as exc:  # noqa: BLE001 - every failure is an error
                        with lock:
                            errors.append(f"{kind} {form.path}: {type(exc).__name__}: {exc}")
                        learner.reset()
                        break
                    elapsed = time.monotonic() - begin
                    with lock:
                        latencies[kind].append(elapsed)
                    time.sleep(THINK_TIME)

    print(
        f"\nload run: {len(learners)} learners, {duration:.0f} s, phases 1-9 "
        f"(page, then save), {THINK_TIME * 1000:.0f} ms between requests:"
    )
    threads = [threading.Thread(target=walk, args=(learner,), daemon=True) for learner in learners]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + bench_http.REQUEST_TIMEOUT * 2)
    elapsed = time.monotonic() - started
    total = sum(len(v) for v in latencies.values()) + len(errors)
    print(
        f"  {total} requests in {elapsed:.1f} s ({total / elapsed:.1f} req/s), {len(errors)} errors"
    )
    for kind, values in latencies.items():
        ordered = sorted(values)
        p50, p95, p99 = (bench_http.percentile(ordered, f) * 1e3 for f in (0.5, 0.95, 0.99))
        print(
            f"  {kind:<5} {len(ordered):6d} ok  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
            f"p99 {p99:7.1f} ms"
        )
    for error in errors[:5]:
        print(f"  error: {error}")
    if any(t.is_alive() for t in threads):
        print("  error: some learners were still waiting on a request at the end")
        return False
    return not errors


def main() -> int:
    duration = float(sys.argv[1]) if len(sys.argv) > 1 else DURATION
    with bench_http.running_server(LEARNERS) as (port, learners):
        return 0 if run(port, learners, duration) else 1


if __name__ == "__main__":
    sys.exit(main())
