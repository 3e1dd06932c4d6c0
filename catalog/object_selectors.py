"""Flat reads for the object endpoints: a track, an album, an artist, a playlist with its
first page of items, a page of saved tracks.

Each read is a fixed set of `QueryShape`s (SQL compiled once per process, see
`common.query_shapes`) returning plain dicts, with the same availability rules as
`catalog.selectors`. Without a market, `t_markets`/`r_markets` are `MarketList` values of the
windows open at `now`; with one, no market list is computed (Spotify leaves
`available_markets` out then), only `t_playable` (the track plays there now) and
`r_playable` (some track of its release does). Nothing read here is cached: a licence
change, a takedown or a rename shows in the next response.

Row keys: a track's are `t_*` (`t_id`, `t_title`, ...) and its release's `r_*`; credits are
`owner_id` (the track or release), `artist_id`, `artist_name`, in credit order.
"""

import datetime
import json

from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    Count,
    DateField,
    Expression,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from accounts.models import User
from catalog.models import (
    Artist,
    FollowedArtist,
    FollowedPlaylist,
    Genre,
    Playlist,
    PlaylistItem,
    Release,
    ReleaseArtist,
    SavedTrack,
    Track,
    TrackArtist,
    TrackAvailabilityProfile,
)
from catalog.selectors import (
    EMBEDDED_PAGE_LIMIT,
    PERFORMER_ROLES,
    TOP_TRACKS_LIMIT,
    _count_of,
    _open_windows,
    release_playable_column,
    release_playable_in,
    release_total_tracks,
    track_markets,
    track_playable_in,
)
from common.errors import NotFound
from common.query_shapes import Params, QueryShape, sliced

# Reads


class _MarketsOf(Subquery):
    """The distinct markets of a windows queryset, joined with commas (a `MarketList` value)
    or NULL; aggregated without a GROUP BY, so the windows can be found by a semi-join."""

    template = "(SELECT STRING_AGG(DISTINCT w.market, ',' ORDER BY w.market) FROM (%(subquery)s) w)"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        template = "(SELECT GROUP_CONCAT(DISTINCT w.market) FROM (%(subquery)s) w)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def _release_markets(now: datetime.datetime, release_ref: str) -> Subquery:
    """Markets where some track of the release of `release_ref` is playable at `now`.

    The windows are those of the release's distinct profiles (its tracks mostly share
    one), not one copy per track as a join would give.
    """
    profiles = TrackAvailabilityProfile.objects.filter(
        track__release_id=OuterRef(OuterRef(release_ref))
    ).values("profile_id")
    return _MarketsOf(_open_windows(now).filter(profile_id__in=profiles).values("market"))


def _track_columns(p: Params, *, to_track: str, market: bool, album: bool) -> dict:
    """The columns of a track object (`album`: with its simplified album), reached from the
    queried model through `to_track` ("" from a track, "track__" from an item)."""
    now = p.now.datetime()
    track_ref = to_track.removesuffix("__") + "_id" if to_track else "pk"
    columns = {
        "t_id": F(f"{to_track}id"),
        "t_title": F(f"{to_track}title"),
        "t_disc_number": F(f"{to_track}disc_number"),
        "t_duration_ms": F(f"{to_track}duration_ms"),
        "t_explicit": F(f"{to_track}explicit"),
        "t_track_number": F(f"{to_track}track_number"),
    }
    if market:
        columns["t_playable"] = Coalesce(
            track_playable_in(market=p.market.str(), now=now, track_ref=track_ref),
            False,
            output_field=BooleanField(),
        )
        columns["t_audio"] = F(f"{to_track}audio_status")
    else:
        columns["t_markets"] = track_markets(now=now, track_ref=track_ref)
    if album:
        release_ref = f"{to_track}release_id"
        columns |= {
            "t_isrc": F(f"{to_track}isrc"),
            "t_popularity": F(f"{to_track}popularity"),
            "r_id": F(release_ref),
            "r_title": F(f"{to_track}release__title"),
            "r_release_type": F(f"{to_track}release__release_type"),
            "r_release_date": F(f"{to_track}release__release_date"),
            "r_cover": F(f"{to_track}release__cover"),
            "r_total_tracks": release_total_tracks(release_ref),
        }
        if market:
            columns["r_playable"] = release_playable_column(
                market=p.market.str(), now=now, release_ref=release_ref
            )
        else:
            columns["r_markets"] = _release_markets(now, release_ref)
    return columns


def _release_availability(p: Params, market: bool) -> dict:
    """An album row's `playable` in the market, or without one, its `markets`."""
    now = p.now.datetime()
    if market:
        return {"playable": release_playable_column(market=p.market.str(), now=now)}
    return {"markets": _release_markets(now, "pk")}


