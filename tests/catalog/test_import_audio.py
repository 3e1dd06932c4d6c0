import hashlib
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_countries import countries

from accounts.models import User
from catalog.audio import audio_inspect
from catalog.management.commands import load_demo_catalog
from catalog.models import (
    Artist,
    AvailabilityProfileWindow,
    Genre,
    Label,
    Release,
    ReleaseArtist,
    Track,
    TrackArtist,
    TrackAvailabilityProfile,
    TrackLyrics,
)
from catalog.selectors import image_sizes
from catalog.services import imports, track_import_path
from playback.models import Rendition, TranscodeJob
from playback.services import transcode_jobs_create_missing
from tests.catalog.factories import ArtistFactory, ReleaseFactory

pytestmark = pytest.mark.django_db

FORMATS = ["mp3", "ogg", "opus", "flac", "m4a"]


def import_audio(*args) -> str:
    out = StringIO()
    call_command("import_audio", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def stored_files(media_root: Path) -> list[Path]:
    return sorted(p for p in media_root.rglob("*") if p.is_file())


def truncate(path: Path) -> Path:
    """Cut a file to its first half, as an interrupted upload leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def catalog_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in apps.get_app_config("catalog").get_models()}


@pytest.mark.parametrize("extension", FORMATS)
def test_import_reads_tags_and_stores_the_original(make_audio, media_root, extension):
    path = make_audio(
        "song",
        extension,
        title="Blue Hour",
        artist=["Nova Lattice"],
        albumartist="Nova Lattice",
        album="Signal Garden",
        date="2024-05-17",
        tracknumber="3/12",
        discnumber="2/2",
        genre=["Electronic", "Ambient"],
        isrc="SE-ABC-24-00001",
        explicit=True,
    )

    output = import_audio(path, "--label", "Nightjar Records")

    assert "Created 1 tracks, skipped 0 already imported, rejected 0." in output
    track = Track.objects.get()
    assert track.title == "Blue Hour"
    assert (track.track_number, track.disc_number) == (3, 2)
    assert 3800 <= track.duration_ms <= 4200
    assert track.isrc == "SEABC2400001"
    assert track.explicit is True
    assert sorted(track.genres.values_list("name", flat=True)) == ["Ambient", "Electronic"]
    assert [(c.artist.name, c.role) for c in track.credits.all()] == [("Nova Lattice", "primary")]
    release = track.release
    assert release.title == "Signal Garden"
    assert release.release_type == Release.Type.ALBUM
    assert str(release.release_date) == "2024-05-17"
    assert release.label.name == "Nightjar Records"
    assert list(release.artists.values_list("name", flat=True)) == ["Nova Lattice"]

    expected_extension = {"mp3": "mp3", "ogg": "ogg", "opus": "opus", "flac": "flac"}
    assert track.source_file.name.startswith("originals/")
    assert track.source_file.name.endswith("." + expected_extension.get(extension, "m4a"))
    assert len(Path(track.source_file.name).stem) == 32  # a UUID, not the delivered name
    content = default_storage.open(track.source_file.name).read()
    assert content == path.read_bytes()
    assert track.source_sha256 == hashlib.sha256(content).hexdigest()


def test_several_artists_get_primary_and_featured_roles(make_audio, media_root):
    path = make_audio(
        "collab",
        "ogg",
        title="Night Drive (feat. Guest Three)",
        artist=["Mira Sol feat. Guest One & Guest Two", "Nova Lattice"],
        albumartist=None,
    )

    import_audio(path)

    track = Track.objects.get()
    assert [(c.artist.name, c.role, c.position) for c in track.credits.all()] == [
        ("Mira Sol", TrackArtist.Role.PRIMARY, 0),
        ("Nova Lattice", TrackArtist.Role.PRIMARY, 1),
        ("Guest One", TrackArtist.Role.FEATURED, 2),
        ("Guest Two", TrackArtist.Role.FEATURED, 3),
        ("Guest Three", TrackArtist.Role.FEATURED, 4),
    ]
    # Without an album artist tag the release belongs to the primary artists.
    assert list(track.release.artists.values_list("name", flat=True)) == [
        "Mira Sol",
        "Nova Lattice",
    ]


def test_artists_and_releases_are_matched_case_insensitively(make_audio, media_root):
    artist = ArtistFactory(name="Maxstack")
    release = ReleaseFactory(title="Endgame", artists=[artist], label=None)
    make_audio("one", "flac", title="One", artist=["MAXSTACK"], album="endgame", tracknumber=None)
    path = make_audio(
        "two", "mp3", title="Two", artist="maxstack", album="Endgame", tracknumber=None
    )

    import_audio(path.parent)

    assert Artist.objects.count() == 1
    assert Release.objects.count() == 1
    # Files without a track number are numbered after the release's last track.
    assert list(release.tracks.values_list("title", "track_number")) == [("One", 1), ("Two", 2)]


def test_second_run_over_a_folder_creates_nothing(make_audio, media_root):
    folder = media_root.parent / "delivery"
    for extension in FORMATS:
        make_audio(f"song-{extension}", extension, folder=folder, title=f"Song {extension}")
    (folder / "notes.txt").write_text("liner notes")

    first = import_audio(folder)
    counts, files = catalog_counts(), stored_files(media_root)
    second = import_audio(folder)

    assert "Created 5 tracks, skipped 0 already imported, rejected 0." in first
    assert "Ignored 1 files" in first
    assert "Created 0 tracks, skipped 5 already imported, rejected 0." in second
    assert catalog_counts() == counts
    assert stored_files(media_root) == files
    assert len(files) == 5
    assert counts["Track"] == 5
    assert counts["Release"] == counts["Artist"] == counts["Genre"] == 1


def _import_folder_queries(make_audio, folder: Path, count: int) -> int:
    """Import `count` new files of a new artist's new album in a new genre; count queries."""
    for n in range(count):
        make_audio(
            f"{n:02d}",
            "mp3",
            folder=folder,
            title=f"Song {n}",
            tracknumber=str(n + 1),
            artist=[f"{folder.name} artist"],
            album=f"{folder.name} album",
            genre=[f"{folder.name} genre"],
        )
    with CaptureQueriesContext(connection) as queries:
        report = track_import_path(path=folder)
    assert len(report.created) == count
    return len(queries)


def test_queries_per_import_do_not_grow_with_the_files_of_a_batch(make_audio, media_root):
    """Tracks, credits and genre links are written with one INSERT each per batch."""
    few = _import_folder_queries(make_audio, media_root.parent / "few", 2)
    many = _import_folder_queries(make_audio, media_root.parent / "many", 12)

    assert many == few
    assert TrackArtist.objects.count() == 14
    assert Track.genres.through.objects.count() == 14


@pytest.mark.parametrize("batch", [64, 1])  # in one batch, and in two
def test_identical_files_in_one_folder_are_imported_once(
    make_audio, media_root, monkeypatch, batch
):
    monkeypatch.setattr(imports, "_BATCH", batch)
    first = make_audio("a", "flac", folder=media_root.parent / "twins")
    (first.parent / "b.flac").write_bytes(first.read_bytes())

    report = track_import_path(path=first.parent)

    track = Track.objects.get()
    assert [r.track for r in report.created] == [track]
    assert [r.reason for r in report.skipped] == [f"already imported as track {track.id}"]
    assert len(stored_files(media_root)) == 1


def test_a_report_without_tracks_still_reports_each_file(make_audio, media_root):
    folder = media_root.parent / "lean"
    make_audio("one", "mp3", folder=folder, title="One")
    make_audio("two", "mp3", folder=folder, title="Two", tracknumber="4")
    seen = []

    report = track_import_path(path=folder, on_result=seen.append, keep_tracks=False)

    assert [(r.path.name, r.track.title) for r in seen] == [("one.mp3", "One"), ("two.mp3", "Two")]
    assert [(r.path.name, r.status, r.track) for r in report.created] == [
        ("one.mp3", "created", None),
        ("two.mp3", "created", None),
    ]


def test_same_isrc_in_another_file_is_skipped(make_audio, media_root):
    import_audio(make_audio("master", "flac", isrc="SEABC2400001"))
    output = import_audio(make_audio("mp3-copy", "mp3", isrc="SEABC2400001"))

    assert "Created 0 tracks, skipped 1 already imported" in output
    assert Track.objects.count() == 1
    assert len(stored_files(media_root)) == 1


@pytest.mark.parametrize("extension", ["ogg", "opus", "m4a"])
def test_truncated_file_caught_by_its_headers_is_rejected(make_audio, media_root, extension):
    path = truncate(make_audio("cut", extension))

    output = import_audio(path)

    assert "rejected 1" in output
    assert any(word in output for word in ("truncated", "not a recognised"))
    assert catalog_counts()["Track"] == 0
    assert stored_files(media_root) == []


@pytest.mark.parametrize("extension", ["mp3", "flac"])
def test_truncated_file_is_caught_by_the_transcode_and_never_plays(
    make_audio, media_root, extension, django_capture_on_commit_callbacks
):
    """The import reads headers only (fast); the transcode's decode is the full check."""
    path = truncate(make_audio("cut", extension))

    output = import_audio(path)

    assert "Created 1 tracks" in output
    track = Track.objects.get()
    assert track.audio_status == Track.AudioStatus.NONE  # not playable before its transcode
    with django_capture_on_commit_callbacks(execute=True):
        assert transcode_jobs_create_missing() == 1
    job = TranscodeJob.objects.get(track=track)
    assert job.state == TranscodeJob.State.FAILED
    assert "truncated" in job.error or "corrupt" in job.error
    assert not Rendition.objects.filter(track=track, state=Rendition.State.READY).exists()
    track.refresh_from_db()
    assert track.audio_status == Track.AudioStatus.FAILED


def test_bad_files_are_reported_and_leave_nothing_behind(make_audio, media_root):
    folder = media_root.parent / "delivery"
    make_audio("good", "ogg", folder=folder, title="Good Song", artist="Good Artist")
    make_audio("untitled", "mp3", folder=folder, title=None, artist="Ghost Artist", album="Ghost")
    make_audio("anonymous", "flac", folder=folder, title="Nobody", artist=None, album="Ghost")
    truncate(make_audio("cut", "flac", folder=folder, title="Cut", artist="Ghost Artist"))
    (folder / "readme.mp3").write_text("This is not audio, just text with an .mp3 name.\n")

    output = import_audio(folder)

    # The cut FLAC's headers are intact: it is imported, and its transcode will fail.
    assert "Created 2 tracks, skipped 0 already imported, rejected 3." in output
    assert f"{folder / 'untitled.mp3'}: missing tag: title" in output
    assert f"{folder / 'anonymous.flac'}: missing tag: artist" in output
    assert f"{folder / 'readme.mp3'}: the file is not a recognised audio format" in output
    assert sorted(Track.objects.values_list("title", flat=True)) == ["Cut", "Good Song"]
    assert sorted(Artist.objects.values_list("name", flat=True)) == ["Ghost Artist", "Good Artist"]
    assert Release.objects.count() == 2
    assert len(stored_files(media_root)) == 2


def test_rejected_single_file_creates_no_rows_and_no_file(make_audio, media_root):
    output = import_audio(make_audio("untitled", "m4a", title=None))

    assert "missing tag: title" in output
    assert {k: v for k, v in catalog_counts().items() if v} == {}
    assert stored_files(media_root) == []


def test_stored_file_is_removed_when_the_transaction_fails(make_audio, media_root, monkeypatch):
    def failing_cover(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(imports, "_release_cover_from_files", failing_cover)

    with pytest.raises(RuntimeError, match="database went away"):
        import_audio(make_audio("song", "opus"))

    assert {k: v for k, v in catalog_counts().items() if v} == {}
    assert stored_files(media_root) == []


def test_nonexistent_path_is_a_usage_error(tmp_path):
    with pytest.raises(CommandError, match=r"No such file or directory: .*missing"):
        import_audio(tmp_path / "missing")


def test_load_demo_catalog_generates_audio_when_offline(settings, media_root, monkeypatch):
    settings.DEMO_AUDIO_CACHE = str(media_root.parent / "demo-cache")

    def offline(cache, **kwargs):
        raise load_demo_catalog.DemoAudioUnavailable("no network in tests")

    monkeypatch.setattr(load_demo_catalog, "demo_library", offline)
    out = StringIO()
    call_command("load_demo_catalog", stdout=out)

    assert (
        "could not fetch the demo music: no network in tests; generating demo audio instead"
        in out.getvalue()
    )
    tracks = list(Track.objects.all())
    assert len(tracks) == len(load_demo_catalog.DEMO_SONGS) == 12
    for track in tracks:
        audio = audio_inspect(Path(default_storage.path(track.source_file.name)))
        assert 19_000 <= audio.duration_ms <= 41_000
        assert abs(audio.duration_ms - track.duration_ms) < 100
    assert TrackArtist.objects.filter(role=TrackArtist.Role.FEATURED).count() == 1
    assert Label.objects.count() == 6
    assert not Release.objects.filter(label=None).exists()
    assert Genre.objects.filter(releases__isnull=False).exists()
    assert ReleaseArtist.objects.count() == 3
    demo = User.objects.get(email="demo@streamify.test")
    assert demo.check_password("streamify-demo")
    assert (demo.country.code, demo.language) == ("SE", "en")
    admin = User.objects.get(email="admin@streamify.test")
    assert admin.check_password("streamify-admin") and admin.is_staff and admin.is_superuser
    assert User.objects.count() == 202
    assert User.objects.values("country").distinct().count() >= 5
    # Every release gets a cover drawn from its audio, served in three sizes.
    assert not Release.objects.filter(cover="").exists()
    assert all(len(image_sizes(r.cover)) == 3 for r in Release.objects.all())
    assert TrackAvailabilityProfile.objects.count() == 12
    assert AvailabilityProfileWindow.objects.count() == len(countries)
    # Demo lyrics: a sidecar .lrc for each album's last song, generated ones for a few more.
    sources = Counter(TrackLyrics.objects.values_list("source", "synced"))
    assert sources == {("sidecar", True): 3, ("edited", True): 2, ("edited", False): 1}
    assert all("Demo lyrics" in row.plain for row in TrackLyrics.objects.all())

    counts, files = catalog_counts(), stored_files(media_root)
    again = StringIO()
    call_command("load_demo_catalog", stdout=again)

    assert "nothing changed" in again.getvalue()
    assert catalog_counts() == counts
    assert stored_files(media_root) == files
    assert User.objects.count() == 202
