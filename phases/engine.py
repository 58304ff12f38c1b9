"""Running the rules: the same answers always give the same findings, in the same order."""

import weakref

from phases.answers import AnswerShapeError
from phases.design import Design
from phases.findings import Finding, Severity, phase_status
from phases.registry import PHASES_BY_NUMBER, rules_for
from phases.units import finite_tree

# Findings per design and phase: the review checklist checks phases 1 to 8 again on the
# same ``Design`` that ``grade`` (or the export) has just checked. Findings are frozen and
# a ``Design`` is read once per check, so each caller gets a fresh list of the same ones.
_memo: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def check_phase(phase: int, design: Design) -> list[Finding]:
    """Every finding for one phase, most serious first, ties kept in rule order."""
    try:
        per_design = _memo.setdefault(design, {})
    except TypeError:  # not weak-referenceable (a stand-in design): no memo
        return _check_phase(phase, design)
    if phase not in per_design:
        per_design[phase] = _check_phase(phase, design)  # a shape error is not kept
    return list(per_design[phase])


def _check_phase(phase: int, design: Design) -> list[Finding]:
    findings: list[Finding] = []
    overrides = design.problem.rule_overrides
    for rule in rules_for(phase):
        override = overrides.get(rule.code)
        if override == "off":
            continue
        for hit in rule.check(design):
            severity = hit.severity or rule.severity
            if override and hit.severity is None:
                severity = Severity(override)
            findings.append(
                Finding(
                    code=rule.code,
                    severity=severity,
                    phase=phase,
                    field=hit.field,
                    message=hit.message,
                    why=rule.why,
                    hint=hit.hint,
                    fix=hit.fix,
                    arithmetic=hit.arithmetic,
                    field_phase=hit.field_phase,
                )
            )
    findings.sort(key=lambda f: f.severity.rank)
    return findings


def grade(design: Design) -> dict:
    """Check every ready phase that has answers; the grader's JSON report.

    A phase whose document is malformed reports its shape errors instead of findings.
    Every computed figure is a finite number or None, so the report is valid JSON.
    """
    report: dict = {"phases": {}}
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
                    **({"field_phase": f.field_phase} if f.field_phase else {}),
                    "message": f.message,
                }
                for f in findings
            ],
        }
    return report
