"""Staff run the site from the admin: every model has a working list and search."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import make_user
from tutor.models import User
from tutor.services import save_phase, start_attempt

MODELS = list(apps.get_app_config("tutor").get_models())


def test_every_tutor_model_is_registered():
    assert {m for m in MODELS if m not in admin.site._registry} == set()


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_staff_can_list_and_search_each_model(client, alice, url_shortener, model):
    attempt = start_attempt(alice, url_shortener)
    save_phase(attempt, 1, {"functional": [{"text": "A user can shorten a URL", "path": "write"}]})
    staff = make_user("sam", User.Role.STAFF)
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    url = reverse(f"admin:tutor_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "a"}).status_code == 200


def test_staff_change_a_role_in_the_admin(client, alice):
    staff = make_user("sam", User.Role.STAFF)
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    page = client.get(reverse("admin:tutor_user_change", args=[alice.pk]))
    assert b'name="role"' in page.content
