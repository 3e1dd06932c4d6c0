"""Reads of the artists app: who may see what, teams, releases.

Access is decided here once for every API view and service. A tenant is an artist (its
team; label staff of a label the artist releases on may read its insights and releases)
or a label (the licensing party's members). Superusers see everything; `is_staff` alone
(editors are staff for the admin) gives nothing here.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from artists.models import ArtistTeamMembership, TeamInvitation, TeamRole
from catalog.models import Artist, Label, Release, ReleaseArtist, Track, TrackArtist
from common.errors import NotFound, PermissionDenied
from editorial.models import Pitch
from licensing.models import LabelMembership, Party

LABEL_ROLE = "label"  # label staff reading a roster artist
SUPERUSER_ROLE = "superuser"
# Credits that make a track the artist's own in the dashboard (not producer, composer...).
CREDITED_ROLES = (TrackArtist.Role.PRIMARY, TrackArtist.Role.FEATURED)
ROLE_RANK = {TeamRole.READER: 1, TeamRole.EDITOR: 2, TeamRole.ADMIN: 3}


@dataclass(frozen=True)
class ArtistAccess:
    """The artist and the user's role. For label staff (`LABEL_ROLE`) the artist carries
    `label_scope`, their label ids: every selector here and every insight honours it, so
    label staff see only their labels' releases."""

    artist: Artist
    role: str

    @property
    def label_scope(self) -> tuple[int, ...] | None:
        return getattr(self.artist, "label_scope", None)

    @property
    def can_read_team(self) -> bool:
        return self.role in (*TeamRole.values, SUPERUSER_ROLE)

    @property
    def can_manage_team(self) -> bool:
        return self.role in (TeamRole.ADMIN, SUPERUSER_ROLE)

    @property
    def can_manage_releases(self) -> bool:
        return self.role in (TeamRole.ADMIN, TeamRole.EDITOR, SUPERUSER_ROLE)


