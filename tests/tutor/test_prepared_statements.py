"""The hot statements planned once per connection (``tutor/database.py``: ``Statement``,
``run``): their placeholders, the one call that prepares them, the calls that only
execute them, a connection that lost them, and the same rows whichever way they run."""

import json

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import FIXTURES
from tutor.database import Statement, run
from tutor.models import Attempt, Report
from tutor.services import save_phase

ANSWERS = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


@pytest.fixture
def only(monkeypatch):
    """Statements made in a test are registered only for it (the real ones are not)."""
    monkeypatch.setattr(Statement, "registered", {})


def test_named_placeholders_become_numbered_parameters(only):
    statement = Statement(
        "t_shape", "SELECT %(a)s FROM t WHERE x = %(a)s AND y LIKE 'z%%' AND w = %(b)s"
    )
    assert statement.prepare == (
        "PREPARE t_shape AS SELECT $1 FROM t WHERE x = $1 AND y LIKE 'z%%' AND w = $2"
    )
    assert statement.execute == "EXECUTE t_shape(%s, %s)"
    assert statement.sql == "SELECT %s FROM t WHERE x = %s AND y LIKE 'z%%' AND w = %s"
    params = {"a": 7, "b": "bee"}
    assert statement.arguments(params) == [7, 7, "bee"]
    assert statement.execute_arguments(params) == [7, "bee"]
    assert Statement.registered == {"t_shape": statement}


def test_positional_placeholders(only):
    statement = Statement("t_positional", "SELECT * FROM t WHERE a = %s AND b = %s")
    assert statement.prepare == "PREPARE t_positional AS SELECT * FROM t WHERE a = $1 AND b = $2"
    assert statement.arguments([3, 4]) == statement.execute_arguments([3, 4]) == [3, 4]


def test_a_name_is_registered_once(only):
    Statement("t_twice", "SELECT 1")
    with pytest.raises(ValueError, match="t_twice"):
        Statement("t_twice", "SELECT 2")


def test_the_real_statements_are_registered():
    names = set(Statement.registered)
    assert {
        "tutor_page_version",
        "tutor_attempt_for_phase",
        "tutor_answers_for_phase",
        "tutor_write_in_place",
        "tutor_report_polled",
    } <= names


def prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def sent(queries) -> str:
    return "\n".join(query["sql"] for query in queries.captured_queries)


@on_postgresql
@pytest.mark.django_db
def test_prepared_once_then_only_executed(only):
    Statement("t_add", "SELECT %s::int + %s::int")
    Statement("t_upper", "SELECT upper(%(word)s::text), lower(%(word)s::text)")
    adds, uppers = Statement.registered["t_add"], Statement.registered["t_upper"]
    with CaptureQueriesContext(connection) as first:
        assert run((adds, [2, 3]), (uppers, {"word": "Ab"})) == [[(5,)], [("AB", "ab")]]
    assert len(first) == 1  # deallocate, prepare and execute: one round trip
    assert "DEALLOCATE ALL" in sent(first) and "PREPARE t_add AS" in sent(first)
    assert {"t_add", "t_upper"} <= prepared_names()
    with CaptureQueriesContext(connection) as second:
        assert run((uppers, {"word": "Cd"})) == [[("CD", "cd")]]
    assert len(second) == 1
    assert "PREPARE" not in sent(second) and "EXECUTE t_upper" in sent(second)


@on_postgresql
@pytest.mark.django_db
def test_a_statement_added_later_prepares_them_all_again(only):
    first = Statement("t_one", "SELECT 1 + %s::int")
    run((first, [1]))
    later = Statement("t_two", "SELECT 2 + %s::int")
    with CaptureQueriesContext(connection) as queries:
        assert run((later, [1]), (first, [1])) == [[(3,)], [(2,)]]
    assert "PREPARE t_one" in sent(queries) and "PREPARE t_two" in sent(queries)


@on_postgresql
@pytest.mark.django_db
def test_a_failed_call_is_prepared_again_next_time(only):
    divide = Statement("t_divide", "SELECT 10 / %s::int")
    run((divide, [5]))
    with pytest.raises(DatabaseError), transaction.atomic():
        run((divide, [0]))  # division by zero: the call fails after the prepare
    with CaptureQueriesContext(connection) as queries:
        assert run((divide, [2])) == [[(5,)]]
    assert "DEALLOCATE ALL" in sent(queries)


