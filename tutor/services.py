"""Actions that change several rows at once. Views validate input and call one of these."""

import hashlib
import json
import logging
import os
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import (
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    transaction,
)
from django.db.models import Count, F, Q
from django.utils import timezone

from phases.corpus import samples
from phases.engine import variants
from phases.engine.answers import Documents, flatten
from phases.engine.design import Design, ProblemSpec
from phases.engine.engine import check_phase
from phases.engine.findings import Severity, phase_status
from phases.engine.registry import PHASES, PHASES_BY_NUMBER, RULES_BY_CODE
from phases.rendering import export
from tutor import lti
from tutor.celery import app as celery_app
from tutor.markdown import safe_markdown_source
from tutor.models import (
    Attempt,
    Dispute,
    Enrollment,
    Finding,
    Job,
    PhaseAnswer,
    Problem,
    ProblemSet,
    Report,
    dispute_key,
)

log = logging.getLogger(__name__)

# The database could not be reached (down, restarting, a dropped or timed-out
# connection): worth trying again later.
DATABASE_OUTAGES = (OperationalError, InterfaceError)
# The database was reached and refused the figures (PostgreSQL's JSON has no Infinity or
# NaN, nor a NUL character), or they could not be serialised at all: trying again
# gives the same answer.
UNSTORABLE = (DataError, IntegrityError, ValueError, TypeError)
OUTAGE_MESSAGE = "The database could not be reached; save again to retry."
UNSTORABLE_MESSAGE = (
    "its figures were worked out but could not be stored. "
    "Your answers are saved; this is a fault in the tutor, not in your work."
)


# The tasks (tutor/tasks.py, which imports this module) are published by name through
# the Celery app, so this module never imports them.
COMPUTE_REPORT = "tutor.tasks.compute_report"
REGRADE_PROBLEM = "tutor.tasks.regrade_problem"
SEND_GRADE = "tutor.tasks.send_grade"


def publish(task: str, args: list, what: str) -> bool:
    """Hand a task to the broker; False if the broker cannot take it.

    The broker's socket timeouts (settings) bound how long this can take, so a save
    answers within about a second even when Redis is down or silent.
    """
    try:
        celery_app.send_task(task, args=args)
    except Exception as exc:  # noqa: BLE001 - any broker failure means "do it here"
        log.warning("broker unavailable (%s); %s not published", exc, what)
        return False
    return True


def tasks_run_in_process() -> bool:
    """No broker configured (the embedded default): tasks run here, eagerly."""
    return bool(celery_app.conf.task_always_eager)


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
        seed = secrets.randbelow(2**31)
        attempt = Attempt.objects.create(
            learner=learner,
            problem=problem,
            problem_version=problem.version,
            seed=seed,
            givens=variants.draw(problem.givens, seed),
            expectations=problem.expectations,
        )
    return attempt


def join_problem_set_if_open(learner, problem_set: ProblemSet) -> None:
    if problem_set.is_open:
        Enrollment.objects.get_or_create(learner=learner, problem_set=problem_set)


def problem_spec(attempt: Attempt) -> ProblemSpec:
    """The problem as this attempt sees it: its own drawn givens and the expectations of
    the version it started on (or was last regraded to)."""
    problem = attempt.problem
    return ProblemSpec(
        slug=problem.slug,
        title=problem.title,
        givens=attempt.givens,
        expectations=attempt.expectations or problem.expectations,
    )


def design_for(attempt: Attempt, replace: dict[int, dict] | None = None) -> Design:
    """The attempt's design, each stored document decoded when a rule first reads it."""
    answers = stored_documents(attempt.answers.all())
    answers.update(replace or {})
    return Design(answers, problem_spec(attempt))


def stored_documents(answers: Iterable[PhaseAnswer]) -> Documents:
    """The answers' documents by phase, the empty ones left out, each read when used."""
    return Documents({a.phase: partial(_document, a) for a in answers if a.has_document()})


def _document(answer: PhaseAnswer) -> dict:
    return answer.data


def reference_design(problem: Problem) -> Design | None:
    """The problem's reference design: the sample it names as the reference
    (``reference: true``), on the givens drawn with that sample's seed. None when the
    problem names no reference sample."""
    sample = samples.reference_sample(problem.samples)
    if sample is None:
        return None
    spec = ProblemSpec(
        slug=problem.slug,
        title=problem.title,
        givens=problem.givens,
        expectations=problem.expectations,
    )
    return samples.sample_design(spec, sample)[0]


