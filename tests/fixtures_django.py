"""The fixtures of the tests that need Django: people, the shipped problem set, a worker.

Imported by name into ``tests/tutor/conftest.py`` and ``tests/browser/conftest.py``, the
two folders whose tests use Django; ``tests/phases`` never sees them (it runs with no
Django settings, no database and no services). Importing this module needs Django set
up: the root ``tests/conftest.py`` asks pytest-django to do it when a run collects either
folder; a run started inside one (``pytest tests/tutor/test_access.py``) loads that
folder's conftest before any ``pytest_configure``, so the setup is done here first, and
pytest-django finishes it (blocking the database outside ``db`` fixtures) as usual.
"""

import os

import django
import pytest
from django.apps import apps

if not apps.ready:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutor.settings")
    django.setup()

from django.core.management import call_command  # noqa: E402 - needs the app registry

from tests.factories import make_user, shipped_problem_set  # noqa: E402
from tests.worker import start_worker  # noqa: E402
from tutor.models import Attempt, Problem, ProblemSet, User  # noqa: E402
from tutor.services import start_attempt  # noqa: E402

__all__ = [
    "alice",
    "alice_client",
    "attempt",
    "bob",
    "charlie",
    "foundations",
    "start_worker",
    "static_manifest",
    "url_shortener",
]

_manifest_built = False


@pytest.fixture(scope="session", autouse=True)
def static_manifest(django_db_blocker) -> None:
    """Production static storage needs a manifest; build it once, as a deploy would.

    Both Django folders import this fixture, so each has its own copy of it: the flag
    keeps a run of the whole suite to one ``collectstatic``.
    """
    global _manifest_built
    if not _manifest_built:
        call_command("collectstatic", interactive=False, verbosity=0)
        _manifest_built = True


@pytest.fixture
def alice(db) -> User:
    """A learner."""
    return make_user("alice")


@pytest.fixture
def bob(db) -> User:
    """Another learner, who must never see alice's work."""
    return make_user("bob")


@pytest.fixture
def charlie(db) -> User:
    """An instructor of a problem set that alice is not in."""
    return make_user("charlie", User.Role.INSTRUCTOR)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def foundations(db) -> ProblemSet:
    return shipped_problem_set()


@pytest.fixture
def url_shortener(foundations) -> Problem:
    return foundations.problems.get(slug="url-shortener")


@pytest.fixture
def attempt(alice, url_shortener) -> Attempt:
    """alice's attempt at the URL shortener."""
    return start_attempt(alice, url_shortener)
