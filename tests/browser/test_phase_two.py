"""Phase 2 in a real browser with a real worker: the report arrives on the page."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, make_user, shipped_problem_set
from tests.tutor.helpers import GOOD_ESTIMATE
from tutor.services import start_attempt


@pytest.fixture
def attempt_url(live_server, transactional_db):
    problem = shipped_problem_set().problems.get(slug="url-shortener")
    attempt = start_attempt(make_user("ada"), problem)
    return f"{live_server.url}/attempts/{attempt.pk}/phases/2/"


def log_in(page: Page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_the_report_computed_by_a_worker_appears_without_a_reload(
    page: Page, live_server, attempt_url, start_worker, no_reload
):
    start_worker()
    log_in(page, live_server)
    page.goto(attempt_url)
    for group in ("assumptions", "results"):
        for key, value in GOOD_ESTIMATE[group].items():
            page.locator(f"#id_{group}__{key}").fill(value)
    page.locator("#id_results__writes_per_s").fill("27,800/s")  # hours for days
    page.locator("#id_conclusion__pressure").select_option("storage")
    page.locator("#id_conclusion__implication").fill("Partition storage from the start.")
    with no_reload:
        page.get_by_role("button", name="Save and check").click()
        expect(page.locator('li.finding[data-code="EST-001"]')).to_contain_text(
            "hours mixed up with days"
        )
        report = page.locator("#report")
        expect(report).to_contain_text("Estimate report", timeout=20_000)
        expect(report).to_contain_text("by a background worker")
        expect(report.locator("tr.verdict-error")).to_contain_text("27,800/s")
