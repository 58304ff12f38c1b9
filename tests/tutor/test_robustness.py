"""No input produces a 500, and two saves of one phase never silently lose one.

Hostile values (very long text, NUL bytes, unicode, markup, SQL, huge and negative
numbers, lists where one value is expected, forged management forms and row actions)
are posted into every phase form, the account forms, the instructor's authoring forms
and the comment form; every response must be below 500.
"""

import copy
import json

import pytest
from django import forms as django_forms
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phases.engine.registry import PHASE_NUMBERS
from tests.factories import FIXTURES, PASSWORD, make_user
from tests.tutor.helpers import phase_post, requirements_post
from tutor.forms import MAX_ROWS, OUT_OF_DATE_FORM, forms_for
from tutor.models import Comment, PhaseAnswer, Problem, ProblemSet, Report, User
from tutor.services import run_report, save_phase

ANSWERS = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]

HOSTILE = [
    "",
    " ",
    "x" * 5_000,
    "\x00",
    "99.9\x00%",
    "ok\x00",
    "💥🔥" * 300,
    "Ǆ\u202etxet\u200b\ufeff\u0301",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7|add:7 }}{% load static %}",
    "'; DROP TABLE tutor_phaseanswer; --",
    "1 OR 1=1",
    "9" * 5_000,
    "1e999999",
    "-1e999999 ms",
    "1e308/s",
    "0",
    "-1",
    "-99999999999999999999 TB",
    "NaN",
    "inf",
    "-inf%",
    "%",
    "%s%n%x%(x)s",
    "100%%%",
    "1/0",
    "0:0",
    "10:0",
    "0x1F",
    "１２３ ms",
    "٣ GB",
    "null",
    "[]",
    "{}",
    "../../etc/passwd",
    "\r\n\t\x0b\x0c",
    "A" * 501,
]


def phase_url(attempt, number):
    return reverse("phase", args=[attempt.pk, number])


def current(attempt, number, data) -> dict:
    """``data`` posted from a page built from the stored answer (its revision), so every
    post reaches the save instead of stopping at the conflict check."""
    answer = PhaseAnswer.objects.filter(attempt=attempt, phase=number).first()
    return {**data, "base_revision": str(answer.revision if answer else 0)}


def all_field_names(forms_class) -> list[str]:
    """Every field name the page posts, row fields named for row 0."""
    names = list(forms_class.main_class.base_fields)
    for prefix, row_class in forms_class.row_classes.items():
        names += [f"{prefix}-0-{field}" for field in row_class.base_fields]
    return names


def one_row_post(forms_class) -> dict:
    document = {prefix: [{}] for prefix in forms_class.row_classes}
    data = phase_post(forms_class, document)
    for prefix in forms_class.row_classes:
        data[f"{prefix}-TOTAL_FORMS"] = "1"
    return data


def field_of(forms_class, name):
    if "-" in name:
        prefix, _, field = name.split("-", 2)
        return forms_class.row_classes[prefix].base_fields[field]
    return forms_class.main_class.base_fields[name]


def valid_choice(field, index=1):
    choices = [value for value, _ in field.choices if value != ""]
    return choices[index % len(choices)] if choices else ""


def with_text(forms_class, value, choice_index=1) -> dict:
    """``value`` in every text field; choice fields get a valid choice so the answer gets
    past the form and into the phase's own parsing, checks and the save."""
    data = one_row_post(forms_class)
    for name in all_field_names(forms_class):
        field = field_of(forms_class, name)
        if isinstance(field, django_forms.MultipleChoiceField):
            data[name] = [valid_choice(field, choice_index)]
        elif isinstance(field, django_forms.ChoiceField):
            # A phase 1 requirement named in a later phase: any text is kept.
            data[name] = value if name.endswith("-requirement") else valid_choice(field)
        elif isinstance(field, django_forms.BooleanField):
            data[name] = "on"
        else:
            data[name] = value
    return data


def assert_no_500(response):
    assert response.status_code < 500, response.content[:2000]


@pytest.fixture
def dora(foundations):
    user = make_user("dora", User.Role.INSTRUCTOR)
    foundations.instructors.add(user)
    return user


