"""Phase 4, API: the contract clients call, written before the boxes behind it.

Answer shape, version 1 (documented in ``docs/answers.md``)::

    {
      "version": 1,
      "protocols": [{"client": "browsers and mobile apps", "protocol": "rest",
                     "reason": "public API, cacheable GETs"}],
      "endpoints": [
        {"requirement": "A user can shorten a long URL ...",   # a phase 1 requirement
         "method": "POST", "path": "/v1/urls",
         "request": "long_url, alias, expires_at", "response": "short_url, expires_at",
         "status": "201", "idempotency": "idempotency_key",
         "redirect": "", "pagination": "", "notes": ""}
      ]
    }
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from phases.data_model import AccessPattern, expected_capabilities
from phases.engine.answers import JSON, AnswerShapeError, Reader
from phases.engine.findings import Hit, Severity
from phases.engine.unit import (
    Expectation,
    Layout,
    PhaseUnit,
    Problems,
    Rows,
    choice_field,
    requirement_field,
    text_field,
)
from phases.reading.text import mentions, stem, stems
from phases.reading.units import counts_in, durations_in, rates_in
from phases.rendering.markdown import cell, table
from phases.requirements import FunctionalRequirement, capability_rows, performed_by_system

if TYPE_CHECKING:
    from phases.engine.design import Design

SCHEMA_VERSION = 1

PROTOCOLS = ("rest", "grpc", "websocket", "sse", "graphql")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
IDEMPOTENCY = ("none", "idempotency_key", "deterministic_id", "conditional_write", "natural")
REDIRECTS = ("301", "302", "307", "308")
PAGINATION = ("none", "cursor", "offset")


@dataclass(frozen=True)
class Protocol:
    field: str
    client: str
    protocol: str
    reason: str


@dataclass(frozen=True)
class Endpoint:
    field: str
    requirement: str
    method: str
    path: str
    request: str
    response: str
    status: str
    idempotency: str
    redirect: str
    pagination: str
    notes: str

    @property
    def label(self) -> str:
        return f"{self.method or '?'} {self.path or '(no path)'}"


@dataclass(frozen=True)
class Api:
    protocols: tuple[Protocol, ...]
    endpoints: tuple[Endpoint, ...]


# The form: a protocol per kind of client, then the endpoints.
LAYOUT = Layout(
    lists=(
        Rows(
            "protocols",
            (
                text_field("client", "Client", placeholder="e.g. the members' mobile app"),
                choice_field(
                    "protocol",
                    "Protocol",
                    PROTOCOLS,
                    {
                        "rest": "REST",
                        "grpc": "gRPC",
                        "websocket": "WebSocket",
                        "sse": "Server-Sent Events",
                        "graphql": "GraphQL",
                    },
                ),
                text_field(
                    "reason", "Why", placeholder="what this client needs that the protocol gives"
                ),
            ),
        ),
        Rows(
            "endpoints",
            (
                requirement_field(),
                choice_field("method", "Method", METHODS),
                text_field("path", "Path", placeholder="e.g. /v1/loans/{loan_id}"),
                text_field("request", "Request fields", placeholder="e.g. book_id, member_id"),
                text_field("response", "Response fields", placeholder="e.g. loan_id, due_on"),
                text_field("status", "Success status", placeholder="a status code, e.g. 2xx"),
                choice_field(
                    "idempotency",
                    "Idempotency",
                    IDEMPOTENCY,
                    {
                        "idempotency_key": "idempotency key",
                        "deterministic_id": "deterministic id",
                        "conditional_write": "conditional write",
                        "natural": "naturally idempotent",
                    },
                ),
                choice_field("redirect", "Redirect", REDIRECTS),
                choice_field("pagination", "Pagination", PAGINATION),
                text_field("notes", "Notes", placeholder="e.g. why this status, how pages are cut"),
            ),
        ),
    ),
)


def empty() -> JSON:
    return {"version": SCHEMA_VERSION, "protocols": [], "endpoints": []}


def parse(data: JSON) -> Api:
    r = Reader(data)
    d = r.data
    endpoints = []
    for path, row in r.rows(d, "endpoints", "endpoints"):
        status = r.text(row, "status", f"{path}.status")
        if status and not (status.isdigit() and 100 <= int(status) <= 599):
            r.error(
                f"{path}.status",
                f"Write the HTTP status as three digits, e.g. 201 (got {status!r}).",
            )
        endpoint_path = r.text(row, "path", f"{path}.path")
        if endpoint_path and not endpoint_path.startswith("/"):
            r.error(f"{path}.path", f"A path starts with /, e.g. /v1/urls (got {endpoint_path!r}).")
        endpoints.append(
            Endpoint(
                field=path,
                requirement=r.text(row, "requirement", f"{path}.requirement"),
                method=r.text(row, "method", f"{path}.method", choices=METHODS),
                path=endpoint_path,
                request=r.text(row, "request", f"{path}.request"),
                response=r.text(row, "response", f"{path}.response"),
                status=status,
                idempotency=r.text(row, "idempotency", f"{path}.idempotency", choices=IDEMPOTENCY),
                redirect=r.text(row, "redirect", f"{path}.redirect", choices=REDIRECTS),
                pagination=r.text(row, "pagination", f"{path}.pagination", choices=PAGINATION),
                notes=r.text(row, "notes", f"{path}.notes"),
            )
        )
    api = Api(
        protocols=tuple(
            Protocol(
                field=path,
                client=r.text(row, "client", f"{path}.client"),
                protocol=r.text(row, "protocol", f"{path}.protocol", choices=PROTOCOLS),
                reason=r.text(row, "reason", f"{path}.reason"),
            )
            for path, row in r.rows(d, "protocols", "protocols")
        ),
        endpoints=tuple(endpoints),
    )
    r.raise_if_errors()
    return api


class Figures(TypedDict):
    endpoints: int
    unserved_requirements: list[str]


def computed(design: Design) -> Figures:
    """Which requirements each endpoint serves, and the ones no endpoint serves yet."""
    served = {same_text(e.requirement) for e in design.api.endpoints if e.requirement}
    return {
        "endpoints": len(design.api.endpoints),
        "unserved_requirements": [
            fr.text for fr in functional_requirements(design) if same_text(fr.text) not in served
        ],
    }


# -- Reading paths, requirements and notes --------------------------------------------------


def same_text(text: str) -> str:
    """A requirement's text as compared across phases: case, spacing and a final stop ignored."""
    return re.sub(r"\s+", " ", (text or "").strip().rstrip(".").strip()).lower()