def _credited(model, *conditions, **filters) -> QuerySet:
    """The credits (TrackArtist: performers only, or ReleaseArtist) the filters select."""
    queryset = model.objects.filter(*conditions, **filters)
    if model is TrackArtist:
        queryset = queryset.filter(role__in=PERFORMER_ROLES)
    return queryset


def _credits(model, owner: str, **filters) -> QuerySet:
    return (
        _credited(model, **filters)
        .order_by("position", "id")
        .values("artist_id", owner_id=F(owner), artist_name=F("artist__name"))
    )


def _all_credits(*, tracks: list, releases: list) -> QuerySet:
    """`_credits` of the tracks (performers) and of the releases (their artists) that the
    conditions select, in one query: each row's `kind` says which (see `_credits_split`)."""

    def of(model, owner: str, kind: str, conditions: list) -> QuerySet:
        return (
            _credited(model, *conditions)
            .order_by()
            .values("artist_id", "position", "id", owner_id=F(owner),
                    artist_name=F("artist__name"), kind=Value(kind))
        )  # fmt: skip

    return (
        of(TrackArtist, "track_id", "track", tracks)
        .union(of(ReleaseArtist, "release_id", "release", releases), all=True)
        .order_by("kind", "position", "id")
    )


def _credits_split(rows: list[dict]) -> tuple[dict[int, list[dict]], dict[int, list[dict]]]:
    """Rows of `_all_credits` as (track credits, release credits), each by owner id."""
    tracks = [row for row in rows if row["kind"] == "track"]
    releases = [row for row in rows if row["kind"] != "track"]
    return _by_owner(tracks), _by_owner(releases)


def _shapes(build) -> dict[bool, QueryShape]:
    """One shape without a market and one with."""
    return {
        market: QueryShape(lambda p, market=market: build(p, market)) for market in (False, True)
    }


_TRACK = _shapes(
    lambda p, market: (
        Track.objects.filter(pk=p.id.int())
        .order_by()
        .values(**_track_columns(p, to_track="", market=market, album=True))
    )
)
_TRACK_CREDITS = QueryShape(
    lambda p: _all_credits(
        tracks=[Q(track_id=p.id.int())], releases=[Q(release__tracks__id=p.id.int())]
    )
)


class _Membership(Func):
    """A condition on a column and a set of values, each written per database."""

    arity = 2
    output_field = BooleanField()

    def _compiled(self, compiler) -> tuple[str, str, list]:
        column, values = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        values_sql, values_params = compiler.compile(values)
        return column_sql, values_sql, [*column_params, *values_params]


class _InIds(_Membership):
    """`column` is one of the ids of a JSON array parameter (`"[3,1,2]"`): one compiled query
    serves any number of ids. On PostgreSQL the ids become an array constant (`translate`
    is folded at planning), so the planner knows how many there are and probes the index;
    as a set-returning subquery they counted as 100 and drew a hash join with a whole table."""

    def __init__(self, column: str, param: str):
        super().__init__(F(column), Value(param))

    def as_sql(self, compiler, connection, **extra_context):
        column, ids, params = self._compiled(compiler)
        return f"{column} = ANY(translate({ids}, '[]', '{{}}')::bigint[])", params

    def as_sqlite(self, compiler, connection, **extra_context):
        column, ids, params = self._compiled(compiler)
        sql = f"{column} IN (SELECT value FROM json_each({ids}))"  # noqa: S608 - compiled SQL
        return sql, params


class _IdsOf(Expression):
    """The ids of a JSON array parameter, as a subquery for `__in`. Planned as about 100
    rows then made unique, which keeps the release artists' read a probe per release even
    when that table has no statistics (where `_InIds` drew a hash of every release's
    credits)."""

    output_field = BigIntegerField()

    def __init__(self, param: str):
        super().__init__()
        self.param = param

    def as_sql(self, compiler, connection):
        return "SELECT jsonb_array_elements_text(%s::jsonb)::bigint", [self.param]

    def as_sqlite(self, compiler, connection):
        return "SELECT value FROM json_each(%s)", [self.param]


_TRACKS = _shapes(
    lambda p, market: (
        Track.objects.filter(_InIds("pk", p.ids.str()))
        .order_by()
        .values(**_track_columns(p, to_track="", market=market, album=True))
    )
)
_TRACKS_CREDITS = QueryShape(
    lambda p: _all_credits(
        tracks=[_InIds("track_id", p.ids.str())],
        releases=[
            Q(release_id__in=Track.objects.filter(pk__in=_IdsOf(p.ids.str())).values("release_id"))
        ],
    )
)


