"""What the rules look at: one learner's answers to one problem, read once per check."""

from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class ProblemSpec:
    """The parts of a problem the rules use, independent of the database."""

    slug: str
    title: str = ""
    givens: dict = field(default_factory=dict)
    expectations: dict = field(default_factory=dict)

    def expect(self, phase: int) -> dict:
        """Expectations for one phase, e.g. ``expectations["phase1"]``."""
        return self.expectations.get(f"phase{phase}", {}) or {}

    @property
    def rule_overrides(self) -> dict[str, str]:
        """Per-problem severity changes: ``{"REQ-003": "off"}`` or ``{"REQ-011": "error"}``."""
        return self.expectations.get("rules", {}) or {}


class Design:
    """A learner's answers across phases. Each phase is parsed on first use.

    ``answers`` maps a phase number to its raw JSON document; phases not started are
    absent. A document must already have passed its phase's shape check.
    """

    def __init__(self, answers: dict[int, dict], problem: ProblemSpec):
        self.answers = {int(k): v for k, v in answers.items()}
        self.problem = problem
        self._memo: dict = {}

    def has(self, phase: int) -> bool:
        return phase in self.answers

    def memo(self, compute):
        """``compute(design)``, worked out once per design: for what several rules read."""
        if compute not in self._memo:
            self._memo[compute] = compute(self)
        return self._memo[compute]

    @cached_property
    def requirements(self):
        from phases import requirements

        return requirements.parse(self.answers.get(1) or {})

    @cached_property
    def estimate(self):
        from phases import estimation

        return estimation.parse(self.answers.get(2) or {})

    @cached_property
    def estimate_report(self) -> dict:
        """Phase 2's recomputation, computed once per check and shared by its rules."""
        from phases import estimation

        return estimation.report(self.estimate, self.problem.givens)

    @cached_property
    def data_model(self):
        from phases import data_model

        return data_model.parse(self.answers.get(3) or {})

    @cached_property
    def api(self):
        from phases import api

        return api.parse(self.answers.get(4) or {})

    @cached_property
    def architecture(self):
        from phases import architecture

        return architecture.parse(self.answers.get(5) or {})

    @cached_property
    def technology(self):
        from phases import technology

        return technology.parse(self.answers.get(6) or {})

    @cached_property
    def bottlenecks(self):
        from phases import bottlenecks

        return bottlenecks.parse(self.answers.get(7) or {})

    @cached_property
    def failure(self):
        from phases import failure

        return failure.parse(self.answers.get(8) or {})

    @cached_property
    def review(self):
        from phases import review

        return review.parse(self.answers.get(9) or {})

    @cached_property
    def capacity(self) -> dict:
        """Phase 7's capacity model, computed once per check and shared by its rules."""
        from phases import capacity

        return capacity.model(self)
