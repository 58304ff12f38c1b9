"""Phase 2 rules, checked against the answer cases in ``answers/estimation/*.yaml``.

The case format is phase 1's (see ``test_requirement_rules.py``); only the bases differ:

``good``
    ``answers/estimation/good_url_shortener.json``: 100M/day, 10:1, 200 B, 5 years,
    peak 2x, overhead 3x, 20% hot set; consistent results; storage as the pressure.
``good_pastebin``
    ``answers/estimation/good_pastebin.json``: 10M/day, 10:1, 10 KB, 30 days, peak 4x,
    overhead 3x; consistent results; storage as the pressure.
``empty``
    ``estimation.empty()``.

``problem`` (``url-shortener`` or ``pastebin``) brings in the problem's givens, which
EST-002 compares the assumptions against; without it there are none.
"""

import copy
import json
from functools import cache

import pytest

from phases import estimation
from phases.engine.design import Design
from phases.engine.engine import check_phase
from phases.engine.findings import Severity
from tests.phases.cases import ANSWERS_DIR, CaseTable, describe, problem_specs

BASES_DIR = ANSWERS_DIR / "estimation"


@cache
def good_url_shortener() -> dict:
    return json.loads((BASES_DIR / "good_url_shortener.json").read_text())


@cache
def good_pastebin() -> dict:
    return json.loads((BASES_DIR / "good_pastebin.json").read_text())


TABLE = CaseTable(
    phase=2,
    folder="estimation",
    bases={"good": good_url_shortener, "good_pastebin": good_pastebin, "empty": estimation.empty},
)


@pytest.mark.parametrize("case", TABLE.params())
def test_rule_case(case):
    TABLE.check(case)


def test_every_phase2_rule_has_triggering_and_clean_cases():
    """A rule added to the registry without cases here fails this test."""
    TABLE.check_coverage()


def test_cases_name_only_phase2_rules():
    TABLE.check_codes_belong()


@pytest.mark.parametrize("base", [good_url_shortener, good_pastebin, estimation.empty])
def test_bases_have_the_documented_shape(base):
    doc = base()
    assert set(doc) == set(estimation.empty())
    assert set(doc["assumptions"]) == set(estimation.empty()["assumptions"])
    assert set(doc["results"]) == set(estimation.empty()["results"])
    estimation.parse(copy.deepcopy(doc))


def test_good_url_shortener_base_has_no_errors_or_warnings():
    spec = problem_specs()["url-shortener"]
    findings = check_phase(2, Design({2: copy.deepcopy(good_url_shortener())}, spec))
    serious = [f for f in findings if f.severity in (Severity.ERROR, Severity.WARNING)]
    assert not serious, f"the good base answer has findings:\n{describe(serious)}"


def test_building_does_not_mutate_the_bases():
    before = copy.deepcopy(good_pastebin())
    TABLE.build_document(
        {"base": "good_pastebin", "set": {"results.storage": "1 B"}, "unset": ["conclusion"]}
    )
    assert good_pastebin() == before
