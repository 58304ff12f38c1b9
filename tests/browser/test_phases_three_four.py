"""Phases 3 and 4 in a real browser: rows added, removed, saved; findings across phases."""

import json

import pytest
from playwright.sync_api import Page, expect

from tests.factories import FIXTURES, PASSWORD, make_user, shipped_problem_set
from tutor.services import save_phase, start_attempt

PHASE_ONE = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]["1"]
RESOLVE = PHASE_ONE["functional"][1]["text"]
SHORTEN = PHASE_ONE["functional"][0]["text"]


@pytest.fixture
def attempt_url(live_server, transactional_db):
    problem = shipped_problem_set().problems.get(slug="url-shortener")
    attempt = start_attempt(make_user("ada"), problem)
    save_phase(attempt, 1, PHASE_ONE)
    return f"{live_server.url}/attempts/{attempt.pk}/phases/"


@pytest.fixture
def logged_in(page: Page, live_server, attempt_url):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    return page


def add_row(page: Page, section: str, button: str):
    rows = page.locator(f"#section-{section} li.row")
    count = rows.count()
    page.get_by_role("button", name=button).click()
    expect(rows).to_have_count(count + 1)
    return rows.last


def test_data_model_rows_are_added_removed_and_checked_against_phase_one(
    logged_in: Page, attempt_url, no_reload
):
    page = logged_in
    page.goto(attempt_url + "3/")
    with no_reload:
        first = page.locator("#section-access_patterns li.row").first
        first.locator("select[name$='-requirement']").select_option(RESOLVE)
        first.locator("input[name$='-name']").fill("resolve a short code")
        first.locator("input[name$='-entity']").fill("Link")
        first.locator("select[name$='-kind']").select_option("read")
        first.locator("select[name$='-lookup']").select_option("by_key")
        first.locator("select[name$='-storage']").select_option("key_value")

        second = add_row(page, "access_patterns", "Add access pattern")
        second.locator("input[name$='-name']").fill("a row typed by mistake")
        expect(first.locator("input[name$='-name']")).to_have_value("resolve a short code")
        page.get_by_role("button", name="Remove access pattern 2").click()
        expect(page.locator("#section-access_patterns li.row")).to_have_count(1)

        page.get_by_role("button", name="Save and check").click()
        missing = page.locator('li.finding[data-code="DAT-001"]').first
        expect(missing).to_contain_text("access pattern")
    link = missing.get_by_role("link", name="Go to the field in phase 1, Requirements")
    anchor = link.get_attribute("href").split("#")[1]
    link.click()
    expect(page).to_have_url(f"{attempt_url}1/#{anchor}")
    expect(page.locator(f"#{anchor}")).to_be_visible()
    expect(page.get_by_role("heading", name="Phase 1: Requirements")).to_be_visible()


def test_api_endpoint_rows_are_checked_and_fixed(logged_in: Page, attempt_url, no_reload):
    page = logged_in
    page.goto(attempt_url + "4/")
    with no_reload:
        protocol = page.locator("#section-protocols li.row").first
        protocol.locator("input[name$='-client']").fill("browsers and mobile apps")
        protocol.locator("select[name$='-protocol']").select_option("rest")
        protocol.locator("input[name$='-reason']").fill("public and cacheable")
        endpoint = page.locator("#section-endpoints li.row").first
        endpoint.locator("select[name$='-requirement']").select_option(SHORTEN)
        endpoint.locator("select[name$='-method']").select_option("POST")
        endpoint.locator("input[name$='-path']").fill("/urls")
        endpoint.locator("input[name$='-status']").fill("201")
        page.get_by_role("button", name="Save and check").click()
        expect(page.locator('li.finding[data-code="API-001"]')).to_be_visible()
        expect(page.locator('li.finding[data-code="API-004"]')).to_be_visible()

        endpoint = page.locator("#section-endpoints li.row").first
        endpoint.locator("input[name$='-path']").fill("/v1/urls")
        endpoint.locator("select[name$='-idempotency']").select_option("idempotency_key")
        page.get_by_role("button", name="Save and check").click()
        expect(page.locator('li.finding[data-code="API-001"]')).to_have_count(0)
        expect(page.locator('li.finding[data-code="API-004"]')).to_have_count(0)
