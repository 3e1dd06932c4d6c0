import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import roles
from catalog.models import FollowedPlaylist, Playlist, PlaylistItem
from common.errors import NotFound, PermissionDenied, ValidationFailed
from editorial import selectors, services
from editorial.models import EditorialPlaylist, EditorialPlaylistChange, Pitch, PlaylistDailyStats
from playback.models import PlayEvent
from tests.accounts.factories import UserFactory
from tests.catalog.factories import GenreFactory, ReleaseFactory
from tests.editorial.factories import EditorialPlaylistFactory, PitchFactory
from tests.playback.factories import PlayEventFactory

State = EditorialPlaylist.State
Action = EditorialPlaylistChange.Action


def test_team_create_validates_languages_and_markets(db):
    team = services.team_create(name="Stockholm", markets=["se", "NO"], languages=["sv", "EN"])
    assert (team.slug, team.market_codes, team.language_list) == (
        "stockholm",
        ["NO", "SE"],
        ["sv", "en"],
    )
    assert team.default_language == "sv"
    with pytest.raises(ValidationFailed, match="Unknown markets: XX"):
        services.team_create(name="Nowhere", markets=["XX"], languages=["en"])
    with pytest.raises(ValidationFailed, match="at least one language"):
        services.team_create(name="Mute", markets=["SE"], languages=[])


def test_team_member_add_makes_an_admin_editor(stockholm):
    user = UserFactory()
    services.editorial_team_member_add(team=stockholm, user=user)
    user.refresh_from_db()
    assert user.is_staff
    assert user.groups.filter(name=roles.EDITORS).exists()
    assert user.has_perm("editorial.change_editorialplaylist")
    assert user.has_perm("catalog.view_track")
    assert not user.has_perm("editorial.delete_editorialplaylist")
    assert Group.objects.get(name=roles.EDITORS).permissions.count() == len(
        set(Group.objects.get(name=roles.EDITORS).permissions.values_list("pk", flat=True))
    )


def test_create_makes_a_private_draft_owned_by_streamify(stockholm, editor, tracks):
    playlist = services.editorial_playlist_create(
        team=stockholm,
        user=editor,
        name="Fikapaus",
        tracks=tracks[:2],
        translations={"en": ("Fika Break", "Soft songs.")},
    )
    assert playlist.kind == Playlist.Kind.EDITORIAL
    assert playlist.owner.email == services.OWNER_EMAIL
    assert (playlist.state, playlist.public) == (State.DRAFT, False)
    assert (playlist.language, playlist.market_codes) == ("sv", ["NO", "SE"])
    assert list(playlist.items.values_list("track_id", flat=True)) == [t.pk for t in tracks[:2]]
    actions = list(playlist.changes.order_by("id").values_list("action", "user"))
    assert actions == [(Action.CREATED, editor.pk), (Action.TRACKS, editor.pk)]


def test_an_editor_cannot_create_for_another_team(london, editor):
    with pytest.raises(PermissionDenied, match="London"):
        services.editorial_playlist_create(team=london, user=editor, name="Not mine")


def test_markets_must_be_the_teams(stockholm, editor):
    with pytest.raises(ValidationFailed, match=r"outside the Stockholm team's markets.*US"):
        services.editorial_playlist_create(team=stockholm, user=editor, name="X", markets=["US"])


def test_update_records_who_changed_what(stockholm, editor):
    playlist = EditorialPlaylistFactory(team=stockholm, name="Old")
    services.editorial_playlist_update(
        playlist=playlist, user=editor, name="New", markets=["SE"], featured=True
    )
    change = playlist.changes.get()
    assert (change.action, change.user) == (Action.EDITED, editor)
    assert change.changes == {
        "name": ["Old", "New"],
        "markets": [["NO", "SE"], ["SE"]],
        "featured": [False, True],
    }


