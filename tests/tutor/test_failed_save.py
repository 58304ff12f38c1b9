"""A save that fails is never silent, and without JavaScript the error page gives the
learner's text back to copy (issue 12, item 3; the browser side is in
tests/browser/test_failed_save.py)."""

import copy
import json
import os
import secrets
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

from django.db import OperationalError
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.factories import FIXTURES
from tests.tutor.helpers import requirements_post
from tutor import services
from tutor.middleware import server_error, service_unavailable

ANSWER = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]["1"]
ROOT = Path(__file__).resolve().parents[2]
TYPED = "A user can <b>shorten</b> a link & keep it"
ESCAPED = "A user can &lt;b&gt;shorten&lt;/b&gt; a link &amp; keep it"
SECRET = "never-echo-this-pass-phrase"


def typed_post() -> dict:
    answer = copy.deepcopy(ANSWER)
    answer["functional"][0]["text"] = TYPED
    answer["availability"] = "99.95%"
    data = requirements_post(answer)
    data["password"] = SECRET  # a password field, whatever its form, is never shown
    data["new_password1"] = SECRET
    data["csrfmiddlewaretoken"] = "the-csrf-token-is-no-text-of-theirs"
    return data


def database_gone(*args, **kwargs):
    raise OperationalError("connection refused")


def a_bug(*args, **kwargs):
    raise ValueError("a bug")


def phase_url(attempt) -> str:
    return reverse("phase", args=[attempt.pk, 1])


def test_a_save_with_the_database_down_answers_503_with_the_typed_text(
    alice_client, attempt, monkeypatch
):
    monkeypatch.setattr(services, "save_and_check", database_gone)
    response = alice_client.post(phase_url(attempt), typed_post())
    html = response.content.decode()
    assert response.status_code == 503
    assert "Temporarily unavailable" in html
    assert ESCAPED in html and TYPED not in html
    assert "functional, row 1: text" in html and "99.95%" in html
    assert "not saved" in html
    assert SECRET not in html
    assert "the-csrf-token" not in html
    assert "TOTAL_FORMS" not in html and "base revision" not in html
    assert "no-store" in response["Cache-Control"]  # and "private": the learner is logged in


def test_a_save_over_htmx_that_fails_is_not_acknowledged(alice_client, attempt, monkeypatch):
    """The page's script drops its draft only on the phase-saved event: a failed save
    must not send it, a stored one must."""
    real_save = services.save_and_check
    monkeypatch.setattr(services, "save_and_check", database_gone)
    failed = alice_client.post(phase_url(attempt), typed_post(), HTTP_HX_REQUEST="true")
    assert failed.status_code == 503
    assert "HX-Trigger" not in failed

    monkeypatch.setattr(services, "save_and_check", real_save)
    saved = alice_client.post(phase_url(attempt), typed_post(), HTTP_HX_REQUEST="true")
    assert saved.status_code == 200
    assert json.loads(saved["HX-Trigger"]) == {"phase-saved": {"revision": 1}}

    # Errors on show: the whole form comes back, and the save is acknowledged all the same.
    data = {**typed_post(), "redraw": "1", "base_revision": "1"}
    redrawn = alice_client.post(phase_url(attempt), data, HTTP_HX_REQUEST="true")
    assert json.loads(redrawn["HX-Trigger"]) == {"phase-saved": {"revision": 2}}

    # Field errors are no save: no acknowledgement.
    data = {**typed_post(), "base_revision": "2", "functional-0-path": "sideways"}
    rejected = alice_client.post(phase_url(attempt), data, HTTP_HX_REQUEST="true")
    assert "HX-Trigger" not in rejected


def test_the_500_page_shows_the_typed_text_too(alice_client, attempt, monkeypatch):
    monkeypatch.setattr(services, "save_and_check", a_bug)
    client = Client(raise_request_exception=False)
    client.cookies = alice_client.cookies
    response = client.post(phase_url(attempt), typed_post())
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert ESCAPED in html and SECRET not in html
    assert "not saved" in html


def _failed_post(data, **extra):
    request = RequestFactory().post("/attempts/1/phases/1/", data, **extra)
    request.csrf_processing_done = True  # as CsrfViewMiddleware marks a checked POST
    return request


def test_error_pages_cap_what_they_show_and_never_fail_on_odd_posts():
    # No db fixture: pytest-django fails any query made here.
    huge = _failed_post({f"field-{i}": "y" * 5_000 for i in range(100)})
    response = service_unavailable(huge)
    assert response.status_code == 503
    html = response.content.decode()
    assert html.count("y") < 110_000  # of 500,000 sent
    assert "only the first part" in html

    odd = _failed_post(
        "name=caf%C3%A9%FF%FE%00%01&other=%ED%A0%80",
        content_type="application/x-www-form-urlencoded",
    )
    html = service_unavailable(odd).content.decode()
    assert "café" in html and "\x00" not in html and "\x01" not in html

    binary = _failed_post(bytes(range(256)) * 100, content_type="application/octet-stream")
    assert service_unavailable(binary).status_code == 503

    broken = _failed_post(b"--x\r\nbroken", content_type="multipart/form-data; boundary=x")
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(broken).status_code == 500


def test_a_post_that_did_not_pass_the_csrf_check_is_not_echoed():
    """Otherwise any site could make ours display its words."""
    request = RequestFactory().post("/attempts/1/phases/1/", {"text": "planted words"})
    assert "planted words" not in service_unavailable(request).content.decode()


# A real unreachable database: nothing listens on the port DATABASE_URL names.
UNREACHABLE = textwrap.dedent(
    """
    import json, sys
    import django
    django.setup()
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "x" * 32  # a logged-in learner: the session is in the database
    response = client.post(
        "/attempts/1/phases/1/",
        {"functional-0-text": sys.argv[1], "password": sys.argv[2], "functional-TOTAL_FORMS": "1"},
    )
    print(json.dumps({"status": response.status_code, "body": response.content.decode()}))
    """
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_with_no_database_at_all_a_post_gets_503_with_its_text():
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_")) and key not in {"REDIS_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tutor.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="testserver",
        SECURE_COOKIES="0",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{_closed_port()}/tutor",
        DB_CONNECT_TIMEOUT="3",
    )
    result = subprocess.run(
        [sys.executable, "-c", UNREACHABLE, TYPED, SECRET],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == 503
    assert ESCAPED in outcome["body"] and SECRET not in outcome["body"]
