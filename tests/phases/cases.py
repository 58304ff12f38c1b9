"""Data-driven rule cases shared by the phase test modules.

Each phase keeps its cases in ``tests/phases/answers/<phase>/*.yaml``; a
:class:`CaseTable` loads them, builds each answer from a named base document plus
dotted-path overrides, runs ``check_phase`` and checks what the case asserts. The case
format is described in ``test_requirement_rules.py``. Keys added since:

``messages_not``
    Code -> text that no non-pass finding with that code may contain.
``givens``
    Problem givens merged over (or, without ``problem``, instead of) the problem's own:
    ``{max_followers: {label: ..., value: 10M}}``.
``expectations``
    Problem expectations merged over the problem's own, one phase key at a time (a
    ``phase3`` given here replaces the problem's ``phase3`` whole):
    ``{phase5: {components: [queue]}}``; ``{phase5: null}`` removes it.
``phase1`` (``phaseN``)
    Answers to another phase that this phase's rules read, for tables that declare it
    (an :class:`OtherPhase`): a base name, ``null`` for no answers to that phase, or a
    mapping with ``base``/``set``/``unset`` or ``answer`` as for the case's own answer.
    Absent, the table's default base for that phase is used.
"""

import copy
import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import pytest
import yaml

from phases.engine.design import Design, ProblemSpec
from phases.engine.engine import check_phase
from phases.engine.findings import Finding, Severity
from phases.engine.registry import RULES, RULES_BY_CODE

ROOT = Path(__file__).resolve().parents[2]
ANSWERS_DIR = Path(__file__).resolve().parent / "answers"
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
    "messages_not",
    "severity",
    "counts",
    "xfail",
    "givens",
    "expectations",
}
# The keys of a ``phaseN`` mapping (answers to another phase).
OTHER_PHASE_KEYS = {"base", "set", "unset", "answer"}
CODE_LIST_KEYS = ("must", "must_not", "passes", "passes_not")
CODE_MAP_KEYS = ("fields", "messages", "messages_not", "severity", "counts")


# -- Problems ------------------------------------------------------------------------------


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
        spec = ProblemSpec(slug="no-problem")
    else:
        specs = problem_specs()
        assert slug in specs, f"case {case['name']!r}: no problem {slug!r} in {PROBLEM_SET.name}"
        spec = specs[slug]
    if case.get("givens"):
        spec = dataclasses.replace(spec, givens={**spec.givens, **case["givens"]})
    if case.get("expectations"):
        merged = {**spec.expectations, **case["expectations"]}
        merged = {key: value for key, value in merged.items() if value is not None}
        spec = dataclasses.replace(spec, expectations=merged)
    return spec


# -- Dotted paths --------------------------------------------------------------------------

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


# -- Checking ------------------------------------------------------------------------------


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def describe(findings: list[Finding]) -> str:
    if not findings:
        return "  (no findings)"
    return "\n".join(
        f"  {f.code} {f.severity.value:<7} {f.field or '-'}: {f.message}" for f in findings
    )


def problems_with(case: dict, findings: list[Finding]) -> list[str]:
    """Every way the findings fail what the case asserts; empty when they satisfy it."""
    raised = [f for f in findings if f.severity != Severity.PASS]
    passed = [f for f in findings if f.severity == Severity.PASS]
    raised_codes = {f.code for f in raised}
    passed_codes = {f.code for f in passed}
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
    for code, unwanted in case.get("messages_not", {}).items():
        have = [f.message for f in raised if f.code == code]
        for text in _as_list(unwanted):
            if any(text in message for message in have):
                problems.append(f"{code} must have no message containing {text!r}")
    for code, severity in case.get("severity", {}).items():
        have = [f.severity.value for f in raised if f.code == code]
        if not have or any(s != severity for s in have):
            problems.append(f"{code} must be raised with severity {severity}; got {have}")
    for code, count in case.get("counts", {}).items():
        have = sum(1 for f in raised if f.code == code)
        if have != count:
            problems.append(f"{code} must be raised {count} time(s), was raised {have}")
    return problems


# -- One phase's table of cases ------------------------------------------------------------


def _build(spec: dict, bases: Mapping[str, Callable[[], dict]]) -> dict:
    """A document from ``answer``, or from ``base`` plus ``unset`` and ``set``."""
    if "answer" in spec:
        return copy.deepcopy(spec["answer"])
    base = spec.get("base")
    doc = copy.deepcopy(bases[base]()) if base is not None else {}
    for path in spec.get("unset", []):
        unset_path(doc, path)
    for path, value in (spec.get("set") or {}).items():
        set_path(doc, path, value)
    return doc


@dataclass(frozen=True)
class OtherPhase:
    """Answers to another phase that a table's rules read (phase 3 reads phase 1's).

    A case sets them under ``phase<N>``; without that key, ``default`` (a base name, or
    None for no answers) applies.
    """

    phase: int
    bases: Mapping[str, Callable[[], dict]]
    default: str | None = None

    @property
    def key(self) -> str:
        return f"phase{self.phase}"

    def build(self, case: dict) -> dict | None:
        spec = case.get(self.key, self.default)
        if spec is None:
            return None
        if isinstance(spec, str):
            spec = {"base": spec}
        return _build(spec, self.bases)

    def validate(self, spec, where: str) -> None:
        if spec is None:
            return
        if isinstance(spec, str):
            spec = {"base": spec}
        if not isinstance(spec, dict):
            raise ValueError(f"{where}: {self.key} must be a base name, null or a mapping")
        unknown = set(spec) - OTHER_PHASE_KEYS
        if unknown:
            raise ValueError(f"{where}: {self.key} has unknown keys {sorted(unknown)}")
        if "answer" in spec and {"base", "set", "unset"} & set(spec):
            raise ValueError(f"{where}: {self.key}: 'answer' excludes base/set/unset")
        if spec.get("base") is not None and spec["base"] not in self.bases:
            raise ValueError(f"{where}: {self.key} base must be one of {sorted(self.bases)}")
        for path in [*spec.get("set", {}), *spec.get("unset", [])]:
            split_path(path)


