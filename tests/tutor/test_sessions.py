"""The session read in one round trip with a save's attempt (``tutor/sessions.py``):
the same session Django's own read finds, and the attempt kept only for its learner."""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import FIXTURES
from tests.tutor.helpers import GOOD_ESTIMATE, requirements_post
from tutor.models import Attempt, PhaseAnswer
from tutor.services import save_phase, start_attempt
from tutor.sessions import SessionStore

ANSWERS = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]


@pytest.fixture
def saved(alice, url_shortener):
    attempt = start_attempt(alice, url_shortener)
    return attempt, save_phase(attempt, 1, ANSWERS["1"])


def changed_post(answer):
    changed = {**ANSWERS["1"], "clarifications": {**ANSWERS["1"]["clarifications"]}}
    changed["clarifications"]["notes"] = "Read with the session."
    return requirements_post(changed, answer.revision)


def test_a_save_sends_its_attempt_reads_with_the_session_read(client, alice, saved):
    attempt, answer = saved
    client.force_login(alice)
    url = reverse("phase", args=[attempt.pk, 1])
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, changed_post(answer), HTTP_HX_REQUEST="true")
    assert "Saved and checked." in response.content.decode()
    first = queries[0]["sql"]
    if connection.vendor == "postgresql":  # one call with three statements
        assert "tutor_session_read" in first
        assert "tutor_attempt_for_phase" in first and "tutor_answers_for_phase" in first
    stored = PhaseAnswer.objects.get(pk=answer.pk)
    assert stored.data["clarifications"]["notes"] == "Read with the session."
    assert stored.revision == answer.revision + 1


def test_another_learners_attempt_read_with_the_session_is_not_found(client, bob, saved):
    attempt, answer = saved
    client.force_login(bob)
    url = reverse("phase", args=[attempt.pk, 1])
    assert client.post(url, changed_post(answer), HTTP_HX_REQUEST="true").status_code == 404
    assert client.post(url, {"row_action": "add:functional"}).status_code == 404
    stored = PhaseAnswer.objects.get(pk=answer.pk)
    assert (stored.data, stored.revision) == (answer.data, answer.revision)


def test_an_expired_session_read_along_signs_the_learner_out(client, alice, saved):
    attempt, answer = saved
    client.force_login(alice)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    url = reverse("phase", args=[attempt.pk, 1])
    response = client.post(url, changed_post(answer))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    assert PhaseAnswer.objects.get(pk=answer.pk).revision == answer.revision


def test_an_id_no_row_can_have_keeps_the_learner_signed_in(client, alice, saved):
    """The attempt's statements are not sent for an id beyond a bigint; the session's
    read still is, so the answer is the 404 of a missing attempt, not a sign-out."""
    client.force_login(alice)
    url = reverse("phase", args=[10**20, 1])
    response = client.post(url, {"row_action": "add:functional"})
    assert response.status_code == 404
    assert client.cookies[settings.SESSION_COOKIE_NAME].value  # not deleted
    assert client.get(reverse("dashboard")).status_code == 200


def test_the_row_read_along_decodes_as_djangos_own_read(alice, saved):
    """A session Django's own engine wrote (before the switch) reads the same."""
    attempt, _answer = saved
    own = DjangoStore()
    own["_auth_user_id"] = str(alice.pk)
    own["note"] = "kept"
    own.create()
    along = SessionStore(own.session_key)
    rows = along.read_with(*Attempt.objects.phase_reads(attempt.pk, 1))
    assert Attempt.objects.for_phase(attempt.pk, alice.pk, 1, rows) == attempt
    with CaptureQueriesContext(connection) as queries:
        data = dict(along.items())  # loaded from the row read along: no statement
    assert len(queries) == 0
    assert data == dict(DjangoStore(own.session_key).items())
    assert data["note"] == "kept"


def test_a_session_read_already_is_not_read_again(alice, saved):
    attempt, _answer = saved
    own = SessionStore()
    own["note"] = "kept"
    own.create()
    loaded = SessionStore(own.session_key)
    assert loaded["note"] == "kept"
    with CaptureQueriesContext(connection) as queries:
        rows = loaded.read_with(*Attempt.objects.phase_reads(attempt.pk, 1))
    assert "tutor_session_read" not in " ".join(q["sql"] for q in queries)
    assert Attempt.objects.for_phase(attempt.pk, alice.pk, 1, rows) == attempt
    assert Attempt.objects.for_phase(attempt.pk, alice.pk + 1, 1, rows) is None


def test_the_poll_reads_its_report_with_the_session_and_only_for_its_learner(
    client, alice, bob, url_shortener
):
    attempt = start_attempt(alice, url_shortener)
    save_phase(attempt, 2, GOOD_ESTIMATE)  # its report stays pending: no commit here
    url = reverse("phase_report", args=[attempt.pk, 2])
    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Computing the report" in response.content.decode()
    if connection.vendor == "postgresql":
        assert "tutor_session_read" in queries[0]["sql"]
        assert "tutor_report_polled" in queries[0]["sql"]
    client.force_login(bob)
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404
