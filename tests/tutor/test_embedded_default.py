"""The zero-configuration run: SQLite and in-process tasks, with nothing else installed."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import django
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from tests.tutor.helpers import requirements_post
    from tutor.models import PhaseAnswer

    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    call_command("migrate", verbosity=0)
    call_command("import_problemset", "fixtures/problemsets/foundations.yaml", verbosity=0)
    client = Client()
    response = client.post("/accounts/signup/", {"username": "eve",
        "password1": "a-long-pass-phrase-7", "password2": "a-long-pass-phrase-7"})
    assert response.status_code == 302, response.status_code
    response = client.post("/sets/foundations/url-shortener/start/")
    phase_url = response["Location"]
    document = json.load(open("fixtures/answers/url-shortener.json"))["phases"]["1"]
    document["availability"] = "highly available"
    response = client.post(phase_url, requirements_post(document), HTTP_HX_REQUEST="true")
    assert 'data-code="REQ-006"' in response.content.decode()
    # Saved again with other notes: the same findings, so the answer is written in place.
    document["clarifications"]["notes"] = "Saved again."
    response = client.post(phase_url, requirements_post(document, 1), HTTP_HX_REQUEST="true")
    assert "Saved and checked." in response.content.decode()
    assert PhaseAnswer.objects.get().revision == 2
    assert PhaseAnswer.objects.get().data["clarifications"]["notes"] == "Saved again."
    for number in (1, 2, 5, 9):  # each page read through the attempt's own SQL
        page = client.get(phase_url.replace("/phases/1/", f"/phases/{number}/"))
        assert page.status_code == 200, (number, page.status_code)
        assert "attempt started" in page.content.decode()
    answer = PhaseAnswer.objects.get()
    print(json.dumps({"status": answer.status,
                      "codes": sorted(answer.findings.values_list("code", flat=True))}))
    """
)


def test_phase_one_works_on_sqlite_with_tasks_in_process(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}
    }
    env.update(
        DEBUG="1",
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="tutor.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "errors"
    assert "REQ-006" in outcome["codes"]
    assert (tmp_path / "db.sqlite3").exists()
