"""OpenSubsonic lists at catalogue scale: a page walks its order's index and probes
availability row by row until it is full (PostgreSQL plans), and search ranks matches."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog import search
from catalog.availability import AvailabilityPlan, track_availability_write
from catalog.models import Artist, Release, ReleaseArtist, Track, TrackArtist
from catalog.services import AvailabilityWindow
from tests.api.subsonic.test_protocol import ok
from tests.catalog.factories import ArtistFactory, ReleaseFactory, TrackFactory

RELEASES = 3000


def _catalogue() -> None:
    """RELEASES albums of one track each by 300 artists; nine in ten playable in SE."""
    artists = Artist.objects.bulk_create(Artist(name=f"Band {n}") for n in range(300))
    created = timezone.now() - datetime.timedelta(days=400)
    releases = Release.objects.bulk_create(
        Release(title=f"Album {n:05d}", created_at=created + datetime.timedelta(hours=n))
        for n in range(RELEASES)
    )
    ReleaseArtist.objects.bulk_create(
        ReleaseArtist(release=r, artist=artists[n % 300]) for n, r in enumerate(releases)
    )
    tracks = Track.objects.bulk_create(
        Track(title=f"Song {n:05d}", release=r, track_number=1, duration_ms=180_000)
        for n, r in enumerate(releases)
    )
    TrackArtist.objects.bulk_create(
        TrackArtist(track=t, artist=artists[n % 300]) for n, t in enumerate(tracks)
    )
    licensed = [t.pk for n, t in enumerate(tracks) if n % 10]
    window = AvailabilityWindow(market="SE", starts_at=created)
    track_availability_write(
        plan=AvailabilityPlan.of_tracks(licensed, [window]), track_ids=licensed
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _plan_nodes(sql: str) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        document = cursor.fetchone()[0]
    plan = json.loads(document) if isinstance(document, str) else document
    nodes, todo = [], [plan[0]["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo.extend(node.get("Plans", ()))
    return nodes


def _page_query(client, world, method: str, params: dict, table: str) -> str:
    with CaptureQueriesContext(connection) as captured:
        ok(client, world, method, **params)
    pages = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith(f'SELECT "{table}"."id"') and "LIMIT" in q["sql"]
    ]
    assert len(pages) == 1, [q["sql"][:120] for q in captured.captured_queries]
    return pages[0]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("method", "params", "table", "index"),
    [
        (
            "getAlbumList2",
            {"type": "newest", "size": 50, "offset": 200},
            "catalog_release",
            "release_created_id",
        ),
        (
            "getAlbumList2",
            {"type": "alphabeticalByName", "size": 50, "offset": 200},
            "catalog_release",
            "catalog_release_title_9806fdbd",
        ),
        (
            "search3",
            {"query": "", "songCount": 20, "songOffset": 200},
            "catalog_track",
            "catalog_track_title_ff5cb0d4",
        ),
    ],
)
def test_a_list_page_walks_its_order_index(client, world, method, params, table, index):
    _catalogue()
    nodes = _plan_nodes(_page_query(client, world, method, params, table))
    walked = [n for n in nodes if n.get("Relation Name") == table and n.get("Index Name") == index]
    assert walked, json.dumps(nodes, indent=1)
    # Never the whole table judged first and then sorted: no sequential scan of it.
    assert not [
        n for n in nodes if n.get("Relation Name") == table and n["Node Type"] == "Seq Scan"
    ], json.dumps(nodes, indent=1)


def test_search_answers_best_matches_first(client, world):
    river = ArtistFactory(name="River Band")
    for title, artists in (("Alpha", [river]), ("Zulu River", [world.artist])):
        release = ReleaseFactory(title=f"{title} Album", artists=artists)
        TrackFactory(title=title, release=release, markets=["SE"], artists=artists)
    # Paging through the whole library (no query) keeps the stable title order.
    everything = ok(client, world, "search3", query="", songCount=500)["searchResult3"]
    titles = [s["title"] for s in everything["song"]]
    assert titles == sorted(titles)
    found = ok(client, world, "search3", query="river")["searchResult3"]
    songs = [s["title"] for s in found["song"]]
    albums = [a["name"] for a in found["album"]]
    assert [a["name"] for a in found["artist"]] == ["River Band"]
    second = ok(client, world, "search3", query="river", songCount=1, songOffset=1)
    assert [s["title"] for s in second["searchResult3"]["song"]] == songs[1:2]
    if connection.vendor != "postgresql":  # SQLite matches substrings, unranked
        assert sorted(songs) == ["Alpha", "Zulu River"]
        return
    # A title match before a performer's: relevance, not the alphabet.
    assert songs == ["Zulu River", "Alpha"]
    assert albums == ["Zulu River Album", "Alpha Album"]


def test_search_pages_hold_only_what_plays_in_the_market(client, world, monkeypatch):
    """The ranked albums and artists are judged for the market batch by batch (the pages
    here cross batches); a match that does not play there is skipped, not a hole."""
    monkeypatch.setattr(search, "RANKED_BATCH", 1)
    for n in range(9):
        band = ArtistFactory(name=f"Kestrel Band {n}", popularity=90 - n)
        release = ReleaseFactory(title=f"Kestrel {n}", artists=[band], popularity=90 - n)
        TrackFactory(release=release, artists=[band], markets=["SE"] if n % 3 == 0 else [])

    def page(kind: str, count: int, offset: int) -> list[str]:
        found = ok(client, world, "search3", query="kestrel", songCount=0, **{
            f"{kind}Count": count, f"{kind}Offset": offset
        })["searchResult3"]  # fmt: skip
        return [row["name"] for row in found.get(kind, [])]

    assert page("album", 20, 0) == ["Kestrel 0", "Kestrel 3", "Kestrel 6"]
    assert [page("album", 1, n) for n in range(4)] == [
        ["Kestrel 0"],
        ["Kestrel 3"],
        ["Kestrel 6"],
        [],
    ]
    assert page("album", 2, 1) == ["Kestrel 3", "Kestrel 6"]
    assert page("artist", 20, 0) == ["Kestrel Band 0", "Kestrel Band 3", "Kestrel Band 6"]
    assert page("artist", 1, 2) == ["Kestrel Band 6"]


def test_search_costs_the_same_statements_for_any_page_size(client, world):
    def statements(count: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            found = ok(client, world, "search3", query="kestrel", songCount=count,
                       albumCount=count, artistCount=count)["searchResult3"]  # fmt: skip
        assert len(found["song"]) == min(count, 12)
        assert len(found["album"]) == min(count, 12)
        return len(captured)

    for n in range(12):
        band = ArtistFactory(name=f"Kestrel Band {n}")
        release = ReleaseFactory(title=f"Kestrel {n}", artists=[band])
        TrackFactory(title=f"Kestrel song {n}", release=release, artists=[band], markets=["SE"])
    statements(1)  # the app password's first use of the day is written down once
    assert statements(2) == statements(12)
