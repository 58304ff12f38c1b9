"""Background tasks: thin wrappers over services, taking ids, safe to run twice."""

import logging
import random

from celery import shared_task
from django.db import DatabaseError

from tutor import services

log = logging.getLogger(__name__)

MAX_RETRIES = 4


def backoff_with_jitter(retries: int, base: float = 1.0, cap: float = 30.0) -> float:
    """Full jitter: a random wait up to base × 2^retries, so retries do not stampede."""
    return random.uniform(0, min(cap, base * 2**retries))


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def compute_report(self, report_id: int, revision: int) -> None:
    try:
        services.run_report(report_id, revision, where="worker")
    except DatabaseError as exc:
        # Transient (the database restarting, a dropped connection): try again later.
        if self.request.retries >= self.max_retries:
            log.warning("report %s failed after %s retries: %s", report_id, self.max_retries, exc)
            services.fail_report(
                report_id, revision, "The database could not be reached; save again to retry."
            )
            return
        raise self.retry(exc=exc, countdown=backoff_with_jitter(self.request.retries)) from exc


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def regrade_problem(self, job_id: int) -> None:
    from tutor.models import Job

    try:
        services.run_regrade(job_id)
    except DatabaseError as exc:
        if self.request.retries >= self.max_retries:
            Job.objects.filter(pk=job_id).update(
                status=Job.Status.FAILED, message="The database could not be reached."
            )
            return
        raise self.retry(exc=exc, countdown=backoff_with_jitter(self.request.retries)) from exc
