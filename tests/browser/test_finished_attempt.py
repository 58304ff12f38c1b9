"""Finishing in a real browser, without JavaScript and from the keyboard: the page will
not finish until the box is ticked, and afterwards every phase page is read-only with
a way to a new attempt. axe finds nothing serious on those pages."""

import json

import pytest
from playwright.sync_api import Browser, Page, expect

from phases.engine.registry import PHASES
from tests.browser.test_accessibility import blocking_violations, describe
from tests.factories import FIXTURES, PASSWORD, make_user, shipped_problem_set
from tutor.models import Attempt
from tutor.services import save_phase, start_attempt

EXAMPLE = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]


@pytest.fixture
def ada_attempt(live_server, transactional_db):
    problem = shipped_problem_set().problems.get(slug="url-shortener")
    attempt = start_attempt(make_user("ada"), problem)
    for number in (1, 3):
        save_phase(attempt, number, EXAMPLE[str(number)])
    return attempt


def log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda u: "/accounts/login/" not in u)


def test_finishing_without_javascript_needs_the_box_ticked(
    browser: Browser, live_server, ada_attempt
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server.url)
    overview = f"{live_server.url}/attempts/{ada_attempt.pk}/"
    page.goto(overview)

    page.get_by_role("button", name="Finish this attempt").click()
    page.wait_for_timeout(300)  # the browser refuses an unticked required box: no request
    assert page.url == overview
    assert Attempt.objects.get(pk=ada_attempt.pk).state == Attempt.State.IN_PROGRESS

    # From the keyboard: tick the box with Space, then Tab to the button and press Enter.
    page.get_by_label("I understand that my answers can no longer change").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(overview)
    expect(page.locator("#finished-banner")).to_contain_text("This attempt is finished")
    assert Attempt.objects.get(pk=ada_attempt.pk).is_finished

    page.goto(f"{overview}phases/1/")
    expect(page.locator("#finished-banner")).to_be_visible()
    expect(page.get_by_role("button", name="Save and check")).to_have_count(0)
    expect(page.locator("button[name=row_action]")).to_have_count(0)
    expect(page.locator("#id_functional-0-text")).to_be_disabled()
    page.get_by_role("button", name="Start a new attempt at URL shortener").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(lambda u: f"/attempts/{ada_attempt.pk}/" not in u)
    newer = Attempt.objects.get(learner=ada_attempt.learner, state=Attempt.State.IN_PROGRESS)
    assert page.url.endswith(f"/attempts/{newer.pk}/phases/1/")
    expect(page.get_by_role("button", name="Save and check")).to_be_visible()
    context.close()


def test_the_finish_refusal_and_a_finished_attempt_have_no_serious_violation(
    page: Page, live_server, ada_attempt
):
    log_in(page, live_server.url)
    overview = f"{live_server.url}/attempts/{ada_attempt.pk}/"
    found = {}
    page.goto(overview)
    # The server's refusal, as a browser that ignores `required` would get it.
    page.evaluate("document.querySelector('#finish-form input[name=confirm]').required = false")
    page.get_by_role("button", name="Finish this attempt").click()
    expect(page.locator("#finish-form .error")).to_contain_text("Not finished: tick the box")
    assert Attempt.objects.get(pk=ada_attempt.pk).state == Attempt.State.IN_PROGRESS
    if violations := blocking_violations(page):
        found["finish refused"] = violations

    ada_attempt.finish()
    for path in ["", *(f"phases/{phase.number}/" for phase in PHASES)]:
        page.goto(overview + path)
        expect(page.locator("#finished-banner")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], (path, width)
        if violations := blocking_violations(page):
            found[overview + path] = violations
    assert not found, "serious or critical accessibility violations:\n" + describe(found)