def test_tracks_set_keeps_added_at_of_kept_tracks_and_bumps_the_snapshot(editor, stockholm, tracks):
    playlist = EditorialPlaylistFactory(team=stockholm, tracks=tracks[:2])
    first_added = playlist.items.get(track=tracks[0]).added_at
    services.editorial_playlist_tracks_set(
        playlist=playlist, user=editor, track_ids=[tracks[2].pk, tracks[1].pk, tracks[0].pk]
    )
    items = list(playlist.items.order_by("position"))
    assert [i.track_id for i in items] == [tracks[2].pk, tracks[1].pk, tracks[0].pk]
    assert [i.position for i in items] == [0, 1, 2]
    assert items[2].added_at == first_added
    assert Playlist.objects.get(pk=playlist.pk).snapshot == 2
    assert playlist.changes.get().changes == {"added": [tracks[2].pk], "reordered": True}
    services.editorial_playlist_tracks_set(playlist=playlist, user=editor, track_ids=[tracks[1].pk])
    assert playlist.changes.first().changes == {"removed": [tracks[2].pk, tracks[0].pk]}
    with pytest.raises(NotFound):
        services.editorial_playlist_tracks_set(playlist=playlist, user=editor, track_ids=[10**9])


def test_edit_changes_fields_texts_and_tracks_in_one_go(stockholm, london, editor, tracks):
    playlist = EditorialPlaylistFactory(team=stockholm, name="Old", tracks=tracks[:2])
    first_added = playlist.items.get(track=tracks[0]).added_at
    services.editorial_playlist_edit(
        playlist=playlist,
        user=editor,
        fields={"name": "New", "featured": True},
        translations={"en": ("New in English", "")},
        track_ids=[tracks[2].pk, tracks[0].pk],
    )
    playlist.refresh_from_db()
    assert (playlist.name, playlist.featured) == ("New", True)
    assert list(playlist.translations.values_list("language", "title")) == [
        ("en", "New in English")
    ]
    assert list(playlist.items.order_by("position").values_list("track_id", flat=True)) == [
        tracks[2].pk,
        tracks[0].pk,
    ]
    assert playlist.items.get(track=tracks[0]).added_at == first_added
    edited, tracked = (
        playlist.changes.get(action=Action.EDITED),
        playlist.changes.get(action=Action.TRACKS),
    )
    assert set(edited.changes) == {"name", "featured", "translations"}
    assert tracked.changes == {"added": [tracks[2].pk], "removed": [tracks[1].pk]}
    with pytest.raises(ValidationFailed, match="Cannot update: owner"):
        services.editorial_playlist_edit(playlist=playlist, user=editor, fields={"owner": editor})
    with pytest.raises(PermissionDenied):
        services.editorial_playlist_edit(playlist=playlist, user=editor, fields={"team": london})


def test_workflow_submit_then_lead_publishes(stockholm, editor, lead, tracks):
    playlist = EditorialPlaylistFactory(team=stockholm, tracks=tracks)
    services.editorial_playlist_submit(playlist=playlist, user=editor, note="Ready?")
    playlist.refresh_from_db()
    assert playlist.state == State.IN_REVIEW
    with pytest.raises(PermissionDenied, match="Only a lead of the Stockholm team"):
        services.editorial_playlist_publish(playlist=playlist, user=editor)
    playlist.refresh_from_db()
    assert (playlist.state, playlist.public) == (State.IN_REVIEW, False)

    services.editorial_playlist_publish(playlist=playlist, user=lead)
    playlist.refresh_from_db()
    assert (playlist.state, playlist.public) == (State.PUBLISHED, True)
    assert playlist.published_at is not None
    history = list(playlist.changes.order_by("id").values_list("action", "user", "note"))
    assert history == [
        (Action.SUBMITTED, editor.pk, "Ready?"),
        (Action.PUBLISHED, lead.pk, ""),
    ]


def test_transitions_from_the_wrong_state_explain_themselves(stockholm, lead, tracks):
    playlist = EditorialPlaylistFactory(team=stockholm, tracks=tracks)
    with pytest.raises(ValidationFailed, match="it is draft, and must be in review or scheduled"):
        services.editorial_playlist_publish(playlist=playlist, user=lead)
    with pytest.raises(ValidationFailed, match="Unknown transition"):
        services.editorial_playlist_transition(playlist=playlist, user=lead, transition="x")


