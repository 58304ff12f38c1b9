"""Disputes: a learner says a finding is wrong, an instructor of the set decides, the
learner reads the reply on the phase page, and staff see each rule's dispute rate.

alice is the learner, bob another learner, charlie teaches another set, dora teaches
alice's set (foundations).
"""

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from tests.factories import FIXTURES, closed_problem_set, make_user
from tests.tutor.test_query_counts import CEILING
from tutor.models import Dispute, Finding, PhaseAnswer, User
from tutor.services import (
    decide_dispute,
    dispute_finding,
    finding_dispute_key,
    finish_attempt,
    save_phase,
    start_attempt,
)

ANSWERS = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]
# A phase 1 answer that trips REQ-001 three times on ``functional`` (one per missing
# capability, each with its own message), REQ-010 on ``read_write_ratio`` and REQ-011
# once per missing target.
FLAWED = {"functional": [{"text": "A user can shorten a URL", "path": "write"}]}
REASON = "The ratio is in my notes: reads outnumber writes 100 to 1."


@pytest.fixture
def dora(foundations):
    user = make_user("dora", User.Role.INSTRUCTOR)
    foundations.instructors.add(user)
    return user


@pytest.fixture
def dora_client(dora):
    """dora's own browser: ``client`` is alice's when a test has ``alice_client``."""
    client = Client()
    client.force_login(dora)
    return client


@pytest.fixture
def answer(attempt):
    """alice's phase 1, saved twice (so its revision is 2), with findings to dispute."""
    save_phase(attempt, 1, FLAWED)
    return save_phase(attempt, 1, {**FLAWED, "clarifications": {"notes": "Global."}})


def finding(answer, code="REQ-010") -> Finding:
    """The answer's first finding of a rule."""
    return answer.findings.filter(code=code).order_by("position").first()


def dispute_url(answer) -> str:
    return reverse("phase_dispute", args=[answer.attempt_id, answer.phase])


def phase_url(answer) -> str:
    return reverse("phase", args=[answer.attempt_id, answer.phase])


def decision_url(dispute) -> str:
    return reverse("teach_dispute", args=[dispute.pk])


def disputed(answer, code="REQ-010", reason=REASON) -> Dispute:
    """A dispute made through the service, as the view makes it."""
    attempt = answer.attempt
    answer = PhaseAnswer.objects.get(pk=answer.pk)
    return dispute_finding(attempt, answer, finding(answer, code), reason).dispute


# -- Disputing ------------------------------------------------------------------------------


def test_a_dispute_is_stored_with_the_revision_and_a_copy_of_the_finding(alice_client, answer):
    target = finding(answer)
    key = finding_dispute_key(target)
    response = alice_client.post(dispute_url(answer), {"finding": key, "reason": f"  {REASON} "})
    assert response.status_code == 302
    assert response["Location"] == f"{phase_url(answer)}#dispute-{key}"

    dispute = Dispute.objects.get()
    assert dispute.answer == answer and dispute.learner.username == "alice"
    assert answer.revision == 2 and dispute.revision == 2
    assert (dispute.code, dispute.severity, dispute.field) == ("REQ-010", "warning", target.field)
    assert dispute.message == target.message
    assert dispute.reason == REASON  # stripped
    assert dispute.verdict == Dispute.Verdict.OPEN and dispute.decided_at is None
    assert dispute.finding_key == key
    # The disputed field as it was: no ratio at all (the excerpts of fields with values
    # are tested below).
    assert dispute.excerpt == []

    page = alice_client.get(response["Location"]).content.decode()
    assert "Sent: your instructor will look at REQ-010." in page
    block = page.split(f'id="dispute-{key}"')[1].split("</details>")[0]
    assert "Sent;</strong> your instructor will look at it." in block
    assert "Change your reason" in block and escape(REASON) in block


def test_the_excerpt_holds_every_row_of_a_list_field(alice_client, answer):
    dispute = disputed(answer, code="REQ-011")  # the first REQ-011: scale.users
    assert dispute.field == "scale.users"
    req001 = answer.findings.filter(code="REQ-001").first()
    dispute = dispute_finding(answer.attempt, answer, req001, "I cover redirects.").dispute
    assert ["functional[0].text", "A user can shorten a URL"] in dispute.excerpt
    assert ["functional[0].path", "write"] in dispute.excerpt


