"""Security and fault tolerance: deploy settings, CSP, CSRF, login throttling, sessions,
error pages, and a database outage."""

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import OperationalError
from django.templatetags.static import static
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.factories import PASSWORD, make_user
from tests.tutor.helpers import requirements_post
from tutor.middleware import server_error, service_unavailable
from tutor.services import save_phase

ROOT = Path(__file__).resolve().parents[2]
GOOD = json.loads((ROOT / "fixtures" / "answers" / "url-shortener.json").read_text())["phases"]["1"]


def _child_env(**overrides) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_COOKIES", "REDIS_URL"}
        and not key.startswith(("SECURE_", "PYTEST_", "DJANGO_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="tutor.settings", **overrides)
    return env


# --- Production settings ------------------------------------------------------------


def test_production_settings_pass_check_deploy_with_no_warning():
    env = _child_env(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="tutor.example.org",
        SECURE_SSL_REDIRECT="1",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_hsts_and_secure_cookies_follow_the_environment():
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE]))"
    )

    def read(**env):
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=_child_env(**env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    secret = secrets.token_urlsafe(64)
    assert read(DEBUG="0", SECRET_KEY=secret, SECURE_SSL_REDIRECT="1") == [
        31536000,
        True,
        True,
        True,
        True,
    ]
    # make test: plain HTTP live server, no HSTS, cookies over HTTP.
    assert read(DEBUG="0", SECRET_KEY=secret, SECURE_COOKIES="0") == [0, False, False] + [False] * 2
    # make run: debug, nothing that would break http://127.0.0.1:8000.
    assert read(DEBUG="1") == [0, False, False, False, False]


# --- Content-Security-Policy --------------------------------------------------------


def _directives(header: str) -> dict[str, list[str]]:
    result = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            result[words[0]] = words[1:]
    return result


def test_every_page_has_a_strict_content_security_policy(alice_client, attempt):
    pages = [
        reverse("home"),
        reverse("rules"),
        reverse("reference"),
        reverse("problemsets"),
        reverse("dashboard"),
        reverse("phase", args=[attempt.pk, 1]),
        reverse("phase", args=[attempt.pk, 5]),
        "/no-such-page/",
    ]
    for url in pages:
        response = alice_client.get(url)
        header = response.get("Content-Security-Policy")
        assert header, f"{url} has no Content-Security-Policy"
        policy = _directives(header)
        script_src = policy.get("script-src", policy.get("default-src"))
        assert script_src == ["'self'"], (url, header)
        assert "'unsafe-inline'" not in policy["style-src"], (url, header)
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "unsafe-eval" not in header and "unsafe-inline" not in header


def test_anonymous_pages_and_errors_have_the_policy_too(client, db):
    for url in [reverse("login"), reverse("signup"), "/no-such-page/"]:
        assert "script-src 'self'" in client.get(url)["Content-Security-Policy"]


def test_htmx_is_configured_to_live_with_the_policy(client, db):
    html = client.get(reverse("login")).content.decode()
    match = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert match, "base.html lacks the htmx-config meta"
    assert json.loads(match.group(1)) == {
        "includeIndicatorStyles": False,
        "allowEval": False,
        "allowScriptTags": False,
    }


INLINE = {
    "style attribute": r"\sstyle=",
    "style element": r"<style",
    "inline script": r"<script(?![^>]*\bsrc=)",
    "event handler attribute": r"\son[a-z]+=",
}


def test_no_template_needs_inline_script_or_style():
    # The SVG diagrams are checked the same way in tests/phases/test_diagram.py.
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "templates").rglob("*.html")
        for name, pattern in INLINE.items()
        if re.search(pattern, path.read_text())
    ]
    assert offenders == []


def test_rendered_pages_have_no_inline_script_or_style(alice_client, attempt):
    for url in [reverse("home"), reverse("rules"), reverse("phase", args=[attempt.pk, 5])]:
        html = alice_client.get(url).content.decode()
        found = [name for name, pattern in INLINE.items() if re.search(pattern, html)]
        assert found == [], url


# --- CSRF ---------------------------------------------------------------------------


