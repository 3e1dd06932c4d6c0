"""The first run as a new listener sees it: covers everywhere, a full Discover Weekly and a
Release Radar, built by the demo history loader and the real recommendation pipeline."""

import datetime
import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from catalog.models import Playlist
from catalog.services import release_cover_set
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

RELEASES = 20  # 20 artists: Discover Weekly takes at most 2 tracks per artist
TRACKS_PER_RELEASE = 4


def _png(seed: int) -> bytes:
    image = Image.new("RGB", (400, 400), ((seed * 53) % 256, (seed * 97) % 256, 140))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def first_run(transactional_db):
    """A small demo world: releases with covers, listeners with tastes, two new releases."""
    from tests.accounts.factories import UserFactory
    from tests.catalog.factories import (
        ArtistFactory,
        GenreFactory,
        ReleaseFactory,
        TrackFactory,
    )

    genres = [GenreFactory(name="Electronic"), GenreFactory(name="Rock")]
    today = timezone.now().date()
    for n in range(RELEASES):
        artist = ArtistFactory(name=f"Artist {n}")
        new = n in (0, 5)  # out this week
        release = ReleaseFactory(
            title=f"Album {n}",
            artists=[artist],
            release_date=today - datetime.timedelta(days=2 if new else 400 + n),
        )
        release.genres.add(genres[n % 2])
        for number in range(1, TRACKS_PER_RELEASE + 1):
            track = TrackFactory(
                title=f"Song {n}.{number}",
                release=release,
                track_number=number,
                artists=[artist],
                markets=["SE"],
            )
            track.genres.add(genres[n % 2])
        release_cover_set(release=release, data=_png(n))
    for n in range(40):
        UserFactory(email=f"fan{n}@streamify.test", country="SE")
    demo = UserFactory(
        email="demo@streamify.test", display_name="Demo Listener", country="SE", language="en"
    )
    call_command("load_demo_history", events=5000, days=30, seed=5, stdout=StringIO())
    call_command("rebuild_recommendations", "--force", stdout=StringIO())
    return demo


def test_demo_listener_sees_covers_discover_weekly_and_release_radar(
    web_page, first_run, artifacts
):
    weekly = Playlist.objects.get(owner=first_run, name="Discover Weekly")
    assert weekly.items.count() == 30
    assert Playlist.objects.get(owner=first_run, name="Release Radar").items.exists()

    page = web_page
    page.set_default_timeout(60_000)  # the first page load compiles templates on a busy box
    log_in(page, first_run.email)
    home = page.locator("main .view.home")
    expect(home.get_by_role("heading", name="Made for you")).to_be_visible()
    expect(home.locator(".card", has_text="Discover Weekly")).to_be_visible()
    expect(home.locator(".card", has_text="Release Radar")).to_be_visible()
    page.screenshot(path=artifacts / "first-run-home.png")

    home.locator(".card", has_text="Discover Weekly").first.click()
    rows = page.locator("main .track-row")
    expect(rows).to_have_count(30)
    # Every row shows its album's cover, served from the stored sizes.
    covers = page.locator("main .track-row img.cover")
    expect(covers).to_have_count(30)
    sources = covers.evaluate_all("images => images.map((image) => image.src)")
    assert all("/media/images/" in src and src.endswith(".jpg") for src in sources)
    loaded = covers.evaluate_all(
        "images => images.filter((image) => image.complete && image.naturalWidth > 0).length"
    )
    assert loaded >= 1
    page.screenshot(path=artifacts / "first-run-discover-weekly.png")
