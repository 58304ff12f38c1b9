"""Every page runs the same number of queries whatever the amount of data behind it.

Each page is measured twice: with a little data (one attempt, one answer), then after
adding attempts, answers in every phase with their findings, reports, comments,
problems and learners. The second count must not be larger than the first.
"""

import json

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from phases.engine.registry import PHASES
from tests.factories import FIXTURES, make_user
from tutor.models import Comment, Enrollment, PhaseAnswer, Problem, Report, User
from tutor.services import run_report, save_phase, start_attempt

ANSWERS = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]

# The most queries any page may take, so a page that is constant but wasteful shows too.
CEILING = 25


@pytest.fixture
def dora(foundations):
    user = make_user("dora", User.Role.INSTRUCTOR)
    foundations.instructors.add(user)
    return user


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def save_all_phases(attempt):
    for number in range(1, 10):
        answer = save_phase(attempt, number, ANSWERS[str(number)])
        report = Report.objects.filter(answer=answer).first()
        if report is not None:
            run_report(report.pk, answer.revision, where=Report.Where.INLINE)


def grow(foundations, alice, dora, attempt, learners=4, problems=3):
    """More of everything: problems, learners and their attempts, answers, comments."""
    for i in range(problems):
        Problem.objects.create(
            problem_set=foundations,
            slug=f"extra-{i}",
            title=f"Extra {i}",
            statement="More **work**.",
            position=100 + i,
        )
    save_all_phases(attempt)
    for number in range(1, 10):
        for i in range(3):
            Comment.objects.create(attempt=attempt, phase=number, author=dora, text=f"Note {i}")
    for problem in foundations.problems.all()[:3]:
        other = start_attempt(alice, problem)
        save_phase(other, 1, ANSWERS["1"])
    for i in range(learners):
        learner = make_user(f"learner{i}")
        Enrollment.objects.get_or_create(learner=learner, problem_set=foundations)
        theirs = start_attempt(learner, attempt.problem)
        save_phase(theirs, 1, ANSWERS["1"])
        save_phase(theirs, 2, ANSWERS["2"])


def learner_urls(attempt, problem):
    urls = {
        "home": reverse("home"),
        "problem sets": reverse("problemsets"),
        "set detail": reverse("problemset", args=[problem.problem_set.slug]),
        "problem detail": reverse("problem", args=[problem.problem_set.slug, problem.slug]),
        "dashboard": reverse("dashboard"),
        "attempt overview": reverse("attempt", args=[attempt.pk]),
        "rules": reverse("rules"),
        "reference": reverse("reference"),
    }
    for number in range(1, 10):
        urls[f"phase {number}"] = reverse("phase", args=[attempt.pk, number])
    return urls


def teacher_urls(attempt, problem):
    return {
        "teach home": reverse("teach_home"),
        "teach set": reverse("teach_set", args=[problem.problem_set.slug]),
        "teach problem": reverse("teach_problem", args=[problem.problem_set.slug, problem.slug]),
        "cohort": reverse("teach_cohort", args=[problem.problem_set.slug]),
        "review": reverse("teach_review", args=[attempt.pk]),
    }


def measure(client, urls) -> dict[str, int]:
    for url in urls.values():
        client.get(url)  # warm per-process caches (templates, rules) first
    return {name: count(client, url) for name, url in urls.items()}


def test_learner_pages_do_not_grow_with_data(client, alice, dora, foundations, url_shortener):
    """Small: every phase saved once, empty, with one comment (a phase page reads its
    findings only when the phase has an answer, and its comments only when it has some:
    one query more each than for a phase without)."""
    attempt = start_attempt(alice, url_shortener)
    for phase in PHASES:
        save_phase(attempt, phase.number, phase.empty())
        Comment.objects.create(attempt=attempt, phase=phase.number, author=dora, text="Hi.")
    client.force_login(alice)
    urls = learner_urls(attempt, url_shortener)
    small = measure(client, urls)
    grow(foundations, alice, dora, attempt)
    large = measure(client, urls)
    grown = {name: (small[name], large[name]) for name in urls if large[name] > small[name]}
    assert not grown, f"query counts grew (small, large): {grown}"
    assert max(large.values()) <= CEILING, large
    print("learner pages:", large)


