"""The instructor's cohort dashboard and review: what they show, how many queries they
take, and that only the set's own instructors can open them."""

import json
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from phases.engine.registry import RULES_BY_CODE
from tests.factories import FIXTURES, closed_problem_set, make_user
from tutor.models import (
    Attempt,
    Comment,
    Enrollment,
    Finding,
    PhaseAnswer,
    Report,
    User,
)
from tutor.services import run_report, save_phase, start_attempt
from tutor.views_cohort import ratio_bin

ANSWERS = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]


@pytest.fixture
def dora(foundations):
    """An instructor of foundations, the set alice works in."""
    user = make_user("dora", User.Role.INSTRUCTOR)
    foundations.instructors.add(user)
    return user


@pytest.fixture
def dora_client(client, dora):
    client.force_login(dora)
    return client


@pytest.fixture
def alices_attempt(alice, url_shortener):
    attempt = start_attempt(alice, url_shortener)
    save_phase(attempt, 1, ANSWERS["1"])
    return attempt


def cohort_url(problem_set, **query):
    url = reverse("teach_cohort", args=[problem_set.slug])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def review_url(attempt):
    return reverse("teach_review", args=[attempt.pk])


def comment_url(attempt):
    return reverse("teach_comment", args=[attempt.pk])


# -- Building a cohort in bulk: a handful of queries whatever its size ------------------------

PROGRESS = ["passed", "warnings", "errors", "passed", "not_started"]


def build_cohort(problem_set, n: int, prefix: str = "learner") -> list[Attempt]:
    """n enrolled learners, each with two attempts at the first problem (an old finished
    one and a newer one), phase answers, findings and a phase 2 report; all bulk-created."""
    problem = problem_set.problems.order_by("position").first()
    users = User.objects.bulk_create(
        User(username=f"{prefix}{i:04d}", password="!", role=User.Role.LEARNER) for i in range(n)
    )
    Enrollment.objects.bulk_create(Enrollment(learner=u, problem_set=problem_set) for u in users)
    old = Attempt.objects.bulk_create(
        Attempt(learner=u, problem=problem, state=Attempt.State.FINISHED) for u in users
    )
    latest = Attempt.objects.bulk_create(Attempt(learner=u, problem=problem) for u in users)
    answers = PhaseAnswer.objects.bulk_create(
        PhaseAnswer(attempt=a, phase=phase, status=status)
        for a in old + latest
        for phase, status in enumerate(PROGRESS, start=1)
    )
    codes = {"errors": [("EST-001", "error")] * 2, "warnings": [("REQ-010", "warning")],
             "passed": [("EST-009", "pass")]}  # fmt: skip
    Finding.objects.bulk_create(
        Finding(answer=answer, code=code, severity=severity, message="m")
        for answer in answers
        for code, severity in codes.get(answer.status, [])
    )
    Report.objects.bulk_create(
        Report(
            answer=answer,
            revision=1,
            status=Report.Status.DONE,
            data={"results": [{"key": "writes_per_s", "ratio": 24.0, "verdict": "error"}]},
        )
        for answer in answers
        if answer.phase == 2
    )
    return latest