def functional_requirements(design: Design) -> tuple[FunctionalRequirement, ...]:
    """Phase 1's functional requirements with text; none when phase 1 cannot be read."""
    try:
        functional = design.requirements.functional
    except AnswerShapeError:
        return ()
    return tuple(fr for fr in functional if fr.text)


def left_out(design: Design) -> tuple[str, ...]:
    try:
        return design.requirements.left_out
    except AnswerShapeError:
        return ()


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PARAMETER = re.compile(r"^(\{[^}]*\}|:\w+|<[^>]*>)$")
_VERSION = re.compile(r"^v\d+(\.\d+)?$", re.IGNORECASE)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def segments(path: str) -> list[str]:
    """The fixed (non-parameter) segments of a path, query string dropped."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    return [s for s in path.split("/") if s and not _PARAMETER.match(s)]


def segment_words(segment: str) -> list[str]:
    """``createShortUrl`` or ``create-short_url`` -> ``["create", "short", "url"]``."""
    return [w.lower() for w in re.split(r"[-_.~]+", _CAMEL.sub("-", segment)) if w]


def is_redirect(endpoint: Endpoint) -> bool:
    """An endpoint that answers with a redirect: a type chosen or a 3xx status."""
    return bool(endpoint.redirect) or endpoint.status in REDIRECTS


# -- Rules ----------------------------------------------------------------------------------
#
# Each rule takes a Design and yields Hits; the registry gives each its code and severity.
# Rules only read answers: an empty phase 4, or no phase 1 answers at all, gives no error
# beyond what is really missing.


def unversioned_path(design: Design) -> Iterator[Hit]:
    """An endpoint path that carries no version, such as /urls instead of /v1/urls.

    Why it matters:
        Once clients call an API, changing the meaning of a path breaks every one of them
        at once. A version in the path lets a second version live beside the first while
        clients move over at their own pace. The one exception is a link that people
        share and print (the short link itself, answered with a redirect): it cannot
        change, so it has no version to carry.
    Triggers:
        POST /urls, or DELETE /api/urls/{code}.
    Better:
        POST /v1/urls and DELETE /v1/urls/{code}; the redirect stays at GET /{code}.
        A version chosen in a header instead is fine when the notes say so.
    """
    for endpoint in design.api.endpoints:
        if not endpoint.path or is_redirect(endpoint):
            continue
        if any(_VERSION.match(s) for s in segments(endpoint.path)):
            continue
        notes = endpoint.notes.lower()
        if "version" in notes and "header" in notes:
            continue
        yield Hit(
            field=f"{endpoint.field}.path",
            message=f"{endpoint.label} has no version in its path.",
            hint="What happens to clients already calling this path when its meaning changes?",
            fix="Start the path with a version, for example /v1" + endpoint.path + ".",
        )


# Words that only name the machinery behind an API, never what a client wants done.
_IMPLEMENTATION_WORDS = word_set(
    "db database databases sql nosql mysql postgres postgresql sqlite redis memcache "
    "memcached mongo mongodb dynamo dynamodb cassandra kafka s3 cache insert upsert "
    "persist"
)
# Words that are implementation talk next to a verb ("create-record") but may be the
# domain on their own (a restaurant's tables, a patient's records).
_STORAGE_NOUNS = word_set("record records row rows table tables")
_CRUD_VERBS = word_set(
    "create add make get fetch read retrieve list update edit modify set delete remove destroy save"
)
# Verbs that are unmistakable even as a whole segment (``/v1/urls/{code}/delete``).
_LONE_VERBS = word_set(
    "create add get fetch retrieve update edit modify delete remove destroy save"
)
# Verbs that say a request changes stored state.
_STATE_VERBS = word_set(
    "create add make update edit modify set delete remove destroy save insert upsert "
    "increment incr reset clear publish shorten register subscribe unsubscribe upload "
    "submit cancel approve ban block enable disable activate deactivate expire purge"
)


def _implementation_words(segment: str) -> list[str]:
    seg_words = segment_words(segment)
    found = [w for w in seg_words if w in _IMPLEMENTATION_WORDS]
    if any(w in _CRUD_VERBS | _STATE_VERBS for w in seg_words):
        found += [w for w in seg_words if w in _STORAGE_NOUNS]
    for first, second in zip(seg_words, seg_words[1:], strict=False):
        if first == "store" and second in ("in", "into", "to"):
            found.append(f"{first} {second}")
    return found


def implementation_names(design: Design) -> Iterator[Hit]:
    """A path named after the machinery behind it (tables, databases, inserts) instead
    of what the client wants done.

    Why it matters:
        The API is a promise to clients; the storage behind it is a decision you will
        want to revisit. A path that names a database, a table or an insert ties every
        client to that decision, and reads as a leak of internals rather than a service.
    Triggers:
        POST /v1/create-record-and-store-in-database, GET /v1/redis/links/{code}, or
        POST /v1/insertRow.
    Better:
        Name the thing the client cares about: POST /v1/urls, GET /v1/urls/{code}.
    """
    for endpoint in design.api.endpoints:
        found = [w for s in segments(endpoint.path) for w in _implementation_words(s)]
        if found:
            quoted = ", ".join(f'"{w}"' for w in dict.fromkeys(found))
            yield Hit(
                field=f"{endpoint.field}.path",
                message=f"{endpoint.label} names the implementation ({quoted}), not the intent.",
                hint="What does the client want done, in the words of the problem?",
                fix="Name the resource the client acts on (urls, links, pastes) and let "
                "the method say what happens to it.",
            )


def _state_verb_segments(endpoint: Endpoint) -> list[str]:
    """Segments of a GET's path that start with a verb which changes state."""
    if endpoint.method != "GET":
        return []
    return [
        s
        for s in segments(endpoint.path)
        if (w := segment_words(s)) and w[0] in _STATE_VERBS and (len(w) > 1 or w[0] in _LONE_VERBS)
    ]


def verb_in_path(design: Design) -> Iterator[Hit]:
    """A path that spells out the operation (/createUrl, /deleteLink) which the
    HTTP method already carries.

    Why it matters:
        In a resource-style API the path names a thing and the method says what to do
        with it. Verbs in paths multiply the endpoints (one per action and resource),
        make the API harder to guess, and invite mismatches such as POST /deleteLink.
    Triggers:
        POST /v1/createUrl, POST /v1/delete-link, GET /v1/getStats.
    Better:
        POST /v1/urls, DELETE /v1/urls/{code}, GET /v1/urls/{code}/stats. Actions that
        are not plain create, read, update or delete (/v1/shorten) may stay verbs.
    """
    for endpoint in design.api.endpoints:
        skip = set(_state_verb_segments(endpoint))  # method_contradicts_operation speaks
        for segment in segments(endpoint.path):
            if segment in skip or _implementation_words(segment):
                continue
            seg_words = segment_words(segment)
            verb = seg_words[0] if seg_words else ""
            if verb in _CRUD_VERBS and (len(seg_words) > 1 or verb in _LONE_VERBS):
                yield Hit(
                    field=f"{endpoint.field}.path",
                    message=f'{endpoint.label} puts the verb "{verb}" in the path.',
                    hint="Which part of the request already says what to do?",
                    fix="Name the resource in the path and let the method carry the action: "
                    "POST to create, GET to read, PATCH or PUT to change, DELETE to remove.",
                )
                break


