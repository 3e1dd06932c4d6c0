"""One localised title per editorial playlist and interface language, the same on the home
shelf, the playlist's page and the library, at desktop and phone widths."""

import pytest
from playwright.sync_api import expect

from editorial.models import EditorialPlaylist, EditorialPlaylistTranslation

pytestmark = pytest.mark.e2e

TITLES = {"sv": "Tonpoem", "en": "Tone Poems"}


@pytest.fixture
def swedish_playlist(catalog):
    """The catalog's featured playlist, Swedish by default with an English title."""
    playlist = EditorialPlaylist.objects.get(name="Tone Poems")
    playlist.name, playlist.language = TITLES["sv"], "sv"
    playlist.save(update_fields=["name", "language"])
    EditorialPlaylistTranslation.objects.create(
        playlist=playlist, language="en", title=TITLES["en"], description="Tones."
    )
    return playlist


def titles_seen(page, base_url: str, playlist) -> dict[str, str]:
    """The playlist's title on the home shelf and on its own page."""
    page.goto(f"{base_url}/")
    card = page.locator(f'.card a[href="/playlist/{playlist.pk}"]').first
    expect(card).to_be_visible()
    home = card.locator(".card-title").inner_text().strip()
    card.click()
    page.wait_for_url(f"**/playlist/{playlist.pk}")
    heading = page.locator("main .view.playlist h1")
    expect(heading).to_be_visible()
    return {"home": home, "page": heading.inner_text().strip()}


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize(("language", "expected"), [("en", "en"), ("sv", "sv"), ("es", "en")])
def test_a_playlist_has_one_title_per_language_on_every_page(
    signed_in, live_server, catalog, swedish_playlist, artifacts, width, language, expected
):
    page = signed_in
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 800})
    catalog.listener.language = language
    catalog.listener.save(update_fields=["language"])
    seen = titles_seen(page, live_server.url, swedish_playlist)

    assert seen == {"home": TITLES[expected], "page": TITLES[expected]}
    page.screenshot(path=artifacts / f"playlist-title-{language}-{width}.png")
