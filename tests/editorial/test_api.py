import datetime

import pytest
from django.utils import timezone

from catalog.models import Playlist
from editorial.models import EditorialPlaylist
from tests.catalog.factories import PlaylistFactory, ReleaseFactory, TrackFactory
from tests.editorial.factories import (
    CampaignFactory,
    CategoryFactory,
    EditorialPlaylistFactory,
    PublishedPlaylistFactory,
)

API = "/api/v1/browse"
State = EditorialPlaylist.State


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [p["name"] for p in response.json()["playlists"]["items"]]


@pytest.fixture
def shelf(stockholm, london, tracks):
    """Published, featured playlists in SE/NO and GB, and some that must never show."""
    return {
        "fika": PublishedPlaylistFactory(
            team=stockholm,
            name="Fikapaus",
            tracks=tracks,
            priority=5,
            translations={"en": ("Fika Break", "Soft songs."), "pt-br": ("Pausa", "")},
        ),
        "london": PublishedPlaylistFactory(team=london, name="London Calling Up", language="en"),
        "draft": EditorialPlaylistFactory(team=stockholm, name="Draft", featured=True),
        "review": EditorialPlaylistFactory(
            team=stockholm, name="In review", state=State.IN_REVIEW, featured=True
        ),
        "scheduled": EditorialPlaylistFactory(
            team=stockholm,
            name="Scheduled",
            state=State.SCHEDULED,
            featured=True,
            publish_at=timezone.now() + datetime.timedelta(days=1),
        ),
        "archived": EditorialPlaylistFactory(
            team=stockholm, name="Archived", state=State.ARCHIVED, featured=True
        ),
        "norway": PublishedPlaylistFactory(team=stockholm, name="Only Norway", markets=["NO"]),
        "unfeatured": PublishedPlaylistFactory(team=stockholm, name="Not featured", featured=False),
    }


def test_featured_lists_only_published_playlists_of_the_market(api_client, shelf):
    assert names(api_client.get(f"{API}/featured-playlists?country=SE")) == ["Fika Break"]
    assert names(api_client.get(f"{API}/featured-playlists?country=no")) == [
        "Fika Break",
        "Only Norway",
    ]
    assert names(api_client.get(f"{API}/featured-playlists?country=GB")) == ["London Calling Up"]
    assert names(api_client.get(f"{API}/featured-playlists?country=US")) == []


def test_featured_is_shaped_like_spotifys(api_client, shelf, tracks):
    body = api_client.get(f"{API}/featured-playlists?country=SE&limit=1").json()
    assert body["message"] == "Editor's picks"
    assert set(body["playlists"]) == {
        "href",
        "items",
        "limit",
        "next",
        "offset",
        "previous",
        "total",
    }
    item = body["playlists"]["items"][0]
    fika = shelf["fika"]
    assert item == {
        "collaborative": False,
        "description": "Soft songs.",  # no language asked: English
        "external_urls": {
            "spotify": f"http://testserver/playlist/{fika.pk}",
            "streamify": f"http://testserver/playlist/{fika.pk}",
        },
        "href": f"http://testserver/api/v1/playlists/{fika.pk}",
        "id": str(fika.pk),
        "images": [],
        "name": "Fika Break",
        "owner": {
            "display_name": "Streamify",
            "external_urls": {
                "spotify": f"http://testserver/user/{fika.owner_id}",
                "streamify": f"http://testserver/user/{fika.owner_id}",
            },
            "href": f"http://testserver/api/v1/users/{fika.owner_id}",
            "id": str(fika.owner_id),
            "type": "user",
            "uri": f"streamify:user:{fika.owner_id}",
        },
        "public": True,
        "snapshot_id": "1",
        "items": {
            "href": f"http://testserver/api/v1/playlists/{fika.pk}/items",
            "total": len(tracks),
        },
        "tracks": {
            "href": f"http://testserver/api/v1/playlists/{fika.pk}/tracks",
            "total": len(tracks),
        },
        "type": "playlist",
        "uri": f"streamify:playlist:{fika.pk}",
    }