class SaveConflict(Exception):
    """The phase was saved by someone else (another tab) after this form was built."""

    def __init__(self, answer: PhaseAnswer):
        super().__init__(f"phase {answer.phase} is at revision {answer.revision}")
        self.answer = answer


@dataclass(frozen=True)
class SaveOutcome:
    """What a save did. ``already_saved``: the same form was submitted twice, so nothing
    was written. ``report``: the phase's background report as it stood once the save
    committed (None for a phase without one)."""

    answer: PhaseAnswer
    findings: list[Finding]
    already_saved: bool = False
    report: Report | None = None


def save_phase(
    attempt: Attempt, phase: int, data: dict, base_revision: int | None = None
) -> PhaseAnswer:
    """``save_and_check`` for callers that only want the stored answer."""
    return save_and_check(attempt, phase, data, base_revision).answer


def save_and_check(
    attempt: Attempt,
    phase: int,
    data: dict,
    base_revision: int | None = None,
    design: Design | None = None,
) -> SaveOutcome:
    """Store a phase's answers (already shape-checked), check them, store the findings.

    ``base_revision`` is the revision the learner's form was built from: the answer is
    updated only if it is still at that revision (an optimistic ``UPDATE ... WHERE
    revision = n``); otherwise ``SaveConflict`` is raised and nothing changes. One
    exception: when the stored data already equals ``data`` (the same form submitted
    twice), nothing is written and the outcome says ``already_saved``. Without
    ``base_revision`` the save is unconditional. ``design``: the attempt's design with
    ``data`` in place of the phase's stored answer, when the caller has built it.
    """
    answers = list(attempt.answers.all())  # prefetched by the views
    stored = next((a for a in answers if a.phase == phase), None)
    if base_revision is not None and stored is not None and stored.revision != base_revision:
        if stored.revision and stored.data == data:
            return _outcome(stored, list(stored.findings.order_by("position")), True)
        raise SaveConflict(stored)
    if base_revision and stored is None:  # the form knew a revision that is gone
        raise SaveConflict(PhaseAnswer(attempt=attempt, phase=phase))
    if design is None:
        design = Design(stored_documents(answers), problem_spec(attempt))
        design.answers[phase] = data
    checked = check_phase(phase, design)
    if stored is not None and base_revision is not None:
        in_place = _written_in_place(stored, data, checked, base_revision)
        if in_place is not None:
            return _outcome(stored, in_place, False)
    with transaction.atomic():
        answer, findings, already_saved = _store(
            attempt, phase, stored, data, checked, base_revision
        )
    return _outcome(answer, findings, already_saved)


def _written_in_place(
    stored: PhaseAnswer, data: dict, checked: list, base_revision: int
) -> list[Finding] | None:
    """The common save, in one statement: the check says what the stored findings say
    (their digest), so no finding is written, and the phase requests no report. Returns
    the findings, unsaved rows, with ``stored`` updated; None when this does not apply
    or the answer or its findings changed meanwhile (then ``_store`` decides)."""
    values = _stored_values(data, checked)
    same = stored.findings_digest and stored.findings_digest == values["findings_digest"]
    if not same or PHASES_BY_NUMBER[stored.phase].background:
        return None
    if not PhaseAnswer.objects.write_in_place(stored.pk, base_revision, values):
        return None
    for name, value in values.items():
        setattr(stored, name, value)
    stored.revision = base_revision + 1
    return _finding_rows(stored, checked)  # they say what the stored ones say: none written


def _stored_values(data: dict, checked: list) -> dict:
    """The columns a save writes on the answer, besides its revision."""
    now = timezone.now()
    return {
        "data": data,
        "schema_version": data.get("version", 1),
        "status": phase_status(checked),
        "checked_at": now,
        "updated_at": now,
        "findings_digest": findings_digest(checked),
    }


def _outcome(answer: PhaseAnswer, findings: list[Finding], already_saved: bool) -> SaveOutcome:
    """The outcome, with the report as it stands once the save has committed (its
    hook may have computed it already)."""
    report = None
    if PHASES_BY_NUMBER[answer.phase].background:
        report = Report.objects.filter(answer=answer).first()
    return SaveOutcome(answer, findings, already_saved, report)


