"""Browsing the whole catalogue in the web player: albums by sort with "Load more", genres,
a genre's albums and on to an album; at desktop width and on a phone (390 by 844)."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_responsive import overflow

pytestmark = pytest.mark.e2e

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def shelf(catalog):
    """26 more albums playable in Sweden, one only in the US, and the genre Ambient."""
    from tests.catalog.factories import GenreFactory, ReleaseFactory, TrackFactory

    ambient = GenreFactory(name="Ambient", slug="ambient")
    catalog.album.genres.add(ambient)
    for n in range(26):
        release = ReleaseFactory(title=f"Browse {n:02}", release_date=datetime.date(2000 + n, 1, 1))
        TrackFactory(release=release, markets=["SE"])
        if n == 3:
            release.genres.add(ambient)
    TrackFactory(release=ReleaseFactory(title="Only Abroad"), markets=["US"])
    return ambient


def titles(page) -> list[str]:
    return page.locator("main .cards .card-title").all_text_contents()


@pytest.mark.parametrize("size", SIZES)
def test_browse_albums_sort_load_more_genre_and_album(signed_in, shelf, catalog, artifacts, size):
    page = signed_in
    page.set_viewport_size(SIZES[size])
    # The sidebar (desktop) or the bottom navigation (phone) has Browse; so has the library.
    page.locator("nav[aria-label=Main]:visible").get_by_role("link", name="Browse").click()
    page.wait_for_url("**/browse/albums")
    page.get_by_role("link", name="Your library").locator("visible=true").click()
    page.wait_for_url("**/collection")
    page.locator(".browse-tabs").get_by_role("link", name="Albums").click()
    page.wait_for_url("**/browse/albums")
    expect(page.get_by_role("heading", level=1, name="Browse albums")).to_be_visible()
    expect(page.locator(".browse-count")).to_have_text("Showing 24 of 27")
    assert titles(page)[:2] == ["Browse 00", "Browse 01"]
    assert "Only Abroad" not in titles(page)
    page.screenshot(path=artifacts / f"browse-{size}-albums.png")

    page.get_by_label("Sort by").select_option("newest")
    page.wait_for_url("**/browse/albums?sort=newest")
    expect(page.locator("main .cards .card-title").first).to_have_text("Browse 25")
    expect(page.get_by_label("Sort by")).to_be_focused()
    assert titles(page)[:3] == ["Browse 25", "Pure Tones", "Browse 24"]

    page.get_by_role("button", name="Load more").click()
    expect(page.locator(".browse-count")).to_have_text("Showing 27 of 27")
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()
    assert len(titles(page)) == 27 and titles(page)[-1] == "Browse 00"
    if size == "phone":
        assert overflow(page) == []
        nav = page.locator(".bottom-nav").bounding_box()
        for link in page.locator(".bottom-nav a").all():  # the five fit on one row
            assert (
                link.bounding_box()["y"] + link.bounding_box()["height"] <= nav["y"] + nav["height"]
            )
    page.screenshot(path=artifacts / f"browse-{size}-albums-newest.png", full_page=True)

    page.locator(".browse-tabs").get_by_role("link", name="Genres").click()
    page.wait_for_url("**/browse/genres")
    genre = page.locator(".genre-card", has_text="Ambient")
    expect(genre).to_contain_text("2 albums")
    page.screenshot(path=artifacts / f"browse-{size}-genres.png")
    genre.get_by_role("link").click()
    page.wait_for_url(f"**/genre/{shelf.pk}")
    expect(page.get_by_role("heading", level=1, name="Ambient")).to_be_visible()
    expect(page.locator("main .cards .card-title")).to_have_text(["Browse 03", "Pure Tones"])
    page.screenshot(path=artifacts / f"browse-{size}-genre.png")

    page.locator(".card", has_text="Pure Tones").get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/album/{catalog.album.pk}$"))
    expect(page.locator(".track-row", has_text="Sine Alpha")).to_be_visible()
    page.screenshot(path=artifacts / f"browse-{size}-album.png")
