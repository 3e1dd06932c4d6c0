"""Server-side player state in the browser: a reload resumes track, position and queue
(paused); a second tab sees what plays, controls it and takes it over; the seek slider
steps 5 s. Desktop and a 390x844 phone."""

import pytest
from playwright.sync_api import expect

from playback.models import PlayerState

pytestmark = pytest.mark.e2e

ACTIVE_AUDIO = "window.streamify.player.audio"
PHONE = {"width": 390, "height": 844}


def playing_past(page, seconds: float, timeout: float = 10_000) -> None:
    page.wait_for_function(
        f"s => !{ACTIVE_AUDIO}.paused && {ACTIVE_AUDIO}.currentTime > s",
        arg=seconds,
        timeout=timeout,
    )


def play_album_second_track(page, catalog) -> None:
    page.goto(f"/album/{catalog.album.pk}")
    page.get_by_role("button", name="Play Sine Beta by Sine Wave Ensemble").click()
    playing_past(page, 0.3)


def stop(page, listener) -> None:
    """Pause and wait for the server to know, so closing the page sends nothing late
    (a request still running while the test database is flushed deadlocks)."""
    page.evaluate(f"() => {ACTIVE_AUDIO}.pause()")
    wait_for_server(listener, lambda s: not s.is_playing)


def server_state(listener):
    return PlayerState.objects.select_related("device", "track").get(user=listener)


def wait_for_server(listener, predicate, timeout: float = 10.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = PlayerState.objects.select_related("device", "track").filter(user=listener).first()
        if state is not None and predicate(state):
            return state
        time.sleep(0.2)
    raise AssertionError(f"server state not reached: {state and vars(state)}")


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_reload_resumes_track_position_and_queue_paused(
    web_context, signed_in, catalog, artifacts, viewport
):
    page = signed_in
    if viewport:
        page.set_viewport_size(viewport)
    page.goto(f"/album/{catalog.album.pk}")
    page.get_by_role("button", name="Play Sine Alpha by Sine Wave Ensemble").click()
    playing_past(page, 0.3)
    page.evaluate(f"() => {{ {ACTIVE_AUDIO}.currentTime = 12; }}")
    playing_past(page, 12.2)
    wait_for_server(catalog.listener, lambda s: s.is_playing and s.position_ms >= 11_000)

    before = page.evaluate(f"() => {ACTIVE_AUDIO}.currentTime")
    page.reload()
    page.wait_for_selector("main .view")
    expect(page.locator("#np-title")).to_have_text("Sine Alpha")
    page.wait_for_function(f"() => {ACTIVE_AUDIO}.currentTime > 11", timeout=10_000)
    position = page.evaluate(f"() => {ACTIVE_AUDIO}.currentTime")
    assert abs(position - before) < 3, (position, before)
    assert page.evaluate(f"() => {ACTIVE_AUDIO}.paused") is True
    upcoming = page.evaluate("() => window.streamify.player.upcoming.map(e => e.track.name)")
    assert upcoming == ["Sine Beta"]  # the unlicensed track never entered the queue
    state = server_state(catalog.listener)
    assert not state.is_playing and state.track == catalog.first
    page.screenshot(path=artifacts / f"player-resumed-{'phone' if viewport else 'desktop'}.png")

    # Play continues from there, on this tab.
    page.get_by_role("button", name="Play", exact=True).click()
    playing_past(page, position + 0.2)
    wait_for_server(catalog.listener, lambda s: s.is_playing)
    stop(page, catalog.listener)


def test_second_tab_sees_controls_and_takes_over(web_context, signed_in, catalog, artifacts):
    first = signed_in
    play_album_second_track(first, catalog)
    wait_for_server(catalog.listener, lambda s: s.is_playing and s.track == catalog.second)

    second = web_context.new_page()
    second.set_viewport_size(PHONE)
    second.goto("/")
    second.wait_for_selector("main .view")
    # The second tab sees what plays where, without playing it.
    expect(second.locator("#remote-bar")).to_be_visible()
    expect(second.locator("#remote-name")).to_contain_text("Web player")
    expect(second.locator("#np-title")).to_have_text("Sine Beta")
    assert second.evaluate(f"() => {ACTIVE_AUDIO}.paused") is True
    second.screenshot(path=artifacts / "player-remote-phone.png")

    # It controls the first tab: pause there, then play again.
    second.get_by_role("button", name="Pause", exact=True).click()
    first.wait_for_function(f"() => {ACTIVE_AUDIO}.paused", timeout=10_000)
    wait_for_server(catalog.listener, lambda s: not s.is_playing)

    # Paused everywhere: the second tab holds the state and takes over with Play.
    second.wait_for_selector("#remote-bar", state="hidden", timeout=10_000)
    second.get_by_role("button", name="Play", exact=True).click()
    playing_past(second, 0.2)
    state = wait_for_server(
        catalog.listener, lambda s: s.is_playing and s.device.key.startswith("web-")
    )
    second_id = second.evaluate("() => window.streamify.sync.id")
    assert state.device.key == second_id and state.track == catalog.second
    second.wait_for_timeout(1500)
    assert server_state(catalog.listener).is_playing
    assert second.evaluate(f"() => {ACTIVE_AUDIO}.paused") is False
    # The first tab now sees the second one playing and stays silent.
    expect(first.locator("#remote-bar")).to_be_visible(timeout=10_000)
    assert first.evaluate(f"() => {ACTIVE_AUDIO}.paused") is True

    # "Play here" moves it back to the first tab.
    first.get_by_role("button", name="Play here").click()
    playing_past(first, 0.2)
    second.wait_for_function(f"() => {ACTIVE_AUDIO}.paused", timeout=10_000)
    first_id = first.evaluate("() => window.streamify.sync.id")
    wait_for_server(catalog.listener, lambda s: s.is_playing and s.device.key == first_id)
    # and it stays so: no late report from either tab pauses it.
    first.wait_for_timeout(1500)
    state = server_state(catalog.listener)
    assert state.is_playing and state.device.key == first_id, vars(state)
    assert first.evaluate(f"() => {ACTIVE_AUDIO}.paused") is False
    stop(first, catalog.listener)
    second.close()


def test_seek_slider_steps_five_seconds(signed_in, catalog):
    page = signed_in
    play_album_second_track(page, catalog)
    page.evaluate(f"() => {{ {ACTIVE_AUDIO}.pause(); {ACTIVE_AUDIO}.currentTime = 10; }}")
    page.wait_for_function(f"() => Math.abs({ACTIVE_AUDIO}.currentTime - 10) < 0.1")
    slider = page.get_by_role("slider", name="Seek")
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function(f"() => Math.abs({ACTIVE_AUDIO}.currentTime - 15) < 0.2")
    slider.press("ArrowLeft")
    slider.press("ArrowLeft")
    page.wait_for_function(f"() => Math.abs({ACTIVE_AUDIO}.currentTime - 5) < 0.2")
    wait_for_server(catalog.listener, lambda s: not s.is_playing)
