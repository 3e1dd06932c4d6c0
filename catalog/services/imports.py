"""Audio import: files to artists, releases and tracks (idempotent, content-checked)."""

import dataclasses
import datetime
import functools
import os
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files import File
from django.db import transaction
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
    # False: results are kept without their track, so a large import's memory stays flat.
    keep_tracks: bool = True

    def add(self, result: TrackImportResult) -> None:
        if not self.keep_tracks and result.track is not None:
            result = dataclasses.replace(result, track=None)
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


def track_import_path(
    *,
    path: Path,
    label_name: str = "",
    on_result: Callable[[TrackImportResult], None] | None = None,
    workers: int | None = None,
    keep_tracks: bool = True,
) -> ImportReport:
    """Import a file or every audio file below a folder (by extension).

    Files are checked in parallel threads and written in path order, up to `_BATCH` in a
    transaction (one each when a batch fails, so each file is reported on its own); other
    files in a folder are listed in `ignored`. Raises ValidationFailed when `path` does not
    exist. `keep_tracks=False` keeps the report's results without their tracks (`on_result`
    still gets them), for libraries too large to hold every track in memory.
    """
    path = Path(path)
    if not path.exists():
        raise ValidationFailed(f"No such file or directory: {path}")
    report = ImportReport(keep_tracks=keep_tracks)
    if path.is_dir():
        candidates = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
        files = [p for p in candidates if p.suffix.lower() in AUDIO_EXTENSIONS]
        # Files named like an audio file (its .lrc sidecar) are read with it. Stems as
        # strings: a second Path per file would double the listing's memory.
        stems = {os.path.splitext(p)[0] for p in files}
        report.ignored = [
            p
            for p in candidates
            if p.suffix.lower() not in AUDIO_EXTENSIONS and os.path.splitext(p)[0] not in stems
        ]
        del candidates, stems
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
    known: dict[str, Track | int] = {}  # by sha256: a track, or the id of one written here
    digests = list(set(hashes.values()))
    for start in range(0, len(digests), 500):  # stay below SQLite's parameter limit
        for track in Track.objects.filter(source_sha256__in=digests[start : start + 500]).only(
            "id", "source_sha256"
        ):
            known[track.source_sha256] = track
    known_isrcs: dict[str, Track | int] = {}
    cache = _ImportCache()
    with ThreadPoolExecutor(max_workers=workers or min(8, os.cpu_count() or 1)) as pool:
        # Headers and tags are read ahead in threads, a bounded window at a time, so
        # memory stays flat however large the library.
        items = list(hashes.items())
        windows = [items[start : start + _WINDOW] for start in range(0, len(items), _WINDOW)]

        def read_ahead(part):
            return {f: pool.submit(_inspect, f, sha) for f, sha in part if sha not in known}

        ahead = read_ahead(windows[0]) if windows else {}
        for number, part in enumerate(windows):
            checks = ahead
            # The next window is read while this one is written.
            ahead = read_ahead(windows[number + 1]) if number + 1 < len(windows) else {}
            checked = {file: future.result() for file, future in checks.items()}
            _known_isrcs_add(
                known_isrcs,
                [a.isrc for a in checked.values() if isinstance(a, AudioFile) and a.isrc],
            )
            batch: list[AudioFile] = []
            for file, sha256 in part:
                audio = checked.get(file)
                if isinstance(audio, AudioFile):
                    batch.append(audio)
                    if len(batch) < _BATCH:
                        continue
                for result in _tracks_create(batch, label_name, cache, known, known_isrcs):
                    _record(report, on_result, result)
                batch = []
                if audio is None:
                    _record(report, on_result, _already_imported(file, known[sha256]))
                elif not isinstance(audio, AudioFile):
                    _record(
                        report,
                        on_result,
                        TrackImportResult(file, TrackImportResult.REJECTED, audio),
                    )
            for result in _tracks_create(batch, label_name, cache, known, known_isrcs):
                _record(report, on_result, result)
    return report


_WINDOW = 256  # files whose headers are read ahead
_BATCH = 64  # files written in one transaction


def _known_isrcs_add(known_isrcs: dict[str, Track | int], isrcs: list[str]) -> None:
    fresh = [isrc for isrc in set(isrcs) if isrc not in known_isrcs]
    for track in Track.objects.filter(isrc__in=fresh).only("id", "isrc"):
        known_isrcs[track.isrc] = track


