"""axe-core (vendored in tests/e2e/vendor, MPL-2.0) on every page of the web player at two
sizes and on the admin pages editors use: no critical and no serious violation."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from catalog.models import Playlist, SavedRelease, SavedTrack
from tests.catalog.factories import GenreFactory
from tests.e2e.conftest import PASSWORD, log_in, wait_for_idle_server

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def serious_violations(page) -> list[str]:
    """Critical and serious axe violations of the page as it stands, one line each."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
          const result = await axe.run(document, { resultTypes: ["violations"] });
          return result.violations
            .filter((v) => v.impact === "critical" || v.impact === "serious")
            .map((v) => `${v.impact} ${v.id}: ` + v.nodes.slice(0, 8)
              .map((n) => `${n.target.join(" ")} (${n.failureSummary.replace(/\\s+/g, " ")})`)
              .join("; "));
        }"""
    )
    return found


def check(page, name: str, artifacts: Path, failures: dict) -> None:
    page.wait_for_timeout(150)  # transitions settle (contrast is read from computed colours)
    page.screenshot(path=artifacts / f"a11y-{name}.png")
    found = serious_violations(page)
    if found:
        failures[name] = found


@pytest.mark.parametrize("size", SIZES)
def test_player_pages_have_no_serious_violations(
    chromium_browser, live_server, catalog, artifacts, size
):
    SavedRelease.objects.create(user=catalog.listener, release=catalog.album)
    SavedTrack.objects.create(user=catalog.listener, track=catalog.first)
    context = chromium_browser.new_context(
        base_url=live_server.url,
        viewport=SIZES[size],
        bypass_csp=True,  # to inject axe
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    failures: dict[str, list[str]] = {}
    try:
        for path, name in (("/accounts/login/", "login"), ("/accounts/signup/", "signup")):
            page.goto(path)
            card = page.locator(".auth-card").bounding_box()
            centre = card["x"] + card["width"] / 2
            assert abs(centre - SIZES[size]["width"] / 2) < 2, (name, card)  # the card is centred
            check(page, f"{size}-{name}", artifacts, failures)
        log_in(page, catalog.listener.email)
        featured = Playlist.objects.get(name="Tone Poems").pk
        ambient = GenreFactory(name="Ambient", slug="ambient")
        catalog.album.genres.add(ambient)
        pages = {
            "home": "/",
            "search": "/search?q=sine",
            "album": f"/album/{catalog.album.pk}",
            "artist": f"/artist/{catalog.artist.pk}",
            "playlist": f"/playlist/{featured}",
            "liked": "/collection/tracks",
            "library": "/collection",
            "profile": "/profile",
            "browse-albums": "/browse/albums?sort=newest",
            "browse-artists": "/browse/artists",
            "browse-genres": "/browse/genres",
            "genre": f"/genre/{ambient.pk}",
        }
        for name, path in pages.items():
            page.goto(path)
            page.wait_for_selector("main .view")
            if name == "search":
                expect(page.locator(".track-row").first).to_be_visible()
            check(page, f"{size}-{name}", artifacts, failures)

        page.goto(f"/album/{catalog.album.pk}")
        page.get_by_role("button", name=re.compile("^Play Pure Tones")).click()
        page.wait_for_function("() => !window.streamify.player.audio.paused")
        expand = page.locator("#np-expand")
        if expand.is_visible():
            expand.click()
            expect(page.locator("body")).to_have_class(re.compile(r"\bnp-full\b"))
            check(page, f"{size}-now-playing", artifacts, failures)
        page.locator("#btn-queue").click()
        expect(page.locator("#queue-panel")).to_be_visible()
        check(page, f"{size}-queue", artifacts, failures)
        page.locator("#queue-close").click()
        page.locator("#btn-play").click()
    finally:
        context.close()
        wait_for_idle_server()
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())


@pytest.fixture
def newsroom(transactional_db, catalog):
    from editorial.models import TeamMembership
    from tests.editorial.factories import EditorialPlaylistFactory, TeamFactory, member

    stockholm = TeamFactory(name="Stockholm", markets=["SE"], languages="sv, en")
    london = TeamFactory(name="London", markets=["GB"], languages="en")
    editor = member(stockholm, email="editor.stockholm@streamify.test", password=PASSWORD)
    member(stockholm, TeamMembership.Role.LEAD, email="lead.stockholm@streamify.test")
    ours = EditorialPlaylistFactory(
        team=stockholm,
        name="Nattåg",
        markets=["SE"],
        tracks=[catalog.first, catalog.unlicensed, catalog.second],
    )
    theirs = EditorialPlaylistFactory(team=london, name="London Calling Up", markets=["GB"])
    return {"editor": editor, "ours": ours, "theirs": theirs}


def test_admin_pages_editors_use_have_no_serious_violations(
    chromium_browser, live_server, newsroom, artifacts
):
    context = chromium_browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    failures: dict[str, list[str]] = {}
    base = "/admin/editorial/editorialplaylist"
    try:
        page.goto("/admin/login/?next=/admin/")
        check(page, "admin-login", artifacts, failures)
        page.locator("#id_username").fill(newsroom["editor"].email)
        page.locator("#id_password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/admin/")
        check(page, "admin-index", artifacts, failures)
        for name, path in (
            ("admin-changelist", f"{base}/"),
            ("admin-add", f"{base}/add/"),
            ("admin-change", f"{base}/{newsroom['ours'].pk}/change/"),
            ("admin-preview", f"{base}/{newsroom['ours'].pk}/preview/?market=SE"),
        ):
            response = page.goto(path)
            assert response.status == 200, (name, response.status)
            check(page, name, artifacts, failures)
        response = page.goto(f"{base}/{newsroom['theirs'].pk}/change/")
        assert response.status == 403
        # The refusal keeps the admin's look: its header, navigation and a way back.
        expect(page.locator("#header")).to_be_visible()
        expect(page.get_by_role("link", name=re.compile("Home"))).to_be_visible()
        check(page, "admin-403", artifacts, failures)
    finally:
        context.close()
        wait_for_idle_server()
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())