def test_from_token_and_market_are_the_users_country(listener_client, shelf):
    # The `listener` fixture streams in SE.
    assert names(listener_client.get(f"{API}/featured-playlists?market=from_token")) == [
        "Fika Break"
    ]
    assert names(listener_client.get(f"{API}/featured-playlists?market=GB")) == [
        "London Calling Up"
    ]


def test_without_a_market_every_published_featured_playlist(api_client, shelf):
    assert sorted(names(api_client.get(f"{API}/featured-playlists"))) == [
        "Fika Break",
        "London Calling Up",
        "Only Norway",
    ]


@pytest.mark.parametrize(
    ("query", "headers", "name", "description", "message"),
    [
        ("locale=en_US", {}, "Fika Break", "Soft songs.", "Editor's picks"),
        (
            "locale=sv_SE",
            {"HTTP_ACCEPT_LANGUAGE": "en"},
            "Fikapaus",
            "Picked by our editors.",
            "Redaktionens val",
        ),
        (
            "",
            {"HTTP_ACCEPT_LANGUAGE": "pt-BR,pt;q=0.9"},
            "Pausa",
            "Picked by our editors.",
            "Escolhas da redação",
        ),
        (
            "",
            {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,en;q=0.5"},
            "Fika Break",
            "Soft songs.",
            "Editor's picks",
        ),
        # No text in German: English (never the default's Swedish, another market's).
        ("", {"HTTP_ACCEPT_LANGUAGE": "de"}, "Fika Break", "Soft songs.", "Editor's picks"),
        ("", {}, "Fika Break", "Soft songs.", "Editor's picks"),
    ],
)
def test_locale_param_then_accept_language_then_english_then_default(
    api_client, shelf, query, headers, name, description, message
):
    body = api_client.get(f"{API}/featured-playlists?country=SE&{query}", **headers).json()
    item = body["playlists"]["items"][0]
    assert (item["name"], item["description"], body["message"]) == (name, description, message)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("country=XX", "Invalid country: 'XX'"),
        ("country=SE&locale=s%20v", "Invalid locale"),
        ("market=from_token", "needs an authenticated user"),
        ("limit=0", "Invalid limit"),
    ],
)
def test_bad_parameters_are_400_in_the_error_shape(api_client, query, message, db):
    response = api_client.get(f"{API}/featured-playlists?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["status"] == 400
    assert message in response.json()["error"]["message"]


def test_an_active_campaign_features_its_playlists_and_names_the_shelf(api_client, shelf):
    CampaignFactory(name="Stockholm Pride", markets=["SE"], playlists=[shelf["unfeatured"]])
    CampaignFactory(  # over, so it changes nothing
        name="Old",
        playlists=[shelf["norway"]],
        starts_at=timezone.now() - datetime.timedelta(days=60),
        ends_at=timezone.now() - datetime.timedelta(days=30),
    )
    body = api_client.get(f"{API}/featured-playlists?country=SE").json()
    assert body["message"] == "Stockholm Pride"
    assert [p["name"] for p in body["playlists"]["items"]] == ["Not featured", "Fika Break"]
    assert api_client.get(f"{API}/featured-playlists?country=GB").json()["message"] == (
        "Editor's picks"
    )


def test_featured_query_count_does_not_grow(api_client, stockholm, django_assert_max_num_queries):
    for n in range(3):
        PublishedPlaylistFactory(team=stockholm, translations={"en": (f"P{n}", "")})
    with django_assert_max_num_queries(4):
        assert len(names(api_client.get(f"{API}/featured-playlists?country=SE"))) == 3
    for n in range(10):
        PublishedPlaylistFactory(team=stockholm, translations={"en": (f"Q{n}", ""), "fi": ("", "")})
    with django_assert_max_num_queries(4):
        assert len(names(api_client.get(f"{API}/featured-playlists?country=SE"))) == 13


# Categories


@pytest.fixture
def categories(shelf):
    chill = CategoryFactory(slug="chill", name="Chill", translations={"sv": "Lugnt"}, position=1)
    focus = CategoryFactory(slug="focus", name="Focus", translations={"sv": "Fokus"}, position=0)
    CategoryFactory(slug="empty", name="Empty")
    shelf["fika"].categories.add(chill)
    shelf["unfeatured"].categories.add(chill)
    shelf["draft"].categories.add(chill)
    shelf["london"].categories.add(focus)
    return {"chill": chill, "focus": focus}


def test_categories_of_the_market_localised(api_client, categories, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        body = api_client.get(f"{API}/categories?country=SE&locale=sv_SE").json()
    assert body["categories"]["items"] == [
        {
            "href": "http://testserver/api/v1/browse/categories/chill",
            "icons": [],
            "id": "chill",
            "name": "Lugnt",
        },
    ]
    body = api_client.get(f"{API}/categories", HTTP_ACCEPT_LANGUAGE="sv").json()
    assert [(c["id"], c["name"]) for c in body["categories"]["items"]] == [
        ("focus", "Fokus"),
        ("chill", "Lugnt"),
    ]


def test_a_category(api_client, categories):
    body = api_client.get(f"{API}/categories/focus?locale=en_GB").json()
    assert (body["id"], body["name"]) == ("focus", "Focus")
    response = api_client.get(f"{API}/categories/nope")
    assert response.status_code == 404
    assert response.json() == {"error": {"status": 404, "message": "Category not found."}}


def test_category_playlists_only_published_in_the_market(
    api_client, categories, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):
        response = api_client.get(f"{API}/categories/chill/playlists?country=SE&locale=sv_SE")
    assert names(response) == ["Fikapaus", "Not featured"]
    assert response.json()["message"] == "Lugnt"
    assert names(api_client.get(f"{API}/categories/chill/playlists?country=GB")) == []
    assert names(api_client.get(f"{API}/categories/focus/playlists?country=GB")) == [
        "London Calling Up"
    ]
    assert api_client.get(f"{API}/categories/nope/playlists").status_code == 404


def test_made_for_you_is_the_users_personalised_playlists(listener_client, listener, api_client):
    mine = PlaylistFactory(
        owner=listener, kind=Playlist.Kind.PERSONALISED, name="Discover Weekly", public=False
    )
    PlaylistFactory(kind=Playlist.Kind.PERSONALISED, name="Someone else's")
    body = listener_client.get(f"{API}/categories/made-for-you/playlists?market=from_token").json()
    assert [(p["id"], p["name"]) for p in body["playlists"]["items"]] == [
        (str(mine.pk), "Discover Weekly")
    ]
    assert api_client.get(f"{API}/categories/made-for-you/playlists").status_code == 401


# New releases


def test_new_releases_by_country(api_client, django_assert_max_num_queries, db):
    old = ReleaseFactory(title="Old", release_date=datetime.date(2020, 1, 1))
    new = ReleaseFactory(title="New", release_date=datetime.date(2024, 1, 1))
    future = ReleaseFactory(title="Future", release_date=datetime.date(2999, 1, 1))
    for release, markets in ((old, ["SE"]), (new, ["US"]), (future, ["SE"])):
        TrackFactory(release=release, markets=markets)
    with django_assert_max_num_queries(4):
        body = api_client.get(f"{API}/new-releases?country=SE&locale=sv_SE").json()
    assert body["message"] == "Nya släpp"
    album = body["albums"]["items"][0]
    assert [a["name"] for a in body["albums"]["items"]] == ["Old"]
    assert (album["album_type"], album["available_markets"], album["total_tracks"]) == (
        "album",
        ["SE"],
        1,
    )
    assert album["artists"][0]["type"] == "artist"
    every = api_client.get(f"{API}/new-releases").json()["albums"]["items"]
    assert [a["name"] for a in every] == ["New", "Old"]


def test_schema_documents_the_browse_endpoints(api_client, db):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/browse/featured-playlists",
        "/api/v1/browse/categories",
        "/api/v1/browse/categories/{category_id}",
        "/api/v1/browse/categories/{category_id}/playlists",
        "/api/v1/browse/new-releases",
    ):
        assert "get" in paths[path]
