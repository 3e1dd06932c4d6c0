# ruff: noqa: S608 - SQL is built from fixed text only; every value is a parameter.
"""Catalog search: prefix matching on every word of the query, ranked, per object type.

On PostgreSQL a word matches through full-text search with the 'simple' configuration,
written exactly as the GIN expression indexes of migration 0002 so they serve the query;
each word becomes a `word:*` prefix term of a tsquery passed as a parameter. Words are
runs of letters and digits, so no tsquery operator from the user reaches the parser.
Elsewhere (SQLite, the embedded default) a word matches as a case-insensitive substring.

Tracks and albums also match through their artists' names: every word must match the
title or the name of one of the artists ("artist title" finds the track). On PostgreSQL
the matching artists are looked up first (by index) and their tracks are passed as ids,
so the main query stays a bitmap OR of two index scans instead of a scan of every track.

Tracks on PostgreSQL search a stored document instead (migration 0005, kept by triggers):
`search_vector` holds the words of the title, the performers' names and the album's title,
each marked by its field, so the GIN index alone answers "in the title?". Results come in
three tiers, each by popularity: every word in the title; in the title or a performer's
name; anywhere. A walk down the popularity index reads the 2,000 most popular tracks (more
for deep pages): if enough of them match, the page comes from such walks, one per tier
needed, and `total` is extrapolated from the share that matched; if not, the words are rare
and every match is read through the GIN index and sorted, with an exact `total`. Either way
a search reads a bounded number of rows, whatever the number of matches (planner estimates
for prefixes are too rough to leave this choice to it). Availability in `market` is a join
on the track's profile (one primary-key probe per candidate) with the windows open there
now, never a subquery per row.
`total` counts at most `TOTAL_CAP` matches, the deepest a client may page (Spotify bounds
`offset + limit` by 1,000). When nothing matches, each word that starts no known word is
replaced by its closest known word (pg_trgm similarity on `catalog_searchword`) and the
search runs again, so a typo still finds the track.
"""

import datetime
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQueryField, SearchVectorField
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Value,
)
from django.utils import timezone

from catalog import selectors
from catalog.models import Artist, Playlist, Release, ReleaseArtist, Track, TrackArtist

MAX_WORDS = 10
MAX_WORD_LENGTH = 64
# Artists whose names match the query (PostgreSQL); their tracks and releases join the results.
MAX_MATCHING_ARTISTS = 100
# Matches counted for `total`, and the most results a search returns (offset + limit).
TOTAL_CAP = 1000
_WORD = re.compile(r"[^\W_]+")


def search_words(q: str) -> list[str]:
    """Split a query into lower-case words of letters and digits, without duplicates."""
    words = [word[:MAX_WORD_LENGTH] for word in _WORD.findall(q.lower())]
    return list(dict.fromkeys(words))[:MAX_WORDS]


class SimpleVector(Func):
    """`to_tsvector('simple', COALESCE(column, ''))`, the expression the GIN indexes hold."""

    template = "to_tsvector('simple'::regconfig, COALESCE(%(expressions)s, ''))"
    output_field = SearchVectorField()


class SimplePrefixQuery(Func):
    """`to_tsquery('simple', 'w1:* <op> w2:* ...')` with the tsquery text as a parameter."""

    template = "to_tsquery('simple'::regconfig, %(expressions)s)"
    output_field = SearchQueryField()

    def __init__(self, words: list[str], operator: str = "&"):
        super().__init__(Value(f" {operator} ".join(f"{word}:*" for word in words)))


class Matches(Func):
    template = "(%(expressions)s)"
    arg_joiner = " @@ "
    output_field = BooleanField()


class Rank(Func):
    function = "ts_rank"
    output_field = FloatField()


def _matching_artists(words: list[str]) -> dict[str, set[int]]:
    """Map each word to the ids of the most relevant artists whose name it matches."""
    vector = SimpleVector(F("name"))
    columns = {f"w{i}": Matches(vector, SimplePrefixQuery([word])) for i, word in enumerate(words)}
    rows = (
        Artist.objects.filter(Matches(vector, SimplePrefixQuery(words, "|")))
        .annotate(rank=Rank(vector, SimplePrefixQuery(words, "|")), **columns)
        .order_by("-rank", "-popularity", "id")
        .values("id", *columns)[:MAX_MATCHING_ARTISTS]
    )
    return {word: {row["id"] for row in rows if row[f"w{i}"]} for i, word in enumerate(words)}


