"""Phase 4 rules, checked against the answer cases in ``answers/api/*.yaml``.

The case format is phase 1's (see ``test_requirement_rules.py``); the bases:

``good``
    ``answers/api/good_url_shortener.json``: REST with a reason; POST /v1/urls (201,
    idempotency key), GET /{code} (302, trade-off in the notes), GET
    /v1/urls/{code}/stats (200), DELETE /v1/urls/{code} (204), each naming a phase 1
    requirement of ``fixtures/answers/url-shortener.json`` word for word.
``empty``
    ``api.empty()``.

Phase 4 rules read phase 1 (its requirements, what was left out), so every case also
has phase 1 answers: ``phase1`` (see ``tests/phases/cases.py``) is ``good`` by default,
phase 1 of ``fixtures/answers/url-shortener.json``; ``empty`` is ``requirements.empty()``;
``null`` means no phase 1 answers at all. ``problem: url-shortener`` brings in the
problem's analytics capability, which API-007 reads. ``phase2`` (``good``:
``answers/estimation/good_url_shortener.json``, 23,148 reads/s at peak) and ``phase5``
(``empty`` or an ``answer``) are absent unless a case gives them; API-018 reads them.
"""

import copy
import json
from functools import cache

import pytest

from phases import api, architecture, data_model, requirements
from phases.engine.design import Design
from phases.engine.engine import check_phase
from phases.engine.findings import Severity
from tests.phases.cases import ANSWERS_DIR, ROOT, CaseTable, OtherPhase, describe, problem_specs

BASES_DIR = ANSWERS_DIR / "api"
GOOD_ANSWERS = ROOT / "fixtures" / "answers" / "url-shortener.json"


@cache
def good_url_shortener() -> dict:
    return json.loads((BASES_DIR / "good_url_shortener.json").read_text())


@cache
def good_data_model() -> dict:
    return json.loads((ANSWERS_DIR / "data_model" / "good_url_shortener.json").read_text())


@cache
def good_estimate() -> dict:
    return json.loads((ANSWERS_DIR / "estimation" / "good_url_shortener.json").read_text())


@cache
def good_requirements() -> dict:
    return json.loads(GOOD_ANSWERS.read_text())["phases"]["1"]


TABLE = CaseTable(
    phase=4,
    folder="api",
    bases={"good": good_url_shortener, "empty": api.empty},
    others=(
        OtherPhase(
            1, bases={"good": good_requirements, "empty": requirements.empty}, default="good"
        ),
        # Phase 3 only where a case gives it (the pagination rules read its records).
        OtherPhase(3, bases={"good": good_data_model, "empty": data_model.empty}),
        # Phases 2 and 5 only where a case gives them (API-018 reads the peak reads and
        # the components' reasons).
        OtherPhase(2, bases={"good": good_estimate}),
        OtherPhase(5, bases={"empty": architecture.empty}),
    ),
)


@pytest.mark.parametrize("case", TABLE.params())
def test_rule_case(case):
    TABLE.check(case)


def test_every_phase4_rule_has_triggering_and_clean_cases():
    """A rule added to the registry without cases here fails this test."""
    TABLE.check_coverage()


def test_cases_name_only_phase4_rules():
    TABLE.check_codes_belong()


@pytest.mark.parametrize("base", [good_url_shortener, api.empty])
def test_bases_have_the_documented_shape(base):
    doc = base()
    assert set(doc) == set(api.empty())
    api.parse(copy.deepcopy(doc))


def test_good_base_names_every_phase1_requirement_exactly():
    named = {e["requirement"] for e in good_url_shortener()["endpoints"]}
    assert named == {fr["text"] for fr in good_requirements()["functional"]}


def test_good_url_shortener_base_has_no_errors_or_warnings():
    spec = problem_specs()["url-shortener"]
    answers = {1: copy.deepcopy(good_requirements()), 4: copy.deepcopy(good_url_shortener())}
    findings = check_phase(4, Design(answers, spec))
    serious = [f for f in findings if f.severity in (Severity.ERROR, Severity.WARNING)]
    assert not serious, f"the good base answer has findings:\n{describe(serious)}"


def test_computed_lists_the_unserved_requirements():
    spec = problem_specs()["url-shortener"]
    doc = copy.deepcopy(good_url_shortener())
    del doc["endpoints"][3]
    report = api.computed(Design({1: copy.deepcopy(good_requirements()), 4: doc}, spec))
    assert report == {
        "endpoints": 3,
        "unserved_requirements": ["A link owner can delete their short link"],
    }


@pytest.mark.parametrize(
    "answers",
    [
        {4: {}},
        {4: api.empty()},
        {1: {}, 4: {"endpoints": [{"notes": "only notes"}], "protocols": [{"client": "x"}]}},
        {1: {"functional": [{"text": "not a path", "path": "sideways"}]}, 4: {}},
        {1: requirements.empty(), 4: {"endpoints": [{"method": "POST", "status": "200"}]}},
    ],
    ids=["nothing", "empty", "blank-fields", "phase1-malformed", "phase1-empty"],
)
def test_rules_never_raise_on_partial_answers(answers):
    design = Design(copy.deepcopy(answers), problem_specs()["url-shortener"])
    check_phase(4, design)
    api.computed(design)


def test_building_does_not_mutate_the_bases():
    before = (copy.deepcopy(good_url_shortener()), copy.deepcopy(good_requirements()))
    TABLE.build_answers(
        {
            "base": "good",
            "set": {"endpoints[0].status": "200"},
            "unset": ["protocols"],
            "phase1": {"base": "good", "set": {"functional": []}},
        }
    )
    assert (good_url_shortener(), good_requirements()) == before


def _findings(code: str, doc: dict) -> list:
    spec = problem_specs()["url-shortener"]
    design = Design({1: copy.deepcopy(good_requirements()), 4: doc}, spec)
    return [f for f in check_phase(4, design) if f.code == code]


def test_unserved_requirement_points_at_phase1():
    doc = copy.deepcopy(good_url_shortener())
    del doc["endpoints"][3]
    [finding] = _findings("API-005", doc)
    assert (finding.field, finding.field_phase) == ("functional[3].text", 1)
    assert finding.as_dict()["field_phase"] == 1


def test_unknown_requirement_suggests_the_closest_phase1_one():
    doc = copy.deepcopy(good_url_shortener())
    doc["endpoints"][3]["requirement"] = "A link owner can delete a link"
    [finding] = _findings("API-006", doc)
    assert '"A link owner can delete their short link"' in finding.fix
    assert finding.field_phase is None


def test_unrelated_requirement_gets_no_suggestion():
    doc = copy.deepcopy(good_url_shortener())
    doc["endpoints"][3]["requirement"] = "Admins can export invoices"
    [finding] = _findings("API-006", doc)
    assert "Did you mean" not in finding.fix
