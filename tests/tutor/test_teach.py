"""Instructors author in the site: sets, problems with ranged givens, tests, regrades."""

import pytest
import yaml
from django.urls import reverse

from tests.factories import make_user
from tutor.models import Attempt, Job, PhaseAnswer, Problem, ProblemSet, User
from tutor.services import save_phase, start_attempt


@pytest.fixture
def dora(foundations):
    """An instructor of the shipped set."""
    user = make_user("dora", User.Role.INSTRUCTOR)
    foundations.instructors.add(user)
    return user


@pytest.fixture
def dora_client(client, dora):
    client.force_login(dora)
    return client


PROBLEM = {
    "title": "Counter",
    "slug": "counter",
    "summary": "Count things",
    "statement": "Count **things**. <script>alert(1)</script>",
    "givens": "writes: {label: Events a day, min: 10M/day, max: 50M/day}\n",
    "expectations": (
        "phase1:\n  capabilities:\n    - {id: count, label: counting an event, "
        "synonyms: [count event, record event]}\n"
    ),
    "samples": (
        "- name: misses counting\n  answers:\n    '1': {functional: [{text: A user can "
        "read totals, path: read}]}\n  must: [REQ-001]\n  must_not: []\n"
    ),
    "reference_solution": "Use a counter.",
    "is_published": "on",
}


def test_learners_and_anonymous_cannot_open_teaching(client, alice, foundations):
    assert client.get(reverse("teach_home")).status_code == 302
    client.force_login(alice)
    assert client.get(reverse("teach_home")).status_code == 403
    assert client.get(reverse("teach_set", args=["foundations"])).status_code == 403