def _credited_ids(
    credits: QuerySet, column: str, artists_by_word: dict[str, set[int]]
) -> dict[str, set[int]]:
    """Map each word to the ids of the rows credited to its matching artists."""
    all_artists = set().union(*artists_by_word.values())
    pairs = (
        list(credits.filter(artist_id__in=all_artists).values_list(column, "artist_id"))
        if all_artists
        else []
    )
    return {
        word: {row for row, artist in pairs if artist in artist_ids}
        for word, artist_ids in artists_by_word.items()
    }


def _full_text_search(
    queryset: QuerySet, *, words: list[str], column: str, credits: QuerySet | None, credited: str
) -> QuerySet:
    vector = SimpleVector(F(column))
    ids_by_word: dict[str, set[int]] = {word: set() for word in words}
    if credits is not None:
        ids_by_word = _credited_ids(credits, credited, _matching_artists(words))
    own_only = [word for word in words if not ids_by_word[word]]
    condition = Q()
    if own_only:
        # One tsquery for all these words: one scan of the index.
        condition &= Q(Matches(vector, SimplePrefixQuery(own_only)))
    for word in words:
        if ids_by_word[word]:
            condition &= Q(Matches(vector, SimplePrefixQuery([word]))) | Q(
                pk__in=sorted(ids_by_word[word])
            )
    return queryset.filter(condition).annotate(rank=Rank(vector, SimplePrefixQuery(words, "|")))


def _substring_search(
    queryset: QuerySet, *, words: list[str], column: str, credits: QuerySet | None, credited: str
) -> QuerySet:
    condition = Q()
    for word in words:
        matches = Q(**{f"{column}__icontains": word})
        if credits is not None:
            matches |= Q(pk__in=credits.filter(artist__name__icontains=word).values(credited))
        condition &= matches
    return queryset.filter(condition)


def _text_search(
    queryset: QuerySet,
    *,
    words: list[str],
    column: str,
    credits: QuerySet | None = None,
    credited: str = "",
    popularity: bool = True,
) -> QuerySet:
    """Filter `queryset` to rows where every word matches `column` or a credited artist.

    Order by relevance (PostgreSQL only), then popularity, then id.
    """
    if not words:
        return queryset.none()
    tiebreak = ["-popularity", "id"] if popularity else ["id"]
    if connection.vendor == "postgresql":
        found = _full_text_search(
            queryset, words=words, column=column, credits=credits, credited=credited
        )
        return found.order_by("-rank", *tiebreak)
    found = _substring_search(
        queryset, words=words, column=column, credits=credits, credited=credited
    )
    return found.order_by(*tiebreak)


@dataclass(frozen=True)
class TrackSearchPage:
    ids: list[int]
    total: int
    words: list[str]


def _track_tiers(words: list[str]) -> list[str]:
    """The tsquery of each tier: every word in the title; in the title or a performer's
    name; anywhere (album title too). Each tier holds the one before."""
    fields = ("a", "ab", "abc")
    return [
        " & ".join("(" + " | ".join(f"{f}{word}:*" for f in tier) + ")" for word in words)
        for tier in fields
    ]


# The query shapes choose the indexes: a scan of the whole table, a hash or merge join with
# a whole table, parallel workers or JIT compilation are never the cheaper way here,
# whatever the estimates (which are poor for prefixes).
SEARCH_SETTINGS = (
    "SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off;"
    " SET LOCAL enable_mergejoin = off; SET LOCAL max_parallel_workers_per_gather = 0;"
    " SET LOCAL jit = off"
)
# Most popular tracks a walk reads at most (more for deep pages: 50 per result asked).
WALK_ROWS = 2000
MAX_WALK_ROWS = 50_000
_MATCHES = "t.search_vector @@ to_tsquery('simple'::regconfig, %s)"


def _track_availability(market: str | None, now: datetime.datetime) -> tuple[str, str, list]:
    if not market:
        return "", "", []
    join = "JOIN catalog_trackavailabilityprofile p ON p.track_id = t.id"
    condition = (
        " AND p.profile_id IN (SELECT w.profile_id FROM catalog_availabilityprofilewindow w"
        " WHERE w.market = %s AND w.starts_at <= %s AND (w.ends_at IS NULL OR w.ends_at > %s))"
    )
    return join, condition, [market, now, now]


