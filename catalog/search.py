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
"""

import datetime
import re

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

MAX_WORDS = 10
MAX_WORD_LENGTH = 64
# Artists whose names match the query (PostgreSQL); their tracks and releases join the results.
MAX_MATCHING_ARTISTS = 100
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


def track_search(
    *, words: list[str], market: str | None = None, now: datetime.datetime | None = None
) -> QuerySet[Track]:
    """Tracks matching every word in their title or artists, playable in `market` if given."""
    now = now or timezone.now()
    queryset = selectors.track_list(market=market, now=now)
    if market:
        queryset = queryset.filter(selectors.track_playable_in(market=market, now=now))
    return _text_search(
        queryset,
        words=words,
        column="title",
        credits=TrackArtist.objects.filter(role__in=selectors.PERFORMER_ROLES),
        credited="track_id",
    )


def release_search(
    *, words: list[str], market: str | None = None, now: datetime.datetime | None = None
) -> QuerySet[Release]:
    """Albums matching every word in their title or artists, with a track playable in `market`."""
    now = now or timezone.now()
    queryset = selectors.release_list_simplified(now=now)
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