def retried_write_not_idempotent(design: Design) -> Iterator[Hit]:
    """A POST or PATCH with no idempotency mechanism, although clients retry writes.

    Why it matters:
        A client that times out cannot tell whether its write arrived, so it sends it
        again; mobile networks and proxies retry on their own too. Without an
        idempotency key, an id derived from the content or a conditional write, each
        retry creates another link or applies the change twice. PUT and DELETE need no
        mechanism: by definition, repeating them leaves the same state as doing them once.
    Triggers:
        POST /v1/urls with idempotency "none" or left empty.
    Better:
        An Idempotency-Key header remembered for a day, or a code derived from the long
        URL so that the same URL always maps to the same short link.
    """
    for endpoint in design.api.endpoints:
        if endpoint.method not in ("POST", "PATCH"):
            continue
        if endpoint.idempotency and endpoint.idempotency != "none":
            continue
        stated = "none" if endpoint.idempotency == "none" else "not stated"
        yield Hit(
            field=f"{endpoint.field}.idempotency",
            message=f"{endpoint.label} is a write clients will retry, and its idempotency "
            f"mechanism is {stated}.",
            hint="The response is lost and the client sends the request again: what happens?",
            fix="Choose idempotency_key (the client sends a unique key per intended "
            "write), deterministic_id (the id follows from the content) or "
            "conditional_write (the write states the version it expects).",
        )


def requirement_without_endpoint(design: Design) -> Iterator[Hit]:
    """A phase 1 functional requirement that no endpoint serves.

    Why it matters:
        Every operation a user can perform reaches the system through some call. A
        requirement with no endpoint is either impossible for clients to use or has been
        forgotten, and the components of phase 5 will not be built for it.
    Triggers:
        A URL shortener whose requirements let owners delete links, with no DELETE
        endpoint (or none naming that requirement).
    Better:
        One endpoint at least per requirement, naming the requirement's text exactly:
        DELETE /v1/urls/{code} for "A link owner can delete their short link".
    """
    served = {same_text(e.requirement) for e in design.api.endpoints if e.requirement}
    pushes = any(_can_push(p) for p in design.api.protocols)
    for fr in functional_requirements(design):
        if same_text(fr.text) not in served and not performed_by_system(fr.text, design):
            # A read a push channel delivers has no endpoint row of its own: then this is
            # a question, not a verdict.
            pushed = pushes and fr.path in ("read", "both") and bool(_PUSH.search(fr.text.lower()))
            yield Hit(
                field=f"{fr.field}.text",
                field_phase=1,
                message=f'No endpoint serves the requirement "{fr.text}".'
                + (
                    " Is it delivered over the push channel? Then say so in an endpoint row."
                    if pushed
                    else ""
                ),
                hint="Which call would a client make to do this?",
                fix="Add an endpoint for it and name this requirement in its requirement field.",
                severity=Severity.WARNING if pushed else None,
            )


def _closest_requirement(text: str, candidates: tuple[FunctionalRequirement, ...]) -> str:
    mine = set(stems(text))
    best, best_score = "", 0.0
    for fr in candidates:
        theirs = set(stems(fr.text))
        if mine and theirs:
            score = len(mine & theirs) / len(mine | theirs)
            if score > best_score:
                best, best_score = fr.text, score
    return best if best_score >= 0.3 else ""


def endpoint_without_requirement(design: Design) -> Iterator[Hit]:
    """An endpoint that names no requirement, or one that phase 1 does not list.

    Why it matters:
        An endpoint exists to serve an operation someone asked for. One that serves
        nothing in the requirements is either scope creep or a sign that phase 1 missed
        an operation; either way the two phases disagree.
    Triggers:
        An endpoint with its requirement left empty, or naming "Users can edit links"
        when phase 1 has no such requirement.
    Better:
        Name the phase 1 requirement it serves, word for word; if the operation is
        needed, add it to phase 1 first. While phase 1 lists no functional requirements
        only an empty requirement is reported.
    """
    functional = functional_requirements(design)
    known = {same_text(fr.text) for fr in functional}
    for endpoint in design.api.endpoints:
        if not endpoint.requirement:
            yield Hit(
                field=f"{endpoint.field}.requirement",
                message=f"{endpoint.label} names no requirement it serves.",
                hint="Which operation from phase 1 is this call for?",
                fix="Name the phase 1 functional requirement this endpoint serves.",
            )
        elif functional and same_text(endpoint.requirement) not in known:
            closest = _closest_requirement(endpoint.requirement, functional)
            yield Hit(
                field=f"{endpoint.field}.requirement",
                message=f'{endpoint.label} serves "{endpoint.requirement}", which is not '
                "a phase 1 functional requirement.",
                hint="Is this operation in scope? Then phase 1 should list it.",
                fix=(
                    f'Did you mean "{closest}"? Name it exactly as phase 1 does.'
                    if closest
                    else "Name a phase 1 requirement exactly, or add this one to phase 1."
                ),
            )


_ANALYTICS_PHRASES = (
    "analytics",
    "statistics",
    "stats",
    "click count",
    "count clicks",
    "track clicks",
    "how many times",
    "open count",
)


def analytics_required(design: Design) -> bool:
    """Whether the design must count clicks on its redirects.

    Yes when the problem requires an analytics capability and phase 1 did not leave
    analytics out, or when phase 1's own requirements ask for counts or statistics.
    """
    capabilities = design.problem.expect(1).get("capabilities", []) or []
    analytics = [c for c in capabilities if c.get("feature") == "analytics"]
    if analytics and "analytics" not in left_out(design):
        return True
    phrases = [*_ANALYTICS_PHRASES]
    for cap in analytics:
        phrases += [cap.get("label", ""), *cap.get("synonyms", [])]
    return any(
        mentions(fr.text, phrase)
        for fr in functional_requirements(design)
        for phrase in phrases
        if phrase
    )


PERMANENT_REDIRECTS = ("301", "308")


