"""What a rule says about an answer."""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    PASS = "pass"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def rank(self) -> int:
        """Lower is more serious; used to sort findings."""
        return list(Severity).index(self)


class Evidence(StrEnum):
    """What a rule's verdict rests on; only the first three may make it an error.

    * ``computed``: arithmetic or a capacity worked out from the learner's own numbers;
    * ``structural``: a fact of the design (four app servers and no load balancer; a
      path through a component the design does not declare);
    * ``contradiction``: two of the learner's own answers disagree;
    * ``textual``: word counts, keywords, phrasing. A reading of prose can be wrong, so
      a textual finding is at most a warning and asks rather than asserts.
    """

    COMPUTED = "computed"
    STRUCTURAL = "structural"
    CONTRADICTION = "contradiction"
    TEXTUAL = "textual"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def may_be_error(self) -> bool:
        return self is not Evidence.TEXTUAL


# The tutor's reference figures are the cautious ends of ranges about two wide (a
# relational primary takes 5,000 to 10,000 writes/s): a verdict on them that a figure
# within this factor would reverse is a note, not a warning.
REFERENCE_SPREAD = 2.0


def capped(
    severity: Severity, evidence: Evidence, assumes: str = "", margin: float | None = None
) -> Severity:
    """The severity a finding may have on this evidence: textual findings, and verdicts
    resting on a figure the learner did not state, are at most warnings; and such a
    verdict whose ``margin`` (how many times past its threshold it is) is within the
    reference figures' own spread is at most a note."""
    if (
        assumes
        and margin is not None
        and margin < REFERENCE_SPREAD
        and severity in (Severity.ERROR, Severity.WARNING)
    ):
        return Severity.INFO
    if severity is Severity.ERROR and (not evidence.may_be_error or assumes):
        return Severity.WARNING
    return severity


@dataclass(frozen=True)
class Hit:
    """What a rule function yields: the specifics of one occurrence.

    The engine turns it into a :class:`Finding` by adding the rule's code, phase,
    severity (unless the hit overrides it) and the principle behind the rule.
    """

    field: str
    message: str
    hint: str = ""
    fix: str = ""
    arithmetic: str = ""
    severity: Severity | None = None
    # The phase the field belongs to, when a rule points across phases (a phase 3 rule
    # about a phase 1 requirement); None means the rule's own phase.
    field_phase: int | None = None
    # The kind of evidence this hit rests on, when it differs from the rule's (a rule
    # that reports an empty part structurally and a part that only repeats the question
    # textually); None means the rule's own.
    evidence: Evidence | None = None
    # The figure a verdict rests on that the learner did not state (the tutor's reference
    # capacity of an app server), and where to state their own: "2,000 requests/s per app
    # server, the tutor's reference figure; state your own in phase 5". Such a verdict is
    # at most a warning, and its message says so.
    assumes: str = ""
    # For a verdict resting on such figures: how many times past its threshold the deciding
    # figure is (a load 1.4x a capacity: 1.4; a headroom of 0.72 against 1: 1.39). Within
    # REFERENCE_SPREAD the verdict is only a note. None: not measured.
    margin: float | None = None


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    phase: int
    field: str
    message: str
    why: str = ""
    hint: str = ""
    fix: str = ""
    arithmetic: str = ""
    field_phase: int | None = None

    def as_dict(self) -> dict[str, str | int]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "phase": self.phase,
            "field": self.field,
            "field_phase": self.field_phase or self.phase,
            "message": self.message,
            "why": self.why,
            "hint": self.hint,
            "fix": self.fix,
            "arithmetic": self.arithmetic,
        }


class Graded(Protocol):
    """What ``phase_status`` reads of a finding: its severity."""

    @property
    def severity(self) -> Severity: ...


def phase_status(findings: Iterable[Graded]) -> str:
    """The phase's state from its findings: errors, warnings or passed.

    Errors block a phase from counting as passed; info and pass findings never do.
    """
    severities = {f.severity for f in findings}
    if Severity.ERROR in severities:
        return "errors"
    if Severity.WARNING in severities:
        return "warnings"
    return "passed"