def queries_for(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


# -- The dashboard --------------------------------------------------------------------------


def test_dashboard_lists_enrolled_learners_with_progress(dora_client, foundations, alice, bob):
    attempt = start_attempt(alice, foundations.problems.get(slug="url-shortener"))
    save_phase(attempt, 1, ANSWERS["1"])
    Enrollment.objects.create(learner=bob, problem_set=foundations)
    outsider = make_user("zelda-outsider")  # not enrolled: not listed

    response = dora_client.get(cohort_url(foundations))
    html = response.content.decode()
    assert response.status_code == 200
    assert ">alice</th>" in html and ">bob</th>" in html
    assert outsider.username not in html
    assert review_url(attempt) in html
    assert "Phase 1, Requirements: </span>" in html
    status = PhaseAnswer.objects.get(attempt=attempt, phase=1).status
    assert f'class="state-{status}"' in html
    rows = {row["name"]: row for row in response.context["rows"]}
    alices = {c["problem"].slug: c["attempt"] for c in rows["alice"]["cells"]}
    assert alices["url-shortener"]["id"] == attempt.pk
    assert alices["url-shortener"]["progress"][0][1] == status
    assert alices["pastebin"] is None
    assert all(cell["attempt"] is None for cell in rows["bob"]["cells"])
    assert "Not started" in html


def test_dashboard_shows_each_learners_latest_attempt(dora_client, foundations):
    (latest,) = build_cohort(foundations, 1)
    response = dora_client.get(cohort_url(foundations))
    cell = response.context["rows"][0]["cells"][0]["attempt"]
    assert cell["id"] == latest.pk
    assert [state for _, state in cell["progress"]] == PROGRESS + ["not_started"] * 4
    assert cell["passed"] == 2


def test_empty_cohort_says_so(dora_client, foundations):
    html = dora_client.get(cohort_url(foundations)).content.decode()
    assert "Nobody has joined this set yet" in html
    assert "No findings yet" in html
    assert "No phase 2 report has been computed yet" in html


def add_answer(attempt, phase, counts: dict[str, int], severity="error"):
    answer, _ = PhaseAnswer.objects.get_or_create(
        attempt=attempt, phase=phase, defaults={"status": "errors"}
    )
    Finding.objects.bulk_create(
        Finding(answer=answer, code=code, severity=severity, message="m")
        for code, count in counts.items()
        for _ in range(count)
    )
    return answer


def test_top_findings_are_ordered_by_count_and_filtered(dora_client, foundations, alice, bob):
    shortener = foundations.problems.get(slug="url-shortener")
    pastebin = foundations.problems.get(slug="pastebin")
    a1 = start_attempt(alice, shortener)
    a2 = start_attempt(bob, shortener)
    a3 = start_attempt(alice, pastebin)
    add_answer(a1, 1, {"REQ-006": 3, "REQ-010": 1})
    add_answer(a2, 1, {"REQ-006": 2, "REQ-011": 2})
    add_answer(a3, 2, {"EST-001": 4, "EST-003": 1})
    add_answer(a3, 2, {"EST-009": 9}, severity="pass")  # passes never count
    # Twelve more codes, once each, so only ten rows can be shown.
    add_answer(a3, 3, {f"DAT-{n:03d}": 1 for n in range(1, 13)})

    response = dora_client.get(cohort_url(foundations))
    top = response.context["top_findings"]
    assert len(top) == 10
    assert [(r["code"], r["count"]) for r in top[:3]] == [
        ("REQ-006", 5),
        ("EST-001", 4),
        ("REQ-011", 2),
    ]
    assert top[0]["learners"] == 2 and top[0]["attempts"] == 2
    assert top[0]["phase"].number == 1
    assert "EST-009" not in [r["code"] for r in top]
    html = response.content.decode()
    assert 'href="/rules/#REQ-006"' in html
    assert escape(RULES_BY_CODE["REQ-006"].title) in html

    by_problem = dora_client.get(cohort_url(foundations, problem="url-shortener"))
    assert [(r["code"], r["count"]) for r in by_problem.context["top_findings"]] == [
        ("REQ-006", 5),
        ("REQ-011", 2),
        ("REQ-010", 1),
    ]
    by_phase = dora_client.get(cohort_url(foundations, phase=2))
    assert [r["code"] for r in by_phase.context["top_findings"]] == ["EST-001", "EST-003"]
    both = dora_client.get(cohort_url(foundations, problem="url-shortener", phase=2))
    assert both.context["top_findings"] == []
    assert "No findings for this selection" in both.content.decode()
    # Nonsense filters are ignored rather than failing.
    odd = dora_client.get(cohort_url(foundations, problem="nope", phase="x"))
    assert odd.status_code == 200 and len(odd.context["top_findings"]) == 10


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (0.0, "under_tenth"),
        (0.09, "under_tenth"),
        (0.1, "tenth_to_half"),
        (0.49, "tenth_to_half"),
        (0.5, "half_to_double"),
        (1.0, "half_to_double"),
        (2.0, "half_to_double"),
        (2.01, "double_to_ten"),
        (10.0, "double_to_ten"),
        (10.5, "over_ten"),
    ],
)
def test_ratio_bins_match_the_estimate_verdicts(ratio, expected):
    assert ratio_bin(ratio) == expected


