"""The web player in a real browser: log in, search, play real audio, seek, queue, like,
language switch, and a track that is not licensed in the listener's market."""

import re
import time

import pytest
from django.core import mail
from playwright.sync_api import expect

from catalog.models import SavedTrack
from playback.models import PlayEvent
from tests.e2e.conftest import TRACK_SECONDS

pytestmark = pytest.mark.e2e

ACTIVE_AUDIO = "window.streamify.player.audio"


def playing_past(page, seconds: float, timeout: float = 10_000) -> None:
    """Wait until the active <audio> is playing beyond `seconds`."""
    page.wait_for_function(
        f"s => !{ACTIVE_AUDIO}.paused && {ACTIVE_AUDIO}.currentTime > s",
        arg=seconds,
        timeout=timeout,
    )


def audio_time(page) -> float:
    return page.evaluate(f"() => {ACTIVE_AUDIO}.currentTime")


def queue_names(page) -> list[str]:
    return page.locator("#queue-list .queue-item .name").all_inner_texts()


def wait_for(predicate, timeout: float = 8.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_log_in_search_play_and_seek(signed_in, catalog, artifacts):
    page = signed_in
    home = page.locator("main .view.home")
    expect(home.get_by_role("heading", name="Made for you")).to_be_visible()
    expect(home.locator(".card", has_text="Discover Weekly")).to_be_visible()
    expect(home.locator(".card", has_text="Tone Poems")).to_be_visible()
    expect(home.locator(".card", has_text="Pure Tones")).to_be_visible()
    page.screenshot(path=artifacts / "home.png")

    page.get_by_label("Search").press_sequentially("sine al", delay=30)
    page.wait_for_url(re.compile(r"/search\?q=sine"))
    row = page.locator(".track-row", has_text="Sine Alpha")
    expect(row).to_be_visible()
    # Every control has a name for assistive technology (icon buttons use aria-label).
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll("button, input, select, a[href]")]
            .filter((el) => el.getClientRects().length)
            .filter((el) => !(el.getAttribute("aria-label") || el.textContent.trim()
                || (el.id && document.querySelector(`label[for="${el.id}"]`))))
            .map((el) => el.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []
    row.get_by_role("button", name="Play Sine Alpha by Sine Wave Ensemble").click()
    playing_past(page, 1.0)
    expect(page.locator("#np-title")).to_have_text("Sine Alpha")
    expect(page.locator("#btn-play")).to_have_attribute("aria-label", "Pause")
    expect(page.locator("#now-playing-live")).to_contain_text("Now playing: Sine Alpha")

    # Seek to the middle: the stream answers Range requests, playback goes on from there.
    page.evaluate(
        """() => {
            const seek = document.getElementById("seek");
            seek.value = String(seek.max / 2);
            seek.dispatchEvent(new Event("input"));
            seek.dispatchEvent(new Event("change"));
        }"""
    )
    middle = TRACK_SECONDS / 2
    playing_past(page, middle + 0.5)
    expect(page.locator("#time-elapsed")).to_have_text(
        re.compile(rf"0:({int(middle)}|{int(middle) + 1}|{int(middle) + 2})")
    )

    # Keyboard: space pauses, space plays again.
    page.locator("main h1").focus()
    page.keyboard.press("Space")
    page.wait_for_function(f"() => {ACTIVE_AUDIO}.paused")
    page.keyboard.press("Space")
    playing_past(page, middle + 1)


def test_queue_reorder_next_like_and_play_events(signed_in, catalog, artifacts):
    page = signed_in
    # Client-side navigation: the home's new release card opens the album.
    page.locator(".card", has_text="Pure Tones").get_by_role("link").click()
    page.wait_for_url(f"**/album/{catalog.album.pk}")
    page.evaluate("() => { window.__noReload = true; }")

    album = page.locator("main .view.album")
    album.get_by_role("button", name="Play Sine Alpha by Sine Wave Ensemble").click()
    playing_past(page, 0.5)
    album.get_by_role("button", name="Add Sine Alpha to queue").click()

    page.get_by_role("button", name="Queue", exact=True).click()
    expect(page.locator("#queue-panel")).to_be_visible()
    assert queue_names(page) == ["Sine Beta", "Sine Alpha"]

    # Reorder with the keyboard-friendly buttons; focus follows the moved item.
    page.get_by_role("button", name="Move Sine Beta down").click()
    assert queue_names(page) == ["Sine Alpha", "Sine Beta"]
    focused = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert focused == "Move Sine Beta up"
    # ... and by drag and drop.
    items = page.locator("#queue-list .queue-item")
    items.nth(1).drag_to(items.nth(0))
    assert queue_names(page) == ["Sine Beta", "Sine Alpha"]

    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator("#np-title")).to_have_text("Sine Beta")
    playing_past(page, 0.5)
    assert queue_names(page) == ["Sine Alpha"]

    like = page.locator("#np-like")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(album.locator(f'[data-like-id="{catalog.second.pk}"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    assert wait_for(
        lambda: SavedTrack.objects.filter(user=catalog.listener, track=catalog.second).exists()
    )

    # The first play (skipped after a moment) reached the server through the outbox.
    event = wait_for(
        lambda: PlayEvent.objects.filter(user=catalog.listener, track=catalog.first).first()
    )
    assert event.context_type == "album"
    assert event.context_id == str(catalog.album.pk)
    assert 0 < event.ms_played < 10_000
    page.screenshot(path=artifacts / "player.png")

    page.get_by_role("button", name="Clear queue").click()
    expect(page.locator("#queue-list")).to_contain_text("The queue is empty.")
    assert page.evaluate("() => window.__noReload") is True


def test_unlicensed_track_is_greyed_and_cannot_be_played(signed_in, catalog):
    page = signed_in
    page.goto(f"/album/{catalog.album.pk}")
    row = page.locator(".track-row", has_text="Sine Gamma")
    expect(row).to_have_class(re.compile(r"\bunplayable\b"))
    expect(row).to_have_attribute("aria-disabled", "true")
    expect(row).to_contain_text("Not licensed in your country")
    expect(row.locator(".row-play")).to_be_disabled()
    row.locator(".row-title").dblclick()
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.streamify.player.current") is None
    # The server refuses a stream URL too (451), whatever the client does.
    status = page.evaluate(
        "id => fetch(`/api/v1/me/player/stream-url?track_id=${id}`).then(r => r.status)",
        catalog.unlicensed.pk,
    )
    assert status == 451
    # Playing the album starts at the first playable track and skips the unlicensed one.
    page.get_by_role("button", name="Play Pure Tones").click()
    playing_past(page, 0.3)
    titles = page.evaluate("() => window.streamify.player.entries.map(e => e.track.name)")
    assert titles == ["Sine Alpha", "Sine Beta"]


def test_language_switch_translates_the_ui_and_keeps_playing(signed_in, catalog):
    page = signed_in
    page.locator(".card", has_text="Tone Poems").get_by_role("button").click()
    playing_past(page, 0.5)
    page.get_by_role("link", name="Profile").click()
    page.get_by_label("Language").select_option("sv")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("link", name="Hem")).to_be_visible()
    expect(page.locator("main h1")).to_have_text("Profil")
    expect(page.locator("#btn-play")).to_have_attribute("aria-label", "Pausa")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    before = audio_time(page)
    playing_past(page, before + 0.5)
    catalog.listener.refresh_from_db()
    assert catalog.listener.language == "sv"

    page.reload()
    expect(page.get_by_role("link", name="Hem")).to_be_visible()


