"""Object dicts built straight from the flat rows of `catalog.object_selectors`.

The hot object endpoints (a track, an album, an artist, a playlist, a page of saved tracks)
answer with these instead of running the serializers over model instances; the serializers
stay the documented schema, and tests check both give the same objects. `Links` does the
per-request url work once (scheme and host, reversed url prefixes).
"""

import operator

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.utils.urls import replace_query_param

from api.objects.base import URI_SCHEME, playability
from api.objects.paging import paging
from api.renderers import RawJSON, dumps
from catalog.models import Artist, Playlist, Release
from catalog.selectors import (
    ALBUM_TYPE_OF_RELEASE,
    EMBEDDED_PAGE_LIMIT,
    image_sizes_named,
    markets_from,
)

_DATE = serializers.DateField()
_PK = "9223372036854775807"
_prefixes: dict[tuple[str, str], tuple[str, str]] = {}


def _url_around_pk(view: str) -> tuple[str, str]:
    """The reversed url of `view` for any pk, as (before the pk, after it)."""
    key = (view, get_script_prefix())
    if key not in _prefixes:
        before, _, after = reverse(view, args=[_PK]).rpartition(_PK)
        _prefixes[key] = (before, after)
    return _prefixes[key]


_LOCAL_IMAGES: dict[tuple[str, str], list] = {}
_LOCAL_IMAGES_MAX = 20_000


def _image_sizes(name: str, storage) -> list:
    """`image_sizes_named`, remembered for files on the local file system, whose urls are
    the base url and the name alone (a new cover is a new name: nothing goes stale); other
    storages (signed object-storage urls) are asked each time."""
    if not isinstance(storage, FileSystemStorage):
        return image_sizes_named(name, storage)
    key = (storage.base_url, name)
    sizes = _LOCAL_IMAGES.get(key)
    if sizes is None:
        if len(_LOCAL_IMAGES) >= _LOCAL_IMAGES_MAX:
            _LOCAL_IMAGES.clear()
        sizes = _LOCAL_IMAGES[key] = image_sizes_named(name, storage)
    return sizes


def _storage(model, field: str):
    return model._meta.get_field(field).storage


class Links:
    """Absolute urls of one request: hrefs, web pages and images."""

    def __init__(self, request):
        self.request = request
        self.host = request.build_absolute_uri("/")[:-1]
        self.script_prefix = get_script_prefix()
        # Whether track objects may be kept (covers on the local file system), once a request.
        self.keep_tracks = isinstance(_storage(Release, "cover"), FileSystemStorage)
        self._views: dict[str, tuple[str, str]] = {}
        self._markets: dict[str | None, list[str]] = {}
        # The current time zone, read once per request, not per value.
        self.zone = timezone.get_current_timezone() if settings.USE_TZ else None

    def markets(self, market_list: str | None) -> list[str]:
        """`markets_from`, once per distinct value in a response (tracks share windows)."""
        found = self._markets.get(market_list)
        if found is None:
            found = self._markets[market_list] = markets_from(market_list)
        return list(found)

    def datetime(self, value) -> str | None:
        """As DRF's `DateTimeField` writes it (ISO 8601 in the current time zone, UTC as Z)."""
        if value is None:
            return None
        if self.zone is not None and timezone.is_aware(value):
            value = value.astimezone(self.zone)
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def href(self, view: str, pk) -> str:
        around = self._views.get(view)
        if around is None:
            around = self._views[view] = _url_around_pk(view)
        return f"{self.host}{around[0]}{pk}{around[1]}"

    def page(self, kind: str, pk) -> dict:
        url = f"{self.host}/{kind}/{pk}"
        return {"spotify": url, "streamify": url}

    def images(self, name: str | None, storage) -> list[dict]:
        if not name:
            return []
        return [
            {"url": self.absolute(i.url), "height": i.height, "width": i.width}
            for i in _image_sizes(name, storage)
        ]

    def absolute(self, url: str) -> str:
        if url.startswith("/") and not url.startswith("//"):
            return self.host + url
        return self.request.build_absolute_uri(url)


