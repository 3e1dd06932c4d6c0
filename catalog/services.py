"""Writes to the catalogue: audio import, availability, playlists."""

import contextlib
import datetime
import hashlib
import logging
import math
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef
from django.utils import timezone
from django.utils.text import slugify

from catalog.audio import AUDIO_EXTENSIONS, AudioFile, AudioRejected, audio_inspect, file_sha256
from catalog.images import (
    SIZES,
    CoverImages,
    cover_images,
    embedded_art,
    folder_art,
    generated_cover,
)
from catalog.models import (
    Artist,
    AvailabilityProfile,
    AvailabilityProfileWindow,
    FollowedArtist,
    Genre,
    Label,
    Playlist,
    PlaylistItem,
    Release,
    ReleaseArtist,
    SavedRelease,
    SavedTrack,
    Track,
    TrackArtist,
    TrackAvailabilityProfile,
)
from common.errors import ValidationFailed

logger = logging.getLogger(__name__)
_MARKET = re.compile(r"^[A-Z]{2}$")
AVAILABILITY_LOCK_KEY = 7_316_001  # pg advisory lock serialising availability writers
_Key = TypeVar("_Key", bound=Hashable)


@dataclass(frozen=True)
class TrackImportResult:
    CREATED = "created"
    SKIPPED = "skipped"
    REJECTED = "rejected"

    path: Path
    status: str
    reason: str = ""
    track: Track | None = None


@dataclass
class ImportReport:
    created: list[TrackImportResult] = field(default_factory=list)
    skipped: list[TrackImportResult] = field(default_factory=list)
    rejected: list[TrackImportResult] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)

    def add(self, result: TrackImportResult) -> None:
        getattr(self, result.status).append(result)


@dataclass(frozen=True)
class AvailabilityWindow:
    """A track is playable in `market` from `starts_at` until `ends_at` (open when None)."""

    market: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None = None


def genre_get_or_create(*, name: str) -> Genre:
    """Return the genre with this name or slug (any case), creating it if needed."""
    name = name.strip()[:100]
    slug = (
        slugify(name, allow_unicode=True)[:100]
        or f"genre-{uuid.uuid5(uuid.NAMESPACE_OID, name).hex[:8]}"
    )
    genre = (
        Genre.objects.filter(slug=slug).first() or Genre.objects.filter(name__iexact=name).first()
    )
    return genre or Genre.objects.get_or_create(slug=slug, defaults={"name": name})[0]


def label_get_or_create(*, name: str) -> Label:
    name = name.strip()[:200]
    label = Label.objects.filter(name__iexact=name).order_by("id").first()
    return label or Label.objects.get_or_create(name=name)[0]


def artist_get_or_create(*, name: str) -> Artist:
    """Return the oldest artist with this name in any case, creating it if needed."""
    name = name.strip()[:200]
    artist = Artist.objects.filter(name__iexact=name).order_by("id").first()
    return artist or Artist.objects.create(name=name)


def release_get_or_create(
    *,
    title: str,
    artists: Sequence[Artist],
    release_type: str = Release.Type.ALBUM,
    release_date: datetime.date | None = None,
    label: Label | None = None,
    upc: str = "",
    copyright: str = "",
) -> Release:
    """Return the release with this title (any case) whose first artist is `artists[0]`.

    A found release keeps its values; only a missing date, label, UPC or copyright is
    filled in.
    """
    release = (
        Release.objects.filter(title__iexact=title, credits__position=0, credits__artist=artists[0])
        .order_by("id")
        .first()
    )
    if release is None:
        release = Release.objects.create(
            title=title[:300],
            release_type=release_type,
            release_date=release_date,
            label=label,
            upc=upc,
            copyright=copyright,
        )
        ReleaseArtist.objects.bulk_create(
            ReleaseArtist(release=release, artist=artist, position=position)
            for position, artist in enumerate(artists)
        )
        return release
    changed = []
    if release.release_date is None and release_date is not None:
        release.release_date = release_date
        changed.append("release_date")
    if release.label_id is None and label is not None:
        release.label = label
        changed.append("label")
    for name, value in (("upc", upc), ("copyright", copyright)):
        if value and not getattr(release, name):
            setattr(release, name, value)
            changed.append(name)
    if changed:
        release.save(update_fields=changed)
    return release


