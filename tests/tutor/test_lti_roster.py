"""Names and Role Provisioning: the cohort dashboard pulls the course roster from the
running platform (tests/lti_platform.py), so learners who have not launched the tutor
yet show as "not started"."""

import pytest
from django.urls import reverse
from lti_tool.models import LtiMembership

from tests.factories import closed_problem_set
from tests.lti_platform import INSTRUCTOR, LEARNER, Person
from tests.tutor.lti_helpers import launch, learner, teacher

waiting = Person("lms-learner-2", "Wanda Waiting", "wanda@example.edu", LEARNER)
late = Person("lms-learner-3", "Luke Late", "luke@example.edu", LEARNER)
helper = Person("lms-teacher-2", "Hal Helper", "hal@example.edu", INSTRUCTOR)


@pytest.fixture
def course(client, platform, registration, foundations):
    """The instructor and one learner have launched a link to the set; the roster also
    lists two learners and an instructor who have not."""
    platform.roster = [teacher, learner, waiting, late, helper]
    link = platform.link({"problem_set": "foundations"}, "Foundations", graded=False)
    launch(client, platform, learner, link)
    client.logout()
    launch(client, platform, teacher, link)
    return link


def cohort(client):
    return client.get(reverse("teach_cohort", args=["foundations"])).content.decode()


def test_the_roster_shows_learners_who_have_not_launched_as_not_started(client, course):
    assert "Wanda Waiting" not in cohort(client)
    response = client.post(reverse("teach_roster", args=["foundations"]))
    assert response.status_code == 302
    page = cohort(client)
    assert "Fetched the roster of System Design 101: 5 members." in page
    table = page.split('class="computed roster-table"')[1].split("</table>")[0]
    assert "Wanda Waiting" in table and "Luke Late" in table
    assert table.count("Not started") == 2
    assert "Lena Learner" not in table  # launched: she is in the learners' table
    assert "Hal Helper" not in table and "Tess Teacher" not in table  # not learners


def test_a_roster_member_who_launches_leaves_the_not_started_list(client, platform, course):
    client.post(reverse("teach_roster", args=["foundations"]))
    client.logout()
    launch(client, platform, waiting, course)
    client.logout()
    launch(client, platform, teacher, course)
    table = cohort(client).split('class="computed roster-table"')[1].split("</table>")[0]
    assert "Wanda Waiting" not in table and "Luke Late" in table


def test_fetching_the_roster_again_updates_it(client, platform, course):
    client.post(reverse("teach_roster", args=["foundations"]))
    platform.roster = [teacher, learner, late]
    client.post(reverse("teach_roster", args=["foundations"]))
    # NRPS lists current members: one missing from it keeps the membership it had
    # (django-lti updates, never deletes), so the page says who the LMS listed.
    assert LtiMembership.objects.filter(user__sub=late.sub, is_learner=True).exists()
    assert "3 members" in cohort(client)


def test_a_platform_that_is_down_gives_a_clear_message_not_an_error(client, platform, course):
    platform.down = True
    response = client.post(reverse("teach_roster", args=["foundations"]), follow=True)
    assert response.status_code == 200
    assert "The LMS refused the roster of System Design 101 (HTTP 503)." in (
        response.content.decode()
    )
    assert not LtiMembership.objects.filter(user__sub=waiting.sub).exists()


def test_a_set_no_course_links_to_has_no_roster(client, charlie):
    closed_problem_set("charlies-set", instructor=charlie)
    client.force_login(charlie)
    page = client.get(reverse("teach_cohort", args=["charlies-set"])).content.decode()
    assert "Fetch the course roster" not in page
    response = client.post(reverse("teach_roster", args=["charlies-set"]), follow=True)
    assert "No LMS course links to this set yet" in response.content.decode()


def test_learners_cannot_fetch_the_roster(client, platform, course):
    client.logout()
    launch(client, platform, learner, course)
    assert client.post(reverse("teach_roster", args=["foundations"])).status_code == 403
    assert not LtiMembership.objects.filter(user__sub=waiting.sub).exists()