def test_an_empty_playlist_cannot_be_submitted(stockholm, editor):
    playlist = EditorialPlaylistFactory(team=stockholm, markets=[])
    with pytest.raises(ValidationFailed, match="it has no tracks; it has no markets"):
        services.editorial_playlist_submit(playlist=playlist, user=editor)


def test_an_editor_of_another_team_cannot_submit(stockholm, london_editor, tracks):
    playlist = EditorialPlaylistFactory(team=stockholm, tracks=tracks)
    with pytest.raises(PermissionDenied):
        services.editorial_playlist_submit(playlist=playlist, user=london_editor)


def test_schedule_needs_a_future_publish_time(stockholm, editor, lead, tracks):
    playlist = EditorialPlaylistFactory(team=stockholm, tracks=tracks, state=State.IN_REVIEW)
    past = timezone.now() - datetime.timedelta(minutes=1)
    with pytest.raises(ValidationFailed, match="publish time in the future"):
        services.editorial_playlist_schedule(playlist=playlist, user=lead, publish_at=past)
    soon = timezone.now() + datetime.timedelta(hours=1)
    with pytest.raises(ValidationFailed, match="unpublish time must come after"):
        services.editorial_playlist_schedule(
            playlist=playlist, user=lead, publish_at=soon, unpublish_at=soon
        )
    with pytest.raises(PermissionDenied):
        services.editorial_playlist_schedule(playlist=playlist, user=editor, publish_at=soon)
    services.editorial_playlist_schedule(playlist=playlist, user=lead, publish_at=soon)
    playlist.refresh_from_db()
    assert (playlist.state, playlist.publish_at, playlist.public) == (State.SCHEDULED, soon, False)


def test_transitions_available_by_role(stockholm, editor, lead, london_editor):
    playlist = EditorialPlaylistFactory(team=stockholm, state=State.IN_REVIEW)
    names = lambda user: [  # noqa: E731
        t.name for t in services.transitions_available(playlist=playlist, user=user)
    ]
    assert names(editor) == []
    assert names(lead) == ["return", "schedule", "publish"]
    assert names(london_editor) == []
    playlist.state = State.DRAFT
    assert names(editor) == ["submit"]


def test_unavailable_tracks_are_reported_per_market(stockholm, tracks):
    playlist = EditorialPlaylistFactory(team=stockholm, tracks=tracks)
    warnings = selectors.playlist_unavailable_tracks(playlist=playlist)
    assert [(w.title, w.missing_markets) for w in warnings] == [("Only Sweden", ["NO"])]


# Pitches


def test_pitch_create_by_an_artist_team_member(db):
    member = UserFactory(role=roles.ARTIST_TEAM_MEMBERS)
    release = ReleaseFactory(release_date=datetime.date(2999, 1, 1))
    genre = GenreFactory()
    pitch = services.pitch_create(
        release=release,
        user=member,
        story=" A story. ",
        genre=genre,
        moods=["chill", "dark"],
        markets=["se"],
    )
    assert (pitch.status, pitch.story, pitch.moods) == ("submitted", "A story.", ["chill", "dark"])
    assert [c.code for c in pitch.markets] == ["SE"]
    with pytest.raises(ValidationFailed, match="already has a pitch"):
        services.pitch_create(release=release, user=member, story="Again")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"as_listener": True}, PermissionDenied, "Only artist team members"),
        ({"released": True}, ValidationFailed, "Only upcoming releases"),
        ({"story": ""}, ValidationFailed, "story"),
        ({"story": "x" * 501}, ValidationFailed, "500 characters"),
        ({"moods": ["angry"]}, ValidationFailed, "Unknown moods: angry"),
    ],
)
def test_pitch_create_refuses(db, kwargs, error, message):
    user = UserFactory(
        role=roles.LISTENERS if kwargs.get("as_listener") else roles.ARTIST_TEAM_MEMBERS
    )
    release = ReleaseFactory(
        release_date=datetime.date(2020, 1, 1) if kwargs.get("released") else None
    )
    with pytest.raises(error, match=message):
        services.pitch_create(
            release=release,
            user=user,
            story=kwargs.get("story", "Story"),
            moods=kwargs.get("moods", ()),
        )


