"""The Content-Security-Policy in a real Chromium: nothing on the pages is refused, and
htmx still swaps the findings in."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, make_user, shipped_problem_set


@pytest.fixture
def site(live_server, transactional_db):
    shipped_problem_set()
    make_user("ada")
    return live_server.url


@pytest.fixture
def csp_reports(page: Page):
    """Every console message and page error Chromium gives for a policy violation."""
    reports = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            reports.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: reports.append(f"page error: {error}"))
    return reports


def test_phase_page_saves_through_htmx_with_no_policy_violation(
    page: Page, site, csp_reports, no_reload
):
    response = page.goto(site + "/accounts/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy

    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(site + "/sets/foundations/url-shortener/")
    page.get_by_role("button", name="Start this problem").click()
    expect(page.get_by_role("heading", name="Phase 1: Requirements")).to_be_visible()

    with no_reload:
        page.locator("#id_functional-0-text").fill("A user can shorten a long URL")
        page.locator("#id_functional-0-path").select_option("write")
        page.get_by_label("Availability").fill("highly available")
        page.get_by_role("button", name="Save and check").click()
        expect(page.locator('li.finding[data-code="REQ-006"]')).to_be_visible()

    # The architecture phase draws an SVG diagram; the rules page is the longest page.
    page.goto(page.url.replace("/phases/1/", "/phases/5/"))
    expect(page.get_by_role("heading", name="Phase 5", exact=False)).to_be_visible()
    page.goto(site + "/rules/")
    page.goto(site + "/no-such-page/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()

    assert csp_reports == []