def _store(
    attempt: Attempt,
    phase: int,
    stored: PhaseAnswer | None,
    data: dict,
    checked: list,
    base_revision: int | None,
) -> tuple[PhaseAnswer, list[Finding], bool]:
    """The writes of a save, inside its transaction: the answer on its revision, its
    findings if they changed, the attempt's clock, the report's request. Returns the
    answer, its findings, and whether it was already saved (nothing written)."""
    values = _stored_values(data, checked)
    now = values["updated_at"]
    if stored is None:
        try:
            with transaction.atomic():  # a concurrent first save wins the unique row
                answer = PhaseAnswer.objects.create(
                    attempt=attempt, phase=phase, revision=1, **values
                )
        except IntegrityError:
            current = PhaseAnswer.objects.get(attempt=attempt, phase=phase)
            if base_revision is None:  # unconditional: overwrite the winner's answer
                return _store(attempt, phase, current, data, checked, None)
            return _conflicting(current, data)
        findings = store_findings(answer, checked, previous=[])
    else:
        stored_digest = stored.findings_digest
        if base_revision is None:  # unconditional: whatever revision is stored now
            base_revision, stored_digest = (
                PhaseAnswer.objects.select_for_update()
                .values_list("revision", "findings_digest")
                .get(pk=stored.pk)
            )
        at_revision = PhaseAnswer.objects.filter(pk=stored.pk, revision=base_revision)
        # The digest read is trusted only if it is still the stored one: a regrade may have
        # replaced the findings (not the revision) since it was read.
        updated = at_revision.filter(findings_digest=stored_digest).update(
            revision=base_revision + 1, **values
        )
        if not updated:
            stored_digest = ""  # the findings are read and compared instead
            updated = at_revision.update(revision=base_revision + 1, **values)
        if not updated:  # saved meanwhile by another request
            latest = PhaseAnswer.objects.filter(pk=stored.pk).first()
            if latest is None:
                raise SaveConflict(PhaseAnswer(attempt=attempt, phase=phase))
            return _conflicting(latest, data)
        answer = stored
        for name, value in values.items():
            setattr(answer, name, value)
        answer.revision = base_revision + 1
        findings = store_findings(answer, checked, stored_digest=stored_digest)
    Attempt.objects.filter(pk=attempt.pk).update(updated_at=now)
    if PHASES_BY_NUMBER[phase].background:
        request_report(answer)
    return answer, findings, False


def _conflicting(current: PhaseAnswer, data: dict) -> tuple[PhaseAnswer, list[Finding], bool]:
    """A save that lost the race: the same data already stored, or a conflict."""
    if current.revision and current.data == data:
        return current, list(current.findings.order_by("position")), True
    raise SaveConflict(current)


def request_report(answer: PhaseAnswer) -> Report:
    """Mark the answer's report pending and hand it to a worker once the save commits."""
    report, _ = Report.objects.update_or_create(
        answer=answer,
        defaults={
            "revision": answer.revision,
            "status": Report.Status.PENDING,
            "data": {},
            "error": "",
            "computed_in": "",
            "runs": 0,
            "requested_at": timezone.now(),
            "completed_at": None,
        },
    )
    transaction.on_commit(lambda: enqueue_report(report.pk, answer.revision))
    return report


def publish_report(report_id: int, revision: int) -> bool:
    """Hand the report's task to the broker; False if the broker cannot take it."""
    return publish(COMPUTE_REPORT, [report_id, revision], f"report {report_id}")


def enqueue_report(report_id: int, revision: int, where: str = Report.Where.WEB) -> None:
    """Publish the task; if the broker cannot take it, compute here instead."""
    if tasks_run_in_process():
        compute_here(report_id, revision, Report.Where.INLINE)
    elif not publish_report(report_id, revision):
        compute_here(report_id, revision, where)


def compute_here(report_id: int, revision: int, where: str) -> None:
    """Run the report in this process, after the answer was stored: whatever happens
    to the report, the save that asked for it must still answer."""
    try:
        run_report(report_id, revision, where=where)
    except DATABASE_OUTAGES as exc:
        # The report stays pending; the stale-report recovery enqueues it again.
        log.warning("report %s left pending, the database is unreachable: %s", report_id, exc)


