import os

import pytest
from django.core.management import call_command

from tests.factories import make_user, shipped_problem_set
from tests.worker import start_worker  # noqa: F401 - a fixture for every test folder
from tutor.models import User
from tutor.services import start_attempt


@pytest.fixture(scope="session", autouse=True)
def _static_manifest(django_db_blocker):
    """Production static storage needs a manifest; build it once, as a deploy would."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture
def alice(db):
    """A learner."""
    return make_user("alice")


@pytest.fixture
def bob(db):
    """Another learner, who must never see alice's work."""
    return make_user("bob")


@pytest.fixture
def charlie(db):
    """An instructor of a problem set that alice is not in."""
    return make_user("charlie", User.Role.INSTRUCTOR)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def foundations(db):
    return shipped_problem_set()


@pytest.fixture
def url_shortener(foundations):
    return foundations.problems.get(slug="url-shortener")


def pytest_collection_modifyitems(config, items):
    # Playwright's sync API runs an event loop in the test thread; Django would then
    # refuse ORM calls from the test itself. The live server runs in its own thread.
    if any(item.get_closest_marker("browser") for item in items):
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def attempt(alice, url_shortener):
    """alice's attempt at the URL shortener."""
    return start_attempt(alice, url_shortener)
