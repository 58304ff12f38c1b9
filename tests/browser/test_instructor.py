"""An instructor authors a problem with ranged givens in a real browser, tests it,
publishes it; a learner's attempt draws its own numbers; hostile Markdown runs nothing."""

import pytest
from playwright.sync_api import Page, expect

from phases.reading.quantities import parse_quantity
from tests.factories import PASSWORD, make_user, shipped_problem_set
from tutor.models import User

HOSTILE = (
    'Count **events**.\n\n<img src=x onerror="window.__xss=1">'
    "<script>window.__xss=2</script> [click](javascript:window.__xss=3)"
)
SAMPLES = (
    "- name: misses counting\n  answers:\n    '1': {functional: [{text: A user can read "
    "totals, path: read}]}\n  must: [REQ-001]\n  must_not: []\n"
)


@pytest.fixture
def site(live_server, transactional_db):
    problem_set = shipped_problem_set()
    teacher = make_user("tess", User.Role.INSTRUCTOR)
    problem_set.instructors.add(teacher)
    make_user("lee")
    return live_server.url


def log_in(page: Page, site: str, username: str):
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_instructor_authors_tests_and_publishes_and_the_learner_draws_numbers(
    browser, site, tmp_path
):
    teacher = browser.new_page()
    log_in(teacher, site, "tess")
    teacher.get_by_role("link", name="Teaching").click()
    teacher.get_by_role("link", name="Foundations").first.click()
    teacher.get_by_role("link", name="New problem").click()
    teacher.get_by_label("Title").fill("Event counter")
    teacher.get_by_label("Slug").fill("event-counter")
    teacher.get_by_label("Statement").fill(HOSTILE)
    preview = teacher.locator("#statement-preview")
    expect(preview.locator("strong")).to_have_text("events")  # the live preview follows
    teacher.get_by_label("Givens").fill(
        "writes: {label: Events a day, min: 10M/day, max: 50M/day}\n"
    )
    teacher.get_by_label("Expectations").fill(
        "phase1:\n  capabilities:\n    - {id: count, label: counting an event, "
        "synonyms: [count event]}\n"
    )
    teacher.get_by_label("Sample answers").fill(SAMPLES)
    teacher.get_by_label("Published").check()
    teacher.get_by_role("button", name="Save").click()
    expect(teacher.get_by_role("heading", name="Event counter")).to_be_visible()

    teacher.get_by_role("button", name="Run the samples").click()
    expect(teacher.locator("#results")).to_contain_text("PASS misses counting")
    assert teacher.evaluate("window.__xss") is None  # nothing ran in preview or page

    learner = browser.new_page()
    log_in(learner, site, "lee")
    learner.goto(f"{site}/sets/foundations/event-counter/")
    expect(learner.locator(".prose strong")).to_have_text("events")
    assert learner.evaluate("window.__xss") is None
    assert learner.locator(".prose a[href^='javascript']").count() == 0
    learner.get_by_role("button", name="Start this problem").click()
    drawn = learner.locator("dd[data-given='writes']").inner_text()
    per_second = parse_quantity(drawn, expect="rate").value
    assert 10e6 / 86_400 <= per_second <= 50e6 / 86_400
    assert learner.evaluate("window.__xss") is None

    learner.locator(".breadcrumb a", has_text="attempt started").click()
    with learner.expect_download() as download_info:
        learner.get_by_role("link", name="Download the whole design as Markdown").click()
    path = tmp_path / "design.md"
    download_info.value.save_as(path)
    export = path.read_text(encoding="utf-8")
    assert "Count **events**" in export
    assert "<script" not in export and "<img" not in export and "javascript:" not in export
