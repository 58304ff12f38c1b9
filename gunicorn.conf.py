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

import multiprocessing
import os

wsgi_app = "tutor.wsgi"

# Processes: gunicorn's advice, two per core plus one (WEB_CONCURRENCY overrides, the
# variable gunicorn itself and most platforms use). Processes give CPU parallelism (the
# rule checks are Python); threads give room for waiting.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count() + 1)
worker_class = "gthread"
# Threads per process (GUNICORN_THREADS overrides): enough that a few requests stuck on
# the database leave threads free for /healthz/live and static files; few enough that
# workers × threads pooled connections fit PostgreSQL (5 × 4 = 20 on two cores).
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
