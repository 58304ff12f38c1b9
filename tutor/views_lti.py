"""LTI 1.3 pages: the addresses a platform administrator copies, login initiation, the
launch, the deep-linking picker, and the instructor's roster pull and grade retry.

The login initiation and the launch are cross-site form posts from the LMS, so they are
exempt from CSRF: what protects them is the platform's signature, the state cookie and
the one-use nonce (``tutor.lti.validated_launch``). Every other form here carries the
CSRF token as usual.
"""

import logging

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from lti_tool.models import Key, LtiRegistration, LtiUser

from tutor import lti, services
from tutor.models import GradeSync, Problem, ProblemSet
from tutor.teaching import instructor_required, taught_set, taught_sets

logger = logging.getLogger(__name__)

DEEP_LINK_SESSION_KEY = "lti_deep_link_launch"


def _error(request, error: lti.LaunchError):
    response = render(request, "lti/error.html", {"message": error.message}, status=error.status)
    # Shown in the LMS's frame, before anyone is signed in: any registered LMS may frame it.
    response.lti_frame_origins = lti.frame_origins()  # type: ignore[attr-defined]
    return response


def _absolute(request, name: str) -> str:
    return request.build_absolute_uri(reverse(name))


@login_required
def setup(request):
    """What a platform administrator copies into the LMS, and what staff register here."""
    if not (request.user.is_staff or request.user.is_instructor):
        raise PermissionDenied("Only staff and instructors can open this page.")
    return render(
        request,
        "lti/setup.html",
        {
            "urls": [
                ("OIDC login initiation URL", _absolute(request, "lti_login")),
                ("Target link URI and redirect URI (launch)", _absolute(request, "lti_launch")),
                ("Deep linking URL", _absolute(request, "lti_launch")),
                ("Public keyset URL (JWKS)", _absolute(request, "lti_jwks")),
            ],
            "keys": [str(key) for key in Key.objects.active().order_by("-datetime_created")],
            "registrations": LtiRegistration.objects.active()
            .prefetch_related("deployments")
            .order_by("name"),
        },
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def login_initiation(request):
    try:
        return lti.login_redirect(request, _absolute(request, "lti_launch"))
    except lti.LaunchError as error:
        return _error(request, error)


@csrf_exempt
@require_POST
def launch(request):
    try:
        with transaction.atomic():
            message_launch = lti.validated_launch(request)
            launched = lti.sign_in(message_launch)
    except lti.LaunchError as error:
        return _error(request, error)
    except lti.MALFORMED as exc:
        # Signed by the platform, but claims of the wrong shape or size (a context that
        # is not an object, a user id longer than 255): refused, the transaction undone.
        logger.info("LTI launch refused, claims of the wrong shape: %r", exc)
        return _error(request, lti.LaunchError("The launch message is malformed."))
    login(request, launched.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[lti.FRAME_SESSION_KEY] = launched.frame_origins
    if launched.deep_link:
        request.session[DEEP_LINK_SESSION_KEY] = message_launch.get_launch_id()
        return redirect("lti_deep_link")
    if launched.problem is not None:
        return redirect(launched.problem)
    assert launched.problem_set is not None
    return redirect(launched.problem_set)


def _picker_launch(request):
    """This session's deep-linking launch, made by the person signed in, or LaunchError."""
    launch_id = request.session.get(DEEP_LINK_SESSION_KEY)
    if not launch_id:
        raise lti.LaunchError(
            "There is no request to add the tutor to a course in progress. An instructor "
            "adds the tutor from the LMS (its \u201cadd external tool\u201d step).",
            status=403,
        )
    message_launch = lti.deep_link_launch(request, launch_id)
    data = message_launch.get_launch_data()
    is_theirs = LtiUser.objects.filter(
        registration__issuer=data.get("iss"), sub=data.get("sub"), auth_user=request.user
    ).exists()
    if not is_theirs:
        raise lti.LaunchError("This request to add the tutor was not yours.", status=403)
    return message_launch


def _pickable_sets(user):
    sets = ProblemSet.objects.filter(pk__in=taught_sets(user).values("pk")) | (
        ProblemSet.objects.filter(is_published=True)
    )
    return sets.distinct().prefetch_related("problems").order_by("title")


@login_required
@require_http_methods(["GET", "POST"])
def deep_link(request):
    try:
        message_launch = _picker_launch(request)
    except lti.LaunchError as error:
        return _error(request, error)
    sets = _pickable_sets(request.user)
    problem_text = ""
    if request.method == "POST":
        choice = request.POST.get("link", "")
        kind, _, path = choice.partition(":")
        set_slug, _, problem_slug = path.partition("/")
        problem_set = sets.filter(slug=set_slug).first()
        problem = None
        if problem_set is not None and kind == "problem":
            problem = Problem.objects.filter(problem_set=problem_set, slug=problem_slug).first()
        if (
            problem_set is None
            or kind not in ("set", "problem")
            or (kind == "problem" and problem is None)
        ):
            problem_text = "Pick a problem set or one of its problems."
        else:
            token, return_url = lti.deep_link_response(
                message_launch, _absolute(request, "lti_launch"), problem_set, problem
            )
            del request.session[DEEP_LINK_SESSION_KEY]  # one link per request to add
            response = render(
                request,
                "lti/deep_link_return.html",
                {"token": token, "return_url": return_url, "picked": problem or problem_set},
            )
            form_action = {"form-action": ["'self'", lti.origin(return_url) or "'none'"]}
            response._csp_update = form_action  # type: ignore[attr-defined]
            response._csp_update_ro = form_action  # type: ignore[attr-defined]
            return response
    return render(
        request,
        "lti/deep_link.html",
        {"sets": sets, "error": problem_text},
        status=400 if problem_text else 200,
    )


@instructor_required
@require_POST
def pull_roster(request, slug):
    """Fetch the rosters of the LMS courses that link to this set."""
    problem_set = taught_set(request, slug)
    courses = list(lti.courses_of(problem_set))
    if not courses:
        messages.error(request, "No LMS course links to this set yet, so there is no roster.")
    for course in courses:
        try:
            count = lti.pull_roster(course)
        except lti.RosterError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Fetched the roster of {course}: {count} members.")
    return redirect("teach_cohort", slug=problem_set.slug)


@instructor_required
@require_POST
def retry_grade(request, slug, grade_id):
    """Send a grade the LMS does not have yet (failed, or still pending) again."""
    problem_set = taught_set(request, slug)
    grade = get_object_or_404(GradeSync, pk=grade_id, placement__problem_set=problem_set)
    if lti.retry_grade(grade):
        transaction.on_commit(lambda: services.enqueue_grade(grade.pk))
        messages.success(request, "The grade will be sent again.")
    else:
        messages.info(request, "The LMS has that grade already: nothing to send again.")
    return redirect("teach_cohort", slug=problem_set.slug)
