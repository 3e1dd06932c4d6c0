"""Track search at scale: plans on a generated 100k-track catalogue, and its behaviour."""

import json

import pytest
from django.db import connection
from django.utils import timezone

from bench.search_catalogue import generate, made_up
from catalog import search

pytestmark = pytest.mark.postgres

TRACKS = 100_000
GIN = "catalog_track_search_vector"
BY_POPULARITY = "catalog_track_search_rank"
WORDS_TRIGRAMS = "catalog_searchword_trgm"


@pytest.fixture(scope="module")
def catalogue(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            yield None
            return
        with connection.cursor() as cursor:
            generate(cursor, TRACKS)
        try:
            yield TRACKS
        finally:
            with connection.cursor() as cursor:
                cursor.execute(
                    "TRUNCATE catalog_trackavailabilityprofile, catalog_availabilityprofilewindow,"
                    " catalog_availabilityprofile, catalog_trackartist, catalog_track,"
                    " catalog_releaseartist, catalog_release, catalog_artist,"
                    " catalog_searchword CASCADE"
                )


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _plan(sql: str, params: list) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        document = cursor.fetchone()[0]
    plan = json.loads(document) if isinstance(document, str) else document
    return list(_nodes(plan[0]["Plan"]))


def _assert_indexed(nodes: list[dict], index: str, node_type: str | None = None) -> None:
    assert index in {node.get("Index Name") for node in nodes}, json.dumps(nodes, indent=1)
    if node_type:
        assert node_type in {
            node["Node Type"] for node in nodes if node.get("Index Name") == index
        }, json.dumps(nodes, indent=1)
    # No whole table read: no sequential scan, no hash or merge join.
    assert not {"Seq Scan", "Hash Join", "Merge Join"} & {node["Node Type"] for node in nodes}
    # Availability is a join or one hashed set, never a subquery run per candidate.
    assert not any(
        node.get("Parent Relationship") == "SubPlan"
        and not node.get("Subplan Name", "").startswith("hashed")
        for node in nodes
    ), json.dumps(nodes, indent=1)
    # A walk stops at its last match: nothing sorts the tracks it reads.
    if node_type == "Index Only Scan":
        assert "Sort" not in {node["Node Type"] for node in nodes}, json.dumps(nodes, indent=1)


@pytest.mark.parametrize(
    "query",
    [
        "love",  # ~1 title in 13
        "danc",  # the prefix of a common word
        "band",  # in every artist's name, no title
        made_up(4242),  # a handful of titles
        made_up(4242)[:6],  # the prefix of rare words
        "singularity",  # one title in 997
    ],
)
def test_track_search_plans_use_the_indexes(catalogue, db, query):
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(search.SEARCH_SETTINGS)
        _, completions = search._completions(cursor, [query])
    # As prefixes, and as the known words they start (when they start few).
    for tiers in (search._track_tiers([query]), search._track_tiers([query], completions)):
        for market in (None, "SE"):
            for depth in (20, 1000):
                for max_tier in (1, 2, 3):
                    walk = search.track_walk_sql(
                        tiers=tiers,
                        max_tier=max_tier,
                        market=market,
                        now=now,
                        rows=search.long_walk_rows(depth),
                        depth=depth,
                    )
                    # The walk reads the popularity index alone (it carries the document).
                    _assert_indexed(_plan(*walk), BY_POPULARITY, "Index Only Scan")
                    gin = search.track_gin_sql(
                        tiers=tiers, max_tier=max_tier, market=market, now=now, depth=depth
                    )
                    _assert_indexed(_plan(*gin), GIN)


def test_known_words_are_read_from_the_primary_key(catalogue, db):
    nodes = _plan(*search.completions_sql(["love", "nig", "xyzq"]))

    assert "catalog_searchword_pkey" in {node.get("Index Name") for node in nodes}
    assert "Seq Scan" not in {node["Node Type"] for node in nodes}
    with connection.cursor() as cursor:
        tracks, completions = search._completions(cursor, ["love", "nig", "xyzq", "lo"])
    assert abs(tracks - TRACKS) < TRACKS / 20  # the planner's count
    # "lo" is too short to be looked up; "nig" starts "night" and many made-up words.
    assert completions == {
        "love": ["love"],
        "nig": completions["nig"],
        "xyzq": [],
    }
    assert "night" in completions["nig"]
    assert len(completions["nig"]) == search.MAX_COMPLETIONS + 1


def test_track_search_reads_a_bounded_number_of_rows(catalogue, db, django_assert_max_num_queries):
    # A common word: walks only; a rare one: one walk, then its matches through the GIN index.
    for words in (["love"], ["band"], [made_up(77)], ["love", "night"], [made_up(4242)[:4]]):
        # Savepoint, settings, the known words, at most four walks and two GIN reads, release.
        with django_assert_max_num_queries(10):
            found = search.track_search_page(words=words, market="SE", limit=20)
        assert found.ids


def test_a_typo_is_corrected_through_the_trigram_index(catalogue, db):
    with connection.cursor() as cursor:
        cursor.execute(search.SEARCH_SETTINGS)
    nodes = _plan(*search.correction_sql(["singulrity", "love"]))

    assert WORDS_TRIGRAMS in {node.get("Index Name") for node in nodes}
    found = search.track_search_page(words=["singulrity"], market="SE", limit=5)
    assert found.words == ["singularity"]
    assert len(found.ids) == 5
    assert found.ids == search.track_search_page(words=["singularity"], market="SE", limit=5).ids


def test_total_is_capped_on_the_catalogue(catalogue, db):
    common = search.track_search_page(words=["love"], market="SE", offset=0, limit=20)
    rare = search.track_search_page(words=[made_up(4242)], market=None, limit=20)

    assert len(common.ids) == 20
    assert common.total == search.TOTAL_CAP
    assert 0 < rare.total < 20
    deepest = search.track_search_page(words=["love"], offset=search.TOTAL_CAP - 20, limit=50)
    assert len(deepest.ids) == 20