# -- Phase forms ---------------------------------------------------------------------------


@pytest.mark.parametrize("number", PHASE_NUMBERS)
def test_hostile_value_in_every_field_of_every_phase(alice_client, attempt, number):
    forms_class = forms_for(number)
    for value in HOSTILE:
        data = one_row_post(forms_class)
        for name in all_field_names(forms_class):
            data[name] = value
        url = phase_url(attempt, number)
        assert_no_500(alice_client.post(url, current(attempt, number, data)))
        assert_no_500(
            alice_client.post(url, current(attempt, number, data), HTTP_HX_REQUEST="true")
        )


@pytest.mark.parametrize("number", PHASE_NUMBERS)
def test_hostile_text_gets_through_to_the_checks_and_the_save(alice_client, attempt, number):
    forms_class = forms_for(number)
    for value in HOSTILE:
        data = current(attempt, number, with_text(forms_class, value))
        response = alice_client.post(phase_url(attempt, number), data)
        assert_no_500(response)
        if value and "\x00" in value:
            assert response.status_code == 422  # refused by the form, never stored
    answer = PhaseAnswer.objects.filter(attempt=attempt, phase=number).first()
    assert answer is not None, "no hostile text ever got past the form"
    assert "\x00" not in json.dumps(answer.data)
    assert_no_500(alice_client.get(phase_url(attempt, number)))
    assert_no_500(alice_client.get(reverse("attempt", args=[attempt.pk])))
    assert_no_500(alice_client.get(reverse("export", args=[attempt.pk])))


@pytest.mark.parametrize("number", PHASE_NUMBERS)
def test_hostile_numbers_save_and_their_reports_store_or_fail(alice_client, attempt, number):
    """Reports (phases 2 and 7) computed from hostile numbers store, or fail politely."""
    for value in ("1e308/s", "9" * 300, "-1", "0", "1e-320", "inf", "NaN", "1e999999"):
        response = alice_client.post(
            phase_url(attempt, number),
            current(attempt, number, with_text(forms_for(number), value)),
        )
        assert_no_500(response)
        answer = PhaseAnswer.objects.filter(attempt=attempt, phase=number).first()
        report = Report.objects.filter(answer=answer).first() if answer else None
        if report is not None:
            with transaction.atomic():
                run_report(report.pk, answer.revision, where=Report.Where.INLINE)
            report.refresh_from_db()
            assert report.status in (Report.Status.DONE, Report.Status.FAILED)
            assert_no_500(alice_client.get(phase_url(attempt, number)))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
@pytest.mark.parametrize("number", PHASE_NUMBERS)
def test_random_values_in_random_fields(alice_client, attempt, number, data):
    forms_class = forms_for(number)
    names = all_field_names(forms_class)
    values = st.one_of(
        st.text(max_size=60),
        st.sampled_from(HOSTILE),
        st.from_regex(
            r"-?[0-9]{1,40}(\.[0-9]{1,5})?(e-?[0-9]{1,6})? ?(ms|s|GB|TB|/s|/day|%|x)?",
            fullmatch=True,
        ),
        st.lists(st.text(max_size=10), max_size=3),
    )
    post = current(
        attempt,
        number,
        with_text(forms_class, data.draw(st.sampled_from(["", "1", "10 ms", "hi"]))),
    )
    for name in data.draw(st.lists(st.sampled_from(names), max_size=8, unique=True)):
        post[name] = data.draw(values)
    if data.draw(st.booleans()):
        post["base_revision"] = data.draw(st.one_of(st.text(max_size=12), st.integers()))
    hx = data.draw(st.booleans())
    extra = {"HTTP_HX_REQUEST": "true"} if hx else {}
    assert_no_500(alice_client.post(phase_url(attempt, number), post, **extra))