def _tracks_create(
    batch: list[AudioFile],
    label_name: str,
    cache: "_ImportCache",
    known: dict[str, Track | int],
    known_isrcs: dict[str, Track | int],
) -> list[TrackImportResult]:
    """Create a batch of checked files' tracks in one transaction (their hashes and ISRCs
    looked up already); if it fails, roll back and create them one transaction each."""
    if not batch:
        return []
    stored: list[str] = []
    try:
        with transaction.atomic():
            return _tracks_write(
                batch,
                label_name=label_name,
                stored=stored,
                cache=cache,
                known=known,
                known_isrcs=known_isrcs,
            )
    except Exception:
        cache.clear()  # it may hold rows of the rolled-back transaction
        for name in stored:
            Track._meta.get_field("source_file").storage.delete(name)
        for audio in batch:
            known.pop(audio.sha256, None)
            if audio.isrc:
                known_isrcs.pop(audio.isrc, None)
        if len(batch) == 1:
            raise
    # One at a time: each file checked again and reported on its own.
    return [
        track_create_from_audio(audio=audio, label_name=label_name, cache=cache) for audio in batch
    ]


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
            if existing := Track.objects.filter(source_sha256=audio.sha256).only("id").first():
                return _already_imported(audio.path, existing)
            if audio.isrc and (
                existing := Track.objects.filter(isrc=audio.isrc).only("id").first()
            ):
                return _isrc_imported(audio, existing)
            return _tracks_write(
                [audio], label_name=label_name, stored=stored, cache=cache, known={}, known_isrcs={}
            )[0]
    except BaseException:
        cache.clear()  # it may hold rows of the rolled-back transaction
        for name in stored:
            Track._meta.get_field("source_file").storage.delete(name)
        raise


def _tracks_write(
    audios: list[AudioFile],
    *,
    label_name: str,
    stored: list[str],
    cache: _ImportCache,
    known: dict[str, Track | int],
    known_isrcs: dict[str, Track | int],
) -> list[TrackImportResult]:
    """Write the tracks of files not in `known`/`known_isrcs` (adding them there), with a
    fixed number of INSERTs for the batch plus the artists, releases and genres new to
    the run. The caller holds the transaction and deletes `stored` if it fails; the
    unique constraints refuse a file another import added meanwhile."""
    field = Track._meta.get_field("source_file")
    results: list = []
    new: list[tuple[AudioFile, Track, dict[str, Artist]]] = []
    numbered: dict[tuple[int, int], int] = {}  # (release, disc): last number given here
    last_stored: dict[tuple[int, int], int] = {}
    for audio in audios:
        if existing := known.get(audio.sha256):
            results.append(functools.partial(_already_imported, audio.path, existing))
            continue
        if audio.isrc and (existing := known_isrcs.get(audio.isrc)):
            results.append(functools.partial(_isrc_imported, audio, existing))
            continue
        artists = {c.name.casefold(): cache.artist(c.name) for c in audio.credits}
        release_artists = [
            artists.get(name.casefold()) or cache.artist(name)
            for name in (audio.album_artists or audio.primary_artists)
        ]
        label = label_name or audio.label
        release = cache.release(
            title=audio.album or audio.title,
            artists=list(dict.fromkeys(release_artists)),
            release_type=audio.release_type
            or (Release.Type.ALBUM if audio.album else Release.Type.SINGLE),
            release_date=audio.release_date,
            label=cache.label(label) if label else None,
            upc=audio.upc,
            copyright=audio.copyright,
        )
        disc_number = audio.disc_number or 1
        track_number = audio.track_number
        key = (release.pk, disc_number)
        if track_number is None:  # after the release's last track, counting this batch's
            if key not in last_stored:
                tracks = release.tracks.filter(disc_number=disc_number)
                last_stored[key] = tracks.aggregate(n=Max("track_number"))["n"] or 0
            track_number = max(last_stored[key], numbered.get(key, 0)) + 1
        track_number = min(track_number, 32767)
        numbered[key] = max(numbered.get(key, 0), track_number)
        # Stored before the row is written, so the INSERT names it (no UPDATE after).
        with audio.path.open("rb") as fh:
            name = field.storage.save(
                field.generate_filename(None, f"{uuid.uuid4().hex}.{audio.extension}"), File(fh)
            )
        stored.append(name)
        track = Track(
            source_file=name,
            title=audio.title,
            release=release,
            isrc=audio.isrc,
            disc_number=disc_number,
            track_number=track_number,
            duration_ms=audio.duration_ms,
            explicit=audio.explicit,
            source_sha256=audio.sha256,
        )
        known[audio.sha256] = track
        if audio.isrc:
            known_isrcs[audio.isrc] = track
        new.append((audio, track, artists))
        results.append(TrackImportResult(audio.path, TrackImportResult.CREATED, track=track))
    if new:
        _tracks_insert(new, cache)
    # A skip's message names its track's id, known once a track of this batch is written.
    results = [result() if callable(result) else result for result in results]
    for audio, track, _ in new:  # ids only: the run does not hold every track it wrote
        known[audio.sha256] = track.pk
        if audio.isrc:
            known_isrcs[audio.isrc] = track.pk
    return results


