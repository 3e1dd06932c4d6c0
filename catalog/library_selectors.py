"""Reads of a listener's library and of the shelves made from it, built on `catalog.selectors`.

Each list is a queryset with the annotations and prefetches its serializer reads, so a
page costs a fixed number of queries however long it is.
"""

import datetime
from collections.abc import Sequence

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from catalog.models import (
    Artist,
    FollowedArtist,
    FollowedPlaylist,
    Playlist,
    Release,
    SavedRelease,
    SavedTrack,
)
from catalog.selectors import (
    artist_list,
    playlist_list_simplified,
    playlist_visible_q,
    release_list,
    release_list_simplified,
    release_playable_in,
    track_list,
)


def saved_tracks(
    *, user: User, market: str | None = None, now: datetime.datetime | None = None
) -> QuerySet[SavedTrack]:
    """The user's saved tracks, newest first, each with its full track object loaded."""
    return (
        SavedTrack.objects.filter(user=user)
        .prefetch_related(Prefetch("track", queryset=track_list(market=market, now=now)))
        .order_by("-added_at", "-id")
    )


def saved_tracks_contains(*, user: User, track_ids: Sequence[int]) -> list[bool]:
    saved = set(
        SavedTrack.objects.filter(user=user, track_id__in=track_ids).values_list(
            "track_id", flat=True
        )
    )
    return [track_id in saved for track_id in track_ids]


def saved_releases(
    *, user: User, market: str | None = None, now: datetime.datetime | None = None
) -> QuerySet[SavedRelease]:
    """The user's saved albums, newest first, each with its full album object loaded."""
    return (
        SavedRelease.objects.filter(user=user)
        .prefetch_related(Prefetch("release", queryset=release_list(market=market, now=now)))
        .order_by("-added_at", "-id")
    )


def saved_releases_contains(*, user: User, release_ids: Sequence[int]) -> list[bool]:
    saved = set(
        SavedRelease.objects.filter(user=user, release_id__in=release_ids).values_list(
            "release_id", flat=True
        )
    )
    return [release_id in saved for release_id in release_ids]


def user_playlists_public(*, owner: User, viewer: User | None) -> QuerySet[Playlist]:
    """Playlists `owner` owns that `viewer` may read (their own private ones too)."""
    return (
        playlist_list_simplified()
        .filter(owner=owner, kind=Playlist.Kind.USER)
        .filter(playlist_visible_q(viewer))
        .order_by("-created_at", "-id")
    )


def followed_artists(*, user: User, after: int | None = None) -> QuerySet[Artist]:
    """Artists the user follows, by id (the cursor `after` is the last id of a page)."""
    queryset = (
        artist_list()
        .filter(Exists(FollowedArtist.objects.filter(user=user, artist=OuterRef("pk"))))
        .order_by("pk")
    )
    if after is not None:
        queryset = queryset.filter(pk__gt=after)
    return queryset


def followed_artists_count(*, user: User) -> int:
    return FollowedArtist.objects.filter(user=user).count()


def followed_artists_contains(*, user: User, artist_ids: Sequence[int]) -> list[bool]:
    followed = set(
        FollowedArtist.objects.filter(user=user, artist_id__in=artist_ids).values_list(
            "artist_id", flat=True
        )
    )
    return [artist_id in followed for artist_id in artist_ids]


def user_playlists(*, user: User) -> QuerySet[Playlist]:
    """Playlists the user owns or follows and may still read, most recent first."""
    follows = FollowedPlaylist.objects.filter(user=user, playlist=OuterRef("pk"))
    return (
        playlist_list_simplified()
        .filter(Q(owner=user) | Exists(follows))
        .filter(playlist_visible_q(user))
        .order_by("-created_at", "-id")
    )


def followed_playlists_contains(*, user: User, playlist_ids: Sequence[int]) -> list[bool]:
    followed = set(
        FollowedPlaylist.objects.filter(user=user, playlist_id__in=playlist_ids).values_list(
            "playlist_id", flat=True
        )
    )
    return [playlist_id in followed for playlist_id in playlist_ids]


def playlist_followers_contains(*, playlist: Playlist, user_ids: Sequence[int]) -> list[bool]:
    following = set(
        FollowedPlaylist.objects.filter(playlist=playlist, user_id__in=user_ids).values_list(
            "user_id", flat=True
        )
    )
    return [user_id in following for user_id in user_ids]


def personalised_playlists(*, user: User) -> QuerySet[Playlist]:
    """The user's personalised playlists (Discover Weekly, Release Radar)."""
    return (
        playlist_list_simplified()
        .filter(kind=Playlist.Kind.PERSONALISED, owner=user)
        .order_by("name", "id")
    )


def new_releases(
    *, market: str | None = None, now: datetime.datetime | None = None
) -> QuerySet[Release]:
    """Released albums, newest first; with `market`, only those playable there."""
    now = now or timezone.now()
    queryset = (
        release_list_simplified(now=now)
        .filter(release_date__lte=now.date())
        .order_by("-release_date", "-id")
    )
    if market:
        queryset = queryset.filter(release_playable_in(market=market, now=now))
    return queryset