MANAGEMENT_ATTACKS = [
    {"TOTAL_FORMS": "10000"},
    {"TOTAL_FORMS": str(MAX_ROWS + 1)},
    {"TOTAL_FORMS": "-5"},
    {"TOTAL_FORMS": "9" * 5_000},
    {"TOTAL_FORMS": "abc"},
    {"TOTAL_FORMS": ["1", "2"]},
    {"TOTAL_FORMS": "\x00"},
    {"INITIAL_FORMS": "10000"},
    {"INITIAL_FORMS": "-1"},
    {"MAX_NUM_FORMS": "999999"},
    {"MIN_NUM_FORMS": "abc"},
    None,  # management form missing altogether
]

ROW_ACTIONS = [
    "add:{p}",
    "remove:{p}:0",
    "remove:{p}:9999",
    "remove:{p}:" + "9" * 5_000,
    "up:{p}:0",
    "down:{p}:9999",
    "up:{p}:-1",
    "add:nosuchlist",
    "add:",
    "remove",
    ":::",
    "add:{p}:0:0",
    "\x00",
    "add:{p}\x00",
    "💥",
    "x" * 10_000,
]


@pytest.mark.parametrize("number", PHASE_NUMBERS)
def test_forged_management_forms_and_row_actions(alice_client, attempt, number):
    forms_class = forms_for(number)
    url = phase_url(attempt, number)
    for prefix in forms_class.row_classes:
        for attack in MANAGEMENT_ATTACKS:
            data = current(attempt, number, with_text(forms_class, "1"))
            for key in [k for k in data if k.startswith(f"{prefix}-") and k.endswith("_FORMS")]:
                if attack is None:
                    del data[key]
            for suffix, value in (attack or {}).items():
                data[f"{prefix}-{suffix}"] = value
            assert_no_500(alice_client.post(url, data))
            for action in ("add:{p}", "remove:{p}:0", "down:{p}:0"):
                assert_no_500(
                    alice_client.post(url, {**data, "row_action": action.format(p=prefix)})
                )
        for action in ROW_ACTIONS:
            data = with_text(forms_class, "1")
            data["row_action"] = action.format(p=prefix)
            assert_no_500(alice_client.post(url, data))
            assert_no_500(alice_client.post(url, data, HTTP_HX_REQUEST="true"))
        data = with_text(forms_class, "1")
        data["row_action"] = ["add:" + prefix, "remove:" + prefix + ":0"]
        assert_no_500(alice_client.post(url, data))


@pytest.mark.parametrize(
    "path",
    ["/attempts/1/phases/99999999999999999999/", "/attempts/99999999999999999999/phases/1/"],
)
def test_huge_numbers_in_urls_are_404(alice_client, attempt, path):
    assert alice_client.get(path).status_code == 404


def test_a_requirement_choice_that_could_not_be_stored_is_refused(alice_client, attempt):
    """Phase 3 keeps a requirement no longer in phase 1, but never NUL or endless text."""
    data = with_text(forms_for(3), "ok")
    for value in ("a\x00b", "r" * 600):
        data["access_patterns-0-requirement"] = value
        response = alice_client.post(phase_url(attempt, 3), data)
        assert response.status_code == 422
    assert not PhaseAnswer.objects.filter(attempt=attempt, phase=3).exists()


# -- Accounts, joining ---------------------------------------------------------------------


def test_hostile_signup_login_and_join(client, db, foundations):
    from tests.factories import closed_problem_set

    closed = closed_problem_set("closed")
    make_user("erin")
    for value in HOSTILE:
        for field in ("username", "email", "password1", "password2"):
            data = {"username": "zed", "password1": PASSWORD, "password2": PASSWORD}
            data[field] = value
            assert_no_500(client.post(reverse("signup"), data))
            client.logout()
        for data in (
            {"username": value, "password": value},
            {"username": "erin", "password": value},
        ):
            assert_no_500(client.post(reverse("login"), data))
            client.logout()
    assert_no_500(client.post(reverse("signup"), {"username": ["a", "b"], "password1": [PASSWORD]}))
    assert_no_500(client.post(reverse("login"), {"username": ["a", "b"], "password": ["x", "y"]}))
    client.force_login(make_user("fay"))
    for value in HOSTILE + [["a", "b"]]:
        for problem_set in (closed, foundations):
            assert_no_500(client.post(reverse("join", args=[problem_set.slug]), {"code": value}))
    assert_no_500(client.get(reverse("problemsets") + "?page=%00&x=" + "9" * 5000))


