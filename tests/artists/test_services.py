import datetime

import pytest
from django.core import mail

from accounts import roles
from artists import services
from artists.models import (
    ArtistDailyAudience,
    ArtistDailyCountry,
    ArtistDailyPlaylist,
    ArtistDailySource,
    ArtistDailyStats,
    ArtistTeamMembership,
    LabelDailyStats,
    TeamInvitation,
    TeamRole,
    TrackDailyStats,
)
from catalog.models import FollowedArtist, Playlist, PlaylistItem, SavedTrack, TrackArtist
from common.errors import NotFound, PermissionDenied, ValidationFailed
from editorial.models import Pitch
from tests.accounts.factories import UserFactory
from tests.artists.conftest import DAY
from tests.artists.factories import play, team_member
from tests.catalog.factories import ArtistFactory, PlaylistFactory, ReleaseFactory, TrackFactory

NOW = datetime.datetime(2025, 3, 10, 12, tzinfo=datetime.UTC)


# Teams


def test_invitation_is_emailed_and_accepted_by_the_invited_address(
    artist, admin_user, django_capture_on_commit_callbacks
):
    invitee = UserFactory(email="sam@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = services.team_invitation_create(
            actor=admin_user, artist=artist, email=" Sam@Example.com ", role=TeamRole.EDITOR
        )

    assert invitation.email == "sam@example.com"
    assert invitation.token_sha256 != token  # only the hash is stored
    assert len(mail.outbox) == 1
    assert token in mail.outbox[0].body
    assert mail.outbox[0].to == ["sam@example.com"]

    membership = services.team_invitation_accept(user=invitee, token=token)

    assert membership.role == TeamRole.EDITOR
    assert invitee.groups.filter(name=roles.ARTIST_TEAM_MEMBERS).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by == invitee
    # Accepting twice is harmless.
    assert services.team_invitation_accept(user=invitee, token=token) == membership


def test_invitation_token_is_useless_to_anyone_else(artist, admin_user, outsider):
    _, token = services.team_invitation_create(
        actor=admin_user, artist=artist, email="sam@example.com", role=TeamRole.ADMIN
    )

    with pytest.raises(NotFound):
        services.team_invitation_accept(user=outsider, token=token)
    with pytest.raises(NotFound):
        services.team_invitation_accept(user=outsider, token="not-a-token")
    assert not ArtistTeamMembership.objects.filter(user=outsider).exists()


def test_expired_and_revoked_invitations_cannot_be_accepted(artist, admin_user):
    invitee = UserFactory(email="sam@example.com")
    _, token = services.team_invitation_create(
        actor=admin_user,
        artist=artist,
        email="sam@example.com",
        role=TeamRole.READER,
        now=NOW - datetime.timedelta(days=15),
    )
    with pytest.raises(ValidationFailed, match="expired"):
        services.team_invitation_accept(user=invitee, token=token, now=NOW)

    invitation, token = services.team_invitation_create(
        actor=admin_user, artist=artist, email="sam@example.com", role=TeamRole.READER, now=NOW
    )
    services.team_invitation_revoke(actor=admin_user, invitation=invitation)
    with pytest.raises(NotFound):
        services.team_invitation_accept(user=invitee, token=token, now=NOW)


def test_inviting_again_replaces_the_open_invitation(artist, admin_user):
    first, _ = services.team_invitation_create(
        actor=admin_user, artist=artist, email="sam@example.com", role=TeamRole.READER
    )
    second, _ = services.team_invitation_create(
        actor=admin_user, artist=artist, email="sam@example.com", role=TeamRole.EDITOR
    )

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert TeamInvitation.objects.filter(revoked_at__isnull=True).get() == second


def test_only_admins_manage_the_team(artist, reader_user, outsider):
    for actor in (reader_user, outsider):
        with pytest.raises(PermissionDenied):
            services.team_invitation_create(
                actor=actor, artist=artist, email="x@example.com", role=TeamRole.ADMIN
            )
    membership = ArtistTeamMembership.objects.get(user=reader_user)
    with pytest.raises(PermissionDenied):
        services.team_member_role_set(actor=reader_user, membership=membership, role="admin")


def test_admin_of_another_artist_cannot_manage_this_team(artist, reader_user):
    foreign_admin = team_member(ArtistFactory(), TeamRole.ADMIN)
    membership = ArtistTeamMembership.objects.get(user=reader_user)

    with pytest.raises(PermissionDenied):
        services.team_member_remove(actor=foreign_admin, membership=membership)
    assert ArtistTeamMembership.objects.filter(pk=membership.pk).exists()


