"""A save that fails says so and loses nothing (issue 12, item 3): the database goes
away mid-session, the save is refused, the page says "Not saved" and marks its findings
out of date; after a reload the draft kept in the browser is offered back; once the
database is back, a save clears the notice and the draft."""

import pytest
from django.db import OperationalError
from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import blocking_violations, describe, log_in
from tests.factories import make_user, shipped_problem_set
from tutor import services
from tutor.services import start_attempt

DRAFT_KEYS = """() => Object.keys(localStorage).filter(k => k.startsWith("tutor-draft:"))"""
TYPED = "A user can shorten a long URL, typed while the database was away"
SECOND_ROW = "A visitor can follow a short link, typed in a row the server never saw"


@pytest.fixture
def site(live_server, transactional_db):
    problem = shipped_problem_set().problems.get(slug="url-shortener")
    user = make_user("ada")
    attempt = start_attempt(user, problem)
    return {"url": live_server.url, "phase": f"{live_server.url}/attempts/{attempt.pk}/phases/1/"}


def database_gone(*args, **kwargs):
    raise OperationalError("could not connect to server: Connection refused")


def draft_key(page: Page) -> str:
    return page.locator("#phase-form").get_attribute("data-draft-key")


def stored_draft(page: Page):
    return page.evaluate("key => localStorage.getItem(key)", draft_key(page))


def assert_accessible(page: Page, what: str) -> None:
    violations = blocking_violations(page)
    assert not violations, describe({what: violations})


def test_a_failed_save_is_said_kept_offered_back_and_cleared_once_saved(
    page: Page, site, monkeypatch, no_reload
):
    log_in(page, site["url"], "ada")
    page.goto(site["phase"])
    status = page.locator("#status-line")
    expect(status).to_have_attribute("aria-live", "polite")

    # A first save works: findings are on show.
    page.locator("#id_functional-0-text").fill("A user can shorten a URL")
    page.get_by_role("button", name="Save and check").click()
    expect(status).to_contain_text("Saved and checked.")
    expect(page.locator("#findings-column .summary")).to_be_visible()
    assert stored_draft(page) is None

    with no_reload:
        # More typed, in a row added over htmx while the database was still there...
        page.get_by_role("button", name="Add requirement").click()
        expect(page.locator("#id_functional-1-text")).to_be_visible()
        page.locator("#id_functional-0-text").fill(TYPED)
        page.locator("#id_functional-1-text").fill(SECOND_ROW)
        page.locator("#id_functional-1-path").select_option("read")

        # ...then the database goes away and the save is answered 503.
        monkeypatch.setattr(services, "save_and_check", database_gone)
        page.get_by_role("button", name="Save and check").click()
        failed = status.locator(".save-failed")
        expect(failed).to_contain_text("Not saved")
        expect(failed).to_contain_text("cannot reach its database")
        expect(failed).to_contain_text("a copy is kept in this browser")
        expect(status).not_to_contain_text("Saved and checked.")
        # Beside the button too, which may be a long way below the notice.
        expect(page.locator(".form-actions .save-failed-short")).to_contain_text("Not saved.")
        column = page.locator("#findings-column")
        expect(column).to_have_attribute("data-stale", "true")
        expect(column.locator(".stale-banner")).to_have_text(
            "These findings are from your last successful save; they may be out of date."
        )
        assert TYPED in stored_draft(page)
        expect(page.locator("#id_functional-0-text")).to_have_value(TYPED)
    assert_accessible(page, "phase 1 with the failure notice")

    with no_reload:
        # No network at all: said as such, and the notice stays.
        page.route("**/phases/1/", lambda route: route.abort())
        page.get_by_role("button", name="Save and check").click()
        expect(failed).to_contain_text("could not be reached")
        expect(failed).to_have_count(1)
        page.unroute("**/phases/1/")

    # The learner reloads (or closes the tab and comes back): the draft is offered back.
    page.reload()
    expect(page.locator("#id_functional-0-text")).to_have_value("A user can shorten a URL")
    offer = status.locator(".draft-offer")
    expect(offer).to_contain_text("You have unsaved changes from")
    assert_accessible(page, "phase 1 with the restore offer")

    restore = offer.get_by_role("button", name="Restore them")
    restore.focus()
    page.keyboard.press("Enter")  # a real button: the keyboard is enough
    expect(page.locator("#id_functional-0-text")).to_have_value(TYPED)
    result = status.locator(".draft-result")
    expect(result).to_be_focused()
    expect(result).to_contain_text("not saved yet")
    # The second row was never saved, so this page has one row: the learner is told and
    # gets the text to copy.
    expect(result).to_contain_text("1 row of your draft could not be restored")
    expect(result).to_contain_text(SECOND_ROW)

    # The database is back: the save succeeds, the notice and the draft go.
    monkeypatch.undo()
    with no_reload:
        page.get_by_role("button", name="Save and check").click()
        expect(status).to_contain_text("Saved and checked.")
        expect(page.locator(".save-failed, .save-failed-short, .draft-offer")).to_have_count(0)
        expect(page.locator("[data-stale], .stale-banner, .stale-label")).to_have_count(0)
        assert stored_draft(page) is None

    # Reopened: what the server shows is what was typed, and nothing is offered.
    page.reload()
    expect(page.locator("#id_functional-0-text")).to_have_value(TYPED)
    expect(status.locator(".draft-offer")).to_have_count(0)


def test_the_timeout_and_the_discard_button(page: Page, site):
    log_in(page, site["url"], "ada")
    page.goto(site["phase"])
    # A server that never answers: the form gives up after its timeout (shortened here).
    page.locator("#phase-form").evaluate("f => f.setAttribute('hx-request', '{\"timeout\": 500}')")
    page.route(
        "**/phases/1/", lambda route: None if route.request.method == "POST" else route.continue_()
    )
    page.locator("#id_functional-0-text").fill("typed before a save that got no answer")
    page.get_by_role("button", name="Save and check").click()
    expect(page.locator("#status-line .save-failed")).to_contain_text("did not answer in time")
    page.unroute("**/phases/1/")

    page.reload()
    page.get_by_role("button", name="Discard").click()
    expect(page.locator("#status-line")).to_contain_text("were discarded")
    assert stored_draft(page) is None
    expect(page.locator("#id_functional-0-text")).to_have_value("")


def test_logging_out_removes_every_draft(page: Page, site):
    log_in(page, site["url"], "ada")
    page.goto(site["phase"])
    page.locator("#id_functional-0-text").fill("on a shared computer")
    page.wait_for_function("() => Object.keys(localStorage).length > 0")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(site["url"] + "/")
    assert page.evaluate(DRAFT_KEYS) == []
