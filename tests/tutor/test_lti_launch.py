"""LTI 1.3 registration, login initiation and launch, against a running platform
(tests/lti_platform.py) that signs real id_tokens; the tutor fetches its keyset over HTTP.

Each security case is its own test, and each checks that a refused launch left nothing
behind: no account, no platform user, no enrolment.
"""

import io
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from lti_tool.models import Key, LtiContext, LtiDeployment, LtiUser

from tests.factories import make_user
from tests.lti_platform import TEACHING_ASSISTANT, Person
from tests.tutor.lti_helpers import begin_login, launch, learner, teacher
from tutor.models import Enrollment, User


def tutor_accounts():
    return User.objects.filter(lti_users__isnull=False)


def assert_nothing_created():
    assert not tutor_accounts().exists()
    assert not LtiUser.objects.exists()
    assert not LtiContext.objects.exists()
    assert not Enrollment.objects.exists()


@pytest.fixture
def problem_link(platform, url_shortener):
    return platform.link({"problem_set": "foundations", "problem": "url-shortener"}, "URL")


# -- Registration: keys, keyset, the page for administrators ---------------------------------


def test_the_keyset_publishes_the_public_key_only(client, tool_keys):
    key = Key.objects.get()
    assert [k["kid"] for k in tool_keys["keys"]] == [str(key)]
    assert all("d" not in k and "p" not in k for k in tool_keys["keys"])
    assert b"PRIVATE" not in client.get(reverse("lti_jwks")).content


def test_rotating_keys_publishes_a_new_key_and_keeps_the_last_one(client, tool_keys):
    call_command("rotate_keys", "--deactivate-after=7", stdout=io.StringIO())
    kids = [k["kid"] for k in client.get(reverse("lti_jwks")).json()["keys"]]
    assert len(kids) == 2 and tool_keys["keys"][0]["kid"] in kids
    Key.objects.update(datetime_created=Key.objects.latest().datetime_created.replace(year=2020))
    call_command("rotate_keys", "--deactivate-after=7", stdout=io.StringIO())
    kids_after = [k["kid"] for k in client.get(reverse("lti_jwks")).json()["keys"]]
    assert len(kids_after) == 1 and tool_keys["keys"][0]["kid"] not in kids_after


def test_setup_page_lists_the_urls_to_copy_and_no_private_key(client, registration):
    staff = make_user("sam", User.Role.STAFF)
    client.force_login(staff)
    page = client.get(reverse("lti_setup")).content.decode()
    for name in ("lti_login", "lti_launch", "lti_jwks"):
        assert f"http://testserver{reverse(name)}" in page
    assert registration.issuer in page
    assert "PRIVATE KEY" not in page and str(Key.objects.get()) in page


def test_setup_page_says_when_there_is_no_key(client, db):
    client.force_login(make_user("sam", User.Role.STAFF))
    assert "rotate_keys" in client.get(reverse("lti_setup")).content.decode()


def test_setup_page_is_closed_to_learners(client, alice):
    client.force_login(alice)
    assert client.get(reverse("lti_setup")).status_code == 403


def test_the_admin_registers_a_platform_without_showing_any_key(client, registration):
    admin = make_user("root", User.Role.STAFF)
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    page = client.get(
        reverse("admin:lti_tool_ltiregistration_change", args=[registration.pk])
    ).content.decode()
    assert registration.keyset_url in page and "deployment_id" in page
    assert "private_key" not in page and "PRIVATE KEY" not in page