def report_for(attempt, results, status=Report.Status.DONE):
    answer, _ = PhaseAnswer.objects.get_or_create(attempt=attempt, phase=2)
    return Report.objects.create(
        answer=answer, revision=1, status=status, data={"results": results, "headroom": []}
    )


def test_ratio_distribution_counts_each_result_in_its_bin(dora_client, foundations, alice, bob):
    shortener = foundations.problems.get(slug="url-shortener")
    pastebin = foundations.problems.get(slug="pastebin")
    report_for(
        start_attempt(alice, shortener),
        [
            {"key": "writes_per_s", "ratio": 24.0, "verdict": "error"},
            {"key": "storage", "ratio": 1.0, "verdict": "ok"},
            {"key": "reads_per_s", "ratio": None, "verdict": "missing"},
        ],
    )
    report_for(
        start_attempt(bob, shortener),
        [
            {"key": "writes_per_s", "ratio": 0.05, "verdict": "error"},
            {"key": "storage", "ratio": 1.5, "verdict": "ok"},
            {"key": "reads_per_s", "ratio": None, "verdict": "error"},  # learner > 0, ours 0
        ],
    )
    report_for(
        start_attempt(alice, pastebin), [{"key": "writes_per_s", "ratio": 3.0, "verdict": "x"}]
    )
    report_for(  # still computing: not counted
        start_attempt(bob, pastebin),
        [{"key": "writes_per_s", "ratio": 3.0, "verdict": "warning"}],
        status=Report.Status.PENDING,
    )

    response = dora_client.get(cohort_url(foundations))
    rows = {row["key"]: row for row in response.context["ratios"]}
    # Bins: <1/10, 1/10-1/2, 1/2-2, 2-10, >10.
    assert rows["writes_per_s"]["bins"] == [1, 0, 0, 1, 1]
    assert rows["storage"]["bins"] == [0, 0, 2, 0, 0]
    assert rows["reads_per_s"]["bins"] == [0, 0, 0, 0, 1]
    assert rows["reads_per_s"]["other"] == 1
    assert rows["cache_memory"]["compared"] == 0
    html = response.content.decode()
    assert 'id="ratio-writes_per_s"' in html and "1/2 to 2" in html

    only_pastebin = dora_client.get(cohort_url(foundations, problem="pastebin"))
    rows = {row["key"]: row for row in only_pastebin.context["ratios"]}
    assert rows["writes_per_s"]["bins"] == [0, 0, 0, 1, 0]


def test_ratio_distribution_reads_a_real_phase_two_report(dora_client, alices_attempt):
    from tests.tutor.helpers import GOOD_ESTIMATE

    answer = save_phase(alices_attempt, 2, GOOD_ESTIMATE)
    run_report(answer.report.pk, answer.revision, where=Report.Where.INLINE)
    assert Report.objects.get(pk=answer.report.pk).status == Report.Status.DONE
    response = dora_client.get(cohort_url(alices_attempt.problem.problem_set))
    rows = {row["key"]: row for row in response.context["ratios"]}
    assert rows["writes_per_s"]["bins"] == [0, 0, 1, 0, 0]
    assert sum(row["compared"] for row in rows.values()) == 9


# -- Constant queries -----------------------------------------------------------------------


