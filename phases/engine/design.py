"""What the rules look at: one learner's answers to one problem, read once per check.

A ``Design`` parses each phase on first use and checks each phase once: ``findings(n)``
runs phase n's rules and keeps their findings, so a rule that reads another phase's
results (phase 9's checklist reads phases 1 to 8) reads them here, already worked out
when the engine has checked those phases first, and never calls the engine back.
"""

from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar, cast

from phases import (
    api,
    architecture,
    bottlenecks,
    capacity,
    checklist,
    data_model,
    estimation,
    failure,
    requirements,
    review,
    technology,
)
from phases.api import Api
from phases.architecture import Architecture
from phases.bottlenecks import Bottlenecks
from phases.capacity import CapacityModel
from phases.checklist import ChecklistItem
from phases.data_model import DataModel
from phases.engine.answers import JSON, Documents, flatten
from phases.engine.findings import Finding, Severity, capped
from phases.engine.registry import rules_for
from phases.estimation import Estimate, EstimateReport
from phases.failure import Failure
from phases.requirements import Requirements
from phases.review import Review
from phases.technology import Technologies

_T = TypeVar("_T")


@dataclass(frozen=True)
class ProblemSpec:
    """The parts of a problem the rules use, independent of the database."""

    slug: str
    title: str = ""
    givens: JSON = field(default_factory=dict)
    expectations: JSON = field(default_factory=dict)

    def expect(self, phase: int) -> JSON:
        """Expectations for one phase, e.g. ``expectations["phase1"]``."""
        expected: JSON = self.expectations.get(f"phase{phase}", {}) or {}
        return expected

    @property
    def rule_overrides(self) -> dict[str, str]:
        """Per-problem severity changes: ``{"REQ-003": "off"}`` or ``{"REQ-011": "error"}``."""
        overrides: dict[str, str] = self.expectations.get("rules", {}) or {}
        return overrides


class Design:
    """A learner's answers across phases. Each phase is parsed on first use.

    ``answers`` maps a phase number to its raw JSON document; phases not started are
    absent. A document must already have passed its phase's shape check.
    """

    def __init__(self, answers: Mapping[int, JSON], problem: ProblemSpec):
        self.answers: MutableMapping[int, JSON] = (
            answers  # read as the rules ask (a stored attempt's answers)
            if isinstance(answers, Documents)
            else {int(k): v for k, v in answers.items()}
        )
        self.problem = problem
        self._memo: dict[Callable[[Design], object], object] = {}
        self._findings: dict[int, list[Finding]] = {}

    def has(self, phase: int) -> bool:
        return phase in self.answers

    def put(self, phase: int, document: JSON, parsed: object) -> None:
        """Phase ``phase``'s answer replaced, before anything has read it, by ``document``
        and ``parsed``, its parse (a save has parsed it to check its shape: it is not
        parsed again)."""
        attribute = _PARSED[phase]
        # Another phase's parse may have been read (phase 1's requirements offer the
        # choices of a phase 3 form); its own, or anything worked out across phases, not.
        stale = [k for k in (attribute, *_ACROSS_PHASES) if k in self.__dict__]
        if stale or self._memo or self._findings:
            raise RuntimeError(f"phase {phase} was put after the design read {stale}")
        self.answers[phase] = document
        self.__dict__[attribute] = parsed

    def memo(self, compute: Callable[["Design"], _T]) -> _T:
        """``compute(design)``, worked out once per design: for what several rules read."""
        if compute not in self._memo:
            self._memo[compute] = compute(self)
        return cast(_T, self._memo[compute])

    def findings(self, phase: int) -> list[Finding]:
        """Every finding for one phase, most serious first, ties kept in rule order.

        Worked out once per design (the review checklist reads phases 1 to 8 again after
        ``grade`` or the export has checked them); each caller gets a fresh list of the
        same frozen findings. A shape error is raised again on every call, not kept.
        """
        if phase not in self._findings:
            self._findings[phase] = _run_rules(phase, self)
        return list(self._findings[phase])

    def checklist(self) -> list[ChecklistItem]:
        """Phase 9's checklist of properties, read from the other phases' results."""
        return checklist.evaluate(self)

    @cached_property
    def everything_said(self) -> tuple[str, ...]:
        """Every text of every phase answered, as typed: the rules that ask about what a
        design leaves out (nothing deletes expired data) stay quiet when it is said
        anywhere."""
        return tuple(
            text for _number, doc in sorted(self.answers.items()) for text in flatten(doc).values()
        )

    @cached_property
    def requirements(self) -> Requirements:
        return requirements.parse(self.answers.get(1) or {})

    @cached_property
    def estimate(self) -> Estimate:
        return estimation.parse(self.answers.get(2) or {})

    @cached_property
    def estimate_report(self) -> EstimateReport:
        """Phase 2's recomputation, computed once per check and shared by its rules."""
        return estimation.report(self.estimate, self.problem.givens)

    @cached_property
    def data_model(self) -> DataModel:
        return data_model.parse(self.answers.get(3) or {})

    @cached_property
    def api(self) -> Api:
        return api.parse(self.answers.get(4) or {})

    @cached_property
    def architecture(self) -> Architecture:
        return architecture.parse(self.answers.get(5) or {})

    @cached_property
    def technology(self) -> Technologies:
        return technology.parse(self.answers.get(6) or {})

    @cached_property
    def bottlenecks(self) -> Bottlenecks:
        return bottlenecks.parse(self.answers.get(7) or {})

    @cached_property
    def failure(self) -> Failure:
        return failure.parse(self.answers.get(8) or {})

    @cached_property
    def review(self) -> Review:
        return review.parse(self.answers.get(9) or {})

    @cached_property
    def capacity(self) -> CapacityModel:
        """Phase 7's capacity model, computed once per check and shared by its rules."""
        return capacity.model(self)


# What a Design works out from several phases at once.
_ACROSS_PHASES = ("estimate_report", "capacity", "everything_said")
# Each phase's parse, as the Design attribute that keeps it.
_PARSED = {
    1: "requirements",
    2: "estimate",
    3: "data_model",
    4: "api",
    5: "architecture",
    6: "technology",
    7: "bottlenecks",
    8: "failure",
    9: "review",
}


def _run_rules(phase: int, design: Design) -> list[Finding]:
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
            # Severity follows evidence: a reading of prose, or a verdict resting on a
            # figure the learner never stated, is at most a warning, whatever the override.
            severity = capped(severity, hit.evidence or rule.evidence, hit.assumes, hit.margin)
            message = hit.message
            if hit.assumes:
                message += f" This rests on {hit.assumes}."
            findings.append(
                Finding(
                    code=rule.code,
                    severity=severity,
                    phase=phase,
                    field=hit.field,
                    message=message,
                    why=rule.why,
                    hint=hit.hint,
                    fix=hit.fix,
                    arithmetic=hit.arithmetic,
                    field_phase=hit.field_phase,
                )
            )
    findings.sort(key=lambda f: f.severity.rank)
    return findings
