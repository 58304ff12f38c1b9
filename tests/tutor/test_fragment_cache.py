"""A stored answer's fields, once drawn, come from the fragment cache (views._stored_page,
under a digest of what they are drawn from): the page is the same either way, and a
change to anything the fields show draws them again."""

import copy
import re

import pytest
from django.core.cache import caches

from tests.tutor.helpers import renders_of
from tests.tutor.test_form_html import ANSWERS, form_html
from tutor.forms import PhaseForms
from tutor.services import save_phase


@pytest.fixture(autouse=True)
def no_fragments():
    caches["template_fragments"].clear()
    yield
    caches["template_fragments"].clear()


@pytest.fixture
def forms_built(monkeypatch):
    """How many times a phase's forms were built."""
    built: list[int] = []
    original = PhaseForms.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(PhaseForms, "__init__", counting)
    return built


def test_a_page_drawn_from_the_cache_is_the_page_drawn_afresh(alice_client, attempt, forms_built):
    for number in (1, 3):
        save_phase(attempt, number, ANSWERS[str(number)])
    fresh = form_html(alice_client, attempt, 3)
    assert len(forms_built) == 1
    assert form_html(alice_client, attempt, 3) == fresh
    assert len(forms_built) == 1  # from the cache: the forms were not built again
    caches["template_fragments"].clear()
    assert form_html(alice_client, attempt, 3) == fresh
    assert len(forms_built) == 2


def test_new_requirements_in_phase_1_are_offered_at_once(alice_client, attempt):
    for number in (1, 3):
        save_phase(attempt, number, ANSWERS[str(number)])
    before = form_html(alice_client, attempt, 3)
    phase1 = copy.deepcopy(ANSWERS["1"])
    phase1["functional"].append({"text": "A user can archive a link", "path": "write"})
    save_phase(attempt, 1, phase1)
    after = form_html(alice_client, attempt, 3)
    assert "A user can archive a link" not in before
    assert "A user can archive a link" in after


def test_new_findings_are_pointed_at_under_their_fields(alice_client, attempt):
    save_phase(attempt, 1, ANSWERS["1"])
    before = form_html(alice_client, attempt, 1)
    phase1 = copy.deepcopy(ANSWERS["1"])
    phase1["read_write_ratio"] = "1:1000"  # against the throughput it states
    save_phase(attempt, 1, phase1)
    after = form_html(alice_client, attempt, 1)
    box = re.search(r'id="findings-for-read_write_ratio">(.*?)</div>', after, re.S)
    assert box and 'class="field-finding' in box.group(1)
    assert 'value="1:1000"' in after and 'value="1:1000"' not in before


# -- What a save answers over htmx (views._saved) ------------------------------------------

# Phase 1 with one requirement of the three the problem needs: REQ-001 findings.
FLAWED = {**ANSWERS["1"], "functional": ANSWERS["1"]["functional"][:1]}


def noted(document: dict, notes: str) -> dict:
    """``document`` with other notes: a change that changes no finding."""
    return {**document, "clarifications": {**document["clarifications"], "notes": notes}}


def htmx_save(client, attempt, document: dict, revision: int) -> str:
    from django.urls import reverse

    from tests.tutor.helpers import requirements_post

    url = reverse("phase", args=[attempt.pk, 1])
    response = client.post(url, requirements_post(document, revision), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Saved and checked." in html, re.findall(
        r'class="(?:errorlist|notice)[^"]*">(.*?)<', html
    )
    return html


def findings_part(html: str) -> str:
    """A save's answer after its acknowledgement, its CSRF tokens normalised."""
    part = html[html.index('<section id="findings-column"') :]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "csrf", part)


@pytest.fixture
def findings_drawn(monkeypatch):
    """How many times a save's findings part was drawn from its template."""
    return renders_of(monkeypatch, "tutor/_saved.html#findings")


def test_saves_that_change_no_finding_send_the_kept_findings(alice_client, attempt, findings_drawn):
    first = save_phase(attempt, 1, FLAWED)
    one = htmx_save(alice_client, attempt, noted(FLAWED, "a"), 1)
    two = htmx_save(alice_client, attempt, noted(FLAWED, "b"), 2)
    assert len(findings_drawn) == 1  # the second came from memory
    assert findings_part(one) == findings_part(two)
    assert 'value="2"' in one and 'value="3"' in two  # each with its own revision
    assert "REQ-001" in two and first.findings.filter(code="REQ-001").exists()
    caches["template_fragments"].clear()
    three = htmx_save(alice_client, attempt, noted(FLAWED, "c"), 3)
    assert len(findings_drawn) == 2
    assert findings_part(three) == findings_part(two)  # the same, drawn afresh


def test_a_save_that_changes_the_findings_draws_them(alice_client, attempt, findings_drawn):
    save_phase(attempt, 1, FLAWED)
    one = htmx_save(alice_client, attempt, FLAWED, 1)
    two = htmx_save(alice_client, attempt, ANSWERS["1"], 2)
    assert len(findings_drawn) == 2
    assert findings_part(one) != findings_part(two)
    covered = "capabilities the problem requires are covered"
    assert covered in findings_part(two) and covered not in findings_part(one)


def test_a_disputed_finding_is_drawn_each_time_with_its_dispute(
    alice_client, attempt, findings_drawn
):
    from tutor.models import PhaseAnswer
    from tutor.services import dispute_finding

    answer = save_phase(attempt, 1, FLAWED)
    htmx_save(alice_client, attempt, noted(FLAWED, "a"), 1)
    answer = PhaseAnswer.objects.get(pk=answer.pk)
    target = answer.findings.exclude(severity="pass").order_by("position").first()
    dispute_finding(attempt, answer, target, "My reason, with the figures.")
    two = htmx_save(alice_client, attempt, noted(FLAWED, "b"), 2)
    three = htmx_save(alice_client, attempt, noted(FLAWED, "c"), 3)
    assert len(findings_drawn) == 3  # never kept while a dispute is shown
    assert "your instructor will look at it" in two and "your instructor will look at it" in three


def test_the_kept_findings_carry_a_token_this_session_can_post_with(alice, attempt):
    from django.test import Client
    from django.urls import reverse

    from tests.tutor.helpers import requirements_post
    from tutor.services import finding_dispute_key

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    answer = save_phase(attempt, 1, FLAWED)
    page = client.get(reverse("phase", args=[attempt.pk, 1])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def save(notes: str, revision: int) -> str:
        data = {**requirements_post(noted(FLAWED, notes), revision), "csrfmiddlewaretoken": token}
        url = reverse("phase", args=[attempt.pk, 1])
        return client.post(url, data, HTTP_HX_REQUEST="true").content.decode()

    save("a", 1)
    kept = save("b", 2)  # from memory, its token put back for this request
    kept_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', kept).group(1)
    assert kept_token != token
    target = answer.findings.exclude(severity="pass").order_by("position").first()
    response = client.post(
        reverse("phase_dispute", args=[attempt.pk, 1]),
        {
            "finding": finding_dispute_key(target),
            "reason": "Fine.",
            "csrfmiddlewaretoken": kept_token,
        },
    )
    assert response.status_code == 302
