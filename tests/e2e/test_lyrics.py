"""Lyrics in the web player: synced lines follow the audio at desktop and phone sizes."""

import re

import pytest
from playwright.sync_api import expect

from catalog import services
from catalog.lyrics import parse_lyrics
from tests.e2e.conftest import log_in
from tests.e2e.test_responsive import PHONE, overflow

pytestmark = pytest.mark.e2e

ACTIVE_AUDIO = "window.streamify.player.audio"
# Demo text, one line every two seconds.
LRC = "\n".join(f"[00:{2 * n:02d}.00]Demo lyric line {n + 1}" for n in range(15))


@pytest.fixture
def with_lyrics(catalog):
    services.track_lyrics_set(track=catalog.first, lyrics=parse_lyrics(LRC))
    services.track_lyrics_set(track=catalog.second, lyrics=parse_lyrics("Plain demo words"))
    return catalog


def current_line(page) -> int:
    """The 1-based number of the highlighted line (0: none)."""
    return page.evaluate(
        """() => {
            const lines = [...document.querySelectorAll("#lyrics-body .lyrics-line")];
            return lines.findIndex((l) => l.getAttribute("aria-current") === "true") + 1;
        }"""
    )


def wait_line_after(page, line: int, timeout: float = 10_000) -> None:
    page.wait_for_function(
        """(n) => {
            const lines = [...document.querySelectorAll("#lyrics-body .lyrics-line")];
            return lines.findIndex((l) => l.getAttribute("aria-current") === "true") + 1 > n;
        }""",
        arg=line,
        timeout=timeout,
    )


def play_album_track(page, album_id: int, title: str) -> None:
    page.goto(f"/album/{album_id}")
    row = page.locator(".track-row", has_text=title)
    row.get_by_role("button", name=f"Play {title} by Sine Wave Ensemble").click()
    page.wait_for_function(f"() => !{ACTIVE_AUDIO}.paused && {ACTIVE_AUDIO}.currentTime > 0.3")


def check_following(page) -> None:
    panel = page.locator("#lyrics-panel")
    expect(panel).to_be_visible()
    expect(panel.locator(".lyrics-line")).to_have_count(15)
    wait_line_after(page, 0)
    first = current_line(page)
    wait_line_after(page, first)  # the highlight advances with the audio
    assert current_line(page) > first
    # Clicking a line seeks there.
    panel.get_by_role("button", name="Demo lyric line 11").click()
    page.wait_for_function(f"() => {ACTIVE_AUDIO}.currentTime >= 20")
    expect(panel.locator(".lyrics-line[aria-current=true]")).to_have_text(
        re.compile(r"Demo lyric line 1[12]")
    )


def test_synced_lyrics_follow_the_audio_on_desktop(signed_in, with_lyrics, artifacts):
    page = signed_in
    play_album_track(page, with_lyrics.album.pk, "Sine Alpha")
    page.get_by_role("button", name="Lyrics", exact=True).click()
    expect(page.get_by_role("button", name="Lyrics", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    check_following(page)
    page.screenshot(path=artifacts / "lyrics-desktop.png")

    # Plain lyrics for the next track, and none for a track without.
    page.locator("#btn-next").click()
    expect(page.locator("#lyrics-body .lyrics-plain")).to_have_text("Plain demo words")
    page.get_by_role("button", name="Close lyrics").click()
    expect(page.locator("#lyrics-panel")).to_be_hidden()
    expect(page.get_by_role("button", name="Lyrics", exact=True)).to_be_focused()


def test_no_lyrics_message(signed_in, catalog):
    page = signed_in
    play_album_track(page, catalog.album.pk, "Sine Alpha")
    page.get_by_role("button", name="Lyrics", exact=True).click()
    expect(page.locator("#lyrics-body")).to_have_text("No lyrics for this track.")


def test_synced_lyrics_in_the_full_screen_player_on_a_phone(
    chromium_browser, live_server, with_lyrics, artifacts
):
    from tests.e2e.conftest import wait_for_idle_server

    context = chromium_browser.new_context(
        base_url=live_server.url, viewport=PHONE, has_touch=True, is_mobile=True
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(page, with_lyrics.listener.email)
        play_album_track(page, with_lyrics.album.pk, "Sine Alpha")
        page.get_by_role("button", name="Open the full-screen player").click()
        page.get_by_role("button", name="Lyrics", exact=True).click()
        check_following(page)
        # The controls stay on screen under the lyrics, and nothing is wider than it.
        expect(page.locator("#btn-play")).to_be_in_viewport()
        assert page.locator("#lyrics-panel").bounding_box()["height"] > 200
        assert overflow(page) == []
        page.screenshot(path=artifacts / "lyrics-phone.png")
    finally:
        context.close()
        wait_for_idle_server()
    assert not errors, f"JavaScript errors: {errors}"