def permanent_redirect_loses_clicks(design: Design) -> Iterator[Hit]:
    """A permanent redirect (301 or 308) while click analytics are required.

    Why it matters:
        Browsers keep a permanent redirect and go straight to the target on every later
        visit, so the service never sees those clicks again. That saves load, but the
        owners' click counts would then record only first visits.
    Triggers:
        GET /{code} answering 301 for a URL shortener whose owners see how many times
        their links were opened.
    Better:
        302 (or 307): the browser asks again on every click, each click can be counted,
        and the cost is one round trip to the service per click.
    """
    if not analytics_required(design):
        return
    for endpoint in design.api.endpoints:
        kind = endpoint.redirect or (endpoint.status if endpoint.status in REDIRECTS else "")
        if kind in PERMANENT_REDIRECTS:
            yield Hit(
                field=f"{endpoint.field}.redirect"
                if endpoint.redirect
                else f"{endpoint.field}.status",
                message=f"{endpoint.label} redirects with {kind}, which browsers remember: "
                "repeat clicks never reach the service, yet click counts are required.",
                hint="After the first visit, who answers the second click?",
                fix="Use a temporary redirect (302 or 307) so every click passes through "
                "the service, and state the cost in the notes.",
            )


_CACHE_SIDE = re.compile(
    r"\b(cach\w*|browsers?|permanent\w*|temporar\w*|round[- ]?trips?|load|traffic|"
    r"throughput|latency)\b"
)
_ANALYTICS_SIDE = re.compile(
    r"\b(analytics?|clicks?|counts?|counted|counting|counters?|track\w*|stats|statistics|"
    r"metrics?|measur\w*)\b"
)


def redirect_tradeoff_unstated(design: Design) -> Iterator[Hit]:
    """A redirect whose notes do not state what its type gains and what it gives up.

    Why it matters:
        301 and 302 trade the same two things in opposite directions: a remembered
        redirect spares the servers repeat visits and hides those visits from any
        counting; a temporary one sees every click and pays a round trip for each. The
        choice should be written down when it is made, whichever way it goes.
    Triggers:
        GET /{code} with redirect 302 and empty notes, or notes that mention only caching.
    Better:
        "302: every click reaches us and is counted; costs one request per click that a
        cached 301 would have saved."
    """
    for endpoint in design.api.endpoints:
        if not is_redirect(endpoint):
            continue
        notes = endpoint.notes.lower()
        missing = []
        if not _CACHE_SIDE.search(notes):
            missing.append("caching and server load")
        if not _ANALYTICS_SIDE.search(notes):
            missing.append("click analytics")
        if missing:
            yield Hit(
                field=f"{endpoint.field}.notes",
                message=f"The notes of {endpoint.label} do not say what the redirect type "
                f"means for {' or '.join(missing)}.",
                hint="Which redirect do browsers remember, and what do you lose when they do?",
                fix="Write the trade-off in the notes: what the chosen type costs in server "
                "requests and what it allows for counting clicks.",
            )


def method_contradicts_operation(design: Design) -> Iterator[Hit]:
    """A GET that changes state: its path names a change, or it serves a requirement
    that only writes.

    Why it matters:
        GET promises to change nothing, and the whole web relies on it: browsers
        prefetch links, crawlers follow them, caches and proxies repeat them. A GET that
        deletes or creates gets triggered by accident and may be answered from a cache
        without ever reaching the server.
    Triggers:
        GET /v1/urls/{code}/delete, GET /v1/shorten?url=..., or GET serving "A link owner
        can delete their short link" (tagged write in phase 1).
    Better:
        DELETE /v1/urls/{code}; POST /v1/urls. Counting a click while redirecting is a
        side effect of a read and is fine.
    """
    paths = {same_text(fr.text): fr.path for fr in functional_requirements(design)}
    for endpoint in design.api.endpoints:
        verbs = _state_verb_segments(endpoint)
        if verbs:
            yield Hit(
                field=f"{endpoint.field}.method",
                message=f'{endpoint.label} changes state ("{verbs[0]}") with GET, which '
                "clients, crawlers and caches treat as safe to repeat.",
                hint="Which method says the request changes something?",
                fix="Use POST to create, PATCH or PUT to change, DELETE to remove, and "
                "name the resource in the path.",
            )
        elif (
            endpoint.method == "GET"
            and (
                paths.get(same_text(endpoint.requirement)) == "write"
                or (
                    paths.get(same_text(endpoint.requirement)) == "both"
                    and _asks_for_a_change(endpoint.requirement)
                )
            )
            and not performed_by_system(endpoint.requirement, design)
        ):
            # The tag may be right and the GET too (it reads what the write produced), so
            # this asks rather than asserts.
            yield Hit(
                field=f"{endpoint.field}.method",
                message=f"{endpoint.label} serves a requirement that phase 1 tags as a write "
                f'only ("{endpoint.requirement}"). Does this call change stored data, or '
                "read what that write produced?",
                hint="GET must not change anything; a read of the write's result is fine, "
                'and then the requirement is "both".',
                fix="Use the method that matches the change (POST, PUT, PATCH or DELETE), "
                "or tag the requirement both in phase 1 if it is also read.",
                severity=Severity.WARNING,
            )


# What someone asks for when they ask the system to make or change something.
_CHANGE_WORDS = (
    "request book order place reserve hold buy pay send submit create post publish "
    "upload delete remove cancel change update"
)
_CHANGE_VERBS = frozenset(stem(w) for w in _CHANGE_WORDS.split())
_MODAL_VERB = re.compile(r"\b(can|may|must|should|will)\s+(\w+)")


def _asks_for_a_change(requirement: str) -> bool:
    """Whether a requirement's first verb asks for a change ("A rider can request a
    ride and be matched"): a GET serving it would change something."""
    found = _MODAL_VERB.search((requirement or "").lower())
    return found is not None and stem(found.group(2)) in _CHANGE_VERBS


_EMPTY_BODY = re.compile(r"^(none|nothing|empty|no content|no body|n/?a|-+)\.?$")
_CREATE_STEMS = frozenset(
    stem(w)
    for w in word_set(
        "create shorten add upload post submit publish register make generate compose"
    )
)


def _has_body(endpoint: Endpoint) -> bool:
    return bool(endpoint.response) and not _EMPTY_BODY.match(endpoint.response.lower())


def _creates(endpoint: Endpoint) -> bool:
    """Whether the requirement or the path speaks of making something new."""
    path_stems = {stem(w) for s in segments(endpoint.path) for w in segment_words(s)}
    return bool((set(stems(endpoint.requirement)) | path_stems) & _CREATE_STEMS)


def _speaks_websocket(design: Design) -> bool:
    return any(p.protocol == "websocket" for p in design.api.protocols)


