"""Search in the web player: recent searches (kept per listener in the browser, shown while
the box is focused and empty, clearable) and the typo the server corrected."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_recent_searches_are_shown_on_an_empty_focused_box_and_clearable(
    signed_in, catalog, artifacts
):
    page = signed_in
    box = page.get_by_label("Search")
    for q in ("pure tones", "sine beta"):
        box.fill(q)
        box.press("Enter")
        expect(page.locator("main .view.search h1")).to_have_text(f"Results for “{q}”")
    # Using a result remembers the search too.
    box.fill("alpha")
    expect(page.locator("main .view.search h1")).to_have_text("Results for “alpha”")
    row = page.locator(".track-row", has_text="Sine Alpha")
    expect(row).to_be_visible()
    row.locator(".row-album").click()
    page.wait_for_url("**/album/*")

    panel = page.locator("#recent-searches")
    box.fill("")
    box.blur()
    expect(panel).to_be_hidden()
    box.focus()
    expect(panel).to_be_visible()
    assert panel.locator(".recent-item").all_inner_texts() == ["alpha", "sine beta", "pure tones"]
    page.screenshot(path=artifacts / "recent-searches.png")
    box.press_sequentially("s")
    expect(panel).to_be_hidden()  # only while the box is empty
    box.fill("")
    expect(panel).to_be_visible()

    panel.get_by_role("button", name="pure tones", exact=True).click()
    page.wait_for_url(re.compile(r"/search\?q=pure"))
    expect(box).to_have_value("pure tones")
    expect(page.locator("main .card", has_text="Pure Tones")).to_be_visible()

    # Kept per listener (another account in this browser has its own list).
    stored = page.evaluate("() => Object.keys(localStorage).filter(k => k.includes('recent'))")
    assert stored == [f"streamify.recent-searches.{catalog.listener.pk}"]

    box.fill("")
    box.focus()
    panel.get_by_role("button", name="Clear recent searches").click()
    expect(panel).to_be_hidden()
    box.blur()
    box.focus()
    expect(panel).to_be_hidden()
    assert page.evaluate("k => localStorage.getItem(k)", stored[0]) is None


@pytest.mark.postgres
def test_a_corrected_typo_says_what_was_searched(signed_in, catalog, artifacts):
    page = signed_in
    page.get_by_label("Search").press_sequentially("sine ensembel", delay=20)
    page.wait_for_url(re.compile(r"/search\?q=sine"))
    expect(page.locator(".corrected")).to_have_text("Showing results for “sine ensemble”")
    expect(page.locator(".track-row", has_text="Sine Alpha")).to_be_visible()
    page.screenshot(path=artifacts / "search-corrected.png")
    # Spelt right: no correction shown.
    page.get_by_label("Search").fill("sine ensemble")
    page.wait_for_url(re.compile(r"q=sine(\+|%20)ensemble$"))
    expect(page.locator(".track-row", has_text="Sine Alpha")).to_be_visible()
    expect(page.locator(".corrected")).to_have_count(0)
