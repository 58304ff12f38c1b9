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