def _by_owner(rows: list[dict]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {}
    for row in rows:
        found.setdefault(row["owner_id"], []).append(row)
    return found


def _values(market: str | None, now: datetime.datetime | None, **values) -> dict:
    values["now"] = now or timezone.now()
    if market:
        values["market"] = market
    return values


def track_object_rows(
    *, track_id: int | None, market: str | None = None, now: datetime.datetime | None = None
) -> tuple[dict, dict[int, list[dict]], dict[int, list[dict]]]:
    """The track's row, its performers and its release's artists (by owner id); 2 queries."""
    values = _values(market, now, id=track_id)
    rows = _TRACK[bool(market)].rows(model=Track, **values) if track_id is not None else []
    if not rows:
        raise NotFound("Track not found.")
    track_artists, release_artists = _credits_split(
        _TRACK_CREDITS.rows(model=TrackArtist, id=track_id)
    )
    return rows[0], track_artists, release_artists


def tracks_object_rows(
    *, ids: list[int], market: str | None = None, now: datetime.datetime | None = None
) -> tuple[list[dict], dict[int, list[dict]], dict[int, list[dict]]]:
    """The rows of the tracks of `ids` that exist, in the order of `ids`, their performers
    and their releases' artists (by owner id); 2 queries, none without ids."""
    if not ids:
        return [], {}, {}
    values = _values(market, now, ids=json.dumps([int(pk) for pk in ids]))
    found = {row["t_id"]: row for row in _TRACKS[bool(market)].rows(model=Track, **values)}
    rows = [found[pk] for pk in ids if pk in found]
    track_artists, release_artists = _credits_split(
        _TRACKS_CREDITS.rows(model=TrackArtist, ids=values["ids"])
    )
    return rows, track_artists, release_artists


_RELEASE = _shapes(
    lambda p, market: (
        Release.objects.filter(pk=p.id.int())
        .order_by()
        .values(
            "id",
            "title",
            "release_type",
            "release_date",
            "cover",
            "upc",
            "copyright",
            "popularity",
            label_name=F("label__name"),
            total_tracks=release_total_tracks(),
            **_release_availability(p, market),
        )
    )
)
_RELEASE_GENRES = QueryShape(lambda p: Genre.objects.filter(releases=p.id.int()).values("name"))
_RELEASE_CREDITS = QueryShape(
    lambda p: _all_credits(
        tracks=[Q(track__release_id=p.id.int())], releases=[Q(release_id=p.id.int())]
    )
)
_RELEASE_TRACKS = _shapes(
    lambda p, market: (
        Track.objects.filter(release_id=p.id.int())
        .order_by("disc_number", "track_number", "id")
        .values(**_track_columns(p, to_track="", market=market, album=False))[:EMBEDDED_PAGE_LIMIT]
    )
)


def release_object_rows(
    *, release_id: int | None, market: str | None = None, now: datetime.datetime | None = None
) -> dict:
    """An album: `release`, `genres`, `artists`, `tracks` (first page), `track_artists`
    (by track id); 4 queries."""
    values = _values(market, now, id=release_id)
    shape = _RELEASE[bool(market)]
    rows = shape.rows(model=Release, **values) if release_id is not None else []
    if not rows:
        raise NotFound("Album not found.")
    track_artists, release_artists = _credits_split(
        _RELEASE_CREDITS.rows(model=TrackArtist, id=release_id)
    )
    return {
        "release": rows[0],
        "genres": [row["name"] for row in _RELEASE_GENRES.rows(model=Genre, id=release_id)],
        "artists": release_artists.get(release_id, []),
        "tracks": _RELEASE_TRACKS[bool(market)].rows(model=Track, **values),
        "track_artists": track_artists,
    }


_ARTIST = QueryShape(
    lambda p: (
        Artist.objects.filter(pk=p.id.int())
        .order_by()
        .values(
            "id",
            "name",
            "image",
            "popularity",
            followers_total=_count_of(
                FollowedArtist.objects.filter(artist=OuterRef("pk")), "artist"
            ),
        )
    )
)
_ARTIST_ID = QueryShape(lambda p: Artist.objects.filter(pk=p.id.int()).order_by().values("id"))


def _top_track_ids(p: Params, market: bool) -> QuerySet:
    performed = TrackArtist.objects.filter(artist_id=p.id.int(), role__in=PERFORMER_ROLES)
    tracks = Track.objects.filter(pk__in=performed.values("track_id"))
    if market:
        tracks = tracks.filter(track_playable_in(market=p.market.str(), now=p.now.datetime()))
    return sliced(tracks.order_by("-popularity", "id").values("id"), p.first, p.limit)


_TOP_TRACK_IDS = _shapes(_top_track_ids)


def artist_top_track_ids(
    *,
    artist_id: int | None,
    market: str | None,
    limit: int = TOP_TRACKS_LIMIT,
    now: datetime.datetime | None = None,
) -> list[int]:
    """Ids of `catalog.selectors.artist_top_tracks`, best first; NotFound when there is no
    such artist; 2 queries."""
    if artist_id is None or not _ARTIST_ID.rows(model=Artist, id=artist_id):
        raise NotFound("Artist not found.")
    values = _values(market, now, id=artist_id, first=0, limit=limit)
    return [row["id"] for row in _TOP_TRACK_IDS[bool(market)].rows(model=Track, **values)]


_ARTIST_GENRES = QueryShape(lambda p: Genre.objects.filter(artists=p.id.int()).values("name"))


def artist_object_rows(*, artist_id: int | None) -> tuple[dict, list[str]]:
    """The artist's row and genre names; 2 queries."""
    rows = _ARTIST.rows(model=Artist, id=artist_id) if artist_id is not None else []
    if not rows:
        raise NotFound("Artist not found.")
    return rows[0], [row["name"] for row in _ARTIST_GENRES.rows(model=Genre, id=artist_id)]


def _playlist(p: Params, signed_in: bool):
    visible = Q(public=True) | Q(owner_id=p.user.int()) if signed_in else Q(public=True)
    return (
        Playlist.objects.filter(visible, pk=p.id.int())
        .order_by()
        .values(
            "id",
            "kind",
            "name",
            "description",
            "public",
            "collaborative",
            "cover",
            "snapshot",
            "owner_id",
            owner_display_name=F("owner__display_name"),
            tracks_total=_count_of(
                PlaylistItem.objects.filter(playlist=OuterRef("pk")), "playlist"
            ),
            followers_total=_count_of(
                FollowedPlaylist.objects.filter(playlist=OuterRef("pk")), "playlist"
            ),
        )
    )


_PLAYLIST = {
    signed_in: QueryShape(lambda p, s=signed_in: _playlist(p, s)) for signed_in in (False, True)
}


def _item_page(p: Params):
    return PlaylistItem.objects.filter(playlist_id=p.id.int()).order_by("position", "id")[
        :EMBEDDED_PAGE_LIMIT
    ]


_PLAYLIST_ITEMS = _shapes(
    lambda p, market: (
        PlaylistItem.objects.filter(playlist_id=p.id.int())
        .order_by("position", "id")
        .values(
            "added_at",
            "added_by_id",
            added_by_display_name=F("added_by__display_name"),
            **_track_columns(p, to_track="track__", market=market, album=True),
        )[:EMBEDDED_PAGE_LIMIT]
    )
)
_PLAYLIST_CREDITS = QueryShape(
    lambda p: _all_credits(
        tracks=[Q(track_id__in=_item_page(p).values("track_id"))],
        releases=[Q(release_id__in=_item_page(p).values("track__release_id"))],
    )
)


def playlist_object_rows(
    *,
    playlist_id: int | None,
    user: User | None,
    market: str | None = None,
    now: datetime.datetime | None = None,
) -> dict:
    """A playlist the user may read (another listener's private one is missing): `playlist`,
    its first page of `items`, `track_artists` and `release_artists` by owner id; 3 queries."""
    signed_in = user is not None and user.is_authenticated
    values = {"id": playlist_id}
    if signed_in:
        values["user"] = user.pk
    rows = _PLAYLIST[signed_in].rows(model=Playlist, **values) if playlist_id is not None else []
    if not rows:
        raise NotFound("Playlist not found.")
    items = _PLAYLIST_ITEMS[bool(market)].rows(
        model=PlaylistItem, **_values(market, now, id=playlist_id)
    )
    track_artists, release_artists = _credits_split(
        _PLAYLIST_CREDITS.rows(model=TrackArtist, id=playlist_id)
    )
    return {
        "playlist": rows[0],
        "items": items,
        "track_artists": track_artists,
        "release_artists": release_artists,
    }


def _saved_page(p: Params):
    return sliced(
        SavedTrack.objects.filter(user_id=p.user.int()).order_by("-added_at", "-id"),
        p.offset,
        p.limit,
    )


def _saved_total(p: Params) -> Coalesce:
    """The number of the user's saved tracks (no outer reference: as a column, an InitPlan
    run once per query)."""
    return _count_of(SavedTrack.objects.filter(user_id=p.user.int()), "user")


_SAVED_COUNT = QueryShape(lambda p: User.objects.filter(pk=p.user.int()).values(n=_saved_total(p)))
_SAVED_TRACKS = _shapes(
    lambda p, market: _saved_page(p).values(
        "added_at",
        saved_total=_saved_total(p),
        **_track_columns(p, to_track="track__", market=market, album=True),
    )
)
_SAVED_CREDITS = QueryShape(
    lambda p: _all_credits(
        tracks=[Q(track_id__in=_saved_page(p).values("track_id"))],
        releases=[Q(release_id__in=_saved_page(p).values("track__release_id"))],
    )
)


def saved_track_count(*, user: User) -> int:
    rows = _SAVED_COUNT.rows(model=SavedTrack, user=user.pk)
    return rows[0]["n"] if rows else 0


def saved_track_object_rows(
    *,
    user: User,
    limit: int,
    offset: int = 0,
    market: str | None = None,
    now: datetime.datetime | None = None,
) -> dict:
    """A page of the user's saved tracks, newest first: `items`, `total` (the number of
    them all), `track_artists` and `release_artists` by owner id; 2 queries, also when the
    page is empty (past the end: `total` then costs the second)."""
    page = {"user": user.pk, "offset": offset, "limit": limit}
    items = _SAVED_TRACKS[bool(market)].rows(model=SavedTrack, **_values(market, now, **page))
    if not items:
        return {
            "items": [],
            "total": saved_track_count(user=user),
            "track_artists": {},
            "release_artists": {},
        }
    track_artists, release_artists = _credits_split(_SAVED_CREDITS.rows(model=TrackArtist, **page))
    return {
        "items": items,
        "total": items[0]["saved_total"],
        "track_artists": track_artists,
        "release_artists": release_artists,
    }


# Spotify's new releases are the newest 100 albums (`total` at most 100); a walk down the
# (release_date, id) index stops there instead of judging every album's playability.
NEW_RELEASES_MAX = 100


def _new_releases(p: Params, market: bool) -> QuerySet:
    """The page of the newest `NEW_RELEASES_MAX` released albums (playable in the market)."""
    today = Cast(p.now.datetime(), DateField())
    newest = Release.objects.filter(release_date__lte=today)
    if market:
        newest = newest.filter(release_playable_in(market=p.market.str(), now=p.now.datetime()))
    newest = sliced(newest.order_by("-release_date", "-id").values("id"), p.first, p.newest)
    releases = Release.objects.filter(_AmongRows("pk", Subquery(newest)))
    return sliced(releases.order_by("-release_date", "-id"), p.offset, p.limit)


class _AmongRows(_Membership):
    """`column` is one of the values a subquery gives. On PostgreSQL the subquery runs once,
    as an array the planner probes the primary key with; as a semi-join against a LIMITed
    subquery it walked the whole table, comparing each row with every id."""

    def as_sql(self, compiler, connection, **extra_context):
        column, rows, params = self._compiled(compiler)  # rows: "(SELECT ...)"
        return f"{column} = ANY(ARRAY{rows})", params

    def as_sqlite(self, compiler, connection, **extra_context):
        column, rows, params = self._compiled(compiler)
        return f"{column} IN {rows}", params


_NEW_RELEASES = _shapes(
    lambda p, market: _new_releases(p, market).values(
        "id",
        "title",
        "release_type",
        "release_date",
        "cover",
        total_tracks=release_total_tracks(),
        # Browse takes Spotify's `country`, which filters: the albums list their markets.
        markets=_release_markets(p.now.datetime(), "pk"),
        found=Window(Count("id")),
    )
)
_NEW_RELEASE_ARTISTS = _shapes(
    lambda p, market: _credits(
        ReleaseArtist, "release_id", release_id__in=_new_releases(p, market).values("id")
    )
)


def new_release_rows(
    *, market: str | None, limit: int, offset: int = 0, now: datetime.datetime | None = None
) -> tuple[list[dict], int | None, dict[int, list[dict]]]:
    """A page of `library_selectors.new_releases` as simplified album rows, the number of
    them all (None when the page is empty: past the end) and their artists by release id;
    2 queries."""
    values = _values(market, now, offset=offset, limit=limit, first=0, newest=NEW_RELEASES_MAX)
    rows = _NEW_RELEASES[bool(market)].rows(model=Release, **values)
    if not rows:
        return [], None, {}
    artists = _NEW_RELEASE_ARTISTS[bool(market)].rows(model=ReleaseArtist, **values)
    return rows, rows[0]["found"], _by_owner(artists)