# -- Instructors ---------------------------------------------------------------------------

PROBLEM = {
    "title": "Counter",
    "slug": "counter",
    "summary": "Count things",
    "statement": "Count things.",
    "givens": "writes: {label: Events a day, value: 10M/day}\n",
    "expectations": "",
    "samples": "",
    "reference_solution": "Use a counter.",
    "is_published": "on",
}

HOSTILE_YAML = [
    '"a\\0b"',
    'writes: {label: "nul \\0 here", value: 10M/day}',
    "writes: {label: x, value: .inf}",
    "writes: {label: x, value: .nan}",
    "writes: {label: x, value: 1e999}",
    "writes: {label: x, min: -.inf, max: .inf}",
    "writes: {label: x, min: 50M/day, max: 10M/day}",
    "writes: {label: x, min: 9999999999999999999999999999999, max: 1e400}",
    "writes: [1, 2, 3]",
    "[1, 2, 3]",
    "42",
    "!!python/object/apply:os.system ['true']",
    "{: }",
    "a: b: c",
    "\t- bad indent",
    "? [a, b]\n: c",
    "2024-01-01: x",
    "1: {label: x, value: 1}",
    "null: x",
    "writes: !!binary aGVsbG8=",
    "writes: !!set {a, b}",
    "writes: 2024-01-01T00:00:00",
    "phase1: {capabilities: [{id: x, label: y, synonyms: [1, null, {a: b}]}]}",
    "phase1: {capabilities: 5}",
    "rules: {REQ-001: {severity: catastrophic}}",
    "rules: [1]",
    "phase7: {capacities: {db: .inf}}",
    "phase7: {capacities: {db: -1}}",
    "- {name: s, answers: {'1': 5}, must: [NOPE], must_not: 3}",
    "- {name: s, answers: {'99': {}}, must: [], must_not: []}",
    "- {name: s, answers: {'1': {functional: [{text: \"\\0\"}]}}}",
    "- 1\n- null",
    "a: &a [1, 2]\nb: *a",
    "writes: " + "9" * 5_000,
    "[" * 3_000 + "]" * 3_000,
    "a:\n" + "".join("  " * i + "- \n" for i in range(1, 400)),
]


def test_hostile_problem_set_and_problem_forms(client, dora, foundations):
    client.force_login(dora)
    for value in HOSTILE + [["a", "b"]]:
        for field in ("title", "slug", "description", "is_open", "is_published"):
            data = {"title": "T", "slug": "t-set", "description": "d"}
            data[field] = value
            assert_no_500(client.post(reverse("teach_set_new"), data))
            assert_no_500(client.post(reverse("teach_set", args=["foundations"]), data))
        assert_no_500(client.post(reverse("teach_preview"), {"statement": value}))
    ProblemSet.objects.exclude(slug="foundations").delete()
    new_url = reverse("teach_problem_new", args=["foundations"])
    edit_url = reverse("teach_problem", args=["foundations", "url-shortener"])
    for value in HOSTILE + HOSTILE_YAML + [["a", "b"]]:
        for field in PROBLEM:
            data = {**PROBLEM, field: value}
            assert_no_500(client.post(new_url, data))
            assert_no_500(client.post(edit_url, {**data, "slug": "url-shortener"}))
            Problem.objects.filter(problem_set=foundations, slug="counter").delete()
    for field in ("givens", "expectations", "samples"):
        for value in HOSTILE_YAML:
            assert_no_500(client.post(new_url, {**PROBLEM, field: value}))
            Problem.objects.filter(problem_set=foundations, slug="counter").delete()
    test_url = reverse("teach_problem_test", args=["foundations", "url-shortener"])
    assert_no_500(client.post(test_url))
    assert_no_500(client.get(reverse("teach_home")))
    assert_no_500(client.get(reverse("teach_set", args=["foundations"])))