def _tracks_insert(new: list[tuple[AudioFile, Track, dict[str, Artist]]], cache) -> None:
    """One INSERT for the tracks, one for their credits, one per kind of genre link."""
    Track.objects.bulk_create([track for _, track, _ in new])  # sets their ids
    TrackArtist.objects.bulk_create(
        TrackArtist(track=track, artist=artists[c.name.casefold()], role=c.role, position=i)
        for audio, track, artists in new
        for i, c in enumerate(audio.credits)
    )
    links = _GenreLinks(cache)
    for audio, track, artists in new:
        genres = [cache.genre(name) for name in audio.genres]
        if genres:
            links.add("track", track.pk, genres)
            links.add("release", track.release_id, genres)
            for credit in audio.credits:
                links.add("artist", artists[credit.name.casefold()].pk, genres)
    links.write()
    for audio, track, _ in new:
        _release_cover_from_files(release=track.release, audio_path=audio.path)
        if audio.lyrics is not None:
            track_lyrics_set(track=track, lyrics=audio.lyrics, source=audio.lyrics_source)


class _GenreLinks:
    """Genre links of a batch, written with one INSERT per kind; each link once per run."""

    THROUGH = {
        "track": Track.genres.through,
        "release": Release.genres.through,
        "artist": Artist.genres.through,
    }

    def __init__(self, cache: _ImportCache) -> None:
        self.cache = cache
        self.rows: dict[str, list] = {kind: [] for kind in self.THROUGH}

    def add(self, kind: str, owner_id: int, genres) -> None:
        through = self.THROUGH[kind]
        for genre in genres:
            # A new track is linked once; only shared rows are remembered for the run.
            if kind == "track" or (kind, owner_id, genre.pk) not in self.cache.linked:
                if kind != "track":
                    self.cache.linked.add((kind, owner_id, genre.pk))
                self.rows[kind].append(through(**{f"{kind}_id": owner_id, "genre_id": genre.pk}))

    def write(self) -> None:
        for kind, rows in self.rows.items():
            if rows:
                self.THROUGH[kind].objects.bulk_create(rows, ignore_conflicts=True)


def _inspect(path: Path, sha256: str) -> AudioFile | str:
    try:
        return audio_inspect(path, sha256=sha256)
    except AudioRejected as exc:
        return exc.message


def _isrc_imported(audio: AudioFile, track: Track | int) -> TrackImportResult:
    track = _track_ref(track)
    return TrackImportResult(
        audio.path,
        TrackImportResult.SKIPPED,
        f"ISRC {audio.isrc} already imported as track {track.id}",
        track,
    )


def _track_ref(track: Track | int) -> Track:
    """The track, loaded (its id only) when the run kept just the id of one it wrote."""
    return Track.objects.only("id").get(pk=track) if isinstance(track, int) else track


def _already_imported(path: Path, track: Track | int) -> TrackImportResult:
    track = _track_ref(track)
    return TrackImportResult(
        path, TrackImportResult.SKIPPED, f"already imported as track {track.id}", track
    )


def _record(report: ImportReport, on_result, result: TrackImportResult) -> None:
    report.add(result)
    if on_result is not None:
        on_result(result)


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)
