"""The tutor as an LTI 1.3 tool: launches, deep links, the course roster and grades.

django-lti (``lti_tool``) keeps the registrations, deployments, the tool's keys, and the
platform's users, courses (contexts), memberships and links; pylti1p3, beneath it, checks
the platform's signed id_token (signature against the platform's keyset, fetched over
HTTP; issuer and client id; expiry; nonce; state) and calls the platform's services. This
module adds what is the tutor's: which account a launch signs in (the platform's user
id, never the email), which problem set or problem a link opens (``LtiPlacement``),
what LMS roles mean here, and the grades owed to the platform (``GradeSync``).

Nothing here imports ``tutor.services``: the services call ``record_grades`` when an
attempt is finished or regraded and publish ``send_grade`` by name, as they do reports.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, DataError, transaction
from django.db.models import Q
from django.utils import timezone
from lti_tool.models import (
    LtiContext,
    LtiDeployment,
    LtiLaunch,
    LtiMembership,
    LtiRegistration,
    LtiUser,
)
from lti_tool.utils import DjangoToolConfig, sync_data_from_launch
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException, LtiServiceException, OIDCException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from tutor.models import Enrollment, GradeSync, LtiPlacement, Problem, ProblemSet, User

log = logging.getLogger(__name__)

CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
USED_NONCE_SECONDS = 24 * 60 * 60  # pylti1p3 keeps a nonce valid this long
# A grade still pending this long after its last try (a lost task, a broker that was
# down) is sent again by the sweep (tasks.recover_stale_work).
GRADE_STALE_SECONDS = 10 * 60


# What a signed launch whose claims have the wrong shape or size raises on its way into
# django-lti's models and ours: a refusal, never a server error.
MALFORMED = (KeyError, TypeError, ValueError, AttributeError, DataError)


class LaunchError(Exception):
    """A launch the tutor refuses; the message says what is wrong, for the person."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class _TimeoutSession(requests.Session):
    """requests waits forever by default; every call to a platform is bounded."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", settings.LTI_HTTP_TIMEOUT)
        return super().request(*args, **kwargs)


def http_session() -> requests.Session:
    session = _TimeoutSession()
    session.headers["User-Agent"] = "system-design-tutor (LTI 1.3 tool)"
    return session


class ToolConfig(DjangoToolConfig):
    """django-lti's lookup, except that a deployment id staff have not registered and
    made active is refused; django-lti would create it (inactive) during the launch."""

    def find_deployment(self, iss, deployment_id):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        lookups = Q(
            registration__issuer=iss,
            registration__is_active=True,
            deployment_id=deployment_id,
            is_active=True,
        )
        if client_id is not None:
            lookups &= Q(registration__client_id=client_id)
        self.deployment = LtiDeployment.objects.filter(lookups).first()
        if self.deployment is None:
            return None
        return Deployment().set_deployment_id(self.deployment.deployment_id)


def _storage() -> DjangoCacheDataStorage:
    return DjangoCacheDataStorage()


# -- Registration and framing ----------------------------------------------------------------


def origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


# The session of a person signed in by a launch holds the origins of the LMS that
# launched them: the pages they open may be framed by it (middleware.LtiFramingMiddleware).
FRAME_SESSION_KEY = "lti_frame_origins"


def registration_origins(registration: LtiRegistration) -> list[str]:
    """The origins that may frame the tutor for one LMS: its issuer's and its login
    URL's, and ``LTI_FRAME_ANCESTORS``."""
    found = {origin(registration.issuer), origin(registration.auth_url)}
    return sorted({*filter(None, found), *settings.LTI_FRAME_ANCESTORS})


def frame_origins() -> list[str]:
    """The origins of every active registration: for the login initiation's and the
    launch's own answers (an error page shown in the LMS's frame), before anyone is
    signed in; with the database unreachable, only ``LTI_FRAME_ANCESTORS``."""
    found = set(settings.LTI_FRAME_ANCESTORS)
    try:
        registrations = list(LtiRegistration.objects.active())
    except DatabaseError:
        return sorted(found)
    for registration in registrations:
        found.update(registration_origins(registration))
    return sorted(found)