@dataclass
class _ImportCache:
    """Rows an import run has already looked up or created, by their lookup key.

    Valid only while no transaction that created them has rolled back: callers clear it
    when a track's transaction fails.
    """

    artists: dict[str, Artist] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)
    genres: dict[str, Genre] = field(default_factory=dict)
    releases: dict[tuple[str, int], Release] = field(default_factory=dict)
    linked: set[tuple[str, int, int]] = field(default_factory=set)  # (kind, row id, genre id)

    def clear(self) -> None:
        for value in (self.artists, self.labels, self.genres, self.releases, self.linked):
            value.clear()

    def artist(self, name: str) -> Artist:
        key = name.strip()[:200].casefold()
        if key not in self.artists:
            self.artists[key] = artist_get_or_create(name=name)
        return self.artists[key]

    def label(self, name: str) -> Label:
        key = name.strip()[:200].casefold()
        if key not in self.labels:
            self.labels[key] = label_get_or_create(name=name)
        return self.labels[key]

    def genre(self, name: str) -> Genre:
        key = name.strip()[:100].casefold()
        if key not in self.genres:
            self.genres[key] = genre_get_or_create(name=name)
        return self.genres[key]

    def release(self, *, title: str, artists: list[Artist], **fields) -> Release:
        key = (title[:300].casefold(), artists[0].pk)
        cached = self.releases.get(key)
        if cached is None or (
            (cached.release_date is None and fields.get("release_date") is not None)
            or (cached.label_id is None and fields.get("label") is not None)
        ):
            cached = release_get_or_create(title=title, artists=artists, **fields)
            self.releases[key] = cached
        return cached

    def link_genres(self, kind: str, through, owner_field: str, owner_id: int, genres) -> None:
        """Add genres to an owner's M2M once per run: one INSERT, no read."""
        fresh = [g for g in genres if (kind, owner_id, g.pk) not in self.linked]
        if not fresh:
            return
        through.objects.bulk_create(
            [through(**{f"{owner_field}_id": owner_id, "genre_id": g.pk}) for g in fresh],
            ignore_conflicts=True,
        )
        self.linked.update((kind, owner_id, g.pk) for g in fresh)


def track_import(*, path: Path, label_name: str = "") -> TrackImportResult:
    """Import one audio file; a rejected file writes nothing.

    Idempotent: a file already imported (same content or same ISRC) is skipped before the
    slow decode. The checks run outside any transaction; `track_create_from_audio` writes.
    """
    try:
        sha256 = file_sha256(path)
    except OSError as exc:
        return TrackImportResult(path, TrackImportResult.REJECTED, f"cannot read file ({exc})")
    if existing := Track.objects.filter(source_sha256=sha256).only("id").first():
        return _already_imported(path, existing)
    try:
        audio = audio_inspect(path, sha256=sha256)
    except AudioRejected as exc:
        return TrackImportResult(path, TrackImportResult.REJECTED, exc.message)
    return track_create_from_audio(audio=audio, label_name=label_name)


