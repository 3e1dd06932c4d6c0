"""Writes of the artists app: teams and invitations, releases, the insights aggregates.

Every team or release write re-checks the actor's role through `artists.selectors`, so the
API, the admin and scripts get the same rules. `check_*` validate and raise; the others act.
"""

import datetime
import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts import roles
from accounts.models import User
from artists import insights, selectors
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
from artists.selectors import CREDITED_ROLES, ROLE_RANK, ArtistAccess
from catalog import services as catalog_services
from catalog.models import (
    Artist,
    FollowedArtist,
    Genre,
    Playlist,
    PlaylistItem,
    Release,
    SavedTrack,
)
from common.errors import NotFound, PermissionDenied, ValidationFailed
from editorial import services as editorial_services
from editorial.models import Pitch
from licensing import services as licensing_services
from playback import selectors as playback_selectors
from playback.models import PlayEvent

INVITATION_TTL = datetime.timedelta(days=14)
SCHEDULE_MAX_AHEAD = datetime.timedelta(days=366)
INSIGHTS_LOOKBACK_HOURS = 48


def _token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _today(now: datetime.datetime | None = None) -> datetime.date:
    return (now or timezone.now()).astimezone(datetime.UTC).date()


# Teams


def check_role(role: str) -> str:
    if role not in TeamRole.values:
        raise ValidationFailed(f"Unknown role: {role!r}. Use one of {', '.join(TeamRole.values)}.")
    return role


def check_can_manage_team(*, actor: User, artist: Artist) -> ArtistAccess:
    access = selectors.artist_access(user=actor, artist_id=artist.pk)
    if not access.can_manage_team:
        raise PermissionDenied("Only an admin of the artist's team can do this.")
    return access


def _artist_team_group() -> Group:
    return Group.objects.get_or_create(name=roles.ARTIST_TEAM_MEMBERS)[0]


def _lock_team(artist: Artist) -> list[ArtistTeamMembership]:
    return list(
        ArtistTeamMembership.objects.select_for_update().filter(artist=artist).order_by("pk")
    )


def _check_keeps_an_admin(team: list[ArtistTeamMembership], leaving: ArtistTeamMembership) -> None:
    admins = [m for m in team if m.role == TeamRole.ADMIN and m.pk != leaving.pk]
    if leaving.role == TeamRole.ADMIN and not admins:
        raise ValidationFailed("A team keeps at least one admin; make someone else admin first.")


@transaction.atomic
def team_member_add(
    *, artist: Artist, user: User, role: str, invited_by: User | None = None
) -> ArtistTeamMembership:
    """Put the user on the artist's team (role raised, never lowered, if already there).

    Also puts the user in the "artist team members" group, which editorial's pitches
    and playback's uploads check.
    """
    check_role(role)
    _lock_team(artist)
    membership, created = ArtistTeamMembership.objects.get_or_create(
        artist=artist, user=user, defaults={"role": role, "invited_by": invited_by}
    )
    if not created and ROLE_RANK[role] > ROLE_RANK[membership.role]:
        membership.role = role
        membership.save(update_fields=["role"])
    user.groups.add(_artist_team_group())
    return membership


@transaction.atomic
def team_member_role_set(
    *, actor: User, membership: ArtistTeamMembership, role: str
) -> ArtistTeamMembership:
    check_role(role)
    check_can_manage_team(actor=actor, artist=membership.artist)
    team = _lock_team(membership.artist)
    current = next((m for m in team if m.pk == membership.pk), None)
    if current is None:
        raise NotFound("No such member in this team.")
    if role != TeamRole.ADMIN:
        _check_keeps_an_admin(team, current)
    current.role = role
    current.save(update_fields=["role"])
    return current


@transaction.atomic
def team_member_remove(*, actor: User, membership: ArtistTeamMembership) -> None:
    """Remove a member (an admin removes anyone; a member may leave by themselves)."""
    if actor.pk != membership.user_id:
        check_can_manage_team(actor=actor, artist=membership.artist)
    team = _lock_team(membership.artist)
    current = next((m for m in team if m.pk == membership.pk), None)
    if current is None:
        return
    _check_keeps_an_admin(team, current)
    current.delete()
    user = current.user
    if not ArtistTeamMembership.objects.filter(user=user).exists():
        user.groups.remove(_artist_team_group())