def run_report(report_id: int, revision: int, where: str) -> None:
    """Compute one report and store it. Running it twice stores the same row once.

    Connection-level database errors propagate (the task retries them); figures the
    database refuses mark the report failed at once, since retrying cannot help.
    """
    report = (
        Report.objects.select_related("answer__attempt__problem")
        .filter(pk=report_id, revision=revision)
        .first()
    )
    if report is None or report.status == Report.Status.DONE:
        return  # superseded by a newer save, or already done by an earlier delivery
    Report.objects.filter(pk=report_id, revision=revision).update(
        status=Report.Status.RUNNING, runs=F("runs") + 1
    )
    delay = int(os.environ.get("TUTOR_TEST_REPORT_DELAY_MS", "0"))
    if delay:  # lets a test kill a worker while it is inside a task
        time.sleep(delay / 1000)
    attempt = report.answer.attempt
    try:
        data = PHASES_BY_NUMBER[report.answer.phase].figures(design_for(attempt))
    except Exception as exc:  # noqa: BLE001 - a bug must show as a failed report
        log.exception("report %s could not be computed", report_id)
        fail_report(report_id, revision, f"The report could not be computed ({exc}).")
        return
    try:
        with transaction.atomic():  # a refused write leaves any outer transaction usable
            Report.objects.filter(pk=report_id, revision=revision).update(
                status=Report.Status.DONE,
                data=data,
                computed_in=where,
                error="",
                completed_at=timezone.now(),
            )
    except UNSTORABLE:
        log.exception("report %s: its figures could not be stored", report_id)
        fail_report(report_id, revision, UNSTORABLE_MESSAGE)


def fail_report(report_id: int, revision: int, message: str) -> None:
    Report.objects.filter(pk=report_id, revision=revision).update(
        status=Report.Status.FAILED, error=message, completed_at=timezone.now()
    )


# -- Recovering work whose worker died ------------------------------------------------------
#
# A worker killed whole (main process and pool) takes its message into Redis's unacked
# set, where it waits out the broker's visibility timeout (settings). Rather than wait,
# work left pending or running past REPORT_STALE_SECONDS is enqueued again: when the
# page polls for the report, and in a periodic sweep (Celery beat). A claim moves the
# row's clock to now in one UPDATE, so of several pollers and sweeps only one enqueues.

UNSETTLED = (Report.Status.PENDING, Report.Status.RUNNING)
SWEEP_LIMIT = 200  # reports handed back to the broker per sweep, oldest first
# With the broker gone, a sweep computes this many itself and leaves the rest to the
# next sweep: a worker must not spend itself computing a backlog inline.
SWEEP_COMPUTE_LIMIT = 5


def stale_before():
    return timezone.now() - timedelta(seconds=settings.REPORT_STALE_SECONDS)


def claim_stale_report(report_id: int, revision: int) -> bool:
    """Take a report that is still at ``revision`` and stale; False if it moved on (a
    newer save, finished, or claimed by another poll or sweep)."""
    return bool(
        Report.objects.filter(
            pk=report_id, revision=revision, status__in=UNSETTLED, requested_at__lt=stale_before()
        ).update(status=Report.Status.PENDING, requested_at=timezone.now())
    )


def recover_stale_report(report: Report) -> Report:
    """When the page polls: enqueue a report left pending or running past the bound
    again (computing it here if the broker is down). Returns the report as it now is."""
    if report.is_settled or report.requested_at >= stale_before():
        return report
    if not claim_stale_report(report.pk, report.revision):
        return report
    log.warning("report %s stale at revision %s; enqueued again", report.pk, report.revision)
    enqueue_report(report.pk, report.revision, where=Report.Where.WEB)
    return Report.objects.filter(pk=report.pk).first() or report


def recover_stale_reports(
    limit: int = SWEEP_LIMIT, compute_limit: int = SWEEP_COMPUTE_LIMIT
) -> int:
    """The periodic sweep: enqueue again the reports left pending or running past the
    bound, at most ``limit``. Returns how many it claimed."""
    stale = (
        Report.objects.filter(status__in=UNSETTLED, requested_at__lt=stale_before())
        .order_by("requested_at")
        .values_list("pk", "revision")[:limit]
    )
    eager = tasks_run_in_process()
    broker_down = False
    claimed = computed = 0
    for report_id, revision in stale:
        if computed >= compute_limit:
            log.warning("broker unreachable: other stale reports wait for the next sweep")
            break
        if not claim_stale_report(report_id, revision):
            continue  # moved on since the query
        claimed += 1
        if not (eager or broker_down) and publish_report(report_id, revision):
            continue
        broker_down = not eager
        compute_here(report_id, revision, Report.Where.INLINE if eager else Report.Where.WORKER)
        computed += 1
    if claimed:
        log.warning("enqueued %s stale reports again (%s computed here)", claimed, computed)
    return claimed


