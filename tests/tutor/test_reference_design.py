"""The reference design beside the learner's own, phase by phase, once they finish.

A problem names one of its samples as its reference design (``reference: true``); the
comparison page shows a phase of the attempt and the same phase of that sample, to the
attempt's owner once the attempt is finished and the set releases the reference, and to
an instructor of the set. Everyone else gets 404.
"""

import copy
import html
import json
import re

import pytest
import yaml
from django.urls import reverse

from phases.corpus.samples import reference_sample
from phases.engine.registry import PHASE_NUMBERS, PHASES_BY_NUMBER
from tests.factories import FIXTURES, make_user
from tutor.markdown import render_markdown
from tutor.models import ProblemSet, User
from tutor.problemsets import (
    dump_yaml,
    export_problem_set,
    import_problem_set,
    load_text,
    read_file,
    validate,
)
from tutor.services import save_phase

SHIPPED = sorted((FIXTURES / "problemsets").glob("*.yaml"))
MARK = "\n        reference: true\n"  # a sample's key, as export writes it
# alice answers with the accuracy corpus's flawed URL shortener: not the reference's text.
FLAWED = json.loads(
    (FIXTURES / "accuracy" / "url-shortener" / "flawed-classic-slips.json").read_text()
)["phases"]


def reference_answers(problem) -> dict:
    return reference_sample(problem.samples)["answers"]


def finished_attempt(attempt):
    for number in PHASE_NUMBERS:
        save_phase(attempt, number, FLAWED[str(number)])
    attempt.finish()
    return attempt


def page(client, attempt, number: int):
    return client.get(reverse("attempt_reference", args=[attempt.pk, number]))


def text_of(response) -> str:
    """The page's visible words, tags dropped and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def own_and_reference(response) -> tuple[str, str]:
    body = response.content.decode()
    own = body[body.index('id="own-answer"') : body.index('id="reference-answer"')]
    reference = body[body.index('id="reference-answer"') :]
    return own, reference


def a_phrase(document: dict) -> str:
    """A piece of free text from a phase's answer document, as the page prints it."""
    texts = []

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and len(value.split()) >= 4:
            texts.append(value)

    walk(document)
    assert texts, document
    return max(texts, key=len).split(",")[0][:40]


# -- What the page shows ----------------------------------------------------------------------


@pytest.mark.parametrize("number", PHASE_NUMBERS)
def test_a_finished_attempt_shows_both_answers_for_each_phase(alice_client, attempt, number):
    finished_attempt(attempt)
    response = page(alice_client, attempt, number)
    assert response.status_code == 200
    own, reference = own_and_reference(response)
    mine = a_phrase(FLAWED[str(number)])
    theirs = a_phrase(reference_answers(attempt.problem)[str(number)])
    assert mine in html.unescape(re.sub(r"<[^>]+>", "", own)), mine
    assert theirs in html.unescape(re.sub(r"<[^>]+>", "", reference)), theirs
    assert "Your answer" in own and "Reference design" in reference
    words = text_of(response)
    assert "its own seed" in words and "may differ" in words
    # Every phase is one link away, and this one is marked as the current one.
    for other in PHASE_NUMBERS:
        assert reverse("attempt_reference", args=[attempt.pk, other]) in response.content.decode()
    assert f'aria-current="page"><span class="number">{number}</span>' in response.content.decode()


def test_phase_five_draws_both_designs_paths(alice_client, attempt):
    finished_attempt(attempt)
    own, reference = own_and_reference(page(alice_client, attempt, 5))
    for side in (own, reference):
        assert side.count('<svg xmlns="http://www.w3.org/2000/svg" class="path-diagram"') == 2
        assert "```mermaid" not in side and "language-mermaid" not in side
        assert not re.search(r"\sstyle=", side)  # the CSP forbids style attributes
    ids = re.findall(r' id="([^"]+)"', page(alice_client, attempt, 5).content.decode())
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_the_givens_note_lists_where_the_numbers_differ(alice_client, attempt):
    attempt.givens = {
        **attempt.givens,
        "writes": {"label": "New short links a day", "value": "60M/day"},
    }
    attempt.save(update_fields=["givens"])
    finished_attempt(attempt)
    response = page(alice_client, attempt, 2)
    note = response.content.decode()
    note = note[note.index('id="givens-note"') : note.index('class="compare"')]
    assert "60M/day" in note and 'class="differs"' in note
    assert "some do" in html.unescape(note)