def test_hostile_problem_set_files(client, dora, foundations):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(dora)
    url = reverse("teach_set_import", args=["foundations"])
    bodies = [
        b"",
        b"\x00\x01\x02",
        b"\xff\xfe not utf-8",
        b"slug: foundations\n",
        b"slug: foundations\nformat: 1\ntitle: x\nproblems: 5\n",
        b"slug: foundations\nformat: 1\ntitle: x\nproblems: [{slug: '\\0'}]\n",
        b'slug: foundations\nformat: 1\ntitle: "a\\0b"\nproblems: []\n',
        b"[1, 2]",
        b"slug: [1]",
    ]
    for body in bodies:
        upload = SimpleUploadedFile("set.yaml", body, content_type="application/yaml")
        assert_no_500(client.post(url, {"file": upload}))
    assert_no_500(client.post(url, {"file": "not a file"}))


def test_hostile_comments(client, dora, foundations, alice, url_shortener):
    from tutor.services import start_attempt

    attempt = start_attempt(alice, url_shortener)
    save_phase(attempt, 1, ANSWERS["1"])
    client.force_login(dora)
    url = reverse("teach_comment", args=[attempt.pk])
    for value in HOSTILE + [["a", "b"], "x" * 100_000]:
        assert_no_500(client.post(url, {"phase": "1", "text": value}))
        assert_no_500(client.post(url, {"phase": value, "text": "fine"}))
        assert_no_500(client.post(url, {"phase": value, "text": value}))
    assert_no_500(client.post(url, {}))
    assert not any("\x00" in text for text in Comment.objects.values_list("text", flat=True))
    assert_no_500(client.get(reverse("teach_review", args=[attempt.pk])))
    for query in ("?page=-1", "?page=9999999999999", "?problem=%00&phase=99999999999", "?phase=x"):
        assert_no_500(client.get(reverse("teach_cohort", args=["foundations"]) + query))


# -- Two tabs, double submits --------------------------------------------------------------


def with_mistake():
    document = copy.deepcopy(ANSWERS["1"])
    document["availability"] = "highly available"
    return document


def test_the_form_carries_the_revision_it_was_built_from(alice_client, attempt):
    html = alice_client.get(phase_url(attempt, 1)).content.decode()
    assert 'name="base_revision" id="base-revision" value="0"' in html
    save_phase(attempt, 1, ANSWERS["1"])
    html = alice_client.get(phase_url(attempt, 1)).content.decode()
    assert 'name="base_revision" id="base-revision" value="1"' in html


@pytest.mark.parametrize("htmx", [False, True])
def test_a_save_from_a_stale_tab_is_a_conflict_that_keeps_the_typed_text(
    alice_client, attempt, htmx
):
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    first_tab = {**requirements_post(ANSWERS["1"]), "base_revision": "0"}
    second_tab = {**requirements_post(with_mistake()), "base_revision": "0"}
    second_tab["functional-0-text"] = "Only the second tab typed this"
    alice_client.post(phase_url(attempt, 1), first_tab, **extra)

    response = alice_client.post(phase_url(attempt, 1), second_tab, **extra)
    html = response.content.decode()
    assert response.status_code == (200 if htmx else 409)
    assert "Someone (you, in another tab?) saved this phase after you opened it" in html
    assert "Only the second tab typed this" in html  # the learner's text is kept
    # The form is now based on the saved version.
    assert 'name="base_revision" id="base-revision" value="1"' in html
    assert "highly available" in html
    assert f'href="{phase_url(attempt, 1)}"' in html  # take theirs: load the saved version
    answer = PhaseAnswer.objects.get(attempt=attempt, phase=1)
    assert answer.revision == 1
    assert answer.data["availability"] != "highly available"

    # Keep mine: saving the re-rendered form overwrites on purpose.
    second_tab["base_revision"] = "1"
    response = alice_client.post(phase_url(attempt, 1), second_tab, **extra)
    assert "Someone (you" not in response.content.decode()
    answer.refresh_from_db()
    assert answer.revision == 2
    assert answer.data["availability"] == "highly available"
    assert answer.data["functional"][0]["text"] == "Only the second tab typed this"


