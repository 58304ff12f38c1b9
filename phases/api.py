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

from dataclasses import dataclass

from phases.answers import Reader

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


def empty() -> dict:
    return {"version": SCHEMA_VERSION, "protocols": [], "endpoints": []}


def parse(data: dict) -> Api:
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


def computed(design) -> dict:
    """Which requirements each endpoint serves, and the ones no endpoint serves yet."""
    served = {e.requirement for e in design.api.endpoints if e.requirement}
    functional = [fr.text for fr in design.requirements.functional if fr.text]
    return {
        "endpoints": len(design.api.endpoints),
        "unserved_requirements": [text for text in functional if text not in served],
    }
