"""Background tasks: thin wrappers over services, taking ids, safe to run twice.

Services publish them by name (``services.COMPUTE_REPORT``...) through the Celery app,
so this module imports services and never the other way round.

Database errors are told apart: a connection-level error (the database down,
restarting, a dropped or timed-out connection) is retried with capped, jittered
backoff and then reported as an outage; any other database error (the database was
reached and refused the write) fails at once, since retrying gives the same answer.
"""

import logging
import random

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from tutor import lti, services
from tutor.models import Job

log = logging.getLogger(__name__)

MAX_RETRIES = 4
# Waits are at most 1, 2, 4 and 8 s: 15 s in all, plus five tries, each bounded by the
# database timeouts in settings. REPORT_STALE_SECONDS must stay above that total.
RETRY_BACKOFF_CAP = 8.0


def backoff_with_jitter(retries: int, base: float = 1.0, cap: float = 30.0) -> float:
    """Full jitter: a random wait up to base × 2^retries, so retries do not stampede."""
    return random.uniform(0, min(cap, base * 2**retries))


@shared_task(name=services.COMPUTE_REPORT, bind=True, max_retries=MAX_RETRIES, acks_late=True)
def compute_report(self, report_id: int, revision: int) -> None:
    try:
        services.run_report(report_id, revision, where="worker")
    except services.DATABASE_OUTAGES as exc:
        if self.request.retries >= self.max_retries:
            log.warning("report %s failed after %s retries: %s", report_id, self.max_retries, exc)
            services.fail_report(report_id, revision, services.OUTAGE_MESSAGE)
            return
        countdown = backoff_with_jitter(self.request.retries, cap=RETRY_BACKOFF_CAP)
        raise self.retry(exc=exc, countdown=countdown) from exc
    except DatabaseError:
        # Reached and refused (run_report already handles refused figures): no retry.
        log.exception("report %s: the database refused a write", report_id)
        services.fail_report(report_id, revision, services.UNSTORABLE_MESSAGE)


@shared_task(name=services.REGRADE_PROBLEM, bind=True, max_retries=MAX_RETRIES, acks_late=True)
def regrade_problem(self, job_id: int) -> None:
    try:
        services.run_regrade(job_id)
    except services.DATABASE_OUTAGES as exc:
        if self.request.retries >= self.max_retries:
            Job.objects.filter(pk=job_id).update(
                status=Job.Status.FAILED, message="The database could not be reached."
            )
            return
        countdown = backoff_with_jitter(self.request.retries, cap=RETRY_BACKOFF_CAP)
        raise self.retry(exc=exc, countdown=countdown) from exc
    except DatabaseError:
        log.exception("regrade job %s: the database refused a write", job_id)
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED, message="The database refused to store the regrade."
        )


# Retried with jittered backoff up to 5 minutes apart; lti.send_grade counts the tries
# and marks the grade failed after LTI_GRADE_TRIES of them. A lost task leaves the grade
# pending, and the sweep below enqueues it again.
@shared_task(
    name=services.SEND_GRADE, bind=True, max_retries=settings.LTI_GRADE_TRIES, acks_late=True
)
def send_grade(self, grade_id: int) -> None:
    if not lti.send_grade(grade_id):
        countdown = backoff_with_jitter(self.request.retries, base=5.0, cap=300.0)
        raise self.retry(countdown=countdown)


# Not acks_late: a sweep lost with its worker is simply the next one, a few seconds on.
@shared_task(acks_late=False)
def recover_stale_work() -> None:
    """Run by Celery beat: enqueue again reports, regrades and grades whose worker died
    (or whose broker was down when they were due)."""
    services.recover_stale_reports()
    services.recover_stale_jobs()
    for grade_id in lti.stale_grades():
        services.enqueue_grade(grade_id)
