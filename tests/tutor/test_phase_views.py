import copy
import json
import re

import pytest
from django.urls import reverse

from tests.factories import FIXTURES
from tests.tutor.helpers import requirements_post
from tutor.models import Attempt, PhaseAnswer
from tutor.services import start_attempt

GOOD = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]["1"]


def phase_url(attempt, number=1):
    return reverse("phase", args=[attempt.pk, number])


def with_mistake():
    document = copy.deepcopy(GOOD)
    document["availability"] = "highly available"
    return document


def test_signup_logs_the_new_learner_in(client, db):
    response = client.post(
        reverse("signup"),
        {
            "username": "dana",
            "password1": "a-long-pass-phrase-7",
            "password2": "a-long-pass-phrase-7",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_starting_a_problem_opens_phase_one_and_continues_the_same_attempt(
    alice_client, url_shortener
):
    url = reverse("start_attempt", args=["foundations", "url-shortener"])
    first = alice_client.post(url)
    second = alice_client.post(url)
    attempt = Attempt.objects.get()
    assert first["Location"] == second["Location"] == phase_url(attempt)
    assert attempt.givens == url_shortener.givens


def test_phase_page_shows_guidance_nine_phases_and_the_form(alice_client, attempt):
    response = alice_client.get(phase_url(attempt))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ask yourself" in html
    assert html.count('class="state-not_started') == 9
    assert 'name="functional-0-text"' in html
    assert 'hx-post="' in html and 'action="' in html  # works with and without JavaScript


def test_saving_without_javascript_redirects_and_shows_the_finding(alice_client, attempt):
    response = alice_client.post(phase_url(attempt), requirements_post(with_mistake()))
    assert response.status_code == 302
    page = alice_client.get(response["Location"]).content.decode()
    assert "REQ-006" in page
    assert "highly available" in page
    answer = PhaseAnswer.objects.get(attempt=attempt, phase=1)
    assert answer.status == PhaseAnswer.Status.ERRORS
    assert answer.data["availability"] == "highly available"


def test_a_finding_is_shown_once_and_its_field_points_to_it(alice_client, attempt):
    alice_client.post(phase_url(attempt), requirements_post(with_mistake()))
    html = alice_client.get(phase_url(attempt)).content.decode()
    message = "with no number to check against."
    assert html.count(message) == 1  # in the findings column only
    box = findings_box(html, "availability")
    pointer = re.search(r'<a href="#finding-(\d+)">Error REQ-006</a> (.*?)</p>', box)
    assert pointer, box
    assert pointer.group(2).endswith("…") and message not in pointer.group(2)
    assert f'id="finding-{pointer.group(1)}" data-code="REQ-006"' in html


def findings_box(html, name):
    """The contents of a field's findings box (``findings-for-<name>``) in some HTML."""
    box = rf'<div class="field-findings" id="findings-for-{name}"[^>]*>(.*?)</div>'
    match = re.search(box, html)
    assert match, f"no findings box for {name}"
    return match.group(1)


@pytest.mark.parametrize("saves_before", [0, 1], ids=["first save", "later save"])
def test_saving_with_htmx_sends_back_what_changed_and_not_the_form(
    alice_client, attempt, saves_before
):
    for _ in range(saves_before):
        alice_client.post(phase_url(attempt), requirements_post(GOOD))
    response = alice_client.post(
        phase_url(attempt),
        requirements_post(with_mistake(), base_revision=saves_before),
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"  # nothing goes into the form's target
    assert "<html" not in html
    # Nothing the learner typed comes back: the form stays as it is on the page. (The
    # only text boxes are the empty "I think this is wrong" ones under the findings.)
    assert 'id="phase-form"' not in html
    assert re.findall(r"<textarea[^>]*>", html) == re.findall(
        r'<textarea name="reason" id="dispute-reason-[0-9a-f]{64}"[^>]*>', html
    )
    assert re.findall(r"<textarea[^>]*>\s*</textarea>", html)
    assert not re.findall(r"<textarea[^>]*>\s*[^\s<]", html)
    assert 'name="functional-0-text"' not in html
    assert re.search(r'<div id="status-line" hx-swap-oob="innerHTML">.*Saved and checked', html)
    revision = saves_before + 1
    assert re.search(
        rf'<input type="hidden" name="base_revision" id="base-revision" value="{revision}" '
        r'hx-swap-oob="true">',
        html,
    )
    assert '<section id="findings-column" hx-swap-oob="innerHTML">' in html
    assert 'data-code="REQ-006"' in html and "Has errors." in html
    assert 'id="phase-progress"' in html and "has errors" in html
    # Each field's findings box is refilled: the mistaken one holds the finding.
    assert "REQ-006" in findings_box(html, "availability")
    assert findings_box(html, "clarifications__region") == ""
    assert html.count('class="field-findings"') > 10


def test_a_save_clears_the_findings_box_of_a_field_that_is_now_right(alice_client, attempt):
    alice_client.post(phase_url(attempt), requirements_post(with_mistake()))
    page = alice_client.get(phase_url(attempt)).content.decode()
    assert "REQ-006" in findings_box(page, "availability")
    response = alice_client.post(
        phase_url(attempt), requirements_post(GOOD, base_revision=1), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'id="findings-for-availability" hx-swap-oob="innerHTML"' in html
    assert findings_box(html, "availability") == ""
    assert PhaseAnswer.objects.get(attempt=attempt, phase=1).status == PhaseAnswer.Status.PASSED


def test_a_save_after_errors_were_shown_sends_the_whole_form_back_without_them(
    alice_client, attempt
):
    document = copy.deepcopy(GOOD)
    document["latency"][0]["target"] = "2OO ms"
    refused = alice_client.post(
        phase_url(attempt), requirements_post(document), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'class="error" role="alert"' in refused
    assert '<input type="hidden" name="redraw" value="1">' in refused

    response = alice_client.post(
        phase_url(attempt), {**requirements_post(GOOD), "redraw": "1"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'id="workspace"' in html and 'id="phase-form"' in html
    assert 'class="error"' not in html and 'name="redraw"' not in html
    assert "Saved and checked." in html
    assert 'name="base_revision" id="base-revision" value="1"' in html


@pytest.mark.parametrize("region, redraw", [("the moon", True), ("global", False)])
def test_a_row_action_marks_the_form_for_redrawing_only_when_it_shows_errors(
    alice_client, attempt, region, redraw
):
    post = {
        **requirements_post(GOOD),
        "clarifications__region": region,
        "row_action": "add:functional",
    }
    html = alice_client.post(phase_url(attempt), post, HTTP_HX_REQUEST="true").content.decode()
    assert "Rows changed" in html
    assert ('class="error" role="alert"' in html) is redraw
    assert ('<input type="hidden" name="redraw" value="1">' in html) is redraw


def test_fixing_the_mistake_turns_the_phase_passed_or_warning_free_of_errors(alice_client, attempt):
    alice_client.post(phase_url(attempt), requirements_post(with_mistake()))
    alice_client.post(phase_url(attempt), requirements_post(GOOD, base_revision=1))
    answer = PhaseAnswer.objects.get(attempt=attempt, phase=1)
    assert answer.status == PhaseAnswer.Status.PASSED
    assert not answer.findings.filter(code="REQ-006").exists()
    assert answer.revision == 2


def test_a_letter_o_in_a_latency_target_is_named_not_taken_for_a_unit(alice_client, attempt):
    """The unit is chosen beside the number: "2OO" with ms chosen was answered "Use a
    time unit such as µs, ms or s (got 'oo')"."""
    document = copy.deepcopy(GOOD)
    document["latency"][0].update(target="2OO", unit="ms")
    response = alice_client.post(phase_url(attempt), requirements_post(document))
    html = response.content.decode()
    assert response.status_code == 422
    assert (
        "Target: &#x27;2OO&#x27; has the letter O where the digit 0 belongs: write &#x27;200&#x27;."
        in html
    )
    assert "time unit" not in html


def test_unparseable_input_is_a_field_error_and_keeps_what_was_typed(alice_client, attempt):
    document = copy.deepcopy(GOOD)
    document["latency"][0]["target"] = "2OO ms"
    document["functional"][0]["text"] = "Something only I typed"
    response = alice_client.post(phase_url(attempt), requirements_post(document))
    html = response.content.decode()
    assert response.status_code == 422
    assert "Target: &#x27;2OO ms&#x27; has the letter O where the digit 0 belongs" in html
    assert 'value="2OO ms"' in html
    assert "Something only I typed" in html
    assert not PhaseAnswer.objects.filter(attempt=attempt).exists()


def test_invalid_choice_names_the_field(alice_client, attempt):
    data = requirements_post(GOOD)
    data["latency-0-percentile"] = "p42"
    response = alice_client.post(phase_url(attempt), data)
    assert response.status_code == 422
    assert "Percentile: Select a valid choice." in response.content.decode()


def test_missing_management_form_is_an_error_not_a_crash(alice_client, attempt):
    response = alice_client.post(phase_url(attempt), {"availability": "99.9"})
    assert response.status_code == 422
    assert not PhaseAnswer.objects.filter(attempt=attempt).exists()


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("add:functional", ["first", "second", ""]),
        ("remove:functional:0", ["second"]),
        ("down:functional:0", ["second", "first"]),
        ("up:functional:1", ["second", "first"]),
    ],
)
def test_row_buttons_change_rows_without_saving_or_losing_text(
    alice_client, attempt, action, expected
):
    document = copy.deepcopy(GOOD)
    document["functional"] = [
        {"text": "first", "path": "read"},
        {"text": "second", "path": "write"},
    ]
    data = requirements_post(document)
    data["row_action"] = action
    response = alice_client.post(phase_url(attempt), data)
    forms = response.context["forms"].formsets["functional"].forms
    assert [f["text"].value() or "" for f in forms] == expected
    assert response.context["forms"].main["availability"].value() == "99.9%"
    assert not PhaseAnswer.objects.filter(attempt=attempt).exists()


def test_unknown_row_action_is_ignored(alice_client, attempt):
    data = requirements_post(GOOD)
    data["row_action"] = "explode:functional:0"
    response = alice_client.post(phase_url(attempt), data)
    assert response.status_code == 200
    assert len(response.context["forms"].formsets["functional"].forms) == 4


@pytest.mark.parametrize("number", range(1, 10))
def test_every_phase_has_guidance_and_a_form(alice_client, attempt, number):
    html = alice_client.get(phase_url(attempt, number)).content.decode()
    assert "Ask yourself" in html
    assert 'id="phase-form"' in html
    assert "form is coming" not in html


def test_phase_numbers_outside_one_to_nine_are_404(alice_client, attempt):
    assert alice_client.get(phase_url(attempt, 10)).status_code == 404
    assert alice_client.get(phase_url(attempt, 0)).status_code == 404


def test_progress_reflects_each_phase_state(alice_client, attempt):
    alice_client.post(phase_url(attempt), requirements_post(with_mistake()))
    html = alice_client.get(phase_url(attempt, 2)).content.decode()
    assert html.count('class="state-errors') == 1
    assert html.count('class="state-not_started') == 8


def test_finished_attempt_does_not_change(alice_client, attempt):
    attempt.finish()
    response = alice_client.post(phase_url(attempt), requirements_post(GOOD))
    assert response.status_code == 409
    assert not PhaseAnswer.objects.filter(attempt=attempt).exists()


def test_findings_show_hint_first_and_the_fix_behind_a_click(alice_client, attempt):
    alice_client.post(phase_url(attempt), requirements_post(with_mistake()))
    html = alice_client.get(phase_url(attempt)).content.decode()
    hint_at = html.index("Hint:")
    assert html.index("<summary>Show the fix</summary>") > hint_at


def test_dashboard_lists_attempts_with_constant_queries(
    alice_client, alice, url_shortener, django_assert_max_num_queries
):
    for _ in range(3):
        attempt = Attempt.objects.create(learner=alice, problem=url_shortener)
        PhaseAnswer.objects.create(attempt=attempt, phase=1, status="errors")
    with django_assert_max_num_queries(8):
        response = alice_client.get(reverse("dashboard"))
    assert response.content.decode().count('class="card attempt"') == 3


def test_rules_page_lists_every_rule_with_its_explanation(client, db):
    from django.utils.html import escape

    from phases.engine.registry import RULES

    html = client.get(reverse("rules")).content.decode()
    for rule in RULES:
        assert f'id="{rule.code}"' in html
        assert escape(rule.why[:40]) in html


def test_rules_page_shows_what_each_verdict_rests_on(client, db):
    import re

    from phases.engine.registry import RULES

    html = client.get(reverse("rules")).content.decode()
    assert 'id="evidence"' in html
    for rule in RULES:
        heading = re.search(rf'id="{rule.code}">\s*<h3>(.*?)</h3>', html, re.S)
        assert heading, rule.code
        assert f">{rule.evidence.label}</a>" in heading.group(1), rule.code
        assert f"Evidence: </span>{rule.evidence.label}" in heading.group(1), rule.code


def test_rules_page_opens_with_an_index_by_phase_linking_every_rule(client, db):
    import re

    from phases.engine.registry import PHASES, RULES

    html = client.get(reverse("rules")).content.decode()
    index = re.search(r'<nav class="rules-index" id="index".*?</nav>', html, re.S)
    assert index, "no index"
    assert html.index('id="index"') < html.index('id="phase-1"')  # at the top
    for phase in PHASES:
        assert f'href="#phase-{phase.number}"' in index.group(0)
        assert f'id="phase-{phase.number}"' in html
    for rule in RULES:
        assert f'href="#{rule.code}"' in index.group(0), rule.code
    assert html.count('href="#index"') == len(PHASES)  # back to the index from each phase


def test_health_endpoints(client, db):
    assert client.get("/healthz/live").status_code == 200
    ready = client.get("/healthz/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_reference_page_shows_capacities_nines_and_periods(client, db):
    html = client.get(reverse("reference")).content.decode()
    assert "Writes on one relational primary" in html and "5,000/s" in html
    # The capacity model's fallbacks per component are listed too (phases.knowledge.reference).
    assert "Requests on one application server" in html and "2,000/s" in html
    assert "Operations on one in-memory store" in html and "100,000/s" in html
    assert "8.8 hours" in html  # 99.9% a year
    assert "2,592,000" in html


def test_reference_page_and_phase_three_guidance_show_the_storage_table(
    client, alice, url_shortener
):
    from phases.knowledge import storage

    html = client.get(reverse("reference")).content.decode()
    for store in storage.TABLE:
        assert f'id="storage-{store.code}"' in html
    client.force_login(alice)
    attempt = start_attempt(alice, url_shortener)
    guidance = client.get(reverse("phase", args=[attempt.pk, 3])).content.decode()
    assert "Which store fits which access pattern" in guidance
    assert storage.TABLE[0].label in guidance


def test_reference_page_lists_the_technology_catalogue(client, db):
    from phases.knowledge import catalogue

    html = client.get(reverse("reference")).content.decode()
    for tech in catalogue.TECHNOLOGIES:
        assert f'id="tech-{tech.key}"' in html


def test_dashboard_shows_the_rules_a_learner_trips_most(alice_client, alice, url_shortener, bob):
    from tutor.services import save_phase

    vague = {"availability": "highly available", "scale": {"users": "lots"}}
    for _ in range(2):
        save_phase(start_attempt(alice, url_shortener), 1, vague)
        alice.attempts.update(state="finished")
    save_phase(start_attempt(bob, url_shortener), 1, {"read_write_ratio": "10:1"})
    html = alice_client.get(reverse("dashboard")).content.decode()
    assert "The rules you trip most" in html
    assert 'href="/rules/#REQ-006"' in html
    assert "4 times in 2 attempts" in html  # two vague targets in each of two attempts


def test_a_save_parses_its_answer_once(alice_client, attempt, monkeypatch):
    """The shape check's parse is the one the rules and the page read (Design.put)."""
    import dataclasses

    from phases import requirements
    from phases.engine.registry import PHASES_BY_NUMBER

    parses = []
    original = requirements.parse

    def counting(document):
        parses.append(1)
        return original(document)

    monkeypatch.setattr(requirements, "parse", counting)
    unit = dataclasses.replace(PHASES_BY_NUMBER[1], parse=counting)
    monkeypatch.setitem(PHASES_BY_NUMBER, 1, unit)
    response = alice_client.post(
        phase_url(attempt), requirements_post(with_mistake()), HTTP_HX_REQUEST="true"
    )
    assert "Saved and checked" in response.content.decode()
    assert "REQ-006" in response.content.decode()
    assert len(parses) == 1
