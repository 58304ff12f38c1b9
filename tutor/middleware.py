"""Error handling: the database-down page and error views that never need the database.

When PostgreSQL cannot be reached, any request that needs it gets the 503 page instead of
a stack trace or a hang: ``connect_timeout`` bounds a new connection and
``DB_QUERY_TIMEOUT`` (tutor/database.py) every wait on an open one, so a silent database
is an error within seconds too.
``/healthz/live`` never touches the database, so it stays up; ``/healthz/ready`` says 503.
The 500 and 503 pages are rendered without a request context: no ``request.user``, no
session, no query, so they work whatever is down. When the failed request was a form's
POST, they show what was sent (:func:`submitted`) so that the learner can copy it.
"""

import logging
import re
import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.utils.cache import patch_cache_control
from django.utils.html import escape
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import permission_denied

from tutor import lti

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30

_FALLBACK = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<title>{title} · System Design Tutor</title></head><body><main>"
    "<h1>{title}</h1><p>{text}</p>{copy}</main></body></html>"
)

# What the error pages show of a failed POST: every field of the largest phase form with
# room to spare, and never so much that the error page becomes the next problem.
SHOWN_FIELDS = 300
SHOWN_CHARACTERS = 100_000
SHOWN_NAME_CHARACTERS = 100
# Never echoed: passwords (whatever the field is called), the CSRF token, and the form's
# own bookkeeping, which is no text of the learner's.
_NOT_SHOWN = re.compile(
    r"password|^csrfmiddlewaretoken$|^base_revision$|^redraw$|^row_action$"
    r"|-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ROW_FIELD = re.compile(r"(\w+)-(\d+)-(\w+)")


def _field_label(name: str) -> str:
    """``functional-2-text`` → ``functional, row 3: text``; ``scale__users`` → ``scale: users``."""
    match = _ROW_FIELD.fullmatch(name)
    if match:
        prefix, index, field = match.groups()
        name = f"{prefix}, row {int(index) + 1}: {field}"
    return name.replace("__", ": ").replace("_", " ")


def submitted(request) -> dict | None:
    """The fields of a failed POST that the error page shows for copying, or None.

    Only a POST that passed the CSRF check (so no other site can make ours display its
    text), only non-empty values, without control characters, and capped: see above.
    Reading the POST may itself fail (a body too large, a broken multipart): then there
    is nothing to show, and the page says what it always said.
    """
    if request is None or request.method != "POST":
        return None
    if not getattr(request, "csrf_processing_done", False):
        return None
    try:
        lists = list(request.POST.lists())
    except Exception:  # noqa: BLE001 - an error page must not raise
        logger.warning("the failed POST to %s could not be read back", request.path)
        return None
    fields: list[dict[str, str]] = []
    budget, cut = SHOWN_CHARACTERS, False
    for name, values in lists:
        if _NOT_SHOWN.search(name):
            continue
        label = _field_label(_CONTROL.sub("", name)[:SHOWN_NAME_CHARACTERS])
        for value in values:
            value = _CONTROL.sub("", str(value)).strip()
            if not value:
                continue
            if len(fields) == SHOWN_FIELDS or budget <= 0:
                cut = True
                break
            if len(value) > budget:
                value, cut = value[:budget], True
            budget -= len(value)
            fields.append({"name": label, "value": value})
    return {"fields": fields, "cut": cut} if fields else None


def _fallback_copy(copy: dict | None) -> str:
    if not copy:
        return ""
    items = "".join(
        f"<dt>{escape(field['name'])}</dt><dd><pre>{escape(field['value'])}</pre></dd>"
        for field in copy["fields"]
    )
    return f"<p>What you sent, to copy:</p><dl>{items}</dl>"


def _standalone(template_name: str, title: str, text: str, request=None) -> str:
    """Render a page that needs nothing but the template (and the static manifest);
    if even that fails, a plain page that needs nothing at all."""
    copy = None
    try:
        copy = submitted(request)
        return loader.get_template(template_name).render({"submitted": copy})
    except Exception:  # noqa: BLE001 - an error page must not raise
        logger.exception("rendering %s failed", template_name)
        try:
            return _FALLBACK.format(title=title, text=text, copy=_fallback_copy(copy))
        except Exception:  # noqa: BLE001
            return _FALLBACK.format(title=title, text=text, copy="")


def service_unavailable(request=None) -> HttpResponse:
    body = _standalone(
        "503.html",
        "Temporarily unavailable",
        "The service cannot reach its database. Your saved work is safe; try again shortly.",
        request,
    )
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Answer 503 with the site's page when the database is unreachable.

    ``process_exception`` sees errors raised by views (and by template responses they
    return); an error raised in middleware further in reaches :func:`server_error`, which
    gives the same page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except DATABASE_ERRORS as exc:  # only reachable when exceptions propagate
            return self._unavailable(request, exc)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return self._unavailable(request, exception)
        return None

    @staticmethod
    def _unavailable(request, exc) -> HttpResponse:
        logger.error(
            "database unavailable for %s %s: %s: %s",
            request.method,
            request.path,
            exc.__class__.__name__,
            exc,
        )
        return service_unavailable(request)


class PrivateCacheMiddleware:
    """``Cache-Control: private, no-store`` on every answer that may belong to one person.

    That is any request carrying a session cookie (everyone logged in, and visitors with
    a message waiting) and any response setting a cookie other than the CSRF one (the
    login that sets the session, the logout that ends it, a message). ``private`` keeps
    shared caches (a proxy, a CDN) from storing the page for the next visitor;
    ``no-store`` also keeps the browser from writing learners' answers to disk, where the
    next person at a shared computer could open them from the history after logging out.
    Pages for visitors without a session stay cacheable as before: every page sets the
    CSRF cookie for htmx (base.html), which Django answers with ``Vary: Cookie``. Static
    files never get here (WhiteNoise answers them first, with its own long caching). Only
    cookies are read, so this costs no database query.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES or any(
            name != settings.CSRF_COOKIE_NAME for name in response.cookies
        ):
            patch_cache_control(response, private=True, no_store=True)
        return response


@requires_csrf_token
def server_error(request, template_name="500.html"):
    """handler500: the 503 page when the cause was the database, else the 500 page."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_ERRORS):
        return service_unavailable(request)
    body = _standalone(
        template_name,
        "Something went wrong",
        "The error has been logged. Your saved work is safe; try again in a moment.",
        request,
    )
    response = HttpResponseServerError(body)
    response["Cache-Control"] = "no-store"  # it may hold the learner's text
    return response


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the site's 403 page with a hint instead of Django's plain one."""
    return permission_denied(
        request,
        PermissionDenied(
            "This form has expired or came from another site. Reload the page and submit it again."
        ),
    )


def axes_username(request, credentials) -> str | None:
    """AXES_USERNAME_CALLABLE: the username as django-axes records it, made storable.

    A hostile login form (a NUL byte, 100,000 characters) must get the ordinary "wrong
    password" answer, not a 500 from PostgreSQL; real usernames are at most 150
    characters, so cutting at axes' column width of 255 changes none of them.
    """
    if credentials and "username" in credentials:
        username = credentials["username"]
    else:
        username = request.POST.get("username") if request is not None else None
    if username is None:
        return None
    return str(username).replace("\x00", "")[:255]


class LtiFramingMiddleware:
    """Lets an LMS frame the tutor for the people it launched (a course page shows the
    tutor in an iframe): CSP ``frame-ancestors`` names the origins the launch stored in
    the session (``lti.FRAME_SESSION_KEY``), or those a view put on its response (the
    launch's error pages), and X-Frame-Options is left off, since it can only say DENY or
    SAMEORIGIN. Anyone else keeps ``frame-ancestors 'none'`` and X-Frame-Options DENY.
    Reads no table: the session is the one the page already loaded."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.get("Content-Type", "").startswith("text/html"):
            return response  # only pages are framed
        origins = getattr(response, "lti_frame_origins", None)
        if origins is None and hasattr(request, "session"):
            try:
                origins = request.session.get(lti.FRAME_SESSION_KEY)
            except DATABASE_ERRORS:
                origins = None  # an error page while the database is down: not framed
        if origins:
            ancestors = {"frame-ancestors": ["'self'", *origins]}
            for attribute in ("_csp_replace", "_csp_replace_ro"):  # enforced, report-only
                replaced = getattr(response, attribute, None) or {}
                setattr(response, attribute, {**replaced, **ancestors})
            response.xframe_options_exempt = True
        return response