def test_dashboard_queries_do_not_grow_with_learners(client, foundations, dora):
    client.force_login(dora)
    build_cohort(foundations, 3, prefix="small")
    small, response = queries_for(client, cohort_url(foundations))
    assert len(response.context["rows"]) == 3

    build_cohort(foundations, 27, prefix="more")
    thirty, response = queries_for(client, cohort_url(foundations))
    assert len(response.context["rows"]) == 30
    assert thirty == small, f"{small} queries for 3 learners, {thirty} for 30"
    # Filtering adds no query either.
    filtered, _ = queries_for(client, cohort_url(foundations, problem="url-shortener", phase=2))
    assert filtered == small
    print(f"cohort queries: 3 learners {small}, 30 learners {thirty}")


def test_dashboard_with_a_thousand_learners(client, foundations, dora):
    client.force_login(dora)
    build_cohort(foundations, 3, prefix="small")
    small, _ = queries_for(client, cohort_url(foundations))

    build_cohort(foundations, 997, prefix="many")
    started = time.monotonic()
    many, response = queries_for(client, cohort_url(foundations))
    elapsed = time.monotonic() - started
    print(f"cohort queries: 3 learners {small}, 1,000 learners {many}, {elapsed:.2f} s")
    assert many <= small
    assert response.context["page"].paginator.count == 1000
    assert len(response.context["rows"]) == 100  # one page of learners
    top = {row["code"]: row["count"] for row in response.context["top_findings"]}
    # Every learner: two attempts, each with phase 3 in errors (2 x EST-001) and phase 2
    # in warnings (1 x REQ-010); pass findings left out.
    assert top == {"EST-001": 4000, "REQ-010": 2000}
    ratios = {row["key"]: row for row in response.context["ratios"]}
    assert ratios["writes_per_s"]["bins"] == [0, 0, 0, 0, 2000]
    last_page, response = queries_for(client, cohort_url(foundations, page=10))
    assert last_page <= small
    assert response.context["rows"][-1]["name"] == "small0002"
    assert elapsed < 10


# -- Review and comments --------------------------------------------------------------------


def test_review_shows_the_attempt_read_only(dora_client, alices_attempt, dora):
    Comment.objects.create(
        attempt=alices_attempt, phase=1, author=dora, text="Good *targets*. <script>x</script>"
    )
    response = dora_client.get(review_url(alices_attempt))
    html = response.content.decode()
    assert response.status_code == 200
    assert "alice's attempt at URL shortener" in html
    # Read-only: no phase form fields, no finishing, nothing posts to the learner's pages.
    assert "functional-TOTAL_FORMS" not in html
    assert 'name="availability"' not in html
    assert reverse("finish", args=[alices_attempt.pk]) not in html
    assert reverse("phase", args=[alices_attempt.pk, 1]) not in html
    # Findings per phase, the scores, the design, the comment (sanitised).
    codes = PhaseAnswer.objects.get(attempt=alices_attempt, phase=1).findings.values_list(
        "code", flat=True
    )
    for code in codes:
        assert f'href="/rules/#{code}"' in html
    assert "Where each phase stands" in html
    assert 'id="document-heading"' in html
    assert "<em>targets</em>" in html
    assert "<script>x" not in html
    # One comment form per phase, each naming its phase.
    assert html.count(f'action="{comment_url(alices_attempt)}"') == 9
    for n in range(1, 10):
        assert f'<input type="hidden" name="phase" value="{n}">' in html
        assert f'id="phase-{n}"' in html


def test_review_queries_do_not_grow_with_findings_and_comments(dora_client, alices_attempt, dora):
    first, _ = queries_for(dora_client, review_url(alices_attempt))
    for n in range(1, 10):
        add_answer(alices_attempt, n, {"DAT-001": 3})
        Comment.objects.create(attempt=alices_attempt, phase=n, author=dora, text=f"on {n}")
    later, _ = queries_for(dora_client, review_url(alices_attempt))
    assert later == first