def test_teacher_pages_do_not_grow_with_data(client, alice, dora, foundations, url_shortener):
    attempt = start_attempt(alice, url_shortener)
    save_phase(attempt, 1, ANSWERS["1"])
    Comment.objects.create(attempt=attempt, phase=1, author=dora, text="First")
    client.force_login(dora)
    urls = teacher_urls(attempt, url_shortener)
    small = measure(client, urls)
    grow(foundations, alice, dora, attempt, learners=6, problems=4)
    large = measure(client, urls)
    grown = {name: (small[name], large[name]) for name in urls if large[name] > small[name]}
    assert not grown, f"query counts grew (small, large): {grown}"
    assert max(large.values()) <= CEILING, large
    print("teacher pages:", large)


def test_anonymous_pages_do_not_grow_with_data(client, alice, dora, foundations, url_shortener):
    attempt = start_attempt(alice, url_shortener)
    urls = {
        name: url
        for name, url in learner_urls(attempt, url_shortener).items()
        if name in ("home", "problem sets", "set detail", "problem detail", "rules", "reference")
    }
    small = measure(client, urls)
    grow(foundations, alice, dora, attempt)
    large = measure(client, urls)
    grown = {name: (small[name], large[name]) for name in urls if large[name] > small[name]}
    assert not grown, f"query counts grew (small, large): {grown}"
    print("anonymous pages:", large)


# Statements for one htmx save-and-check of phase 1 that changes the answer but not its
# findings: the session, the attempt and its answers (whether this phase has comments
# and each answer disputes read with them; three statements sent as one, before the
# user is known: tutor/sessions.py), the user, then one statement that
# updates the answer on its revision and findings' digest and moves the attempt's clock
# (atomic by itself: no transaction around it). The findings' digest equals the stored
# one, so they are neither read nor written; no disputes, so none are read.
# Lower these when a change needs fewer; a regression fails here.
SAVE_STATEMENTS = 3
# When the findings change too: in a transaction (two savepoint statements in a test),
# the answer's UPDATE, the findings replaced (one DELETE, one INSERT), the attempt's clock.
SAVE_NEW_FINDINGS_STATEMENTS = 8
# Findings stored before they had a digest: the transaction's path, its findings read.
SAVE_OLD_DIGEST_STATEMENTS = 7
# The same form submitted again: nothing is written, the stored findings are shown.
RESUBMIT_STATEMENTS = 3
# The poll of a pending report: the session with the report's one row (sent as one,
# before the user is known: tutor/sessions.py), then the user.
POLL_STATEMENTS = 2


def save_count(client, url, data) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content.decode()[:500]
    assert "Saved and checked." in response.content.decode()
    return len(queries), [q["sql"] for q in queries]


def test_a_save_costs_a_few_statements(client, alice, url_shortener):
    from tests.tutor.helpers import requirements_post

    attempt = start_attempt(alice, url_shortener)
    first = save_phase(attempt, 1, ANSWERS["1"])
    client.force_login(alice)
    url = reverse("phase", args=[attempt.pk, 1])
    client.get(url)  # warm per-process caches
    changed = {**ANSWERS["1"], "clarifications": {**ANSWERS["1"]["clarifications"]}}
    changed["clarifications"]["notes"] = "Checked again."
    clock = type(attempt).objects.get(pk=attempt.pk).updated_at
    statements, sql = save_count(client, url, requirements_post(changed, first.revision))
    assert statements == SAVE_STATEMENTS, sql
    stored = PhaseAnswer.objects.get(pk=first.pk)
    assert stored.revision == first.revision + 1
    assert stored.data["clarifications"]["notes"] == "Checked again."
    assert stored.findings_digest == first.findings_digest
    assert type(attempt).objects.get(pk=attempt.pk).updated_at > clock
    again, sql = save_count(client, url, requirements_post(changed, first.revision))
    assert again == RESUBMIT_STATEMENTS, sql
    fewer = {**changed, "functional": changed["functional"][:1]}
    statements, sql = save_count(client, url, requirements_post(fewer, first.revision + 1))
    assert statements == SAVE_NEW_FINDINGS_STATEMENTS, sql


def test_a_phase_page_without_comments_or_disputes_reads_neither(client, alice, url_shortener):
    """The session and the user, the page's version, the attempt and its answers (and
    whether there are comments or disputes to read; two statements sent as one), the
    findings, and the version again before the page is kept: six statements to draw it
    (the page kept is three, tests/tutor/test_page_cache.py)."""
    attempt = start_attempt(alice, url_shortener)
    save_phase(attempt, 1, ANSWERS["1"])
    client.force_login(alice)
    url = reverse("phase", args=[attempt.pk, 1])
    client.get(url)
    caches["template_fragments"].clear()
    assert count(client, url) == 6


