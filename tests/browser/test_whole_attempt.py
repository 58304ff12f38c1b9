"""One attempt through all nine phases in a real browser: save each, finish, export."""

import json

import pytest
from playwright.sync_api import Page, expect

from phases.engine.registry import PHASES
from tests.factories import FIXTURES, PASSWORD, make_user, shipped_problem_set
from tutor.services import save_phase, start_attempt

EXAMPLE = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]


@pytest.fixture
def attempt_urls(live_server, transactional_db):
    problem = shipped_problem_set().problems.get(slug="url-shortener")
    attempt = start_attempt(make_user("ada"), problem)
    # Phases 1 to 8 as the example answer file has them; phase 9 is typed in the browser.
    for number in range(1, 9):
        save_phase(attempt, number, EXAMPLE[str(number)])
    base = f"{live_server.url}/attempts/{attempt.pk}/"
    return base


def test_an_attempt_goes_through_all_nine_phases_is_finished_and_exported(
    page: Page, live_server, attempt_urls, tmp_path
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    for phase in PHASES[:8]:
        page.goto(f"{attempt_urls}phases/{phase.number}/")
        page.get_by_role("button", name="Save and check").click()
        expect(page.locator(".findings-column .summary")).to_be_visible()

    page.goto(f"{attempt_urls}phases/9/")
    review = EXAMPLE["9"]
    for index, row in enumerate(review["tradeoffs"]):
        if index:
            rows = page.locator("#section-tradeoffs li.row")
            count = rows.count()
            page.get_by_role("button", name="Add trade-off").click()
            expect(rows).to_have_count(count + 1)
        last = page.locator("#section-tradeoffs li.row").nth(index)
        last.locator("input[name$='-wanted']").fill(row["wanted"])
        last.locator("input[name$='-gave_up']").fill(row["gave_up"])
        last.locator("input[name$='-mechanism']").fill(row["mechanism"])
    page.get_by_label("What you would revisit at ten times the scale").fill(
        review["revisit_at_10x"]
    )
    page.get_by_label("Why the design starts as simple as it does").fill(review["why_simple"])
    page.get_by_role("button", name="Save and check").click()
    expect(page.locator("#phase-progress li.current")).not_to_contain_text("not started")
    expect(page.get_by_role("heading", name="The whole design")).to_be_visible()

    page.get_by_role("link", name="Scores and finishing").click()
    page.get_by_label("I understand that my answers can no longer change").check()
    page.get_by_role("button", name="Finish this attempt").click()
    expect(page.get_by_role("heading", name="Reference solution")).to_be_visible()
    expect(page.locator("table.scores")).to_contain_text("/100")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the whole design as Markdown").click()
    path = tmp_path / "design.md"
    download_info.value.save_as(path)
    text = path.read_text(encoding="utf-8")
    for phase in PHASES:
        assert phase.title in text, phase.title
    assert "```mermaid" in text
