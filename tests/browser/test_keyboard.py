"""A phase form works from the keyboard alone: the skip link comes first, every control
is reached with Tab, rows are added and the phase saved with Enter/Space, and focus is
always visible."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, make_user, shipped_problem_set
from tutor.services import start_attempt

ACTIVE = """() => {
  const e = document.activeElement;
  return e ? {tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute('name'),
              value: e.value, text: (e.innerText || '').trim(),
              finding: e.closest('li.finding')?.dataset.code} : null;
}"""

FOCUS_RING = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  return {visible: e.matches(':focus-visible'), style: style.outlineStyle,
          width: parseFloat(style.outlineWidth)};
}"""


@pytest.fixture
def phase_one(live_server, transactional_db):
    problem = shipped_problem_set().problems.get(slug="url-shortener")
    attempt = start_attempt(make_user("ada"), problem)
    return f"{live_server.url}/attempts/{attempt.pk}/phases/1/"


def log_in(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def active(page: Page) -> dict:
    return page.evaluate(ACTIVE)


def assert_focus_visible(page: Page) -> None:
    ring = page.evaluate(FOCUS_RING)
    assert ring["visible"], f"{active(page)} is focused without :focus-visible"
    assert ring["style"] != "none" and ring["width"] >= 2, f"no focus outline on {active(page)}"


def tab_to(page: Page, matches, *, limit: int = 80, key: str = "Tab") -> dict:
    """Press Tab (or Shift+Tab) until the focused element satisfies ``matches``."""
    for _ in range(limit):
        page.keyboard.press(key)
        element = active(page)
        if element and matches(element):
            assert_focus_visible(page)
            return element
    raise AssertionError(f"{key} never reached the element; focus ended on {active(page)}")


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page: Page, phase_one):
    log_in(page, phase_one)
    page.wait_for_url(phase_one)
    page.keyboard.press("Tab")
    first = active(page)
    assert first["tag"] == "a" and first["text"] == "Skip to content", first
    assert_focus_visible(page)
    expect(page.locator(".skip-link")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert active(page)["id"] == "main"
    # The next Tab continues inside main, not back in the site header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")


def test_phase_one_is_filled_and_saved_with_the_keyboard_alone(page: Page, phase_one, no_reload):
    log_in(page, phase_one)
    page.wait_for_url(phase_one)
    page.locator("body").focus()  # start at the top, as a fresh page load does

    with no_reload:
        tab_to(page, lambda e: e["id"] == "id_functional-0-text")
        page.keyboard.type("A user can shorten a long URL")
        # The row's path comes next; a closed select changes with the arrow keys.
        page.keyboard.press("Tab")
        assert active(page)["id"] == "id_functional-0-path"
        assert_focus_visible(page)
        for _ in range(5):
            if active(page)["value"] == "write":
                break
            page.keyboard.press("ArrowDown")
        assert active(page)["value"] == "write"

        # Add a row with the Add button, pressed with Enter.
        tab_to(page, lambda e: e["tag"] == "button" and e["value"] == "add:functional")
        page.keyboard.press("Enter")
        expect(page.locator("#id_functional-1-text")).to_be_visible()
        expect(page.locator("#id_functional-0-text")).to_have_value("A user can shorten a long URL")
        expect(page.locator("#id_functional-0-path")).to_have_value("write")
        # Focus stays on the Add button, so the new row is one Shift+Tab walk away.
        expect(page.get_by_role("button", name="Add requirement")).to_be_focused()
        assert_focus_visible(page)
        tab_to(page, lambda e: e["id"] == "id_functional-1-text", key="Shift+Tab")
        page.keyboard.type("A visitor can open a short link and be redirected")
        page.keyboard.press("Tab")
        assert active(page)["id"] == "id_functional-1-path"
        for _ in range(5):
            if active(page)["value"] == "read":
                break
            page.keyboard.press("ArrowDown")
        assert active(page)["value"] == "read"

        tab_to(page, lambda e: e["id"] == "id_availability")
        page.keyboard.type("highly available")

        # Save and check, pressed with Space.
        tab_to(page, lambda e: e["tag"] == "button" and e["text"] == "Save and check")
        page.keyboard.press("Space")
        finding = page.locator('li.finding[data-code="REQ-006"]')
        expect(finding).to_be_visible()
        expect(page.locator(".findings-column .summary")).to_contain_text("Has errors")
        expect(page.get_by_text("Saved and checked.")).to_be_visible()
        expect(page.locator("#id_functional-1-text")).to_have_value(
            "A visitor can open a short link and be redirected"
        )
        # Focus is not lost to the top of the page: it is back on the save button.
        expect(page.get_by_role("button", name="Save and check")).to_be_focused()
        assert_focus_visible(page)

        # The fix behind a finding opens from the keyboard too.
        tab_to(page, lambda e: e["tag"] == "summary" and e["finding"] == "REQ-006")
        page.keyboard.press("Enter")
        expect(finding.locator("details.fix")).to_have_attribute("open", "")

        # Fix the availability, then save again with Enter.
        tab_to(page, lambda e: e["id"] == "id_availability", key="Shift+Tab", limit=200)
        page.keyboard.press("Control+A")
        page.keyboard.type("99.9%")
        tab_to(page, lambda e: e["tag"] == "button" and e["text"] == "Save and check")
        page.keyboard.press("Enter")
        expect(page.locator('li.finding[data-code="REQ-006"]')).to_have_count(0)
        expect(page.get_by_text("Allowed downtime at 99.9% availability")).to_be_visible()
