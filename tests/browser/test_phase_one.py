"""A real Chromium drives the live server: sign up, start, make a mistake, fix it."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import shipped_problem_set


@pytest.fixture
def site(live_server, transactional_db):
    shipped_problem_set()
    return live_server.url


def test_learner_signs_up_saves_phase_one_sees_a_finding_and_fixes_it(page: Page, site, no_reload):
    page.goto(site + "/")
    page.get_by_role("link", name="Sign up", exact=True).first.click()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password", exact=True).fill("a-long-pass-phrase-7")
    page.get_by_label("Password confirmation").fill("a-long-pass-phrase-7")
    page.get_by_role("button", name="Sign up").click()

    page.get_by_role("link", name="Foundations").click()
    page.get_by_role("link", name="URL shortener").click()
    page.get_by_role("button", name="Start this problem").click()
    expect(page.get_by_role("heading", name="Phase 1: Requirements")).to_be_visible()

    # Grow the list with the Add button (an htmx round trip that keeps what was typed).
    page.locator("#id_functional-0-text").fill("A user can shorten a long URL")
    page.locator("#id_functional-0-path").select_option("write")
    page.get_by_role("button", name="Add requirement").click()
    expect(page.locator("#id_functional-1-text")).to_be_visible()
    expect(page.locator("#id_functional-0-text")).to_have_value("A user can shorten a long URL")
    page.locator("#id_functional-1-text").fill("A visitor can open a short link and be redirected")
    page.locator("#id_functional-1-path").select_option("read")
    page.get_by_label("Availability").fill("highly available")
    url_before = page.url

    page.get_by_role("button", name="Save and check").click()
    finding = page.locator('li.finding[data-code="REQ-006"]')
    expect(finding).to_be_visible()
    expect(finding).to_contain_text("highly available")
    assert page.url == url_before  # swapped in place by htmx, no navigation
    expect(page.locator("#phase-progress li.current")).to_contain_text("has errors")

    # The fix is one click behind the hint.
    fix = finding.locator("details.fix")
    expect(fix.locator("p").first).to_be_hidden()
    fix.locator("summary").click()
    expect(fix).to_contain_text("Why it matters")

    page.get_by_label("Availability").fill("99.9%")
    page.get_by_role("button", name="Save and check").click()
    expect(page.locator('li.finding[data-code="REQ-006"]')).to_have_count(0)
    expect(page.get_by_text("Allowed downtime at 99.9% availability")).to_be_visible()

    # Complete the phase: cover every capability, add the targets, and it passes.
    for text, path in [
        ("A link owner can see how many times their link was opened", "both"),
        ("A link owner can delete their short link", "write"),
    ]:
        rows = page.locator("#section-functional li.row")
        count = rows.count()
        page.get_by_role("button", name="Add requirement").click()
        expect(rows).to_have_count(count + 1)
        row = rows.last
        row.locator("input").first.fill(text)
        row.locator("select").first.select_option(path)
    page.get_by_label("Read:write ratio").fill("10:1")
    page.get_by_label("Users", exact=True).fill("3 million link owners")
    page.locator("#id_latency-0-operation").fill("redirect")
    page.locator("#id_latency-0-percentile").select_option("p99")
    page.locator("#id_latency-0-target").fill("100")
    page.locator("#id_latency-0-unit").select_option("ms")
    page.locator("#id_consistency-0-data").fill("links")
    page.locator("#id_consistency-0-model").select_option("strong")
    page.locator("#id_durability-0-data").fill("links")
    page.locator("#id_durability-0-cost_of_loss").select_option("high")
    page.get_by_role("button", name="Save and check").click()
    expect(page.locator("#phase-progress li.current")).to_contain_text("passed")
    expect(page.locator(".findings-column .summary")).to_contain_text(re.compile("Passed"))


def test_phase_one_saves_without_javascript(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/accounts/signup/")
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password", exact=True).fill("a-long-pass-phrase-7")
    page.get_by_label("Password confirmation").fill("a-long-pass-phrase-7")
    page.get_by_role("button", name="Sign up").click()
    page.goto(site + "/sets/foundations/url-shortener/")
    page.get_by_role("button", name="Start this problem").click()
    page.get_by_role("button", name="Add requirement").click()  # a full round trip
    expect(page.locator("#id_functional-1-text")).to_be_visible()
    page.get_by_label("Availability").fill("fast")
    page.get_by_role("button", name="Save and check").click()
    expect(page.locator('li.finding[data-code="REQ-006"]')).to_be_visible()
    expect(page.get_by_text("Saved and checked.")).to_be_visible()
    context.close()