def test_findings_stored_before_their_digest_are_read_and_kept(client, alice, url_shortener):
    """An answer saved before findings had a digest: its findings are read and compared
    in the save's transaction, kept when the check says the same, and the digest written."""
    from tests.tutor.helpers import requirements_post
    from tutor.models import Finding, PhaseAnswer

    attempt = start_attempt(alice, url_shortener)
    first = save_phase(attempt, 1, ANSWERS["1"])
    PhaseAnswer.objects.filter(pk=first.pk).update(findings_digest="")
    rows = list(Finding.objects.filter(answer=first).values_list("pk", flat=True))
    client.force_login(alice)
    url = reverse("phase", args=[attempt.pk, 1])
    client.get(url)
    changed = {**ANSWERS["1"], "clarifications": {**ANSWERS["1"]["clarifications"]}}
    changed["clarifications"]["notes"] = "Checked again."
    statements, sql = save_count(client, url, requirements_post(changed, first.revision))
    assert statements == SAVE_OLD_DIGEST_STATEMENTS, sql
    assert list(Finding.objects.filter(answer=first).values_list("pk", flat=True)) == rows
    first.refresh_from_db()
    assert first.findings_digest


def test_the_report_poll_reads_one_row(client, alice, url_shortener):
    from tests.tutor.helpers import GOOD_ESTIMATE

    attempt = start_attempt(alice, url_shortener)
    save_phase(attempt, 2, GOOD_ESTIMATE)  # its report stays pending: no commit here
    client.force_login(alice)
    url = reverse("phase_report", args=[attempt.pk, 2])
    client.get(url, HTTP_HX_REQUEST="true")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="report"' in html and "Computing the report" in html
    assert "phase-form" not in html
    assert len(queries) == POLL_STATEMENTS, [q["sql"] for q in queries]


def test_findings_a_regrade_replaced_after_the_read_are_compared_not_trusted(alice, url_shortener):
    """The digest read with the answer is stale when a regrade replaced the findings
    since: the save then compares the stored rows instead, and stores its own."""
    from tutor.models import Finding, PhaseAnswer
    from tutor.services import save_and_check

    attempt = start_attempt(alice, url_shortener)
    first = save_phase(attempt, 1, ANSWERS["1"])
    attempt = type(attempt).objects.prefetch_related("answers").get(pk=attempt.pk)
    # A regrade after the page was read: other findings, another digest, same revision.
    Finding.objects.filter(answer=first).update(message="An older rule's words.")
    PhaseAnswer.objects.filter(pk=first.pk).update(findings_digest="0" * 32)
    changed = {**ANSWERS["1"], "clarifications": {**ANSWERS["1"]["clarifications"]}}
    changed["clarifications"]["notes"] = "Checked again."
    outcome = save_and_check(attempt, 1, changed, first.revision)
    stored = list(Finding.objects.filter(answer=first).values_list("message", flat=True))
    assert "An older rule's words." not in stored
    assert stored == [f.message for f in outcome.findings]
    first.refresh_from_db()
    assert first.findings_digest != "0" * 32


def test_a_save_overtaken_after_its_read_is_a_conflict_and_writes_nothing(alice, url_shortener):
    """Another save lands between this save's read and its write: the one-statement
    write finds another revision, writes nothing, and the save is a conflict."""
    from tutor.services import SaveConflict, save_and_check

    attempt = start_attempt(alice, url_shortener)
    first = save_phase(attempt, 1, ANSWERS["1"])
    read_before = type(attempt).objects.prefetch_related("answers").get(pk=attempt.pk)
    theirs = {**ANSWERS["1"], "clarifications": {**ANSWERS["1"]["clarifications"]}}
    theirs["clarifications"]["notes"] = "Saved in the other tab."
    fresh = type(attempt).objects.prefetch_related("answers").get(pk=attempt.pk)
    save_and_check(fresh, 1, theirs, first.revision)
    mine = {**theirs, "clarifications": {**theirs["clarifications"], "notes": "Mine."}}
    with pytest.raises(SaveConflict):
        save_and_check(read_before, 1, mine, first.revision)
    stored = PhaseAnswer.objects.get(pk=first.pk)
    assert stored.revision == first.revision + 1
    assert stored.data["clarifications"]["notes"] == "Saved in the other tab."