def test_staff_register_a_platform_in_the_admin_and_its_launches_work(
    client, platform, problem_link, url_shortener
):
    root = make_user("root", User.Role.STAFF)
    root.is_superuser = True
    root.save()
    client.force_login(root)
    prefix = "deployments"
    response = client.post(
        reverse("admin:lti_tool_ltiregistration_add"),
        {
            "name": "Course LMS",
            "issuer": platform.issuer,
            "client_id": platform.client_id,
            "audience": "",
            "auth_url": f"{platform.url}/auth",
            "token_url": f"{platform.url}/token",
            "keyset_url": f"{platform.url}/jwks",
            "is_active": "on",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
            f"{prefix}-0-deployment_id": platform.deployment_id,
            f"{prefix}-0-is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert LtiDeployment.objects.get().registration.name == "Course LMS"
    client.logout()
    assert launch(client, platform, learner, problem_link).status_code == 302
    assert tutor_accounts().count() == 1


def frame_ancestors(response) -> str:
    policy = response["Content-Security-Policy"]
    return next(d.strip() for d in policy.split(";") if d.strip().startswith("frame-ancestors"))


def denies_framing(response) -> bool:
    return (
        response["X-Frame-Options"] == "DENY"
        and "frame-ancestors 'none'" in response["Content-Security-Policy"]
    )


def test_the_lms_that_launched_someone_may_frame_their_pages_and_no_one_else(
    client, platform, registration, problem_link, url_shortener
):
    assert denies_framing(client.get(reverse("home")))
    launch(client, platform, learner, problem_link)
    for url in (reverse("home"), url_shortener.get_absolute_url()):
        page = client.get(url)
        assert "X-Frame-Options" not in page
        assert frame_ancestors(page) == f"frame-ancestors 'self' {platform.url}"
    assert denies_framing(Client().get(reverse("home")))  # another browser, not launched
    client.logout()
    assert denies_framing(client.get(reverse("home")))


def test_a_launch_error_page_may_be_framed_by_any_registered_lms(client, platform, registration):
    response = client.post(reverse("lti_launch"), {"id_token": "x", "state": "y"})
    assert response.status_code == 400
    assert "X-Frame-Options" not in response
    assert frame_ancestors(response) == f"frame-ancestors 'self' {platform.url}"


def test_framing_stays_denied_with_no_lms_registered(client, db):
    response = client.post(reverse("lti_launch"), {"id_token": "x", "state": "y"})
    assert response.status_code == 400 and denies_framing(response)


# -- Login initiation ------------------------------------------------------------------------


def test_login_initiation_redirects_to_the_platform_with_state_and_nonce(
    client, platform, registration
):
    response, auth = begin_login(client, platform)
    assert response.status_code == 302
    assert response["Location"].startswith(registration.auth_url + "?")
    assert auth["redirect_uri"] == "http://testserver" + reverse("lti_launch")
    assert auth["client_id"] == registration.client_id
    assert auth["response_type"] == "id_token" and auth["login_hint"] == learner.sub
    assert auth["nonce"] and client.cookies[f"lti1p3-{auth['state']}"].value == auth["state"]


def test_login_initiation_from_an_unregistered_issuer_is_refused_clearly(
    client, platform, registration
):
    response, _ = begin_login(client, platform, iss="https://other.example")
    assert response.status_code == 400
    assert "No LMS is registered here" in response.content.decode()


def test_login_initiation_without_parameters_is_a_clear_400(client, db):
    response = client.get(reverse("lti_login"))
    assert response.status_code == 400
    assert "incomplete" in response.content.decode()


# -- Launch ----------------------------------------------------------------------------------


def test_learner_launch_creates_the_account_once_and_enrols_it(
    client, platform, registration, problem_link, url_shortener
):
    response = launch(client, platform, learner, problem_link)
    assert response.status_code == 302
    assert response["Location"] == url_shortener.get_absolute_url()
    user = tutor_accounts().get()
    assert user.role == User.Role.LEARNER and not user.has_usable_password()
    assert (user.first_name, user.email) == ("Lena", learner.email)
    assert Enrollment.objects.filter(learner=user, problem_set__slug="foundations").exists()
    page = client.get(url_shortener.get_absolute_url())
    assert page.wsgi_request.user == user
    # The header names them as the LMS does; there is no password of theirs to change.
    header = page.content.decode().split("</header>", 1)[0]
    assert "Lena Learner" in header and user.username not in header
    assert reverse("password_change") not in header

    client.logout()
    assert launch(client, platform, learner, problem_link).status_code == 302
    assert list(tutor_accounts()) == [user]
    assert Enrollment.objects.filter(learner=user).count() == 1


def test_a_launch_never_matches_an_account_by_email(
    client, platform, registration, problem_link, alice
):
    alice.email = learner.email
    alice.save()
    twin = Person("lms-learner-2", "Lena Other", learner.email, learner.roles)
    launch(client, platform, learner, problem_link)
    client.logout()
    launch(client, platform, twin, problem_link)
    accounts = list(tutor_accounts())
    assert len(accounts) == 2 and alice not in accounts
    assert {a.lti_users.get().sub for a in accounts} == {learner.sub, twin.sub}


@pytest.mark.parametrize(
    "person", [teacher, Person("ta-1", "Tom Assist", "t@x.edu", TEACHING_ASSISTANT)]
)
def test_instructor_and_teaching_assistant_launches_make_an_instructor_of_the_set(
    client, platform, registration, problem_link, foundations, person
):
    assert launch(client, platform, person, problem_link).status_code == 302
    user = tutor_accounts().get()
    assert user.role == User.Role.INSTRUCTOR
    assert foundations.instructors.filter(pk=user.pk).exists()
    assert client.get(reverse("teach_cohort", args=["foundations"])).status_code == 200


def test_a_link_to_a_set_opens_the_set(client, platform, registration, foundations):
    link = platform.link({"problem_set": "foundations"}, "The set", graded=False)
    response = launch(client, platform, learner, link)
    assert response["Location"] == foundations.get_absolute_url()


def test_a_link_naming_no_set_is_a_clear_404_and_creates_nothing(client, platform, registration):
    link = platform.link({"problem_set": "no-such-set"})
    response = launch(client, platform, learner, link)
    assert response.status_code == 404
    assert "names no problem set" in response.content.decode()
    assert_nothing_created()


# -- Security: each refusal leaves nothing behind --------------------------------------------


def test_wrong_audience_is_refused(client, platform, registration, problem_link):
    response = launch(client, platform, learner, problem_link, aud="another-tool")
    assert response.status_code == 400
    assert "audience" in response.content.decode()
    assert_nothing_created()


def test_wrong_issuer_is_refused(client, platform, registration, problem_link):
    response = launch(client, platform, learner, problem_link, iss="https://evil.example")
    assert response.status_code == 400
    assert "issuer" in response.content.decode()
    assert_nothing_created()


def test_expired_token_is_refused(client, platform, registration, problem_link):
    past = int(time.time()) - 3600
    response = launch(client, platform, learner, problem_link, iat=past - 60, exp=past)
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert_nothing_created()


def test_a_token_signed_by_another_key_is_refused(client, platform, registration, problem_link):
    _, auth = begin_login(client, platform, learner)
    impostor = type(platform)()  # a platform of its own key, never started
    claims = platform.resource_claims(learner, auth["nonce"], problem_link)
    token = impostor.sign(claims, kid=platform.kid)  # claims the platform's key id
    response = client.post(reverse("lti_launch"), {"id_token": token, "state": auth["state"]})
    impostor.server.server_close()
    assert response.status_code == 400
    assert "signature" in response.content.decode()
    assert_nothing_created()


def test_replayed_nonce_is_refused(client, platform, registration, problem_link):
    _, auth = begin_login(client, platform, learner)
    token = platform.sign(platform.resource_claims(learner, auth["nonce"], problem_link))
    first = client.post(reverse("lti_launch"), {"id_token": token, "state": auth["state"]})
    assert first.status_code == 302
    client.logout()
    replay = client.post(reverse("lti_launch"), {"id_token": token, "state": auth["state"]})
    assert replay.status_code == 403
    assert "already used" in replay.content.decode()
    assert "_auth_user_id" not in client.session
    assert tutor_accounts().count() == 1


def test_a_nonce_the_tutor_never_issued_is_refused(client, platform, registration, problem_link):
    _, auth = begin_login(client, platform, learner)
    token = platform.sign(platform.resource_claims(learner, "made-up-nonce", problem_link))
    response = client.post(reverse("lti_launch"), {"id_token": token, "state": auth["state"]})
    assert response.status_code == 400
    assert_nothing_created()


def test_state_mismatch_is_refused(client, platform, registration, problem_link):
    _, auth = begin_login(client, platform, learner)
    token = platform.sign(platform.resource_claims(learner, auth["nonce"], problem_link))
    response = client.post(reverse("lti_launch"), {"id_token": token, "state": "state-forged"})
    assert response.status_code == 400
    assert "state does not match" in response.content.decode()
    assert_nothing_created()


def test_a_launch_from_another_browser_is_refused(client, platform, registration, problem_link):
    """The state cookie belongs to the browser that began the login."""
    _, auth = begin_login(client, platform, learner)
    token = platform.sign(platform.resource_claims(learner, auth["nonce"], problem_link))
    response = Client().post(reverse("lti_launch"), {"id_token": token, "state": auth["state"]})
    assert response.status_code == 400
    assert_nothing_created()


def test_unknown_deployment_is_refused_and_not_recorded(
    client, platform, registration, problem_link
):
    claim = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
    response = launch(client, platform, learner, problem_link, **{claim: "not-registered"})
    assert response.status_code == 400
    assert "deployment" in response.content.decode()
    assert list(LtiDeployment.objects.values_list("deployment_id", flat=True)) == [
        platform.deployment_id
    ]
    assert_nothing_created()


def test_an_inactive_deployment_is_refused(client, platform, registration, problem_link):
    LtiDeployment.objects.update(is_active=False)
    response = launch(client, platform, learner, problem_link)
    assert response.status_code == 400
    assert_nothing_created()


def test_a_learner_cannot_make_a_deep_linking_launch(client, platform, registration):
    response = launch(client, platform, learner, deep_link=True)
    assert response.status_code == 403
    assert "Only an instructor" in response.content.decode()
    assert_nothing_created()


def test_unreachable_platform_keyset_is_a_clear_error_and_creates_nothing(
    client, platform, registration, problem_link
):
    registration.keyset_url = "http://127.0.0.1:9/jwks"  # the discard port: nothing listens
    registration.save()
    response = launch(client, platform, learner, problem_link)
    assert response.status_code == 400
    assert "could not fetch" in response.content.decode()
    assert_nothing_created()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"id_token": "not.a.jwt", "state": "x"},
        {"id_token": "a.b", "state": "x"},
        {"id_token": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "state": "x"},
        {"state": "x"},
    ],
)
def test_malformed_launches_are_400_never_500(client, registration, data):
    if data.get("state") == "x":
        client.cookies["lti1p3-x"] = "x"
    response = client.post(reverse("lti_launch"), data)
    assert response.status_code == 400
    assert_nothing_created()


