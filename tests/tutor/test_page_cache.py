"""A phase page, once drawn, is kept under the version of every row it is drawn from
(``Attempt.objects.page_version``, ``views.phase_page``): served again while none of
them changes, drawn afresh as soon as one does, whoever changed it and however.

Every change below is made inside the test's one transaction, so the row versions
differ by their place (``ctid``) alone: the hardest case for the version."""

import json
import re

import pytest
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import FIXTURES, make_user
from tests.tutor.helpers import requirements_post
from tutor import views
from tutor.models import Comment, Finding, Problem, ProblemSet, Report, User
from tutor.services import (
    decide_dispute,
    dispute_finding,
    finish_attempt,
    save_phase,
    start_attempt,
)

ANSWERS = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The session, the user, the page's version: all a kept page costs.
KEPT_PAGE_STATEMENTS = 3


@pytest.fixture(autouse=True)
def nothing_kept():
    caches["template_fragments"].clear()
    yield
    caches["template_fragments"].clear()


def page(client, attempt, number=1) -> str:
    response = client.get(reverse("phase", args=[attempt.pk, number]))
    assert response.status_code == 200
    return response.content.decode()


def without_tokens(html: str) -> str:
    html = TOKEN.sub('name="csrfmiddlewaretoken"', html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": ""', html)


def test_a_kept_page_is_the_page_drawn_afresh_with_a_token_of_its_own(alice_client, attempt):
    save_phase(attempt, 1, ANSWERS["1"])
    drawn = page(alice_client, attempt)
    with CaptureQueriesContext(connection) as queries:
        kept = page(alice_client, attempt)
    assert len(queries) == KEPT_PAGE_STATEMENTS, [q["sql"] for q in queries]
    assert without_tokens(kept) == without_tokens(drawn)
    # Each response masks the session's secret afresh, as a drawn page does.
    assert TOKEN.search(kept).group(1) != TOKEN.search(drawn).group(1)
    assert views.CSRF_PLACEHOLDER not in kept
    caches["template_fragments"].clear()
    assert without_tokens(page(alice_client, attempt)) == without_tokens(drawn)


def test_the_token_of_a_kept_page_is_accepted(alice, attempt):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    save_phase(attempt, 1, ANSWERS["1"])
    page(client, attempt)
    kept = page(client, attempt)
    data = requirements_post(ANSWERS["1"], attempt.answers.get(phase=1).revision)
    data["csrfmiddlewaretoken"] = TOKEN.search(kept).group(1)
    response = client.post(reverse("phase", args=[attempt.pk, 1]), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Saved and checked." in response.content.decode()


def rename_problem(attempt, dora):
    Problem.objects.filter(pk=attempt.problem_id).update(title="Short links, renamed")
    return "Short links, renamed"


def move_set(attempt, dora):
    ProblemSet.objects.filter(pk=attempt.problem.problem_set_id).update(slug="moved-set")
    return "/sets/moved-set/"


def rename_learner(attempt, dora):
    User.objects.filter(pk=attempt.learner_id).update(username="alice-renamed")
    return "alice-renamed"


def save_again(attempt, dora):
    changed = {**ANSWERS["1"], "clarifications": {**ANSWERS["1"]["clarifications"]}}
    changed["clarifications"]["notes"] = "Asked about custom aliases."
    save_phase(attempt, 1, changed)
    return "Asked about custom aliases."


def reword_finding(attempt, dora):  # as a regrade under newer rules does
    Finding.objects.filter(answer__attempt=attempt).update(message="Reworded by a regrade.")
    return "Reworded by a regrade."


def comment(attempt, dora):
    Comment.objects.create(attempt=attempt, phase=1, author=dora, text="Good ratio.")
    return "Good ratio."


def reply_to_dispute(attempt, dora):
    answer = attempt.answers.get(phase=1)
    finding = answer.findings.exclude(severity="pass").first()
    outcome = dispute_finding(attempt, answer, finding, "I think the ratio is stated.")
    decide_dispute(outcome.dispute, dora, "rule_wrong", "You are right; fixed in the rule.")
    return "You are right; fixed in the rule."


def finish(attempt, dora):
    finish_attempt(attempt)
    return "This attempt is finished"


CHANGES = [
    rename_problem,
    move_set,
    rename_learner,
    save_again,
    reword_finding,
    comment,
    reply_to_dispute,
    finish,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__)
def test_a_change_to_any_row_the_page_shows_is_shown_at_once(alice_client, attempt, change):
    dora = make_user("dora", User.Role.INSTRUCTOR)
    attempt.problem.problem_set.instructors.add(dora)
    save_phase(attempt, 1, {"functional": [{"text": "A user can shorten a URL", "path": "write"}]})
    page(alice_client, attempt)
    before = page(alice_client, attempt)  # kept
    shown = change(attempt, dora)
    assert shown not in before
    assert shown in page(alice_client, attempt)


def test_a_comment_authors_new_name_is_shown(alice_client, attempt):
    dora = make_user("dora", User.Role.INSTRUCTOR)
    Comment.objects.create(attempt=attempt, phase=1, author=dora, text="Seen.")
    assert "dora" in page(alice_client, attempt)
    User.objects.filter(pk=dora.pk).update(username="dora-renamed")
    assert "dora-renamed" in page(alice_client, attempt)


def test_a_finished_attempts_page_links_to_the_attempt_started_since(alice_client, attempt):
    save_phase(attempt, 1, ANSWERS["1"])
    finish_attempt(attempt)
    page(alice_client, attempt)
    newer = start_attempt(attempt.learner, attempt.problem)
    assert reverse("attempt", args=[newer.pk]) in page(alice_client, attempt)


def test_a_report_that_finishes_is_shown_at_once(alice_client, attempt):
    from tests.tutor.helpers import GOOD_ESTIMATE

    save_phase(attempt, 2, GOOD_ESTIMATE)
    assert "Computing the report" in page(alice_client, attempt, 2)
    Report.objects.filter(answer__attempt=attempt).update(status=Report.Status.FAILED)
    assert "Computing the report" not in page(alice_client, attempt, 2)


def test_messages_are_shown_over_a_kept_page(alice_client, attempt):
    """The same form sent again without JavaScript changes no row, and the page it
    redirects to must still say "Saved and checked."."""
    answer = save_phase(attempt, 1, ANSWERS["1"])
    page(alice_client, attempt)
    url = reverse("phase", args=[attempt.pk, 1])
    response = alice_client.post(url, requirements_post(ANSWERS["1"], answer.revision))
    assert response.status_code == 302
    assert "Saved and checked." in page(alice_client, attempt)
    assert "Saved and checked." not in page(alice_client, attempt)  # shown once


def test_a_page_whose_rows_changed_while_it_was_drawn_is_not_kept(
    alice_client, attempt, monkeypatch
):
    """Its version was read before the change: kept under it, the page would be served
    once the rows were back as they were (here, a comment written and then deleted)."""
    dora = make_user("dora", User.Role.INSTRUCTOR)
    save_phase(attempt, 1, ANSWERS["1"])
    read = views._phase_request

    def read_after_a_comment_written_meanwhile(*args, **kwargs):
        Comment.objects.create(attempt=attempt, phase=1, author=dora, text="Written meanwhile.")
        return read(*args, **kwargs)

    monkeypatch.setattr(views, "_phase_request", read_after_a_comment_written_meanwhile)
    assert "Written meanwhile." in page(alice_client, attempt)
    monkeypatch.setattr(views, "_phase_request", read)
    Comment.objects.filter(attempt=attempt).delete()
    assert "Written meanwhile." not in page(alice_client, attempt)


def test_another_learner_and_another_sets_instructor_never_get_a_kept_page(
    client, alice_client, attempt, bob, charlie
):
    save_phase(attempt, 1, ANSWERS["1"])
    page(alice_client, attempt)
    page(alice_client, attempt)
    url = reverse("phase", args=[attempt.pk, 1])
    for other in (bob, charlie):
        visitor = Client()
        visitor.force_login(other)
        assert visitor.get(url).status_code == 404


def test_nothing_is_kept_while_messages_wait(alice_client, attempt, rf):
    """The check itself: a request with a message waiting has no key."""
    request = rf.get("/")
    request.user = attempt.learner
    request.session = alice_client.session
    from django.contrib.messages.storage.fallback import FallbackStorage

    request._messages = FallbackStorage(request)
    assert views._page_key(request, attempt.pk, 1) is not None
    request._messages.add(20, "Waiting.")
    assert len(get_messages(request)) == 1
    assert views._page_key(request, attempt.pk, 1) is None
