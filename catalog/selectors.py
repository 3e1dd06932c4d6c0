"""Reads of the catalog, shaped for the public API with every relation it shows loaded.

Availability is read through annotations: without a market, a market list per track and
per release (`market_list`); with one, only an `is_playable` flag for that market (as
Spotify, which leaves out `available_markets` when given a market). A page of tracks costs
a fixed number of queries however long it is. A window is open at `now` when
`starts_at <= now` and `ends_at` is null or later than `now`. A track's windows are those of
its availability profile (`TrackAvailabilityProfile` -> `AvailabilityProfileWindow`).
"""

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull
from django.utils import timezone

from accounts.models import User
from catalog.images import SIZES
from catalog.models import (
    Artist,
    AvailabilityProfileWindow,
    FollowedArtist,
    FollowedPlaylist,
    Genre,
    Playlist,
    PlaylistItem,
    Release,
    ReleaseArtist,
    Track,
    TrackArtist,
    TrackAvailabilityProfile,
    TrackLyrics,
)
from common.errors import NotFound

# Credits shown as a track's artists and counted as "appears on"; producers and composers
# are credits, not performers.
PERFORMER_ROLES = (TrackArtist.Role.PRIMARY, TrackArtist.Role.FEATURED, TrackArtist.Role.REMIXER)
# Spotify's album groups, in the order it lists an artist's albums.
ALBUM_GROUPS = ("album", "single", "compilation", "appears_on")
# Spotify files EPs under singles.
ALBUM_TYPE_OF_RELEASE = {
    Release.Type.ALBUM: "album",
    Release.Type.SINGLE: "single",
    Release.Type.EP: "single",
    Release.Type.COMPILATION: "compilation",
}
EMBEDDED_PAGE_LIMIT = 50
TOP_TRACKS_LIMIT = 10


class MarketList(Aggregate):
    """The distinct values of a market column joined with commas (order unspecified)."""

    function = "GROUP_CONCAT"
    template = "%(function)s(DISTINCT %(expressions)s)"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s(DISTINCT %(expressions)s, ',' ORDER BY %(expressions)s)",
            **extra_context,
        )


def markets_from(market_list: str | None) -> list[str]:
    """Return the sorted market codes of a `MarketList` value."""
    return sorted(set(market_list.split(","))) if market_list else []


def open_window_q(*, now: datetime.datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}starts_at__lte": now}) & (
        Q(**{f"{prefix}ends_at__isnull": True}) | Q(**{f"{prefix}ends_at__gt": now})
    )


def _open_windows(now: datetime.datetime) -> QuerySet[AvailabilityProfileWindow]:
    return AvailabilityProfileWindow.objects.filter(open_window_q(now=now)).order_by()


def _profile_of(track_ref: str) -> Subquery:
    """The profile id of the track of the outer query's outer `track_ref` (for windows)."""
    return Subquery(
        TrackAvailabilityProfile.objects.filter(track_id=OuterRef(OuterRef(track_ref))).values(
            "profile_id"
        )[:1]
    )


def _profiles_of_release() -> QuerySet:
    return TrackAvailabilityProfile.objects.filter(
        track__release_id=OuterRef(OuterRef("pk"))
    ).values("profile_id")


def _track_windows(*, market: str, now: datetime.datetime, track_ref: str) -> QuerySet:
    # The track's profile id is looked up first, then its windows by (profile, market): two
    # primary-key/unique index probes, no join through the profile table.
    return _open_windows(now).filter(profile_id=_profile_of(track_ref), market=market)


def track_playable_in(*, market: str, now: datetime.datetime, track_ref: str = "pk") -> Exists:
    return Exists(_track_windows(market=market, now=now, track_ref=track_ref))


def track_playable_column(*, market: str, now: datetime.datetime, track_ref: str = "pk") -> IsNull:
    """`track_playable_in` as a per-row probe (the track's profile, then its window in
    `market`), for lists walked in an indexed order with a LIMIT: PostgreSQL cannot turn
    it into a semi-join, so it stops at the page's last row. As an EXISTS it was hashed
    over the whole catalogue first (186 ms for a page of 20 at 80k tracks, 13 ms so).
    """
    window = _track_windows(market=market, now=now, track_ref=track_ref)
    return IsNull(Subquery(window.values("profile_id")[:1]), False)


