"""An editor's flow in the admin, in headless chromium: create a playlist of their team,
add tracks with the autocomplete, reorder them by dragging, submit it for review."""

import os
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import wait_for_idle_server

# Playwright's sync API runs an event loop in this thread; the ORM calls stay synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "listen-to-this-1"


@pytest.fixture
def editorial_browser(chromium_browser):
    """The session's browser (one Playwright per process: a second one would clash)."""
    return chromium_browser


@pytest.fixture
def admin_page(editorial_browser, live_server):
    context = editorial_browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(30_000)  # generous: CI machines may be loaded
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    wait_for_idle_server()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def newsroom(transactional_db):
    from editorial.models import TeamMembership
    from tests.catalog.factories import TrackFactory
    from tests.editorial.factories import EditorialPlaylistFactory, TeamFactory, member

    stockholm = TeamFactory(name="Stockholm", markets=["SE", "NO"], languages="sv, en")
    london = TeamFactory(name="London", markets=["GB"], languages="en")
    editor = member(stockholm, email="editor.stockholm@streamify.test", password=PASSWORD)
    member(stockholm, TeamMembership.Role.LEAD, email="lead.stockholm@streamify.test")
    tracks = {
        title: TrackFactory(title=title, markets=markets)
        for title, markets in (
            ("Aurora Borealis", ["SE", "NO"]),
            ("Midnight Sun", ["SE"]),
            ("Thames Fog", ["GB"]),
        )
    }
    theirs = EditorialPlaylistFactory(team=london, name="London Calling Up", markets=["GB"])
    return {"editor": editor, "tracks": tracks, "theirs": theirs}


def _pick_track(page, row, title: str) -> None:
    row.locator(".select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(title.split()[0])
    page.locator(".select2-results__option", has_text=title).click()


def test_editor_creates_fills_reorders_and_submits_a_playlist(admin_page, newsroom):
    from editorial.models import EditorialPlaylist

    page = admin_page
    page.goto("/admin/login/?next=/admin/")
    page.locator("#id_username").fill(newsroom["editor"].email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")

    # Only the team's playlists are listed.
    page.get_by_role("link", name="Editorial playlists").first.click()
    assert page.get_by_text("London Calling Up").count() == 0

    page.goto("/admin/editorial/editorialplaylist/add/")
    page.locator("#id_name").fill("Nattåg")
    page.locator("#id_description").fill("Låtar för nattåget norrut.")
    # The team and its markets are filled in for a one-team editor.
    assert page.locator("#id_team option:checked").inner_text() == "Stockholm"
    assert page.locator("#id_markets_to option").all_inner_texts() == ["Norway", "Sweden"]

    group = page.locator("#items-group")
    for title in ("Aurora Borealis", "Midnight Sun"):
        group.locator(".add-row a").click()
        _pick_track(page, group.locator("tr.dynamic-items").last, title)
    page.get_by_role("button", name="Save and continue editing").click()
    expect_message(page, "was added successfully")
    assert "1 track is not licensed" in page.locator(".editorial-warnings").inner_text()

    # Drag the second track above the first by its handle, then save.
    rows = page.locator("#items-group tr.has_original")
    assert rows.count() == 2
    chosen = page.locator("#items-group tr.has_original select option:checked")
    swapped = ["Midnight Sun", "Aurora Borealis"]
    for _ in range(3):  # on a loaded machine chromium can drop a drag's mouse events
        rows.nth(1).locator(".editorial-handle").drag_to(rows.nth(0))
        try:
            page.wait_for_function(
                "(first) => document.querySelector("
                "'#items-group tr.has_original select option:checked')"
                "?.textContent.trim() === first",
                arg=swapped[0],
                timeout=3000,
            )
            break
        except PlaywrightTimeout:
            assert chosen.all_inner_texts() == swapped[::-1]  # untouched: drag again
    assert chosen.all_inner_texts() == swapped
    page.get_by_role("button", name="Save and continue editing").click()
    expect_message(page, "was changed successfully")

    playlist = EditorialPlaylist.objects.get(name="Nattåg")
    assert list(playlist.items.order_by("position").values_list("track__title", flat=True)) == [
        "Midnight Sun",
        "Aurora Borealis",
    ]

    # An editor submits; only a lead may publish.
    assert page.get_by_role("button", name="Publish now").count() == 0
    page.locator("#id__note").fill("Ready for Friday")
    page.get_by_role("button", name="Submit for review").click()
    expect_message(page, "submit for review done")
    assert page.locator(".editorial-status .editorial-state").inner_text() == "In review"

    playlist.refresh_from_db()
    assert (playlist.state, playlist.public) == (EditorialPlaylist.State.IN_REVIEW, False)
    history = list(playlist.changes.order_by("id").values_list("action", "user__email", "note"))
    assert [action for action, _email, _note in history] == [
        "created",
        "tracks",
        "tracks",
        "submitted",
    ]
    assert history[-1] == ("submitted", newsroom["editor"].email, "Ready for Friday")

    # Another team's playlist is refused.
    response = page.goto(f"/admin/editorial/editorialplaylist/{newsroom['theirs'].pk}/change/")
    assert response.status == 403


def expect_message(page, text: str) -> None:
    page.locator("ul.messagelist li").filter(has_text=re.compile(re.escape(text))).wait_for()
