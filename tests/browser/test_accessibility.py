"""axe-core (shipped inside axe-playwright-python, injected from the wheel: nothing is
fetched) finds no serious or critical violation on the main pages, for each kind of
visitor: anonymous, a learner with a whole answer saved, an instructor of the set."""

import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from phases.engine.registry import PHASES
from tests.factories import FIXTURES, PASSWORD, make_user, shipped_problem_set
from tutor import services
from tutor.models import Report, User
from tutor.services import decide_dispute, dispute_finding, save_phase, start_attempt

EXAMPLE = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]
BLOCKING = {"serious", "critical"}
ALWAYS_BLOCKING = {"aria-valid-attr-value", "duplicate-id-aria"}
AXE = Axe()
DUPLICATE_IDS = """() => {
  const seen = new Map();
  for (const e of document.querySelectorAll('[id]')) seen.set(e.id, (seen.get(e.id) || 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
}"""


@pytest.fixture
def site(live_server, transactional_db, monkeypatch):
    # Background reports are computed in process here, so the report pages show a
    # finished report rather than a spinner waiting for a worker this test does not run.
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
    teacher = make_user("tess", User.Role.INSTRUCTOR)
    problem_set.instructors.add(teacher)
    # A flawed answer elsewhere, two of its findings disputed: one decided (the reply is
    # on the phase page), one open. (The example answers have no finding to dispute.)
    flawed = start_attempt(attempt.learner, problem_set.problems.get(slug="pastebin"))
    answer = save_phase(flawed, 1, {"functional": [{"text": "A user can paste", "path": "write"}]})
    disputes = [
        dispute_finding(flawed, answer, finding, "It is wrong.").dispute
        for finding in answer.findings.exclude(severity="pass")[:2]
    ]
    decide_dispute(disputes[0], teacher, "rule_right", "It is right: see the rule's page.")
    return {
        "url": live_server.url,
        "attempt": attempt,
        "set": problem_set,
        "problem": problem,
        "flawed": flawed,
        "disputes": disputes,
    }


def log_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda u: "/accounts/login/" not in u)


def blocking_violations(page: Page) -> list[dict]:
    """Serious and critical violations, and ARIA references to ids that are not on the
    page (axe files those as "needs review", since a script might add the id later)."""
    page.wait_for_load_state("networkidle")
    results = AXE.run(page, options={"resultTypes": ["violations", "incomplete"]}).response
    found = [v for v in results["violations"] if v["impact"] in BLOCKING]
    found += [v for v in results["incomplete"] if v["id"] in ALWAYS_BLOCKING]
    duplicates = page.evaluate(DUPLICATE_IDS)
    if duplicates:  # axe 4.12 checks only ids that ARIA refers to; labels need them too
        found.append(
            {
                "id": "duplicate-id",
                "impact": "serious",
                "help": "id attribute values must be unique",
                "nodes": [{"target": [f"#{i}"], "html": ""} for i in duplicates],
            }
        )
    return found


def describe(found: dict[str, list[dict]]) -> str:
    lines = []
    for path, violations in found.items():
        for violation in violations:
            lines.append(f"{path}: {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"]:
                lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:200]}")
                summary = node.get("failureSummary", "").replace("\n", " ")
                if summary:
                    lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def check_pages(page: Page, url: str, paths: list[str]) -> None:
    found = {}
    for path in paths:
        response = page.goto(url + path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        violations = blocking_violations(page)
        if violations:
            found[path] = violations
    assert not found, "serious or critical accessibility violations:\n" + describe(found)


def test_anonymous_pages_have_no_serious_violation(page: Page, site):
    check_pages(page, site["url"], ["/", "/accounts/signup/", "/accounts/login/"])
    # The sign-up form with its errors showing.
    page.goto(site["url"] + "/accounts/signup/")
    page.get_by_label("Username").fill("ada")
    page.get_by_role("button", name="Sign up").click()
    page.locator(".field.has-error").first.wait_for()
    violations = blocking_violations(page)
    assert not violations, describe({"/accounts/signup/ (errors)": violations})


def test_learner_pages_have_no_serious_violation(page: Page, site):
    log_in(page, site["url"], "ada")
    attempt = site["attempt"]
    paths = ["/dashboard/", f"/attempts/{attempt.pk}/"]
    paths += [f"/attempts/{attempt.pk}/phases/{phase.number}/" for phase in PHASES]
    paths += ["/rules/", "/reference/", f"/attempts/{site['flawed'].pk}/phases/1/"]
    check_pages(page, site["url"], paths)


def test_learner_phase_pages_after_an_htmx_save_have_no_serious_violation(page: Page, site):
    """What htmx swaps in (findings, progress, reports) is checked as it is on screen."""
    log_in(page, site["url"], "ada")
    attempt = site["attempt"]
    found = {}
    for phase in PHASES:
        path = f"/attempts/{attempt.pk}/phases/{phase.number}/"
        page.goto(site["url"] + path)
        page.get_by_role("button", name="Save and check").click()
        page.locator(".findings-column .summary").wait_for()
        violations = blocking_violations(page)
        if violations:
            found[path + " (after saving)"] = violations
    assert not found, "serious or critical accessibility violations:\n" + describe(found)


def test_instructor_pages_have_no_serious_violation(page: Page, site):
    log_in(page, site["url"], "tess")
    problem_set, problem, attempt = site["set"], site["problem"], site["attempt"]
    check_pages(
        page,
        site["url"],
        [
            "/teach/",
            f"/teach/sets/{problem_set.slug}/",
            f"/teach/sets/{problem_set.slug}/problems/{problem.slug}/",
            f"/teach/sets/{problem_set.slug}/cohort/",
            f"/teach/attempts/{attempt.pk}/",
            *(f"/teach/disputes/{dispute.pk}/" for dispute in site["disputes"]),
        ],
    )
