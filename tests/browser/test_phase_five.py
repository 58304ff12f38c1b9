"""Phase 5 in a real browser: the architecture is drawn, every component on it, redrawn
while the learner types; the drawings' and phase 7's chart's text is legible."""

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from phases import architecture
from tests.factories import PASSWORD, make_user, shipped_problem_set
from tests.tutor.test_phase56_views import ARCHITECTURE
from tutor import services
from tutor.models import Report
from tutor.services import run_report, save_phase, start_attempt

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results"
SOUND = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures/accuracy/url-shortener/sound.json").read_text()
)["phases"]


@pytest.fixture
def phase_url(live_server, transactional_db):
    problem = shipped_problem_set().problems.get(slug="url-shortener")
    attempt = start_attempt(make_user("ada"), problem)
    # Everything but the last read step, which the test adds in the browser.
    save_phase(attempt, 5, {**ARCHITECTURE, "read_path": ARCHITECTURE["read_path"][:3]})
    return f"{live_server.url}/attempts/{attempt.pk}/phases/5/"


def test_saving_phase_five_draws_every_declared_component(
    page: Page, live_server, phase_url, no_reload
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(phase_url)
    with no_reload:
        rows = page.locator("#section-read_path li.row")
        page.get_by_role("button", name="Add read step").click()
        expect(rows).to_have_count(4)
        last = rows.last
        last.locator("input[name$='-component']").fill("db")
        last.locator("input[name$='-action']").fill("select by code")
        last.locator("select[name$='-branch']").select_option("miss")
        page.get_by_role("button", name="Save and check").click()
        read = page.locator("figure.diagram svg").nth(1)
        expect(read.locator("text", has_text="select by code")).to_have_count(1)
    for component in ARCHITECTURE["components"]:
        expect(page.locator("figure.diagram svg").nth(1)).to_contain_text(component["name"])
    expect(page.locator('li.finding[data-code="ARC-009"]')).to_have_count(0)  # miss path given
    ARTEFACTS.mkdir(exist_ok=True)
    page.locator("figure.diagram").nth(1).screenshot(path=str(ARTEFACTS / "phase5-read-path.png"))
    assert (ARTEFACTS / "phase5-read-path.png").stat().st_size > 1000


def slowed(monkeypatch, owner, name: str, seconds: float) -> None:
    """``owner.name`` made to take ``seconds`` longer (the live server runs in this
    process, so the views call the slowed function)."""
    function = getattr(owner, name)

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return function(*args, **kwargs)

    monkeypatch.setattr(owner, name, slow)


def new_read_step(page: Page, live_server, phase_url):
    """Logged in, on phase 5, a read step added to the form: its row."""
    log_in(page, live_server)
    page.goto(phase_url)
    page.get_by_role("button", name="Add read step").click()
    last = page.locator("#section-read_path li.row").last
    last.locator("input[name$='-component']").fill("db")
    return last


def test_a_drawing_asked_for_during_a_slow_save_waits_for_it(
    page: Page, live_server, phase_url, no_reload, monkeypatch
):
    """The drawing is asked for a moment after the typing stops. A save still under way
    then has the form's fields disabled, and a request sent from a disabled form carries
    none of them: the drawing waits for the save and reads the form once it is back."""
    slowed(monkeypatch, services, "save_and_check", 1.5)  # longer than the drawing's wait
    step = new_read_step(page, live_server, phase_url)
    with no_reload:
        step.locator("input[name$='-action']").fill("select by code")
        page.get_by_role("button", name="Save and check").click()
        expect(page.locator("#status-line")).to_contain_text("Saved and checked", timeout=10_000)
        steps = page.locator("#figure-read_path svg g.steps")
        expect(steps).to_contain_text("db: select by code", timeout=10_000)
    expect(page.locator("#section-read_path li.row")).to_have_count(4)  # the form as typed


def test_typing_during_a_slow_redraw_is_drawn_next(
    page: Page, live_server, phase_url, no_reload, monkeypatch
):
    """A change typed while the previous redraw is still under way is drawn once it is
    back: the redraw asked for meanwhile waits its turn, and still has its place."""
    slowed(monkeypatch, architecture, "figures", 1.2)
    step = new_read_step(page, live_server, phase_url)
    with no_reload:
        step.locator("input[name$='-action']").fill("first words")
        page.wait_for_timeout(900)  # the first redraw is asked for and under way
        step.locator("input[name$='-action']").fill("select by code")
        steps = page.locator("#figure-read_path svg g.steps")
        expect(steps).to_contain_text("db: select by code", timeout=10_000)
        expect(steps).not_to_contain_text("first words")


def log_in(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_the_drawing_follows_the_form_without_saving(page: Page, live_server, phase_url, no_reload):
    from tutor.models import PhaseAnswer

    log_in(page, live_server)
    page.goto(phase_url)
    saved = PhaseAnswer.objects.get(phase=5)
    read = page.locator("#figure-read_path svg")
    expect(read.locator("g.node")).to_have_count(4)  # the client and lb, app, cache
    with no_reload:
        page.get_by_role("button", name="Add component").click()
        component = page.locator("#section-components li.row").last
        component.locator("input[name$='-name']").fill("click queue")
        component.locator("select[name$='-type']").select_option("queue")
        page.get_by_role("button", name="Add read step").click()
        last = page.locator("#section-read_path li.row").last
        last.locator("input[name$='-component']").fill("click queue")
        last.locator("input[name$='-action']").press_sequentially("count the click", delay=20)
        # Redrawn a moment after the typing stops: a fifth box, the step written out.
        expect(read.locator("g.node")).to_have_count(5, timeout=10_000)
        expect(read.locator("g.node", has_text="click queue")).to_have_count(1)
        expect(read.locator("g.steps")).to_contain_text("click queue: count the click")
        expect(page.locator("#figure-read_path details li").last).to_have_text(
            "click queue: count the click"
        )
    fresh = PhaseAnswer.objects.get(pk=saved.pk)
    assert (fresh.revision, fresh.data) == (saved.revision, saved.data)  # nothing saved


MEASURE = """svg => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const sizes = [...svg.querySelectorAll('text')].map(
    t => parseFloat(getComputedStyle(t).fontSize) * scale);
  return {min: Math.min(...sizes), count: sizes.length,
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth};
}"""


@pytest.fixture
def report_url(live_server, transactional_db):
    problem = shipped_problem_set().problems.get(slug="url-shortener")
    attempt = start_attempt(make_user("ada"), problem)
    for number in range(1, 8):
        answer = save_phase(attempt, number, SOUND[str(number)])
        report = Report.objects.filter(answer=answer).first()
        if report is not None:  # phase 7's report, computed here rather than by a worker
            run_report(report.pk, answer.revision, where=Report.Where.INLINE)
    return f"{live_server.url}/attempts/{attempt.pk}/phases/"


@pytest.mark.parametrize("width", [1280, 390])
def test_diagram_and_chart_text_is_legible_at_both_widths(
    page: Page, live_server, report_url, width
):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server)
    ARTEFACTS.mkdir(exist_ok=True)
    page.goto(f"{report_url}5/")
    for key in ("write_path", "read_path"):
        measured = page.locator(f"#figure-{key} svg").evaluate(MEASURE)
        assert measured["count"] > 10
        assert measured["min"] >= 11, (key, measured)
        assert measured["overflow"] <= 0, measured  # the figure scrolls, not the page
    page.locator("#figure-read_path").screenshot(path=str(ARTEFACTS / f"phase5-read-{width}.png"))
    page.goto(f"{report_url}7/")
    chart = page.locator("svg.capacity-chart")
    expect(chart).to_contain_text("load as % of capacity")
    expect(chart).to_contain_text("capacity (100%)")
    measured = chart.evaluate(MEASURE)
    assert measured["min"] >= 11, measured
    page.locator("figure.capacity-figure").screenshot(
        path=str(ARTEFACTS / f"phase7-chart-{width}.png")
    )