def status_contradicts_method(design: Design) -> Iterator[Hit]:
    """A success status that contradicts the method or the operation.

    Why it matters:
        Clients, SDKs and caches act on the status code before they read any body: 201
        tells them a resource now exists, 204 that there is nothing to read, 4xx and 5xx
        that the call failed. A status that says something else than what happened
        makes every client guess.
    Triggers:
        Errors: GET or DELETE answering 201; a success status outside 2xx and 3xx
        (except 101, the WebSocket upgrade, when a client speaks WebSocket);
        204 with a response body. Warnings: DELETE answering 200 with no body (204 says
        it better); a POST that creates answering 200 instead of 201.
    Better:
        POST /v1/urls answers 201 with the new link; DELETE answers 204; GET answers 200.
    """
    for endpoint in design.api.endpoints:
        status, method = endpoint.status, endpoint.method
        field = f"{endpoint.field}.status"
        if not status:
            continue
        if status == "101" and method == "GET" and _speaks_websocket(design):
            continue  # the WebSocket upgrade: 101 Switching Protocols is its success
        if not 200 <= int(status) < 400:
            yield Hit(
                field=field,
                message=f"{endpoint.label} gives {status} as its success status, but "
                f"{status[0]}xx means the call did not succeed.",
                hint="What status does a client see when everything went right?",
                fix="Give the success status here (2xx, or 3xx for a redirect); errors "
                "belong in the notes.",
            )
            continue
        if status == "201" and method in ("GET", "DELETE"):
            yield Hit(
                field=field,
                message=f"{endpoint.label} answers 201 Created, but {method} creates nothing.",
                hint=f"What has happened when a {method} succeeds?",
                fix="GET answers 200; DELETE answers 204 (or 200 with a body).",
            )
        elif status == "204" and _has_body(endpoint):
            yield Hit(
                field=field,
                message=f"{endpoint.label} answers 204 No Content but lists a response "
                f"({endpoint.response}).",
                hint="What does 204 promise about the body?",
                fix="Either answer 200 with that body, or 204 and leave the response empty.",
            )
        elif status == "200" and method == "DELETE" and not _has_body(endpoint):
            yield Hit(
                field=field,
                message=f"{endpoint.label} answers 200 with no response body.",
                hint="Which status says the call succeeded and there is nothing to read?",
                fix="Answer 204 No Content, or return the deleted resource with 200.",
                severity=Severity.WARNING,
            )
        elif status == "200" and method == "POST" and _creates(endpoint):
            yield Hit(
                field=field,
                message=f"{endpoint.label} creates something but answers 200 instead of 201.",
                hint="Which status tells a client that a new resource now exists?",
                fix="Answer 201 Created, with the new resource (and its URL) in the response.",
                severity=Severity.WARNING,
            )


def redirect_status_mismatch(design: Design) -> Iterator[Hit]:
    """A redirect whose status disagrees with its redirect type, or a 3xx status with
    no redirect type chosen.

    Why it matters:
        The status is what the browser obeys; the redirect type is what you chose and
        argued for. When they differ, the API does something other than the design says,
        and the analytics and caching consequences follow the status, not the intent.
    Triggers:
        Redirect 302 with status 200 (an error), redirect 302 with status 301 (an
        error), or status 302 with the redirect type left empty (a warning).
    Better:
        Redirect 302 and status 302, with the trade-off in the notes.
    """
    for endpoint in design.api.endpoints:
        if endpoint.redirect and endpoint.status and endpoint.status != endpoint.redirect:
            yield Hit(
                field=f"{endpoint.field}.status",
                message=f"{endpoint.label} is a {endpoint.redirect} redirect but answers "
                f"{endpoint.status}.",
                hint="Which of the two does the browser act on?",
                fix=f"Make the status {endpoint.redirect}, or choose the redirect type that "
                "matches the status you meant.",
            )
        elif not endpoint.redirect and endpoint.status in REDIRECTS:
            yield Hit(
                field=f"{endpoint.field}.redirect",
                message=f"{endpoint.label} answers {endpoint.status} but no redirect type "
                "is chosen.",
                hint="Permanent or temporary: which did you mean, and why?",
                fix=f"Set the redirect type to {endpoint.status} and state its trade-off "
                "in the notes.",
                severity=Severity.WARNING,
            )


_PUSH = re.compile(
    r"\b(live|real[- ]?time|instant(ly)?|as (they|it|soon as [\w ]+?) (arrive|arrives|"
    r"happen|happens|come in|comes in|change|changes)|pushed|push(ed)? to|without "
    r"(refreshing|reloading|polling)|streamed|streaming)\b"
)
_NOT_WEB_PUSH = re.compile(r"\b(e-?mails?|sms|text messages?)\b")


def _can_push(protocol: Protocol) -> bool:
    reason = protocol.reason.lower()
    return (
        protocol.protocol in ("websocket", "sse")
        or (protocol.protocol == "graphql" and "subscription" in reason)
        or (protocol.protocol == "grpc" and "stream" in reason)
    )


def push_without_push_protocol(design: Design) -> Iterator[Hit]:
    """A requirement needs the server to push updates, and no protocol can.

    Why it matters:
        Plain request and response only ever answers a question the client asked. For
        updates that must appear as they happen, the client would have to poll, which is
        either slow or a flood of empty requests. Pushing needs a connection the server
        can write to: WebSocket, Server-Sent Events, a GraphQL subscription or a gRPC
        stream.
    Triggers:
        "A viewer can see new comments as they arrive" or "Users get live score updates"
        in phase 1, with only REST chosen. Email and text messages are not counted.
    Better:
        SSE for one-way updates to browsers, WebSocket when both sides send, each with
        the reason in the protocol row.
    """
    polling: PollingLoad | None = None
    for fr in _needing_push(design):
        polling = polling or _polling_load(design)
        yield Hit(
            field="protocols",
            message=f'"{fr.text}" needs updates pushed by the server, but none of the '
            "chosen protocols can push."
            + (f" Polling instead, {polling.sentence}" if polling else ""),
            arithmetic=polling.arithmetic if polling else "",
            hint="How does the client learn about something it did not ask for?",
            fix="Add Server-Sent Events (one way, to browsers) or WebSocket (both ways) "
            "for the clients that must see updates live, and say why.",
        )


def _needing_push(design: Design) -> list[FunctionalRequirement]:
    """The requirements push_without_push_protocol reports: live updates, no push."""
    if any(_can_push(p) for p in design.api.protocols):
        return []
    return [
        fr
        for fr in functional_requirements(design)
        if _PUSH.search(fr.text.lower()) and not _NOT_WEB_PUSH.search(fr.text.lower())
    ]


def _needs_push(design: Design) -> bool:
    return bool(_needing_push(design))


