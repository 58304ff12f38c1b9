"""PostgreSQL connections: a bound on every wait, so a database that stops answering
fails fast; and the hot statements, planned once per connection (``Statement``, ``run``,
at the end).

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

import datetime
import re
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeVar, cast

import psycopg
from django.conf import settings
from django.db import connection
from django.db.backends.base.base import NO_DB_ALIAS
from psycopg import pq
from psycopg.abc import AdaptContext, PQGen
from psycopg.postgres import types as postgres_types
from psycopg.types.datetime import TimestamptzLoader

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


# Timestamps read at psycopg's C speed ---------------------------------------------------

TIMESTAMPTZ_OID = postgres_types["timestamptz"].oid


class UtcTimestamptzLoader(TimestamptzLoader):
    """Django's timestamp loader, at the speed of psycopg's own.

    With ``USE_TZ``, Django registers a loader of its own for ``timestamptz``: psycopg's
    pure-Python loader, with the result's zone replaced by Django's (UTC). It runs for
    every timestamp read (Django ticket #36960): 3.4 µs each here, against 0.2 µs for
    the C loader that ``psycopg[binary]`` ships, and a phase save reads about thirty.
    Django sets every connection's session ``TimeZone`` to UTC, and then the C loader
    already returns what Django's does: the same instant, its zone ``timezone.utc``.
    So on a UTC session this loader is the C one; on any other it does what Django's
    does. ``timezone`` is what Django's ``create_cursor`` compares with its own."""

    timezone = datetime.UTC

    def __init__(self, oid: int, context: AdaptContext | None = None):
        super().__init__(oid, context)
        fast = psycopg.adapters.get_loader(oid, pq.Format.TEXT)  # C when it is there
        session = self.connection.info.timezone if self.connection else None
        if fast is not None and fast is not TimestamptzLoader and session == datetime.UTC:
            self.load = fast(oid, context).load  # type: ignore[method-assign]

    def load(self, data: Any) -> datetime.datetime:
        return super().load(data).replace(tzinfo=self.timezone)


def fast_timestamps(sender, connection, **kwargs):
    """``connection_created`` receiver: timestamps loaded by ``UtcTimestamptzLoader``
    when Django wants them in UTC (``USE_TZ``, database ``TIME_ZONE`` unset)."""
    if connection.vendor == "postgresql" and connection.timezone == datetime.UTC:
        connection.connection.adapters.register_loader("timestamptz", UtcTimestamptzLoader)


# Statements planned once per connection -----------------------------------------------

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%%")
Params = Sequence[Any] | Mapping[str, Any]
Rows = list[list[tuple]]  # what ``run`` gives: the rows of each statement, in order


class Statement:
    """A hot statement that ``run`` has PostgreSQL parse and plan once per connection
    (``PREPARE``) and from then on only execute (``EXECUTE``): for the tutor's
    short reads and writes, planning took longer than running them.

    Written as SQL with Django's placeholders (``%s``, or ``%(name)s`` for a parameter
    used more than once) and returning rows. Every statement is registered under its
    ``name`` when made (module level), and a connection prepares them all at once."""

    registered: ClassVar[dict[str, "Statement"]] = {}

    def __init__(self, name: str, sql: str):
        if name in Statement.registered:
            raise ValueError(f"a statement named {name!r} exists already")
        self.name = name
        keys: list[int | str] = []  # each placeholder's parameter, in order
        client, server = [], []  # the SQL around and in place of each placeholder
        end = 0
        for match in _PLACEHOLDER.finditer(sql):
            text = sql[end : match.start()]
            end = match.end()
            if match.group(0) == "%%":
                client.append(text + "%%")
                server.append(text + "%")
                continue
            key = match.group(1) or len(keys)
            keys.append(key)
            client.append(text + "%s")
            server.append(f"{text}${list(dict.fromkeys(keys)).index(key) + 1}")
        self.sql = "".join(client) + sql[end:]  # with %s placeholders, for ``arguments``
        self._keys = keys
        self._distinct = list(dict.fromkeys(keys))
        # Sent within a call that has parameters, so a literal % is doubled.
        prepared = ("".join(server) + sql[end:]).replace("%", "%%")
        self.prepare = f"PREPARE {name} AS {prepared}"
        self.execute = f"EXECUTE {name}({', '.join(['%s'] * len(self._distinct))})"
        Statement.registered[name] = self

    def arguments(self, params: Params) -> list[Any]:
        """The parameters of ``sql``, in order (a named one as often as it appears)."""
        return [_value(params, key) for key in self._keys]

    def execute_arguments(self, params: Params) -> list[Any]:
        """The parameters of ``execute``: each distinct one once, in order of first use."""
        return [_value(params, key) for key in self._distinct]


def _value(params: Params, key: int | str) -> Any:
    if isinstance(params, Mapping):
        return params[cast(str, key)]
    return params[cast(int, key)]


# The raw connections on which every registered statement is prepared, with their names.
_prepared: "weakref.WeakKeyDictionary[object, frozenset[str]]" = weakref.WeakKeyDictionary()


def _beyond_bigint(value: object) -> bool:
    return isinstance(value, int) and not -(2**63) <= value < 2**63


def run(*calls: tuple[Statement, Params]) -> Rows:
    """Each statement run with its parameters, the rows of each in order, in as few round
    trips as the connection allows:

    - PostgreSQL with the client-side binding Django uses by default: one call, whose
      statements are ``EXECUTE``s of statements prepared on this connection. The first
      call on a connection (or after a statement was added) also deallocates and
      prepares every registered statement, in the same call: a prepared statement
      outlives a rolled-back transaction, and one call that failed part way leaves no
      doubt about which exist. ``DB_PREPARED_STATEMENTS=0`` sends the statements
      themselves instead (behind a connection pooler in transaction mode, which gives
      each transaction whichever server connection is free).
    - SQLite, or server-side binding (one statement per call): a call each.

    A statement with an integer parameter beyond a bigint (a huge id in a URL) returns no
    rows and is not sent, as the ORM's lookups do: the statements compare ids for
    equality. The others are sent as usual.
    """
    out_of_range = [any(_beyond_bigint(v) for v in s.arguments(p)) for s, p in calls]
    if any(out_of_range):  # no row has such an id, as the ORM's lookups decide
        kept = [c for c, out in zip(calls, out_of_range, strict=True) if not out]
        sent = iter(run(*kept) if kept else [])
        return [[] if out else next(sent) for out in out_of_range]
    with connection.cursor() as cursor:
        options = connection.settings_dict.get("OPTIONS", {})
        if connection.vendor != "postgresql" or options.get("server_side_binding"):
            results = []
            for statement, params in calls:
                cursor.execute(statement.sql, statement.arguments(params))
                results.append(cursor.fetchall())
            return results
        sql: list[str] = []
        arguments: list[Any] = []
        raw = connection.connection
        preparing = settings.DB_PREPARED_STATEMENTS and _prepared.get(raw) != frozenset(
            Statement.registered
        )
        if preparing:
            sql.append("DEALLOCATE ALL")
            sql += [s.prepare for s in Statement.registered.values()]
        for statement, params in calls:
            if settings.DB_PREPARED_STATEMENTS:
                sql.append(statement.execute)
                arguments += statement.execute_arguments(params)
            else:
                sql.append(statement.sql)
                arguments += statement.arguments(params)
        try:
            cursor.execute(";\n".join(sql), arguments)
        except Exception:
            # Whatever failed (a statement, a timeout, statements gone from under us), the
            # next call on this connection starts again from DEALLOCATE ALL.
            _prepared.pop(raw, None)
            raise
        for _ in range(len(sql) - len(calls)):  # past DEALLOCATE and PREPARE
            cursor.nextset()
        if preparing:
            _prepared[raw] = frozenset(Statement.registered)
        results = [cursor.fetchall()]
        for _ in calls[1:]:
            cursor.nextset()
            results.append(cursor.fetchall())
        return results