def test_htmx_post_without_a_token_is_refused_and_with_the_header_accepted(alice, attempt):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    url = reverse("phase", args=[attempt.pk, 1])
    page = client.get(url).content.decode()
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    document = {**GOOD, "availability": "highly available"}

    refused = client.post(url, requirements_post(document), HTTP_HX_REQUEST="true")
    assert refused.status_code == 403
    assert "Reload the page and submit it again" in refused.content.decode()

    accepted = client.post(
        url, requirements_post(document), HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 200
    assert 'data-code="REQ-006"' in accepted.content.decode()


def test_plain_form_posts_need_the_token_too(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(reverse("logout")).status_code == 403
    assert client.get(reverse("dashboard")).status_code == 200  # still logged in


# --- Login throttling ---------------------------------------------------------------


@pytest.fixture
def redis_down(settings):
    """The cache points at a closed port: throttling must not depend on Redis."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, alice, redis_down):
    login = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(login, {"username": "alice", "password": "guess"})
        assert response.status_code == 200
        assert "correct username and password" in response.content.decode()
    client.post(login, {"username": "alice", "password": "guess"})

    response = client.post(login, {"username": "alice", "password": PASSWORD})
    html = response.content.decode()
    assert response.status_code == 429
    assert "Too many failed log-ins" in html
    assert "15 minutes" in html
    assert 'class="site-header"' in html  # the site's page, not a bare message
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_lockout_is_for_that_username_only(client, alice, bob):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "alice", "password": "guess"})
    response = client.post(reverse("login"), {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, alice):
    login = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(login, {"username": "alice", "password": "guess"})
    assert client.post(login, {"username": "alice", "password": PASSWORD}).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(login, {"username": "alice", "password": "guess"})
    assert client.post(login, {"username": "alice", "password": PASSWORD}).status_code == 302


SPRAYER = "203.0.113.9"  # axes reads REMOTE_ADDR


def login_from(client, address, username, password="guess"):
    data = {"username": username, "password": password}
    return client.post(reverse("login"), data, REMOTE_ADDR=address)


def test_password_spraying_from_one_address_locks_the_address(client, alice):
    """8 usernames x 4 wrong passwords: under the per-username limit for each of them."""
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT
    assert settings.AXES_FAILURE_LIMIT < limit < 8 * 4
    statuses = [
        login_from(client, SPRAYER, username).status_code
        for username in ["alice", "bob", "carol", "dave", "erin", "frank", "gina", "hugo"]
        for _ in range(4)
    ]
    assert statuses[: limit - 1] == [200] * (limit - 1)  # the password check answered
    assert statuses[limit - 1 :] == [429] * (8 * 4 - limit + 1)

    # alice typed hers wrong only 4 times, but her right password is refused from there...
    response = login_from(client, SPRAYER, "alice", PASSWORD)
    assert response.status_code == 429
    assert f"After {limit} wrong passwords from your network address" in response.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302
    # ...and accepted from anywhere else.
    assert login_from(Client(), "198.51.100.7", "alice", PASSWORD).status_code == 302


def test_logging_in_to_ones_own_account_does_not_reset_the_address(client, alice, bob):
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT
    for attempt in range(limit - 1):
        login_from(client, SPRAYER, f"nobody{attempt % 7}")
    # Anyone can sign up: the sprayer's own login forgets only that username's failures.
    assert login_from(client, SPRAYER, "bob", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    assert login_from(client, SPRAYER, "nobody7").status_code == 429
    assert login_from(client, SPRAYER, "alice", PASSWORD).status_code == 429


BALANCER = "10.0.0.2"


def login_via_balancer(client, forwarded_for, username, password="guess"):
    data = {"username": username, "password": password}
    return client.post(
        reverse("login"), data, REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=forwarded_for
    )


def test_behind_a_trusted_proxy_the_address_is_the_one_it_forwarded(client, alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT
    for attempt in range(limit):
        # The left entry is the client's own word: spraying cannot hide behind it.
        login_via_balancer(client, f"192.0.2.{attempt}, {SPRAYER}", f"nobody{attempt % 7}")
    assert login_via_balancer(client, SPRAYER, "alice", PASSWORD).status_code == 429
    # Another learner behind the same balancer is not locked out with the sprayer.
    assert login_via_balancer(Client(), "198.51.100.7", "alice", PASSWORD).status_code == 302
    # A header that holds no address there counts as the balancer's own address.
    assert login_via_balancer(Client(), "not an address", "alice", "guess").status_code == 200


def test_without_trusted_proxies_x_forwarded_for_is_ignored(client, alice):
    assert settings.TRUSTED_PROXY_COUNT == 0
    for attempt in range(settings.AXES_ADDRESS_FAILURE_LIMIT):
        login_via_balancer(client, f"192.0.2.{attempt}", f"nobody{attempt % 7}")
    assert login_via_balancer(Client(), "198.51.100.7", "alice", PASSWORD).status_code == 429


def test_signup_still_logs_in_with_the_throttling_backend_first(client, db):
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    response = client.post(
        reverse("signup"),
        {
            "username": "dana",
            "password1": "a-long-pass-phrase-7",
            "password2": "a-long-pass-phrase-7",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


# --- Caching --------------------------------------------------------------------------


def cache_directives(response) -> set[str]:
    return {d.strip() for d in response.get("Cache-Control", "").split(",") if d.strip()}


def test_pages_of_a_logged_in_learner_are_private_and_never_stored(alice_client, attempt):
    save_phase(attempt, 1, GOOD)
    for url in [
        reverse("home"),
        reverse("dashboard"),
        reverse("phase", args=[attempt.pk, 1]),
        reverse("attempt", args=[attempt.pk]),
        reverse("export", args=[attempt.pk]),
    ]:
        response = alice_client.get(url)
        assert response.status_code == 200, url
        assert {"private", "no-store"} <= cache_directives(response), url
    saved = alice_client.post(
        reverse("phase", args=[attempt.pk, 1]),
        requirements_post(GOOD, base_revision=1),
        HTTP_HX_REQUEST="true",
    )
    assert {"private", "no-store"} <= cache_directives(saved)


def test_instructor_pages_are_private_and_never_stored(client, foundations):
    dora = make_user("dora", "instructor")
    foundations.instructors.add(dora)
    client.force_login(dora)
    for url in [reverse("teach_home"), reverse("teach_set_export", args=["foundations"])]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert {"private", "no-store"} <= cache_directives(response), url


def test_public_pages_for_visitors_and_static_files_stay_cacheable(client, alice, foundations):
    for url in [reverse("home"), reverse("problemsets"), reverse("rules"), "/healthz/live"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert not {"private", "no-store"} & cache_directives(response), url
    stylesheet = static("css/tutor.css")
    assert stylesheet != "/static/css/tutor.css"  # the hashed name WhiteNoise caches for good
    client.force_login(alice)
    response = client.get(stylesheet)
    assert response.status_code == 200
    assert {"public", "immutable"} <= cache_directives(response)
    assert "no-store" not in cache_directives(response)


# --- Sessions -----------------------------------------------------------------------


def test_login_issues_a_new_session_key(client, alice):
    session = client.session
    session["visited"] = True
    session.save()
    before = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = before

    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_logout_ends_the_session_on_the_server(client, alice):
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()

    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get(reverse("dashboard")).status_code == 302


def test_deactivating_a_user_ends_their_existing_sessions(client, alice):
    client.force_login(alice)
    assert client.get(reverse("dashboard")).status_code == 200
    alice.is_active = False
    alice.save()
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_changing_the_password_ends_other_sessions(alice):
    laptop, phone = Client(), Client()
    laptop.force_login(alice)
    phone.force_login(alice)
    laptop.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-phrase-8",
            "new_password2": "another-long-phrase-8",
        },
    )
    assert laptop.get(reverse("dashboard")).status_code == 200
    assert phone.get(reverse("dashboard")).status_code == 302


# --- Error pages --------------------------------------------------------------------


def test_not_found_page_is_in_the_site_style(client, db):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html and 'class="site-header"' in html


def test_forbidden_page_is_in_the_site_style(client, db):
    client.force_login(make_user("dave"))  # a learner: not allowed to teach
    response = client.get(reverse("teach_home"))
    html = response.content.decode()
    assert response.status_code == 403
    assert "Only instructors can open this page." in html and 'class="site-header"' in html


def test_500_and_503_pages_render_without_the_database():
    # No db fixture: pytest-django fails any query made here.
    request = RequestFactory().get("/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "tutor" in response.content.decode() and "css" in response.content.decode()

    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert "Temporarily unavailable" in response.content.decode()
    assert response["Retry-After"]

    assert service_unavailable().status_code == 503


# --- PostgreSQL unavailable ---------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


OUTAGE = textwrap.dedent(
    """
    import json, time
    import django
    django.setup()
    from django.test import Client

    client = Client(raise_request_exception=False)
    result = {}
    for url in ["/", "/sets/", "/dashboard/", "/healthz/live", "/healthz/ready"]:
        started = time.monotonic()
        response = client.get(url)
        result[url] = {
            "status": response.status_code,
            "seconds": time.monotonic() - started,
            "body": response.content.decode(),
            "csp": response.get("Content-Security-Policy", ""),
        }
    # A logged-in visitor's session lives in the database too.
    client.cookies["sessionid"] = "x" * 32
    response = client.get("/dashboard/")
    result["with-session"] = {"status": response.status_code, "body": response.content.decode()}
    print(json.dumps(result))
    """
)


def test_database_outage_gives_the_503_page_fast_while_liveness_stays_up():
    env = _child_env(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="testserver",
        SECURE_COOKIES="0",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{_closed_port()}/tutor",
        DB_CONNECT_TIMEOUT="3",
    )
    result = subprocess.run(
        [sys.executable, "-c", OUTAGE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])

    for url in ["/", "/sets/", "with-session"]:
        assert outcome[url]["status"] == 503, (url, outcome[url]["status"])
        assert "Temporarily unavailable" in outcome[url]["body"]
        assert "Traceback" not in outcome[url]["body"]
    assert outcome["/"]["seconds"] < 5
    assert "script-src 'self'" in outcome["/"]["csp"]
    assert outcome["/healthz/live"]["status"] == 200
    assert outcome["/healthz/live"]["seconds"] < 1
    assert outcome["/healthz/ready"]["status"] == 503
    assert json.loads(outcome["/healthz/ready"]["body"])["ready"] is False


def test_a_hostile_username_is_an_ordinary_failed_login(client, alice):
    for username in ["ali\x00ce", "a" * 100_000, ""]:
        response = client.post(reverse("login"), {"username": username, "password": "guess"})
        assert response.status_code == 200
