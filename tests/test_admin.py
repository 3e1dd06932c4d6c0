"""Every admin page of every registered model loads for staff, with data present."""

import pytest
from django.contrib import admin
from django.urls import reverse

from common.admin import ReadOnlyAdminMixin
from tests.catalog.factories import PlaylistFactory, TrackFactory


@pytest.fixture
def populated(db):
    tracks = [TrackFactory(markets=["SE", "US"]) for _ in range(3)]
    PlaylistFactory(tracks=tracks)
    return tracks


def _registered_models():
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.mark.parametrize("model", _registered_models(), ids=lambda m: m._meta.label)
def test_changelist_and_add_pages_load(client, staff_user, populated, model):
    client.force_login(staff_user)
    opts = model._meta
    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    searched = client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), {"q": "a"}
    )
    assert searched.status_code == 200
    model_admin = admin.site._registry[model]
    if model_admin.has_add_permission(changelist.wsgi_request):
        add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        assert add.status_code == 200
    obj = model._default_manager.first()
    if obj is not None:
        change = client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        )
        assert change.status_code == 200


def test_admin_requires_staff(client, listener):
    client.force_login(listener)
    response = client.get(reverse("admin:catalog_track_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_track_page_shows_its_availability_windows_read_only(client, staff_user, populated):
    client.force_login(staff_user)
    track = populated[0]
    response = client.get(reverse("admin:catalog_track_change", args=[track.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Availability (written by licensing)" in page
    assert "<td>SE</td>" in page and "<td>US</td>" in page
    profile = track.availability_profile.profile
    response = client.get(reverse("admin:catalog_availabilityprofile_change", args=[profile.pk]))
    assert response.status_code == 200 and profile.digest in response.content.decode()


def _read_only_models():
    return [
        model
        for model in _registered_models()
        if isinstance(admin.site._registry[model], ReadOnlyAdminMixin)
    ]


def test_the_read_only_admins_are_the_shared_mixin():
    labels = {model._meta.label for model in _read_only_models()}
    assert {"accounts.CountryChange", "licensing.RoyaltyStatement", "playback.PlayEvent"} <= labels


@pytest.mark.parametrize("model", _read_only_models(), ids=lambda m: m._meta.label)
def test_read_only_admins_refuse_add_change_and_delete(client, staff_user, model):
    client.force_login(staff_user)
    opts = model._meta
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403
    request = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    model_admin = admin.site._registry[model]
    assert not model_admin.has_change_permission(request.wsgi_request)
    assert not model_admin.has_delete_permission(request.wsgi_request)