@dataclass(frozen=True)
class CaseTable:
    """The cases of one phase: where they live and which base documents they may name.

    ``bases`` maps a base name (``good``, ``empty``...) to a function returning a fresh
    or shared document; :meth:`build_document` always copies it. ``others`` lists the
    other phases whose answers the rules read, settable per case.
    """

    phase: int
    folder: str
    bases: Mapping[str, Callable[[], dict]]
    others: tuple[OtherPhase, ...] = ()

    @property
    def cases_dir(self) -> Path:
        return ANSWERS_DIR / self.folder

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(rule.code for rule in RULES if rule.phase == self.phase)

    def build_document(self, case: dict) -> dict:
        return _build(case, self.bases)

    def build_answers(self, case: dict) -> dict[int, dict]:
        """The case's answers to every phase the rules see: its own and the others'."""
        answers = {}
        for other in self.others:
            doc = other.build(case)
            if doc is not None:
                answers[other.phase] = doc
        answers[self.phase] = self.build_document(case)
        return answers

    def validate_case(self, case, where: str) -> None:
        """Refuse a malformed case at collection time, rather than let it pass vacuously."""
        if not isinstance(case, dict):
            raise ValueError(f"{where}: a case must be a mapping, got {case!r}")
        name = case.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{where}: every case needs a name")
        unknown = set(case) - CASE_KEYS - {other.key for other in self.others}
        if unknown:
            raise ValueError(f"{where} {name!r}: unknown keys {sorted(unknown)}")
        if "answer" in case and {"base", "set", "unset"} & set(case):
            raise ValueError(f"{where} {name!r}: 'answer' excludes base/set/unset")
        if case.get("base") is not None and case["base"] not in self.bases:
            raise ValueError(f"{where} {name!r}: base must be one of {sorted(self.bases)}")
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
        givens = case.get("givens", {})
        if not isinstance(givens, dict) or not all(
            isinstance(g, dict) and "value" in g for g in givens.values()
        ):
            raise ValueError(f"{where} {name!r}: givens must map names to {{label, value}}")
        if not isinstance(case.get("expectations", {}), dict):
            raise ValueError(f"{where} {name!r}: expectations must map phaseN keys to mappings")
        for other in self.others:
            other.validate(case.get(other.key, other.default), f"{where} {name!r}")

    @cached_property
    def cases(self) -> tuple[dict, ...]:
        cases: list[dict] = []
        seen: dict[str, str] = {}
        files = sorted(self.cases_dir.glob("*.yaml"))
        if not files:
            raise ValueError(f"no case files in {self.cases_dir}")
        for file in files:
            data = yaml.safe_load(file.read_text())
            if not isinstance(data, list) or not data:
                raise ValueError(f"{file.name}: expected a non-empty list of cases")
            for index, case in enumerate(data):
                where = f"{file.name}[{index}]"
                self.validate_case(case, where)
                if case["name"] in seen:
                    raise ValueError(
                        f"{where}: name {case['name']!r} already used in {seen[case['name']]}"
                    )
                seen[case["name"]] = where
                cases.append({**case, "_file": file.name})
        return tuple(cases)

    def params(self) -> list:
        params = []
        for case in self.cases:
            marks = []
            if case.get("xfail"):
                marks.append(
                    pytest.mark.xfail(reason=case["xfail"], strict=True, raises=AssertionError)
                )
            params.append(pytest.param(case, id=case["name"], marks=marks))
        return params

    def check(self, case: dict) -> None:
        """Run the phase's rules on the case's answer and assert what the case says."""
        answers = self.build_answers(case)
        doc = answers[self.phase]
        findings = check_phase(self.phase, Design(answers, problem_for(case)))
        problems = problems_with(case, findings)
        others = "".join(
            f"\nphase {number} answer: {json.dumps(other, ensure_ascii=False)}"
            for number, other in answers.items()
            if number != self.phase
        )
        context = (
            f"\ncase {case['name']!r} ({case['_file']})"
            f"\nanswer: {json.dumps(doc, ensure_ascii=False)}{others}"
            f"\nfindings:\n{describe(findings)}"
        )
        assert not problems, "\n".join(problems) + context

    def check_coverage(self) -> None:
        """Every rule of the phase has a case raising it and a case where it stays quiet."""
        cases = [c for c in self.cases if not c.get("xfail")]
        triggered = {code for c in cases for code in (*c.get("must", []), *c.get("passes", []))}
        cleared = {code for c in cases for code in c.get("must_not", [])}
        assert self.codes, f"no phase {self.phase} rules in phases.engine.registry.RULES"
        no_trigger = [code for code in self.codes if code not in triggered]
        no_clear = [code for code in self.codes if code not in cleared]
        assert not no_trigger and not no_clear, (
            f"rules without a case in 'must' (or 'passes'): {no_trigger}; "
            f"rules without a case in 'must_not': {no_clear} "
            f"(add cases to {self.cases_dir.relative_to(ROOT)})"
        )

    def check_codes_belong(self) -> None:
        for case in self.cases:
            for key in (*CODE_LIST_KEYS, *CODE_MAP_KEYS):
                for code in case.get(key, []):
                    assert RULES_BY_CODE[code].phase == self.phase, (
                        f"case {case['name']!r}: {key} names {code}, a phase "
                        f"{RULES_BY_CODE[code].phase} rule"
                    )