# -- Login initiation and launch -------------------------------------------------------------


def login_redirect(request, launch_url: str):
    """Answer the platform's third-party login initiation: a redirect to its
    authorisation endpoint carrying a fresh state (also set as a cookie) and nonce."""
    oidc = DjangoOIDCLogin(request, ToolConfig(), launch_data_storage=_storage())
    try:
        return oidc.redirect(launch_url)
    except (LtiException, OIDCException) as exc:
        raise LaunchError(_login_problem(str(exc))) from exc


def _login_problem(reason: str) -> str:
    if "registration" in reason:
        return (
            "No LMS is registered here with the issuer and client id this login names. "
            "Staff register it in the tutor's admin (LTI registrations)."
        )
    return f"The LMS's login request is incomplete: {reason.lower().rstrip('.')}."


# What pylti1p3's refusals mean, for the person who sees the page.
_LAUNCH_PROBLEMS = (
    (
        ("state", "cookie"),
        "This launch did not come back to the browser that started it (its state does not "
        "match). Open the link in the LMS again; if it keeps failing inside the course "
        "page, your browser may be blocking the tutor's cookies there: open the link in a "
        "new window.",
    ),
    (
        ("nonce",),
        "This launch was not started here, or has expired. Open the link in the LMS again.",
    ),
    (
        ("registration", "client id"),
        "No LMS is registered here with this launch's issuer and audience (client id). "
        "Staff register it in the tutor's admin (LTI registrations).",
    ),
    (
        ("deployment",),
        "This deployment of the tutor is not registered here, or not active. Staff add "
        "its deployment id to the LMS's registration in the tutor's admin.",
    ),
    (
        ("fetch url", "invalid response from", "invalid url"),
        "The tutor could not fetch the LMS's keyset, so it cannot check this launch's "
        "signature. Try again later; if it persists, check the keyset URL registered here.",
    ),
    (
        ("signature has expired",),
        "This launch has expired. Open the link in the LMS again.",
    ),
    (
        (
            "message type",
            "validat",
            "missing",
            "must ",
            "version",
            "jwt format",
            "3 parts",
        ),
        "The LMS sent a launch the tutor does not understand (the message is incomplete).",
    ),
)


def _launch_problem(reason: str) -> str:
    lowered = reason.lower()
    for needles, message in _LAUNCH_PROBLEMS:
        if any(needle in lowered for needle in needles):
            return message
    return "The launch's signature could not be checked, so the tutor refused it."


def validated_launch(request) -> DjangoMessageLaunch:
    """The platform's launch, checked, each nonce accepted once; or LaunchError."""
    message_launch = DjangoMessageLaunch(
        request, ToolConfig(), launch_data_storage=_storage(), requests_session=http_session()
    )
    try:
        message_launch.validate()
    except LtiException as exc:
        log.info("LTI launch refused: %s", str(exc)[:200])
        raise LaunchError(_launch_problem(str(exc))) from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.info("LTI launch refused, malformed: %r", exc)
        raise LaunchError("The launch message is malformed.") from exc
    nonce = str(message_launch.get_launch_data()["nonce"])
    used = "lti-used-nonce:" + hashlib.sha256(nonce.encode()).hexdigest()
    if not cache.add(used, True, USED_NONCE_SECONDS):
        raise LaunchError(
            "This launch was already used. Open the link in the LMS again.", status=403
        )
    return message_launch


@dataclass(frozen=True)
class Launched:
    """What a launch did: who it signs in, and where they go."""

    user: User
    is_instructor: bool
    deep_link: bool
    frame_origins: list[str]
    problem_set: ProblemSet | None = None
    problem: Problem | None = None


def is_instructor_launch(message_launch: MessageLaunch) -> bool:
    return bool(
        message_launch.check_teacher_access() or message_launch.check_teaching_assistant_access()
    )