def _authenticated(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def label_staff_of_artist(*, user, artist_id: int) -> bool:
    """Whether the user works for a label the artist has a release on."""
    if not _authenticated(user):
        return False
    return ReleaseArtist.objects.filter(
        artist_id=artist_id,
        release__label__licensing_parties__memberships__user=user,
    ).exists()


def artist_access(*, user, artist_id: int) -> ArtistAccess:
    """The artist and the user's role for it; 404 unknown artist, 403 not its team.

    One query for a team member (the dashboard's hot path), a second for label staff.
    """
    authenticated = _authenticated(user)
    artists = Artist.objects.filter(pk=artist_id).only("id", "name").order_by()
    if authenticated:
        artists = artists.annotate(
            team_role=Subquery(
                ArtistTeamMembership.objects.filter(artist=OuterRef("pk"), user=user)
                .order_by()
                .values("role")[:1]
            )
        )
    artist = artists.first()
    if artist is None:
        raise NotFound("Artist not found.")
    if authenticated and user.is_superuser:
        return ArtistAccess(artist=artist, role=SUPERUSER_ROLE)
    role = getattr(artist, "team_role", None)
    if role is None and label_staff_of_artist(user=user, artist_id=artist.pk):
        role = LABEL_ROLE
        artist.label_scope = tuple(user_label_ids(user=user))
    if role is None:
        raise PermissionDenied("You are not on this artist's team.")
    return ArtistAccess(artist=artist, role=role)


def user_label_ids(*, user) -> list[int]:
    """The catalog labels of the licensing parties the user works for."""
    return list(
        Label.objects.filter(licensing_parties__memberships__user=user)
        .order_by("id")
        .values_list("id", flat=True)
        .distinct()
    )


def artist_outside_scope(*, artist: Artist) -> bool:
    """Whether the artist (as returned by `artist_access`, for label staff) is credited on
    a track of a release outside its `label_scope`: then the artist-wide figures would
    show other labels' releases."""
    scope = getattr(artist, "label_scope", None)
    if scope is None:
        return False
    return (
        TrackArtist.objects.filter(artist=artist, role__in=CREDITED_ROLES)
        .exclude(track__release__label_id__in=scope)
        .exists()
    )


def artist_insights_access(*, user, artist_id: int) -> Artist:
    """The artist, when the user may read its artist-wide insights (`artist_access`).

    Label staff may not when the artist is credited on another label's releases: its
    artist-wide figures include them. Their label's and tracks' insights remain.
    """
    artist = artist_access(user=user, artist_id=artist_id).artist
    if artist_outside_scope(artist=artist):
        raise PermissionDenied(
            "This artist also appears on other labels' releases: read your label's insights "
            "or its tracks' insights instead."
        )
    return artist


def track_access(*, user, track_id: int) -> Track:
    """The track, when the user may read its insights: a team of one of its credited
    artists, staff of its release's label, or a superuser."""
    track = Track.objects.filter(pk=track_id).select_related("release").first()
    if track is None:
        raise NotFound("Track not found.")
    if not _authenticated(user):
        raise PermissionDenied("You are not on this track's artist team.")
    if user.is_superuser:
        return track
    artist_ids = TrackArtist.objects.filter(track=track, role__in=CREDITED_ROLES).values(
        "artist_id"
    )
    on_team = ArtistTeamMembership.objects.filter(user=user, artist_id__in=artist_ids).exists()
    label_staff = (
        track.release.label_id is not None
        and LabelMembership.objects.filter(user=user, party__labels=track.release.label_id).exists()
    )
    if not (on_team or label_staff):
        raise PermissionDenied("You are not on this track's artist team.")
    return track


def label_access(*, user, label_id: int) -> Party:
    """The label (a licensing party, as in `/labels/{id}/statements`) of a member."""
    party = Party.objects.filter(pk=label_id).first()
    if party is None:
        raise NotFound("Label not found.")
    if not _authenticated(user):
        raise PermissionDenied("You are not a member of this label.")
    if (
        not user.is_superuser
        and not LabelMembership.objects.filter(user=user, party=party).exists()
    ):
        raise PermissionDenied("You are not a member of this label.")
    return party


def party_label_ids(*, party: Party) -> list[int]:
    return list(party.labels.values_list("id", flat=True))


def roster_artist_ids(*, label_ids: list[int]) -> QuerySet:
    """Ids of the artists with a release on one of the labels (a subquery)."""
    return (
        ReleaseArtist.objects.filter(release__label_id__in=label_ids)
        .values("artist_id")
        .distinct()
        .order_by()
    )


# Teams


def team_member_list(*, artist: Artist) -> QuerySet[ArtistTeamMembership]:
    return (
        ArtistTeamMembership.objects.filter(artist=artist)
        .select_related("user")
        .order_by("-role", "user__email")
    )


def team_membership_get(*, artist: Artist, user_id: int) -> ArtistTeamMembership:
    membership = (
        ArtistTeamMembership.objects.filter(artist=artist, user_id=user_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise NotFound("No such member in this team.")
    return membership


def team_invitation_list(
    *, artist: Artist, now: datetime.datetime | None = None
) -> QuerySet[TeamInvitation]:
    """Open invitations (not accepted, revoked or expired), newest first."""
    now = now or timezone.now()
    return TeamInvitation.objects.filter(
        artist=artist, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).select_related("invited_by")


def team_invitation_get(*, artist: Artist, invitation_id: int) -> TeamInvitation:
    invitation = TeamInvitation.objects.filter(artist=artist, pk=invitation_id).first()
    if invitation is None:
        raise NotFound("No such invitation for this artist.")
    return invitation


# Releases


def artist_release_list(*, artist: Artist) -> QuerySet[Release]:
    """The artist's releases, upcoming first, with label, track count and pitches; for
    label staff (`label_scope`), only their labels' releases."""
    releases = Release.objects.all()
    scope = getattr(artist, "label_scope", None)
    if scope is not None:
        releases = releases.filter(label_id__in=scope)
    return (
        releases.filter(Exists(ReleaseArtist.objects.filter(release=OuterRef("pk"), artist=artist)))
        .select_related("label")
        .annotate(
            total_tracks=Count("tracks", distinct=True),
            markets_scheduled=Count("licensing_market_dates", distinct=True),
        )
        .prefetch_related(
            Prefetch(
                "pitches",
                queryset=Pitch.objects.select_related("genre").order_by("-created_at", "-id"),
            )
        )
        .order_by(F("release_date").desc(nulls_first=True), "-id")
    )


def artist_release_get(*, artist: Artist, release_id: int) -> Release:
    release = artist_release_list(artist=artist).filter(pk=release_id).first()
    if release is None:
        raise NotFound("This artist has no such release.")
    return release


def release_status(*, release: Release, today: datetime.date | None = None) -> str:
    today = today or timezone.now().astimezone(datetime.UTC).date()
    if release.release_date is None:
        return "unscheduled"
    return "scheduled" if release.release_date > today else "released"


def my_artist_memberships(*, user) -> QuerySet[ArtistTeamMembership]:
    return (
        ArtistTeamMembership.objects.filter(user=user)
        .select_related("artist")
        .order_by("artist__name", "artist_id")
    )


def my_label_parties(*, user) -> QuerySet[Party]:
    return Party.objects.filter(memberships__user=user).order_by("name", "id")
