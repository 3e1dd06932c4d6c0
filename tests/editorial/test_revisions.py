"""An editor's change to a live playlist waits for a lead; listeners see no change until then."""

import pytest

from catalog.models import PlaylistItem
from common.errors import PermissionDenied, ValidationFailed
from editorial import services
from editorial.models import EditorialPlaylist, EditorialPlaylistRevision
from tests.editorial.factories import PublishedPlaylistFactory
from tests.editorial.test_admin import form_data, messages_of, url

pytestmark = pytest.mark.django_db
Revision = EditorialPlaylistRevision


@pytest.fixture
def live(stockholm, tracks):
    return PublishedPlaylistFactory(team=stockholm, name="Fikapaus", tracks=tracks[:2])


def _live_state(playlist: EditorialPlaylist) -> tuple:
    playlist = EditorialPlaylist.objects.get(pk=playlist.pk)
    tracks = list(
        PlaylistItem.objects.filter(playlist_id=playlist.pk)
        .order_by("position")
        .values_list("track_id", flat=True)
    )
    return playlist.name, playlist.description, playlist.snapshot, tracks


def test_an_editors_change_becomes_a_pending_revision_until_a_lead_approves(
    live, editor, lead, tracks
):
    before = _live_state(live)
    services.editorial_playlist_update(playlist=live, user=editor, name="Fika!", description="New")
    services.editorial_playlist_tracks_set(
        playlist=live, user=editor, track_ids=[tracks[2].pk, tracks[0].pk]
    )
    assert _live_state(live) == before  # listeners see nothing yet
    revisions = list(Revision.objects.order_by("pk"))
    assert [r.state for r in revisions] == ["pending", "pending"]
    assert revisions[0].changes == {
        "name": ["Fikapaus", "Fika!"],
        "description": ["Picked by our editors.", "New"],
    }
    assert revisions[1].track_ids == [tracks[2].pk, tracks[0].pk]
    assert live.changes.filter(action="proposed").count() == 2

    with pytest.raises(PermissionDenied):  # the author cannot approve their own change
        services.editorial_playlist_revision_approve(revision=revisions[0], user=editor)
    for revision in revisions:
        services.editorial_playlist_revision_approve(revision=revision, user=lead)
    name, description, snapshot, track_ids = _live_state(live)
    assert (name, description, track_ids) == ("Fika!", "New", [tracks[2].pk, tracks[0].pk])
    assert snapshot == before[2] + 1
    assert set(Revision.objects.values_list("state", flat=True)) == {"approved"}
    assert Revision.objects.filter(decided_by=lead).count() == 2
    with pytest.raises(ValidationFailed, match="already approved"):
        services.editorial_playlist_revision_approve(revision=revisions[0], user=lead)


def test_a_rejected_revision_changes_nothing(live, editor, lead):
    before = _live_state(live)
    services.editorial_playlist_update(playlist=live, user=editor, name="Nope")
    revision = Revision.objects.get()
    services.editorial_playlist_revision_reject(revision=revision, user=lead, note="Off brand")
    revision.refresh_from_db()
    assert revision.state == "rejected" and _live_state(live) == before
    assert live.changes.filter(action="rejected", note="Off brand").exists()


def test_a_lead_and_drafts_change_at_once(live, lead, editor, stockholm, tracks):
    services.editorial_playlist_update(playlist=live, user=lead, name="Lead's name")
    assert _live_state(live)[0] == "Lead's name"
    draft = services.editorial_playlist_create(team=stockholm, user=editor, name="Draft")
    services.editorial_playlist_update(playlist=draft, user=editor, name="Draft 2")
    assert EditorialPlaylist.objects.get(pk=draft.pk).name == "Draft 2"
    assert not Revision.objects.exists()


def test_a_proposal_that_changes_nothing_makes_no_revision(live, editor):
    services.editorial_playlist_update(playlist=live, user=editor, name="Fikapaus")
    assert not Revision.objects.exists()


def test_admin_save_by_an_editor_makes_a_revision_and_a_lead_approves_it(
    client, live, editor, lead, tracks
):
    before = _live_state(live)
    client.force_login(editor)
    page = client.get(url("editorialplaylist_change", live.pk))
    data = form_data(page)
    data["name"] = "Fika via admin"
    items = list(live.items.order_by("position"))
    for index in range(len(items)):  # swap the two tracks
        data[f"items-{index}-position"] = str((index + 1) % len(items))
    response = client.post(url("editorialplaylist_change", live.pk), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert _live_state(live) == before
    assert any("waits for a lead's review" in m for m in messages_of(response))
    revision = Revision.objects.get()
    assert revision.fields == {"name": "Fika via admin"}
    assert revision.track_ids == [tracks[1].pk, tracks[0].pk]

    client.force_login(lead)
    changelist = url("editorialplaylistrevision_changelist")
    assert client.get(changelist).status_code == 200
    client.post(changelist, {"action": "approve_selected", "_selected_action": [revision.pk]})
    name, _, _, track_ids = _live_state(live)
    assert (name, track_ids) == ("Fika via admin", [tracks[1].pk, tracks[0].pk])
    revision.refresh_from_db()
    assert revision.state == "approved"
