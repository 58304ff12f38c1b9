"""Issue 17's "done when": a course in a simulated LMS adds the tutor by deep linking,
launches it as instructor and as learner inside the course page's iframe, the instructor
sees the roster, and the LMS receives a finished attempt's score, sent by a real Celery
worker. The LMS is tests/lti_platform.py, on its own port; the tutor is the live server.

Both run on http://localhost (different ports): that is same-site, so the tutor's Lax
cookies reach it inside the frame. In production, on HTTPS and another site, the cookies
are SameSite=None; Secure (settings.py); the README says so.
"""

import io
import re

import pytest
import requests
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.browser.test_screenshots import WIDTHS, look, report
from tests.factories import shipped_problem_set
from tests.lti_platform import LEARNER, Person, Platform
from tests.tutor.lti_helpers import learner, register, teacher
from tests.worker import wait_for
from tutor.models import Attempt, GradeSync

waiting = Person("lms-learner-2", "Wanda Waiting", "wanda@example.edu", LEARNER)


@pytest.fixture
def lms(live_server, transactional_db):
    call_command("rotate_keys", stdout=io.StringIO())
    shipped_problem_set()
    platform = Platform(
        tool_jwks=lambda: requests.get(f"{live_server.url}/lti/jwks/", timeout=5).json(),
        tool_launch_url=f"{live_server.url}/lti/launch/",
        tool_login_url=f"{live_server.url}/lti/login/",
    ).start()
    platform.roster = [teacher, learner, waiting]
    register(platform)
    yield platform
    platform.stop()


def test_a_course_adds_the_tutor_launches_it_sees_the_roster_and_gets_a_score(
    page: Page, live_server, lms, start_worker
):
    start_worker()
    course = f"{lms.url}/course"

    # The instructor adds the tutor: the tutor's picker opens in the course's frame.
    page.goto(course)
    page.get_by_role("link", name="Add the tutor as Tess Teacher").click()
    tool = page.frame_locator("iframe[name=tool]")
    expect(tool.get_by_role("heading", name="Add the tutor to your course")).to_be_visible()
    axe_pages(page, live_server.url, ["/lti/deep-link/", "/lti/", "/lti/login/"])
    tool.get_by_label("URL shortener").check()
    tool.get_by_role("button", name="Add the link").click()
    expect(tool.get_by_role("heading", name="Link added")).to_be_visible()
    [link] = lms.links
    assert link.custom == {"problem_set": "foundations", "problem": "url-shortener"}
    assert link.lineitem

    # The learner opens the link: the problem, in the frame; starts and finishes.
    page.goto(course)
    page.get_by_role("link", name="open as Lena Learner").click()
    expect(tool.get_by_role("heading", name="URL shortener")).to_be_visible()
    tool.get_by_role("button", name="Start this problem").click()
    expect(tool.get_by_role("heading", name=re.compile("Requirements"))).to_be_visible()
    attempt = Attempt.objects.get(learner__lti_users__sub=learner.sub)
    frame = page.frame(name="tool")
    assert frame is not None
    frame.goto(f"{live_server.url}/attempts/{attempt.pk}/")
    tool.get_by_label("I understand that my answers can no longer change").check()
    tool.get_by_role("button", name="Finish this attempt").click()
    expect(tool.locator("#finished-banner")).to_contain_text("This attempt is finished")

    # The worker posts the score to the line item.
    score = wait_for(lambda: lms.scores, timeout=30, what="the LMS to receive the score")[0]
    grade = GradeSync.objects.get()
    assert score["userId"] == learner.sub and score["scoreGiven"] == grade.score
    assert score["lineitem"] == "/lineitems/" + link.id
    wait_for(
        lambda: GradeSync.objects.filter(status=GradeSync.Status.SENT).exists(),
        timeout=10,
        what="the grade to be marked sent",
    )

    # The instructor opens the link, goes to the cohort and fetches the roster.
    page.goto(course)
    page.get_by_role("link", name="open as Tess Teacher").click()
    expect(tool.get_by_role("heading", name="URL shortener")).to_be_visible()
    frame = page.frame(name="tool")  # the course page was loaded again
    assert frame is not None
    frame.goto(f"{live_server.url}/teach/sets/foundations/cohort/")
    tool.get_by_role("button", name="Fetch the course roster").click()
    expect(tool.get_by_text("Fetched the roster of System Design 101: 3 members.")).to_be_visible()
    roster = tool.locator("table.roster-table")
    expect(roster).to_contain_text("Wanda Waiting")
    expect(roster).to_contain_text("Not started")
    expect(roster).not_to_contain_text("Lena Learner")
    expect(tool.get_by_text("Every grade owed to the LMS has been sent.")).to_be_visible()
    axe_pages(page, live_server.url, ["/teach/sets/foundations/cohort/"])


def axe_pages(page: Page, url: str, paths: list[str]) -> None:
    """The LTI pages as test_screenshots looks at every page, at 1280 and 390 px: kept
    in test-results/screens/, no sideways scroll, nothing serious for axe. The picker,
    the page for LMS administrators, an error page (a login initiation with nothing in
    it) and the cohort page with its LMS section, each opened in another tab."""
    other = page.context.new_page()
    problems: dict[str, list[str]] = {}
    for width, pixels in WIDTHS.items():
        other.set_viewport_size({"width": pixels, "height": 900})
        for path in paths:
            other.goto(url + path)
            look(other, "lti-" + path.strip("/").replace("/", "-"), width, problems)
    other.close()
    assert not problems, report(problems)