def test_team_keeps_an_admin(artist, admin_user, reader_user):
    own = ArtistTeamMembership.objects.get(user=admin_user)

    with pytest.raises(ValidationFailed, match="at least one admin"):
        services.team_member_role_set(actor=admin_user, membership=own, role=TeamRole.READER)
    with pytest.raises(ValidationFailed, match="at least one admin"):
        services.team_member_remove(actor=admin_user, membership=own)

    reader = ArtistTeamMembership.objects.get(user=reader_user)
    services.team_member_role_set(actor=admin_user, membership=reader, role=TeamRole.ADMIN)
    services.team_member_remove(actor=admin_user, membership=own)
    assert not ArtistTeamMembership.objects.filter(user=admin_user).exists()
    assert not admin_user.groups.filter(name=roles.ARTIST_TEAM_MEMBERS).exists()


def test_member_may_leave(artist, admin_user, reader_user):
    services.team_member_remove(
        actor=reader_user, membership=ArtistTeamMembership.objects.get(user=reader_user)
    )

    assert list(ArtistTeamMembership.objects.values_list("user", flat=True)) == [admin_user.pk]


# Releases


@pytest.fixture
def upcoming(artist):
    return ReleaseFactory(artists=[artist], release_date=None, title="Neon")


def test_editor_schedules_an_upcoming_release(artist, upcoming):
    editor = team_member(artist, TeamRole.EDITOR)

    release = services.release_schedule(
        actor=editor,
        artist=artist,
        release=upcoming,
        release_date=datetime.date(2025, 4, 4),
        now=NOW,
    )

    assert release.release_date == datetime.date(2025, 4, 4)
    upcoming.refresh_from_db()
    assert upcoming.release_date == datetime.date(2025, 4, 4)


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (datetime.date(2025, 3, 10), "after today"),
        (datetime.date(2026, 6, 1), "at most"),
    ],
)
def test_schedule_refuses_past_and_far_dates(artist, admin_user, upcoming, day, message):
    with pytest.raises(ValidationFailed, match=message):
        services.release_schedule(
            actor=admin_user, artist=artist, release=upcoming, release_date=day, now=NOW
        )


def test_released_release_is_not_rescheduled(artist, admin_user, release):
    with pytest.raises(ValidationFailed, match="out already"):
        services.release_schedule(
            actor=admin_user,
            artist=artist,
            release=release,
            release_date=datetime.date(2025, 5, 1),
            now=NOW,
        )


def test_reader_and_foreign_team_cannot_schedule_or_pitch(artist, reader_user, upcoming):
    foreign = team_member(ArtistFactory(), TeamRole.ADMIN)
    for actor in (reader_user, foreign):
        with pytest.raises(PermissionDenied):
            services.release_schedule(
                actor=actor,
                artist=artist,
                release=upcoming,
                release_date=datetime.date(2025, 4, 4),
                now=NOW,
            )
        with pytest.raises(PermissionDenied):
            services.release_pitch(actor=actor, artist=artist, release=upcoming, story="Hi")


def test_release_of_another_artist_is_not_found(artist, admin_user):
    foreign = ReleaseFactory(release_date=None)

    with pytest.raises(NotFound):
        services.release_pitch(actor=admin_user, artist=artist, release=foreign, story="Hi")


def test_pitch_goes_to_editorial(artist, admin_user, upcoming):
    pitch = services.release_pitch(
        actor=admin_user,
        artist=artist,
        release=upcoming,
        story="Recorded in a lighthouse.",
        moods=["chill"],
        markets=["se"],
    )

    assert Pitch.objects.get() == pitch
    assert pitch.submitted_by == admin_user
    assert [c.code for c in pitch.markets] == ["SE"]
    with pytest.raises(ValidationFailed, match="Unknown genre"):
        services.release_pitch(
            actor=admin_user, artist=artist, release=upcoming, story="x", genre="nope"
        )


# Insights aggregates


@pytest.fixture
def scene(artist, track):
    """Two listeners of the artist's track, one featured track, a foreign track."""
    featured = ArtistFactory(name="Guest")
    TrackArtist.objects.create(track=track, artist=featured, role=TrackArtist.Role.FEATURED)
    producer = ArtistFactory(name="Producer")
    TrackArtist.objects.create(track=track, artist=producer, role=TrackArtist.Role.PRODUCER)
    anna = UserFactory(birth_year=2000)
    bo = UserFactory(birth_year=None)
    editorial_owner = UserFactory()
    chill = PlaylistFactory(owner=editorial_owner, kind=Playlist.Kind.EDITORIAL, name="Chill")
    play(user=anna, track=track, day=DAY, context_type="editorial", context_id=str(chill.pk))
    play(user=anna, track=track, day=DAY, country="NO", context_type="search")
    play(user=bo, track=track, day=DAY, context_type="collection")
    play(user=bo, track=track, day=DAY, ms_played=10_000)  # a skip, not a stream
    play(user=bo, track=TrackFactory(), day=DAY)  # someone else's track
    play(user=anna, track=track, day=DAY + datetime.timedelta(days=1))  # the next day
    return {"anna": anna, "bo": bo, "chill": chill, "featured": featured, "producer": producer}