def _name(value: str | FieldFile | None) -> str | None:
    return value.name if isinstance(value, FieldFile) else value


def artists(links: Links, credits: list[dict]) -> list[dict]:
    """Simplified artists of credits, each artist once, in credit order."""
    seen: dict[int, str] = {}
    for credit in credits:
        seen.setdefault(credit["artist_id"], credit["artist_name"])
    return [
        {
            "external_urls": links.page("artist", pk),
            "href": links.href("catalog_api:artist-detail", pk),
            "id": str(pk),
            "uri": f"{URI_SCHEME}:artist:{pk}",
            "name": name,
            "type": "artist",
        }
        for pk, name in seen.items()
    ]


def simplified_track(links: Links, row: dict, credits: list[dict]) -> dict:
    pk = row["t_id"]
    data = {
        "external_urls": links.page("track", pk),
        "href": links.href("catalog_api:track-detail", pk),
        "id": str(pk),
        "uri": f"{URI_SCHEME}:track:{pk}",
        "artists": artists(links, credits),
    }
    if "t_playable" not in row:  # read without a market
        data["available_markets"] = links.markets(row["t_markets"])
    data["disc_number"] = row["t_disc_number"]
    data["duration_ms"] = row["t_duration_ms"]
    data["explicit"] = row["t_explicit"]
    data["is_local"] = False
    reason = None
    if "t_playable" in row:
        data["is_playable"], reason = playability(bool(row["t_playable"]), row["t_audio"])
    data["name"] = row["t_title"]
    data["track_number"] = row["t_track_number"]
    data["type"] = "track"
    if reason is not None:
        data["restrictions"] = {"reason": reason}
    return data


def track(links: Links, row: dict, track_credits: list[dict], release_credits: list[dict]) -> dict:
    data = simplified_track(links, row, track_credits)
    restrictions = data.pop("restrictions", None)
    release = {
        "id": row["r_id"],
        "release_type": row["r_release_type"],
        "cover": row["r_cover"],
        "title": row["r_title"],
        "release_date": row["r_release_date"],
        "total_tracks": row["r_total_tracks"],
    }
    if "r_playable" in row:
        release["playable"] = row["r_playable"]
    else:
        release["markets"] = row["r_markets"]
    data["album"] = simplified_album(links, release, release_credits)
    data["external_ids"] = {"isrc": row["t_isrc"]} if row["t_isrc"] else {}
    data["popularity"] = row["t_popularity"]
    if restrictions is not None:
        data["restrictions"] = restrictions
    return data


# The JSON of recent track objects and page items, by everything each is made of.
_KEPT: dict[tuple, RawJSON] = {}
_KEPT_MAX = 4_000  # a track object is 2 to 5 KB: at most about 20 MB per process
# The row columns a full track object is made of: read without a market, with the markets;
# with one, with the playability there. A C getter each, as keys are made for every row.
_TRACK_COLUMNS = (
    "t_id",
    "t_title",
    "t_disc_number",
    "t_duration_ms",
    "t_explicit",
    "t_track_number",
    "t_isrc",
    "t_popularity",
    "r_id",
    "r_title",
    "r_release_type",
    "r_release_date",
    "r_cover",
    "r_total_tracks",
)
_TRACK_KEY_LISTED = operator.itemgetter(*_TRACK_COLUMNS, "t_markets", "r_markets")
_TRACK_KEY_IN_MARKET = operator.itemgetter(*_TRACK_COLUMNS, "t_playable", "t_audio", "r_playable")
_CREDIT = operator.itemgetter("artist_id", "artist_name")


def _kept(key: tuple, build, *args) -> RawJSON:
    """The JSON of `build(*args)`, kept under `key`, which must hold every input of it."""
    found = _KEPT.get(key)
    if found is None:
        if len(_KEPT) >= _KEPT_MAX:
            _KEPT.clear()
        found = _KEPT[key] = RawJSON(dumps(build(*args)))
    return found


