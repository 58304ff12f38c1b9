"""The learner's workspace in a real browser, on all nine phases of a sound attempt: the
form has most of the width at 1280 px, nothing scrolls sideways at 390 px and the
findings are reached from the first screen; textareas grow with their text; the report
is folded while a phase has errors."""

import json

import pytest
from playwright.sync_api import Page, expect

from tests.factories import FIXTURES, PASSWORD, make_user, shipped_problem_set
from tutor.services import save_phase, start_attempt

ACCURACY = FIXTURES / "accuracy" / "url-shortener"
SOUND = json.loads((ACCURACY / "sound.json").read_text())["phases"]
FLAWED = json.loads((ACCURACY / "flawed-classic-slips.json").read_text())["phases"]
WIDE, NARROW = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


def attempt_with(username: str, phases: dict) -> int:
    problem = shipped_problem_set().problems.get(slug="url-shortener")
    attempt = start_attempt(make_user(username), problem)
    for number in range(1, 10):
        save_phase(attempt, number, phases[str(number)])
    return attempt.pk


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def sound(live_server, transactional_db) -> str:
    return f"{live_server.url}/attempts/{attempt_with('ada', SOUND)}/phases/"


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url}: {width[0]} px wide in a {width[1]} px window"


def test_every_phase_gives_the_form_the_width_and_fits_a_phone(page: Page, live_server, sound):
    log_in(page, live_server, "ada")
    for number in range(1, 10):
        page.set_viewport_size(WIDE)
        page.goto(f"{sound}{number}/")
        form = page.locator("#phase-form").bounding_box()
        findings = page.locator("#findings-column").bounding_box()
        assert form and form["width"] >= 720, (number, form)
        assert findings and findings["x"] > form["x"] + form["width"], "findings beside the form"
        expect(page.locator("#findings-jump")).to_be_hidden()  # the findings are in sight
        # Saved, so the guidance is folded; the problem's numbers stay in sight.
        expect(page.locator("details.guidance-panel")).not_to_have_attribute("open", "")
        expect(page.locator("dd[data-given='writes']")).to_be_visible()
        no_sideways_scroll(page)

        page.set_viewport_size(NARROW)
        page.goto(f"{sound}{number}/")
        no_sideways_scroll(page)
        jump = page.locator("#findings-jump a")
        box = jump.bounding_box()
        assert box and box["y"] + box["height"] <= NARROW["height"], (number, box)
        jump.click()
        expect(page.locator("#findings-heading")).to_be_in_viewport()
        # Far down the page: the findings come after the form on a phone.
        assert page.evaluate("window.scrollY") > NARROW["height"], number


def test_a_textarea_grows_with_its_text(page: Page, live_server, sound):
    page.set_viewport_size(WIDE)
    log_in(page, live_server, "ada")
    page.goto(f"{sound}1/")
    notes = page.locator("textarea").first
    notes.fill("short")
    before = notes.bounding_box()["height"]
    notes.fill("\n".join(f"Line {n} of a long note about the design." for n in range(12)))
    after = notes.bounding_box()["height"]
    assert after > before + 100, (before, after)
    assert page.evaluate("getComputedStyle(document.querySelector('textarea')).resize") == (
        "vertical"
    )


def test_the_report_is_folded_while_errors_are_open(page: Page, live_server, sound):
    flawed = attempt_with("bea", FLAWED)
    page.set_viewport_size(WIDE)
    log_in(page, live_server, "bea")
    page.goto(f"{live_server.url}/attempts/{flawed}/phases/8/")
    expect(page.locator(".findings-column .summary")).to_contain_text("Has errors")
    fold = page.locator("details#report-fold")
    expect(fold).not_to_have_attribute("open", "")
    expect(fold.locator("summary")).to_contain_text("folded while this phase has errors")
    expect(fold.locator("table.computed").first).to_be_hidden()
    fold.locator("summary").click()
    expect(fold.locator("table.computed").first).to_be_visible()

    page.context.clear_cookies()  # and ada's phase 1, which passed: open
    log_in(page, live_server, "ada")
    page.goto(f"{sound}1/")
    fold = page.locator("details#report-fold")
    expect(fold).to_have_attribute("open", "")
    expect(fold.locator("summary")).not_to_contain_text("folded")
    expect(fold.locator("table.computed").first).to_be_visible()