def test_a_launch_must_be_a_post(client, db):
    assert client.get(reverse("lti_launch")).status_code == 405


def test_a_launch_with_a_broken_message_is_400(client, platform, registration, problem_link):
    claim = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
    response = launch(client, platform, learner, problem_link, **{claim: {"title": "no id"}})
    assert response.status_code == 400
    assert "does not understand" in response.content.decode()
    assert_nothing_created()


# -- Deep linking ----------------------------------------------------------------------------


def test_deep_linking_adds_a_problem_the_platform_accepts_and_launches(
    client, platform, registration, url_shortener
):
    response = launch(client, platform, teacher, deep_link=True)
    assert response.status_code == 302 and response["Location"] == reverse("lti_deep_link")
    picker = client.get(reverse("lti_deep_link")).content.decode()
    assert 'value="problem:foundations/url-shortener"' in picker
    assert 'value="set:foundations"' in picker

    answer = client.post(reverse("lti_deep_link"), {"link": "problem:foundations/url-shortener"})
    assert answer.status_code == 200
    page = answer.content.decode()
    assert f'action="{platform.url}/deep-link-return"' in page
    assert platform.url in answer["Content-Security-Policy"].split("form-action")[1]
    token = page.split('name="JWT" value="')[1].split('"')[0]
    link = platform.accept_deep_link_response(token)  # checks it against the tutor's keyset
    assert link.custom == {"problem_set": "foundations", "problem": "url-shortener"}
    assert link.lineitem and link.url == platform.tool_launch_url
    sent = platform.deep_link_responses[0]
    data_claim = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
    assert sent[data_claim].startswith("opaque-")

    # The request to add is used up; the link it made opens the problem for a learner.
    assert client.get(reverse("lti_deep_link")).status_code == 403
    client.logout()
    opened = launch(client, platform, learner, link)
    assert opened["Location"] == url_shortener.get_absolute_url()