def test_the_attempt_page_and_the_finished_banner_link_to_the_comparison(alice_client, attempt):
    finished_attempt(attempt)
    body = alice_client.get(reverse("attempt", args=[attempt.pk])).content.decode()
    assert reverse("attempt_reference", args=[attempt.pk, 1]) in body
    phase = alice_client.get(reverse("phase", args=[attempt.pk, 4])).content.decode()
    banner = phase[phase.index('id="finished-banner"') :]
    assert reverse("attempt_reference", args=[attempt.pk, 4]) in banner


def test_the_free_text_reference_solution_is_still_shown(alice_client, attempt):
    finished_attempt(attempt)
    body = alice_client.get(reverse("attempt", args=[attempt.pk])).content.decode()
    assert 'id="reference-heading"' in body
    assert str(render_markdown(attempt.problem.reference_solution)) in body


def test_a_problem_without_a_reference_sample_says_so(alice_client, attempt):
    finished_attempt(attempt)
    problem = attempt.problem
    problem.samples = [{k: v for k, v in s.items() if k != "reference"} for s in problem.samples]
    problem.save(update_fields=["samples"])
    response = page(alice_client, attempt, 3)
    assert response.status_code == 200
    assert 'id="no-reference-design"' in response.content.decode()
    assert 'id="reference-answer"' not in response.content.decode()
    body = alice_client.get(reverse("attempt", args=[attempt.pk])).content.decode()
    assert 'id="compare-link"' not in body


# -- When it is withheld ----------------------------------------------------------------------


def assert_withheld(response, attempt):
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="reference-withheld"' in body
    assert 'id="reference-answer"' not in body and 'id="own-answer"' not in body
    phrase = a_phrase(reference_answers(attempt.problem)["5"])
    assert phrase not in text_of(response)


@pytest.mark.parametrize("number", [1, 5, 9])
def test_an_unfinished_attempt_does_not_show_the_reference(alice_client, attempt, number):
    save_phase(attempt, 1, FLAWED["1"])
    response = page(alice_client, attempt, number)
    assert_withheld(response, attempt)
    assert "once you finish" in text_of(response)
    body = alice_client.get(reverse("attempt", args=[attempt.pk])).content.decode()
    assert reverse("attempt_reference", args=[attempt.pk, 1]) not in body


def test_a_set_that_withholds_the_reference_does_not_show_it(alice_client, attempt):
    finished_attempt(attempt)
    ProblemSet.objects.filter(pk=attempt.problem.problem_set_id).update(release_reference=False)
    response = page(alice_client, attempt, 5)
    assert_withheld(response, attempt)
    assert "not released" in text_of(response)
    body = alice_client.get(reverse("attempt", args=[attempt.pk])).content.decode()
    assert reverse("attempt_reference", args=[attempt.pk, 1]) not in body
    phase = alice_client.get(reverse("phase", args=[attempt.pk, 5])).content.decode()
    assert reverse("attempt_reference", args=[attempt.pk, 5]) not in phase


def test_there_are_nine_phases(alice_client, attempt):
    finished_attempt(attempt)
    assert page(alice_client, attempt, 10).status_code == 404
    assert page(alice_client, attempt, 0).status_code == 404


# -- Who may see it ---------------------------------------------------------------------------


def test_another_learner_gets_404(client, bob, attempt):
    finished_attempt(attempt)
    client.force_login(bob)
    assert page(client, attempt, 1).status_code == 404


def test_an_instructor_of_another_set_gets_404(client, charlie, attempt):
    from tests.factories import closed_problem_set

    closed_problem_set("charlies-set", instructor=charlie)
    finished_attempt(attempt)
    client.force_login(charlie)
    assert page(client, attempt, 1).status_code == 404


