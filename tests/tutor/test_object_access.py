"""One walk over every URL that shows or changes an object, as three outsiders.

bob is another learner, charlie teaches another problem set, and the third visitor is
anonymous. Each must get 404, 403 or a redirect to log in, and nothing may change.
"""

import json

import pytest
from django.urls import reverse

from phases.engine.registry import PHASES_BY_NUMBER
from tests.factories import FIXTURES, make_user
from tests.tutor.helpers import requirements_post
from tests.tutor.lti_helpers import course_grade
from tutor.models import (
    Attempt,
    Comment,
    Dispute,
    GradeSync,
    Job,
    PhaseAnswer,
    Problem,
    ProblemSet,
    User,
)
from tutor.services import (
    dispute_finding,
    save_phase,
    start_attempt,
)

EXAMPLE = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]


@pytest.fixture
def world(alice, charlie, url_shortener):
    """alice's attempt in foundations, taught by dora; charlie teaches another set."""
    from tests.factories import closed_problem_set

    closed_problem_set("charlies-set", instructor=charlie)
    dora = make_user("dora", User.Role.INSTRUCTOR)
    url_shortener.problem_set.instructors.add(dora)
    attempt = start_attempt(alice, url_shortener)
    for number in (1, 2):
        save_phase(attempt, number, EXAMPLE[str(number)])
    Comment.objects.create(attempt=attempt, phase=1, author=dora, text="Good start.")
    flawed = save_phase(attempt, 3, PHASES_BY_NUMBER[3].empty())  # no access patterns
    finding = flawed.findings.exclude(severity="pass").first()
    dispute_finding(attempt, flawed, finding, "I think this is wrong.")
    course_grade(attempt)  # alice's course in an LMS, and her failed grade there
    return attempt


def routes(attempt):
    """(method, url, data) for every URL that shows or changes alice's objects."""
    a = attempt.pk
    hijack = {"title": "Hijacked", "slug": "hijacked", "text": "x", "phase": "1"}
    yield from (("GET", reverse("phase", args=[a, n]), None) for n in range(1, 10))
    yield from (("GET", reverse("phase_report", args=[a, n]), None) for n in range(1, 10))
    yield from (
        ("POST", reverse("phase", args=[a, n]), requirements_post(EXAMPLE["1"]))
        for n in range(1, 10)
    )
    yield ("POST", reverse("phase_diagram", args=[a]), requirements_post(EXAMPLE["1"]))
    yield ("GET", reverse("phase_diagram_svg", args=[a, "write_path"]), None)
    yield ("GET", reverse("attempt", args=[a]), None)
    yield ("GET", reverse("export", args=[a]), None)
    yield from (("GET", reverse("attempt_reference", args=[a, n]), None) for n in range(1, 10))
    yield ("POST", reverse("finish", args=[a]), {})
    yield ("POST", reverse("finish", args=[a]), {"confirm": "on"})
    yield ("GET", reverse("teach_set", args=["foundations"]), None)
    yield ("POST", reverse("teach_set", args=["foundations"]), hijack)
    yield ("GET", reverse("teach_set_export", args=["foundations"]), None)
    yield ("POST", reverse("teach_set_import", args=["foundations"]), {})
    yield ("GET", reverse("teach_cohort", args=["foundations"]), None)
    yield ("GET", reverse("teach_gradebook", args=["foundations"]), None)
    yield ("GET", reverse("teach_problem_new", args=["foundations"]), None)
    yield ("POST", reverse("teach_problem_new", args=["foundations"]), hijack)
    problem = ["foundations", "url-shortener"]
    yield ("GET", reverse("teach_problem", args=problem), None)
    yield ("POST", reverse("teach_problem", args=problem), hijack)
    yield ("POST", reverse("teach_problem_test", args=problem), {})
    yield ("POST", reverse("teach_problem_regrade", args=problem), {})
    yield ("GET", reverse("teach_review", args=[a]), None)
    yield ("POST", reverse("teach_comment", args=[a]), hijack)
    dispute = Dispute.objects.get(answer__attempt=attempt)
    challenge = {"finding": dispute.finding_key, "reason": "Hijacked."}
    yield from (("POST", reverse("phase_dispute", args=[a, n]), challenge) for n in range(1, 10))
    yield ("GET", reverse("teach_dispute", args=[dispute.pk]), None)
    yield ("POST", reverse("teach_roster", args=["foundations"]), {})
    grade = GradeSync.objects.get(attempt=attempt)
    yield ("POST", reverse("teach_grade_retry", args=["foundations", grade.pk]), {})
    yield ("POST", reverse("teach_dispute", args=[dispute.pk]), {"verdict": "rule_wrong", **hijack})


def snapshot(attempt):
    return {
        "answers": list(
            PhaseAnswer.objects.filter(attempt=attempt).values_list("phase", "revision", "data")
        ),
        "state": Attempt.objects.get(pk=attempt.pk).state,
        "sets": list(ProblemSet.objects.values_list("slug", "title")),
        "problems": list(Problem.objects.values_list("slug", "title", "version")),
        "comments": Comment.objects.count(),
        "disputes": list(Dispute.objects.values_list("pk", "reason", "verdict", "reply")),
        "jobs": Job.objects.count(),
        "grades": list(GradeSync.objects.values_list("pk", "status", "tries")),
    }


@pytest.mark.parametrize("who", ["bob", "charlie", "anonymous"])
def test_outsiders_can_neither_see_nor_change_anything_of_alices(client, world, who, request):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    before = snapshot(world)
    for method, url, data in routes(world):
        response = client.get(url) if method == "GET" else client.post(url, data or {})
        if who == "anonymous":
            assert response.status_code == 302, (method, url)
            assert reverse("login") in response["Location"], (method, url)
        elif who == "bob" and url.startswith("/teach/"):
            assert response.status_code in (403, 404), (method, url, response.status_code)
        else:
            assert response.status_code == 404, (method, url, response.status_code)
    assert snapshot(world) == before


def test_the_walk_reaches_every_object_url(world):
    """A new object URL must join the walk: compare with the URL patterns that take one."""
    from tutor.urls import urlpatterns

    walked = {url.split("?")[0] for _, url, _ in routes(world)}
    names = {p.name for p in urlpatterns if getattr(p, "name", None)}
    object_names = {
        "phase",
        "phase_report",
        "phase_diagram",
        "phase_diagram_svg",
        "attempt",
        "attempt_reference",
        "export",
        "finish",
        "teach_set",
        "teach_set_export",
        "teach_set_import",
        "teach_cohort",
        "teach_gradebook",
        "teach_problem_new",
        "teach_problem",
        "teach_problem_test",
        "teach_problem_regrade",
        "teach_review",
        "teach_comment",
        "phase_dispute",
        "teach_dispute",
        "teach_roster",
        "teach_grade_retry",
    }
    assert object_names <= names
    taking_objects = {
        p.name
        for p in urlpatterns
        if getattr(p, "name", None)
        and ("<" in str(p.pattern))
        and p.name.startswith(("teach", "phase", "attempt", "export", "finish"))
    }
    assert taking_objects <= object_names, taking_objects - object_names
    assert len(walked) >= len(object_names)
