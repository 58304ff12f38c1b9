"""The reference design beside the learner's, in a real browser at 1280 and 390 px.

Two readable columns at 1280 px, one after the other at 390 px, never a page that
scrolls sideways; phase 5's diagrams keep the size they were drawn at (their text stays
legible) and scroll inside a box the keyboard reaches; axe finds nothing serious.
Screenshots go to test-results/ to be looked at.
"""

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from phases.engine.registry import PHASE_NUMBERS
from tests.browser.test_accessibility import blocking_violations, describe
from tests.factories import FIXTURES, PASSWORD, make_user, shipped_problem_set
from tutor.services import save_phase, start_attempt

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results"
FLAWED = json.loads(
    (FIXTURES / "accuracy" / "url-shortener" / "flawed-classic-slips.json").read_text()
)["phases"]
WIDTHS = (1280, 390)


@pytest.fixture
def finished(live_server, transactional_db):
    problem = shipped_problem_set().problems.get(slug="url-shortener")
    attempt = start_attempt(make_user("ada"), problem)
    for number in PHASE_NUMBERS:
        save_phase(attempt, number, FLAWED[str(number)])
    attempt.finish()
    return attempt


def log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda u: "/accounts/login/" not in u)


def test_the_comparison_reads_at_1280_and_390_px(page: Page, live_server, finished):
    ARTEFACTS.mkdir(exist_ok=True)
    log_in(page, live_server.url)
    found = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for number in (1, 5, 7):
            url = f"{live_server.url}/attempts/{finished.pk}/reference/{number}/"
            page.goto(url)
            own, reference = page.locator("#own-answer"), page.locator("#reference-answer")
            expect(own).to_be_visible()
            expect(reference).to_be_visible()
            page.screenshot(
                path=str(ARTEFACTS / f"reference-design-phase{number}-{width}.png"),
                full_page=True,
            )
            assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), (
                number,
                width,
                page.evaluate("document.documentElement.scrollWidth"),
            )
            mine, theirs = own.bounding_box(), reference.bounding_box()
            if width == 1280:  # side by side, each at least a third of the page wide
                assert abs(mine["y"] - theirs["y"]) < 2 and theirs["x"] > mine["x"]
                assert mine["width"] > 1280 / 3 and theirs["width"] > 1280 / 3
            else:  # one after the other, each the width of the page
                assert theirs["y"] >= mine["y"] + mine["height"]
                assert mine["width"] > 300
            if number == 5:
                # Both designs' two paths, each drawn at least at its own size.
                assert page.locator("#own-answer svg.path-diagram").count() == 2
                assert page.locator("#reference-answer svg.path-diagram").count() == 2
                scales = page.evaluate(
                    "[...document.querySelectorAll('svg.path-diagram')].map("
                    "s => s.getBoundingClientRect().width / s.viewBox.baseVal.width)"
                )
                assert min(scales) >= 0.99, scales
                # The box a wide diagram scrolls in is reached from the keyboard.
                box = page.locator("#reference-answer figure.scroll-box").first
                box.focus()
                assert page.evaluate("document.activeElement.matches('figure.scroll-box')")
            if violations := blocking_violations(page):
                found[f"{url} at {width}px"] = violations
    assert not found, "serious or critical accessibility violations:\n" + describe(found)


def test_the_phase_links_walk_all_nine_phases_without_javascript(browser, live_server, finished):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/attempts/{finished.pk}/")
    page.get_by_role("link", name="Compare your design with the reference design").click()
    for number in PHASE_NUMBERS:
        expect(page.locator("h1")).to_contain_text(f"Phase {number},")
        expect(page.locator("#reference-answer")).to_be_visible()
        if number < 9:
            page.get_by_role("navigation", name="Previous and next phase").get_by_role(
                "link", name=f"Phase {number + 1},"
            ).click()
    context.close()