def test_build_day_counts_streams_and_unique_listeners(artist, track, scene):
    counts = services.insights_build_day(day=DAY)

    stats = ArtistDailyStats.objects.get(artist=artist, day=DAY)
    assert (stats.streams, stats.listeners) == (3, 2)
    assert ArtistDailyStats.objects.get(artist=scene["featured"], day=DAY).streams == 3
    assert not ArtistDailyStats.objects.filter(artist=scene["producer"]).exists()
    assert counts["artists"] == 3  # ours, the guest, the other track's artist
    assert {
        (c.country, c.streams, c.listeners)
        for c in ArtistDailyCountry.objects.filter(artist=artist)
    } == {("SE", 2, 2), ("NO", 1, 1)}
    assert {(s.source, s.streams) for s in ArtistDailySource.objects.filter(artist=artist)} == {
        ("editorial", 1),
        ("search", 1),
        ("collection", 1),
    }
    assert {
        (a.age_group, a.streams, a.listeners)
        for a in ArtistDailyAudience.objects.filter(artist=artist)
    } == {("25-34", 2, 1), ("unknown", 1, 1)}
    assert [
        (p.playlist_id, p.streams) for p in ArtistDailyPlaylist.objects.filter(artist=artist)
    ] == [(scene["chill"].pk, 1)]
    track_stats = TrackDailyStats.objects.get(track=track, day=DAY)
    assert (track_stats.streams, track_stats.listeners) == (3, 2)
    label_stats = LabelDailyStats.objects.get(label=track.release.label, day=DAY)
    assert (label_stats.streams, label_stats.listeners) == (3, 2)


def test_build_day_counts_saves_follows_and_playlist_adds(artist, track, scene):
    noon = datetime.datetime.combine(DAY, datetime.time(12), tzinfo=datetime.UTC)
    SavedTrack.objects.create(user=scene["anna"], track=track, added_at=noon)
    FollowedArtist.objects.create(user=scene["anna"], artist=artist, followed_at=noon)
    FollowedArtist.objects.create(
        user=scene["bo"], artist=artist, followed_at=noon - datetime.timedelta(days=30)
    )
    PlaylistItem.objects.create(playlist=PlaylistFactory(), track=track, position=0, added_at=noon)

    services.insights_build_day(day=DAY)

    stats = ArtistDailyStats.objects.get(artist=artist, day=DAY)
    assert (stats.saves, stats.follows, stats.followers, stats.playlist_adds) == (1, 1, 2, 1)
    track_stats = TrackDailyStats.objects.get(track=track, day=DAY)
    assert (track_stats.saves, track_stats.playlist_adds) == (1, 1)


def test_rebuilding_a_day_is_idempotent_and_drops_stale_rows(artist, track, scene):
    services.insights_build_day(day=DAY)
    services.insights_build_day(day=DAY)
    assert ArtistDailyStats.objects.get(artist=artist, day=DAY).streams == 3

    from playback.models import PlayEvent

    PlayEvent.objects.filter(country="NO").delete()
    services.insights_build_day(day=DAY)

    assert ArtistDailyStats.objects.get(artist=artist, day=DAY).streams == 2
    assert not ArtistDailyCountry.objects.filter(country="NO").exists()
    assert not ArtistDailySource.objects.filter(source="search").exists()


def test_refresh_recent_builds_the_days_of_late_plays(artist, track, scene):
    late_day = DAY - datetime.timedelta(days=20)
    play(user=scene["bo"], track=track, day=late_day)

    built = services.insights_refresh_recent(now=datetime.datetime.now(datetime.UTC))

    assert late_day in built and DAY in built
    assert ArtistDailyStats.objects.get(artist=artist, day=late_day).streams == 1


def test_rebuild_covers_every_day_since(artist, track, scene):
    now = datetime.datetime.combine(
        DAY + datetime.timedelta(days=3), datetime.time(1), tzinfo=datetime.UTC
    )
    built = services.insights_rebuild(since=DAY, now=now)

    assert built == [DAY + datetime.timedelta(days=n) for n in range(4)]
    assert ArtistDailyStats.objects.filter(artist=artist).count() == 2