def test_deep_linking_a_whole_set_asks_for_no_grade_column(
    client, platform, registration, foundations
):
    launch(client, platform, teacher, deep_link=True)
    page = client.post(reverse("lti_deep_link"), {"link": "set:foundations"}).content.decode()
    link = platform.accept_deep_link_response(page.split('name="JWT" value="')[1].split('"')[0])
    assert link.custom == {"problem_set": "foundations"} and link.lineitem is None


def test_the_picker_refuses_a_choice_that_is_not_there(client, platform, registration, foundations):
    launch(client, platform, teacher, deep_link=True)
    for choice in ("", "problem:foundations/nope", "set:nope", "bogus"):
        response = client.post(reverse("lti_deep_link"), {"link": choice})
        assert response.status_code == 400
        assert "Pick a problem set" in response.content.decode()


def test_a_learner_launch_cannot_use_the_picker(
    client, platform, registration, problem_link, alice
):
    launch(client, platform, learner, problem_link)
    for method in (client.get, client.post):
        response = method(reverse("lti_deep_link"), {"link": "set:foundations"})
        assert response.status_code == 403
    client.force_login(alice)
    assert client.get(reverse("lti_deep_link")).status_code == 403


def test_a_learners_resource_launch_cannot_reuse_an_instructors_deep_link(
    client, platform, registration, problem_link
):
    """An instructor's deep-linking launch id, planted in a learner's session, is not
    theirs: the picker refuses it."""
    launch(client, platform, teacher, deep_link=True)
    launch_id = client.session["lti_deep_link_launch"]
    other = Client()
    launch(other, platform, learner, problem_link)
    session = other.session
    session["lti_deep_link_launch"] = launch_id
    session.save()
    assert other.get(reverse("lti_deep_link")).status_code == 403
    assert other.post(reverse("lti_deep_link"), {"link": "set:foundations"}).status_code == 403


