"""What reading rows costs: timestamps loaded by psycopg's C loader where it gives what
Django's own gives (``tutor.database.UtcTimestamptzLoader``), and an answer's document
read by ``for_phase`` decoded only when something reads it (``tutor.models.DocumentField``)."""

import datetime
import json

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.test.utils import CaptureQueriesContext
from psycopg.types.datetime import TimestamptzLoader

from phases.engine.engine import check_phase
from tests.factories import FIXTURES
from tutor.database import TIMESTAMPTZ_OID, UtcTimestamptzLoader
from tutor.models import Attempt, PhaseAnswer
from tutor.services import design_for, save_phase

ANSWERS = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the loaders are psycopg's"
)
STAMPS = [
    "2026-12-01 03:10:44.123456+00",
    "2026-03-29 01:30:00.000001+02",  # another zone: the same instant, in UTC
    "1999-12-31 23:59:59.999999-11:30",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
]


def selected(stamps: list[str]) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["%s::timestamptz"] * len(stamps)), stamps)
        return cursor.fetchone()


def djangos_own(stamps: list[str]) -> tuple:
    """The same values through Django's loader (psycopg's Python one, its zone replaced)."""
    with connection.cursor() as cursor:
        raw = cursor.cursor
        register_tzloader(connection.timezone, raw)  # this cursor only
        assert not issubclass(raw.adapters.get_loader(TIMESTAMPTZ_OID, 0), UtcTimestamptzLoader)
        raw.execute("SELECT " + ", ".join(["%s::timestamptz"] * len(stamps)), stamps)
        return raw.fetchone()


@on_postgresql
@pytest.mark.django_db
def test_timestamps_are_read_by_the_c_loader_and_equal_djangos():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, 0)
    assert loader is UtcTimestamptzLoader
    with connection.cursor() as cursor:
        instance = UtcTimestamptzLoader(TIMESTAMPTZ_OID, cursor.cursor)
        # psycopg[binary] is a dependency: the C loader's own method, not the Python one.
        c_loader = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, 0)
        assert c_loader is not TimestamptzLoader
        assert isinstance(vars(instance)["load"].__self__, c_loader)
    fast = selected(STAMPS)
    assert fast == djangos_own(STAMPS)
    assert all(value.tzinfo is datetime.UTC for value in fast)
    assert fast[1] == datetime.datetime(2026, 3, 28, 23, 30, 0, 1, tzinfo=datetime.UTC)


@on_postgresql
@pytest.mark.django_db
def test_a_session_in_another_zone_gets_djangos_behaviour():
    """Django keeps its sessions in UTC; were one not, the values would be Django's own
    (psycopg's Python loader, the zone replaced), not the C loader's."""
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Europe/Paris'")
    try:
        with connection.cursor() as cursor:
            instance = UtcTimestamptzLoader(TIMESTAMPTZ_OID, cursor.cursor)
            assert "load" not in vars(instance)  # the Python path
        assert selected(STAMPS[:3]) == djangos_own(STAMPS[:3])
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")


@pytest.mark.django_db
def test_model_timestamps_round_trip(attempt):
    saved = save_phase(attempt, 1, ANSWERS["1"])
    read = PhaseAnswer.objects.get(pk=saved.pk)
    assert read.checked_at == saved.checked_at
    assert read.checked_at.tzinfo is datetime.UTC


@pytest.mark.django_db
def test_an_answers_document_is_decoded_when_read(attempt, alice):
    save_phase(attempt, 1, ANSWERS["1"])
    save_phase(attempt, 3, ANSWERS["3"])
    read = Attempt.objects.for_phase(attempt.pk, alice.pk, 1)
    assert read is not None
    first, third = read.answers.all()
    assert "data" not in vars(first) and "data" not in vars(third)  # not decoded yet
    with CaptureQueriesContext(connection) as queries:
        assert first.data == PhaseAnswer.objects.get(pk=first.pk).data
    assert len(queries) == 1  # the ORM's get above, not the document
    assert "data" in vars(first) and "data" not in vars(third)
    assert first.data is first.data  # decoded once
    # Written like any field.
    first.data = {"version": 2, "changed": True}
    first.save(update_fields=["data"])
    assert PhaseAnswer.objects.get(pk=first.pk).data == {"version": 2, "changed": True}


@pytest.mark.django_db
def test_a_refreshed_answer_reads_its_document_afresh(attempt, alice):
    save_phase(attempt, 1, ANSWERS["1"])
    read = Attempt.objects.for_phase(attempt.pk, alice.pk, 1)
    assert read is not None
    (answer,) = read.answers.all()
    PhaseAnswer.objects.filter(pk=answer.pk).update(data={"version": 9})
    answer.refresh_from_db()
    assert answer.data == {"version": 9}  # not the text read before


@pytest.mark.django_db
def test_elsewhere_the_document_is_an_ordinary_json_field(attempt):
    saved = save_phase(attempt, 1, ANSWERS["1"])
    assert PhaseAnswer.objects.get(pk=saved.pk).data == saved.data
    deferred = PhaseAnswer.objects.only("id").get(pk=saved.pk)
    with CaptureQueriesContext(connection) as queries:
        assert deferred.data == saved.data  # Django's deferred field: one query
    assert len(queries) == 1
    assert PhaseAnswer._meta.get_field("data").deconstruct()[1] == "django.db.models.JSONField"


@pytest.mark.django_db
def test_a_phase_1_check_decodes_phase_1s_document_only(attempt, alice):
    for phase in ("1", "2", "3", "5"):
        save_phase(attempt, int(phase), ANSWERS[phase])
    PhaseAnswer.objects.create(attempt=attempt, phase=4, data={})  # stored, empty
    read = Attempt.objects.for_phase(attempt.pk, alice.pk, 1)
    assert read is not None
    design = design_for(read)
    assert sorted(design.answers) == [1, 2, 3, 5]  # the empty one left out, undecoded
    findings = check_phase(1, design)
    assert findings == check_phase(1, design_for(attempt))  # as with every document decoded
    decoded = [a.phase for a in read.answers.all() if "data" in vars(a)]
    assert decoded == [1]
