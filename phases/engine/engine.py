"""Running the rules: the same answers always give the same findings, in the same order."""

from collections.abc import Mapping
from typing import NotRequired, TypedDict

from phases.engine.answers import AnswerShapeError
from phases.engine.design import Design
from phases.engine.findings import Finding, phase_status
from phases.engine.registry import PHASES_BY_NUMBER
from phases.reading.units import finite_tree


class GradedFinding(TypedDict):
    code: str
    severity: str
    field: str
    field_phase: NotRequired[int]  # only when the field belongs to another phase
    message: str


class _FieldPhase(TypedDict, total=False):
    field_phase: int


class InvalidPhase(TypedDict):
    """A phase whose document could not be read: its shape errors, no findings."""

    status: str
    errors: list[dict[str, str]]
    findings: list[GradedFinding]  # always empty


class CheckedPhase(TypedDict):
    status: str
    computed: Mapping[str, object]
    findings: list[GradedFinding]


class GradeReport(TypedDict):
    phases: dict[str, InvalidPhase | CheckedPhase]  # by phase number, as text


def check_phase(phase: int, design: Design) -> list[Finding]:
    """Every finding for one phase, most serious first, ties kept in rule order.

    Checked once per ``Design`` (see ``Design.findings``): the same answers always give
    the same findings, and a fresh list of them to each caller.
    """
    return design.findings(phase)


def grade(design: Design) -> GradeReport:
    """Check every ready phase that has answers; the grader's JSON report.

    A phase whose document is malformed reports its shape errors instead of findings.
    Every computed figure is a finite number or None, so the report is valid JSON.
    """
    report: GradeReport = {"phases": {}}
    for number in sorted(design.answers):
        phase = PHASES_BY_NUMBER.get(number)
        if phase is None:
            continue
        try:
            findings = check_phase(number, design)
        except AnswerShapeError as exc:
            report["phases"][str(number)] = {
                "status": "invalid",
                "errors": [{"field": f, "message": m} for f, m in exc.errors],
                "findings": [],
            }
            continue
        report["phases"][str(number)] = {
            "status": phase_status(findings),
            "computed": finite_tree(phase.figures(design)),
            "findings": [
                {
                    "code": f.code,
                    "severity": f.severity.value,
                    "field": f.field,
                    **(_FieldPhase(field_phase=f.field_phase) if f.field_phase else _FieldPhase()),
                    "message": f.message,
                }
                for f in findings
            ],
        }
    return report