def test_an_instructor_of_the_set_sees_it_as_the_review_does(client, attempt):
    dora = make_user("dora", User.Role.INSTRUCTOR)
    attempt.problem.problem_set.instructors.add(dora)
    save_phase(attempt, 3, FLAWED["3"])  # in progress: the review shows it too
    client.force_login(dora)
    review = client.get(reverse("teach_review", args=[attempt.pk]))
    assert reverse("attempt_reference", args=[attempt.pk, 3]) in review.content.decode()
    response = page(client, attempt, 3)
    assert response.status_code == 200
    own, reference = own_and_reference(response)
    assert "alice's answer" in html.unescape(own)
    assert a_phrase(reference_answers(attempt.problem)["3"]) in text_of(response)
    assert reverse("teach_review", args=[attempt.pk]) in response.content.decode()


# -- The problem-set file ---------------------------------------------------------------------


def foundations() -> dict:
    return read_file(FIXTURES / "problemsets" / "foundations.yaml")


def test_a_second_reference_sample_is_an_error_with_its_location():
    data = foundations()
    samples = data["problems"][0]["samples"]
    assert samples[0]["reference"] is True
    samples[1]["reference"] = True
    assert validate(data) == [
        "problems[0].samples[1].reference: problems[0].samples[0] is already this problem's "
        "reference design; name at most one sample as the reference."
    ]


def test_reference_must_be_true_or_false():
    data = foundations()
    data["problems"][1]["samples"][0]["reference"] = "yes"
    assert validate(data) == [
        "problems[1].samples[0].reference: expected true or false (got 'yes')."
    ]


def test_reference_false_is_valid_and_not_written_back(db):
    data = foundations()
    data["problems"][0]["samples"][1]["reference"] = False
    assert validate(data) == []
    text = dump_yaml(export_problem_set(import_problem_set(data)))
    assert text.count(MARK) == 2  # the two problems' reference samples
    assert "reference: false" not in text


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_a_shipped_set_keeps_its_reference_marks_through_export_and_import(db, path):
    problem_set = import_problem_set(read_file(path))
    text = dump_yaml(export_problem_set(problem_set))
    assert text.count(MARK) == problem_set.problems.count()
    import_problem_set(load_text(text))
    assert dump_yaml(export_problem_set(problem_set)) == text


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_problem_has_one_reference_sample_covering_nine_phases(path):
    data = read_file(path)
    for problem in data["problems"]:
        marked = [s for s in problem["samples"] if s.get("reference") is True]
        assert len(marked) == 1, problem["slug"]
        answers = marked[0]["answers"]
        assert sorted(int(k) for k in answers) == list(PHASE_NUMBERS), problem["slug"]
        for number in PHASE_NUMBERS:
            PHASES_BY_NUMBER[number].parse(answers[str(number)])  # every phase is readable


def test_the_teach_form_keeps_the_reference_mark(client, attempt):
    dora = make_user("dora", User.Role.INSTRUCTOR)
    problem = attempt.problem
    problem.problem_set.instructors.add(dora)
    client.force_login(dora)
    url = reverse("teach_problem", args=[problem.problem_set.slug, problem.slug])
    form = client.get(url).content.decode()
    assert "reference: true" in html.unescape(form)
    samples = copy.deepcopy(problem.samples)
    samples[0].pop("reference")
    samples[1]["reference"] = True
    post = {
        "title": problem.title,
        "slug": problem.slug,
        "summary": problem.summary,
        "statement": problem.statement,
        "givens": yaml.safe_dump(problem.givens),
        "expectations": yaml.safe_dump(problem.expectations),
        "samples": yaml.safe_dump(samples, sort_keys=False),
        "reference_solution": problem.reference_solution,
        "is_published": "on",
    }
    response = client.post(url, post)
    assert response.status_code == 302, re.findall(
        r'class="error[^"]*"[^>]*>([^<]*)', response.content.decode()
    )
    problem.refresh_from_db()
    assert reference_sample(problem.samples)["name"] == samples[1]["name"]
