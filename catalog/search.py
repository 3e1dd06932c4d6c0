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
name; anywhere. First the query's words are looked up in `catalog_searchword` (one round
trip): a word that starts a few known words searches for them exactly (the GIN index
intersects exact words much faster than it expands prefixes), and a word that starts none
matches nothing, so it is replaced at once by its closest known word (pg_trgm similarity on
the trigram index; remembered per process for a while) and a typo costs no failed search.
Then a walk down the popularity index reads the 2,000 most popular tracks (more for deep
pages); the index carries the document (migration 0008), so a walk tests each track on the
index entry, about a microsecond a track, and stops at its last match. If the walk found
some matches but too few, a longer one follows when it is expected to cost less than
reading every match through the GIN index (a walked track costs about a twenty-fifth
of a match read that way); the share of matches among the tracks walked gives `total`, and the same
share per tier decides, tier by tier, between a walk and reading that tier's every match
through the GIN index. If no walk can find enough, the words are rare: every match is read
through the GIN index and sorted, with an exact `total`. Either way a search reads a
bounded number of rows, whatever the number of matches (planner estimates for prefixes are
too rough to leave this choice to it). Availability in `market` is a join on the track's
profile (one primary-key probe per candidate) among the profiles open there now (read once,
as an array), never a subquery per row.
`total` counts at most `TOTAL_CAP` matches, the deepest a client may page (Spotify bounds
`offset + limit` by 1,000). Each statement sends the planner settings of search in its own
query string (`_search_rows`): no transaction, SET or COMMIT round trip of its own.