def test_sign_up_in_spanish_and_log_out(web_page, live_server, transactional_db):
    page = web_page
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("nuevo@streamify.test")
    page.get_by_label("Display name").fill("Nuevo")
    page.get_by_label("Password").fill("a-long-secret-phrase")
    page.get_by_label("Country").select_option("ES")
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/accounts/signup/sent/")
    # The live server runs in this process: its mail is in Django's test outbox.
    link = re.search(r"https?://\S+/accounts/signup/confirm/\S+/", mail.outbox[-1].body)
    page.goto(link.group(0))
    page.get_by_role("button").click()
    page.wait_for_url("**/")
    expect(page.get_by_role("link", name="Inicio")).to_be_visible()
    page.get_by_role("button", name="Cerrar sesión").click()
    page.wait_for_url("**/accounts/login/")
    expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()


def test_create_fill_rename_reorder_and_trim_a_playlist(signed_in, catalog):
    from catalog.models import Playlist, PlaylistItem

    page = signed_in
    page.get_by_role("button", name="Create playlist").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Road Trip")
    dialog.get_by_role("button", name="Create").click()
    expect(page.locator("main h1")).to_have_text("Road Trip")
    expect(page.locator("#sidebar-playlists")).to_contain_text("Road Trip")
    playlist = Playlist.objects.get(owner=catalog.listener, name="Road Trip")

    page.locator("#search-input").fill("sine")
    for name in ("Sine Alpha", "Sine Beta"):
        page.get_by_role("button", name=f"Add {name} to a playlist").click()
        dialog.get_by_label("Playlist").select_option(label="Road Trip")
        dialog.get_by_role("button", name="Add").click()
        expect(page.locator("#toast")).to_contain_text("Added to Road Trip")

    def order():
        return list(
            PlaylistItem.objects.filter(playlist=playlist)
            .order_by("position")
            .values_list("track__title", flat=True)
        )

    page.locator("#sidebar-playlists").get_by_role("link", name="Road Trip").click()
    rows = page.locator("main .track-row .name")
    expect(rows).to_have_text(["Sine Alpha", "Sine Beta"])
    page.get_by_role("button", name="Move Sine Beta up").click()
    expect(rows).to_have_text(["Sine Beta", "Sine Alpha"])
    assert wait_for(lambda: order() == ["Sine Beta", "Sine Alpha"])
    page.locator("main .track-row").nth(1).drag_to(page.locator("main .track-row").nth(0))
    expect(rows).to_have_text(["Sine Alpha", "Sine Beta"])
    assert wait_for(lambda: order() == ["Sine Alpha", "Sine Beta"])

    page.get_by_role("button", name="Edit details").click()
    dialog.get_by_label("Name").fill("Night Drive")
    dialog.get_by_label("Public").uncheck()
    dialog.get_by_role("button", name="Save").click()
    expect(page.locator("main h1")).to_have_text("Night Drive")
    expect(page.locator("main .kind")).to_have_text("Private playlist")
    playlist.refresh_from_db()
    assert (playlist.name, playlist.public) == ("Night Drive", False)

    page.get_by_role("button", name="Remove Sine Alpha from this playlist").click()
    expect(rows).to_have_text(["Sine Beta"])
    assert wait_for(lambda: order() == ["Sine Beta"])