def track_import_path(
    *,
    path: Path,
    label_name: str = "",
    on_result: Callable[[TrackImportResult], None] | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import a file or every audio file below a folder (by extension), one transaction each.

    Files are checked in parallel threads and written in path order; other files in a
    folder are listed in `ignored`. Raises ValidationFailed when `path` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise ValidationFailed(f"No such file or directory: {path}")
    report = ImportReport()
    if path.is_dir():
        candidates = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
        files = [p for p in candidates if p.suffix.lower() in AUDIO_EXTENSIONS]
        report.ignored = [p for p in candidates if p.suffix.lower() not in AUDIO_EXTENSIONS]
    else:
        files = [path]

    hashes: dict[Path, str] = {}
    for file in files:
        try:
            hashes[file] = file_sha256(file)
        except OSError as exc:
            _record(
                report,
                on_result,
                TrackImportResult(file, TrackImportResult.REJECTED, f"cannot read file ({exc})"),
            )
    known: dict[str, Track] = {}
    digests = list(set(hashes.values()))
    for start in range(0, len(digests), 500):  # stay below SQLite's parameter limit
        for track in Track.objects.filter(source_sha256__in=digests[start : start + 500]).only(
            "id", "source_sha256"
        ):
            known[track.source_sha256] = track
    cache = _ImportCache()
    with ThreadPoolExecutor(max_workers=workers or min(8, os.cpu_count() or 1)) as pool:
        # Headers and tags are read ahead in threads, a bounded window at a time, so
        # memory stays flat however large the library.
        items = list(hashes.items())
        window = 256
        for start in range(0, len(items), window):
            part = items[start : start + window]
            checks = {
                f: pool.submit(_inspect, f, sha256) for f, sha256 in part if sha256 not in known
            }
            for file, sha256 in part:
                if sha256 in known:
                    result = _already_imported(file, known[sha256])
                else:
                    checked = checks.pop(file).result()
                    if isinstance(checked, AudioFile):
                        result = track_create_from_audio(
                            audio=checked, label_name=label_name, cache=cache
                        )
                    else:
                        result = TrackImportResult(file, TrackImportResult.REJECTED, checked)
                _record(report, on_result, result)
    return report


def track_create_from_audio(
    *, audio: AudioFile, label_name: str = "", cache: _ImportCache | None = None
) -> TrackImportResult:
    """Create the track, its artists, release and genres, and store the original file.

    One transaction; the stored file is deleted again if that transaction fails. (If a
    caller's enclosing transaction rolls back later, the file is left orphaned.)
    """
    stored: list[str] = []
    cache = cache if cache is not None else _ImportCache()
    try:
        with transaction.atomic():
            return _track_create_from_audio(
                audio=audio, label_name=label_name, stored=stored, cache=cache
            )
    except BaseException:
        cache.clear()  # it may hold rows of the rolled-back transaction
        for name in stored:
            Track._meta.get_field("source_file").storage.delete(name)
        raise


def _track_create_from_audio(
    *, audio: AudioFile, label_name: str, stored: list[str], cache: _ImportCache
) -> TrackImportResult:
    if existing := Track.objects.filter(source_sha256=audio.sha256).only("id").first():
        return _already_imported(audio.path, existing)
    if audio.isrc and (existing := Track.objects.filter(isrc=audio.isrc).only("id").first()):
        return TrackImportResult(
            audio.path,
            TrackImportResult.SKIPPED,
            f"ISRC {audio.isrc} already imported as track {existing.id}",
            existing,
        )

    artists = {c.name.casefold(): cache.artist(c.name) for c in audio.credits}
    release_artists = [
        artists.get(name.casefold()) or cache.artist(name)
        for name in (audio.album_artists or audio.primary_artists)
    ]
    label_name = label_name or audio.label
    release = cache.release(
        title=audio.album or audio.title,
        artists=list(dict.fromkeys(release_artists)),
        release_type=audio.release_type
        or (Release.Type.ALBUM if audio.album else Release.Type.SINGLE),
        release_date=audio.release_date,
        label=cache.label(label_name) if label_name else None,
        upc=audio.upc,
        copyright=audio.copyright,
    )
    disc_number = audio.disc_number or 1
    track_number = audio.track_number or (
        (release.tracks.filter(disc_number=disc_number).aggregate(n=Max("track_number"))["n"] or 0)
        + 1
    )
    track = Track.objects.create(
        title=audio.title,
        release=release,
        isrc=audio.isrc,
        disc_number=disc_number,
        track_number=min(track_number, 32767),
        duration_ms=audio.duration_ms,
        explicit=audio.explicit,
        source_sha256=audio.sha256,
    )
    TrackArtist.objects.bulk_create(
        TrackArtist(track=track, artist=artists[c.name.casefold()], role=c.role, position=i)
        for i, c in enumerate(audio.credits)
    )
    genres = [cache.genre(name) for name in audio.genres]
    if genres:
        cache.link_genres("track", Track.genres.through, "track", track.pk, genres)
        cache.link_genres("release", Release.genres.through, "release", release.pk, genres)
        for credit in audio.credits:
            artist = artists[credit.name.casefold()]
            cache.link_genres("artist", Artist.genres.through, "artist", artist.pk, genres)

    with audio.path.open("rb") as fh:
        track.source_file.save(f"{uuid.uuid4().hex}.{audio.extension}", File(fh), save=False)
    stored.append(track.source_file.name)
    track.save(update_fields=["source_file"])
    _release_cover_from_files(release=release, audio_path=audio.path)
    return TrackImportResult(audio.path, TrackImportResult.CREATED, track=track)


@transaction.atomic
def track_availability_replace(
    *, track_ids: Iterable[int], windows: Iterable[AvailabilityWindow]
) -> tuple[int, int]:
    """Make `windows` the complete availability of every track in `track_ids`.

    This is the writer licensing calls when agreements change. Locks the tracks' rows (and
    serialises with other availability writers on PostgreSQL); the tracks point at the one
    profile holding exactly `windows` (none when empty), so replaying writes nothing.
    Returns (track windows created, track windows deleted).
    """
    wanted: dict[tuple[str, datetime.datetime], datetime.datetime | None] = {}
    for window in windows:
        availability_window_check(window)
        key = (window.market, window.starts_at)
        if wanted.get(key, window.ends_at) != window.ends_at:
            raise ValidationFailed(f"Two windows in {window.market} start at the same time.")
        wanted[key] = window.ends_at

    availability_lock()
    ids = list(
        Track.objects.select_for_update()
        .filter(id__in=list(track_ids))
        .order_by("id")
        .values_list("id", flat=True)
    )
    new_windows = [AvailabilityWindow(m, starts, ends) for (m, starts), ends in wanted.items()]
    profile_id = availability_profiles_ensure(profiles={0: new_windows})[0] if wanted else None
    current = dict(
        TrackAvailabilityProfile.objects.filter(track_id__in=ids).values_list(
            "track_id", "profile_id"
        )
    )
    old_windows: dict[int, set] = {pid: set() for pid in current.values()}
    for pid, *window in AvailabilityProfileWindow.objects.filter(
        profile_id__in=old_windows
    ).values_list("profile_id", "market", "starts_at", "ends_at"):
        old_windows[pid].add(tuple(window))
    new_set = {(w.market, w.starts_at, w.ends_at) for w in new_windows}
    created = deleted = 0
    for track_id in ids:
        old = old_windows.get(current.get(track_id), set())
        created += len(new_set - old)
        deleted += len(old - new_set)

    changed = [track_id for track_id in current if current[track_id] != profile_id]
    if profile_id is None:
        TrackAvailabilityProfile.objects.filter(track_id__in=changed).delete()
    else:
        TrackAvailabilityProfile.objects.filter(track_id__in=changed).update(profile_id=profile_id)
        TrackAvailabilityProfile.objects.bulk_create(
            (
                TrackAvailabilityProfile(track_id=track_id, profile_id=profile_id)
                for track_id in ids
                if track_id not in current
            ),
            batch_size=1000,
        )
    availability_profiles_prune(profile_ids=set(current.values()) - {profile_id})
    return created, deleted


def availability_window_check(window: AvailabilityWindow) -> None:
    if not _MARKET.match(window.market):
        raise ValidationFailed(f"Invalid market {window.market!r}: use ISO 3166-1 alpha-2.")
    if window.ends_at is not None and window.ends_at <= window.starts_at:
        raise ValidationFailed(f"Window in {window.market} ends before it starts.")


def availability_digest(windows: Iterable[AvailabilityWindow]) -> str:
    """The SHA-256 naming a set of windows: of its sorted lines `market starts ends` (UTC)."""
    lines = sorted(
        f"{w.market} {_utc_text(w.starts_at)} {_utc_text(w.ends_at) if w.ends_at else '-'}"
        for w in windows
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _utc_text(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def availability_lock() -> None:
    """Serialise availability writers until the transaction ends (PostgreSQL only)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AVAILABILITY_LOCK_KEY])


def availability_profiles_ensure(
    *, profiles: Mapping[_Key, Sequence[AvailabilityWindow]], batch_size: int = 5000
) -> dict[_Key, int]:
    """Return the id of the stored profile of each non-empty window set, creating the missing.

    Windows are trusted to be valid (see `availability_window_check`). Call it holding
    `availability_lock` or the session advisory lock, with the profiles assigned before
    `availability_profiles_prune` can run.
    """
    digests = {key: availability_digest(windows) for key, windows in profiles.items() if windows}
    windows_of = {digest: profiles[key] for key, digest in digests.items()}
    ids = _profile_ids(windows_of, batch_size)
    missing = sorted(set(windows_of) - set(ids))
    if missing:
        with transaction.atomic():
            AvailabilityProfile.objects.bulk_create(
                (AvailabilityProfile(digest=digest) for digest in missing),
                batch_size=batch_size,
                ignore_conflicts=True,
            )
            fresh = _profile_ids(missing, batch_size, without_windows=True)
            AvailabilityProfileWindow.objects.bulk_create(
                (
                    AvailabilityProfileWindow(
                        profile_id=profile_id,
                        market=w.market,
                        starts_at=w.starts_at,
                        ends_at=w.ends_at,
                    )
                    for digest, profile_id in fresh.items()
                    for w in windows_of[digest]
                ),
                batch_size=batch_size,
            )
        ids.update(_profile_ids(missing, batch_size))
    return {key: ids[digest] for key, digest in digests.items()}


def _profile_ids(
    digests: Collection[str], batch_size: int, *, without_windows: bool = False
) -> dict[str, int]:
    queryset = AvailabilityProfile.objects.order_by()
    if without_windows:
        queryset = queryset.exclude(
            Exists(AvailabilityProfileWindow.objects.filter(profile=OuterRef("pk")))
        )
    ordered, found = list(digests), {}
    for i in range(0, len(ordered), batch_size):
        found.update(
            queryset.filter(digest__in=ordered[i : i + batch_size]).values_list("digest", "id")
        )
    return found


def availability_profiles_prune(*, profile_ids: Collection[int] | None = None) -> int:
    """Delete profiles no track points at (of `profile_ids`; None: all). Returns how many."""
    queryset = AvailabilityProfile.objects.exclude(
        Exists(TrackAvailabilityProfile.objects.filter(profile=OuterRef("pk")))
    )
    if profile_ids is not None:
        if not profile_ids:
            return 0
        queryset = queryset.filter(id__in=list(profile_ids))
    AvailabilityProfileWindow.objects.filter(profile__in=queryset.values("id")).delete()
    return queryset.delete()[1].get(AvailabilityProfile._meta.label, 0)


@transaction.atomic
def playlist_create(
    *,
    owner,
    name: str,
    description: str = "",
    public: bool = True,
    kind: str = Playlist.Kind.USER,
    tracks: Sequence[Track] = (),
) -> Playlist:
    playlist = Playlist.objects.create(
        owner=owner, name=name, description=description, public=public, kind=kind
    )
    PlaylistItem.objects.bulk_create(
        PlaylistItem(playlist=playlist, track=track, position=i, added_by=owner)
        for i, track in enumerate(tracks)
    )
    return playlist


def _inspect(path: Path, sha256: str) -> AudioFile | str:
    try:
        return audio_inspect(path, sha256=sha256)
    except AudioRejected as exc:
        return exc.message


def _already_imported(path: Path, track: Track) -> TrackImportResult:
    return TrackImportResult(
        path, TrackImportResult.SKIPPED, f"already imported as track {track.id}", track
    )


def _record(report: ImportReport, on_result, result: TrackImportResult) -> None:
    report.add(result)
    if on_result is not None:
        on_result(result)


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


# Writes other apps ask catalog for (an app writes only its own tables)


@dataclass(frozen=True)
class PlaylistItemSpec:
    """One item of a playlist's new track list: who added it and when."""

    track_id: int
    added_by_id: int | None
    added_at: datetime.datetime


@transaction.atomic
def playlist_items_replace(*, playlist_id: int, items: Sequence[PlaylistItemSpec]) -> None:
    """Replace a playlist's items with `items`, positioned 0..n-1 in their order."""
    PlaylistItem.objects.filter(playlist_id=playlist_id).delete()
    PlaylistItem.objects.bulk_create(
        PlaylistItem(
            playlist_id=playlist_id,
            track_id=item.track_id,
            position=position,
            added_by_id=item.added_by_id,
            added_at=item.added_at,
        )
        for position, item in enumerate(items)
    )


@transaction.atomic
def playlist_items_renumber(*, playlist_id: int) -> None:
    """Make a playlist's positions 0..n-1 in their current order (after admin edits)."""
    items = list(PlaylistItem.objects.filter(playlist_id=playlist_id).order_by("position", "id"))
    moved = []
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            moved.append(item)
    if moved:
        PlaylistItem.objects.bulk_update(moved, ["position"])


def playlist_snapshot_bump(*, playlist_ids, now: datetime.datetime | None = None) -> int:
    """Bump the snapshot of the playlists (ids or a `values("…")` queryset); return how many."""
    return Playlist.objects.filter(pk__in=playlist_ids).update(
        snapshot=F("snapshot") + 1, updated_at=now or timezone.now()
    )


def playlists_personalised_create(
    *, owner_ids: Sequence[int], name: str, description: str, now: datetime.datetime
) -> list[Playlist]:
    """Create one private personalised playlist per owner (in `owner_ids` order)."""
    return Playlist.objects.bulk_create(
        Playlist(
            owner_id=owner,
            kind=Playlist.Kind.PERSONALISED,
            name=name,
            description=description,
            public=False,
            created_at=now,
        )
        for owner in owner_ids
    )


def playlist_items_swap(
    *, playlist_ids_sql: str, rows_sql: str, params: Sequence, now: datetime.datetime
) -> None:
    """Replace the items of many playlists in one statement pair (run inside the caller's
    transaction, so listeners see the old items until it commits).

    `playlist_ids_sql` selects the playlists to empty (one `playlist_id` column);
    `rows_sql` selects the new items as `playlist_id, track_id, position` columns; both may
    only read the caller's own tables, and `params` fill `rows_sql`'s placeholders after
    `playlist_ids_sql`'s. Rows naming a deleted track are dropped.
    """
    q = connection.ops.quote_name
    item, track = q(PlaylistItem._meta.db_table), q(Track._meta.db_table)
    # Table names come from model metadata and the caller's own SQL; values are parameters.
    delete = f"DELETE FROM {item} WHERE playlist_id IN ({playlist_ids_sql})"  # noqa: S608
    insert = (
        f"INSERT INTO {item} (playlist_id, track_id, position, added_at, added_by_id) "  # noqa: S608
        f"SELECT r.playlist_id, r.track_id, r.position, %s, NULL FROM ({rows_sql}) r "
        f"JOIN {track} t ON t.id = r.track_id"
    )
    placeholders = playlist_ids_sql.count("%s")
    with connection.cursor() as cursor:
        cursor.execute(delete, list(params[:placeholders]))
        cursor.execute(insert, [now, *params[placeholders:]])


def release_date_set(*, release_id: int, release_date: datetime.date) -> None:
    Release.objects.filter(pk=release_id).update(release_date=release_date)


def track_duration_set(*, track_id: int, source_sha256: str, duration_ms: int) -> None:
    """Record the measured duration if the track still has the original it was measured on."""
    Track.objects.filter(pk=track_id, source_sha256=source_sha256).update(duration_ms=duration_ms)


# --- Cover art ---------------------------------------------------------------------------


def _cover_store(images: CoverImages) -> str:
    """Store the sizes at content-addressed paths; return the name of the largest."""
    folder = f"images/{images.sha256[:2]}/{images.sha256}"
    for side, data in images.sizes.items():
        name = f"{folder}/{side}.jpg"
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(data))
    return f"{folder}/{SIZES[0]}.jpg"


def release_cover_set(*, release: Release, data: bytes) -> Release:
    """Check `data` by content and make it the release's cover, in the three served sizes.

    Raises ValidationFailed (ImageRejected) with the reason; nothing is stored then.
    Files are named by content, so setting the same image twice stores nothing new.
    """
    images = cover_images(data, max_bytes=settings.COVER_MAX_BYTES)
    name = _cover_store(images)
    Release.objects.filter(pk=release.pk).update(cover=name)
    release.cover.name = name
    return release


def release_cover_generate(*, release: Release) -> bool:
    """Give a release without a cover one drawn from its first track's audio waveform.

    Deterministic: the same audio and release give the same image. Returns False when the
    release has a cover already or no audio to draw from.
    """
    if release.cover:
        return False
    track = release.tracks.exclude(source_file="").order_by("disc_number", "track_number").first()
    if track is None:
        return False
    with _storage_local_path(track.source_file.name) as path:
        png = generated_cover(path, seed=f"{release.title}\n{track.source_sha256}")
    release_cover_set(release=release, data=png)
    return True


def release_covers_generate_missing(*, limit: int | None = None) -> int:
    """Draw covers for releases that have none (after imports without art)."""
    releases = Release.objects.filter(cover="", tracks__isnull=False).distinct().order_by("pk")
    done = 0
    for release in releases[:limit]:
        done += release_cover_generate(release=release)
    return done


def _release_cover_from_files(*, release: Release, audio_path: Path) -> bool:
    """Set the cover from art embedded in the file or next to it, if the release has none."""
    if release.cover:
        return False
    art = embedded_art(audio_path)
    if art is None and (found := folder_art(audio_path.parent)) is not None:
        art = found.read_bytes()
    if art is None:
        return False
    try:
        release_cover_set(release=release, data=art)
    except ValidationFailed as exc:
        logger.warning("Ignoring the cover art of %s: %s", audio_path, exc.message)
        return False
    return True


@contextlib.contextmanager
def _storage_local_path(name: str):
    try:
        yield Path(default_storage.path(name))
    except NotImplementedError:  # remote storage: copy it down first
        suffix = Path(name).suffix
        with tempfile.NamedTemporaryFile(suffix=suffix) as local:
            with default_storage.open(name, "rb") as remote:
                shutil.copyfileobj(remote, local)
            local.flush()
            yield Path(local.name)


# --- Popularity, demo library --------------------------------------------------------------


@transaction.atomic
def popularity_update(*, track_streams: Mapping[int, int]) -> int:
    """Set popularity (0-100, Spotify's scale) from recent stream counts per track.

    A track's popularity is log-scaled against the most streamed track; a release's is
    that of its most popular track, an artist's that of their most popular primary track.
    Tracks not in `track_streams` get 0. Returns how many tracks changed.
    """
    top = max(track_streams.values(), default=0)
    scale = math.log1p(top) or 1.0

    def score(streams: int) -> int:
        return min(100, round(100 * math.log1p(max(streams, 0)) / scale))

    changed = []
    for track in Track.objects.only("id", "popularity", "release_id").order_by("id"):
        value = score(track_streams.get(track.id, 0))
        if value != track.popularity:
            track.popularity = value
            changed.append(track)
    Track.objects.bulk_update(changed, ["popularity"], batch_size=1000)
    best_release: dict[int, int] = {}
    for release_id, value in Track.objects.values_list("release_id", "popularity"):
        best_release[release_id] = max(best_release.get(release_id, 0), value)
    releases = list(Release.objects.only("id", "popularity"))
    for release in releases:
        release.popularity = best_release.get(release.id, 0)
    Release.objects.bulk_update(releases, ["popularity"], batch_size=1000)
    best_artist: dict[int, int] = {}
    for artist_id, value in TrackArtist.objects.filter(role=TrackArtist.Role.PRIMARY).values_list(
        "artist_id", "track__popularity"
    ):
        best_artist[artist_id] = max(best_artist.get(artist_id, 0), value)
    artists = list(Artist.objects.only("id", "popularity"))
    for artist in artists:
        artist.popularity = best_artist.get(artist.id, 0)
    Artist.objects.bulk_update(artists, ["popularity"], batch_size=1000)
    return len(changed)


@dataclass(frozen=True)
class LibraryEntry:
    user_id: int
    object_id: int  # a track, release or artist id
    at: datetime.datetime


@transaction.atomic
def library_bulk_load(
    *,
    saved_tracks: Iterable[LibraryEntry] = (),
    saved_releases: Iterable[LibraryEntry] = (),
    followed_artists: Iterable[LibraryEntry] = (),
) -> int:
    """Add saves and follows in bulk (demo data, migrations); existing ones are kept as
    they are. Returns how many rows were offered."""
    rows = [
        *(SavedTrack(user_id=e.user_id, track_id=e.object_id, added_at=e.at) for e in saved_tracks),
        *(
            SavedRelease(user_id=e.user_id, release_id=e.object_id, added_at=e.at)
            for e in saved_releases
        ),
        *(
            FollowedArtist(user_id=e.user_id, artist_id=e.object_id, followed_at=e.at)
            for e in followed_artists
        ),
    ]
    for model in (SavedTrack, SavedRelease, FollowedArtist):
        model.objects.bulk_create(
            [row for row in rows if type(row) is model], batch_size=1000, ignore_conflicts=True
        )
    return len(rows)