def protocol_unexplained(design: Design) -> Iterator[Hit]:
    """A client with no protocol, a protocol with no reason, or no protocol at all.

    Why it matters:
        Each protocol fits some clients and not others: REST is what browsers and
        outside developers can call, gRPC is compact and fast between services, push
        needs WebSocket or SSE. A choice without a reason is a default, not a decision,
        and cannot be revisited when the clients change.
    Triggers:
        Endpoints listed with no protocol rows; a row choosing REST with no reason.
    Better:
        "Browsers and partner apps: REST, because any HTTP client can call it and GETs
        can be cached."
    """
    api = design.api
    if not api.protocols:
        if api.endpoints:
            yield Hit(
                field="protocols",
                message="No protocol is chosen for any client.",
                hint="Who calls this API, and over what?",
                fix="Add a row per kind of client with its protocol and the reason for it.",
            )
        return
    for row in api.protocols:
        who = row.client or "a client"
        if not row.protocol:
            yield Hit(
                field=f"{row.field}.protocol",
                message=f"No protocol is chosen for {who}.",
                hint="REST, gRPC, WebSocket, SSE or GraphQL: which suits this client?",
                fix="Choose the protocol this client uses.",
            )
        elif not row.reason:
            yield Hit(
                field=f"{row.field}.reason",
                message=f"{row.protocol} for {who} has no reason given.",
                hint="What does this protocol do for this client that the others would not?",
                fix="Say why: who the client is, and what the protocol gives it (reach, "
                "speed, push, flexible queries).",
            )


def incomplete_endpoint(design: Design) -> Iterator[Hit]:
    """An endpoint with no method, no path or no success status.

    Why it matters:
        An endpoint is a contract only when a client could call it: which method, which
        path, and what answer means success. Without them the other checks have nothing
        to look at either.
    Triggers:
        A row with the requirement and notes filled in but the method or status empty.
    Better:
        DELETE /v1/urls/{code}, 204.
    """
    for endpoint in design.api.endpoints:
        for name, value in (
            ("method", endpoint.method),
            ("path", endpoint.path),
            ("status", endpoint.status),
        ):
            if not value:
                yield Hit(
                    field=f"{endpoint.field}.{name}",
                    message=f"{endpoint.label} has no {name}.",
                    hint="Could a client call this endpoint and know it worked?",
                    fix=f"Fill in the {name}.",
                )


def expected_endpoint_missing(design: Design) -> Iterator[Hit]:
    """No endpoint with the method the instructor expects serves a required capability.

    Why it matters:
        The method tells clients, caches and proxies what a call does: whether it may
        be cached, retried or prefetched. Where the problem fixes the contract (a GET
        to follow a short link, a DELETE to remove it), the instructor lists the
        method with the problem, and an endpoint with another method, or none at all,
        breaks what every client of that contract relies on.
    Triggers:
        The problem's ``expectations.phase4.endpoints`` lists a capability and a method,
        and no endpoint with that method names the phase 1 requirement that covers the
        capability. Capabilities phase 1 does not cover are left to REQ-001.
    Better:
        An endpoint with the expected method whose requirement is the one covering the
        capability: GET /{code} for "A visitor can open a short link".
    """
    endpoints = design.api.endpoints
    for row, cap, texts in expected_capabilities(design, 4, "endpoints"):
        method = str(row.get("method") or "").upper()
        if not method:
            continue
        keys = {same_text(text) for text in texts}
        serving = [e for e in endpoints if same_text(e.requirement) in keys]
        if any(e.method == method for e in serving):
            continue
        others = sorted({e.label for e in serving})
        found = f" (you have {', '.join(others)})" if others else ""
        yield Hit(
            field=f"{serving[0].field}.method" if serving else "endpoints",
            message=f"No {method} endpoint serves {cap['label']} "
            f'("{texts[0]}"){found}; the instructor expects a {method}.',
            hint=f"Which method says what this call does to the resource: does {method} fit?",
            fix=f"Serve this requirement with a {method} endpoint, or say in its notes why "
            "another method is right here.",
        )


def _patterns_by_requirement(design: Design) -> dict[str, list[AccessPattern]]:
    """Phase 3's access patterns by the requirement they name; none when it cannot be read."""
    if not design.has(3):
        return {}
    try:
        patterns = design.data_model.access_patterns
    except AnswerShapeError:
        return {}
    found: dict[str, list[AccessPattern]] = {}
    for p in patterns:
        if p.requirement:
            found.setdefault(same_text(p.requirement), []).append(p)
    return found


# Words that bound an answer's size ("up to 20 drivers", "the step bounds the answer"), and
# words by which a response says it is a list of rows.
_TIME = r"(ms|s|sec|seconds?|minutes?|mins?|hours?|days?|weeks?|months?|years?)\b"
_BOUNDED = re.compile(
    rf"\b((up to|at most|top|first|max(imum)?( of)?) (\d[\d,.]*|a|one|ten|a few)\s+(?!{_TIME})\w|"
    r"cap(ped|s)?\b|limit(ed|s)?\b|bound(s|ed)?\b|step\b|page size)"
)
_A_LIST = re.compile(r"\b(every|all|list|each|history|items|rows|records)\b")


def unpaged_list(design: Design) -> Iterator[Hit]:
    """A GET with no pagination although phase 3 says its read returns many records.

    Why it matters:
        A list that grows with the data (a user's history, a month of reports) grows in
        every answer too: one call can return millions of rows, time out, and take the
        store down with it. A page size bounds what one call costs.
    Triggers:
        A GET endpoint whose pagination is "none" while a phase 3 read access pattern of
        the same requirement touches "many" records and the response is a list ("every",
        "all", "list", "history", "rows"...). Silent when the endpoint states a bound ("up
        to 20", "at most", "limit", "the step bounds the answer"). Left empty,
        pagination is the incomplete-endpoint rule's question.
    Better:
        Cursor pagination with a page size: "?after=<last id>&limit=100", and the next
        cursor in the answer.
    """
    patterns = _patterns_by_requirement(design)
    for endpoint in design.api.endpoints:
        if endpoint.method != "GET" or endpoint.pagination != "none":
            continue
        many = [
            p
            for p in patterns.get(same_text(endpoint.requirement), [])
            if p.kind in ("read", "both") and p.records == "many"
        ]
        said = f"{endpoint.request} {endpoint.response} {endpoint.notes}".lower()
        if many and not _BOUNDED.search(said) and _A_LIST.search(endpoint.response.lower()):
            yield Hit(
                field=f"{endpoint.field}.pagination",
                message=f"{endpoint.label} has no pagination, but phase 3 says its read "
                f'("{many[0].label}") touches many records. How large can one answer get?',
                hint="What bounds the size of one response as the data grows?",
                fix="Page it with a cursor and a limit, and return the next cursor.",
            )


