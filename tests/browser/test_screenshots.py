"""Every main page, as a learner and as an instructor see it, at 1280 and at 390 px wide.

For each page and width this keeps a full-page screenshot in ``test-results/screens/``
(so a person can look at what the suite saw) and asserts three things a learner would
notice at once:

- nothing scrolls sideways (the document is no wider than the window);
- text inside the server-drawn diagrams renders at 11 px or more (font size × the scale
  the page draws the SVG at), so a diagram is read without zooming;
- axe finds no serious or critical violation.

Every problem found on every page is collected first and reported together.
"""

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page

from phases.engine.registry import PHASES
from tests.browser.test_accessibility import blocking_violations, describe, log_in
from tests.factories import FIXTURES, make_user, shipped_problem_set
from tutor import services
from tutor.models import Report, User
from tutor.services import (
    decide_dispute,
    dispute_finding,
    finish_attempt,
    save_phase,
    start_attempt,
)

SCREENS = Path(__file__).resolve().parents[2] / "test-results" / "screens"
EXAMPLE = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]
WIDTHS = {"wide": 1280, "narrow": 390}
SMALLEST_LEGIBLE_PX = 11

# How far the document is wider than the window: 0 when nothing scrolls sideways.
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
# The elements that stick out past the window's right edge, for the failure message.
OVERFLOWING = """() => {
  const clipped = e => {
    for (let p = e.parentElement; p; p = p.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !clipped(e))
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + ' (right edge ' + Math.round(e.getBoundingClientRect().right) + 'px)');
}"""
# The smallest label drawn in a visible inline SVG, in CSS pixels as rendered: its font
# size in user units times the ratio of the drawn width to the viewBox width.
SMALLEST_SVG_TEXT = """() => {
  let smallest = null;
  for (const svg of document.querySelectorAll('svg')) {
    const box = svg.viewBox && svg.viewBox.baseVal;
    const drawn = svg.getBoundingClientRect();
    if (!box || !box.width || !drawn.width) continue;
    const scale = drawn.width / box.width;
    for (const text of svg.querySelectorAll('text')) {
      if (!text.textContent.trim()) continue;
      const px = parseFloat(getComputedStyle(text).fontSize) * scale;
      if (smallest === null || px < smallest.px)
        smallest = {px: Math.round(px * 10) / 10, text: text.textContent.trim().slice(0, 40)};
    }
  }
  return smallest;
}"""


@pytest.fixture
def site(live_server, transactional_db, monkeypatch):
    """A learner with all nine phases saved, one with a finished attempt, a flawed answer
    with a disputed finding, and an instructor of the set."""
    monkeypatch.setattr(
        services,
        "enqueue_report",
        lambda report_id, revision: services.run_report(
            report_id, revision, where=Report.Where.INLINE
        ),
    )
    problem_set = shipped_problem_set()
    problem = problem_set.problems.get(slug="url-shortener")
    attempt = start_attempt(make_user("ada"), problem)
    for phase in PHASES:
        save_phase(attempt, phase.number, EXAMPLE[str(phase.number)])
    finished = start_attempt(make_user("fay"), problem)
    for phase in PHASES:
        save_phase(finished, phase.number, EXAMPLE[str(phase.number)])
    finish_attempt(finished)
    flawed = start_attempt(attempt.learner, problem_set.problems.get(slug="pastebin"))
    flawed_estimate = json.loads(json.dumps(EXAMPLE["2"]))
    flawed_estimate["results"]["writes_per_s"] = "11,600/s"  # a zero too many
    save_phase(flawed, 2, flawed_estimate)
    answer = save_phase(flawed, 1, {"functional": [{"text": "A user can paste", "path": "write"}]})
    teacher = make_user("tess", User.Role.INSTRUCTOR)
    problem_set.instructors.add(teacher)
    finding = answer.findings.exclude(severity="pass").first()
    dispute = dispute_finding(flawed, answer, finding, "I think this is wrong.").dispute
    decide_dispute(dispute, teacher, "rule_right", "It is right: see the rule's page.")
    return {
        "url": live_server.url,
        "set": problem_set,
        "problem": problem,
        "attempt": attempt,
        "finished": finished,
        "flawed": flawed,
        "dispute": dispute,
    }