def test_the_picker_is_for_people_signed_in(client, db):
    response = client.get(reverse("lti_deep_link"))
    assert response.status_code == 302 and urlsplit(response["Location"]).path == reverse("login")


@pytest.mark.parametrize(
    "claims",
    [
        {"https://purl.imsglobal.org/spec/lti/claim/context": "not an object"},
        {"sub": "x" * 300},
        {"https://purl.imsglobal.org/spec/lti/claim/roles": 7},
        {"https://purl.imsglobal.org/spec/lti/claim/custom": ["not", "an", "object"]},
        {"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": "nope"},
    ],
    ids=["context", "long-sub", "roles", "custom", "ags"],
)
def test_signed_claims_of_the_wrong_shape_are_refused_not_500(
    client, platform, registration, problem_link, claims
):
    response = launch(client, platform, learner, problem_link, **claims)
    assert response.status_code in (400, 404)
    assert_nothing_created()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SECURE_COOKIES": "1"}, "None None True"),
        ({"SECURE_COOKIES": "1", "LTI_IFRAME_COOKIES": "0"}, "Lax Lax True"),
        ({"SECURE_COOKIES": "0"}, "Lax Lax False"),
    ],
)
def test_cookies_work_in_an_lms_frame_only_when_secure(env, expected):
    """Browsers send a framed third party's cookies only when SameSite=None, which they
    accept only with Secure; over plain HTTP the cookies stay Lax (the README says why
    the tests' LMS on localhost still gets them)."""
    code = (
        "import tutor.settings as s; "
        "print(s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE, s.SESSION_COOKIE_SECURE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "SECRET_KEY": "x", "DEBUG": "0", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == expected
