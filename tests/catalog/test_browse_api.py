"""The catalogue browse lists: /api/v1/browse/albums, /artists and /genres."""

import datetime

import pytest

from tests.catalog.factories import ArtistFactory, GenreFactory, ReleaseFactory, TrackFactory

API = "/api/v1/browse"


@pytest.fixture
def shelf(db):
    rock, jazz = GenreFactory(name="Rock", slug="rock"), GenreFactory(name="Jazz", slug="jazz")
    GenreFactory(name="Empty", slug="empty")
    abba = ArtistFactory(name="ABBA", popularity=90)
    zappa = ArtistFactory(name="Zappa", popularity=10)
    abba.genres.add(rock)
    zappa.genres.add(jazz)
    releases = {
        "Arrival": ReleaseFactory(
            title="Arrival",
            release_date=datetime.date(1976, 10, 11),
            popularity=80,
            artists=[abba],
        ),
        "Hot Rats": ReleaseFactory(
            title="Hot Rats",
            release_date=datetime.date(1969, 10, 10),
            popularity=50,
            artists=[zappa],
        ),
        "Voyage": ReleaseFactory(
            title="Voyage",
            release_date=datetime.date(2021, 11, 5),
            popularity=60,
            artists=[abba],
        ),
        "Undated": ReleaseFactory(title="Undated", release_date=None, popularity=5),
    }
    releases["Arrival"].genres.add(rock)
    releases["Voyage"].genres.add(rock)
    releases["Hot Rats"].genres.add(jazz)
    TrackFactory(release=releases["Arrival"], markets=["SE", "US"])
    TrackFactory(release=releases["Hot Rats"], markets=["US"])
    TrackFactory(release=releases["Voyage"], markets=["SE"])
    TrackFactory(release=releases["Undated"], markets=["SE"])
    return {"rock": rock, "jazz": jazz, **releases}


def items(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Arrival", "Hot Rats", "Undated", "Voyage"]),
        ("newest", ["Voyage", "Arrival", "Hot Rats", "Undated"]),
        ("popular", ["Arrival", "Voyage", "Hot Rats", "Undated"]),
    ],
)
def test_albums_sorted(api_client, shelf, sort, expected):
    assert items(api_client.get(f"{API}/albums?sort={sort}")) == expected


def test_albums_default_to_name_order_and_are_simplified_album_objects(api_client, shelf):
    body = api_client.get(f"{API}/albums?limit=1").json()
    album = body["items"][0]
    assert album["name"] == "Arrival"
    assert (album["type"], album["total_tracks"], album["artists"][0]["name"]) == (
        "album",
        1,
        "ABBA",
    )
    assert sorted(album["available_markets"]) == ["SE", "US"]


def test_albums_of_a_genre_and_a_market(api_client, shelf):
    rock = shelf["rock"].pk
    assert items(api_client.get(f"{API}/albums?genre={rock}")) == ["Arrival", "Voyage"]
    assert items(api_client.get(f"{API}/albums?market=US")) == ["Arrival", "Hot Rats"]
    assert items(api_client.get(f"{API}/albums?market=se&genre={rock}&sort=newest")) == [
        "Voyage",
        "Arrival",
    ]


def test_album_paging_links(api_client, shelf):
    first = api_client.get(f"{API}/albums?sort=newest&limit=2").json()
    assert [a["name"] for a in first["items"]] == ["Voyage", "Arrival"]
    assert (first["total"], first["limit"], first["offset"], first["previous"]) == (4, 2, 0, None)
    assert "offset=2" in first["next"] and "sort=newest" in first["next"]
    second = api_client.get(first["next"]).json()
    assert [a["name"] for a in second["items"]] == ["Hot Rats", "Undated"]
    assert second["next"] is None
    assert "sort=newest" in second["previous"]
    assert second["href"] == first["next"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("albums?sort=oldest", "sort"),
        ("albums?genre=rock", "genre"),
        ("albums?genre=999999", "genre"),
        ("albums?genre=99999999999999999999999", "genre"),
        ("albums?market=XX", "market"),
        ("albums?limit=51", "limit"),
        ("artists?sort=newest", "sort"),
        ("artists?genre=-1", "genre"),
        ("genres?offset=-1", "offset"),
    ],
)
def test_bad_parameters_are_400_naming_them(api_client, shelf, query, named):
    response = api_client.get(f"{API}/{query}")
    assert response.status_code == 400
    assert named in response.json()["error"]["message"]


def test_artists_sorted_and_by_genre(api_client, shelf):
    names = items(api_client.get(f"{API}/artists"))
    assert names[:1] == ["ABBA"] and names[-1] == "Zappa"
    popular = api_client.get(f"{API}/artists?sort=popular&limit=1").json()
    assert [a["name"] for a in popular["items"]] == ["ABBA"]
    assert popular["items"][0]["genres"] == ["Rock"]
    assert popular["items"][0]["type"] == "artist"
    assert items(api_client.get(f"{API}/artists?genre={shelf['jazz'].pk}")) == ["Zappa"]


def test_genres_with_album_counts(api_client, shelf):
    body = api_client.get(f"{API}/genres").json()
    assert body["items"] == [
        {"id": shelf["jazz"].pk, "name": "Jazz", "album_count": 1},
        {"id": shelf["rock"].pk, "name": "Rock", "album_count": 2},
    ]
    assert body["total"] == 2
    se = api_client.get(f"{API}/genres?market=SE").json()["items"]
    assert [(g["name"], g["album_count"]) for g in se] == [("Rock", 2)]


@pytest.mark.parametrize("kind", ["albums", "artists", "genres"])
def test_lists_cost_the_same_queries_for_one_or_many(
    api_client, shelf, kind, django_assert_num_queries
):
    genre = shelf["rock"]
    for n in range(30):
        artist = ArtistFactory(name=f"More {n}")
        artist.genres.add(genre)
        release = ReleaseFactory(title=f"More {n}", artists=[artist, ArtistFactory()])
        release.genres.add(genre, GenreFactory())
        TrackFactory(release=release, markets=["SE"])
    queries = {"albums": 3, "artists": 3, "genres": 2}[kind]
    url = f"{API}/{kind}?market=SE&limit=50" if kind != "artists" else f"{API}/artists?limit=50"
    with django_assert_num_queries(queries):
        assert len(items(api_client.get(url))) >= 30
    with django_assert_num_queries(queries):
        assert len(items(api_client.get(url.replace("limit=50", "limit=1")))) == 1


def test_schema_documents_the_catalogue_lists(api_client, db):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = response.json()["paths"]
    for kind in ("albums", "artists", "genres"):
        assert "get" in paths[f"/api/v1/browse/{kind}"]
    album_params = {p["name"] for p in paths["/api/v1/browse/albums"]["get"]["parameters"]}
    assert {"sort", "genre", "market", "limit", "offset"} <= album_params


def test_one_genre(api_client, shelf):
    rock = shelf["rock"].pk
    body = api_client.get(f"{API}/genres/{rock}?market=US").json()
    assert body == {"id": rock, "name": "Rock", "album_count": 1}
    for unknown in ("999999", "99999999999999999999999"):
        response = api_client.get(f"{API}/genres/{unknown}")
        assert response.status_code == 404
        assert "Genre" in response.json()["error"]["message"]
