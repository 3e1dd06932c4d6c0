"""OAuth applications are registered by staff only; no dynamic registration endpoint."""

import pytest
from django.test import Client

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/o/applications/", "/o/applications/register/"])
def test_only_staff_manage_oauth_applications(path):
    listener = Client()
    listener.force_login(UserFactory())
    refused = listener.get(path)
    assert refused.status_code == 302
    assert "/admin/login/" in refused["Location"]
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))
    assert staff.get(path).status_code == 200


def test_no_dynamic_client_registration():
    assert Client().post("/o/register/", {}, content_type="application/json").status_code == 404