def walk_rows(depth: int) -> int:
    return min(max(WALK_ROWS, depth * 50), MAX_WALK_ROWS)


def track_walk_sql(
    *, query: str, market: str | None, now: datetime.datetime, depth: int
) -> tuple[str, list]:
    """The `depth` most popular tracks matching `query` among the `walk_rows(depth)` most
    popular tracks (read through the popularity index), each with its place in that order."""
    join, available, params = _track_availability(market, now)
    sql = (
        "SELECT t.id, t.popularity, t.place FROM (SELECT id, popularity, search_vector,"
        " row_number() OVER (ORDER BY popularity DESC, id) AS place"
        " FROM catalog_track ORDER BY popularity DESC, id LIMIT %s) t"
        f" {join} WHERE {_MATCHES}{available} ORDER BY t.popularity DESC, t.id LIMIT %s"
    )
    return sql, [walk_rows(depth), query, *params, depth]


def track_gin_sql(
    *, query: str, market: str | None, now: datetime.datetime, depth: int
) -> tuple[str, list]:
    """The `depth` most popular tracks matching `query`, every match read through the GIN
    index (the order written so that the popularity index cannot serve it)."""
    join, available, params = _track_availability(market, now)
    sql = (
        f"SELECT t.id, t.popularity FROM catalog_track t {join} WHERE {_MATCHES}{available}"
        " ORDER BY t.popularity + 0 DESC, t.id LIMIT %s"
    )
    return sql, [query, *params, depth]


def track_gin_tiers_sql(
    *, words: list[str], market: str | None, now: datetime.datetime, depth: int
) -> tuple[str, list]:
    """The first `depth` matches in tier order, each with the number of matches (exact),
    every match read through the GIN index."""
    join, available, params = _track_availability(market, now)
    first, second, anywhere = _track_tiers(words)
    sql = (
        f"SELECT t.id, CASE WHEN {_MATCHES} THEN 1 WHEN {_MATCHES} THEN 2 ELSE 3 END AS tier,"
        f" count(*) OVER () FROM catalog_track t {join} WHERE {_MATCHES}{available}"
        " ORDER BY tier, t.popularity DESC, t.id LIMIT %s"
    )
    return sql, [first, second, anywhere, *params, depth]


# For one word: itself when it starts a known word, else the closest known word, if any.
CORRECTION_SQL = """
CASE WHEN EXISTS (SELECT 1 FROM catalog_searchword WHERE word LIKE %s) THEN %s
ELSE COALESCE((
    SELECT word FROM catalog_searchword WHERE word %% %s
    ORDER BY similarity(word, %s) DESC, word LIMIT 1), %s)
END
"""


def correction_sql(words: list[str]) -> tuple[str, list]:
    """One column per word (each a constant, so the planner can use the indexes for it)."""
    sql = "SELECT " + ", ".join(f"({CORRECTION_SQL})" for _ in words)
    return sql, [value for word in words for value in (f"{word}%", word, word, word, word)]