def _credit_key(credits: list[dict]) -> tuple:
    return tuple(map(_CREDIT, credits))


def _json_list(items: list[RawJSON]) -> RawJSON:
    return RawJSON("[" + ",".join(item.text for item in items) + "]")


def track_json(
    links: Links, row: dict, track_credits: list[dict], release_credits: list[dict]
) -> RawJSON:
    """`track` as JSON text, reused while nothing it is made of changes.

    The key is every input of the object as read in this request (the row's columns,
    playability or markets included, the credits' names, the host and url prefix), so a
    rename, a licence change or a takedown gives a new key at once; nothing is read from
    the memo that this request's rows do not match. Covers on storages with signed urls
    are not kept.
    """
    if not links.keep_tracks:
        return RawJSON(dumps(track(links, row, track_credits, release_credits)))
    in_market = "t_playable" in row
    key = (
        links.host,
        links.script_prefix,
        in_market,
        (_TRACK_KEY_IN_MARKET if in_market else _TRACK_KEY_LISTED)(row),
        _credit_key(track_credits),
        _credit_key(release_credits),
    )
    return _kept(key, track, links, row, track_credits, release_credits)


def track_list_json(
    links: Links,
    rows: list[dict],
    track_artists: dict[int, list[dict]],
    release_artists: dict[int, list[dict]],
) -> RawJSON:
    """Full track objects (`catalog.object_selectors.tracks_object_rows`), as a JSON list."""
    return _json_list(
        [
            track_json(
                links, row, track_artists.get(row["t_id"], []), release_artists.get(row["r_id"], [])
            )
            for row in rows
        ]
    )


def _object(links: Links, kind: str, view: str, pk) -> dict:
    return {
        "external_urls": links.page(kind, pk),
        "href": links.href(view, pk),
        "id": str(pk),
        "uri": f"{URI_SCHEME}:{kind}:{pk}",
    }


def _with_market(url: str, market: str | None) -> str:
    return replace_query_param(url, "market", market) if market is not None else url


def simplified_album(links: Links, release: dict, credits: list[dict]) -> dict:
    """A simplified album from a release row (id, release_type, cover, title, release_date,
    total_tracks, and `markets` when read without a market, `playable` with one) and its
    artist credits."""
    release_date = release["release_date"]
    if "playable" in release:
        availability = {"is_playable": bool(release["playable"])}
    else:
        availability = {"available_markets": links.markets(release["markets"])}
    return {
        **_object(links, "album", "catalog_api:album-detail", release["id"]),
        "album_type": ALBUM_TYPE_OF_RELEASE.get(release["release_type"], "album"),
        "artists": artists(links, credits),
        **availability,
        "images": links.images(_name(release["cover"]), _storage(Release, "cover")),
        "name": release["title"],
        "release_date": _DATE.to_representation(release_date) if release_date else None,
        "release_date_precision": "day" if release_date else None,
        "total_tracks": release["total_tracks"],
        "type": "album",
    }


def simplified_albums(
    links: Links, releases: list[dict], artists: dict[int, list[dict]]
) -> list[dict]:
    """Simplified albums of release rows (as `simplified_album`) with artists by release."""
    return [simplified_album(links, row, artists.get(row["id"], [])) for row in releases]


def album(links: Links, rows: dict, market: str | None) -> dict:
    """A full album from `catalog.object_selectors.release_object_rows`."""
    release = rows["release"]
    pk = release["id"]
    track_artists = rows["track_artists"]
    items = [simplified_track(links, t, track_artists.get(t["t_id"], [])) for t in rows["tracks"]]
    url = _with_market(links.href("catalog_api:album-tracks", pk), market)
    return {
        **simplified_album(links, release, rows["artists"]),
        "copyrights": [{"text": release["copyright"], "type": "C"}] if release["copyright"] else [],
        "external_ids": {"upc": release["upc"]} if release["upc"] else {},
        "genres": rows["genres"],
        "label": release["label_name"] or "",
        "popularity": release["popularity"],
        "tracks": paging(
            url=url, items=items, total=release["total_tracks"], limit=EMBEDDED_PAGE_LIMIT
        ),
    }


