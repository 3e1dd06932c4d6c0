"""Audio import: files to artists, releases and tracks (idempotent, content-checked)."""

import datetime
import os
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files import File
from django.db import connection, transaction
from django.db.models import Max
from django.utils.text import slugify

from catalog.audio import AUDIO_EXTENSIONS, AudioFile, AudioRejected, audio_inspect, file_sha256
from catalog.models import Artist, Genre, Label, Release, ReleaseArtist, Track, TrackArtist
from common.errors import ValidationFailed

from .covers import _release_cover_from_files
from .lyrics import track_lyrics_set


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
        sidecars = {p.with_suffix(".lrc") for p in files}  # read with their audio
        report.ignored = [
            p
            for p in candidates
            if p.suffix.lower() not in AUDIO_EXTENSIONS and p.with_suffix(".lrc") not in sidecars
        ]
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
    caller's enclosing transaction rolls back later, the file is left orphaned.) On
    PostgreSQL the commit does not wait for the WAL flush: a database crash may lose the
    last fraction of a second of imports (whole ones, and nothing else), which importing
    the folder again adds back, as every file is known by its content hash. Inside a
    caller's transaction the caller's durability applies.
    """
    stored: list[str] = []
    cache = cache if cache is not None else _ImportCache()
    outermost = not connection.in_atomic_block
    try:
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
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
    if audio.lyrics is not None:
        track_lyrics_set(track=track, lyrics=audio.lyrics, source=audio.lyrics_source)
    return TrackImportResult(audio.path, TrackImportResult.CREATED, track=track)


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
