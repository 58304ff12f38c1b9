"""What every test folder shares; imports nothing of Django.

``tests/phases`` tests plain Python and runs with no Django settings, no database and no
services: ``pytest tests/phases`` never imports Django. ``tests/tutor`` and
``tests/browser`` need Django: when a run collects either of them (``pytest``,
``pytest tests``, ``pytest tests/tutor/test_access.py``...), ``pytest_configure`` below
names the settings and loads them, and pytest-django (whose own ``pytest_configure`` runs
last) sets Django up before anything is collected. Their fixtures are in
``tests/fixtures_django.py``, imported by their conftests.
"""

import os
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
DJANGO_FOLDERS = (TESTS / "tutor", TESTS / "browser")
SETTINGS = "tutor.settings"


def needs_django(config: pytest.Config) -> bool:
    """Whether any path this run collects is, holds or lies in a folder that needs Django."""
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        for folder in DJANGO_FOLDERS:
            if path == folder or folder in path.parents or path in folder.parents:
                return True
    return False


def pytest_configure(config: pytest.Config) -> None:
    if needs_django(config):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
        # Imported here, not at the top: a run of tests/phases must not import Django.
        # Reading one setting loads them, so pytest-django then calls django.setup().
        from django.conf import settings

        settings.DATABASES  # noqa: B018