def recover_stale_jobs(limit: int = SWEEP_LIMIT) -> int:
    """Enqueue again the regrades that showed no progress for the bound. A regrade is
    never run inside the sweep: with the broker down it waits for the next one."""
    unsettled = (Job.Status.PENDING, Job.Status.RUNNING)
    claimed = 0
    stale = Job.objects.filter(status__in=unsettled, heartbeat_at__lt=stale_before())
    for job_id in stale.order_by("heartbeat_at").values_list("pk", flat=True)[:limit]:
        if not Job.objects.filter(
            pk=job_id, status__in=unsettled, heartbeat_at__lt=stale_before()
        ).update(status=Job.Status.PENDING, heartbeat_at=timezone.now()):
            continue
        claimed += 1
        if not publish_regrade(job_id):
            break
    if claimed:
        log.warning("enqueued %s stale regrades again", claimed)
    return claimed


# -- Scores, finishing, export --------------------------------------------------------------

ERROR_COST = 20
WARNING_COST = 5


def phase_score(status: str, errors: int, warnings: int) -> int:
    """A phase's score out of 100: 0 not started, 100 passed, else minus 20 per error and
    5 per warning (never below 0). Shown once the attempt is finished."""
    if status == PhaseAnswer.Status.NOT_STARTED:
        return 0
    return max(0, 100 - ERROR_COST * errors - WARNING_COST * warnings)


def phase_scores(attempt: Attempt) -> list[dict]:
    """Each phase's state, finding counts and score, with one query."""
    answers = {
        a.phase: a
        for a in attempt.answers.annotate(
            errors=Count("findings", filter=Q(findings__severity="error")),
            warnings=Count("findings", filter=Q(findings__severity="warning")),
        )
    }
    rows = []
    for phase in PHASES:
        answer = answers.get(phase.number)
        status = answer.status if answer else PhaseAnswer.Status.NOT_STARTED
        errors = answer.errors if answer else 0
        warnings = answer.warnings if answer else 0
        rows.append(
            {
                "phase": phase,
                "status": status,
                "errors": errors,
                "warnings": warnings,
                "score": phase_score(status, errors, warnings),
            }
        )
    return rows


def overall_score(scores: Sequence[int]) -> int:
    """An attempt's score out of 100 from its nine phase scores: their mean, rounded. One
    definition for the gradebook and for what an LMS line item receives."""
    return round(sum(scores) / len(scores))


def attempt_score(attempt: Attempt) -> int:
    return overall_score([row["score"] for row in phase_scores(attempt)])


def finish_attempt(attempt: Attempt) -> None:
    if not attempt.is_finished:
        attempt.finish()
        queue_grades(attempt)


def queue_grades(attempt: Attempt) -> None:
    """Owe the attempt's score to the LMS line items it counts for (tutor/lti.py): the
    rows are written now, the sending waits for the commit."""
    for grade_id in lti.record_grades(attempt, attempt_score(attempt)):
        transaction.on_commit(partial(enqueue_grade, grade_id))


def enqueue_grade(grade_id: int) -> None:
    """Send a grade in the background. With no broker configured, one try here; with the
    broker down, nothing: the grade stays pending and the sweep enqueues it later."""
    if tasks_run_in_process():
        lti.send_grade(grade_id)
    else:
        publish(SEND_GRADE, [grade_id], f"grade {grade_id}")


def export_markdown(attempt: Attempt, findings_elsewhere: int | None = None) -> str:
    """The whole design as one Markdown document (phases/rendering/export.py).
    ``findings_elsewhere``: the phase whose findings the page showing it lists already."""
    finished = attempt.is_finished
    show_scores = finished and attempt.problem.problem_set.release_scores
    scores = {row["phase"].number: row["score"] for row in phase_scores(attempt)}
    return export.markdown(
        design_for(attempt),
        title=f"{attempt.problem.title}: a design by {attempt.learner.username}",
        meta={
            "finished": finished,
            "scores": scores if show_scores else {},
            "learner": attempt.learner.username,
            "problem": safe_markdown_source(attempt.problem.statement),
            "started": attempt.started_at.date().isoformat(),
            **({"findings_elsewhere": findings_elsewhere} if findings_elsewhere else {}),
        },
    )


