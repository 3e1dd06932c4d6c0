"""The web player on a phone (390 by 844): bottom navigation, compact and full-screen player,
touch targets, nothing wider than the screen; and share links at both widths."""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import SavedRelease
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(chromium_browser, live_server, catalog):
    from tests.e2e.conftest import wait_for_idle_server

    context = chromium_browser.new_context(
        base_url=live_server.url, viewport=PHONE, has_touch=True, is_mobile=True
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, catalog.listener.email)
    yield page
    context.close()
    wait_for_idle_server()
    assert not errors, f"JavaScript errors: {errors}"


def overflow(page) -> list[str]:
    """Visible elements that reach past the right edge of the screen."""
    return page.evaluate(
        """() => [...document.querySelectorAll("body *")]
            .filter((el) => el.getClientRects().length)
            .filter((el) => getComputedStyle(el).visibility !== "hidden")
            .filter((el) => !el.closest(".visually-hidden, svg, dialog:not([open])"))
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
            .map((el) => el.outerHTML.slice(0, 90))"""
    )


def small_targets(page, selector: str) -> list[str]:
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter((el) => el.getClientRects().length)
            .filter((el) => getComputedStyle(el).display !== "none")
            .map((el) => [el, el.getBoundingClientRect()])
            .filter(([el, r]) => r.width < 44 || r.height < 44)
            .map(([el]) => el)
            .map((el) => el.outerHTML.slice(0, 90))""",
        selector,
    )


def test_phone_layout_navigation_and_full_screen_player(phone, catalog, artifacts):
    page = phone
    SavedRelease.objects.create(user=catalog.listener, release=catalog.album)
    expect(page.locator(".sidebar")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_visible()
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert overflow(page) == []
    page.screenshot(path=artifacts / "phone-home.png")

    nav.get_by_role("link", name="Your library").click()
    page.wait_for_url("**/collection")
    library = page.locator("main .view.library")
    expect(library.locator(".card", has_text="Liked songs")).to_be_visible()
    expect(library.locator(".card", has_text="Pure Tones")).to_be_visible()
    expect(nav.get_by_role("link", name="Your library")).to_have_attribute("aria-current", "page")
    page.screenshot(path=artifacts / "phone-library.png")

    library.locator(".card", has_text="Pure Tones").get_by_role("link").click()
    page.wait_for_url("**/album/*")
    row = page.locator(".track-row", has_text="Sine Alpha")
    # The title keeps its room: the row shows only the like and "more" buttons.
    assert row.locator(".name").bounding_box()["width"] > 120
    row.get_by_role("button", name="More actions for Sine Alpha").click()
    expect(row.get_by_role("button", name="Add Sine Alpha to queue")).to_be_visible()
    assert overflow(page) == []
    row.get_by_role("button", name="Play Sine Alpha by Sine Wave Ensemble").click()
    page.wait_for_function("() => !window.streamify.player.audio.paused")
    expect(page.locator("#np-title")).to_have_text("Sine Alpha")
    assert small_targets(page, ".bottom-nav a, #player button, .track-row button") == []
    page.screenshot(path=artifacts / "phone-album-playing.png")
    for width in (320, 430):  # the narrowest and widest phones
        page.set_viewport_size({"width": width, "height": 844})
        assert overflow(page) == [], width
    page.set_viewport_size(PHONE)

    page.get_by_role("button", name="Open the full-screen player").click()
    expect(page.locator("body")).to_have_class(re.compile(r"\bnp-full\b"))
    expect(page.get_by_role("button", name="Shuffle")).to_be_visible()
    expect(page.get_by_role("button", name="Previous")).to_be_visible()
    expect(page.locator("#seek")).to_be_visible()
    cover = page.locator("#np-cover")
    if cover.is_visible():
        assert cover.bounding_box()["width"] >= 250
    assert overflow(page) == []
    page.screenshot(path=artifacts / "phone-now-playing.png")
    page.get_by_role("button", name="Close the full-screen player").click()
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bnp-full\b"))
    expect(page.get_by_role("button", name="Open the full-screen player")).to_be_focused()


def test_share_link_opens_the_track_in_the_player(signed_in, catalog, web_context):
    page = signed_in
    web_context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"/album/{catalog.album.pk}")
    row = page.locator(".track-row", has_text="Sine Beta")
    row.get_by_role("button", name="Share Sine Beta").click()
    expect(page.locator("#toast")).to_have_text("Link copied")
    link = page.evaluate("() => navigator.clipboard.readText()")
    assert link.endswith(f"/album/{catalog.album.pk}?track={catalog.second.pk}")
    page.goto(link)
    shared = page.locator(".track-row.shared")
    expect(shared).to_have_count(1)
    expect(shared).to_contain_text("Sine Beta")