def release_playable_in(*, market: str, now: datetime.datetime) -> Exists:
    """Whether some track of the release is playable in `market` now (a filter over many
    releases; as a column of a short list, `release_playable_column`)."""
    return Exists(_open_windows(now).filter(profile_id__in=_profiles_of_release(), market=market))


def release_playable_column(
    *, market: str, now: datetime.datetime, release_ref: str = "pk"
) -> IsNull:
    """`release_playable_in` as a column of each row of a short list (an object's album):
    the release's own tracks are probed one by one (two index lookups each, stopping at the
    first playable one). A scalar subquery, so PostgreSQL runs it per row: as an EXISTS it
    was planned from the market's windows (every track of a shared licence profile read
    for each album, 10 ms a row) or hashed over the whole catalogue (35 ms a query at 8k
    tracks). Filters over many releases keep `release_playable_in`, a semi-join.
    """
    tracks = Track.objects.filter(release_id=OuterRef(release_ref)).order_by()
    first = tracks.filter(track_playable_in(market=market, now=now)).values("pk")[:1]
    return IsNull(Subquery(first), False)


def track_markets(*, now: datetime.datetime, track_ref: str = "pk") -> Subquery:
    """The markets (a `MarketList` value) where the track of `track_ref` is playable now."""
    return Subquery(
        _open_windows(now)
        .filter(profile_id=_profile_of(track_ref))
        .values("profile_id")
        .annotate(markets=MarketList("market"))
        .values("markets")
    )


def _track_markets(now: datetime.datetime) -> Subquery:
    return track_markets(now=now)


def _release_markets(now: datetime.datetime) -> Subquery:
    return Subquery(
        _open_windows(now)
        .filter(profile__tracks__track__release=OuterRef("pk"))
        .values("profile__tracks__track__release")
        .annotate(markets=MarketList("market"))
        .values("markets")
    )


def track_open_markets(
    *,
    track_ids: Iterable[int],
    now: datetime.datetime,
    markets: Iterable[str] | None = None,
) -> dict[int, set[str]]:
    """The markets (of `markets`, None: all) where each track is playable now; the tracks
    playable nowhere are missing."""
    windows = _open_windows(now).filter(profile__tracks__track_id__in=list(track_ids))
    if markets is not None:
        windows = windows.filter(market__in=list(markets))
    open_in: dict[int, set[str]] = {}
    for track_id, market in windows.values_list("profile__tracks__track_id", "market"):
        open_in.setdefault(track_id, set()).add(market)
    return open_in


def track_ids_playable_in(*, market: str, now: datetime.datetime) -> QuerySet:
    """The ids of the tracks playable in `market` now, as a flat `values_list` queryset."""
    profiles = _open_windows(now).filter(market=market).values("profile_id")
    return (
        TrackAvailabilityProfile.objects.filter(profile_id__in=profiles)
        .order_by()
        .values_list("track_id", flat=True)
    )