def _invitation_email(invitation: TeamInvitation, token: str, accept_url: str) -> None:
    inviter = invitation.invited_by.get_full_name() if invitation.invited_by else "Streamify"
    send_mail(
        subject=f"Join {invitation.artist.name}'s team on Streamify for Artists",
        message=(
            f"{inviter} invites you to {invitation.artist.name}'s team as "
            f"{invitation.get_role_display().lower()}.\n\n"
            f"Sign in with this email address and accept within "
            f"{INVITATION_TTL.days} days:\n\n"
            f"  POST {accept_url}\n\n"
            f"Token: {token}\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def team_invitation_create(
    *,
    actor: User,
    artist: Artist,
    email: str,
    role: str,
    accept_url: Callable[[str], str] = lambda token: f"/api/v1/invitations/{token}/accept",
    now: datetime.datetime | None = None,
) -> tuple[TeamInvitation, str]:
    """Invite `email` to the team; the token is emailed (after commit) and returned once.

    An open invitation to the same address is replaced.
    """
    now = now or timezone.now()
    check_role(role)
    check_can_manage_team(actor=actor, artist=artist)
    email = User.objects.normalize_email(email.strip()).lower()
    if not email or "@" not in email:
        raise ValidationFailed("Give the email address to invite.")
    if ArtistTeamMembership.objects.filter(artist=artist, user__email=email).exists():
        raise ValidationFailed(f"{email} is already on the team.")
    TeamInvitation.objects.filter(
        artist=artist, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = TeamInvitation.objects.create(
        artist=artist,
        email=email,
        role=role,
        token_sha256=_token_sha256(token),
        invited_by=actor,
        created_at=now,
        expires_at=now + INVITATION_TTL,
    )
    url = accept_url(token)
    transaction.on_commit(lambda: _invitation_email(invitation, token, url))
    return invitation, token


@transaction.atomic
def team_invitation_revoke(
    *, actor: User, invitation: TeamInvitation, now: datetime.datetime | None = None
) -> TeamInvitation:
    check_can_manage_team(actor=actor, artist=invitation.artist)
    invitation = TeamInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationFailed("This invitation was accepted; remove the member instead.")
    if invitation.revoked_at is None:
        invitation.revoked_at = now or timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


@transaction.atomic
def team_invitation_accept(
    *, user: User, token: str, now: datetime.datetime | None = None
) -> ArtistTeamMembership:
    """Join the team with the token of an invitation sent to the user's email address.

    Any other user, and any unknown or revoked token, gets the same 404.
    """
    now = now or timezone.now()
    invitation = (
        TeamInvitation.objects.select_for_update()
        .select_related("artist")
        .filter(token_sha256=_token_sha256(token))
        .first()
    )
    if (
        invitation is None
        or invitation.email.lower() != user.email.lower()
        or invitation.revoked_at is not None
    ):
        raise NotFound("No such invitation for you.")
    if invitation.accepted_at is not None:
        if invitation.accepted_by_id == user.pk:
            membership = ArtistTeamMembership.objects.filter(
                artist=invitation.artist, user=user
            ).first()
            if membership is not None:
                return membership
        raise NotFound("No such invitation for you.")
    if invitation.expires_at <= now:
        raise ValidationFailed("This invitation has expired; ask the team's admin for a new one.")
    membership = team_member_add(
        artist=invitation.artist, user=user, role=invitation.role, invited_by=invitation.invited_by
    )
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


# Releases


def release_cover_upload(*, actor: User, artist: Artist, release_id: int, data: bytes) -> Release:
    """Make `data` (checked by content, see `catalog.services.release_cover_set`) the cover
    of one of the artist's releases; admins and editors of the artist's team only."""
    check_can_manage_releases(actor=actor, artist=artist)
    release = selectors.artist_release_get(artist=artist, release_id=release_id)
    return catalog_services.release_cover_set(release=release, data=data)


def check_can_manage_releases(*, actor: User, artist: Artist) -> ArtistAccess:
    access = selectors.artist_access(user=actor, artist_id=artist.pk)
    if not access.can_manage_releases:
        raise PermissionDenied("Only admins and editors of the artist's team can do this.")
    return access


def check_upcoming(*, release: Release, now: datetime.datetime | None = None) -> None:
    today = _today(now)
    if release.release_date is not None and release.release_date <= today:
        raise ValidationFailed("This release is out already; only upcoming releases change.")


@transaction.atomic
def release_schedule(
    *,
    actor: User,
    artist: Artist,
    release: Release,
    release_date: datetime.date,
    markets: Sequence[str] | None = None,
    now: datetime.datetime | None = None,
) -> Release:
    """Set an upcoming release's date and its go-live at local midnight in each market
    (`markets` default to every market the release is licensed in)."""
    check_can_manage_releases(actor=actor, artist=artist)
    Release.objects.select_for_update().filter(pk=release.pk).first()
    release = selectors.artist_release_get(artist=artist, release_id=release.pk)
    check_upcoming(release=release, now=now)
    today = _today(now)
    if release_date <= today:
        raise ValidationFailed("Schedule the release for a day after today (UTC).")
    if release_date > today + SCHEDULE_MAX_AHEAD:
        raise ValidationFailed(
            f"Schedule the release at most {SCHEDULE_MAX_AHEAD.days} days ahead."
        )
    catalog_services.release_date_set(release_id=release.pk, release_date=release_date)
    release.release_date = release_date
    licensing_services.release_schedule_local(
        release=release,
        day=release_date,
        markets=None if markets is None else [str(m).upper() for m in markets],
    )
    return selectors.artist_release_get(artist=artist, release_id=release.pk)


def release_pitch(
    *,
    actor: User,
    artist: Artist,
    release: Release,
    story: str,
    genre: str | None = None,
    moods: Sequence[str] = (),
    markets: Sequence[str] = (),
    now: datetime.datetime | None = None,
) -> Pitch:
    """Pitch an upcoming release of the artist to the editors (editorial's pitch)."""
    check_can_manage_releases(actor=actor, artist=artist)
    release = selectors.artist_release_get(artist=artist, release_id=release.pk)
    genre_object = None
    if genre:
        genre_object = Genre.objects.filter(Q(slug=genre) | Q(name__iexact=genre)).first()
        if genre_object is None:
            raise ValidationFailed(f"Unknown genre: {genre[:60]!r}.")
    return editorial_services.pitch_create(
        release=release,
        user=actor,
        story=story,
        genre=genre_object,
        moods=moods,
        markets=markets,
        now=now,
    )


# Insights aggregates


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
    return start, start + datetime.timedelta(days=1)


def _age_group(birth_year: int | None, day: datetime.date) -> str:
    if not birth_year:
        return ArtistDailyAudience.AgeGroup.UNKNOWN
    age = day.year - birth_year
    for upper, group in (
        (17, ArtistDailyAudience.AgeGroup.UNDER_18),
        (24, ArtistDailyAudience.AgeGroup.AGE_18_24),
        (34, ArtistDailyAudience.AgeGroup.AGE_25_34),
        (44, ArtistDailyAudience.AgeGroup.AGE_35_44),
        (54, ArtistDailyAudience.AgeGroup.AGE_45_54),
        (64, ArtistDailyAudience.AgeGroup.AGE_55_64),
    ):
        if 0 <= age <= upper:
            return group
    return (
        ArtistDailyAudience.AgeGroup.AGE_65_PLUS
        if age > 0
        else ArtistDailyAudience.AgeGroup.UNKNOWN
    )


def _replace_day(
    model, day: datetime.date, rows: list, key: tuple[str, ...], fields: tuple[str, ...]
):
    """Make `rows` the day's rows of `model`: upsert them, delete the day's others."""
    wanted = {tuple(getattr(row, k) for k in key) for row in rows}
    stale = [
        pk
        for pk, *values in model.objects.filter(day=day).values_list("pk", *key).iterator()
        if tuple(values) not in wanted
    ]
    for start in range(0, len(stale), 5000):
        model.objects.filter(pk__in=stale[start : start + 5000]).delete()
    if rows:
        model.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=[k.removesuffix("_id") for k in key] + ["day"],
            update_fields=list(fields),
        )


def _grouped(queryset, keys: tuple[str, ...], **aggregates) -> Iterable[dict]:
    return queryset.order_by().values(*keys).annotate(**aggregates).iterator(chunk_size=5000)


@transaction.atomic
def insights_build_day(*, day: datetime.date) -> dict[str, int]:
    """Recompute one UTC day of every insights aggregate (idempotent upsert).

    Streams are the plays playback counts as streams (`playback.selectors`); an artist's
    tracks are those it is credited on as primary or featured artist. Saves, follows and
    playlist adds are the library rows created that day that still exist.
    """
    start, end = _day_bounds(day)
    streams = playback_selectors.streams_counted(start=start, end=end)
    credited = streams.filter(track__credits__role__in=CREDITED_ROLES)
    artist = "track__credits__artist_id"
    counts = {
        "streams": Count("pk", distinct=True),
        "listeners": Count("user_id", distinct=True),
    }

    artist_rows: dict[int, ArtistDailyStats] = {}

    def artist_row(artist_id: int) -> ArtistDailyStats:
        if artist_id not in artist_rows:
            artist_rows[artist_id] = ArtistDailyStats(artist_id=artist_id, day=day)
        return artist_rows[artist_id]

    for found in _grouped(credited, (artist,), **counts):
        row = artist_row(found[artist])
        row.streams, row.listeners = found["streams"], found["listeners"]
    saved = SavedTrack.objects.filter(
        added_at__gte=start, added_at__lt=end, track__credits__role__in=CREDITED_ROLES
    )
    for found in _grouped(saved, (artist,), n=Count("pk", distinct=True)):
        artist_row(found[artist]).saves = found["n"]
    added = PlaylistItem.objects.filter(
        added_at__gte=start, added_at__lt=end, track__credits__role__in=CREDITED_ROLES
    )
    for found in _grouped(added, (artist,), n=Count("pk", distinct=True)):
        artist_row(found[artist]).playlist_adds = found["n"]
    follows = FollowedArtist.objects.filter(followed_at__gte=start, followed_at__lt=end)
    for found in _grouped(follows, ("artist_id",), n=Count("pk")):
        artist_row(found["artist_id"]).follows = found["n"]
    for found in _grouped(
        FollowedArtist.objects.filter(followed_at__lt=end, artist_id__in=list(artist_rows)),
        ("artist_id",),
        n=Count("pk"),
    ):
        artist_row(found["artist_id"]).followers = found["n"]

    countries = [
        ArtistDailyCountry(
            artist_id=found[artist],
            day=day,
            country=found["country"],
            **{k: found[k] for k in counts},
        )
        for found in _grouped(credited, (artist, "country"), **counts)
    ]
    sources = [
        ArtistDailySource(
            artist_id=found[artist],
            day=day,
            source=found["context_type"],
            **{k: found[k] for k in counts},
        )
        for found in _grouped(credited, (artist, "context_type"), **counts)
    ]
    # Listeners of different birth years are different people: per-year counts add up.
    audience: dict[tuple[int, str], ArtistDailyAudience] = {}
    for found in _grouped(credited, (artist, "user__birth_year"), **counts):
        group = _age_group(found["user__birth_year"], day)
        key = (found[artist], group)
        row = audience.setdefault(
            key, ArtistDailyAudience(artist_id=key[0], day=day, age_group=group)
        )
        row.streams += found["streams"]
        row.listeners += found["listeners"]
    playlist_ids = set()
    playlist_found = []
    for found in _grouped(
        credited.filter(
            context_type__in=[
                PlayEvent.Context.PLAYLIST,
                PlayEvent.Context.EDITORIAL,
                PlayEvent.Context.PERSONALISED,
            ]
        ).exclude(context_id=""),
        (artist, "context_id"),
        **counts,
    ):
        if found["context_id"].isdigit() and len(found["context_id"]) < 19:
            playlist_ids.add(int(found["context_id"]))
            playlist_found.append(found)
    existing = set(
        Playlist.objects.filter(pk__in=playlist_ids).values_list("pk", flat=True).iterator()
    )
    playlists = [
        ArtistDailyPlaylist(
            artist_id=found[artist],
            day=day,
            playlist_id=int(found["context_id"]),
            streams=found["streams"],
            listeners=found["listeners"],
        )
        for found in playlist_found
        if int(found["context_id"]) in existing
    ]

    track_rows: dict[int, TrackDailyStats] = {}

    def track_row(track_id: int) -> TrackDailyStats:
        if track_id not in track_rows:
            track_rows[track_id] = TrackDailyStats(track_id=track_id, day=day)
        return track_rows[track_id]

    for found in _grouped(streams, ("track_id",), **counts):
        row = track_row(found["track_id"])
        row.streams, row.listeners = found["streams"], found["listeners"]
    for found in _grouped(
        SavedTrack.objects.filter(added_at__gte=start, added_at__lt=end),
        ("track_id",),
        n=Count("pk"),
    ):
        track_row(found["track_id"]).saves = found["n"]
    for found in _grouped(
        PlaylistItem.objects.filter(added_at__gte=start, added_at__lt=end),
        ("track_id",),
        n=Count("pk"),
    ):
        track_row(found["track_id"]).playlist_adds = found["n"]

    label_rows: dict[int, LabelDailyStats] = {}
    label = "track__release__label_id"

    def label_row(label_id: int) -> LabelDailyStats:
        if label_id not in label_rows:
            label_rows[label_id] = LabelDailyStats(label_id=label_id, day=day)
        return label_rows[label_id]

    for found in _grouped(streams.filter(track__release__label__isnull=False), (label,), **counts):
        row = label_row(found[label])
        row.streams, row.listeners = found["streams"], found["listeners"]
    for found in _grouped(
        SavedTrack.objects.filter(
            added_at__gte=start, added_at__lt=end, track__release__label__isnull=False
        ),
        (label,),
        n=Count("pk"),
    ):
        label_row(found[label]).saves = found["n"]
    for found in _grouped(
        PlaylistItem.objects.filter(
            added_at__gte=start, added_at__lt=end, track__release__label__isnull=False
        ),
        (label,),
        n=Count("pk"),
    ):
        label_row(found[label]).playlist_adds = found["n"]

    _replace_day(
        ArtistDailyStats,
        day,
        list(artist_rows.values()),
        ("artist_id",),
        ("streams", "listeners", "saves", "follows", "followers", "playlist_adds"),
    )
    _replace_day(ArtistDailyCountry, day, countries, ("artist_id", "country"), tuple(counts))
    _replace_day(ArtistDailySource, day, sources, ("artist_id", "source"), tuple(counts))
    _replace_day(
        ArtistDailyAudience, day, list(audience.values()), ("artist_id", "age_group"), tuple(counts)
    )
    _replace_day(ArtistDailyPlaylist, day, playlists, ("artist_id", "playlist_id"), tuple(counts))
    _replace_day(
        TrackDailyStats,
        day,
        list(track_rows.values()),
        ("track_id",),
        ("streams", "listeners", "saves", "playlist_adds"),
    )
    _replace_day(
        LabelDailyStats,
        day,
        list(label_rows.values()),
        ("label_id",),
        ("streams", "listeners", "saves", "playlist_adds"),
    )
    insights.insights_cache_invalidate()
    transaction.on_commit(insights.insights_cache_invalidate)
    return {
        "artists": len(artist_rows),
        "tracks": len(track_rows),
        "labels": len(label_rows),
        "playlists": len(playlists),
    }


def insights_build(*, days: Iterable[datetime.date]) -> list[datetime.date]:
    built = sorted(set(days))
    for day in built:
        insights_build_day(day=day)
    return built


def insights_refresh_recent(*, now: datetime.datetime | None = None) -> list[datetime.date]:
    """Rebuild the UTC days of the last INSIGHTS_LOOKBACK_HOURS and the days of plays
    received in that time (offline plays arrive late)."""
    now = now or timezone.now()
    hours = getattr(settings, "ARTISTS_INSIGHTS_LOOKBACK_HOURS", INSIGHTS_LOOKBACK_HOURS)
    since = now - datetime.timedelta(hours=hours)
    first, today = _today(since), _today(now)
    days = {first + datetime.timedelta(days=n) for n in range((today - first).days + 1)}
    days.update(playback_selectors.play_days_touched(since=since, now=now))
    return insights_build(days=days)


def insights_rebuild(
    *, since: datetime.date | None = None, now: datetime.datetime | None = None
) -> list[datetime.date]:
    """Rebuild every day from `since` (default: the first play) to today."""
    today = _today(now)
    if since is None:
        since = playback_selectors.play_first_day() or today
    days = {since + datetime.timedelta(days=n) for n in range((today - since).days + 1)}
    days.update(
        ArtistDailyStats.objects.filter(day__gte=since).values_list("day", flat=True).distinct()
    )
    return insights_build(days=days)
