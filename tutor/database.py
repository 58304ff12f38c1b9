"""A bound on every wait for PostgreSQL, so a database that stops answering fails fast.

``connect_timeout`` (settings) bounds opening a connection. Once a connection is open,
libpq waits for an answer as long as it takes: a server (or a proxy, or a half-dead host)
that accepted the connection and then stops answering hangs the query for ever, and with
pooled connections (``CONN_MAX_AGE``) that is the first query of every request, the
health check's ``SELECT 1``. What PostgreSQL and libpq offer does not cover that case:

- ``statement_timeout`` is enforced by the server, which is the party not answering;
- TCP keepalives and ``tcp_user_timeout`` only notice a peer whose kernel stopped
  acknowledging; a silent server's kernel still acknowledges every byte (tried against
  ``tests/faults.py``: a query through a silent proxy with both set to one second was
  still waiting eight seconds later);
- a cancel request goes to the same silent server on a new connection.

So the client keeps its own bound: every psycopg connection Django opens gets its
``wait`` (the one loop in which psycopg waits for the server: queries, fetches, commit,
rollback, the health check) limited to ``DB_QUERY_TIMEOUT`` seconds. On expiry the
connection, left in the middle of a query, is closed and a ``psycopg.OperationalError``
raised; Django turns it into its own ``OperationalError`` (the 503 page in a request, a
retry in a task) and, the connection being closed, opens a new one for the next request
instead of reusing it. ``DB_QUERY_TIMEOUT=0`` turns the bound off (a long migration).
"""

from typing import TypeVar

import psycopg
from django.conf import settings
from django.db.backends.base.base import NO_DB_ALIAS
from psycopg import pq
from psycopg.abc import PQGen

_R = TypeVar("_R")


def bound_waits(sender, connection, **kwargs):
    """``connection_created`` receiver: bound the new connection's waits.

    Not on the connection to the ``postgres`` database that Django opens only to create or
    drop a database (the test run's): those can take longer than any page's query, and it
    lifts the server's ``statement_timeout`` (settings) there for the same reason.
    """
    seconds = settings.DB_QUERY_TIMEOUT
    if connection.vendor != "postgresql" or not seconds:
        return
    if connection.alias == NO_DB_ALIAS:
        connection.connection.execute("SET statement_timeout = 0")
        return
    bound_connection(connection.connection, seconds)


def bound_connection(raw: psycopg.Connection, seconds: float) -> None:
    """Make every wait of ``raw`` for the server give up after ``seconds``, closing it."""
    wait = raw.wait  # psycopg's own, bound to this connection

    def bounded_wait(
        gen: PQGen[_R], interval: float | None = None, timeout: float | None = None
    ) -> _R:
        # Connection.wait's own arguments: a timeout given by position is bounded too,
        # and without an interval psycopg's default applies.
        timeout = seconds if timeout is None else min(timeout, seconds)
        try:
            if interval is None:
                return wait(gen, timeout=timeout)
            return wait(gen, interval, timeout)
        except psycopg.OperationalError as exc:
            if raw.closed or raw.pgconn.transaction_status != pq.TransactionStatus.ACTIVE:
                raise  # an answer came (an error) or the server hung up: not ours
            raw.close()  # mid-query, out of step with the server: never reuse it
            raise psycopg.OperationalError(
                f"the database did not answer within {seconds} s (DB_QUERY_TIMEOUT); "
                "the connection was closed"
            ) from exc

    raw.wait = bounded_wait  # type: ignore[method-assign]  # this connection's own wait