def artist(links: Links, row: dict, genres: list[str]) -> dict:
    pk = row["id"]
    return {
        **_object(links, "artist", "catalog_api:artist-detail", pk),
        "name": row["name"],
        "type": "artist",
        "followers": {"href": None, "total": row["followers_total"]},
        "genres": genres,
        "images": links.images(_name(row["image"]), _storage(Artist, "image")),
        "popularity": row["popularity"],
    }


def _user(links: Links, pk, display_name: str | None) -> dict:
    return {
        "display_name": display_name or None,
        "external_urls": links.page("user", pk),
        "href": links.href("users_api:user", pk),
        "id": str(pk),
        "type": "user",
        "uri": f"{URI_SCHEME}:user:{pk}",
    }


def _saved_item(links: Links, added_at, track: RawJSON) -> dict:
    return {"added_at": links.datetime(added_at), "track": track}


def _playlist_item(links: Links, added_at, added_by: tuple | None, track: RawJSON) -> dict:
    return {
        "added_at": links.datetime(added_at),
        "added_by": added_by and _user(links, *added_by),
        "is_local": False,
        "track": track,
    }


def saved_track_items(links: Links, rows: dict) -> RawJSON:
    """Saved track objects from `catalog.object_selectors.saved_track_object_rows`."""
    track_artists, release_artists = rows["track_artists"], rows["release_artists"]
    items = []
    for row in rows["items"]:
        track = track_json(
            links, row, track_artists.get(row["t_id"], []), release_artists.get(row["r_id"], [])
        )
        added_at = row["added_at"]
        key = ("saved", track, links.zone, added_at)
        items.append(_kept(key, _saved_item, links, added_at, track))
    return _json_list(items)


def playlist(links: Links, rows: dict, market: str | None) -> dict:
    """A full playlist from `catalog.object_selectors.playlist_object_rows`."""
    row = rows["playlist"]
    pk = row["id"]
    owner = _user(links, row["owner_id"], row["owner_display_name"])
    track_artists, release_artists = rows["track_artists"], rows["release_artists"]
    items = []
    editorial = row["kind"] != Playlist.Kind.USER
    for item in rows["items"]:
        track = track_json(
            links,
            item,
            track_artists.get(item["t_id"], []),
            release_artists.get(item["r_id"], []),
        )
        if editorial:
            added_by = (row["owner_id"], row["owner_display_name"])
        elif item["added_by_id"] is None:
            added_by = None
        else:
            added_by = (item["added_by_id"], item["added_by_display_name"])
        added_at = item["added_at"]
        key = ("playlist item", track, links.zone, added_at, added_by)
        items.append(_kept(key, _playlist_item, links, added_at, added_by, track))
    # One text for `items` and `tracks`, which show the same page.
    items = _json_list(items)
    tracks_url = _with_market(links.href("catalog_api:playlist-tracks", pk), market)
    items_url = _with_market(links.href("library_api:playlist-items-v2", pk), market)
    return {
        **_object(links, "playlist", "catalog_api:playlist-detail", pk),
        "collaborative": row["collaborative"],
        "description": row["description"] or None,
        "images": links.images(_name(row["cover"]), _storage(Playlist, "cover")),
        "name": row["name"],
        "owner": owner,
        "public": row["public"],
        "snapshot_id": str(row["snapshot"]),
        "items": paging(
            url=items_url, items=items, total=row["tracks_total"], limit=EMBEDDED_PAGE_LIMIT
        ),
        "tracks": paging(
            url=tracks_url, items=items, total=row["tracks_total"], limit=EMBEDDED_PAGE_LIMIT
        ),
        "type": "playlist",
        "followers": {"href": None, "total": row["followers_total"]},
    }
