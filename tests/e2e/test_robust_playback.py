"""Robust playback in a real browser: tracks that can't play are skipped with their true
reason, stream URLs are retried and renewed, and unplayable rows look (and are) disabled."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import Track
from catalog.services import AvailabilityWindow
from tests.catalog.factories import ReleaseFactory, TrackFactory, availability_set

pytestmark = pytest.mark.e2e

ACTIVE_AUDIO = "window.streamify.player.audio"


# The player's error events and the <audio> elements' errors, in order.
RECORD_ERRORS = """() => {
  window.__errors = [];
  const p = window.streamify.player;
  for (const type of ["rejected", "error", "unreachable"]) {
    p.addEventListener(type, () => window.__errors.push([type, p.rejection?.error?.status]));
  }
  for (const a of p.audios) {
    a.addEventListener("error", () => window.__errors.push(["media", a.error?.code]));
  }
}"""


def playing(page, name: str, past: float = 0.3) -> None:
    try:
        page.wait_for_function(
            f"([n, s]) => window.streamify.player.current?.name === n && !{ACTIVE_AUDIO}.paused"
            f" && {ACTIVE_AUDIO}.currentTime > s",
            arg=[name, past],
            timeout=15_000,
        )
    except Exception:
        state = page.evaluate(
            """() => { const p = window.streamify.player, a = p.audio; return {
              current: p.current?.name, paused: a.paused, time: a.currentTime,
              ready: a.readyState, network: a.networkState, error: a.error?.code,
              src: a.src.slice(-20), wants: p.wantsPlay, renewing: Boolean(p.renewing),
              log: window.__errors }; }"""
        )
        raise AssertionError(f"not playing {name} past {past}: {state}") from None


@pytest.fixture
def mixed(catalog):
    """An album whose first track is licensed in the US only (the listener is in SE; no
    audio: the market check refuses it first), then a playable track, then one still
    processing."""
    album = ReleaseFactory(title="Mixed Rights", artists=[catalog.artist])
    unlicensed = TrackFactory(title="Sine Delta", release=album, track_number=1, markets=["US"])
    # The catalog's second track (with real audio) moves to this album as its track 2.
    Track.objects.filter(pk=catalog.second.pk).update(
        title="Sine Epsilon", release=album, track_number=2
    )
    playable = Track.objects.get(pk=catalog.second.pk)
    processing = TrackFactory(
        title="Sine Zeta",
        release=album,
        track_number=3,
        markets=["SE"],
        audio_status=Track.AudioStatus.PROCESSING,
    )
    return album, unlicensed, playable, processing


def test_unplayable_rows_say_why_and_are_not_prefetched(signed_in, mixed):
    page = signed_in
    album = mixed[0]
    stream_urls = []
    page.on("request", lambda r: "stream-url" in r.url and stream_urls.append(r.url))
    console_errors = []
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    page.goto(f"/album/{album.pk}")
    delta = page.locator(".track-row", has_text="Sine Delta")
    zeta = page.locator(".track-row", has_text="Sine Zeta")
    expect(delta).to_contain_text("Not licensed in your country")
    expect(zeta).to_contain_text("Still processing")
    for row in (delta, zeta):
        expect(row).to_have_class(re.compile(r"\bunplayable\b"))
        expect(row).to_have_attribute("aria-disabled", "true")
        expect(row.locator(".row-play")).to_be_disabled()
        row.hover()
        page.wait_for_timeout(300)
    assert stream_urls == []
    assert console_errors == []
    # Playing the album starts at its first playable track.
    page.get_by_role("button", name="Play Mixed Rights").click()
    playing(page, "Sine Epsilon")
    expect(page.locator("#player")).to_contain_text("Sine Epsilon")


def test_a_track_unlicensed_since_the_page_loaded_is_skipped_with_its_reason(signed_in, mixed):
    page = signed_in
    album, unlicensed, _, _ = mixed
    page.goto(f"/album/{album.pk}")
    expect(page.locator(".track-row", has_text="Sine Delta")).to_contain_text("Not licensed")
    # The licence starts after the listing was read: the page shows the track unplayable,
    # so hand the player the track's objects as a page read a moment later would.
    availability_set([unlicensed.pk], [AvailabilityWindow("SE", timezone.now())])
    fresh = page.evaluate(
        "id => fetch(`/api/v1/albums/${id}/tracks?market=from_token`).then(r => r.json())",
        album.pk,
    )["items"][:2]
    assert [t["is_playable"] for t in fresh] == [True, True]
    # ... and it ends again before the listener presses Play: the server refuses (451).
    availability_set([unlicensed.pk], [])
    page.evaluate(
        "tracks => window.streamify.player.setQueue(tracks, 0, {type: 'album', id: 'x'})",
        fresh,
    )
    expect(page.locator("#toast")).to_contain_text("Sine Delta: Not licensed in your country")
    playing(page, "Sine Epsilon")
    expect(page.locator("#player")).not_to_contain_text("Sine Delta")


def test_network_errors_retry_and_expired_urls_are_renewed_when_paused(signed_in, mixed):
    page = signed_in
    album, _, _, processing = mixed
    page.goto(f"/album/{album.pk}")
    # The first two stream-url calls fail at the network: the player retries with backoff.
    failures = {"left": 2}

    def flaky(route):
        if failures["left"]:
            failures["left"] -= 1
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/api/v1/me/player/stream-url*", flaky)
    page.get_by_role("button", name="Play Mixed Rights").click()
    playing(page, "Sine Epsilon")
    assert failures["left"] == 0
    page.unroute("**/api/v1/me/player/stream-url*")

    page.evaluate(RECORD_ERRORS)  # shown if the track does not play (see `playing`)
    # Signed URLs expire on whole seconds: one renewed within the second of its grant would
    # be the same URL, so let a second pass first.
    playing(page, "Sine Epsilon", past=1.5)
    # Paused a long time: the signed URL has expired (the server answers 410 for it).
    old = page.evaluate(f"() => {ACTIVE_AUDIO}.src")
    page.route(lambda url: url == old, lambda route: route.fulfill(status=410, body="expired"))
    page.locator("#btn-play").click()  # pause
    page.evaluate(f"() => {{ {ACTIVE_AUDIO}.expiresAt = Date.now() - 1000; }}")
    # Seeking while paused, then Play: a fresh URL, at the sought position.
    page.evaluate("() => window.streamify.player.seek(12)")
    page.wait_for_function(
        f"() => {ACTIVE_AUDIO}.src !== {old!r} && !window.streamify.player.renewing"
    )
    assert page.evaluate(f"() => {ACTIVE_AUDIO}.paused") is True
    page.locator("#btn-play").click()
    playing(page, "Sine Epsilon", past=12)
    assert processing.audio_status == Track.AudioStatus.PROCESSING
