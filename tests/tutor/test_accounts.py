import os
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def test_log_in_and_out(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("dashboard")).status_code == 302


def test_wrong_password_says_so_and_keeps_the_username(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "correct username and password" in html
    assert 'value="alice"' in html


def test_change_password(client, alice):
    client.force_login(alice)
    header = client.get(reverse("dashboard")).content.decode().split("</header>", 1)[0]
    assert f'href="{reverse("password_change")}">alice</a>' in header  # the way there
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-phrase-8",
            "new_password2": "another-long-phrase-8",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("another-long-phrase-8")


def test_signup_errors_name_the_field(client, db):
    response = client.post(reverse("signup"), {"username": "", "password1": "x", "password2": "y"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Username: This field is required." in html


def test_service_check_stops_at_once_and_says_how_to_start(tmp_path):
    env = dict(
        os.environ,
        DATABASE_URL="postgres://postgres@127.0.0.1:1/none",
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    result = subprocess.run(
        [sys.executable, "scripts/check_services.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "PostgreSQL is not reachable at 127.0.0.1:1" in result.stderr
    assert "Redis is not reachable at 127.0.0.1:1" in result.stderr
    assert "Start it with: pg_ctlcluster" in result.stderr
