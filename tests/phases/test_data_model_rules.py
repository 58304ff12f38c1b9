"""Phase 3 rules, checked against the answer cases in ``answers/data_model/*.yaml``.

The case format is phase 1's (see ``test_requirement_rules.py``), with the keys that
``tests/phases/cases.py`` adds; the ones phase 3 uses are:

``phase1``
    Phase 1's answers, which DAT-001, DAT-002 and DAT-014 read: ``good`` (phase 1 of
    ``fixtures/answers/url-shortener.json``, the default), ``empty``
    (``requirements.empty()``), ``null`` for no phase 1 answers at all, or a mapping
    with ``base``/``set``/``unset`` (``{base: good, set: {read_write_ratio: "1:4"}}``).
``phase2``, ``phase5``
    Phase 2's answers (``good``: ``answers/estimation/good_url_shortener.json``) and
    phase 5's (``empty``, or an ``answer``), which DAT-022 reads; absent by default.
``givens``
    Problem givens for the case, e.g. ``{max_followers: {label: ..., value: 10M}}``
    for DAT-013.

Bases for the phase 3 answer:

``good``
    ``answers/data_model/good_url_shortener.json``: resolve by short code (key-value),
    create (relational, transactional), count and read clicks (wide-column), delete
    (relational); entities Link and Click; two modelling rows with reasons. Its
    requirements are phase 1's exactly.
``empty``
    ``data_model.empty()``.
"""

import copy
import json
from functools import cache

import pytest

from phases import architecture, data_model, requirements
from phases.engine.design import Design
from phases.engine.engine import check_phase
from phases.engine.findings import Severity
from tests.phases.cases import (
    ANSWERS_DIR,
    ROOT,
    CaseTable,
    OtherPhase,
    describe,
    problem_specs,
)

BASES_DIR = ANSWERS_DIR / "data_model"
FIXTURE = ROOT / "fixtures" / "answers" / "url-shortener.json"


@cache
def good_url_shortener() -> dict:
    return json.loads((BASES_DIR / "good_url_shortener.json").read_text())


@cache
def good_requirements() -> dict:
    return json.loads(FIXTURE.read_text())["phases"]["1"]


@cache
def good_estimate() -> dict:
    return json.loads((ANSWERS_DIR / "estimation" / "good_url_shortener.json").read_text())


TABLE = CaseTable(
    phase=3,
    folder="data_model",
    bases={"good": good_url_shortener, "empty": data_model.empty},
    others=(
        OtherPhase(
            phase=1,
            bases={"good": good_requirements, "empty": requirements.empty},
            default="good",
        ),
        # DAT-022 reads phase 2's retention, DAT-023 its rates.
        OtherPhase(phase=2, bases={"good": good_estimate}, default=None),
        OtherPhase(phase=5, bases={"empty": architecture.empty}, default=None),
    ),
)


@pytest.mark.parametrize("case", TABLE.params())
def test_rule_case(case):
    TABLE.check(case)


def test_every_phase3_rule_has_triggering_and_clean_cases():
    """A rule added to the registry without cases here fails this test."""
    TABLE.check_coverage()


def test_cases_name_only_phase3_rules():
    TABLE.check_codes_belong()


@pytest.mark.parametrize("base", [good_url_shortener, data_model.empty])
def test_bases_have_the_documented_shape(base):
    doc = base()
    assert set(doc) == set(data_model.empty())
    data_model.parse(copy.deepcopy(doc))


def test_good_base_requirements_are_phase1s_exactly():
    phase1 = {row["text"] for row in good_requirements()["functional"]}
    named = {row["requirement"] for row in good_url_shortener()["access_patterns"]}
    assert named == phase1


def test_good_url_shortener_base_has_no_errors_or_warnings():
    spec = problem_specs()["url-shortener"]
    answers = {1: copy.deepcopy(good_requirements()), 3: copy.deepcopy(good_url_shortener())}
    findings = check_phase(3, Design(answers, spec))
    serious = [f for f in findings if f.severity in (Severity.ERROR, Severity.WARNING)]
    assert not serious, f"the good base answer has findings:\n{describe(serious)}"
    assert [f.code for f in findings if f.severity == Severity.PASS] == ["DAT-001"]


@pytest.mark.parametrize(
    "answers",
    [
        {3: {}},
        {3: data_model.empty()},
        {1: {}, 3: {}},
        {1: requirements.empty(), 3: data_model.empty()},
        {1: {"functional": [{"text": "", "path": "read"}]}, 3: {"access_patterns": [{}]}},
        {
            3: {
                "access_patterns": [{"name": "x"}],
                "entities": [{"name": ""}],
                "modelling": [{"choice": "denormalise"}],
            }
        },
    ],
)
def test_partial_answers_never_raise(answers):
    spec = problem_specs()["url-shortener"]
    check_phase(3, Design(answers, spec))


def test_cross_phase_finding_points_at_phase1():
    case = {
        "name": "x",
        "base": "good",
        "set": {"access_patterns": good_url_shortener()["access_patterns"][:1]},
    }
    answers = TABLE.build_answers(case)
    findings = [
        f
        for f in check_phase(3, Design(answers, problem_specs()["url-shortener"]))
        if f.code == "DAT-001" and f.severity == Severity.ERROR
    ]
    assert findings and all(f.field_phase == 1 for f in findings)
    assert all(f.as_dict()["field_phase"] == 1 for f in findings)
    assert {f.field for f in findings} == {
        "functional[0].text",
        "functional[2].text",
        "functional[3].text",
    }


def test_building_does_not_mutate_the_bases():
    before = (copy.deepcopy(good_url_shortener()), copy.deepcopy(good_requirements()))
    TABLE.build_answers(
        {
            "base": "good",
            "set": {"access_patterns[0].storage": "search"},
            "unset": ["modelling"],
            "phase1": {"base": "good", "set": {"read_write_ratio": "1:4"}},
        }
    )
    assert (good_url_shortener(), good_requirements()) == before


def test_phase1_key_selects_other_answers():
    assert 1 in TABLE.build_answers({"base": "good"})
    assert 1 not in TABLE.build_answers({"base": "good", "phase1": None})
    assert TABLE.build_answers({"phase1": "empty"})[1] == requirements.empty()


@pytest.mark.parametrize(
    ("changes", "code", "store"),
    [
        ({"access_patterns[3].lookup": "text_search"}, "DAT-004", "Elasticsearch"),
        ({"access_patterns[1].storage": "key_value"}, "DAT-006", "PostgreSQL"),
        (
            {"access_patterns[3].lookup": "traversal", "access_patterns[3].storage": "document"},
            "DAT-009",
            "Neo4j",
        ),
        ({"access_patterns[0].lookup": "by_range"}, "DAT-011", "TimescaleDB"),
    ],
)
def test_fixes_name_the_stores_the_table_recommends(changes, code, store):
    answers = TABLE.build_answers({"base": "good", "set": changes})
    findings = check_phase(3, Design(answers, problem_specs()["url-shortener"]))
    fixes = [f.fix for f in findings if f.code == code]
    assert fixes and all(store in fix for fix in fixes), describe(findings)
