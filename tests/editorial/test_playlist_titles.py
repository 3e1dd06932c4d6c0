"""One localised title per editorial playlist and request, the same on every endpoint that
answers with the playlist: browse (home), the playlist itself, the listener's playlists and
search. The rule: `locale`, else the listener's language, else Accept-Language; then English,
then the playlist's default language (never a third one)."""

import pytest

from catalog.library import playlist_follow
from tests.editorial.factories import PublishedPlaylistFactory

API = "/api/v1"

TITLES = {"sv": "Stockholmsnatt", "en": "Stockholm Nights"}


@pytest.fixture
def nights(stockholm, tracks):
    """A Swedish playlist (its default texts) with an English title; none in Spanish."""
    return PublishedPlaylistFactory(
        team=stockholm,
        name="Stockholmsnatt",
        description="Sena kvällar.",
        language="sv",
        tracks=tracks,
        translations={"en": ("Stockholm Nights", "Late evenings.")},
    )


def titles_everywhere(client, playlist, query: str = "", **headers) -> dict[str, str]:
    """The playlist's name as each endpoint answers it."""

    def get(path):
        response = client.get(f"{API}/{path}", **headers)
        assert response.status_code == 200, (path, response.content)
        return response.json()

    def find(items):
        [name] = [p["name"] for p in items if p["id"] == str(playlist.pk)]
        return name

    sep = "&" if query else ""
    return {
        "featured": find(
            get(f"browse/featured-playlists?country=SE{sep}{query}")["playlists"]["items"]
        ),
        "playlist": get(f"playlists/{playlist.pk}?{query}")["name"],
        "me": find(get(f"me/playlists?{query}")["items"]),
        "search": find(get(f"search?q=stockholm&type=playlist{sep}{query}")["playlists"]["items"]),
    }


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", TITLES["en"]), ("sv", TITLES["sv"]), ("es", TITLES["en"])],
)
def test_the_listeners_language_gives_one_title_everywhere(
    listener_client, listener, nights, language, expected
):
    listener.language = language
    listener.save(update_fields=["language"])
    playlist_follow(user=listener, playlist_id=nights.pk)
    # The browser's own Accept-Language does not override the listener's chosen language.
    found = titles_everywhere(listener_client, nights, HTTP_ACCEPT_LANGUAGE="de")
    assert found == dict.fromkeys(found, expected)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en_GB", TITLES["en"]), ("sv_SE", TITLES["sv"]), ("es_ES", TITLES["en"])],
)
def test_the_locale_parameter_comes_first(listener_client, listener, nights, locale, expected):
    listener.language = "sv" if locale != "sv_SE" else "en"
    listener.save(update_fields=["language"])
    playlist_follow(user=listener, playlist_id=nights.pk)
    found = titles_everywhere(listener_client, nights, f"locale={locale}")
    assert found == dict.fromkeys(found, expected)


@pytest.mark.parametrize(
    ("accept", "expected"), [("sv-SE,sv;q=0.9", TITLES["sv"]), ("es", TITLES["en"])]
)
def test_anonymous_requests_follow_accept_language(api_client, nights, accept, expected):
    assert (
        api_client.get(f"{API}/playlists/{nights.pk}", HTTP_ACCEPT_LANGUAGE=accept).json()["name"]
        == expected
    )


def test_the_description_follows_the_title(listener_client, listener, nights):
    listener.language = "es"
    listener.save(update_fields=["language"])
    body = listener_client.get(f"{API}/playlists/{nights.pk}").json()
    assert (body["name"], body["description"]) == ("Stockholm Nights", "Late evenings.")


def test_an_invalid_locale_is_a_400(listener_client, nights):
    response = listener_client.get(f"{API}/playlists/{nights.pk}?locale=../etc")
    assert response.status_code == 400
    assert "Invalid locale" in response.json()["error"]["message"]


def test_my_playlists_are_localised_in_constant_queries(
    listener_client, listener, stockholm, tracks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def follow_new(n):
        playlist = PublishedPlaylistFactory(
            team=stockholm, name=f"Natt {n}", tracks=tracks, translations={"en": (f"Night {n}", "")}
        )
        playlist_follow(user=listener, playlist_id=playlist.pk)

    def count():
        with CaptureQueriesContext(connection) as queries:
            body = listener_client.get(f"{API}/me/playlists").json()
        return len(queries), sorted(p["name"] for p in body["items"])

    listener.language = "en"
    listener.save(update_fields=["language"])
    follow_new(0)
    one, names = count()
    assert names == ["Night 0"]
    follow_new(1)
    follow_new(2)
    three, names = count()
    assert names == ["Night 0", "Night 1", "Night 2"]
    assert three == one