def look(page: Page, name: str, width: str, problems: dict[str, list[str]]) -> None:
    """Keep the screenshot, then note every way the page fails a learner's eye."""
    page.wait_for_load_state("networkidle")
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}-{width}.png"), full_page=True)
    found = []
    overflow = page.evaluate(OVERFLOW)
    if overflow > 0:
        found.append(f"scrolls sideways by {overflow}px: {page.evaluate(OVERFLOWING)}")
    smallest = page.evaluate(SMALLEST_SVG_TEXT)
    if smallest and smallest["px"] < SMALLEST_LEGIBLE_PX:
        found.append(f"diagram text drawn at {smallest['px']}px: {smallest['text']!r}")
    violations = blocking_violations(page)
    if violations:
        found.append(describe({name: violations}))
    if found:
        problems[f"{name} at {WIDTHS[width]}px"] = found


def walk(page: Page, url: str, pages: dict[str, str], width: str, problems, before=None):
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    for name, path in pages.items():
        response = page.goto(url + path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        if before:
            before(page, name)
        look(page, name, width, problems)


def report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{where}:\n  " + "\n  ".join(found) for where, found in problems.items())


def save_first(page: Page, name: str) -> None:
    """A phase page as the learner sees it just after pressing Save and check."""
    if name.startswith("phase-"):
        page.get_by_role("button", name="Save and check").click()
        page.locator(".findings-column .summary").wait_for()


@pytest.mark.parametrize("width", WIDTHS)
def test_learner_pages(page: Page, site, width):
    log_in(page, site["url"], "ada")
    attempt = site["attempt"]
    phases = {
        f"phase-{phase.number}": f"/attempts/{attempt.pk}/phases/{phase.number}/"
        for phase in PHASES
    }
    pages = {
        "dashboard": "/dashboard/",
        "attempt": f"/attempts/{attempt.pk}/",
        **phases,
        "phase-2-errors": f"/attempts/{site['flawed'].pk}/phases/2/",
        "rules": "/rules/",
        "reference-numbers": "/reference/",
    }
    problems: dict[str, list[str]] = {}
    walk(page, site["url"], pages, width, problems, before=save_first)
    assert not problems, report(problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_finished_attempt_pages(page: Page, site, width):
    log_in(page, site["url"], "fay")
    finished = site["finished"]
    pages = {
        "finished-attempt": f"/attempts/{finished.pk}/",
        "finished-phase-1": f"/attempts/{finished.pk}/phases/1/",
        "finished-phase-5": f"/attempts/{finished.pk}/phases/5/",
        **{
            f"reference-design-{n}": f"/attempts/{finished.pk}/reference/{n}/" for n in (1, 5, 7, 9)
        },
    }
    problems: dict[str, list[str]] = {}
    walk(page, site["url"], pages, width, problems)
    assert not problems, report(problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_instructor_pages(page: Page, site, width):
    log_in(page, site["url"], "tess")
    problem_set, problem = site["set"], site["problem"]
    pages = {
        "teach": "/teach/",
        "teach-set": f"/teach/sets/{problem_set.slug}/",
        "teach-problem": f"/teach/sets/{problem_set.slug}/problems/{problem.slug}/",
        "cohort": f"/teach/sets/{problem_set.slug}/cohort/",
        "teach-review": f"/teach/attempts/{site['attempt'].pk}/",
        "teach-dispute": f"/teach/disputes/{site['dispute'].pk}/",
    }
    problems: dict[str, list[str]] = {}
    walk(page, site["url"], pages, width, problems)
    assert not problems, report(problems)