def test_plays_made_while_the_server_is_unreachable_are_sent_later(signed_in, catalog):
    page = signed_in
    # The events endpoint is unreachable; everything else works.
    page.route("**/api/v1/me/player/events", lambda route: route.abort("internetdisconnected"))
    page.goto(f"/album/{catalog.album.pk}")
    page.get_by_role("button", name="Play Sine Alpha by Sine Wave Ensemble").click()
    playing_past(page, 1.0)
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator("#np-title")).to_have_text("Sine Beta")
    page.wait_for_function("() => window.streamify.outbox.pending().then((n) => n === 1)")
    page.wait_for_timeout(1500)  # at least one retry fails
    assert not PlayEvent.objects.filter(user=catalog.listener).exists()
    sent_before = page.evaluate("() => new Date().toISOString()")

    page.unroute("**/api/v1/me/player/events")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    event = wait_for(lambda: PlayEvent.objects.filter(user=catalog.listener).first())
    assert event.track_id == catalog.first.pk
    assert event.ms_played >= 1000
    # The original timestamps of the play, not the time it reached the server.
    assert event.ended_at.isoformat() < sent_before.replace("Z", "+00:00")
    assert event.received_at > event.ended_at
    page.wait_for_function("() => window.streamify.outbox.pending().then((n) => n === 0)")


def test_next_track_is_preloaded_and_starts_right_after_the_end(signed_in, catalog):
    page = signed_in
    page.goto(f"/album/{catalog.album.pk}")
    page.get_by_role("button", name="Play Sine Alpha by Sine Wave Ensemble").click()
    playing_past(page, 0.3)
    page.evaluate(
        """() => {
            window.__gap = {};
            for (const audio of document.querySelectorAll("audio")) {
                audio.addEventListener("ended", () => (window.__gap.ended = performance.now()));
                audio.addEventListener("playing", () => (window.__gap.playing = performance.now()));
            }
            const player = window.streamify.player;
            player.seek(player.audio.duration - 11);
            player.audio.playbackRate = 4;  // the last seconds, faster
        }"""
    )
    first = page.evaluate("() => window.streamify.player.active")
    # About 10 s before the end the next track's stream is loaded into the spare element.
    page.wait_for_function("() => window.streamify.player.preloaded !== null", timeout=8_000)
    spare = page.evaluate("() => window.streamify.player.spare.currentSrc")
    assert "/api/v1/stream/" in spare
    expect(page.locator("#np-title")).to_have_text("Sine Beta", timeout=15_000)
    playing_past(page, 0.2)
    assert page.evaluate("() => window.streamify.player.active") != first
    gap = page.evaluate("() => window.__gap.playing - window.__gap.ended")
    assert 0 <= gap < 500, f"{gap:.0f} ms between the end and the next start"


