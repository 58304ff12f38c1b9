import os
import shutil
from pathlib import Path

import pytest

from tests.fixtures_django import (  # noqa: F401 - fixtures, found by name
    alice,
    alice_client,
    attempt,
    bob,
    charlie,
    foundations,
    start_worker,
    static_manifest,
    url_shortener,
)

CHROMIUM = "/usr/bin/chromium"
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded one; quiet on a machine with no internet."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which("chromium") or CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(autouse=True)
def _plain_static_urls(settings):
    """The live server serves /static/ through the staticfiles finders, which know the
    files by their plain names, not the hashed names of the production manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def no_reload(page):
    """Assert that what happens inside the block swaps content without loading a page."""

    class Marker:
        def __enter__(self):
            assert page.evaluate("typeof htmx") == "object", "htmx did not load"
            page.evaluate("window.__stillHere = true")

        def __exit__(self, *exc):
            if exc[0] is None:
                assert page.evaluate("window.__stillHere === true"), "the page was reloaded"

    return Marker()


def pytest_collection_modifyitems(items):
    browser = [item for item in items if HERE in item.path.parents]
    for item in browser:
        item.add_marker(pytest.mark.browser)
    if browser:
        # Playwright's sync API runs an event loop in the test thread; Django would then
        # refuse ORM calls from the test itself. The live server runs in its own thread.
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