def _target(launch_data: dict) -> tuple[ProblemSet, Problem | None]:
    custom = launch_data.get(CUSTOM_CLAIM) or {}
    if not isinstance(custom, dict):
        custom = {}
    set_slug = str(custom.get("problem_set") or "")
    problem_set = ProblemSet.objects.filter(slug=set_slug).first() if set_slug else None
    if problem_set is None:
        raise LaunchError(
            "This link names no problem set of the tutor. An instructor adds the tutor to "
            "the course again, picking a problem set or problem.",
            status=404,
        )
    problem_slug = str(custom.get("problem") or "")
    problem = None
    if problem_slug:
        problem = problem_set.problems.filter(slug=problem_slug).first()
        if problem is None:
            raise LaunchError(
                f"This link names a problem that {problem_set.title} no longer has.",
                status=404,
            )
    return problem_set, problem


def _account(lti_user: LtiUser) -> User:
    """The tutor account of a platform user: linked on first launch, by the platform's
    user id (the registration and ``sub``), never matched by email. The row is locked,
    so two first launches at once make one account."""
    lti_user = LtiUser.objects.select_for_update().get(pk=lti_user.pk)
    if lti_user.auth_user_id is not None:
        return lti_user.auth_user
    digest = hashlib.sha256(f"{lti_user.registration_id}:{lti_user.sub}".encode()).hexdigest()
    user = User(
        username=f"lti-{digest[:16]}",
        first_name=lti_user.given_name[:150],
        last_name=lti_user.family_name[:150],
        email=lti_user.email,
    )
    user.set_unusable_password()
    user.save()
    lti_user.auth_user = user
    lti_user.save(update_fields=["auth_user", "datetime_modified"])
    return user


def sign_in(message_launch: DjangoMessageLaunch) -> Launched:
    """Record the launch: the platform's user, course, membership and link (django-lti),
    the tutor account, the role it gives and the link's placement. Run in a transaction
    with ``validated_launch``: a refusal part way leaves nothing behind."""
    data: dict = dict(message_launch.get_launch_data())
    instructor = is_instructor_launch(message_launch)
    lti_launch = LtiLaunch(message_launch)
    if lti_launch.is_deep_link_launch:
        if not instructor:
            raise LaunchError(
                "Only an instructor of the course can add the tutor to it.", status=403
            )
    elif not lti_launch.is_resource_launch:
        raise LaunchError("The tutor opens links and adds links; this launch is neither.")
    else:
        problem_set, problem = _target(data)
    sync_data_from_launch(lti_launch)
    user = _account(lti_launch.user)
    if lti_launch.is_deep_link_launch:
        if user.role == User.Role.LEARNER:
            user.role = User.Role.INSTRUCTOR
            user.save(update_fields=["role"])
        return Launched(
            user=user,
            is_instructor=True,
            deep_link=True,
            frame_origins=registration_origins(lti_launch.registration),
        )

    ags = data.get(AGS_CLAIM)
    if not isinstance(ags, dict):
        ags = {}
    LtiPlacement.objects.update_or_create(
        resource_link=lti_launch.resource_link,
        defaults={
            "problem_set": problem_set,
            "problem": problem,
            "lineitem_url": str(ags.get("lineitem") or "")[:500],
            "ags_scopes": list(ags.get("scope") or []),
        },
    )
    if instructor:
        if user.role == User.Role.LEARNER:
            user.role = User.Role.INSTRUCTOR
            user.save(update_fields=["role"])
        problem_set.instructors.add(user)
    if message_launch.check_student_access() or not instructor:
        Enrollment.objects.get_or_create(learner=user, problem_set=problem_set)
    return Launched(
        user=user,
        is_instructor=instructor,
        deep_link=False,
        frame_origins=registration_origins(lti_launch.registration),
        problem_set=problem_set,
        problem=problem,
    )


# -- Deep linking ----------------------------------------------------------------------------


def deep_link_launch(request, launch_id: str) -> MessageLaunch:
    """The deep-linking launch this session started, or LaunchError."""
    try:
        message_launch = DjangoMessageLaunch.from_cache(
            launch_id, request, ToolConfig(), launch_data_storage=_storage()
        )
    except LtiException as exc:
        raise LaunchError(
            "This request to add the tutor has expired. Add the tutor from the LMS again.",
            status=403,
        ) from exc
    if not message_launch.is_deep_link_launch() or not is_instructor_launch(message_launch):
        raise LaunchError(
            "Only an instructor adding the tutor to a course can pick a link.", status=403
        )
    return message_launch


