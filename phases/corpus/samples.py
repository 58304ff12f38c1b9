"""Sample answers: how an instructor tests a problem's rubric before learners see it.

A sample is a set of answers with the finding codes it must and must not produce::

    {"name": "misses the redirect", "seed": 0,
     "answers": {"1": {...phase 1 document...}, "2": {...}},
     "must": ["REQ-001"], "must_not": ["REQ-006"]}

Running one draws the problem's givens with the sample's seed (as an attempt with that
seed would see them), checks every phase that has a document, and compares the codes
that fired (a finding of severity error, warning or info; pass findings do not count)
with ``must`` and ``must_not``. Pure: no Django, so the grader, the management command
and the tests share it.
"""

from dataclasses import replace
from typing import TypedDict

from phases.engine import variants
from phases.engine.answers import JSON, AnswerShapeError
from phases.engine.design import Design, ProblemSpec
from phases.engine.engine import check_phase
from phases.engine.findings import Severity
from phases.engine.registry import PHASES_BY_NUMBER

FIRED = frozenset({Severity.ERROR, Severity.WARNING, Severity.INFO})


class ShapeError(TypedDict):
    phase: int | None  # None: the answers as a whole, or a key that names no phase
    field: str
    message: str


class Verdict(TypedDict):
    name: str
    passed: bool
    missing: list[str]
    unexpected: list[str]
    invalid: list[ShapeError]
    codes: list[str]


def parse_answers(answers: object) -> tuple[dict[int, JSON], list[ShapeError]]:
    """The phase documents that pass their shape check, and the errors of those that don't.

    Keys are phase numbers ("1".."9", or 1..9); each error is ``{phase, field, message}``.
    """
    valid: dict[int, JSON] = {}
    invalid: list[ShapeError] = []
    if not isinstance(answers, dict):
        return valid, [{"phase": None, "field": "", "message": "Expected a mapping of phases."}]
    for key, document in answers.items():
        number = _phase_number(key)
        if number is None:
            invalid.append(
                {"phase": None, "field": str(key), "message": "Expected a phase number 1 to 9."}
            )
            continue
        try:
            PHASES_BY_NUMBER[number].parse(document)
        except AnswerShapeError as exc:
            invalid.extend({"phase": number, "field": f, "message": m} for f, m in exc.errors)
            continue
        valid[number] = document
    return valid, invalid


def _phase_number(key: object) -> int | None:
    if isinstance(key, bool):
        return None
    text = str(key)
    if not text.isdigit() or int(text) not in PHASES_BY_NUMBER:
        return None
    return int(text)


def reference_sample(samples: list[JSON] | None) -> JSON | None:
    """The sample a problem names as its reference design (``reference: true``), if any.

    Import allows at most one; the first is taken should a stored list hold more.
    """
    return next((s for s in samples or [] if isinstance(s, dict) and s.get("reference")), None)


def sample_design(spec: ProblemSpec, sample: JSON) -> tuple[Design, list[ShapeError]]:
    """The sample's answers as a design, on the givens drawn with its seed, and the shape
    errors of the documents left out of it."""
    answers, invalid = parse_answers(sample.get("answers") or {})
    drawn = replace(spec, givens=variants.draw(spec.givens, sample.get("seed", 0) or 0))
    return Design(answers, drawn), invalid


def run_sample(spec: ProblemSpec, sample: JSON) -> Verdict:
    """One sample's verdict: passed, the codes missing or unexpected, shape errors."""
    design, invalid = sample_design(spec, sample)
    answers = design.answers
    codes: list[str] = []
    for phase in sorted(answers):
        try:
            findings = check_phase(phase, design)
        except AnswerShapeError as exc:  # defensive: every document was parsed above
            invalid.extend({"phase": phase, "field": f, "message": m} for f, m in exc.errors)
            continue
        for finding in findings:
            if finding.severity in FIRED and finding.code not in codes:
                codes.append(finding.code)
    must = list(sample.get("must") or [])
    must_not = list(sample.get("must_not") or [])
    missing = [code for code in must if code not in codes]
    unexpected = [code for code in must_not if code in codes]
    return {
        "name": sample.get("name", ""),
        "passed": not missing and not unexpected and not invalid,
        "missing": missing,
        "unexpected": unexpected,
        "invalid": invalid,
        "codes": sorted(codes),
    }


def run_all(spec: ProblemSpec, samples: list[JSON]) -> list[Verdict]:
    """Every sample's verdict, in the order given."""
    return [run_sample(spec, sample) for sample in samples or []]