def _corrected(words: list[str]) -> list[str]:
    """Each word that starts no known word, replaced by the closest known word if any."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(SEARCH_SETTINGS)
        # Fewer, closer candidates than the default 0.3 ("singulrity" is 0.64 from its word).
        cursor.execute("SET LOCAL pg_trgm.similarity_threshold = 0.45")
        cursor.execute(*correction_sql(words))
        return list(dict.fromkeys(cursor.fetchone()))


def _track_page_postgres(
    words: list[str], market: str | None, now: datetime.datetime, offset: int, limit: int
) -> tuple[list[int], int]:
    depth = offset + limit
    tiers = _track_tiers(words)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(SEARCH_SETTINGS)

        def rows(sql_and_params: tuple[str, list]) -> list[tuple]:
            cursor.execute(*sql_and_params)
            return cursor.fetchall()

        # The planner's count of tracks (-1 before the first ANALYZE).
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'catalog_track'::regclass")
        tracks = cursor.fetchone()[0]
        walked = []
        if tracks > walk_rows(depth):
            walked = rows(track_walk_sql(query=tiers[-1], market=market, now=now, depth=depth))
        if len(walked) < depth:
            # Rare among the most popular tracks, so rare (or a small catalogue): read every
            # match.
            found = rows(track_gin_tiers_sql(words=words, market=market, now=now, depth=depth))
            total = found[0][2] if found else 0
            return [row[0] for row in found[offset:]], min(total, TOTAL_CAP)
        # Common: the share of matches among the most popular tracks, extrapolated.
        total = round(depth / walked[-1][2] * tracks)
        tier_of: dict[int, tuple[int, int]] = {}
        for tier, query in enumerate(tiers[:-1], 1):
            found = rows(track_walk_sql(query=query, market=market, now=now, depth=depth))
            if len(found) < depth:
                found = rows(track_gin_sql(query=query, market=market, now=now, depth=depth))
            for track_id, popularity, *_ in found:
                tier_of.setdefault(track_id, (tier, -popularity))
            if len(tier_of) >= depth:
                break
        else:
            for track_id, popularity, _ in walked:
                tier_of.setdefault(track_id, (3, -popularity))
    ordered = sorted(tier_of, key=lambda track_id: (*tier_of[track_id], track_id))
    ids = ordered[offset:depth]
    return ids, min(max(total, offset + len(ids)), TOTAL_CAP)


def _substring_track_search(
    queryset: QuerySet[Track], words: list[str], market: str | None, now: datetime.datetime
) -> QuerySet[Track]:
    if market:
        queryset = queryset.filter(selectors.track_playable_in(market=market, now=now))
    return _text_search(
        queryset,
        words=words,
        column="title",
        credits=TrackArtist.objects.filter(role__in=selectors.PERFORMER_ROLES),
        credited="track_id",
    )


def track_search_page(
    *,
    words: list[str],
    market: str | None = None,
    now: datetime.datetime | None = None,
    offset: int = 0,
    limit: int = TOTAL_CAP,
) -> TrackSearchPage:
    """Ids of the tracks matching every word (title, performers or album; playable in
    `market` if given), best first, from `offset`; `total` is capped at `TOTAL_CAP`.

    On PostgreSQL a search that finds nothing is retried once with misspelt words
    corrected; `words` of the result are the words searched.
    """
    now = now or timezone.now()
    if not words or offset >= TOTAL_CAP:
        return TrackSearchPage(ids=[], total=0, words=words)
    limit = min(limit, TOTAL_CAP - offset)
    if connection.vendor != "postgresql":
        found = _substring_track_search(Track.objects.all(), words, market, now)
        ids = list(found.values_list("pk", flat=True)[offset : offset + limit])
        if len(ids) < limit and (ids or not offset):
            total = offset + len(ids)
        else:
            total = found[:TOTAL_CAP].count()
        return TrackSearchPage(ids=ids, total=total, words=words)
    ids, total = _track_page_postgres(words, market, now, offset, limit)
    if total == 0:
        corrected = _corrected(words)
        if corrected != words:
            ids, total = _track_page_postgres(corrected, market, now, offset, limit)
            words = corrected
    return TrackSearchPage(ids=ids, total=total, words=words)


def track_search(
    *, words: list[str], market: str | None = None, now: datetime.datetime | None = None
) -> QuerySet[Track]:
    """Full tracks of `track_search_page` (its first `TOTAL_CAP` results), best first."""
    now = now or timezone.now()
    queryset = selectors.track_list(market=market, now=now)
    if connection.vendor != "postgresql":
        return _substring_track_search(queryset, words, market, now)
    ids = track_search_page(words=words, market=market, now=now).ids
    return (
        queryset.filter(pk__in=ids)
        .annotate(position=Func(Value(ids), F("pk"), function="array_position"))
        .order_by("position")
    )


def release_search(
    *, words: list[str], market: str | None = None, now: datetime.datetime | None = None
) -> QuerySet[Release]:
    """Albums matching every word in their title or artists, with a track playable in `market`."""
    now = now or timezone.now()
    queryset = selectors.release_list_simplified(market=market, now=now)
    if market:
        queryset = queryset.filter(selectors.release_playable_in(market=market, now=now))
    return _text_search(
        queryset,
        words=words,
        column="title",
        credits=ReleaseArtist.objects.all(),
        credited="release_id",
    )


def artist_search(*, words: list[str]) -> QuerySet[Artist]:
    queryset = selectors.artist_list()
    return _text_search(queryset, words=words, column="name")


def playlist_search(*, words: list[str]) -> QuerySet[Playlist]:
    """Public playlists whose name matches every word."""
    queryset = selectors.playlist_list_simplified().filter(public=True)
    return _text_search(queryset, words=words, column="name", popularity=False)