def deep_link_response(
    message_launch: MessageLaunch,
    launch_url: str,
    problem_set: ProblemSet,
    problem: Problem | None,
) -> tuple[str, str]:
    """The signed LtiDeepLinkingResponse for the picked set or problem, and where it
    goes (the platform's return URL). A problem's link asks for a gradebook column."""
    custom = {"problem_set": problem_set.slug}
    resource = DeepLinkResource().set_url(launch_url)
    if problem is not None:
        custom["problem"] = problem.slug
        resource.set_title(problem.title).set_lineitem(
            LineItem()
            .set_score_maximum(100)
            .set_label(problem.title)
            .set_resource_id(f"{problem_set.slug}/{problem.slug}")
        )
    else:
        resource.set_title(problem_set.title)
    resource.set_custom_params(custom)
    deep_link = message_launch.get_deep_link()
    settings_claim = message_launch.get_launch_data()[
        "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
    ]
    return deep_link.get_response_jwt([resource]), settings_claim["deep_link_return_url"]


# -- Names and Role Provisioning -------------------------------------------------------------


def courses_of(problem_set: ProblemSet):
    """The LMS courses with a link to this set (or one of its problems)."""
    return (
        LtiContext.objects.filter(resource_links__placement__problem_set=problem_set)
        .select_related("deployment__registration")
        .distinct()
        .order_by("title", "pk")
    )


def pull_roster(context: LtiContext) -> int:
    """Fetch the course's members from the platform (NRPS) and store them; the count.
    Raises RosterError saying what went wrong."""
    if not context.memberships_url:
        raise RosterError(f"{context} gives the tutor no roster service.")
    connector = ServiceConnector(
        context.deployment.registration.to_registration(), requests_session=http_session()
    )
    service = NamesRolesProvisioningService(
        connector, {"context_memberships_url": context.memberships_url}
    )
    try:
        members = service.get_members()
    except LtiServiceException as exc:
        raise RosterError(
            f"The LMS refused the roster of {context} (HTTP {exc.response.status_code})."
        ) from exc
    except (requests.RequestException, LtiException, ValueError) as exc:
        raise RosterError(f"The LMS could not be reached for the roster of {context}.") from exc
    with transaction.atomic():
        context.update_memberships([m for m in members if m.get("user_id")])
    return len(members)


class RosterError(Exception):
    pass


def not_started(problem_set: ProblemSet) -> list[LtiMembership]:
    """Learners on the rosters of the set's courses who are not enrolled here: they have
    not launched the tutor yet."""
    enrolled = Enrollment.objects.filter(problem_set=problem_set).values("learner_id")
    return list(
        LtiMembership.objects.filter(
            context__in=courses_of(problem_set).values("pk"), is_learner=True, is_active=True
        )
        .exclude(user__auth_user__in=enrolled)
        .select_related("user", "context")
        .order_by("user__family_name", "user__given_name", "user__name", "pk")
    )


# -- Assignment and Grade Services -----------------------------------------------------------


def record_grades(attempt, score: float) -> list[int]:
    """Grade rows, pending, for every LMS line item this attempt's score goes to (links
    to its problem in courses the learner launched from); their ids, to send once the
    transaction commits. A score the platform already has is not recorded again."""
    if not attempt.is_finished:
        return []
    placements = (
        LtiPlacement.objects.filter(problem_id=attempt.problem_id)
        .exclude(lineitem_url="")
        .filter(resource_link__context__memberships__user__auth_user_id=attempt.learner_id)
        .select_related("resource_link__context__deployment")
        .distinct()
    )
    ids = []
    with transaction.atomic():
        for placement in placements:
            grade_id = _record_grade(placement, attempt, score)
            if grade_id is not None:
                ids.append(grade_id)
    return ids


