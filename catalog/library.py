"""Writes to a listener's library: saved tracks, followed artists and playlists, own playlists.

Every service is idempotent where the Spotify Web API is (saving a saved track, following a
followed artist). Playlist edits lock the playlist row, keep item positions contiguous from
0 and bump `Playlist.snapshot`, which the API returns as `snapshot_id`.
"""

import io
import uuid
from collections.abc import Iterable, Sequence

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from accounts.models import User
from catalog.models import (
    Artist,
    FollowedArtist,
    FollowedPlaylist,
    Playlist,
    PlaylistItem,
    Rating,
    Release,
    SavedRelease,
    SavedTrack,
    Track,
)
from catalog.selectors import playlist_visible_q
from common.errors import NotFound, PermissionDenied, ValidationFailed

MAX_IDS = 50
MAX_RELEASE_IDS = 20
PLAYLIST_COVER_MAX_BYTES = 256 * 1024
MAX_PLAYLIST_ITEMS_PER_REQUEST = 100
PLAYLIST_NAME_MAX = Playlist._meta.get_field("name").max_length


def _unique(ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(ids))


def _check_ids(ids: Sequence[int], *, maximum: int = MAX_IDS) -> list[int]:
    if not ids:
        raise ValidationFailed("No ids given.")
    if len(ids) > maximum:
        raise ValidationFailed(f"Too many ids: at most {maximum}.")
    return _unique(ids)


def _existing(model, ids: list[int]) -> list[int]:
    found = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        label = model._meta.verbose_name
        raise NotFound(f"Unknown {label} id: {', '.join(map(str, missing))}.")
    return ids


def playlist_get_for_edit(*, user: User, playlist_id: int, lock: bool = False) -> Playlist:
    """Return the playlist if `user` owns it.

    Another listener's private playlist is reported as missing (404) so its existence does
    not leak; a visible playlist the user does not own is refused with 403.
    """
    queryset = Playlist.objects.all()
    if lock:
        queryset = queryset.select_for_update()
    playlist = queryset.filter(pk=playlist_id).first()
    if playlist is None or not (playlist.public or playlist.owner_id == user.pk):
        raise NotFound("Playlist not found.")
    if playlist.owner_id != user.pk:
        raise PermissionDenied("Only the owner can change this playlist.")
    return playlist


def _bump(playlist: Playlist) -> Playlist:
    playlist.snapshot += 1
    playlist.save(update_fields=["snapshot", "updated_at"])
    return playlist


def _check_snapshot(playlist: Playlist, snapshot_id: str | None) -> None:
    if snapshot_id not in (None, "") and str(playlist.snapshot) != str(snapshot_id):
        raise ValidationFailed("The playlist changed since snapshot_id was read.", status=409)


@transaction.atomic
def track_save(*, user: User, track_ids: Sequence[int]) -> None:
    ids = _existing(Track, _check_ids(track_ids))
    now = timezone.now()
    SavedTrack.objects.bulk_create(
        [SavedTrack(user=user, track_id=i, added_at=now) for i in ids], ignore_conflicts=True
    )


@transaction.atomic
def track_unsave(*, user: User, track_ids: Sequence[int]) -> None:
    SavedTrack.objects.filter(user=user, track_id__in=_check_ids(track_ids)).delete()


@transaction.atomic
def release_save(*, user: User, release_ids: Sequence[int]) -> None:
    ids = _existing(Release, _check_ids(release_ids, maximum=MAX_RELEASE_IDS))
    now = timezone.now()
    SavedRelease.objects.bulk_create(
        [SavedRelease(user=user, release_id=i, added_at=now) for i in ids], ignore_conflicts=True
    )


@transaction.atomic
def release_unsave(*, user: User, release_ids: Sequence[int]) -> None:
    ids = _check_ids(release_ids, maximum=MAX_RELEASE_IDS)
    SavedRelease.objects.filter(user=user, release_id__in=ids).delete()