@pytest.mark.parametrize("htmx", [False, True])
def test_a_double_submit_creates_one_revision(alice_client, attempt, htmx):
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    data = {**requirements_post(with_mistake()), "base_revision": "0"}
    first = alice_client.post(phase_url(attempt, 1), data, **extra)
    answer = PhaseAnswer.objects.get(attempt=attempt, phase=1)
    finding_ids = set(answer.findings.values_list("pk", flat=True))
    second = alice_client.post(phase_url(attempt, 1), data, **extra)
    assert first.status_code == second.status_code == (200 if htmx else 302)
    assert "Someone (you" not in second.content.decode()
    answer.refresh_from_db()
    assert answer.revision == 1
    assert set(answer.findings.values_list("pk", flat=True)) == finding_ids


def test_row_actions_keep_the_base_revision(alice_client, attempt):
    save_phase(attempt, 1, ANSWERS["1"])
    for action in ("add:functional", "remove:functional:0", "up:functional:1"):
        data = {**requirements_post(ANSWERS["1"]), "base_revision": "1", "row_action": action}
        for extra in ({}, {"HTTP_HX_REQUEST": "true"}):
            html = alice_client.post(phase_url(attempt, 1), data, **extra).content.decode()
            assert 'name="base_revision" id="base-revision" value="1"' in html


def test_an_invalid_form_keeps_its_base_revision(alice_client, attempt):
    data = {**requirements_post(ANSWERS["1"]), "base_revision": "0"}
    data["latency-0-percentile"] = "p42"
    response = alice_client.post(phase_url(attempt, 1), data)
    assert response.status_code == 422
    assert 'name="base_revision" id="base-revision" value="0"' in response.content.decode()


# Missing (every page's form carries one), not a number, negative, beyond a revision.
UNUSABLE_REVISIONS = [None, "", "abc", "-1", "1.5", "٣", " 1", str(2**31), "9" * 5000]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("value", UNUSABLE_REVISIONS)
def test_a_save_without_a_usable_base_revision_is_refused_and_stores_nothing(
    alice_client, attempt, value, htmx
):
    stored = save_phase(attempt, 1, ANSWERS["1"])
    data = requirements_post(with_mistake())
    data["functional-0-text"] = "Only this tab typed this"
    if value is None:
        del data["base_revision"]
    else:
        data["base_revision"] = value
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = alice_client.post(phase_url(attempt, 1), data, **extra)
    html = response.content.decode()
    # htmx swaps only successful answers, so it gets the page's workspace with the notice.
    assert response.status_code == (200 if htmx else 422)
    assert OUT_OF_DATE_FORM in html
    assert "Only this tab typed this" in html and "highly available" in html
    answer = PhaseAnswer.objects.get(attempt=attempt, phase=1)
    assert answer.revision == 1
    assert answer.data == stored.data
    assert answer.checked_at == stored.checked_at


def test_a_refused_first_save_creates_no_answer(alice_client, attempt):
    data = {**requirements_post(ANSWERS["1"]), "base_revision": str(2**31)}
    response = alice_client.post(phase_url(attempt, 1), data)
    assert response.status_code == 422
    assert not PhaseAnswer.objects.filter(attempt=attempt, phase=1).exists()


def test_the_largest_revision_is_a_revision_and_so_a_conflict(alice_client, attempt):
    save_phase(attempt, 1, ANSWERS["1"])
    data = {**requirements_post(with_mistake()), "base_revision": str(2**31 - 1)}
    response = alice_client.post(phase_url(attempt, 1), data)
    assert response.status_code == 409
    assert "Someone (you, in another tab?) saved this phase" in response.content.decode()
    assert PhaseAnswer.objects.get(attempt=attempt, phase=1).revision == 1


def test_a_forged_future_base_revision_is_a_conflict(alice_client, attempt):
    data = {**requirements_post(ANSWERS["1"]), "base_revision": "7"}
    response = alice_client.post(phase_url(attempt, 1), data)
    assert response.status_code == 409
    assert not PhaseAnswer.objects.filter(attempt=attempt, phase=1).exists()
    assert 'name="base_revision" id="base-revision" value="0"' in response.content.decode()
