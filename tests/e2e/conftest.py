"""Browser tests: Playwright (sync API) drives Debian's headless chromium against live_server.

Skipped when /usr/bin/chromium is missing, unless STREAMIFY_REQUIRE_BROWSER=1 (CI), which
makes a missing browser a failure. Audio is real: sine tones made with ffmpeg, transcoded
by the playback services (Celery is eager in tests) and streamed with HTTP Range.
"""

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files import File

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("STREAMIFY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "listen-to-this-1"
TRACK_SECONDS = 32


def browser_missing_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    return None


def browser_required() -> bool:
    return os.environ.get("STREAMIFY_REQUIRE_BROWSER") == "1"


def pytest_collection_modifyitems(config, items):
    reason = browser_missing_reason()
    if reason is None or browser_required():
        return  # when required, the `chromium_browser` fixture fails instead
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def chromium_browser():
    reason = browser_missing_reason()
    if reason is not None:
        pytest.fail(f"STREAMIFY_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def tones(tmp_path_factory) -> dict[int, Path]:
    """FLAC sine tones of TRACK_SECONDS, one per frequency (distinct content, distinct hash)."""
    from mediatools.ffmpeg import ffmpeg_binary

    folder = tmp_path_factory.mktemp("tones")
    made = {}
    for frequency in (330, 440):
        path = folder / f"tone-{frequency}.flac"
        subprocess.run(
            [
                ffmpeg_binary(),
                "-nostdin",
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency={frequency}:sample_rate=44100:duration={TRACK_SECONDS}",
                "-ac",
                "2",
                "-c:a",
                "flac",
                str(path),
            ],
            check=True,
        )
        made[frequency] = path
    return made


# Rendition rows of the first transcode of each tone, reused by later tests: the files stay
# in MEDIA_ROOT while the transactional tests flush the rows.
_TRANSCODED: dict[int, dict] = {}


def give_audio(track, tone: Path, frequency: int) -> None:
    """Attach `tone` as the track's original with READY renditions (transcoded once)."""
    from catalog.models import Track
    from playback import services
    from playback.models import Rendition, TrackAudio

    cached = _TRANSCODED.get(frequency)
    if cached is None:
        with tone.open("rb") as handle:
            services.track_source_replace(track=track, file=File(handle, name=tone.name))
        ready = list(Rendition.objects.filter(track=track, state=Rendition.State.READY))
        assert len(ready) >= 3, "transcoding did not produce renditions"
        track.refresh_from_db()
        _TRANSCODED[frequency] = {
            "track": {
                "source_file": track.source_file.name,
                "source_sha256": track.source_sha256,
                "duration_ms": track.duration_ms,
            },
            "renditions": [
                {
                    field: getattr(r, field)
                    for field in (
                        "profile",
                        "codec",
                        "bitrate_kbps",
                        "state",
                        "source_sha256",
                        "sha256",
                        "size_bytes",
                    )
                }
                | {"file": r.file.name}
                for r in ready
            ],
            "audio": {
                field.name: getattr(TrackAudio.objects.get(track=track), field.name)
                for field in TrackAudio._meta.concrete_fields
                if field.name not in ("track", "updated_at")
            },
        }
        return
    Track.objects.filter(pk=track.pk).update(**cached["track"])
    Rendition.objects.bulk_create(Rendition(track=track, **row) for row in cached["renditions"])
    TrackAudio.objects.create(track=track, **cached["audio"])


@dataclass
class Catalog:
    listener: object
    artist: object
    album: object
    first: object
    second: object
    unlicensed: object


@pytest.fixture
def catalog(transactional_db, tones) -> Catalog:
    """A listener in Sweden and an album: two playable tracks and one not licensed in SE."""
    from django.utils import timezone

    from catalog.models import Playlist, PlaylistItem
    from editorial.models import EditorialPlaylist, Team
    from tests.accounts.factories import UserFactory
    from tests.catalog.factories import ArtistFactory, PlaylistFactory, ReleaseFactory, TrackFactory

    listener = UserFactory(
        email="listener@streamify.test", display_name="Lena", country="SE", language="en"
    )
    artist = ArtistFactory(name="Sine Wave Ensemble")
    album = ReleaseFactory(title="Pure Tones", artists=[artist])
    first = TrackFactory(title="Sine Alpha", release=album, track_number=1, markets=["SE", "US"])
    second = TrackFactory(title="Sine Beta", release=album, track_number=2, markets=["SE"])
    unlicensed = TrackFactory(title="Sine Gamma", release=album, track_number=3, markets=["US"])
    give_audio(first, tones[330], 330)
    give_audio(second, tones[440], 440)
    # No audio for the unlicensed track: the market check refuses it before any rendition.
    editor = UserFactory(email="editor@streamify.test")
    # A published, featured editorial playlist in Sweden (editorial's browse shelf).
    featured = EditorialPlaylist.objects.create(
        owner=editor,
        kind=Playlist.Kind.EDITORIAL,
        name="Tone Poems",
        public=True,
        team=Team.objects.create(name="Tones"),
        state=EditorialPlaylist.State.PUBLISHED,
        markets=["SE"],
        featured=True,
        published_at=timezone.now(),
    )
    PlaylistItem.objects.bulk_create(
        PlaylistItem(playlist=featured, track=track, position=i)
        for i, track in enumerate([first, second])
    )
    PlaylistFactory(
        owner=listener,
        kind=Playlist.Kind.PERSONALISED,
        name="Discover Weekly",
        public=False,
        tracks=[second, first],
    )
    return Catalog(listener, artist, album, first, second, unlicensed)


@pytest.fixture
def web_context(chromium_browser, live_server):
    context = chromium_browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(30_000)  # generous: CI machines may be loaded
    yield context
    context.close()
    wait_for_idle_server()


def wait_for_idle_server(timeout: float = 10) -> None:
    """Wait until no request of the closed page still runs in the live server.

    The live server handles each connection in a thread of its own. Flushing the tables
    (the end of a transactional test) while one of them still writes (a late batch of play
    events) deadlocks on PostgreSQL and leaves rows behind on SQLite, so the next test
    starts only once every request thread has ended.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(
            thread.name.endswith("(process_request_thread)") and thread.is_alive()
            for thread in threading.enumerate()
        ):
            return
        time.sleep(0.05)
    raise AssertionError(f"the live server still handled requests after {timeout} s")


@pytest.fixture
def web_page(web_context):
    page = web_context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, f"JavaScript errors: {errors}"


def log_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    page.wait_for_selector("main .view")


@pytest.fixture
def signed_in(web_page, catalog):
    """The page, logged in as the catalog's listener through the login form."""
    log_in(web_page, catalog.listener.email)
    return web_page
