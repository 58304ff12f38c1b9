"""A learner disputes a finding from the keyboard alone: the "I think this is wrong"
disclosure opens with Enter, an empty reason is refused where it was typed, and the sent
dispute replaces only that finding's block, with focus on what happened."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, make_user, shipped_problem_set
from tutor.models import Dispute
from tutor.services import save_phase, start_attempt

ACTIVE = """() => {
  const e = document.activeElement;
  return {tag: e.tagName.toLowerCase(), text: (e.innerText || '').trim(),
          name: e.getAttribute('name'), finding: e.closest('li.finding')?.dataset.code};
}"""


@pytest.fixture
def phase_one(live_server, transactional_db):
    problem = shipped_problem_set().problems.get(slug="url-shortener")
    attempt = start_attempt(make_user("ada"), problem)
    save_phase(attempt, 1, {"functional": [{"text": "A user can shorten a URL", "path": "write"}]})
    return f"{live_server.url}/attempts/{attempt.pk}/phases/1/"


def log_in(page: Page, url: str) -> None:
    """Open ``url`` as ada, through the log-in page it sends her to."""
    page.goto(url)
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(url)


def test_a_finding_is_disputed_with_the_keyboard(page: Page, phase_one, no_reload):
    log_in(page, phase_one)
    finding = page.locator("li.finding[data-code='REQ-010']")
    finding.locator(".goto a").focus()

    with no_reload:
        page.keyboard.press("Tab")
        assert page.evaluate(ACTIVE) == {
            "tag": "summary",
            "text": "I think this is wrong",
            "name": None,
            "finding": "REQ-010",
        }
        page.keyboard.press("Enter")
        reason = finding.get_by_label("Your reason")
        expect(reason).to_be_visible()
        page.keyboard.press("Tab")
        expect(reason).to_be_focused()
        page.keyboard.press("Tab")
        expect(finding.get_by_role("button", name="Send to my instructor")).to_be_focused()
        page.keyboard.press("Enter")  # nothing written yet
        expect(finding.get_by_role("alert")).to_contain_text("Your reason is empty")
        expect(reason).to_be_focused()  # back where the reason goes

        page.keyboard.type("Reads outnumber writes 100 to 1: it is in my notes.")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        state = finding.locator(".dispute-state")
        expect(state).to_have_text("Sent; your instructor will look at it.")
        expect(state).to_be_focused()
        # Only this finding changed: the others still offer the disclosure.
        expect(page.locator("summary", has_text="I think this is wrong")).to_have_count(8)

    dispute = Dispute.objects.get()
    assert (dispute.code, dispute.reason) == (
        "REQ-010",
        "Reads outnumber writes 100 to 1: it is in my notes.",
    )


def test_a_reason_being_written_survives_a_save_of_the_phase(page: Page, phase_one, no_reload):
    """Saving the phase redraws the findings column (htmx, out of band): a reason typed
    but not sent yet is put back, its box open."""
    log_in(page, phase_one)
    finding = page.locator("li.finding[data-code='REQ-010']")
    finding.locator("summary", has_text="I think this is wrong").click()
    finding.get_by_label("Your reason").fill("The ratio is in my notes on scale.")

    with no_reload:
        page.get_by_label("Availability").fill("99.9%")
        page.get_by_role("button", name="Save and check").click()
        expect(page.locator("#status-line")).to_contain_text("Saved")
        finding = page.locator("li.finding[data-code='REQ-010']")
        expect(finding.get_by_label("Your reason")).to_have_value(
            "The ratio is in my notes on scale."
        )
        expect(finding.locator("details.dispute-form")).to_have_attribute("open", "")
    assert not Dispute.objects.exists()  # kept in the browser, not sent


def test_a_dispute_the_server_refuses_says_so_and_keeps_the_reason(
    page: Page, phase_one, no_reload
):
    log_in(page, phase_one)
    page.route("**/disputes/", lambda route: route.fulfill(status=503, body="down"))
    finding = page.locator("li.finding[data-code='REQ-010']")
    finding.locator("summary", has_text="I think this is wrong").click()
    finding.get_by_label("Your reason").fill("The ratio is in my notes.")
    with no_reload:
        finding.get_by_role("button", name="Send to my instructor").click()
        expect(finding.get_by_role("alert")).to_contain_text("Not sent")
        expect(finding.get_by_label("Your reason")).to_have_value("The ratio is in my notes.")
    assert not Dispute.objects.exists()