def offset_over_a_moving_list(design: Design) -> Iterator[Hit]:
    """Offset pagination over a list that is written while people page through it.

    Why it matters:
        "Page 3" by offset means "skip 40 rows": when a new post or message arrives at the
        top, every row moves down one, so the next page repeats a row and a row written
        in between is never seen. A deep offset also makes the store read and discard
        every row before it.
    Triggers:
        A GET with offset pagination whose requirement has a phase 3 read of a few or
        many records (a page of a list), on an entity that phase 3 also writes (a write
        access pattern of the same entity).
    Better:
        A cursor: the last ID (or time and ID) seen, "WHERE id < :cursor ORDER BY id DESC
        LIMIT 20": stable while rows arrive, and as fast on page 100 as on page 1.
    """
    patterns = _patterns_by_requirement(design)
    written = {
        " ".join(stems(p.entity))
        for group in patterns.values()
        for p in group
        if p.kind in ("write", "both") and p.entity
    }
    for endpoint in design.api.endpoints:
        if endpoint.method != "GET" or endpoint.pagination != "offset":
            continue
        moving = [
            p
            for p in patterns.get(same_text(endpoint.requirement), [])
            if p.kind in ("read", "both")
            and p.records in ("few", "many")
            and " ".join(stems(p.entity)) in written
        ]
        if moving:
            yield Hit(
                field=f"{endpoint.field}.pagination",
                message=f"{endpoint.label} pages by offset through {moving[0].entity}, which "
                "phase 3 also writes: a row added at the top shifts every page, so a reader "
                "sees one row twice and misses another.",
                hint="What does page 2 show if a new row arrives while page 1 is read?",
                fix="Page with a cursor (the last ID seen) instead of an offset.",
            )


# -- Polling: the load it makes --------------------------------------------------------------

_POLL = re.compile(r"\bpoll(s|ed|ing)?\b", re.IGNORECASE)
_NOT_POLLING = re.compile(
    r"\b(without|instead of|no|not|never|rather than|avoid\w*)\b[^,;.]{0,30}\bpoll|"
    r"\blong[- ]?poll",
    re.IGNORECASE,
)
# Words by which a count is of clients there at the same time: "30 million connected at
# the busiest hour", "5M online at once".
_AT_ONCE = re.compile(
    r"\b(connected|online|concurrent(ly)?|at once|simultaneous(ly)?|at the same time|"
    r"busiest|with the (app|page|tab) open|watching|waiting|poll(s|ed|ing)?)\b",
    re.IGNORECASE,
)
_PARTS = re.compile(r"[,;.](?!\d)|\n")
# A polling load this many times phase 2's peak reads is not a rounding matter.
FAR_ABOVE = 10.0
# A client asking less often than this is refreshing, not waiting for updates.
MAX_POLL_INTERVAL_S = 600.0


@dataclass(frozen=True)
class Polling:
    phase: int
    field: str
    text: str
    interval_s: float


def _pollings(design: Design) -> list[Polling]:
    """Where phases 4 and 5 say clients poll, with the interval they poll at."""
    texts = [(4, f"{p.field}.reason", p.reason) for p in design.api.protocols]
    texts += [
        (4, f"{e.field}.{key}", getattr(e, key))
        for e in design.api.endpoints
        for key in ("notes", "response", "request")
    ]
    if design.has(5):
        try:
            arch = design.architecture
        except AnswerShapeError:
            arch = None
        if arch is not None:
            texts += [(5, f"{c.field}.why", c.why) for c in arch.components]
            texts += [
                (5, f"{step.field}.action", step.action)
                for key in ("write_path", "read_path")
                for step in arch.path(key)
            ]
    found = []
    for phase, field, text in texts:
        for part in _PARTS.split(text or ""):
            if not _POLL.search(part) or _NOT_POLLING.search(part):
                continue
            intervals = [s for s in durations_in(part) if 0 < s <= MAX_POLL_INTERVAL_S]
            if intervals:
                found.append(Polling(phase, field, text, min(intervals)))
                break
    return found


def _clients_at_once(design: Design, polling: Polling) -> float | None:
    """How many clients are there at once, as the learner says it: a count in phase 1's
    users, a phase 2 assumption or the polling sentence itself, said of clients connected,
    online or polling at the same time."""
    texts = [polling.text]
    with contextlib.suppress(AnswerShapeError):
        texts.append(design.requirements.scale.get("users", "") if design.has(1) else "")
    with contextlib.suppress(AnswerShapeError):
        texts += [f"{name}: {value}" for name, value in design.estimate.extra]
    counts = [
        count
        for text in texts
        for part in _PARTS.split(text or "")
        if _AT_ONCE.search(part)
        for count in counts_in(part)
        if count >= 1
    ]
    return max(counts) if counts else None


def _peak_reads(design: Design) -> float | None:
    if not design.has(2):
        return None
    try:
        results = design.estimate.results
    except AnswerShapeError:
        return None
    rates = [results[key].value for key in ("peak_reads_per_s", "reads_per_s") if key in results]
    return max(rates) if rates else None


def polling_load_unaccounted(design: Design) -> Iterator[Hit]:
    """Clients that poll for updates, making far more requests than phase 2 estimates.

    Why it matters:
        A client that polls asks every few seconds whether anything changed, and nearly
        every answer is "no". Each of those answers is still a request through the load
        balancer, the servers and often the database: 30 million connected clients
        polling every 2 seconds are 15 million requests a second, before a single update.
        Push over an open connection (WebSocket, Server-Sent Events) sends only the
        updates; polling is fine when its load is counted and served cheaply (a number a
        CDN caches for a second).
    Triggers:
        Phase 4 or 5 saying clients poll at an interval ("clients poll every 2 seconds"),
        a count of clients there at once stated by the learner (phase 1's users, a
        phase 2 assumption, or the polling sentence: "30 million connected"), and
        clients × 1/interval more than ten times phase 2's peak reads, while no rate the
        design states anywhere comes within half of that load. When the polling stands in
        for a push a requirement needs, the push rule reports it with this arithmetic.
    Better:
        Push updates over WebSocket or SSE, or count the polling load in phase 2 and
        serve it from something cheap: "2M fans polling every 10 s is 200,000 requests/s,
        answered by a CDN caching one number for a second".
    """
    found = _polling_load(design)
    if found is None or _needs_push(design):
        return
    polling = found.polling
    yield Hit(
        field=polling.field,
        field_phase=polling.phase if polling.phase != 4 else None,
        message=f'Clients poll every {_seconds(polling.interval_s)} ("{polling.text}"): '
        f"{found.sentence} What serves that load, and would pushing the updates cost less?",
        arithmetic=found.arithmetic,
        hint="How many of those requests find nothing new?",
        fix="Push updates over WebSocket or Server-Sent Events, or count the polling "
        "load in phase 2 and serve it from something cheap (a CDN caching the answer).",
    )