def test_pitch_answer_by_an_editor_once(stockholm, editor, london_editor):
    pitch = PitchFactory()
    playlist = EditorialPlaylistFactory(team=stockholm)
    with pytest.raises(PermissionDenied):
        services.pitch_answer(
            pitch=pitch, user=london_editor, status="accepted", answer="Yes", placed_in=playlist
        )
    with pytest.raises(PermissionDenied, match="Only editors"):
        services.pitch_answer(pitch=pitch, user=UserFactory(), status="declined", answer="No")
    services.pitch_answer(
        pitch=pitch, user=editor, status="accepted", answer="Lovely", placed_in=playlist
    )
    pitch.refresh_from_db()
    assert (pitch.status, pitch.answered_by, pitch.placed_in_id) == (
        Pitch.Status.ACCEPTED,
        editor,
        playlist.pk,
    )
    with pytest.raises(ValidationFailed, match="already accepted"):
        services.pitch_answer(pitch=pitch, user=editor, status="declined", answer="No")


# Performance


def test_playlist_stats_build_day_counts_plays_from_the_playlist(stockholm, tracks):
    playlist = EditorialPlaylistFactory(team=stockholm, tracks=tracks)
    other = EditorialPlaylistFactory(team=stockholm)
    day = datetime.date(2025, 3, 1)
    at = datetime.datetime(2025, 3, 1, 12, tzinfo=datetime.UTC)
    listener_a, listener_b = UserFactory(), UserFactory()
    editorial = PlayEvent.Context.EDITORIAL
    for user, ms in ((listener_a, 200_000), (listener_a, 90_000), (listener_b, 5_000)):
        PlayEventFactory(
            user=user,
            track=tracks[0],
            ms_played=ms,
            ended_at=at,
            context_type=editorial,
            context_id=str(playlist.pk),
        )
    PlayEventFactory(ended_at=at, context_type=PlayEvent.Context.ALBUM, context_id=str(playlist.pk))
    PlayEventFactory(
        ended_at=at - datetime.timedelta(days=1),
        context_id=str(playlist.pk),
        context_type=PlayEvent.Context.PLAYLIST,
    )
    PlayEventFactory(ended_at=at, context_type=PlayEvent.Context.PLAYLIST, context_id="999999")
    FollowedPlaylist.objects.create(user=listener_b, playlist=playlist, followed_at=at)
    PlaylistDailyStats.objects.create(day=day, playlist=other, streams=7)  # stale, dropped

    assert services.playlist_stats_build_day(day=day) == 1
    stats = PlaylistDailyStats.objects.get()
    assert (stats.playlist_id, stats.streams, stats.listeners, stats.skips, stats.saves) == (
        playlist.pk,
        2,
        1,
        1,
        1,
    )
    assert stats.ms_played == 295_000
    services.playlist_stats_build_day(day=day)  # rebuilding changes nothing
    assert PlaylistDailyStats.objects.get().streams == 2


def test_playlist_item_positions_are_renumbered_after_an_edit(stockholm, editor, tracks):
    playlist = EditorialPlaylistFactory(team=stockholm)
    for position, track in zip((5, 2, 9), tracks, strict=True):
        PlaylistItem.objects.create(playlist=playlist, track=track, position=position)
    services.editorial_playlist_changes_record(playlist=playlist, user=editor, before=None)
    assert list(playlist.items.order_by("position").values_list("position", "track")) == [
        (0, tracks[1].pk),
        (1, tracks[0].pk),
        (2, tracks[2].pk),
    ]
