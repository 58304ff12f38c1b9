"""Phase 9 rules, checked against the answer cases in ``answers/review/*.yaml``.

The case format is phase 1's (see ``test_requirement_rules.py``), with the keys that
``tests/phases/cases.py`` adds. Phase 9 reads every earlier phase, so each case may set
``phase1`` ... ``phase8``; the defaults are the good URL shortener:

``phase1`` to ``phase4``
    ``good``: ``fixtures/answers/url-shortener.json`` (eventual consistency for click
    counts, a denormalised copy of each link), or ``empty``, or ``null``.
``phase5``, ``phase6``
    ``good``: ``answers/architecture/good_url_shortener.json`` (a cache, read replicas and
    a queue) and ``answers/technology/good_url_shortener.json``.
``phase7``
    ``null`` by default (no bottleneck answers); ``empty`` is ``bottlenecks.empty()``.
``phase8``
    ``good``: ``answers/review/phase8_url_shortener.json``, a copy of phase 8's good
    answer (every phase 5 component classified).

Bases for the phase 9 answer: ``good`` (``answers/review/good_url_shortener.json``, one
trade-off row per mechanism, a 10x plan with figures, why it is simple) and ``empty``.
"""

import json
from functools import cache

import pytest

from phases import (
    api,
    architecture,
    bottlenecks,
    data_model,
    estimation,
    failure,
    requirements,
    review,
    technology,
)
from phases.engine.design import Design, ProblemSpec
from phases.engine.engine import grade
from phases.engine.registry import RULES_BY_CODE
from tests.phases.cases import ANSWERS_DIR, ROOT, CaseTable, OtherPhase

FIXTURE = ROOT / "fixtures" / "answers" / "url-shortener.json"


@cache
def fixture_phase(number: int) -> dict:
    return json.loads(FIXTURE.read_text())["phases"][str(number)]


@cache
def answer_file(folder: str, name: str) -> dict:
    return json.loads((ANSWERS_DIR / folder / name).read_text())


def good_review() -> dict:
    return answer_file("review", "good_url_shortener.json")


EARLIER = {
    1: (lambda: fixture_phase(1), requirements.empty, "good"),
    2: (lambda: fixture_phase(2), estimation.empty, "good"),
    3: (lambda: fixture_phase(3), data_model.empty, "good"),
    4: (lambda: fixture_phase(4), api.empty, "good"),
    5: (
        lambda: answer_file("architecture", "good_url_shortener.json"),
        architecture.empty,
        "good",
    ),
    6: (lambda: answer_file("technology", "good_url_shortener.json"), technology.empty, "good"),
    7: (bottlenecks.empty, bottlenecks.empty, None),
    8: (lambda: answer_file("review", "phase8_url_shortener.json"), failure.empty, "good"),
}

TABLE = CaseTable(
    phase=9,
    folder="review",
    bases={"good": good_review, "empty": review.empty},
    others=tuple(
        OtherPhase(phase=n, bases={"good": good, "empty": empty}, default=default)
        for n, (good, empty, default) in EARLIER.items()
    ),
)


@pytest.mark.parametrize("case", TABLE.params())
def test_rule_case(case):
    TABLE.check(case)


def test_every_phase9_rule_has_triggering_and_clean_cases():
    """A rule added to the registry without cases here fails this test."""
    TABLE.check_coverage()


def test_cases_name_only_phase9_rules():
    TABLE.check_codes_belong()


def test_every_mechanism_has_a_cost_and_phrases():
    keys = [m.key for m in review.MECHANISMS]
    assert keys == ["cache", "replicas", "queue", "denormalisation", "sharding", "eventual"]
    for m in review.MECHANISMS:
        assert m.cost and m.detail and m.phrases


def test_rules_have_four_part_docstrings():
    for code in ("REV-001", "REV-002", "REV-003", "REV-004", "REV-005", "REV-006"):
        doc = RULES_BY_CODE[code].doc
        assert doc["summary"] and doc.get("why") and doc.get("triggers") and doc.get("better")


def test_the_untraded_mechanisms_are_worked_out_once_per_design(monkeypatch):
    calls = []
    real = review.chosen_mechanisms
    monkeypatch.setattr(review, "chosen_mechanisms", lambda d: calls.append(d) or real(d))
    answers = json.loads(FIXTURE.read_text())["phases"]
    design = Design({int(k): v for k, v in answers.items()}, ProblemSpec("url-shortener"))
    grade(design)  # the REV-002 rule and the checklist both ask
    assert review.untraded(design) == review.untraded(design)
    assert len(calls) == 1
    grade(Design(design.answers, design.problem))  # a new design works it out anew
    assert len(calls) == 2
