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
``severity``
    Code -> severity that every non-pass finding with that code must have.
``counts``
    Code -> exact number of non-pass findings with that code.
``xfail``
    Reason: the case records a known rule bug; it must fail until the rule is fixed.
"""

import copy
import json
import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from phases import requirements
from phases.design import Design, ProblemSpec
from phases.engine import check_phase
from phases.findings import Finding, Severity
from phases.registry import RULES, RULES_BY_CODE

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = Path(__file__).resolve().parent / "answers" / "requirements"
GOOD_ANSWER = ROOT / "fixtures" / "answers" / "url-shortener.json"
PROBLEM_SET = ROOT / "fixtures" / "problemsets" / "foundations.yaml"

CASE_KEYS = {
    "name",
    "problem",
    "base",
    "set",
    "unset",
    "answer",
    "must",
    "must_not",
    "passes",
    "passes_not",
    "fields",
    "messages",
    "severity",
    "counts",
    "xfail",
}
CODE_LIST_KEYS = ("must", "must_not", "passes", "passes_not")
CODE_MAP_KEYS = ("fields", "messages", "severity", "counts")
PHASE1_CODES = tuple(rule.code for rule in RULES if rule.phase == 1)


# -- Building the answer -------------------------------------------------------------------


@cache
def good_answer() -> dict:
    return json.loads(GOOD_ANSWER.read_text())["phases"]["1"]


@cache
def problem_specs() -> dict[str, ProblemSpec]:
    data = yaml.safe_load(PROBLEM_SET.read_text())
    return {
        p["slug"]: ProblemSpec(
            slug=p["slug"],
            title=p.get("title", ""),
            givens=p.get("givens") or {},
            expectations=p.get("expectations") or {},
        )
        for p in data["problems"]
    }


def problem_for(case: dict) -> ProblemSpec:
    slug = case.get("problem")
    if slug is None:
        return ProblemSpec(slug="no-problem")
    specs = problem_specs()
    assert slug in specs, f"case {case['name']!r}: no problem {slug!r} in {PROBLEM_SET.name}"
    return specs[slug]


_KEY = r"[^.\[\]]+"
_SEGMENT = rf"{_KEY}(?:\[\d+\])*"
_PATH = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT})*")
_TOKEN = re.compile(rf"({_KEY})|\[(\d+)\]")


def split_path(path: str) -> list[str | int]:
    """``functional[0].text`` -> ``["functional", 0, "text"]``."""
    if not _PATH.fullmatch(path):
        raise ValueError(f"malformed path {path!r}")
    return [key or int(index) for key, index in _TOKEN.findall(path)]


def _step(container, token, path: str, next_token):
    """The child at ``token``, created (as dict or list) when missing."""
    fresh = [] if isinstance(next_token, int) else {}
    if isinstance(token, int):
        if not isinstance(container, list):
            raise ValueError(f"{path!r}: [{token}] applied to a {type(container).__name__}")
        if token == len(container):
            container.append(fresh)
        elif token > len(container):
            raise ValueError(f"{path!r}: index {token} is past the end ({len(container)} items)")
        return container[token]
    if not isinstance(container, dict):
        raise ValueError(f"{path!r}: key {token!r} applied to a {type(container).__name__}")
    if container.get(token) is None:
        container[token] = fresh
    return container[token]


def set_path(doc: dict, path: str, value) -> None:
    tokens = split_path(path)
    target = doc
    for token, next_token in zip(tokens, tokens[1:], strict=False):
        target = _step(target, token, path, next_token)
    last = tokens[-1]
    if isinstance(last, int):
        if not isinstance(target, list) or last > len(target):
            raise ValueError(f"{path!r}: cannot set index {last}")
        if last == len(target):
            target.append(copy.deepcopy(value))
            return
    elif not isinstance(target, dict):
        raise ValueError(f"{path!r}: key {last!r} applied to a {type(target).__name__}")
    target[last] = copy.deepcopy(value)


def unset_path(doc: dict, path: str) -> None:
    tokens = split_path(path)
    target = doc
    for token in tokens[:-1]:
        target = target[token]
    del target[tokens[-1]]


def build_document(case: dict) -> dict:
    if "answer" in case:
        return copy.deepcopy(case["answer"])
    base = case.get("base")
    if base == "good":
        doc = copy.deepcopy(good_answer())
    elif base == "empty":
        doc = requirements.empty()
    else:
        doc = {}
    for path in case.get("unset", []):
        unset_path(doc, path)
    for path, value in (case.get("set") or {}).items():
        set_path(doc, path, value)
    return doc


# -- Loading the cases ---------------------------------------------------------------------


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def validate_case(case, where: str) -> None:
    """Refuse a malformed case at collection time, rather than let it pass vacuously."""
    if not isinstance(case, dict):
        raise ValueError(f"{where}: a case must be a mapping, got {case!r}")
    name = case.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}: every case needs a name")
    unknown = set(case) - CASE_KEYS
    if unknown:
        raise ValueError(f"{where} {name!r}: unknown keys {sorted(unknown)}")
    if "answer" in case and {"base", "set", "unset"} & set(case):
        raise ValueError(f"{where} {name!r}: 'answer' excludes base/set/unset")
    if case.get("base") not in (None, "good", "empty"):
        raise ValueError(f"{where} {name!r}: base must be 'good' or 'empty'")
    if not any(key in case for key in (*CODE_LIST_KEYS, *CODE_MAP_KEYS)):
        raise ValueError(f"{where} {name!r}: the case asserts nothing")
    for key in CODE_LIST_KEYS:
        codes = case.get(key, [])
        if not isinstance(codes, list):
            raise ValueError(f"{where} {name!r}: {key} must be a list of codes")
        for code in codes:
            if code not in RULES_BY_CODE:
                raise ValueError(f"{where} {name!r}: {key} names unknown rule {code!r}")
    clash = set(case.get("must", [])) & set(case.get("must_not", []))
    if clash:
        raise ValueError(f"{where} {name!r}: {sorted(clash)} in both must and must_not")
    for key in CODE_MAP_KEYS:
        mapping = case.get(key, {})
        if not isinstance(mapping, dict):
            raise ValueError(f"{where} {name!r}: {key} must map codes to values")
        for code in mapping:
            if code not in RULES_BY_CODE:
                raise ValueError(f"{where} {name!r}: {key} names unknown rule {code!r}")
    for code, severity in case.get("severity", {}).items():
        if severity not in {s.value for s in Severity} - {"pass"}:
            raise ValueError(f"{where} {name!r}: severity of {code} must be error/warning/info")
    for code, count in case.get("counts", {}).items():
        if not isinstance(count, int) or count < 0:
            raise ValueError(f"{where} {name!r}: count of {code} must be a whole number")
    for path in [*case.get("set", {}), *case.get("unset", [])]:
        split_path(path)


@cache
def load_cases() -> tuple[dict, ...]:
    cases: list[dict] = []
    seen: dict[str, str] = {}
    files = sorted(CASES_DIR.glob("*.yaml"))
    if not files:
        raise ValueError(f"no case files in {CASES_DIR}")
    for file in files:
        data = yaml.safe_load(file.read_text())
        if not isinstance(data, list) or not data:
            raise ValueError(f"{file.name}: expected a non-empty list of cases")
        for index, case in enumerate(data):
            where = f"{file.name}[{index}]"
            validate_case(case, where)
            if case["name"] in seen:
                raise ValueError(
                    f"{where}: name {case['name']!r} already used in {seen[case['name']]}"
                )
            seen[case["name"]] = where
            cases.append({**case, "_file": file.name})
    return tuple(cases)


def _params():
    params = []
    for case in load_cases():
        marks = []
        if case.get("xfail"):
            marks.append(
                pytest.mark.xfail(reason=case["xfail"], strict=True, raises=AssertionError)
            )
        params.append(pytest.param(case, id=case["name"], marks=marks))
    return params


# -- Checking ------------------------------------------------------------------------------


def describe(findings: list[Finding]) -> str:
    if not findings:
        return "  (no findings)"
    return "\n".join(
        f"  {f.code} {f.severity.value:<7} {f.field or '-'}: {f.message}" for f in findings
    )


@pytest.mark.parametrize("case", _params())
def test_rule_case(case):
    doc = build_document(case)
    findings = check_phase(1, Design({1: doc}, problem_for(case)))
    raised = [f for f in findings if f.severity != Severity.PASS]
    passed = [f for f in findings if f.severity == Severity.PASS]
    raised_codes = {f.code for f in raised}
    passed_codes = {f.code for f in passed}
    context = (
        f"\ncase {case['name']!r} ({case['_file']})"
        f"\nanswer: {json.dumps(doc, ensure_ascii=False)}"
        f"\nfindings:\n{describe(findings)}"
    )
    problems = []
    for code in case.get("must", []):
        if code not in raised_codes:
            problems.append(f"{code} must be raised but was not")
    for code in case.get("must_not", []):
        if code in raised_codes:
            problems.append(f"{code} must not be raised but was")
    for code in case.get("passes", []):
        if code not in passed_codes:
            problems.append(f"{code} must report a pass but did not")
    for code in case.get("passes_not", []):
        if code in passed_codes:
            problems.append(f"{code} must not report a pass but did")
    for code, wanted in case.get("fields", {}).items():
        have = [f.field for f in raised if f.code == code]
        for field in _as_list(wanted):
            if field not in have:
                problems.append(f"{code} must have a finding on {field!r}; fields were {have}")
    for code, wanted in case.get("messages", {}).items():
        have = [f.message for f in raised if f.code == code]
        for text in _as_list(wanted):
            if not any(text in message for message in have):
                problems.append(f"{code} must have a message containing {text!r}")
    for code, severity in case.get("severity", {}).items():
        have = [f.severity.value for f in raised if f.code == code]
        if not have or any(s != severity for s in have):
            problems.append(f"{code} must be raised with severity {severity}; got {have}")
    for code, count in case.get("counts", {}).items():
        have = sum(1 for f in raised if f.code == code)
        if have != count:
            problems.append(f"{code} must be raised {count} time(s), was raised {have}")
    assert not problems, "\n".join(problems) + context


# -- Coverage of the table itself ----------------------------------------------------------


def test_every_phase1_rule_has_triggering_and_clean_cases():
    """A rule added to the registry without cases here fails this test."""
    cases = [c for c in load_cases() if not c.get("xfail")]
    triggered = {code for c in cases for code in (*c.get("must", []), *c.get("passes", []))}
    cleared = {code for c in cases for code in c.get("must_not", [])}
    assert PHASE1_CODES, "no phase 1 rules in phases.registry.RULES"
    no_trigger = [code for code in PHASE1_CODES if code not in triggered]
    no_clear = [code for code in PHASE1_CODES if code not in cleared]
    assert not no_trigger and not no_clear, (
        f"rules without a case in 'must' (or 'passes'): {no_trigger}; "
        f"rules without a case in 'must_not': {no_clear} "
        f"(add cases to {CASES_DIR.relative_to(ROOT)})"
    )


def test_cases_name_only_phase1_rules():
    for case in load_cases():
        for key in (*CODE_LIST_KEYS, *CODE_MAP_KEYS):
            for code in case.get(key, []):
                assert RULES_BY_CODE[code].phase == 1, (
                    f"case {case['name']!r}: {key} names {code}, a phase "
                    f"{RULES_BY_CODE[code].phase} rule"
                )


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