def _count_of(queryset: QuerySet, group_by: str) -> Coalesce:
    return Coalesce(
        Subquery(
            queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def release_total_tracks(release_ref: str = "pk") -> Coalesce:
    """The number of tracks of the outer query's release (its `release_ref`)."""
    return _count_of(Track.objects.filter(release=OuterRef(release_ref)), "release")


def _in_order(queryset: QuerySet, ids: Sequence[int | None]) -> list:
    found = {obj.pk: obj for obj in queryset.filter(pk__in={i for i in ids if i is not None})}
    return [found.get(i) if i is not None else None for i in ids]


def _get(queryset: QuerySet, pk: int | None, label: str):
    obj = queryset.filter(pk=pk).first() if pk is not None else None
    if obj is None:
        raise NotFound(f"{label} not found.")
    return obj


# Artists


def artist_list() -> QuerySet[Artist]:
    return Artist.objects.annotate(
        followers_total=_count_of(FollowedArtist.objects.filter(artist=OuterRef("pk")), "artist")
    ).prefetch_related("genres")


def artist_get(*, artist_id: int | None) -> Artist:
    return _get(artist_list(), artist_id, "Artist")


def artist_get_minimal(*, artist_id: int | None) -> Artist:
    """Return the artist with its pk only, to scope another read; 404 when unknown."""
    return _get(Artist.objects.only("pk"), artist_id, "Artist")


def artists_by_ids(*, ids: Sequence[int | None]) -> list[Artist | None]:
    return _in_order(artist_list(), ids)


# Releases (albums)


def _release_artist_credits() -> Prefetch:
    return Prefetch(
        "credits",
        queryset=ReleaseArtist.objects.select_related("artist"),
        to_attr="artist_credits",
    )


def release_list_simplified(
    *, market: str | None = None, now: datetime.datetime | None = None
) -> QuerySet[Release]:
    """Releases with what a simplified album object shows: with `market`, `is_playable`
    there (no market list is computed), without, `market_list`."""
    now = now or timezone.now()
    if market:
        availability = {"is_playable": release_playable_column(market=market, now=now)}
    else:
        availability = {"market_list": _release_markets(now)}
    return Release.objects.annotate(
        total_tracks=release_total_tracks(),
        **availability,
    ).prefetch_related(_release_artist_credits())


def release_list(
    *, market: str | None = None, now: datetime.datetime | None = None
) -> QuerySet[Release]:
    """Releases with what a full album object shows, including its first page of tracks."""
    now = now or timezone.now()
    tracks = track_list_simplified(market=market, now=now).order_by(
        "disc_number", "track_number", "id"
    )
    return (
        release_list_simplified(market=market, now=now)
        .select_related("label")
        .prefetch_related(
            "genres",
            Prefetch("tracks", queryset=tracks[:EMBEDDED_PAGE_LIMIT], to_attr="track_page"),
        )
    )


def release_get(
    *, release_id: int | None, market: str | None = None, now: datetime.datetime | None = None
) -> Release:
    return _get(release_list(market=market, now=now), release_id, "Album")


def releases_by_ids(
    *, ids: Sequence[int | None], market: str | None = None, now: datetime.datetime | None = None
) -> list[Release | None]:
    return _in_order(release_list(market=market, now=now), ids)


def release_get_minimal(*, release_id: int | None) -> Release:
    """Return the release with its pk only, to scope another read; 404 when unknown."""
    return _get(Release.objects.only("pk"), release_id, "Album")


def release_tracks(
    *, release: Release, market: str | None = None, now: datetime.datetime | None = None
) -> QuerySet[Track]:
    return (
        track_list_simplified(market=market, now=now)
        .filter(release=release)
        .order_by("disc_number", "track_number", "id")
    )


def artist_releases(
    *,
    artist: Artist,
    groups: Iterable[str] = ALBUM_GROUPS,
    market: str | None = None,
    now: datetime.datetime | None = None,
) -> QuerySet[Release]:
    """The artist's releases in Spotify's album groups, newest first.

    `appears_on` holds releases where the artist performs on a track without being one
    of the release's artists.
    """
    now = now or timezone.now()
    own = ReleaseArtist.objects.filter(artist=artist).values("release_id")
    appears = TrackArtist.objects.filter(artist=artist, role__in=PERFORMER_ROLES).values(
        "track__release_id"
    )
    singles = [Release.Type.SINGLE, Release.Type.EP]
    by_group = {
        "album": Q(pk__in=own, release_type=Release.Type.ALBUM),
        "single": Q(pk__in=own, release_type__in=singles),
        "compilation": Q(pk__in=own, release_type=Release.Type.COMPILATION),
        "appears_on": Q(pk__in=appears) & ~Q(pk__in=own),
    }
    wanted = Q()
    for group in groups:
        wanted |= by_group[group]
    queryset = (
        release_list_simplified(market=market, now=now)
        .filter(wanted)
        .annotate(
            album_group=Case(
                When(pk__in=own, release_type__in=singles, then=Value("single")),
                When(pk__in=own, release_type=Release.Type.COMPILATION, then=Value("compilation")),
                When(pk__in=own, then=Value("album")),
                default=Value("appears_on"),
                output_field=CharField(),
            )
        )
        .order_by(F("release_date").desc(nulls_last=True), "title", "id")
    )
    if market:
        queryset = queryset.filter(release_playable_in(market=market, now=now))
    return queryset


# Tracks


def _track_artist_credits() -> Prefetch:
    return Prefetch(
        "credits",
        queryset=TrackArtist.objects.filter(role__in=PERFORMER_ROLES).select_related("artist"),
        to_attr="performer_credits",
    )


def track_list_simplified(
    *, market: str | None = None, now: datetime.datetime | None = None
) -> QuerySet[Track]:
    """Tracks with what a simplified track object shows (no album): with `market`,
    `is_playable` there (no market list is computed), without, `market_list`."""
    now = now or timezone.now()
    if market:
        availability = {
            "is_playable": Coalesce(
                track_playable_in(market=market, now=now), False, output_field=BooleanField()
            )
        }
    else:
        availability = {"market_list": _track_markets(now)}
    return Track.objects.annotate(**availability).prefetch_related(_track_artist_credits())


def track_list(
    *, market: str | None = None, now: datetime.datetime | None = None
) -> QuerySet[Track]:
    """Tracks with what a full track object shows, its simplified album included."""
    now = now or timezone.now()
    return track_list_simplified(market=market, now=now).prefetch_related(
        Prefetch("release", queryset=release_list_simplified(market=market, now=now))
    )


def track_get(
    *, track_id: int | None, market: str | None = None, now: datetime.datetime | None = None
) -> Track:
    return _get(track_list(market=market, now=now), track_id, "Track")


def tracks_by_ids(
    *, ids: Sequence[int | None], market: str | None = None, now: datetime.datetime | None = None
) -> list[Track | None]:
    return _in_order(track_list(market=market, now=now), ids)


def track_lyrics_get(
    *, track_id: int | None, market: str | None = None, now: datetime.datetime | None = None
) -> TrackLyrics:
    """The lyrics of a track, under the availability rules of stream authorisation: with
    `market`, only while the track is playable there now. One query.

    Raises NotFound (naming why) for no such track, none playable in `market`, no lyrics.
    """
    if track_id is None:
        raise NotFound("Track not found.")
    now = now or timezone.now()
    queryset = Track.objects.filter(pk=track_id).select_related("lyrics")
    if market:
        queryset = queryset.annotate(playable=track_playable_in(market=market, now=now))
    track = queryset.first()
    if track is None:
        raise NotFound("Track not found.")
    if market and not track.playable:
        raise NotFound(f"Track not available in market {market}.")
    lyrics = getattr(track, "lyrics", None)
    if lyrics is None:
        raise NotFound("This track has no lyrics.")
    return lyrics


def track_for_edit_get(*, track_id: int | None) -> Track:
    """The track with its release (for permission checks); NotFound when there is none."""
    return _get(Track.objects.select_related("release"), track_id, "Track")


def track_lyrics_find(*, artist: str, title: str, market: str) -> TrackLyrics | None:
    """The lyrics of the most popular track playable in `market` with this title (any case)
    and, when `artist` is given, a performer of that name (any case): the classic Subsonic
    lookup."""
    tracks = Track.objects.filter(title__iexact=title.strip(), lyrics__isnull=False)
    if artist.strip():
        tracks = tracks.filter(
            credits__artist__name__iexact=artist.strip(), credits__role__in=PERFORMER_ROLES
        )
    tracks = (
        tracks.filter(track_playable_in(market=market, now=timezone.now()))
        .order_by("-popularity", "id")
        .values("pk")[:1]
    )
    return TrackLyrics.objects.filter(track_id__in=tracks).select_related("track").first()


def artist_top_tracks(
    *,
    artist: Artist,
    market: str | None,
    limit: int = TOP_TRACKS_LIMIT,
    now: datetime.datetime | None = None,
) -> list[Track]:
    """The artist's most popular tracks, only those playable in `market` when given."""
    now = now or timezone.now()
    performed = TrackArtist.objects.filter(artist=artist, role__in=PERFORMER_ROLES)
    tracks = track_list(market=market, now=now).filter(pk__in=performed.values("track_id"))
    if market is not None:
        tracks = tracks.filter(track_playable_in(market=market, now=now))
    return list(tracks.order_by("-popularity", "id")[:limit])


# Playlists


def playlist_visible_q(user: User | None) -> Q:
    """Playlists a user may read: public ones and their own."""
    if user is None or not user.is_authenticated:
        return Q(public=True)
    return Q(public=True) | Q(owner=user)


def playlist_list_simplified() -> QuerySet[Playlist]:
    return Playlist.objects.select_related("owner").annotate(
        tracks_total=_count_of(PlaylistItem.objects.filter(playlist=OuterRef("pk")), "playlist")
    )


def playlist_items(
    *, playlist: Playlist, market: str | None = None, now: datetime.datetime | None = None
) -> QuerySet[PlaylistItem]:
    return playlist_item_list(market=market, now=now).filter(playlist=playlist)


def playlist_item_list(
    *, market: str | None = None, now: datetime.datetime | None = None
) -> QuerySet[PlaylistItem]:
    return (
        PlaylistItem.objects.select_related("added_by", "playlist__owner")
        .prefetch_related(Prefetch("track", queryset=track_list(market=market, now=now)))
        .order_by("position", "id")
    )


def playlist_get(
    *,
    playlist_id: int | None,
    user: User | None,
    market: str | None = None,
    now: datetime.datetime | None = None,
) -> Playlist:
    """Return a playlist the user may read, with its first page of items.

    Another listener's private playlist is reported as missing, so its existence does
    not leak.
    """
    items = playlist_item_list(market=market, now=now)
    queryset = (
        playlist_list_simplified()
        .filter(playlist_visible_q(user))
        .annotate(
            followers_total=_count_of(
                FollowedPlaylist.objects.filter(playlist=OuterRef("pk")), "playlist"
            )
        )
        .prefetch_related(
            Prefetch("items", queryset=items[:EMBEDDED_PAGE_LIMIT], to_attr="item_page")
        )
    )
    return _get(queryset, playlist_id, "Playlist")


def playlist_get_visible(*, playlist_id: int | None, user: User | None) -> Playlist:
    return _get(
        Playlist.objects.filter(playlist_visible_q(user)).only("pk"), playlist_id, "Playlist"
    )


# Markets, genres and seeds


def markets_available(*, now: datetime.datetime | None = None) -> list[str]:
    """Markets where some track is playable now, sorted."""
    now = now or timezone.now()
    markets = _open_windows(now).values_list("market", flat=True).distinct()
    return sorted(set(markets))


def genre_slugs() -> list[str]:
    """Genres that tag a track, a release or an artist: the seeds recommendations take."""
    used = Q(tracks__isnull=False) | Q(releases__isnull=False) | Q(artists__isnull=False)
    return list(
        Genre.objects.filter(used).values_list("slug", flat=True).distinct().order_by("slug")
    )


def genre_slugs_unknown(*, slugs: Sequence[str]) -> list[str]:
    known = set(Genre.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    return [slug for slug in slugs if slug not in known]


def track_ids_by_artists(*, artist_ids: Sequence[int], limit: int) -> list[int]:
    """Tracks the artists perform, most popular first."""
    performed = TrackArtist.objects.filter(artist_id__in=artist_ids, role__in=PERFORMER_ROLES)
    return list(
        Track.objects.filter(pk__in=performed.values("track_id"))
        .order_by("-popularity", "id")
        .values_list("pk", flat=True)[:limit]
    )


def track_ids_by_genres(*, slugs: Sequence[str], limit: int) -> list[int]:
    """Tracks of the genres (their own, their release's or an artist's), most popular first."""
    tagged = (
        Q(genres__slug__in=slugs)
        | Q(release__genres__slug__in=slugs)
        | Q(artists__genres__slug__in=slugs)
    )
    ids = (
        Track.objects.filter(tagged)
        .order_by("-popularity", "id")
        .values_list("pk", flat=True)
        .distinct()
    )
    return list(dict.fromkeys(ids[: limit * 3]))[:limit]


TrackFacts = dict[int, tuple[int, list[tuple[datetime.datetime, datetime.datetime | None]]]]


def track_fact_rows(*, track_ids: Iterable[int], market: str) -> QuerySet:
    """(id, duration_ms, window start, window end) of each existing track of `track_ids`:
    one row per availability window in `market`, or one with no window (never playable
    there). A queryset, so a caller may run it inside a statement of its own; fold the rows
    with `track_facts_from_rows`."""
    windows = FilteredRelation(
        "availability_profile__profile__windows",
        condition=Q(availability_profile__profile__windows__market=market),
    )
    return (
        Track.objects.filter(pk__in=list(track_ids))
        .annotate(market_window=windows)
        .order_by()
        .values_list("pk", "duration_ms", "market_window__starts_at", "market_window__ends_at")
    )


def track_facts_from_rows(rows: Iterable[tuple]) -> TrackFacts:
    """Track id -> (duration in ms, its windows in the market) from `track_fact_rows`."""
    found: TrackFacts = {}
    for track_id, duration_ms, starts_at, ends_at in rows:
        _, track_windows = found.setdefault(track_id, (duration_ms, []))
        if starts_at is not None:
            track_windows.append((starts_at, ends_at))
    return found


def playlist_item_rows(*, playlist_id: int) -> QuerySet:
    """(id, track_id, added_by_id, added_at) of a playlist's items, in order."""
    return (
        PlaylistItem.objects.filter(playlist_id=playlist_id)
        .order_by("position", "id")
        .values_list("pk", "track_id", "added_by_id", "added_at")
    )


def playlist_items_personalised() -> QuerySet:
    """Items of personalised playlists (Discover Weekly, Release Radar)."""
    return PlaylistItem.objects.filter(playlist__kind=Playlist.Kind.PERSONALISED)


# Whole-catalogue lists for clients that browse it (OpenSubsonic): only what `market` may play


def release_list_playable(
    *, market: str, now: datetime.datetime | None = None
) -> QuerySet[Release]:
    """Releases with a track playable in `market`, with their artists, genres, number of
    tracks and duration in ms (no market lists). Playability is probed per release
    (`release_playable_column`), so a page walked in an indexed order (title, newest)
    stops at its last row instead of judging every release first."""
    now = now or timezone.now()
    duration = Subquery(
        Track.objects.filter(release=OuterRef("pk"))
        .order_by()
        .values("release")
        .annotate(total=Sum("duration_ms"))
        .values("total"),
        output_field=IntegerField(),
    )
    return (
        Release.objects.filter(release_playable_column(market=market, now=now))
        .annotate(
            total_tracks=release_total_tracks(),
            duration_ms_total=Coalesce(duration, 0),
        )
        .prefetch_related(_release_artist_credits(), "genres")
    )


def artist_list_playable(*, market: str, now: datetime.datetime | None = None) -> QuerySet[Artist]:
    """Artists credited on a release playable in `market`, with how many (`album_count`).

    The filter probes the artist's releases until one is playable
    (`release_playable_column`); the count runs only for the rows returned."""
    now = now or timezone.now()
    playable = Release.objects.filter(release_playable_in(market=market, now=now)).values("pk")
    credited = ReleaseArtist.objects.filter(artist=OuterRef("pk")).filter(
        release_playable_column(market=market, now=now, release_ref="release_id")
    )
    return (
        Artist.objects.filter(Exists(credited))
        .annotate(
            album_count=_count_of(
                ReleaseArtist.objects.filter(artist=OuterRef("pk"), release_id__in=playable),
                "artist",
            )
        )
        .order_by("name", "id")
    )


def track_list_playable(*, market: str, now: datetime.datetime | None = None) -> QuerySet[Track]:
    """Tracks playable in `market` now, with their performers, genres and release (with
    its artists); no market lists. Playability is probed per track
    (`track_playable_column`), so a page walked in an indexed order stops at its last row."""
    now = now or timezone.now()
    releases = Release.objects.prefetch_related(_release_artist_credits())
    return Track.objects.filter(track_playable_column(market=market, now=now)).prefetch_related(
        _track_artist_credits(), Prefetch("release", queryset=releases), "genres"
    )


def genre_counts_playable(*, market: str, now: datetime.datetime | None = None) -> QuerySet[Genre]:
    """Genres with the number of releases and tracks of theirs playable in `market`."""
    now = now or timezone.now()
    tracks = Track.objects.filter(track_playable_in(market=market, now=now)).values("pk")
    releases = Release.objects.filter(release_playable_in(market=market, now=now)).values("pk")
    return Genre.objects.annotate(
        track_count=_count_of(
            Track.genres.through.objects.filter(genre=OuterRef("pk"), track_id__in=tracks),
            "genre",
        ),
        release_count=_count_of(
            Release.genres.through.objects.filter(genre=OuterRef("pk"), release_id__in=releases),
            "genre",
        ),
    ).order_by("name")


@dataclass(frozen=True)
class ImageSize:
    url: str
    width: int | None
    height: int | None


_SIZED_IMAGE = re.compile(r"^(images/[0-9a-f]{2}/[0-9a-f]{64})/\d+\.jpg$")


def image_sizes(image) -> list[ImageSize]:
    """The served versions of a cover, largest first (Spotify's `images`); [] when none.

    Covers stored by `catalog.services.release_cover_set` come in SIZES; other files (an
    image set by hand) are served as they are, with unknown dimensions.
    """
    if not image:
        return []
    return image_sizes_named(image.name, image.storage)


def image_sizes_named(name: str | None, storage) -> list[ImageSize]:
    """`image_sizes` of the file `name` in `storage` (a value read with `values()`)."""
    if not name:
        return []
    match = _SIZED_IMAGE.match(name)
    if match is None:
        return [ImageSize(storage.url(name), None, None)]
    return [ImageSize(storage.url(f"{match.group(1)}/{side}.jpg"), side, side) for side in SIZES]


def track_windows(
    *, track_ids: Iterable[int] | None = None
) -> dict[int, list[tuple[str, datetime.datetime, datetime.datetime | None]]]:
    """Every availability window of each track: (market, starts_at, ends_at or None)."""
    links = TrackAvailabilityProfile.objects.order_by()
    if track_ids is not None:
        links = links.filter(track_id__in=list(track_ids))
    by_profile: dict[int, list[int]] = {}
    for track_id, profile_id in links.values_list("track_id", "profile_id"):
        by_profile.setdefault(profile_id, []).append(track_id)
    windows: dict[int, list] = {track_id: [] for ids in by_profile.values() for track_id in ids}
    for profile_id, market, starts, ends in (
        AvailabilityProfileWindow.objects.filter(profile_id__in=list(by_profile))
        .order_by("profile_id", "market", "starts_at")
        .values_list("profile_id", "market", "starts_at", "ends_at")
    ):
        for track_id in by_profile[profile_id]:
            windows[track_id].append((market, starts, ends))
    return windows


def track_genre_ids() -> dict[int, tuple[int, ...]]:
    """The genre ids of every track (its own, else its release's)."""
    genres: dict[int, set[int]] = {}
    for track_id, genre_id in Track.genres.through.objects.values_list("track_id", "genre_id"):
        genres.setdefault(track_id, set()).add(genre_id)
    releases: dict[int, set[int]] = {}
    for release_id, genre_id in Release.genres.through.objects.values_list(
        "release_id", "genre_id"
    ):
        releases.setdefault(release_id, set()).add(genre_id)
    return {
        track_id: tuple(sorted(genres.get(track_id) or releases.get(release_id) or ()))
        for track_id, release_id in Track.objects.values_list("id", "release_id")
    }


# Browsing the whole catalogue (the web player's album, artist and genre lists)

RELEASE_SORTS = ("name", "newest", "popular")
ARTIST_SORTS = ("name", "popular")


def genre_find(*, genre_id: int) -> Genre | None:
    return Genre.objects.filter(pk=genre_id).first()


def release_list_browse(
    *,
    sort: str,
    genre: Genre | None = None,
    market: str | None = None,
    now: datetime.datetime | None = None,
) -> QuerySet[Release]:
    """Releases in `sort` order (one of RELEASE_SORTS); with `market`, only those with a
    track playable there."""
    now = now or timezone.now()
    queryset = release_list_simplified(now=now)
    if genre is not None:
        queryset = queryset.filter(genres=genre)
    if market:
        queryset = queryset.filter(release_playable_in(market=market, now=now))
    order = {
        "name": ("title", "id"),
        "newest": (F("release_date").desc(nulls_last=True), "title", "id"),
        "popular": ("-popularity", "title", "id"),
    }[sort]
    return queryset.order_by(*order)


def artist_list_browse(*, sort: str, genre: Genre | None = None) -> QuerySet[Artist]:
    """Artists in `sort` order (one of ARTIST_SORTS)."""
    queryset = artist_list()
    if genre is not None:
        queryset = queryset.filter(genres=genre)
    order = {"name": ("name", "id"), "popular": ("-popularity", "name", "id")}[sort]
    return queryset.order_by(*order)


def genre_browse_get(*, genre_id: int, market: str | None = None) -> Genre:
    """The genre with its `album_count` (0 when none is playable); 404 when unknown."""
    return _get(_genres_counted(market=market, now=timezone.now()), genre_id, "Genre")


def genre_list_browse(
    *, market: str | None = None, now: datetime.datetime | None = None
) -> QuerySet[Genre]:
    """Genres with at least one release (playable in `market`, if given), by name, with
    `album_count`."""
    now = now or timezone.now()
    return _genres_counted(market=market, now=now).filter(album_count__gt=0).order_by("name", "id")


def _genres_counted(*, market: str | None, now: datetime.datetime) -> QuerySet[Genre]:
    releases = Release.objects.all()
    if market:
        releases = releases.filter(release_playable_in(market=market, now=now))
    album_count = _count_of(
        Release.genres.through.objects.filter(
            genre=OuterRef("pk"), release_id__in=releases.values("pk")
        ),
        "genre",
    )
    return Genre.objects.annotate(album_count=album_count)
