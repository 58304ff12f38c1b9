"""A stored answer's fields, once drawn, come from the fragment cache (views._stored_page,
under a digest of what they are drawn from): the page is the same either way, and a
change to anything the fields show draws them again."""

import copy
import re

import pytest
from django.core.cache import caches

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
