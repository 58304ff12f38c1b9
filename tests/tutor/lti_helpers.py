"""Fixtures and steps for the LTI tests: a running platform registered with the tutor, and
the two legs of a launch as the test client's browser would make them."""

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from lti_tool.models import (
    LtiContext,
    LtiDeployment,
    LtiMembership,
    LtiRegistration,
    LtiResourceLink,
    LtiUser,
)

from tests.lti_platform import INSTRUCTOR, LEARNER, Person, Platform
from tutor.models import GradeSync, LtiPlacement

TESTSERVER = "http://testserver"

teacher = Person("lms-teacher-1", "Tess Teacher", "tess@example.edu", INSTRUCTOR)
learner = Person("lms-learner-1", "Lena Learner", "lena@example.edu", LEARNER)


@pytest.fixture
def tool_keys(db, client):
    """The tutor's key, made by the management command, and its published keyset."""
    call_command("rotate_keys", stdout=io.StringIO())
    return client.get(reverse("lti_jwks")).json()


@pytest.fixture
def platform(tool_keys):
    running = Platform(
        tool_jwks=lambda: tool_keys,
        tool_launch_url=TESTSERVER + reverse("lti_launch"),
        tool_login_url=TESTSERVER + reverse("lti_login"),
    ).start()
    running.roster = [teacher, learner]
    yield running
    running.stop()


def register(platform: Platform, **overrides) -> LtiRegistration:
    fields = {
        "name": "Test LMS",
        "issuer": platform.issuer,
        "client_id": platform.client_id,
        "auth_url": f"{platform.url}/auth",
        "token_url": f"{platform.url}/token",
        "keyset_url": f"{platform.url}/jwks",
        **overrides,
    }
    registration = LtiRegistration.objects.create(**fields)
    LtiDeployment.objects.create(
        registration=registration, deployment_id=platform.deployment_id, is_active=True
    )
    return registration


@pytest.fixture
def registration(platform) -> LtiRegistration:
    return register(platform)


def begin_login(client, platform: Platform, person: Person = learner, **overrides):
    """The platform's login initiation; the tutor's redirect to the platform's auth URL.
    Returns (response, the auth request's parameters)."""
    params = {
        "iss": platform.issuer,
        "login_hint": person.sub,
        "target_link_uri": platform.tool_launch_url,
        "lti_message_hint": "hint",
        "client_id": platform.client_id,
        **overrides,
    }
    response = client.get(reverse("lti_login"), params)
    if response.status_code != 302:
        return response, {}
    query = {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}
    return response, query


def launch(client, platform: Platform, person: Person, link=None, deep_link=False, **claims):
    """A whole launch: login initiation, then the id_token the platform signs for it,
    posted back with the state. ``claims`` override the id_token's claims."""
    _, auth = begin_login(client, platform, person)
    if deep_link:
        body = platform.deep_link_claims(person, auth["nonce"], **claims)
    else:
        body = platform.resource_claims(person, auth["nonce"], link, **claims)
    id_token = platform.sign(body)
    return client.post(reverse("lti_launch"), {"id_token": id_token, "state": auth["state"]})


def course_grade(attempt, status: str = GradeSync.Status.FAILED) -> GradeSync:
    """A course on a registered LMS linking to the attempt's problem, its learner on the
    roster, and a grade owed for the attempt: rows as launches leave them, written
    directly, for tests about who may see and change them."""
    registration = LtiRegistration.objects.create(
        name="Walked LMS",
        issuer="https://lms.example",
        client_id="walk",
        auth_url="https://lms.example/auth",
        token_url="https://lms.example/token",
        keyset_url="https://lms.example/jwks",
    )
    deployment = LtiDeployment.objects.create(
        registration=registration, deployment_id="d", is_active=True
    )
    context = LtiContext.objects.create(
        deployment=deployment,
        id_on_platform="course",
        title="Walked course",
        memberships_url="https://lms.example/memberships",
    )
    link = LtiResourceLink.objects.create(context=context, id_on_platform="link")
    placement = LtiPlacement.objects.create(
        resource_link=link,
        problem_set=attempt.problem.problem_set,
        problem=attempt.problem,
        lineitem_url="https://lms.example/lineitems/1",
    )
    lti_user = LtiUser.objects.create(
        registration=registration, sub="alice-on-the-lms", auth_user=attempt.learner
    )
    LtiMembership.objects.create(user=lti_user, context=context, is_learner=True)
    return GradeSync.objects.create(
        placement=placement, lti_user=lti_user, attempt=attempt, score=40, status=status
    )