# -- Instructors: regrading -----------------------------------------------------------------


def _finding_key(finding) -> tuple:
    """What a finding says, stored or just found: equal keys need no new row."""
    severity = getattr(finding.severity, "value", finding.severity)
    return (
        finding.code,
        severity,
        finding.field,
        finding.message,
        finding.why,
        finding.hint,
        finding.fix,
        finding.arithmetic,
        finding.field_phase,
    )


def findings_digest(findings) -> str:
    """What a list of findings says (stored or just found), in 32 characters."""
    keys = json.dumps([_finding_key(f) for f in findings]).encode()
    return hashlib.blake2b(keys, digest_size=16).hexdigest()


def _finding_rows(answer: PhaseAnswer, findings) -> list[Finding]:
    """A check's findings as the answer's rows, unsaved, in their order."""
    return [
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
            field_phase=f.field_phase,
            position=position,
        )
        for position, f in enumerate(findings)
    ]


def store_findings(
    answer: PhaseAnswer,
    findings,
    previous: list[Finding] | None = None,
    stored_digest: str = "",
) -> list[Finding]:
    """Store a check's findings in place of the answer's previous ones, unless they say
    the same; return the findings as rows. ``previous``: the stored ones, when known.
    ``stored_digest``: the digest stored with them, when known: then nothing is read,
    and if it equals the check's nothing is written (the rows returned are unsaved)."""
    rows = _finding_rows(answer, findings)
    if stored_digest:  # what is stored is known without reading it
        if stored_digest == findings_digest(findings):
            return rows
        Finding.objects.filter(answer=answer).delete()
        return Finding.objects.bulk_create(rows)
    if previous is None:
        previous = list(Finding.objects.filter(answer=answer).order_by("position"))
    if [_finding_key(f) for f in previous] == [_finding_key(f) for f in findings]:
        return previous
    if previous:
        Finding.objects.filter(answer=answer).delete()
    return Finding.objects.bulk_create(rows)


def recheck_answer(attempt: Attempt, answer: PhaseAnswer, design: Design) -> None:
    """Check stored answers again (after the problem changed); the answers stay as typed."""
    findings = check_phase(answer.phase, design)
    stored_digest = answer.findings_digest
    answer.status = phase_status(findings)
    answer.checked_at = timezone.now()
    answer.findings_digest = findings_digest(findings)
    answer.save(update_fields=["status", "checked_at", "updated_at", "findings_digest"])
    store_findings(answer, findings, stored_digest=stored_digest)
    if PHASES_BY_NUMBER[answer.phase].background:
        request_report(answer)


def start_regrade(problem: Problem, user) -> Job:
    job = Job.objects.create(problem=problem, requested_by=user, total=problem.attempts.count())
    transaction.on_commit(lambda: enqueue_regrade(job.pk))
    return job


def publish_regrade(job_id: int) -> bool:
    return publish(REGRADE_PROBLEM, [job_id], f"regrade job {job_id}")


def enqueue_regrade(job_id: int) -> None:
    if tasks_run_in_process() or not publish_regrade(job_id):
        run_regrade(job_id)  # no broker, or it is down: do it here


def run_regrade(job_id: int) -> None:
    """Move every attempt of the problem to its current version and check it again.

    Safe to run twice: each attempt ends in the same state, and progress is recounted.
    """
    job = Job.objects.select_related("problem").get(pk=job_id)
    problem = job.problem
    attempts = list(problem.attempts.prefetch_related("answers"))
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.RUNNING, total=len(attempts), done=0, heartbeat_at=timezone.now()
    )
    for done, attempt in enumerate(attempts, start=1):
        with transaction.atomic():
            attempt.expectations = problem.expectations
            attempt.problem_version = problem.version
            attempt.save(update_fields=["expectations", "problem_version", "updated_at"])
            design = design_for(attempt)
            for answer in attempt.answers.all():
                recheck_answer(attempt, answer, design)
            if attempt.is_finished:
                queue_grades(attempt)  # the LMS gets the new score, if it changed
        Job.objects.filter(pk=job_id).update(done=done, heartbeat_at=timezone.now())
    Job.objects.filter(pk=job_id).update(status=Job.Status.DONE, finished_at=timezone.now())


