"""Login throttling: django-axes' database handler with a second limit for one address.

Axes counts failures per username and address (a learner mistyping their own password)
and per address alone (one address trying password after password across many
usernames: password spraying), as ``AXES_LOCKOUT_PARAMETERS`` lists. It compares one
count with one limit, though, and the address's count always includes the pair's, so
with one limit the address would be locked after ``AXES_FAILURE_LIMIT`` failures in
total. This handler gives the address its own, higher limit,
``AXES_ADDRESS_FAILURE_LIMIT``.

The address is the client's: behind a load balancer every request comes from the
balancer's address, which would make the address limit a limit for the whole site, so
``client_address`` reads X-Forwarded-For when ``TRUSTED_PROXY_COUNT`` says proxies set it.
"""

import ipaddress

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, Sum


def client_address(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: REMOTE_ADDR, or with ``TRUSTED_PROXY_COUNT`` = n proxies in
    front (each appending the address it was called from to X-Forwarded-For), the n-th
    address from the right of that header. Entries further left are the client's own
    words and are never trusted; a header too short, or not holding an address there,
    is ignored (axes stores the address in an address column)."""
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= count:
            try:
                return str(ipaddress.ip_address(forwarded[-count]))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR")


class LoginThrottle(AxesDatabaseHandler):
    """AXES_HANDLER: lock out a username from an address after ``AXES_FAILURE_LIMIT``
    failures, and the whole address after ``AXES_ADDRESS_FAILURE_LIMIT`` failures for any
    usernames, each until ``AXES_COOLOFF_TIME`` passes without a new failure."""

    def get_failures(self, request, credentials=None) -> int:
        """The failures axes compares with ``AXES_FAILURE_LIMIT``.

        The address's total is shifted down by the difference of the two limits, so it
        reaches ``AXES_FAILURE_LIMIT`` exactly when it reaches the address's own limit:
        the request is locked when either count is at its limit. Which one it was is
        left on the request for the lockout page.
        """
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        totals = attempts.aggregate(
            address=Sum("failures_since_start"),
            pair=Sum("failures_since_start", filter=Q(username=username)),
        )
        address, pair = totals["address"] or 0, totals["pair"] or 0
        address_limit = settings.AXES_ADDRESS_FAILURE_LIMIT
        request.axes_address_locked = address >= address_limit
        request.axes_address_failure_limit = address_limit
        return max(pair, address - (address_limit - settings.AXES_FAILURE_LIMIT))

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful login, forget that username's failures from that address,
        and no others: anyone can sign up, so one's own login must not wipe an address's
        failures for other usernames (axes would delete every row the address matches)."""
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count