@on_postgresql
@pytest.mark.django_db
def test_statements_lost_from_the_connection(only):
    """Something deallocated them (a pooler's reset, say): that call fails, and the next
    one prepares them again rather than failing for ever."""
    echo = Statement("t_echo", "SELECT %s::text")
    run((echo, ["a"]))
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    with pytest.raises(DatabaseError), transaction.atomic():
        run((echo, ["b"]))
    assert run((echo, ["c"])) == [[("c",)]]


@on_postgresql
@pytest.mark.django_db
def test_prepared_in_a_rolled_back_transaction_stays_prepared(only):
    echo = Statement("t_kept", "SELECT %s::int * 2")
    with transaction.atomic():
        run((echo, [4]))
        transaction.set_rollback(True)
    with CaptureQueriesContext(connection) as queries:
        assert run((echo, [5])) == [[(10,)]]
    assert "PREPARE" not in sent(queries)


def attempt_as_read(attempt: Attempt, learner_id: int) -> tuple:
    """What ``for_phase`` read, as plain values."""
    read = Attempt.objects.for_phase(attempt.pk, learner_id, 1)
    assert read is not None
    answers = [
        (a.phase, a.data, a.status, a.revision, a.findings_digest, a.disputed)
        for a in read.answers.all()
    ]
    problem = read.problem
    return (
        read.pk,
        read.givens,
        read.expectations,
        problem.title,
        problem.problem_set.title,
        read.commented,
        answers,
    )


@pytest.mark.django_db
def test_the_same_rows_whichever_way_they_run(attempt, alice, settings, monkeypatch):
    """Prepared, sent as statements (DB_PREPARED_STATEMENTS=0), or a call each (as with
    server-side binding): the attempt and its answers read the same."""
    save_phase(attempt, 1, ANSWERS["1"])
    save_phase(attempt, 3, ANSWERS["3"])
    prepared = attempt_as_read(attempt, alice.pk)
    assert [a[0] for a in prepared[-1]] == [1, 3]
    settings.DB_PREPARED_STATEMENTS = False
    with CaptureQueriesContext(connection) as queries:
        assert attempt_as_read(attempt, alice.pk) == prepared
    assert "EXECUTE" not in sent(queries)
    options = {**connection.settings_dict.get("OPTIONS", {}), "server_side_binding": True}
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    with CaptureQueriesContext(connection) as queries:
        assert attempt_as_read(attempt, alice.pk) == prepared
    assert len(queries) == 2  # a call each
    # Not the learner's: nothing, either way.
    assert Attempt.objects.for_phase(attempt.pk, alice.pk + 1000, 1) is None


@pytest.mark.django_db
def test_numbers_no_row_can_have_match_nothing(attempt, alice):
    """A phase beyond a smallint or an id beyond a bigint (typed into a URL) matches no
    row, as with the ORM, instead of failing in the database."""
    save_phase(attempt, 1, ANSWERS["1"])
    for phase in (40_000, 2**40):
        assert Attempt.objects.for_phase(attempt.pk, alice.pk, phase) is not None
        assert Report.objects.polled(attempt.pk, alice.pk, phase) is None
        if connection.vendor == "postgresql":
            assert Attempt.objects.page_version(attempt.pk, alice.pk, phase)
    with CaptureQueriesContext(connection) as queries:
        assert Attempt.objects.for_phase(10**20, alice.pk, 1) is None
        assert Report.objects.polled(10**20, alice.pk, 2) is None
    assert len(queries) == 0  # no row can match: nothing sent
    with CaptureQueriesContext(connection) as queries:
        assert Attempt.objects.for_phase(attempt.pk, alice.pk, -(10**20)) is None
    # Only the answers' read, which has no phase in it, is sent; the attempt's is not.
    assert len(queries) == 1
    assert "100000000000000000000" not in queries[0]["sql"]


@pytest.mark.django_db
def test_only_the_statements_no_row_can_match_are_left_out(attempt, alice):
    """In one call, a statement with an id beyond a bigint gives no rows and is not sent;
    the others are, and give their rows in their places."""
    save_phase(attempt, 1, ANSWERS["1"])
    huge, real = Attempt.objects.phase_reads(10**20, 1), Attempt.objects.phase_reads(attempt.pk, 1)
    with CaptureQueriesContext(connection) as queries:
        results = run(*huge, *real)
    assert len(queries) == 1
    assert "10000000000000000000" not in queries[0]["sql"]
    assert results[:2] == [[], []]
    assert Attempt.objects.for_phase(attempt.pk, alice.pk, 1, results[2:]) == attempt