def rules_tripped_most(learner, limit: int = 5) -> list[dict]:
    """The rules a learner trips most often across all their attempts: what to drill."""
    rows = (
        Finding.objects.filter(answer__attempt__learner=learner)
        .exclude(severity="pass")
        .values("code")
        .annotate(times=Count("id"), attempts=Count("answer__attempt", distinct=True))
        .order_by("-times", "code")[:limit]
    )
    return [
        {**row, "title": RULES_BY_CODE[row["code"]].title if row["code"] in RULES_BY_CODE else ""}
        for row in rows
    ]


# -- Disputes -------------------------------------------------------------------------------

# The most [path, text] pairs of the answer a dispute quotes for the instructor.
DISPUTE_EXCERPT_ROWS = 40


class DisputeGone(Exception):
    """The finding is not among the answer's findings now (it was saved again since)."""


@dataclass(frozen=True)
class DisputeOutcome:
    """What disputing did. ``created``: False when an open dispute of the same finding
    was there already and its reason was replaced."""

    dispute: Dispute
    created: bool


def finding_dispute_key(finding: Finding) -> str:
    return dispute_key(finding.code, finding.field, finding.field_phase, finding.message)


def disputable_finding(answer: PhaseAnswer, key: str) -> Finding:
    """The answer's stored finding with this dispute key; passes are not disputable."""
    for finding in answer.findings.exclude(severity=Severity.PASS.value).order_by("position"):
        if finding_dispute_key(finding) == key:
            return finding
    raise DisputeGone(key)


def dispute_finding(
    attempt: Attempt, answer: PhaseAnswer, finding: Finding, reason: str
) -> DisputeOutcome:
    """The learner says a finding of their answer is wrong, and why.

    Stored with the answer's revision, a copy of the finding and of the disputed field's
    values. A finding has at most one open dispute: disputing it again replaces the
    reason (and moves the dispute to the answer's current revision), as a learner who
    adds to what they said expects. ``finding``: from ``disputable_finding``.
    """
    key = finding_dispute_key(finding)
    values = {
        "revision": answer.revision,
        "reason": reason,
        "excerpt": _excerpt(attempt, answer, finding),
    }
    with transaction.atomic():
        dispute = _reopened(answer, key, values)
        if dispute is not None:
            return DisputeOutcome(dispute, created=False)
        try:
            with transaction.atomic():  # the same finding disputed twice at once
                dispute = Dispute.objects.create(
                    answer=answer,
                    learner=attempt.learner,
                    code=finding.code,
                    severity=finding.severity,
                    field=finding.field,
                    field_phase=finding.field_phase,
                    message=finding.message,
                    finding_key=key,
                    **values,
                )
        except IntegrityError:
            dispute = _reopened(answer, key, values)
            if dispute is None:  # created and settled meanwhile: not worth a loop
                raise
            return DisputeOutcome(dispute, created=False)
    return DisputeOutcome(dispute, created=True)


def _reopened(answer: PhaseAnswer, key: str, values: dict) -> Dispute | None:
    """The finding's open dispute with the new reason, or None if it has none."""
    dispute = (
        Dispute.objects.select_for_update()
        .filter(answer=answer, finding_key=key, verdict=Dispute.Verdict.OPEN)
        .first()
    )
    if dispute is not None:
        for name, value in values.items():
            setattr(dispute, name, value)
        dispute.save(update_fields=[*values, "updated_at"])
    return dispute


def _excerpt(attempt: Attempt, answer: PhaseAnswer, finding: Finding) -> list[list[str]]:
    """The disputed field's values as [path, text] pairs (every field of the phase when
    the finding is about the whole phase), from the phase the field is in."""
    phase = finding.field_phase or answer.phase
    if phase == answer.phase:
        document = answer.data
    else:
        document = next((a.data for a in attempt.answers.all() if a.phase == phase), {})
    field = finding.field
    rows = [
        [path, text]
        for path, text in flatten(document or {}).items()
        if path != "version"
        and (not field or path == field or path.startswith((f"{field}.", f"{field}[")))
    ]
    return rows[:DISPUTE_EXCERPT_ROWS]


def decide_dispute(dispute: Dispute, instructor, verdict: str, reply: str) -> Dispute:
    """An instructor settles a dispute (or changes their decision); the learner sees the
    verdict and the reply on the phase page."""
    dispute.verdict = verdict
    dispute.reply = reply
    dispute.decided_by = instructor
    dispute.decided_at = timezone.now()
    dispute.save(update_fields=["verdict", "reply", "decided_by", "decided_at", "updated_at"])
    return dispute
