import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.db import IntegrityError

from accounts import roles
from accounts.models import User
from accounts.services import user_create


@pytest.mark.django_db
def test_role_groups_exist_from_migrations():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL_ROLES)


@pytest.mark.django_db
def test_user_logs_in_with_email_and_keeps_country_and_language():
    user = user_create(
        email="Ana@Example.com", password="a-long-secret-9", country="ES", language="es"
    )
    assert user.email == "ana@example.com"
    assert user.country.code == "ES"
    assert user.language == "es"
    assert user.groups.filter(name=roles.LISTENERS).exists()
    assert authenticate(email="ana@example.com", password="a-long-secret-9") == user


@pytest.mark.django_db
def test_email_is_unique_case_insensitively():
    user_create(email="ana@example.com", password="x-secret-123")
    with pytest.raises(IntegrityError):
        User.objects.create_user(email="ANA@example.com", password="y-secret-123")


@pytest.mark.django_db
def test_superuser_has_no_username():
    admin = User.objects.create_superuser(email="root@example.com", password="s3cret-pass")
    assert admin.is_staff and admin.is_superuser
    assert not hasattr(admin, "username") or admin.username is None