def test_keyboard_shortcuts_shuffle_repeat_and_volume(signed_in, catalog):
    page = signed_in
    page.goto(f"/album/{catalog.album.pk}")
    page.get_by_role("button", name="Play Pure Tones").click()
    playing_past(page, 0.5)
    page.locator("main h1").focus()

    page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("#np-title")).to_have_text("Sine Beta")
    playing_past(page, 0.5)
    page.keyboard.press("Shift+ArrowLeft")  # early in a track: back to the previous one
    expect(page.locator("#np-title")).to_have_text("Sine Alpha")

    repeat = page.locator("#btn-repeat")
    for label in ("Repeat: all", "Repeat: one", "Repeat: off"):
        page.keyboard.press("r")
        expect(repeat).to_have_attribute("aria-label", label)
    shuffle = page.locator("#btn-shuffle")
    page.keyboard.press("s")
    expect(shuffle).to_have_attribute("aria-pressed", "true")
    # Shuffling keeps the playing track and only reorders what comes next.
    assert page.evaluate("() => window.streamify.player.current.name") == "Sine Alpha"
    page.keyboard.press("s")
    expect(shuffle).to_have_attribute("aria-pressed", "false")
    assert queue_names_of(page) == ["Sine Beta"]

    page.keyboard.press("m")
    expect(page.locator("#btn-mute")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate(f"() => {ACTIVE_AUDIO}.muted") is True
    page.keyboard.press("m")
    page.keyboard.press("Shift+ArrowDown")
    assert page.evaluate(f"() => {ACTIVE_AUDIO}.volume") == pytest.approx(0.9)
    before = audio_time(page)
    page.keyboard.press("ArrowRight")
    assert audio_time(page) >= before + 4.5
    page.keyboard.press("/")
    expect(page.locator("#search-input")).to_be_focused()


def queue_names_of(page) -> list[str]:
    return page.evaluate("() => window.streamify.player.upcoming.map((e) => e.track.name)")


def test_loudness_normalisation_through_web_audio(signed_in, catalog):
    from playback.models import TrackAudio

    page = signed_in
    audio = TrackAudio.objects.get(track=catalog.first)
    assert audio.loudness_lufs is not None and audio.true_peak_dbtp is not None

    def gain() -> float:
        return page.evaluate(
            "() => window.streamify.player.gains.get(window.streamify.player.audio).gain.value"
        )

    page.goto(f"/album/{catalog.album.pk}")
    row = page.locator(".track-row", has_text="Sine Alpha")
    row.get_by_role("button", name="Play Sine Alpha by Sine Wave Ensemble").click()
    playing_past(page, 0.5)
    loudness = page.evaluate("() => window.streamify.player.audio.loudness")
    assert loudness["integrated_lufs"] == pytest.approx(audio.loudness_lufs)
    # Played from its album: album mode, the album's loudness and peak.
    lufs, peak = loudness["album_integrated_lufs"], loudness["album_true_peak_dbtp"]

    def expected(target: float) -> float:
        return 10 ** (min(target - lufs, -1 - peak) / 20)  # never above -1 dBTP

    assert gain() == pytest.approx(expected(-14), rel=1e-3)  # "normal", the default

    page.get_by_role("link", name="Profile").first.click()
    for mode, target in (("off", None), ("quiet", -19), ("loud", -11)):
        page.get_by_label("Volume level").select_option(mode)
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("#toast")).to_have_text("Profile saved")
        assert page.evaluate("() => localStorage.getItem('streamify.normalisation')") == mode
        assert gain() == pytest.approx(1.0 if target is None else expected(target), rel=1e-3)
    assert not page.evaluate("() => window.streamify.player.audio.paused")
