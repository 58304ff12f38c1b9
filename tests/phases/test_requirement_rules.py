"""Phase 1 rules, checked against the answer cases in ``answers/requirements/*.yaml``.

In the style of flake8-bugbear's eval files: each case is a phase 1 answer and what the
rules must (and must not) say about it. A case file is a YAML list of mappings:

``name``
    Unique across all files; the test id.
``problem``
    Optional problem slug; its expectations are read from
    ``fixtures/problemsets/foundations.yaml`` (the file, not the database). Without it the
    problem has no expectations, so REQ-001 and REQ-002 have nothing to check against.
``base``
    Optional. ``good`` starts from phase 1 of ``fixtures/answers/url-shortener.json``;
    ``empty`` from ``requirements.empty()``; absent, from ``{}``.
``set``
    Dotted-path overrides applied to the base: ``availability``, ``scale.users``,
    ``functional[0].text``. A value replaces whatever was there, whole lists included;
    an index one past the end appends.
``unset``
    Paths to delete from the base.
``answer``
    A whole phase 1 document instead of ``base``/``set``/``unset``.
``must`` / ``must_not``
    Codes that must / must not appear with a severity other than ``pass``.
``passes`` / ``passes_not``
    Codes that must / must not appear with severity ``pass``.
``fields``
    Code -> field path (or list of them); each must be the field of some non-pass finding
    with that code.
``messages``
    Code -> text (or list of texts); each must be part of the message of some non-pass
    finding with that code.
``messages_not``
    Code -> text (or list of texts); none may be part of the message of any non-pass
    finding with that code.
``severity``
    Code -> severity that every non-pass finding with that code must have.
``counts``
    Code -> exact number of non-pass findings with that code.
``xfail``
    Reason: the case records a known rule bug; it must fail until the rule is fixed.

Loading, building and checking live in ``tests/phases/cases.py``, shared with the other
phases' case tables (which may name other bases).
"""

import copy
import json
from functools import cache

import pytest

from phases import requirements
from phases.engine.design import Design
from phases.engine.engine import check_phase
from phases.engine.findings import Severity
from tests.phases.cases import (
    ROOT,
    CaseTable,
    describe,
    problem_specs,
    set_path,
    split_path,
)

GOOD_ANSWER = ROOT / "fixtures" / "answers" / "url-shortener.json"


@cache
def good_answer() -> dict:
    return json.loads(GOOD_ANSWER.read_text())["phases"]["1"]


TABLE = CaseTable(
    phase=1, folder="requirements", bases={"good": good_answer, "empty": requirements.empty}
)


def build_document(case: dict) -> dict:
    return TABLE.build_document(case)


@pytest.mark.parametrize("case", TABLE.params())
def test_rule_case(case):
    TABLE.check(case)


# -- Coverage of the table itself ----------------------------------------------------------


def test_every_phase1_rule_has_triggering_and_clean_cases():
    """A rule added to the registry without cases here fails this test."""
    TABLE.check_coverage()


def test_cases_name_only_phase1_rules():
    TABLE.check_codes_belong()


def test_good_fixture_has_no_errors_or_warnings():
    spec = problem_specs()["url-shortener"]
    findings = check_phase(1, Design({1: copy.deepcopy(good_answer())}, spec))
    serious = [f for f in findings if f.severity in (Severity.ERROR, Severity.WARNING)]
    assert not serious, f"the shipped good answer has findings:\n{describe(serious)}"


# -- The case builder itself ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "tokens"),
    [
        ("availability", ["availability"]),
        ("scale.users", ["scale", "users"]),
        ("functional[0].text", ["functional", 0, "text"]),
        ("a[1][2].b", ["a", 1, 2, "b"]),
    ],
)
def test_split_path(path, tokens):
    assert split_path(path) == tokens


@pytest.mark.parametrize("path", ["", ".a", "a..b", "a[x]", "a.[0]", "a[0]b"])
def test_split_path_refuses_malformed(path):
    with pytest.raises(ValueError):
        split_path(path)


def test_set_path_replaces_lists_appends_and_creates():
    doc = {"functional": [{"text": "x", "path": "read"}], "scale": {"users": "1"}}
    set_path(doc, "functional[0].text", "y")
    set_path(doc, "functional[1]", {"text": "z"})
    set_path(doc, "scale.users", "2")
    set_path(doc, "clarifications.left_out", ["search"])
    set_path(doc, "latency[0].unit", "ms")
    assert doc == {
        "functional": [{"text": "y", "path": "read"}, {"text": "z"}],
        "scale": {"users": "2"},
        "clarifications": {"left_out": ["search"]},
        "latency": [{"unit": "ms"}],
    }
    set_path(doc, "functional", [])
    assert doc["functional"] == []
    with pytest.raises(ValueError):
        set_path(doc, "functional[3].text", "too far")


def test_build_document_does_not_mutate_the_base():
    before = copy.deepcopy(good_answer())
    build_document(
        {"base": "good", "set": {"functional[0].text": "changed"}, "unset": ["availability"]}
    )
    assert good_answer() == before