@dataclass(frozen=True)
class PollingLoad:
    polling: Polling
    clients: float
    load: float
    reads: float

    @property
    def sentence(self) -> str:
        return (
            f"{self.clients:,.0f} clients at once make {self.load:,.0f} requests/s, "
            f"{self.load / self.reads:,.0f}x the {self.reads:,.0f} reads/s phase 2 estimates "
            "at peak."
        )

    @property
    def arithmetic(self) -> str:
        interval = _seconds(self.polling.interval_s)
        return (
            f"{self.clients:,.0f} clients × 1 / {interval} = {self.load:,.0f} requests/s; "
            f"{self.load:,.0f} ÷ {self.reads:,.0f} reads/s = {self.load / self.reads:,.0f}x"
        )


def _polling_load(design: Design) -> PollingLoad | None:
    """The first polling the design describes whose load (clients at once × 1/interval)
    is far above phase 2's peak reads and stated nowhere in the design."""
    reads = _peak_reads(design)
    if not reads:
        return None
    for polling in _pollings(design):
        clients = _clients_at_once(design, polling)
        if clients is None:
            continue
        load = clients / polling.interval_s
        if load <= FAR_ABOVE * reads:
            continue
        stated = [rate for text in design.everything_said for rate in rates_in(text)]
        if any(rate >= load / 2 for rate in stated):
            continue  # the design counts this load somewhere
        return PollingLoad(polling, clients, load, reads)
    return None


def _seconds(value: float) -> str:
    return f"{value:g} s"


# -- Over the limit: the status a refused caller sees ---------------------------------------

_OVER_LIMIT = re.compile(
    r"\b(?:over (?:the|their|its|a|your) (?:rate )?limits?|rate[- ]?limit\w*"
    r"|too many requests|throttl\w*|exceed\w* (?:the |their |its |a |your )?(?:rate )?limits?)",
    re.IGNORECASE,
)
_STATUS_CODE = re.compile(r"\b([1-5][0-9]{2})\b")
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+|\n+")


def over_limit_answered_as_server_error(design: Design) -> Iterator[Hit]:
    """Callers over their rate limit answered with a server error (5xx) instead of 429.

    Why it matters:
        A refusal for sending too much is the caller's doing, and 429 Too Many Requests
        says so, with a Retry-After header saying when to come back. A 5xx says the
        service itself failed: clients, SDKs and proxies retry those at once, so the
        callers already over their limit send even more, and nobody watching can tell
        throttling from an outage.
    Triggers:
        A sentence of an endpoint's response or notes that speaks of callers over a limit
        (rate limited, throttled, too many requests) and gives a 5xx status, with no 429
        in the same sentence.
    Better:
        "Over the limit: 429 with Retry-After in seconds; the limiter itself down: 503."
    """
    for endpoint in design.api.endpoints:
        for part in ("response", "notes"):
            for sentence in _SENTENCE_END.split(getattr(endpoint, part)):
                if not _OVER_LIMIT.search(sentence):
                    continue
                codes = _STATUS_CODE.findall(sentence)
                server_errors = [code for code in codes if code.startswith("5")]
                if not server_errors or "429" in codes:
                    continue
                yield Hit(
                    field=f"{endpoint.field}.{part}",
                    message=f"{endpoint.label} answers callers over their limit with "
                    f"{server_errors[0]}, a server error: clients and proxies retry a 5xx "
                    "at once, so the callers already sending too much send more, and the "
                    "refusal looks like an outage.",
                    hint="Whose doing is a refusal for too many requests, the server's or "
                    "the caller's, and which status class says so?",
                    fix="Answer 429 Too Many Requests with a Retry-After header giving the "
                    "seconds until the caller may try again; keep 503 for the limiter "
                    "itself being unavailable.",
                )
                break


# -- Expectations: the method of each capability's endpoint ---------------------------------

ENDPOINT_KEYS = ("capability", "method")


def check_endpoints(problems: Problems, where: str, rows: object, expectations: JSON) -> None:
    """``phase4.endpoints``: rows of ``{capability, method}``."""
    for path, row in capability_rows(problems, where, rows, expectations, ENDPOINT_KEYS):
        if row.get("method") not in METHODS:
            problems.add(
                f"{path}.method",
                f"expected one of {', '.join(METHODS)} (got {row.get('method')!r}).",
            )


def export_section(design: Design) -> list[str]:
    """Phase 4's section of the Markdown export (``phases.rendering.export`` adds its findings)."""
    api = design.api
    out = ["### Protocols", ""]
    out.append(
        table(
            ["Client", "Protocol", "Why"],
            [
                [
                    cell(p.client),
                    cell(LAYOUT.label("protocol", p.protocol, "protocols")),
                    cell(p.reason),
                ]
                for p in api.protocols
            ],
            empty="_None stated._",
        )
    )
    out += ["", "### Endpoints", ""]
    out.append(
        table(
            [
                "Method",
                "Path",
                "Requirement",
                "Request",
                "Response",
                "Status",
                "Idempotency",
                "Redirect",
                "Pagination",
                "Notes",
            ],
            [
                [
                    cell(LAYOUT.label("method", e.method, "endpoints")),
                    cell(e.path),
                    cell(e.requirement),
                    cell(e.request),
                    cell(e.response),
                    cell(e.status),
                    cell(LAYOUT.label("idempotency", e.idempotency, "endpoints")),
                    cell(LAYOUT.label("redirect", e.redirect, "endpoints")),
                    cell(LAYOUT.label("pagination", e.pagination, "endpoints")),
                    cell(e.notes),
                ]
                for e in api.endpoints
            ],
            empty="_None listed._",
        )
    )
    return out


UNIT = PhaseUnit(
    number=4,
    slug="api",
    title="API",
    goal="Write the contract clients will call before the boxes behind it. If you cannot "
    "state the API, the problem is not yet understood.",
    questions=(
        "Which protocol suits each client, and why?",
        "Is every path versioned and named by intent?",
        "What happens when a client retries a write?",
        "Which status code and method fit each operation?",
        "Which redirect, which pagination, and what does each choice cost?",
    ),
    rule_prefix="API",
    schema_version=SCHEMA_VERSION,
    parse=parse,
    empty=empty,
    layout=LAYOUT,
    computed=computed,
    expectations=(Expectation("endpoints", check_endpoints, ENDPOINT_KEYS),),
    export=export_section,
)