def test_posting_a_comment_shows_it_on_the_review(dora_client, alices_attempt, dora):
    response = dora_client.post(
        comment_url(alices_attempt), {"phase": "3", "text": "Which store for **counts**?"}
    )
    assert response.status_code == 302
    assert response["Location"] == review_url(alices_attempt) + "#phase-3"
    comment = Comment.objects.get()
    assert (comment.attempt, comment.phase, comment.author) == (alices_attempt, 3, dora)
    html = dora_client.get(review_url(alices_attempt)).content.decode()
    assert "Which store for <strong>counts</strong>?" in html
    assert "Comment added to phase 3." in html
    section = html.split('id="phase-3"')[1].split('id="phase-4"')[0]
    assert "<strong>counts</strong>" in section


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "Write a comment before posting it."),
        ("x" * 5001, "Keep a comment to 5,000 characters (this one has 5001)."),
    ],
)
def test_empty_or_long_comment_is_rejected_and_the_text_kept(
    dora_client, alices_attempt, text, message
):
    response = dora_client.post(comment_url(alices_attempt), {"phase": "4", "text": text})
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert not Comment.objects.exists()
    section = html.split('id="phase-4"')[1].split('id="phase-5"')[0]
    assert f">{text}</textarea>" in section
    assert 'aria-invalid="true"' in section
    assert 'aria-invalid="true"' not in html.split('id="phase-4"')[0]


def test_comment_at_the_limit_is_accepted(dora_client, alices_attempt):
    response = dora_client.post(comment_url(alices_attempt), {"phase": "9", "text": "y" * 5000})
    assert response.status_code == 302
    assert len(Comment.objects.get().text) == 5000


@pytest.mark.parametrize("phase", ["0", "10", "", "two"])
def test_comment_on_no_phase_is_rejected_and_the_text_kept(dora_client, alices_attempt, phase):
    response = dora_client.post(
        comment_url(alices_attempt), {"phase": phase, "text": "kept <b>as typed</b>"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Say which phase the comment is about (1 to 9)." in html
    assert "kept &lt;b&gt;as typed&lt;/b&gt;" in html
    assert not Comment.objects.exists()


def test_comment_is_post_only(dora_client, alices_attempt):
    assert dora_client.get(comment_url(alices_attempt)).status_code == 405


# -- Access ---------------------------------------------------------------------------------


def all_urls(problem_set, attempt):
    return [("get", cohort_url(problem_set)), ("get", review_url(attempt)),
            ("post", comment_url(attempt))]  # fmt: skip


def call(client, method, url):
    return getattr(client, method)(
        url, {"phase": "1", "text": "sneaky"} if method == "post" else {}
    )


def test_an_instructor_of_another_set_gets_404(client, charlie, foundations, alices_attempt):
    own = closed_problem_set("charlies-set", instructor=charlie)
    client.force_login(charlie)
    for method, url in all_urls(foundations, alices_attempt):
        assert call(client, method, url).status_code == 404, url
    assert client.get(cohort_url(own)).status_code == 200
    assert not Comment.objects.exists()


def test_instructors_see_only_their_own_sets_attempts(client, dora, bob, charlie):
    own = closed_problem_set("charlies-set", instructor=charlie)
    bobs = start_attempt(bob, own.problems.get(slug="url-shortener"))
    client.force_login(dora)
    for method, url in all_urls(own, bobs):
        assert call(client, method, url).status_code == 404, url
    client.force_login(charlie)
    assert client.get(review_url(bobs)).status_code == 200
    assert not Comment.objects.exists()


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_learners_are_refused(client, who, alice, bob, foundations, alices_attempt):
    client.force_login({"alice": alice, "bob": bob}[who])
    for method, url in all_urls(foundations, alices_attempt):
        assert call(client, method, url).status_code in (403, 404), url
    assert not Comment.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, foundations, alices_attempt):
    for method, url in all_urls(foundations, alices_attempt):
        response = call(client, method, url)
        assert response.status_code == 302 and reverse("login") in response["Location"], url
    assert not Comment.objects.exists()


def test_missing_objects_are_404_for_an_instructor(dora_client, foundations):
    assert dora_client.get(reverse("teach_cohort", args=["no-such-set"])).status_code == 404
    assert dora_client.get(reverse("teach_review", args=[999999])).status_code == 404
    assert dora_client.post(reverse("teach_comment", args=[999999]), {}).status_code == 404