A page of artists (`artist_search_page`) is one statement: the matches on the GIN index,
each with its followers and genres, and their number as a window count.
"""

import datetime
import math
import re
import time
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQueryField, SearchVectorField
from django.db import connection
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
from common.paging import page_total

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


# A query word of this many letters or more is looked up in `catalog_searchword`, which holds
# every word of that length in the search documents (migration 0005).
KNOWN_WORD_LENGTH = 3
# A word that starts at most this many known words searches for them exactly (the GIN index
# intersects exact words far faster than it expands prefixes); more, and it stays a prefix.
MAX_COMPLETIONS = 8


def _track_tiers(words: list[str], completions: dict[str, list[str]] | None = None) -> list[str]:
    """The tsquery of each tier: every word in the title; in the title or a performer's
    name; anywhere (album title too). Each tier holds the one before.

    A word is a prefix term (`love:*`), or its known completions when it has few."""
    fields = ("a", "ab", "abc")
    completions = completions or {}

    def terms(field: str, word: str) -> list[str]:
        known = completions.get(word)
        if known and len(known) <= MAX_COMPLETIONS:
            return [f"{field}{completion}" for completion in known]
        return [f"{field}{word}:*"]

    return [
        " & ".join(
            "(" + " | ".join(term for f in tier for term in terms(f, word)) + ")" for word in words
        )
        for tier in fields
    ]


# The query shapes choose the indexes: a scan of the whole table, a hash or merge join with
# a whole table, parallel workers or JIT compilation are never the cheaper way here,
# whatever the estimates (which are poor for prefixes, and absent before the first ANALYZE).
SEARCH_SETTINGS = (
    "SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off;"
    " SET LOCAL enable_mergejoin = off; SET LOCAL max_parallel_workers_per_gather = 0;"
    " SET LOCAL jit = off"
)


def _search_rows(cursor, sql: str, params: list) -> list[tuple]:
    """Run `sql` under `SEARCH_SETTINGS`, sent in the same query string: PostgreSQL runs the
    statements of one query string as one transaction, so the settings hold for `sql` alone
    and cost no round trip (no BEGIN, SET, COMMIT of their own). Inside a transaction block
    they last, as any SET LOCAL, until it ends."""
    cursor.execute(f"{SEARCH_SETTINGS}; {sql}", params)
    while cursor.nextset():
        pass  # to the result of the last statement
    return cursor.fetchall()


# Most popular tracks a first walk reads at most (more for deep pages: 50 per result asked).
WALK_ROWS = 2000
MAX_WALK_ROWS = 50_000
# A longer walk is expected to read at most this many tracks (100 per result asked for deep
# pages), or 25 times the matches a read of every match through the GIN index would fetch if
# that is more, up to twice as many and never more than `MAX_LONG_WALK_ROWS`. Measured at 1M
# tracks under load: a walk on the index alone costs about 1 µs a track, a match read
# through the GIN index (its row, its availability) 20 to 30 µs.
LONG_WALK_ROWS = 25_000
MAX_LONG_WALK_ROWS = 100_000
WALKED_PER_MATCH = 25


def _track_availability(market: str | None, now: datetime.datetime) -> tuple[str, str, list]:
    if not market:
        return "", "", []
    join = "JOIN catalog_trackavailabilityprofile p ON p.track_id = t.id"
    # The profiles open in the market, read once (an array), then tested per candidate.
    condition = (
        " AND p.profile_id = ANY(ARRAY(SELECT w.profile_id FROM catalog_availabilityprofilewindow w"
        " WHERE w.market = %s AND w.starts_at <= %s AND (w.ends_at IS NULL OR w.ends_at > %s)))"
    )
    return join, condition, [market, now, now]


def walk_rows(depth: int) -> int:
    return min(max(WALK_ROWS, depth * 50), MAX_WALK_ROWS)


def long_walk_rows(depth: int) -> int:
    return min(max(LONG_WALK_ROWS, depth * 100), MAX_LONG_WALK_ROWS)


def _walk_length(seen: int, read: int, depth: int, tracks: float) -> int | None:
    """How many of the most popular tracks to walk to find `depth` matches, when `seen` were
    among the first `read`; None if the walk would cost more than reading every match
    through the GIN index. The share of matches is taken one standard deviation low (a
    count of 3 counts as 1.3), so few matches seen rarely send a walk that comes back short;
    the walk may read half as many tracks again as expected, for chance."""
    low = seen - math.sqrt(seen)
    if low <= 0:
        return None
    expected = depth * read / low
    matches = seen / read * tracks
    longest = long_walk_rows(depth)
    if expected > min(max(longest, WALKED_PER_MATCH * matches), 2 * longest, MAX_LONG_WALK_ROWS):
        return None
    return math.ceil(1.5 * expected)


def _tier_of(tiers: list[str], max_tier: int, column: str) -> tuple[str, list]:
    """SQL for the best tier (1 to `max_tier`) whose query `column` matches."""
    if max_tier == 1:
        return "1", []
    matches = f"{column} @@ to_tsquery('simple'::regconfig, %s)"
    cases = " ".join(f"WHEN {matches} THEN {tier}" for tier in range(1, max_tier))
    return f"CASE {cases} ELSE {max_tier} END", tiers[: max_tier - 1]


def track_walk_sql(
    *,
    tiers: list[str],
    max_tier: int,
    market: str | None,
    now: datetime.datetime,
    rows: int,
    depth: int,
) -> tuple[str, list]:
    """The `depth` most popular tracks matching tier `max_tier` (or a better one) among the
    `rows` most popular tracks, each with its tier and its place in that order.

    The walk reads the popularity index alone (it carries the document: an index-only scan),
    and stops at the `depth`th match; the window function sees no document."""
    join, available, params = _track_availability(market, now)
    tier, tier_params = _tier_of(tiers, max_tier, "search_vector")
    sql = (
        "SELECT t.id, t.popularity, t.tier, t.place FROM (SELECT id, popularity, tier,"
        " row_number() OVER (ORDER BY popularity DESC, id) AS place FROM (SELECT id, popularity,"
        f" CASE WHEN search_vector @@ to_tsquery('simple'::regconfig, %s) THEN {tier} END"
        " AS tier FROM catalog_track ORDER BY popularity DESC, id LIMIT %s) s) t"
        f" {join} WHERE t.tier IS NOT NULL{available} ORDER BY t.popularity DESC, t.id LIMIT %s"
    )
    return sql, [tiers[max_tier - 1], *tier_params, rows, *params, depth]


def track_gin_sql(
    *,
    tiers: list[str],
    max_tier: int,
    market: str | None,
    now: datetime.datetime,
    depth: int,
) -> tuple[str, list]:
    """The first `depth` matches of tier `max_tier` or a better one, in tier order then by
    popularity, each with its tier and the number of those matches (exact), every match
    read through the GIN index first (a materialised CTE: so the plan cannot start from the
    market's tracks instead, however many matches the planner expects)."""
    join, available, params = _track_availability(market, now)
    tier, tier_params = _tier_of(tiers, max_tier, "search_vector")
    sql = (
        f"WITH t AS MATERIALIZED (SELECT id, popularity, {tier} AS tier FROM catalog_track"
        " WHERE search_vector @@ to_tsquery('simple'::regconfig, %s))"
        f" SELECT t.id, t.popularity, t.tier, count(*) OVER () FROM t {join}"
        f" WHERE true{available} ORDER BY t.tier, t.popularity DESC, t.id LIMIT %s"
    )
    return sql, [*tier_params, tiers[max_tier - 1], *params, depth]


def completions_sql(words: list[str]) -> tuple[str, list]:
    """The planner's count of tracks (-1 before the first ANALYZE), then for each word of
    `KNOWN_WORD_LENGTH` letters or more, up to `MAX_COMPLETIONS` + 1 known words it starts
    (a range of the primary key: the words are letters and digits, no LIKE wildcard)."""
    known = [word for word in words if len(word) >= KNOWN_WORD_LENGTH]
    columns = ["(SELECT reltuples FROM pg_class WHERE oid = 'catalog_track'::regclass)"]
    columns += [
        "ARRAY(SELECT word FROM catalog_searchword WHERE word LIKE %s ORDER BY word LIMIT %s)"
    ] * len(known)
    params = [value for word in known for value in (f"{word}%", MAX_COMPLETIONS + 1)]
    return "SELECT " + ", ".join(columns), params


def _completions(cursor, words: list[str]) -> tuple[float, dict[str, list[str]]]:
    tracks, *found = _search_rows(cursor, *completions_sql(words))[0]
    known = [word for word in words if len(word) >= KNOWN_WORD_LENGTH]
    return tracks, dict(zip(known, found, strict=True))


# The closest known word to one that starts none (pg_trgm similarity, through the trigram
# index), or NULL.
CORRECTION_SQL = (
    "SELECT word FROM catalog_searchword WHERE word %% %s"
    " ORDER BY similarity(word, %s) DESC, word LIMIT 1"
)
# Fewer, closer candidates than the default 0.3 ("singulrity" is 0.64 from its word).
CORRECTION_THRESHOLD = 0.45
# Corrections found, per process: word -> (when, correction). A correction is used only while
# it is still a known word (checked by every search), and for this many seconds at most, so a
# closer word added since is picked up.
CORRECTION_SECONDS = 600
MAX_CORRECTIONS = 10_000
_corrections: dict[str, tuple[float, str]] = {}


def correction_sql(words: list[str]) -> tuple[str, list]:
    """One column per word (each a constant, so the planner can use the trigram index)."""
    sql = "SELECT " + ", ".join(f"({CORRECTION_SQL})" for _ in words)
    return sql, [value for word in words for value in (word, word)]


def _corrected(cursor, words: list[str], *, cached: bool) -> tuple[dict[str, str], bool]:
    """The closest known word to each of `words` that has one, and whether any was
    remembered from an earlier search (per process) rather than looked up."""
    now = time.monotonic()
    found = {}
    if not cached:
        for word in words:
            _corrections.pop(word, None)
    if cached:
        for word in words:
            when, correction = _corrections.get(word, (0.0, ""))
            if correction and now - when < CORRECTION_SECONDS:
                found[word] = correction
    remembered = bool(found)
    missing = [word for word in words if word not in found]
    if missing:
        sql, params = correction_sql(missing)
        (corrections,) = _search_rows(
            cursor,
            f"SELECT set_config('pg_trgm.similarity_threshold', %s, true); {sql}",
            [str(CORRECTION_THRESHOLD), *params],
        )
        if len(_corrections) >= MAX_CORRECTIONS:
            _corrections.clear()
        for word, correction in zip(missing, corrections, strict=True):
            if correction:
                found[word] = correction
                _corrections[word] = (now, correction)
    return found, remembered


def _track_walks(
    cursor,
    tiers: list[str],
    tracks: float,
    market: str | None,
    now: datetime.datetime,
    offset: int,
    limit: int,
) -> tuple[list[int], int]:
    depth = offset + limit

    def rows(sql_and_params: tuple[str, list]) -> list[tuple]:
        return _search_rows(cursor, *sql_and_params)

    def walk(max_tier: int, length: int) -> list[tuple]:
        return rows(
            track_walk_sql(
                tiers=tiers, max_tier=max_tier, market=market, now=now, rows=length, depth=depth
            )
        )

    def every_match(max_tier: int) -> list[tuple]:
        return rows(
            track_gin_sql(tiers=tiers, max_tier=max_tier, market=market, now=now, depth=depth)
        )

    length = walk_rows(depth)
    walked = []
    if tracks > length:
        walked = walk(3, length)
        if 0 < len(walked) < depth and (longer := _walk_length(len(walked), length, depth, tracks)):
            # Some matches among the most popular tracks, too few: a longer walk.
            walked = walk(3, longer)
    if len(walked) < depth:
        # Rare (or a small catalogue): read every match, in tier order.
        found = every_match(3)
        total = found[0][3] if found else 0
        return [row[0] for row in found[offset:]], min(total, TOTAL_CAP)
    # Common: the share of matches among the most popular tracks, extrapolated.
    read = walked[-1][3]
    total = round(depth / read * tracks)
    best: dict[int, tuple[int, int]] = {}  # the best tiers, in full or their first `depth`
    done = 0
    for max_tier in (1, 2):
        if max_tier <= done:
            continue
        seen = [sum(1 for row in walked if row[2] <= tier) for tier in (1, 2)]
        if longer := _walk_length(seen[max_tier - 1], read, depth, tracks):
            found = walk(max_tier, longer)
            if len(found) >= depth:
                for track_id, popularity, tier, _ in found:
                    best.setdefault(track_id, (tier, -popularity))
                done = max_tier
                break
        # Too few among the most popular tracks: every match of this tier, and of the next
        # one too if a walk would not find enough of them either.
        upto = 2 if max_tier == 1 and not _walk_length(seen[1], read, depth, tracks) else max_tier
        found = every_match(upto)
        for track_id, popularity, tier, _ in found:
            best.setdefault(track_id, (tier, -popularity))
        done = upto
        if len(found) >= depth:
            break
    else:
        # The most popular matches of the last tier (the walk read every match before them).
        for track_id, popularity, _, _ in walked:
            best.setdefault(track_id, (3, -popularity))
    ordered = sorted(best, key=lambda track_id: (*best[track_id], track_id))
    ids = ordered[offset:depth]
    return ids, min(max(total, offset + len(ids)), TOTAL_CAP)


def _track_page_postgres(
    words: list[str], market: str | None, now: datetime.datetime, offset: int, limit: int
) -> tuple[list[int], int, list[str]]:
    with connection.cursor() as cursor:
        tracks, completions = _completions(cursor, words)
        unknown = [word for word, known in completions.items() if not known]
        if unknown:
            # A word that starts no known word matches nothing: its closest known word instead.
            for cached in (True, False):
                corrected, remembered = _corrected(cursor, unknown, cached=cached)
                searched = list(dict.fromkeys(corrected.get(word, word) for word in words))
                if corrected:
                    tracks, completions = _completions(cursor, searched)
                if all(completions.values()) or not remembered:
                    break
                # A remembered correction is no longer a known word: look again.
            words = searched
            if not all(completions.values()):
                return [], 0, words
        tiers = _track_tiers(words, completions)
        ids, total = _track_walks(cursor, tiers, tracks, market, now, offset, limit)
    return ids, total, words


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

    On PostgreSQL a word that starts no known word (so matches nothing) is replaced by
    its closest known word, if any; `words` of the result are the words searched.
    """
    now = now or timezone.now()
    if not words or offset >= TOTAL_CAP or limit <= 0:
        return TrackSearchPage(ids=[], total=0, words=words)
    limit = min(limit, TOTAL_CAP - offset)
    if connection.vendor != "postgresql":
        found = _substring_track_search(Track.objects.all(), words, market, now)
        ids = list(found.values_list("pk", flat=True)[offset : offset + limit])
        total = page_total(found, shown=len(ids), offset=offset, limit=limit, cap=TOTAL_CAP)
        return TrackSearchPage(ids=ids, total=total, words=words)
    ids, total, words = _track_page_postgres(words, market, now, offset, limit)
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


def release_search(*, words: list[str]) -> QuerySet[Release]:
    """Albums matching every word in their title or artists, best first (wherever they
    play: `release_search_page` pages them for a market)."""
    return _text_search(
        Release.objects.all(),
        words=words,
        column="title",
        credits=ReleaseArtist.objects.all(),
        credited="release_id",
    )


# The first batch of ranked ids `ranked_page` judges: the page's end times this, at least
# RANKED_BATCH; each further batch is twice the one before.
RANKED_BATCH = 50


@dataclass(frozen=True)
class RankedPage:
    ids: list[int]  # the page
    judged: int  # ranked rows judged for `kept` on the way
    kept: int  # of which kept
    exhausted: bool  # every ranked row was judged


def ranked_page(ranked: QuerySet, kept: QuerySet, *, offset: int, limit: int) -> RankedPage:
    """The ids of the rows `offset` to `offset + limit` of `ranked` (a search, best first)
    that are also in `kept` (say, playable in a market), in `ranked`'s order.

    The ranked ids are read in growing batches and only those are judged for `kept`, until
    the page is full: a common word matches thousands of albums, and judging every match
    for the market (one probe each) cost more than ranking them all.
    """
    wanted = offset + limit
    found: list[int] = []
    judged, exhausted = 0, False
    batch = max(2 * wanted, RANKED_BATCH)
    while len(found) < wanted and limit > 0:
        ids = list(ranked.values_list("pk", flat=True)[judged : judged + batch])
        if ids:
            chosen = set(kept.filter(pk__in=ids).values_list("pk", flat=True))
            found += [pk for pk in ids if pk in chosen]
        judged += len(ids)
        if len(ids) < batch:
            exhausted = True
            break
        batch *= 2
    return RankedPage(ids=found[offset:wanted], judged=judged, kept=len(found), exhausted=exhausted)


@dataclass(frozen=True)
class SearchPage:
    ids: list[int]
    total: int


def release_search_page(
    *,
    words: list[str],
    market: str | None = None,
    now: datetime.datetime | None = None,
    offset: int = 0,
    limit: int = 20,
) -> SearchPage:
    """Ids of a page of `release_search`, best first; `total` is capped at `TOTAL_CAP`.

    With a market, only the ranked matches up to the page's end are judged for it
    (`ranked_page`); `total` is then exact when every match was judged, else the matches
    (capped) times the share of the judged ones playable there, as track search extrapolates.
    """
    if offset >= TOTAL_CAP or limit <= 0:
        return SearchPage(ids=[], total=0)
    limit = min(limit, TOTAL_CAP - offset)
    ranked = release_search(words=words)
    if not market:
        ids = list(ranked.values_list("pk", flat=True)[offset : offset + limit])
        total = page_total(
            ranked.order_by(), shown=len(ids), offset=offset, limit=limit, cap=TOTAL_CAP
        )
        return SearchPage(ids=ids, total=total)
    kept = Release.objects.filter(
        selectors.release_playable_in(market=market, now=now or timezone.now())
    )
    page = ranked_page(ranked, kept, offset=offset, limit=limit)
    if page.exhausted:
        return SearchPage(ids=page.ids, total=page.kept)
    matches = ranked.order_by()[:TOTAL_CAP].count()
    estimate = round(matches * page.kept / page.judged)
    return SearchPage(ids=page.ids, total=min(max(estimate, offset + len(page.ids)), TOTAL_CAP))


def artist_search(*, words: list[str]) -> QuerySet[Artist]:
    queryset = selectors.artist_list()
    return _text_search(queryset, words=words, column="name")


@dataclass(frozen=True)
class ArtistSearchPage:
    """Rows with `id`, `name`, `image`, `popularity`, `followers_total` and `genres` (names,
    in name order), best first; `total` is capped at `TOTAL_CAP`."""

    rows: list[dict]
    total: int


_ARTIST_VECTOR = "to_tsvector('simple'::regconfig, COALESCE(a.name, ''))"
# `artist_search` in one statement (matches on the GIN index of migration 0002, the same
# order), each artist with its followers, its genres and the number of matches.
ARTIST_PAGE_SQL = (
    "SELECT a.id, a.name, a.image, a.popularity,"
    " (SELECT count(*) FROM catalog_followedartist f WHERE f.artist_id = a.id),"
    " ARRAY(SELECT g.name FROM catalog_artist_genres ag JOIN catalog_genre g"
    " ON g.id = ag.genre_id WHERE ag.artist_id = a.id ORDER BY g.name),"
    " count(*) OVER ()"
    f" FROM catalog_artist a WHERE {_ARTIST_VECTOR} @@ to_tsquery('simple'::regconfig, %s)"
    f" ORDER BY ts_rank({_ARTIST_VECTOR}, to_tsquery('simple'::regconfig, %s)) DESC,"
    " a.popularity DESC, a.id LIMIT %s OFFSET %s"
)
_ARTIST_COLUMNS = ("id", "name", "image", "popularity", "followers_total", "genres")


def artist_search_page(*, words: list[str], offset: int = 0, limit: int) -> ArtistSearchPage:
    """A page of `artist_search`: one query on PostgreSQL (two for a page past the last)."""
    if not words or offset >= TOTAL_CAP:
        return ArtistSearchPage(rows=[], total=0)
    limit = min(limit, TOTAL_CAP - offset)
    if connection.vendor != "postgresql":
        queryset = artist_search(words=words)
        page = list(queryset[offset : offset + limit])
        rows = [
            {
                "id": artist.pk,
                "name": artist.name,
                "image": artist.image.name,
                "popularity": artist.popularity,
                "followers_total": artist.followers_total,
                "genres": [genre.name for genre in artist.genres.all()],
            }
            for artist in page
        ]
        total = page_total(queryset, shown=len(page), offset=offset, limit=limit, cap=TOTAL_CAP)
        return ArtistSearchPage(rows=rows, total=total)
    every = " & ".join(f"{word}:*" for word in words)
    some = " | ".join(f"{word}:*" for word in words)
    with connection.cursor() as cursor:
        found = _search_rows(cursor, ARTIST_PAGE_SQL, [every, some, limit, offset])
        if not found and offset:
            # Past the last match: the count alone.
            found = _search_rows(cursor, ARTIST_PAGE_SQL, [every, some, 1, 0])
            return ArtistSearchPage(rows=[], total=min(found[0][-1], TOTAL_CAP) if found else 0)
    rows = [dict(zip(_ARTIST_COLUMNS, row[:-1], strict=True)) for row in found]
    return ArtistSearchPage(rows=rows, total=min(found[0][-1], TOTAL_CAP) if found else 0)


def playlist_search(*, words: list[str]) -> QuerySet[Playlist]:
    """Public playlists whose name matches every word."""
    queryset = selectors.playlist_list_simplified().filter(public=True)
    return _text_search(queryset, words=words, column="name", popularity=False)