def _record_grade(placement: LtiPlacement, attempt, score: float) -> int | None:
    registration_id = placement.resource_link.context.deployment.registration_id
    lti_user = LtiUser.objects.filter(
        registration_id=registration_id, auth_user_id=attempt.learner_id
    ).first()
    if lti_user is None:
        return None
    grade = (
        GradeSync.objects.select_for_update().filter(placement=placement, lti_user=lti_user).first()
    )
    if grade is None:
        grade = GradeSync.objects.create(
            placement=placement, lti_user=lti_user, attempt=attempt, score=score
        )
    elif grade.score == score and grade.status == GradeSync.Status.SENT:
        return None
    else:
        GradeSync.objects.filter(pk=grade.pk).update(
            attempt=attempt,
            score=score,
            status=GradeSync.Status.PENDING,
            revision=grade.revision + 1,
            tries=0,
            last_error="",
            requested_at=timezone.now(),
            tried_at=None,
        )
    return grade.pk


def _describe(exc: Exception) -> str:
    if isinstance(exc, LtiServiceException):
        return f"The LMS answered HTTP {exc.response.status_code}."
    if isinstance(exc, requests.Timeout):
        return "The LMS did not answer in time."
    if isinstance(exc, requests.ConnectionError):
        return "The LMS could not be reached."
    return f"The LMS's answer could not be used ({type(exc).__name__})."


def send_grade(grade_id: int) -> bool:
    """Post one grade to its line item. True when there is nothing more to do (sent, or
    already sent, or gone); False when it should be tried again. Records each failure:
    after ``LTI_GRADE_TRIES`` of them the grade is failed, shown on the dashboard."""
    grade = (
        GradeSync.objects.select_related(
            "placement__resource_link__context__deployment__registration", "lti_user"
        )
        .filter(pk=grade_id)
        .first()
    )
    if grade is None or grade.status != GradeSync.Status.PENDING:
        return True
    placement = grade.placement
    registration = placement.resource_link.context.deployment.registration
    connector = ServiceConnector(registration.to_registration(), requests_session=http_session())
    service = AssignmentsGradesService(
        connector, {"scope": placement.ags_scopes, "lineitem": placement.lineitem_url}
    )
    score = (
        Grade()
        .set_score_given(grade.score)
        .set_score_maximum(grade.maximum)
        .set_user_id(grade.lti_user.sub)
        .set_timestamp(timezone.now().isoformat())
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
    )
    now = timezone.now()
    current = GradeSync.objects.filter(pk=grade.pk, revision=grade.revision)
    try:
        service.put_grade(score)
    except (LtiServiceException, LtiException, requests.RequestException, ValueError) as exc:
        tries = grade.tries + 1
        failed = tries >= settings.LTI_GRADE_TRIES
        log.warning("grade %s not sent (try %s): %s", grade.pk, tries, _describe(exc))
        current.update(
            tries=tries,
            tried_at=now,
            last_error=_describe(exc),
            status=GradeSync.Status.FAILED if failed else GradeSync.Status.PENDING,
        )
        return failed
    current.update(
        status=GradeSync.Status.SENT,
        tries=grade.tries + 1,
        tried_at=now,
        sent_at=now,
        last_error="",
    )
    return True


def retry_grade(grade: GradeSync) -> bool:
    """An instructor's "send again" of a grade not sent: pending, its tries counted anew.
    (Without a broker, the embedded default, nothing else retries a pending grade.)"""
    return bool(
        GradeSync.objects.filter(pk=grade.pk)
        .exclude(status=GradeSync.Status.SENT)
        .update(
            status=GradeSync.Status.PENDING, tries=0, requested_at=timezone.now(), tried_at=None
        )
    )


def stale_grades(limit: int = 100) -> list[int]:
    """Pending grades no task seems to be working on: to be enqueued again."""
    before = timezone.now() - timedelta(seconds=GRADE_STALE_SECONDS)
    return list(
        GradeSync.objects.filter(status=GradeSync.Status.PENDING)
        .filter(Q(tried_at__lt=before) | Q(tried_at__isnull=True, requested_at__lt=before))
        .order_by("requested_at")
        .values_list("pk", flat=True)[:limit]
    )


def grades_needing_attention(problem_set: ProblemSet):
    """The set's grades the LMS does not have yet: pending or failed."""
    return (
        GradeSync.objects.filter(placement__problem_set=problem_set)
        .exclude(status=GradeSync.Status.SENT)
        .select_related("attempt__learner", "attempt__problem", "lti_user")
        .order_by("-status", "-requested_at")
    )