def check_playlist_cover(jpeg: bytes) -> None:
    """Refuse anything but a JPEG image of at most PLAYLIST_COVER_MAX_BYTES."""
    if not jpeg:
        raise ValidationFailed("No image given.")
    if len(jpeg) > PLAYLIST_COVER_MAX_BYTES:
        raise ValidationFailed("The image is larger than 256 KB.", status=413)
    try:
        with Image.open(io.BytesIO(jpeg)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationFailed("The image is not a readable JPEG.") from None
    if kind != "JPEG":
        raise ValidationFailed("The image must be a JPEG.")


@transaction.atomic
def playlist_cover_set(*, user: User, playlist_id: int, jpeg: bytes) -> Playlist:
    """Replace the cover of a playlist the user owns (the old file stays for CDN caches)."""
    check_playlist_cover(jpeg)
    playlist = playlist_get_for_edit(user=user, playlist_id=playlist_id, lock=True)
    playlist.cover.save(f"{uuid.uuid4().hex}.jpg", ContentFile(jpeg), save=False)
    playlist.save(update_fields=["cover", "updated_at"])
    return playlist


@transaction.atomic
def artist_follow(*, user: User, artist_ids: Sequence[int]) -> None:
    ids = _existing(Artist, _check_ids(artist_ids))
    now = timezone.now()
    FollowedArtist.objects.bulk_create(
        [FollowedArtist(user=user, artist_id=i, followed_at=now) for i in ids],
        ignore_conflicts=True,
    )


@transaction.atomic
def artist_unfollow(*, user: User, artist_ids: Sequence[int]) -> None:
    FollowedArtist.objects.filter(user=user, artist_id__in=_check_ids(artist_ids)).delete()


@transaction.atomic
def playlist_follow(*, user: User, playlist_id: int) -> None:
    if not Playlist.objects.filter(playlist_visible_q(user), pk=playlist_id).exists():
        raise NotFound("Playlist not found.")
    FollowedPlaylist.objects.get_or_create(user=user, playlist_id=playlist_id)


@transaction.atomic
def playlist_unfollow(*, user: User, playlist_id: int) -> None:
    if not Playlist.objects.filter(playlist_visible_q(user), pk=playlist_id).exists():
        raise NotFound("Playlist not found.")
    FollowedPlaylist.objects.filter(user=user, playlist_id=playlist_id).delete()


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationFailed("A playlist needs a name.")
    if len(name) > PLAYLIST_NAME_MAX:
        raise ValidationFailed(f"Playlist name too long: at most {PLAYLIST_NAME_MAX}.")
    return name


@transaction.atomic
def user_playlist_create(
    *, owner: User, name: str, description: str = "", public: bool = True
) -> Playlist:
    """Create a user playlist; the owner follows it, as on Spotify."""
    playlist = Playlist.objects.create(
        owner=owner,
        kind=Playlist.Kind.USER,
        name=_check_name(name),
        description=description.strip(),
        public=public,
    )
    FollowedPlaylist.objects.create(user=owner, playlist=playlist)
    return playlist


@transaction.atomic
def playlist_update(
    *,
    user: User,
    playlist_id: int,
    name: str | None = None,
    description: str | None = None,
    public: bool | None = None,
) -> Playlist:
    playlist = playlist_get_for_edit(user=user, playlist_id=playlist_id, lock=True)
    if name is not None:
        playlist.name = _check_name(name)
    if description is not None:
        playlist.description = description.strip()
    if public is not None:
        playlist.public = public
    playlist.save(update_fields=["name", "description", "public", "updated_at"])
    return playlist


def _items(playlist: Playlist) -> list[PlaylistItem]:
    return list(PlaylistItem.objects.filter(playlist=playlist).order_by("position", "id"))


def _renumber(items: list[PlaylistItem]) -> None:
    changed = []
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            changed.append(item)
    if changed:
        PlaylistItem.objects.bulk_update(changed, ["position"])


@transaction.atomic
def playlist_items_add(
    *, user: User, playlist_id: int, track_ids: Sequence[int], position: int | None = None
) -> Playlist:
    """Insert tracks at `position` (appended when None); duplicates are allowed, as on Spotify."""
    if not track_ids:
        raise ValidationFailed("No tracks given.")
    if len(track_ids) > MAX_PLAYLIST_ITEMS_PER_REQUEST:
        raise ValidationFailed(f"Too many tracks: at most {MAX_PLAYLIST_ITEMS_PER_REQUEST}.")
    _existing(Track, _unique(track_ids))
    playlist = playlist_get_for_edit(user=user, playlist_id=playlist_id, lock=True)
    items = _items(playlist)
    if position is None:
        position = len(items)
    if not 0 <= position <= len(items):
        raise ValidationFailed(f"Invalid position: must be between 0 and {len(items)}.")
    now = timezone.now()
    new = PlaylistItem.objects.bulk_create(
        [
            PlaylistItem(
                playlist=playlist,
                track_id=track_id,
                position=len(items) + i,
                added_by=user,
                added_at=now,
            )
            for i, track_id in enumerate(track_ids)
        ]
    )
    if position < len(items):
        if not all(item.pk for item in new):  # backends without RETURNING ids
            new = list(
                PlaylistItem.objects.filter(playlist=playlist, position__gte=len(items)).order_by(
                    "position"
                )
            )
        _renumber(items[:position] + new + items[position:])
    return _bump(playlist)


@transaction.atomic
def playlist_items_remove(
    *,
    user: User,
    playlist_id: int,
    track_ids: Sequence[int] = (),
    positions: dict[int, Sequence[int]] | None = None,
    snapshot_id: str | None = None,
) -> Playlist:
    """Remove every occurrence of `track_ids`, and the items at `positions` per track id.

    `positions` maps a track id to the positions it must occupy; a mismatch is an error,
    so a stale client cannot remove the wrong item.
    """
    positions = positions or {}
    if not track_ids and not positions:
        raise ValidationFailed("No tracks given.")
    if len(track_ids) + len(positions) > MAX_PLAYLIST_ITEMS_PER_REQUEST:
        raise ValidationFailed(f"Too many tracks: at most {MAX_PLAYLIST_ITEMS_PER_REQUEST}.")
    playlist = playlist_get_for_edit(user=user, playlist_id=playlist_id, lock=True)
    _check_snapshot(playlist, snapshot_id)
    items = _items(playlist)
    all_of = set(track_ids)
    at: set[int] = set()
    for track_id, track_positions in positions.items():
        for position in track_positions:
            if not 0 <= position < len(items) or items[position].track_id != track_id:
                raise ValidationFailed(f"Track {track_id} is not at position {position}.")
            at.add(position)
    doomed = [item for index, item in enumerate(items) if item.track_id in all_of or index in at]
    if not doomed:
        return playlist
    PlaylistItem.objects.filter(pk__in=[item.pk for item in doomed]).delete()
    doomed_ids = {item.pk for item in doomed}
    _renumber([item for item in items if item.pk not in doomed_ids])
    return _bump(playlist)


@transaction.atomic
def playlist_items_set(*, user: User, playlist_id: int, track_ids: Sequence[int]) -> Playlist:
    """Replace the whole item list (Spotify's PUT with `uris`); bumps the snapshot."""
    if len(track_ids) > MAX_PLAYLIST_ITEMS_PER_REQUEST:
        raise ValidationFailed(f"Too many items: at most {MAX_PLAYLIST_ITEMS_PER_REQUEST}.")
    _existing(Track, _unique(track_ids))
    playlist = playlist_get_for_edit(user=user, playlist_id=playlist_id, lock=True)
    PlaylistItem.objects.filter(playlist=playlist).delete()
    now = timezone.now()
    PlaylistItem.objects.bulk_create(
        PlaylistItem(playlist=playlist, track_id=track_id, position=i, added_by=user, added_at=now)
        for i, track_id in enumerate(track_ids)
    )
    return _bump(playlist)


@transaction.atomic
def playlist_items_reorder(
    *,
    user: User,
    playlist_id: int,
    range_start: int,
    insert_before: int,
    range_length: int = 1,
    snapshot_id: str | None = None,
) -> Playlist:
    """Move items [range_start, range_start + range_length) before the item at insert_before.

    Spotify's semantics: `insert_before` indexes the list as it was before the move, and
    equal to the list's length means "to the end".
    """
    playlist = playlist_get_for_edit(user=user, playlist_id=playlist_id, lock=True)
    _check_snapshot(playlist, snapshot_id)
    items = _items(playlist)
    count = len(items)
    if range_length < 1:
        raise ValidationFailed("Invalid range_length: must be at least 1.")
    if not 0 <= range_start < count or range_start + range_length > count:
        raise ValidationFailed("Invalid range_start or range_length for this playlist.")
    if not 0 <= insert_before <= count:
        raise ValidationFailed(f"Invalid insert_before: must be between 0 and {count}.")
    if range_start <= insert_before <= range_start + range_length:
        return playlist  # the range would land where it already is
    moving = items[range_start : range_start + range_length]
    rest = items[:range_start] + items[range_start + range_length :]
    target = insert_before - range_length if insert_before > range_start else insert_before
    _renumber(rest[:target] + moving + rest[target:])
    return _bump(playlist)


@transaction.atomic
def rating_set(
    *, user: User, rating: int, track_id: int | None = None, release_id: int | None = None
) -> None:
    """Rate a track or a release 1-5; 0 removes the rating."""
    if (track_id is None) == (release_id is None):
        raise ValidationFailed("Rate either a track or a release.")
    if not 0 <= rating <= 5:
        raise ValidationFailed("rating: must be between 0 and 5.")
    model, pk = (Track, track_id) if track_id is not None else (Release, release_id)
    _existing(model, [pk])
    target = {"track_id": track_id} if track_id is not None else {"release_id": release_id}
    if rating == 0:
        Rating.objects.filter(user=user, **target).delete()
        return
    Rating.objects.update_or_create(
        user=user, **target, defaults={"rating": rating, "rated_at": timezone.now()}
    )


@transaction.atomic
def playlist_delete(*, user: User, playlist_id: int) -> None:
    """Delete a playlist the user owns (another's is missing or forbidden, as for edits)."""
    playlist_get_for_edit(user=user, playlist_id=playlist_id, lock=True).delete()


MAX_PLAYLIST_LENGTH = 10_000


@transaction.atomic
def playlist_items_replace(*, user: User, playlist_id: int, track_ids: Sequence[int]) -> Playlist:
    """Make the playlist hold exactly `track_ids`, in order (duplicates allowed)."""
    if len(track_ids) > MAX_PLAYLIST_LENGTH:
        raise ValidationFailed(f"Too many tracks: at most {MAX_PLAYLIST_LENGTH}.")
    if track_ids:
        _existing(Track, _unique(track_ids))
    playlist = playlist_get_for_edit(user=user, playlist_id=playlist_id, lock=True)
    PlaylistItem.objects.filter(playlist=playlist).delete()
    now = timezone.now()
    PlaylistItem.objects.bulk_create(
        PlaylistItem(playlist=playlist, track_id=track_id, position=i, added_by=user, added_at=now)
        for i, track_id in enumerate(track_ids)
    )
    return _bump(playlist)
