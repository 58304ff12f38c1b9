"""A problem set's gradebook: one row per enrolled learner, a group of columns per problem.

For courses without a learning management system: the instructor downloads it as CSV
(``views_cohort.gradebook``) and pastes it into whatever keeps their grades.

For each learner and problem the attempt that counts is the newest finished one, else the
newest in progress (its scores can still change: the state column says so). A problem's
score is the mean of its nine phase scores (``services.phase_score``), rounded to a whole
number out of 100. Three queries whatever the number of learners: the enrolments, the
attempts that count, and their answers' finding counts.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When

from phases.engine.registry import PHASES
from tutor.models import Attempt, Enrollment, PhaseAnswer, Problem, ProblemSet
from tutor.services import overall_score, phase_score

STATE_LABELS: dict[str | None, str] = {
    None: "not started",
    Attempt.State.IN_PROGRESS: "in progress",
    Attempt.State.FINISHED: "finished",
}
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Counted:
    """The attempt that counts for one learner and problem."""

    attempt_id: int
    state: str
    finished_at: datetime.datetime | None
    phase_scores: tuple[int, ...]

    @property
    def score(self) -> int:
        return overall_score(self.phase_scores)


def header(problems: list[Problem]) -> list[str]:
    columns = ["Learner", "Name"]  # the account, and the name an LMS gave it
    for problem in problems:
        columns += [f"{problem.title}: state", f"{problem.title}: score"]
        columns += [f"{problem.title}: phase {phase.number}" for phase in PHASES]
        columns += [f"{problem.title}: finished (UTC)", f"{problem.title}: attempt"]
    return columns


def rows(problem_set: ProblemSet, problems: list[Problem], link) -> Iterator[list[str]]:
    """The rows under ``header``; ``link(attempt_id)`` gives an attempt's address."""
    enrolled = Enrollment.objects.filter(problem_set=problem_set).order_by(
        "learner__username", "pk"
    )
    learners = list(
        enrolled.values_list(
            "learner_id", "learner__username", "learner__first_name", "learner__last_name"
        )
    )
    counted = _counted(problem_set, [learner_id for learner_id, *_ in learners])
    for learner_id, username, first_name, last_name in learners:
        row = [username, f"{first_name} {last_name}".strip()]
        for problem in problems:
            found = counted.get((learner_id, problem.pk))
            if found is None:
                row += [STATE_LABELS[None]] + [""] * (len(PHASES) + 3)
                continue
            finished = (
                found.finished_at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M")
                if found.finished_at
                else ""
            )
            row += [STATE_LABELS[found.state], str(found.score)]
            row += [str(score) for score in found.phase_scores]
            row += [finished, link(found.attempt_id)]
        yield [_inert(cell) for cell in row]


def _counted(problem_set: ProblemSet, learner_ids: list[int]) -> dict[tuple[int, int], Counted]:
    finished_first = Case(
        When(state=Attempt.State.FINISHED, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    best = (
        Attempt.objects.filter(learner=OuterRef("learner"), problem=OuterRef("problem"))
        .annotate(finished_first=finished_first)
        .order_by("finished_first", "-finished_at", "-updated_at", "-pk")
    )
    chosen = Attempt.objects.filter(
        problem__problem_set=problem_set,
        learner_id__in=learner_ids,
        pk=Subquery(best.values("pk")[:1]),
    )
    answers: dict[int, dict[int, int]] = defaultdict(dict)
    counts = (
        PhaseAnswer.objects.filter(attempt__in=chosen)
        .annotate(
            errors=Count("findings", filter=Q(findings__severity="error")),
            warnings=Count("findings", filter=Q(findings__severity="warning")),
        )
        .values_list("attempt_id", "phase", "status", "errors", "warnings")
    )
    for attempt_id, number, status, errors, warnings in counts:
        answers[attempt_id][number] = phase_score(status, errors, warnings)
    return {
        (learner_id, problem_id): Counted(
            attempt_id=pk,
            state=state,
            finished_at=finished_at,
            phase_scores=tuple(answers[pk].get(phase.number, 0) for phase in PHASES),
        )
        for pk, learner_id, problem_id, state, finished_at in chosen.values_list(
            "pk", "learner_id", "problem_id", "state", "finished_at"
        )
    }


def _inert(cell: str) -> str:
    """A cell a spreadsheet shows as typed: a leading quote keeps "=…" from running."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell
