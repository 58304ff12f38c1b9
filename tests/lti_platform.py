"""A small but real LTI 1.3 platform (an LMS) for the tests, on PyJWT and cryptography.

It runs its HTTP endpoints in a thread (``http.server``) and signs real id_tokens with a
real RSA key, which the tutor checks against the keyset it fetches from here over HTTP.
It serves what the tutor calls: its keyset, the OIDC authorisation endpoint (which
answers with the auto-posting form an LMS sends), the OAuth2 token endpoint (checking
the tutor's signed client assertion against the tutor's published keyset), the Names and
Role Provisioning roster, the AGS score endpoint of each line item, and the deep-linking
return URL (checking the tutor's signed response). It can be taken down (every service
answers 503) to see what the tutor does then. For the browser test it also serves a
course page that shows the tutor's links in an iframe.

Nothing of the tutor is imported: the platform knows the tutor only by its URLs.
"""

import html
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LTI_DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTRUCTOR = [ROLE + "Instructor"]
TEACHING_ASSISTANT = [
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
]
LEARNER = [ROLE + "Learner"]
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
COURSE = "course-101"


@dataclass
class Person:
    sub: str
    name: str
    email: str
    roles: list[str]

    def claims(self) -> dict:
        given, _, family = self.name.partition(" ")
        return {
            "sub": self.sub,
            "name": self.name,
            "given_name": given,
            "family_name": family,
            "email": self.email,
            LTI + "roles": self.roles,
        }


@dataclass
class Link:
    """A link in the course, as the platform stored it from a deep-linking response."""

    id: str
    title: str
    url: str
    custom: dict
    lineitem: str | None


@dataclass
class Platform:
    client_id: str = "tutor-client"
    deployment_id: str = "deployment-1"
    tool_jwks: object = None  # a callable giving the tutor's published keyset
    tool_launch_url: str = ""
    tool_login_url: str = ""
    down: bool = False
    roster: list[Person] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    scores: list[dict] = field(default_factory=list)
    token_requests: int = 0
    deep_link_responses: list[dict] = field(default_factory=list)

    def __post_init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "platform-key-" + uuid.uuid4().hex[:8]
        self.private_pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.tokens: set[str] = set()
        self.pending: dict[str, dict] = {}  # lti_message_hint → the launch to make
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://localhost:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- running ---------------------------------------------------------------------------

    def start(self) -> "Platform":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def jwks(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, alg="RS256", use="sig")
        return {"keys": [jwk]}

    def lineitem_url(self, link_id: str) -> str:
        return f"{self.url}/lineitems/{link_id}"

    # -- what the platform signs -----------------------------------------------------------

    def sign(self, claims: dict, key=None, kid: str | None = None) -> str:
        return jwt.encode(
            claims, key or self.private_pem, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    def base_claims(self, person: Person, nonce: str, **overrides) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "azp": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            LTI + "deployment_id": self.deployment_id,
            LTI + "version": "1.3.0",
            LTI + "context": {
                "id": COURSE,
                "label": "SD101",
                "title": "System Design 101",
                "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            },
            NRPS_CLAIM: {
                "context_memberships_url": f"{self.url}/memberships/{COURSE}",
                "service_versions": ["2.0"],
            },
            **person.claims(),
        }
        claims.update(overrides)
        return claims

    def resource_claims(self, person: Person, nonce: str, link: Link, **overrides) -> dict:
        claims = self.base_claims(person, nonce)
        claims.update(
            {
                LTI + "message_type": "LtiResourceLinkRequest",
                LTI + "target_link_uri": link.url,
                LTI + "resource_link": {"id": link.id, "title": link.title},
                LTI + "custom": link.custom,
                AGS_CLAIM: {
                    "scope": AGS_SCOPES,
                    "lineitems": f"{self.url}/lineitems",
                    **({"lineitem": link.lineitem} if link.lineitem else {}),
                },
            }
        )
        claims.update(overrides)
        return claims

    def deep_link_claims(self, person: Person, nonce: str, **overrides) -> dict:
        claims = self.base_claims(person, nonce)
        claims.update(
            {
                LTI + "message_type": "LtiDeepLinkingRequest",
                LTI + "target_link_uri": self.tool_launch_url,
                LTI_DL + "deep_linking_settings": {
                    "deep_link_return_url": f"{self.url}/deep-link-return",
                    "accept_types": ["ltiResourceLink"],
                    "accept_presentation_document_targets": ["iframe", "window"],
                    "accept_multiple": False,
                    "data": "opaque-" + uuid.uuid4().hex[:6],
                },
            }
        )
        claims.update(overrides)
        return claims

    def link(self, custom: dict, title: str = "A link", graded: bool = True) -> Link:
        """A link as an instructor would have made it by hand, not by deep linking."""
        link_id = "link-" + uuid.uuid4().hex[:8]
        link = Link(
            id=link_id,
            title=title,
            url=self.tool_launch_url,
            custom=custom,
            lineitem=self.lineitem_url(link_id) if graded else None,
        )
        self.links.append(link)
        return link

    # -- what the platform checks ----------------------------------------------------------

    def verify_tool_jwt(self, token: str, audience: str) -> dict:
        """A JWT the tutor signed, checked against the keyset the tutor publishes."""
        keyset = self.tool_jwks() if callable(self.tool_jwks) else {"keys": []}
        kid = jwt.get_unverified_header(token).get("kid")
        for key in keyset["keys"]:
            if key.get("kid") == kid:
                public = RSAAlgorithm.from_jwk(json.dumps(key))
                return jwt.decode(token, public, algorithms=["RS256"], audience=audience)
        raise jwt.InvalidTokenError(f"no key {kid} in the tool's keyset")

    def accept_deep_link_response(self, token: str) -> Link:
        claims = self.verify_tool_jwt(token, audience=self.issuer)
        assert claims["iss"] == self.client_id, claims["iss"]
        assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
        assert claims[LTI + "deployment_id"] == self.deployment_id
        self.deep_link_responses.append(claims)
        item = claims[LTI_DL + "content_items"][0]
        link_id = "link-" + uuid.uuid4().hex[:8]
        link = Link(
            id=link_id,
            title=item["title"],
            url=item["url"],
            custom=item.get("custom") or {},
            lineitem=self.lineitem_url(link_id) if item.get("lineItem") else None,
        )
        self.links.append(link)
        return link

    # -- the browser's way in --------------------------------------------------------------

    def start_launch(self, message: str, person: Person, link: Link | None = None) -> str:
        """The URL of the tutor's login initiation for a launch this platform will make
        when the tutor's authorisation request comes back (the lti_message_hint)."""
        hint = uuid.uuid4().hex
        self.pending[hint] = {"message": message, "person": person, "link": link}
        params = {
            "iss": self.issuer,
            "login_hint": person.sub,
            "target_link_uri": link.url if link else self.tool_launch_url,
            "lti_message_hint": hint,
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }
        return f"{self.tool_login_url}?{urlencode(params)}"

    def authorize(self, params: dict) -> tuple[str, str]:
        """The OIDC authorisation endpoint: the id_token for the pending launch."""
        assert params["redirect_uri"] == self.tool_launch_url, params["redirect_uri"]
        assert params["client_id"] == self.client_id
        launch = self.pending.pop(params["lti_message_hint"])
        assert params["login_hint"] == launch["person"].sub
        if launch["message"] == "deep_link":
            claims = self.deep_link_claims(launch["person"], params["nonce"])
        else:
            claims = self.resource_claims(launch["person"], params["nonce"], launch["link"])
        return self.sign(claims), params["state"]


def _handler(platform: Platform):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, status: int, body: str | dict, content_type: str = "application/json"):
            data = (json.dumps(body) if isinstance(body, dict) else body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _page(self, title: str, body: str, status: int = 200):
            self._send(
                status,
                f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
                f"</head><body><h1>{title}</h1>{body}</body></html>",
                "text/html; charset=utf-8",
            )

        def _form(self) -> dict:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            content_type = self.headers.get("Content-Type", "")
            if content_type.startswith("application/") and "json" in content_type:
                return json.loads(raw)
            return {k: v[0] for k, v in parse_qs(raw).items()}

        def _authorised(self) -> bool:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            return token in platform.tokens

        def do_GET(self):
            url = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/jwks":
                return self._send(200, platform.jwks)
            if url.path == "/auth":
                id_token, state = platform.authorize(params)
                return self._page(
                    "Signing you in to the tool",
                    f'<form method=post action="{html.escape(platform.tool_launch_url)}" '
                    "id=launch>"
                    f'<input type=hidden name=id_token value="{id_token}">'
                    f'<input type=hidden name=state value="{html.escape(state)}">'
                    "<button>Continue</button></form>"
                    "<script>document.getElementById('launch').submit()</script>",
                )
            if url.path.startswith("/memberships/"):
                if platform.down:
                    return self._send(503, {"error": "down"})
                if not self._authorised():
                    return self._send(401, {"error": "no token"})
                members = [
                    {
                        "user_id": p.sub,
                        "name": p.name,
                        "email": p.email,
                        "status": "Active",
                        "roles": p.roles,
                    }
                    for p in platform.roster
                ]
                return self._send(
                    200,
                    {"id": self.path, "context": {"id": COURSE}, "members": members},
                    "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
                )
            if url.path == "/course":
                return self._page("System Design 101", _course_page(platform, params))
            if url.path == "/start":
                person = next(p for p in platform.roster if p.sub == params["user"])
                link = next((k for k in platform.links if k.id == params.get("link")), None)
                message = "deep_link" if link is None else "resource"
                self.send_response(302)
                self.send_header("Location", platform.start_launch(message, person, link))
                self.end_headers()
                return None
            return self._send(404, {"error": "not found"})

        def do_POST(self):
            url = urlsplit(self.path)
            if url.path == "/token":
                if platform.down:
                    return self._send(503, {"error": "down"})
                form = self._form()
                platform.token_requests += 1
                try:
                    claims = platform.verify_tool_jwt(
                        form["client_assertion"], audience=f"{platform.url}/token"
                    )
                except (jwt.InvalidTokenError, KeyError) as exc:
                    return self._send(400, {"error": "invalid_client", "detail": str(exc)})
                assert claims["iss"] == claims["sub"] == platform.client_id
                token = uuid.uuid4().hex
                platform.tokens.add(token)
                return self._send(
                    200,
                    {
                        "access_token": token,
                        "token_type": "Bearer",
                        "expires_in": 3600,
                        "scope": form.get("scope", ""),
                    },
                )
            if url.path.startswith("/lineitems/") and url.path.endswith("/scores"):
                if platform.down:
                    return self._send(503, {"error": "down"})
                if not self._authorised():
                    return self._send(401, {"error": "no token"})
                if self.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
                    return self._send(415, {"error": "wrong type"})
                score = self._form()
                score["lineitem"] = url.path.removesuffix("/scores")
                platform.scores.append(score)
                return self._send(200, {})
            if url.path == "/deep-link-return":
                form = self._form()
                try:
                    link = platform.accept_deep_link_response(form["JWT"])
                except (jwt.InvalidTokenError, AssertionError, KeyError) as exc:
                    return self._page("The tool's response was refused", html.escape(str(exc)), 400)
                return self._page(
                    "Link added",
                    f"<p>Added “{html.escape(link.title)}” to the course.</p>"
                    '<p><a href="/course" target="_top">Back to the course</a></p>',
                )
            return self._send(404, {"error": "not found"})

    return Handler


def _course_page(platform: Platform, params: dict) -> str:
    """The course page: add the tool, and each link launched as each person, in a frame."""
    people = "".join(
        f'<li><a href="/start?user={p.sub}" target="tool">Add the tutor as {html.escape(p.name)}'
        "</a></li>"
        for p in platform.roster
        if p.roles != LEARNER
    )
    links = "".join(
        f"<li>{html.escape(link.title)}: "
        + " ".join(
            f'<a href="/start?user={p.sub}&link={link.id}" target="tool">'
            f"open as {html.escape(p.name)}</a>"
            for p in platform.roster
        )
        + "</li>"
        for link in platform.links
    )
    return (
        f"<ul id=add>{people}</ul><h2>Links</h2><ul id=links>{links}</ul>"
        '<iframe name=tool title="The tutor" width=1000 height=700></iframe>'
    )
