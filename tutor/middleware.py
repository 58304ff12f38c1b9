"""Error handling: the database-down page and error views that never need the database.

When PostgreSQL cannot be reached, any request that needs it gets the 503 page at once
(``connect_timeout`` in settings bounds the wait) instead of a stack trace or a hang.
``/healthz/live`` never touches the database, so it stays up; ``/healthz/ready`` says 503.
The 500 and 503 pages are rendered without a request context: no ``request.user``, no
session, no query, so they work whatever is down.
"""

import logging
import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import permission_denied

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30

_FALLBACK = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<title>{title} · System Design Tutor</title></head><body><main>"
    "<h1>{title}</h1><p>{text}</p></main></body></html>"
)


def _standalone(template_name: str, title: str, text: str) -> str:
    """Render a page that needs nothing but the template (and the static manifest);
    if even that fails, a plain page that needs nothing at all."""
    try:
        return loader.get_template(template_name).render()
    except Exception:  # noqa: BLE001 - an error page must not raise
        logger.exception("rendering %s failed", template_name)
        return _FALLBACK.format(title=title, text=text)


def service_unavailable() -> HttpResponse:
    body = _standalone(
        "503.html",
        "Temporarily unavailable",
        "The service cannot reach its database. Your saved work is safe; try again shortly.",
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
        return service_unavailable()


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
        return service_unavailable()
    body = _standalone(
        template_name,
        "Something went wrong",
        "The error has been logged. Your saved work is safe; try again in a moment.",
    )
    return HttpResponseServerError(body)


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
