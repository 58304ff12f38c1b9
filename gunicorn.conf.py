"""Gunicorn's settings for the tutor, read from the working directory.

    gunicorn --bind 0.0.0.0:8000        # from the repository root; nothing else needed

Why threads: a sync worker serves one request at a time, so when PostgreSQL stops
answering every worker ends up inside a database wait and ``/healthz/live`` and static
files queue behind them, and an orchestrator restarts processes that are healthy. With
``gthread`` a worker's main thread keeps accepting connections and beating its heartbeat
while a request thread waits; a request that needs the database waits at most
``DB_QUERY_TIMEOUT`` + ``DB_CONNECT_TIMEOUT`` (tutor/database.py) and gets the 503 page,
and requests that never touch the database (``/healthz/live``, static files served by
WhiteNoise) take a free thread and answer at once. Every thread that has touched the
database holds one pooled PostgreSQL connection (``DB_CONN_MAX_AGE``), so workers ×
threads per web instance must stay well under the server's ``max_connections``.
"""

import gc
import multiprocessing
import os

from django.urls import get_resolver

wsgi_app = "tutor.wsgi"

# Processes: one per core, at least two (WEB_CONCURRENCY overrides, the variable gunicorn
# itself and most platforms use). Processes give CPU parallelism (the rule checks are
# Python, and a process runs one thread of Python at a time); threads give room for
# waiting. Gunicorn's "two per core plus one" is advice for sync workers, each of which
# serves one request: with four threads each it put 20 requests at once on two cores,
# all sharing them, so every request took longer. Measured with scripts/bench_http.py on
# two cores, 16 connections saving: 5 processes gave 220 to 232 saves a second with p99
# 154 to 209 ms; 2 gave 269 to 270 with p99 90 ms (README, section 7).
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, multiprocessing.cpu_count()))
worker_class = "gthread"
# Threads per process (GUNICORN_THREADS overrides): enough that a few requests stuck on
# the database leave threads free for /healthz/live and static files; few enough that
# workers × threads pooled connections fit PostgreSQL (2 × 4 = 8 on two cores).
threads = int(os.environ.get("GUNICORN_THREADS") or 4)

# A worker whose main loop misses its heartbeat this long is killed. With gthread the
# heartbeat does not stop while request threads wait, so this only catches a truly hung
# process; database waits end long before it (DB_QUERY_TIMEOUT).
timeout = 30
# On restart or shutdown (SIGTERM), requests in flight get this long to finish: longer
# than the longest bounded request, so an acknowledged save is never cut off.
graceful_timeout = 30
# A gthread worker would otherwise accept every connection it can and queue it for its
# own threads even while they are all busy (stuck on a silent database, or on the CPU),
# and keep each kept-alive connection for itself: a probe could wait behind a stuck worker
# while another idles. So a worker takes only as many connections as it has threads, and a
# connection serves one request (as with sync workers; behind a proxy on the same network
# a new connection costs well under a millisecond): the rest wait in the listen queue,
# shared by all workers, for the first thread free anywhere. /healthz/live then answers
# as long as one thread of one worker is not waiting.
worker_connections = threads
keepalive = 0  # also drops a new connection that sends nothing for 5 s (a slow client)


def post_worker_init(worker):
    """The objects a worker made to start (Django, the views, the rules and the knowledge
    tables they import: about 120,000) live as long as it does, yet each full garbage
    collection walked them all: 86 ms on this machine for the 163,000 objects of a
    process that had served 50 saves, added to whichever request triggered it. Frozen
    once loaded (``gc.freeze``), collections walk only what came after: the templates
    compiled and what requests make. (The HTTP benchmark's p99 moved less than its
    run-to-run noise with or without this.)"""
    get_resolver().url_patterns  # noqa: B018 - the URLconf, and every module the views import
    gc.collect()  # nothing that is already garbage is kept for ever
    gc.freeze()