def test_an_instructor_of_another_set_gets_404(client, charlie, foundations):
    client.force_login(charlie)
    urls = [
        reverse("teach_set", args=["foundations"]),
        reverse("teach_set_export", args=["foundations"]),
        reverse("teach_problem", args=["foundations", "url-shortener"]),
        reverse("teach_problem_new", args=["foundations"]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    posts = [
        reverse("teach_set", args=["foundations"]),
        reverse("teach_set_import", args=["foundations"]),
        reverse("teach_problem", args=["foundations", "url-shortener"]),
        reverse("teach_problem_test", args=["foundations", "url-shortener"]),
        reverse("teach_problem_regrade", args=["foundations", "url-shortener"]),
    ]
    for url in posts:
        assert client.post(url, {"title": "Hijacked"}).status_code == 404, url
    assert ProblemSet.objects.get(slug="foundations").title == "Foundations"
    assert not Job.objects.exists()


def test_creating_a_set_makes_its_author_an_instructor_of_it(client, db):
    teacher = make_user("tess", User.Role.INSTRUCTOR)
    client.force_login(teacher)
    response = client.post(
        reverse("teach_set_new"),
        {"title": "Week 1", "slug": "week-1", "description": "", "is_open": "on"},
    )
    assert response.status_code == 302
    problem_set = ProblemSet.objects.get(slug="week-1")
    assert list(problem_set.instructors.all()) == [teacher]
    assert not problem_set.is_published  # drafts until published


def test_a_problem_with_ranged_givens_and_samples_is_created_and_tested(dora_client, foundations):
    response = dora_client.post(reverse("teach_problem_new", args=["foundations"]), PROBLEM)
    assert response.status_code == 302, response.content.decode()[:2000]
    problem = Problem.objects.get(slug="counter")
    assert problem.givens["writes"] == {"label": "Events a day", "min": "10M/day", "max": "50M/day"}
    assert problem.samples[0]["must"] == ["REQ-001"]
    result = dora_client.post(reverse("teach_problem_test", args=["foundations", "counter"]))
    html = result.content.decode()
    assert "PASS" in html and "misses counting" in html


def test_a_sample_that_does_not_hold_fails_the_test(dora_client, foundations):
    data = {**PROBLEM, "samples": PROBLEM["samples"].replace("must: [REQ-001]", "must: [REQ-006]")}
    dora_client.post(reverse("teach_problem_new", args=["foundations"]), data)
    html = dora_client.post(reverse("teach_problem_test", args=["foundations", "counter"])).content
    assert b"FAIL" in html and b"REQ-006" in html


def test_bad_yaml_and_bad_givens_are_field_errors_that_keep_the_text(dora_client, foundations):
    data = {**PROBLEM, "givens": "writes: {min: 50M/day, max: 10M/day}\n", "expectations": "a: [b"}
    response = dora_client.post(reverse("teach_problem_new", args=["foundations"]), data)
    html = response.content.decode()
    assert response.status_code == 422
    assert "Expectations: This is not valid YAML" in html
    assert "min: 50M/day, max: 10M/day" in html
    assert not Problem.objects.filter(slug="counter").exists()


def test_the_preview_is_sanitised_like_the_published_page(dora_client):
    response = dora_client.post(reverse("teach_preview"), {"statement": PROBLEM["statement"]})
    html = response.content.decode()
    assert "<strong>things</strong>" in html
    assert "<script" not in html


def test_each_attempt_draws_its_own_givens(dora_client, foundations, alice, bob):
    dora_client.post(reverse("teach_problem_new", args=["foundations"]), PROBLEM)
    problem = Problem.objects.get(slug="counter")
    drawn = {start_attempt(user, problem).givens["writes"]["value"] for user in (alice, bob)}
    assert all(value.endswith("M/day") for value in drawn)
    seeds = set(Attempt.objects.values_list("seed", flat=True))
    assert len(seeds) == 2


def test_editing_keeps_attempts_on_their_version_until_a_regrade(
    dora_client, foundations, alice, django_capture_on_commit_callbacks
):
    from tutor import celery_app

    problem = foundations.problems.get(slug="url-shortener")
    attempt = start_attempt(alice, problem)
    save_phase(attempt, 1, {"functional": [{"text": "A user can shorten a URL", "path": "write"}]})
    edit = {
        "title": problem.title,
        "slug": problem.slug,
        "summary": problem.summary,
        "statement": problem.statement,
        "givens": yaml.safe_dump(problem.givens),
        "expectations": yaml.safe_dump({**problem.expectations, "rules": {"REQ-001": "off"}}),
        "samples": "",
        "reference_solution": problem.reference_solution,
        "is_published": "on",
    }
    response = dora_client.post(
        reverse("teach_problem", args=["foundations", "url-shortener"]), edit
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.version == 2
    answer = PhaseAnswer.objects.get(attempt=attempt, phase=1)
    assert answer.findings.filter(code="REQ-001").exists()  # still on version 1

    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            dora_client.post(
                reverse("teach_problem_regrade", args=["foundations", "url-shortener"])
            )
    finally:
        celery_app.conf.task_always_eager = False
    job = Job.objects.get()
    assert (job.status, job.done, job.total) == ("done", 1, 1)
    attempt.refresh_from_db()
    assert attempt.problem_version == 2
    assert not answer.findings.filter(code="REQ-001").exists()
    page = dora_client.get(reverse("teach_problem", args=["foundations", "url-shortener"]))
    assert "1 of 1 attempts (100%)" in page.content.decode()


def test_export_then_import_through_the_site(dora_client, foundations):
    exported = dora_client.get(reverse("teach_set_export", args=["foundations"]))
    assert exported["Content-Disposition"].endswith('foundations.yaml"')
    text = exported.content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    changed = text.replace("title: Foundations", "title: Foundations, revised", 1)
    upload = SimpleUploadedFile("foundations.yaml", changed.encode())
    response = dora_client.post(reverse("teach_set_import", args=["foundations"]), {"file": upload})
    assert response.status_code == 302
    assert ProblemSet.objects.get(slug="foundations").title == "Foundations, revised"
    broken = SimpleUploadedFile("foundations.yaml", b"format: 1\nslug: foundations\nproblems: 3\n")
    response = dora_client.post(reverse("teach_set_import", args=["foundations"]), {"file": broken})
    assert response.status_code == 400
    assert "Nothing was imported" in response.content.decode()
    assert ProblemSet.objects.get(slug="foundations").title == "Foundations, revised"


# Nine levels of ten references each: 300 bytes of YAML that stand for 10^9 values.
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
)


def test_a_yaml_alias_is_a_field_error_not_a_billion_values(dora_client, foundations):
    assert len(ALIAS_BOMB) < 1000 and "*h" in ALIAS_BOMB
    data = {**PROBLEM, "expectations": ALIAS_BOMB}
    response = dora_client.post(reverse("teach_problem_new", args=["foundations"]), data)
    html = response.content.decode()
    assert response.status_code == 422
    assert "Expectations: This uses an alias (*name) at line 2, column 8" in html
    assert "*a, *a" in html  # the text is kept
    assert not Problem.objects.filter(slug="counter").exists()
    response = dora_client.post(reverse("teach_problem_new", args=["foundations"]), PROBLEM)
    assert response.status_code == 302  # the same form without the alias is stored
    assert Problem.objects.get(slug="counter").expectations


def test_a_problem_set_file_with_an_alias_is_refused_on_upload_and_import(
    dora_client, foundations, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import CommandError, call_command

    text = "format: 1\nslug: foundations\ntitle: Foundations\n" + ALIAS_BOMB
    upload = SimpleUploadedFile("foundations.yaml", text.encode())
    response = dora_client.post(reverse("teach_set_import", args=["foundations"]), {"file": upload})
    assert response.status_code == 400
    assert "The file uses an alias (*name) at line 5" in response.content.decode()
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    with pytest.raises(CommandError, match=r"uses an alias \(\*name\) at line 5"):
        call_command("import_problemset", str(path))
