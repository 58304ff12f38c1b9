"""Who may teach what: every instructor view looks objects up through these.

An instructor sees only the problem sets they teach; anything else is the same 404 as
an object that does not exist, so nothing leaks about other instructors' sets.
"""

from django.contrib.auth.decorators import login_required, user_passes_test
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from tutor.models import Attempt, Dispute, Problem, ProblemSet


def is_instructor(user) -> bool:
    return user.is_authenticated and (user.is_instructor or user.is_superuser)


def instructor_required(view):
    """Logged in, and an instructor; learners get 403 from the role check."""

    def check(user):
        if not is_instructor(user):
            raise PermissionDenied("Only instructors can open this page.")
        return True

    return login_required(user_passes_test(check)(view))


def taught_sets(user):
    if user.is_superuser:
        return ProblemSet.objects.all()
    return ProblemSet.objects.filter(instructors=user)


def taught_set(request, slug) -> ProblemSet:
    return get_object_or_404(taught_sets(request.user), slug=slug)


def taught_problem(request, set_slug, slug) -> Problem:
    return get_object_or_404(
        Problem.objects.select_related("problem_set").filter(
            problem_set__in=taught_sets(request.user)
        ),
        problem_set__slug=set_slug,
        slug=slug,
    )


def taught_attempt(request, attempt_id) -> Attempt:
    return get_object_or_404(
        Attempt.objects.select_related("problem__problem_set", "learner").filter(
            problem__problem_set__in=taught_sets(request.user)
        ),
        pk=attempt_id,
    )


def taught_dispute(request, dispute_id) -> Dispute:
    return get_object_or_404(
        Dispute.objects.in_sets(taught_sets(request.user)).select_related(
            "answer__attempt__problem__problem_set", "learner", "decided_by"
        ),
        pk=dispute_id,
    )
