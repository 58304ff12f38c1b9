"""Actions that change several rows at once. Views validate input and call one of these."""

from django.db import transaction
from django.utils import timezone

from phases.design import Design, ProblemSpec
from phases.engine import check_phase
from phases.findings import phase_status
from tutor.models import Attempt, Enrollment, Finding, PhaseAnswer, Problem, ProblemSet


class JoinError(ValueError):
    pass


def join_problem_set(learner, problem_set: ProblemSet, code: str = "") -> Enrollment:
    """Enrol a learner: open sets need no code, closed ones need the right one."""
    if not problem_set.is_open and code.strip().upper() != problem_set.join_code:
        raise JoinError("That join code does not match this problem set.")
    enrollment, _ = Enrollment.objects.get_or_create(learner=learner, problem_set=problem_set)
    return enrollment


def start_attempt(learner, problem: Problem) -> Attempt:
    """Continue the learner's unfinished attempt at this problem, or start one."""
    join_problem_set_if_open(learner, problem.problem_set)
    attempt = (
        Attempt.objects.filter(learner=learner, problem=problem, state=Attempt.State.IN_PROGRESS)
        .order_by("-started_at")
        .first()
    )
    if attempt is None:
        attempt = Attempt.objects.create(
            learner=learner,
            problem=problem,
            problem_version=problem.version,
            givens=problem.givens,
        )
    return attempt


def join_problem_set_if_open(learner, problem_set: ProblemSet) -> None:
    if problem_set.is_open:
        Enrollment.objects.get_or_create(learner=learner, problem_set=problem_set)


def problem_spec(attempt: Attempt) -> ProblemSpec:
    problem = attempt.problem
    return ProblemSpec(
        slug=problem.slug,
        title=problem.title,
        givens=attempt.givens,
        expectations=problem.expectations,
    )


def design_for(attempt: Attempt, replace: dict[int, dict] | None = None) -> Design:
    answers = {a.phase: a.data for a in attempt.answers.all() if a.data}
    answers.update(replace or {})
    return Design(answers, problem_spec(attempt))


@transaction.atomic
def save_phase(attempt: Attempt, phase: int, data: dict) -> PhaseAnswer:
    """Store a phase's answers (already shape-checked), check them, store the findings."""
    design = design_for(attempt, replace={phase: data})
    findings = check_phase(phase, design)
    answer, _ = PhaseAnswer.objects.select_for_update().get_or_create(attempt=attempt, phase=phase)
    answer.data = data
    answer.schema_version = data.get("version", 1)
    answer.status = phase_status(findings)
    answer.revision += 1
    answer.checked_at = timezone.now()
    answer.save()
    answer.findings.all().delete()
    Finding.objects.bulk_create(
        Finding(
            answer=answer,
            code=f.code,
            severity=f.severity.value,
            field=f.field,
            message=f.message,
            why=f.why,
            hint=f.hint,
            fix=f.fix,
            arithmetic=f.arithmetic,
            position=position,
        )
        for position, f in enumerate(findings)
    )
    Attempt.objects.filter(pk=attempt.pk).update(updated_at=timezone.now())
    return answer
