"""Phase 5 in a real browser: the saved architecture is drawn, every component on it."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, make_user, shipped_problem_set
from tests.tutor.test_phase56_views import ARCHITECTURE
from tutor.services import save_phase, start_attempt

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture
def phase_url(live_server, transactional_db):
    problem = shipped_problem_set().problems.get(slug="url-shortener")
    attempt = start_attempt(make_user("ada"), problem)
    # Everything but the last read step, which the test adds in the browser.
    save_phase(attempt, 5, {**ARCHITECTURE, "read_path": ARCHITECTURE["read_path"][:3]})
    return f"{live_server.url}/attempts/{attempt.pk}/phases/5/"


def test_saving_phase_five_draws_every_declared_component(
    page: Page, live_server, phase_url, no_reload
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(phase_url)
    with no_reload:
        rows = page.locator("#section-read_path li.row")
        page.get_by_role("button", name="Add read step").click()
        expect(rows).to_have_count(4)
        last = rows.last
        last.locator("input[name$='-component']").fill("db")
        last.locator("input[name$='-action']").fill("select by code")
        last.locator("select[name$='-branch']").select_option("miss")
        page.get_by_role("button", name="Save and check").click()
        read = page.locator("figure.diagram svg").nth(1)
        expect(read.locator("text", has_text="select by code")).to_have_count(1)
    for component in ARCHITECTURE["components"]:
        expect(page.locator("figure.diagram svg").nth(1)).to_contain_text(component["name"])
    expect(page.locator('li.finding[data-code="ARC-009"]')).to_have_count(0)  # miss path given
    ARTEFACTS.mkdir(exist_ok=True)
    page.locator("figure.diagram").nth(1).screenshot(path=str(ARTEFACTS / "phase5-read-path.png"))
    assert (ARTEFACTS / "phase5-read-path.png").stat().st_size > 1000