def test_over_htmx_only_the_findings_dispute_block_comes_back(alice_client, answer):
    key = finding_dispute_key(finding(answer))
    response = alice_client.post(
        dispute_url(answer), {"finding": key, "reason": REASON}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(f'<div class="dispute" id="dispute-{key}">')
    assert "Sent;</strong> your instructor will look at it." in html
    assert "autofocus" in html  # focus moves to the news, not to the page's top
    assert "phase-form" not in html and "<html" not in html
    assert Dispute.objects.filter(finding_key=key).count() == 1


def test_disputing_again_updates_the_open_disputes_reason(alice_client, attempt, answer):
    key = finding_dispute_key(finding(answer))
    alice_client.post(dispute_url(answer), {"finding": key, "reason": "First try."})
    # Saved again: the finding is still there, on revision 3.
    save_phase(attempt, 1, {**FLAWED, "clarifications": {"notes": "Global, ranked."}})
    response = alice_client.post(
        dispute_url(answer), {"finding": key, "reason": REASON}, HTTP_HX_REQUEST="true"
    )
    assert "Reason updated." in response.content.decode()
    dispute = Dispute.objects.get()
    assert (dispute.reason, dispute.revision) == (REASON, 3)

    response = alice_client.post(dispute_url(answer), {"finding": key, "reason": "Third."})
    assert response.status_code == 302
    page = alice_client.get(phase_url(answer)).content.decode()
    assert "Your reason for disputing REQ-010 is updated." in page
    assert Dispute.objects.get().reason == "Third."


def test_findings_of_one_rule_on_one_field_are_disputed_one_by_one(alice_client, answer):
    """REQ-001 says three things about ``functional``: each is its own dispute."""
    req001 = list(answer.findings.filter(code="REQ-001").order_by("position"))
    assert len(req001) == 3
    keys = [finding_dispute_key(f) for f in req001]
    assert len(set(keys)) == 3
    alice_client.post(dispute_url(answer), {"finding": keys[1], "reason": "Counted: see row 1."})
    dispute = Dispute.objects.get()
    assert dispute.message == req001[1].message
    page = alice_client.get(phase_url(answer)).content.decode()
    blocks = {key: page.split(f'id="dispute-{key}"')[1].split("</details>")[0] for key in keys}
    assert "Sent;" in blocks[keys[1]]
    assert "Sent;" not in blocks[keys[0]] and "Sent;" not in blocks[keys[2]]


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Your reason is empty: say what this finding gets wrong about your answer."),
        ("   \n ", "Your reason is empty: say what this finding gets wrong about your answer."),
        ("x" * 501, "Your reason is too long: keep it to 500 characters (it has 501)."),
    ],
)
def test_a_reason_is_required_and_short(alice_client, answer, reason, message):
    key = finding_dispute_key(finding(answer))
    response = alice_client.post(dispute_url(answer), {"finding": key, "reason": reason})
    assert response.status_code == 400
    html = response.content.decode()
    block = html.split(f'id="dispute-{key}"')[1].split("</details>")[0]
    assert message in block
    assert 'aria-invalid="true"' in block and '<details class="dispute-form" open>' in block
    assert reason.strip()[:50] in block  # what was typed is kept
    assert 'id="phase-form"' in html  # the whole page, without JavaScript

    response = alice_client.post(
        dispute_url(answer), {"finding": key, "reason": reason}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200  # htmx swaps only successful responses
    assert message in response.content.decode()
    assert "phase-form" not in response.content.decode()
    assert not Dispute.objects.exists()


def test_a_reason_of_exactly_500_characters_is_accepted(alice_client, answer):
    key = finding_dispute_key(finding(answer))
    alice_client.post(dispute_url(answer), {"finding": key, "reason": "y" * 500})
    assert len(Dispute.objects.get().reason) == 500


def test_a_finding_no_longer_shown_is_not_disputed(alice_client, attempt, answer):
    key = finding_dispute_key(finding(answer))
    save_phase(attempt, 1, ANSWERS["1"])  # another tab: REQ-010 is gone
    response = alice_client.post(
        dispute_url(answer), {"finding": key, "reason": REASON}, HTTP_HX_REQUEST="true"
    )
    assert "Nothing was sent: that finding is no longer shown" in response.content.decode()
    response = alice_client.post(dispute_url(answer), {"finding": key, "reason": REASON})
    assert response.status_code == 302 and response["Location"] == phase_url(answer)
    assert "Nothing was sent" in alice_client.get(phase_url(answer)).content.decode()
    for bogus in ("", "x" * 64, "<script>"):
        alice_client.post(dispute_url(answer), {"finding": bogus, "reason": REASON})
    assert not Dispute.objects.exists()


def test_a_pass_has_no_dispute_control_and_cannot_be_disputed(alice_client, attempt):
    answer = save_phase(attempt, 1, ANSWERS["1"])
    passed = answer.findings.get()
    assert passed.severity == "pass"
    key = finding_dispute_key(passed)
    assert "I think this is wrong" not in alice_client.get(phase_url(answer)).content.decode()
    alice_client.post(dispute_url(answer), {"finding": key, "reason": REASON})
    assert not Dispute.objects.exists()


def test_every_finding_but_a_pass_has_the_disclosure(alice_client, answer):
    html = alice_client.get(phase_url(answer)).content.decode()
    shown = answer.findings.exclude(severity="pass").count()
    assert html.count("<summary>I think this is wrong</summary>") == shown == 9
    assert html.count(f'action="{dispute_url(answer)}"') == shown


def test_a_finished_attempt_can_still_be_disputed(alice_client, attempt, answer):
    finish_attempt(attempt)
    key = finding_dispute_key(finding(answer))
    alice_client.post(dispute_url(answer), {"finding": key, "reason": REASON})
    assert Dispute.objects.filter(answer=answer).count() == 1


def test_a_phase_never_saved_has_nothing_to_dispute(alice_client, attempt, answer):
    url = reverse("phase_dispute", args=[attempt.pk, 2])
    assert alice_client.post(url, {"finding": "x", "reason": REASON}).status_code == 404
    assert alice_client.post(reverse("phase_dispute", args=[attempt.pk, 10])).status_code == 404
    assert alice_client.get(dispute_url(answer)).status_code == 405


# -- Deciding -------------------------------------------------------------------------------


def test_the_decision_page_shows_the_answer_as_it_was_disputed(client, dora, attempt, answer):
    req001 = answer.findings.filter(code="REQ-001").first()
    dispute = dispute_finding(attempt, answer, req001, "Shortening <b>covers</b> it.").dispute
    save_phase(attempt, 1, ANSWERS["1"])  # changed afterwards: the page shows revision 2
    client.force_login(dora)
    response = client.get(decision_url(dispute))
    html = response.content.decode()
    assert response.status_code == 200
    assert "alice disputes REQ-001" in html
    assert escape(req001.message) in html
    assert "Shortening &lt;b&gt;covers&lt;/b&gt; it." in html
    assert "<code>functional[0].text</code>" in html and "A user can shorten a URL" in html
    assert "at revision 2" in html
    assert "it is at revision 3 now); the finding no longer appears." in html
    assert f'href="{reverse("teach_review", args=[attempt.pk])}#phase-1"' in html
    assert 'name="verdict" value="rule_wrong"' in html
    assert 'name="verdict" value="rule_right"' in html


def test_an_instructor_decides_and_the_learner_reads_the_reply(
    dora_client, alice_client, dora, answer
):
    dispute = disputed(answer)
    response = dora_client.post(
        decision_url(dispute),
        {"verdict": "rule_right", "reply": "The notes are not the ratio field.\nState it there."},
    )
    cohort = reverse("teach_cohort", args=["foundations"])
    assert response.status_code == 302
    assert response["Location"] == f"{cohort}#disputes-REQ-010"
    dispute.refresh_from_db()
    assert dispute.verdict == Dispute.Verdict.RULE_RIGHT
    assert dispute.decided_by == dora and dispute.decided_at is not None
    assert (
        "Decision saved: alice sees your reply on phase 1"
        in dora_client.get(cohort).content.decode()
    )

    page = alice_client.get(phase_url(answer)).content.decode()
    block = page.split(f'id="dispute-{dispute.finding_key}"')[1].split("</details>")[0]
    assert "Your instructor looked: the rule was right here." in block
    assert "The notes are not the ratio field.<br>State it there." in block
    assert "dora" in block
    assert "I still think this is wrong" in block  # a new dispute may follow

    # It does: a second dispute of the same finding opens beside the decided one.
    alice_client.post(dispute_url(answer), {"finding": dispute.finding_key, "reason": "Still."})
    assert Dispute.objects.filter(verdict="open").count() == 1
    assert Dispute.objects.count() == 2


def test_the_rule_was_wrong_is_said_to_the_learner(dora_client, alice_client, answer):
    dispute = disputed(answer)
    dora_client.post(decision_url(dispute), {"verdict": "rule_wrong", "reply": "Agreed; fixing."})
    page = alice_client.get(phase_url(answer)).content.decode()
    assert "Your instructor agrees: the rule was wrong here." in page
    assert "Agreed; fixing." in page


def test_a_reply_stays_visible_when_the_finding_is_gone(alice_client, dora, attempt):
    answer = save_phase(attempt, 1, FLAWED)
    dispute = disputed(answer)
    other = disputed(answer, code="REQ-011")  # left open
    decide_dispute(dispute, dora, Dispute.Verdict.RULE_RIGHT, "Put the ratio in its field.")
    save_phase(attempt, 1, ANSWERS["1"])  # every finding gone but a pass
    page = alice_client.get(phase_url(answer)).content.decode()
    section = page.split('id="earlier-disputes-heading"')[1].split("</section>")[0]
    assert "Put the ratio in its field." in section
    assert escape(dispute.message) in section
    assert escape(other.message) in section and "your instructor will look at it" in section
    assert "I think this is wrong" not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reply": "Fine."}, "Your decision is missing: choose whether the rule was wrong or"),
        ({"verdict": "open", "reply": "Fine."}, "Your decision is missing"),
        ({"verdict": "rule_right", "reply": "  "}, "The reply is empty: tell the learner why"),
        ({"verdict": "rule_right", "reply": "z" * 2001}, "keep it to 2,000 characters (it has"),
    ],
)
def test_a_decision_needs_a_verdict_and_a_reply(client, dora, answer, data, message):
    dispute = disputed(answer)
    client.force_login(dora)
    response = client.post(decision_url(dispute), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    dispute.refresh_from_db()
    assert dispute.verdict == "open" and dispute.decided_by is None


def test_a_decision_can_be_changed(client, dora, answer):
    dispute = disputed(answer)
    decide_dispute(dispute, dora, Dispute.Verdict.RULE_RIGHT, "First thought.")
    client.force_login(dora)
    html = client.get(decision_url(dispute)).content.decode()
    assert "Change the decision" in html and "First thought." in html
    assert re.search(r'value="rule_right"[^>]* checked>', html)
    assert not re.search(r'value="rule_wrong"[^>]* checked>', html)
    client.post(decision_url(dispute), {"verdict": "rule_wrong", "reply": "On reflection."})
    dispute.refresh_from_db()
    assert (dispute.verdict, dispute.reply) == ("rule_wrong", "On reflection.")


# -- The cohort dashboard -------------------------------------------------------------------


def test_the_cohort_counts_disputes_per_rule(client, dora, charlie, alice, bob, answer):
    open_one = disputed(answer)  # REQ-010, open
    decide_dispute(
        disputed(answer, code="REQ-011"), dora, Dispute.Verdict.RULE_WRONG, "Yes."
    )  # REQ-011, the rule was wrong
    theirs = save_phase(start_attempt(bob, answer.attempt.problem), 1, FLAWED)
    decide_dispute(disputed(theirs), dora, Dispute.Verdict.RULE_RIGHT, "No.")  # REQ-010
    # A dispute in charlie's set is not counted in foundations.
    elsewhere = closed_problem_set("charlies-set", instructor=charlie)
    outside = save_phase(start_attempt(alice, elsewhere.problems.first()), 1, FLAWED)
    disputed(outside, code="REQ-011")

    client.force_login(dora)
    response = client.get(reverse("teach_cohort", args=["foundations"]))
    rules = {row["code"]: row for row in response.context["disputes"]["rules"]}
    assert [row["code"] for row in response.context["disputes"]["rules"]] == ["REQ-010", "REQ-011"]
    assert {k: rules["REQ-010"][k] for k in ("open", "rule_wrong", "rule_right", "total")} == {
        "open": 1,
        "rule_wrong": 0,
        "rule_right": 1,
        "total": 2,
    }
    assert (rules["REQ-011"]["open"], rules["REQ-011"]["rule_wrong"]) == (0, 1)
    assert response.context["disputes"]["total"] == 3
    # Open disputes are listed first under their rule, each linking to its decision page.
    assert rules["REQ-010"]["listed"][0]["pk"] == open_one.pk
    html = response.content.decode()
    assert html.count(reverse("teach_dispute", args=[open_one.pk])) == 1
    assert 'id="disputes-REQ-010"' in html and 'id="disputes-REQ-011"' in html
    assert escape(REASON) in html
    assert "1 open, 1 decided" in html


def test_an_empty_cohort_says_there_are_no_disputes(client, dora):
    client.force_login(dora)
    html = client.get(reverse("teach_cohort", args=["foundations"])).content.decode()
    assert "No disputes yet" in html


def queries(client, url) -> int:
    client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_pages_with_disputes_do_not_grow_with_them(
    dora_client, alice_client, dora, attempt, answer
):
    first = disputed(answer)
    phase_one, cohort = phase_url(answer), reverse("teach_cohort", args=["foundations"])
    small = queries(alice_client, phase_one)
    small_cohort = queries(dora_client, cohort)
    small_decision = queries(dora_client, decision_url(first))
    for code in ("REQ-011", "REQ-001"):
        decide_dispute(disputed(answer, code=code), dora, Dispute.Verdict.RULE_RIGHT, "No.")
    for n in range(5):
        learner = make_user(f"learner{n}")
        theirs = save_phase(start_attempt(learner, attempt.problem), 1, FLAWED)
        disputed(theirs)
    save_phase(attempt, 1, {**FLAWED, "clarifications": {"notes": "Changed."}})
    assert queries(dora_client, cohort) == small_cohort
    assert queries(dora_client, decision_url(first)) == small_decision
    assert queries(alice_client, phase_one) == small
    assert max(small, small_cohort, small_decision) <= CEILING


# -- Who may do what ------------------------------------------------------------------------


@pytest.fixture
def world(dora, charlie, answer):
    closed_problem_set("charlies-set", instructor=charlie)
    return disputed(answer)


def dispute_routes(dispute):
    answer = dispute.answer
    decide = {"verdict": "rule_wrong", "reply": "Hijacked."}
    yield ("POST", dispute_url(answer), {"finding": dispute.finding_key, "reason": "Hijacked."})
    yield ("GET", decision_url(dispute), None)
    yield ("POST", decision_url(dispute), decide)


def snapshot():
    return list(Dispute.objects.values_list("pk", "reason", "verdict", "reply", "revision"))


@pytest.mark.parametrize("who", ["bob", "charlie", "anonymous"])
def test_outsiders_can_neither_dispute_nor_decide(client, world, who, request):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    before = snapshot()
    for method, url, data in dispute_routes(world):
        response = client.get(url) if method == "GET" else client.post(url, data or {})
        if who == "anonymous":
            assert response.status_code == 302, (method, url)
            assert reverse("login") in response["Location"], (method, url)
        elif who == "bob" and url.startswith("/teach/"):
            assert response.status_code == 403, (method, url, response.status_code)
        else:
            assert response.status_code == 404, (method, url, response.status_code)
    assert snapshot() == before


def test_the_sets_instructor_cannot_dispute_for_the_learner(client, world, dora):
    client.force_login(dora)
    method, url, data = next(dispute_routes(world))
    assert client.post(url, data).status_code == 404
    assert snapshot() == [(world.pk, REASON, "open", "", 2)]


def test_the_learner_cannot_decide_their_own_dispute(alice_client, world):
    for method, url, data in list(dispute_routes(world))[1:]:
        response = alice_client.get(url) if method == "GET" else alice_client.post(url, data)
        assert response.status_code == 403
    assert Dispute.objects.get().verdict == "open"


def test_a_superuser_may_decide_any_dispute(client, world):
    admin = make_user("root", User.Role.STAFF)
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    assert client.get(decision_url(world)).status_code == 200


# -- The admin: each rule's dispute rate ----------------------------------------------------


def test_staff_see_each_rules_dispute_rate(client, dora, attempt, answer, bob):
    dispute = disputed(answer)
    decide_dispute(dispute, dora, Dispute.Verdict.RULE_WRONG, "Yes.")
    for learner in (bob, make_user("carol"), make_user("dave")):
        save_phase(start_attempt(learner, attempt.problem), 1, FLAWED)
    # REQ-010 is stored on four answers now (alice's and three more), disputed once.
    assert Finding.objects.filter(code="REQ-010").count() == 4
    staff = make_user("sam", User.Role.STAFF)
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    changelist = client.get(reverse("admin:tutor_dispute_changelist")).content.decode()
    rates_url = reverse("admin:tutor_dispute_rates")
    assert rates_url in changelist
    response = client.get(rates_url)
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.context["rows"]}
    assert (rows["REQ-010"]["shown"], rows["REQ-010"]["total"]) == (4, 1)
    assert rows["REQ-010"]["rate"] == 0.25 and rows["REQ-010"]["wrong_rate"] == 0.25
    assert rows["REQ-011"]["rate"] == 0  # shown 20 times, never disputed
    assert response.context["rows"][0]["code"] == "REQ-010"  # the highest rate first
    html = response.content.decode()
    assert "25.0%" in html and "Times shown" in html
    assert "not the number of page views" in html  # the denominator is explained


@pytest.mark.parametrize("who", ["alice", "dora", "anonymous"])
def test_only_staff_open_the_dispute_rates(client, who, request, dora):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("admin:tutor_dispute_rates"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
