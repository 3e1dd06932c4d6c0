"""/rest/<method>[.view]: one dispatching view, one small function per method.

A method function takes a `Call` and returns the payload to wrap in the envelope (or an
HttpResponse for binary answers); errors are raised as `SubsonicError` or the domain's
`ApplicationError` and always answered in the protocol's own form, never as a 5xx.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Min
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accounts.models import User
from accounts.selectors import request_address
from api.subsonic import auth, errors, media, objects
from api.subsonic.errors import SubsonicError
from api.subsonic.params import (
    ALBUM,
    ARTIST,
    MUSIC_FOLDER_ID,
    PLAYLIST,
    SONG,
    Params,
    entity_id,
    millis_param,
    millis_to_datetime,
)
from api.subsonic.render import failure, render
from catalog import library, library_selectors, search
from catalog import selectors as catalog_selectors
from common.errors import ApplicationError
from playback import player
from playback import selectors as playback_selectors
from playback import services as playback_services
from playback.models import PlaybackSession
from recommendations import selectors as recommendation_selectors

logger = logging.getLogger(__name__)

MAX_LIST_SIZE = 500
IGNORED_ARTICLES = "The El La Los Las Le Les"
SCROBBLE_EVENT_NAMESPACE = uuid.UUID("6f1d4a52-3c1e-4d0e-9b7a-5b2f0c9e8a11")


@dataclass
class Call:
    request: object
    params: Params
    user: User | None

    @property
    def market(self) -> str:
        return str(self.user.country)


Handler = Callable[[Call], dict | HttpResponseBase]
HANDLERS: dict[str, Handler] = {}
WITHOUT_AUTH = {"getOpenSubsonicExtensions"}
EXTENSIONS = [
    {"name": "apiKeyAuthentication", "versions": [1]},
    {"name": "formPost", "versions": [1]},
    {"name": "indexBasedQueue", "versions": [1]},
    {"name": "playbackReport", "versions": [1]},
    {"name": "songLyrics", "versions": [1]},
    {"name": "transcodeOffset", "versions": [1]},
]


def method(name: str):
    def register(function: Handler) -> Handler:
        HANDLERS[name] = function
        return function

    return register


@csrf_exempt
def rest(request, method_name: str) -> HttpResponse:
    params = Params(request)
    try:
        if request.method not in ("GET", "POST", "HEAD"):
            raise SubsonicError(errors.GENERIC, "Use GET or POST.")
        handler = HANDLERS.get(method_name)
        if handler is None:
            return _unknown(params, method_name)
        user = None
        if method_name not in WITHOUT_AUTH:
            auth.check_version(params)
            if not params.get("c"):
                raise errors.missing("c")
            user = auth.authenticate(request, params)
        result = handler(Call(request=request, params=params, user=user))
    except SubsonicError as exc:
        return failure(params, exc.code, exc.message)
    except ApplicationError as exc:
        error = errors.from_application_error(exc)
        return failure(params, error.code, error.message)
    except Exception:
        logger.exception("OpenSubsonic %s failed", method_name)
        return failure(params, errors.GENERIC, "The server could not answer; try again later.")
    if isinstance(result, HttpResponseBase):
        return result
    return render(params, "ok", result)


def _unknown(params, method_name: str) -> HttpResponse:
    response = failure(params, errors.NOT_FOUND, f"Unknown method: {method_name[:64]}.")
    response.status_code = 404
    return response


def _page(call: Call, count_name: str, offset_name: str, default: int) -> tuple[int, int]:
    size = call.params.int(count_name, default, minimum=0, maximum=MAX_LIST_SIZE)
    offset = call.params.int(offset_name, 0, minimum=0)
    return offset, offset + size


def _songs(call: Call, tracks, listening: objects.Listening | None = None) -> list[dict]:
    tracks = list(tracks)
    listening = listening or objects.listening_of(call.user, tracks=tracks)
    return [objects.song(track, listening) for track in tracks]


def _playable_tracks(call: Call):
    return objects.with_renditions(catalog_selectors.track_list_playable(market=call.market))


def _playable_releases(call: Call):
    return catalog_selectors.release_list_playable(market=call.market)


def _albums(
    call: Call,
    releases,
    *,
    as_directory: bool = False,
    listening: objects.Listening | None = None,
) -> list[dict]:
    releases = list(releases)
    listening = listening or objects.listening_of(call.user, releases=releases)
    if as_directory:
        return [objects.album_as_directory(release, listening) for release in releases]
    return [objects.album(release, listening) for release in releases]


def _artists(call: Call, artists, listening: objects.Listening | None = None) -> list[dict]:
    artists = list(artists)
    listening = listening or objects.listening_of(call.user, artists=artists)
    return [objects.artist(artist, listening) for artist in artists]


# System


@method("ping")
def ping(call: Call) -> dict:
    return {}


@method("getLicense")
def get_license(call: Call) -> dict:
    return {"license": {"valid": True, "email": call.user.email}}


@method("getOpenSubsonicExtensions")
def get_open_subsonic_extensions(call: Call) -> dict:
    return {"openSubsonicExtensions": EXTENSIONS}


# Browsing


@method("getMusicFolders")
def get_music_folders(call: Call) -> dict:
    folder = {"id": MUSIC_FOLDER_ID, "name": settings.SUBSONIC_MUSIC_FOLDER_NAME}
    return {"musicFolders": {"musicFolder": [folder]}}


def _artist_index(call: Call) -> list[dict]:
    artists = list(catalog_selectors.artist_list_playable(market=call.market))
    listening = objects.listening_of(call.user, artists=artists)
    return objects.artist_indexes(artists, listening)


@method("getIndexes")
def get_indexes(call: Call) -> dict:
    return {
        "indexes": {
            "lastModified": int(timezone.now().timestamp() * 1000),
            "ignoredArticles": IGNORED_ARTICLES,
            "index": _artist_index(call),
        }
    }


@method("getArtists")
def get_artists(call: Call) -> dict:
    return {"artists": {"ignoredArticles": IGNORED_ARTICLES, "index": _artist_index(call)}}


def _artist_playable(call: Call, artist_id: int):
    artist = catalog_selectors.artist_list_playable(market=call.market).filter(pk=artist_id).first()
    if artist is None:
        raise errors.not_found("Artist")
    return artist


def _releases_of_artist(call: Call, artist):
    ids = catalog_selectors.artist_releases(artist=artist, market=call.market).values("pk")
    return _playable_releases(call).filter(pk__in=ids).order_by("-release_date", "title", "id")


@method("getMusicDirectory")
def get_music_directory(call: Call) -> dict:
    kind, pk = entity_id("id", call.params.get("id"), ARTIST, ALBUM)
    if kind == ARTIST:
        artist = _artist_playable(call, pk)
        children = _albums(call, _releases_of_artist(call, artist), as_directory=True)
        directory = {"id": f"{ARTIST}-{pk}", "name": artist.name, "child": children}
        return {"directory": directory}
    release = _playable_releases(call).filter(pk=pk).first()
    if release is None:
        raise errors.not_found("Album")
    songs = _songs(call, _playable_tracks(call).filter(release_id=pk).order_by(*_TRACK_ORDER))
    artists = [credit.artist for credit in release.artist_credits]
    directory = {
        "id": f"{ALBUM}-{pk}",
        "parent": f"{ARTIST}-{artists[0].pk}" if artists else None,
        "name": release.title,
        "child": songs,
    }
    return {"directory": directory}


_TRACK_ORDER = ("disc_number", "track_number", "id")


@method("getArtist")
def get_artist(call: Call) -> dict:
    _, pk = entity_id("id", call.params.get("id"), ARTIST)
    artist = _artist_playable(call, pk)
    listening = objects.listening_of(call.user, artists=[artist])
    entry = objects.artist(artist, listening)
    entry["album"] = _albums(call, _releases_of_artist(call, artist))
    return {"artist": entry}


@method("getAlbum")
def get_album(call: Call) -> dict:
    _, pk = entity_id("id", call.params.get("id"), ALBUM)
    release = _playable_releases(call).filter(pk=pk).first()
    if release is None:
        raise errors.not_found("Album")
    songs = _songs(call, _playable_tracks(call).filter(release_id=pk).order_by(*_TRACK_ORDER))
    listening = objects.listening_of(call.user, releases=[release])
    return {"album": objects.album(release, listening, songs=songs)}


@method("getSong")
def get_song(call: Call) -> dict:
    _, pk = entity_id("id", call.params.get("id"), SONG)
    track = _playable_tracks(call).filter(pk=pk).first()
    if track is None:
        raise errors.not_found("Song")
    return {"song": _songs(call, [track])[0]}


@method("getGenres")
def get_genres(call: Call) -> dict:
    genres = catalog_selectors.genre_counts_playable(market=call.market)
    return {
        "genres": {
            "genre": [
                {"value": g.name, "songCount": g.track_count, "albumCount": g.release_count}
                for g in genres
                if g.track_count or g.release_count
            ]
        }
    }


# Album and song lists


def _album_list(call: Call):
    kind = call.params.required("type")
    start, end = _page(call, "size", "offset", 10)
    releases = _playable_releases(call)
    if kind == "random":
        return releases.order_by("?")[: end - start]
    if kind == "newest":
        return releases.order_by("-created_at", "-id")[start:end]
    if kind in ("frequent", "recent"):
        ids = list(playback_selectors.release_ids_played(user_id=call.user.pk, order=kind))
        return _in_order(releases, ids)[start:end]
    if kind == "highest":
        ids = list(library_selectors.release_ids_rated(user=call.user))
        return _in_order(releases, ids)[start:end]
    if kind == "alphabeticalByName":
        return releases.order_by("title", "id")[start:end]
    if kind == "alphabeticalByArtist":
        return _by_artist(releases)[start:end]
    if kind == "starred":
        saved = library_selectors.saved_releases(user=call.user).values("release_id")
        return releases.filter(pk__in=saved).order_by("title", "id")[start:end]
    if kind == "byYear":
        first = call.params.year("fromYear")
        last = call.params.year("toYear")
        low, high = sorted((first, last))
        in_range = releases.filter(release_date__year__gte=low, release_date__year__lte=high)
        order = ("release_date", "id") if first <= last else ("-release_date", "-id")
        return in_range.order_by(*order)[start:end]
    if kind == "byGenre":
        genre = call.params.required("genre")
        return releases.filter(genres__name__iexact=genre).order_by("title", "id")[start:end]
    raise errors.invalid("type", f"unknown album list type {kind[:40]}.")


def _by_artist(releases):
    return releases.annotate(first_artist=Min("credits__artist__name")).order_by(
        "first_artist", "title", "id"
    )


def _in_order(queryset, ids: list[int]) -> list:
    found = {obj.pk: obj for obj in queryset.filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


@method("getAlbumList")
def get_album_list(call: Call) -> dict:
    return {"albumList": {"album": _albums(call, _album_list(call), as_directory=True)}}


@method("getAlbumList2")
def get_album_list2(call: Call) -> dict:
    return {"albumList2": {"album": _albums(call, _album_list(call))}}


@method("getRandomSongs")
def get_random_songs(call: Call) -> dict:
    size = call.params.int("size", 10, minimum=0, maximum=MAX_LIST_SIZE)
    tracks = _playable_tracks(call)
    genre = call.params.get("genre")
    if genre:
        tracks = tracks.filter(genres__name__iexact=genre)
    from_year = call.params.year("fromYear", required=False)
    to_year = call.params.year("toYear", required=False)
    if from_year is not None:
        tracks = tracks.filter(release__release_date__year__gte=from_year)
    if to_year is not None:
        tracks = tracks.filter(release__release_date__year__lte=to_year)
    return {"randomSongs": {"song": _songs(call, tracks.order_by("?")[:size])}}


@method("getSongsByGenre")
def get_songs_by_genre(call: Call) -> dict:
    genre = call.params.required("genre")
    start, end = _page(call, "count", "offset", 10)
    tracks = _playable_tracks(call).filter(genres__name__iexact=genre).order_by("title", "id")
    return {"songsByGenre": {"song": _songs(call, tracks[start:end])}}


# Searching


def _search(call: Call) -> dict:
    query = (call.params.get("query") or "").strip().strip('"').strip()
    artists_page = _page(call, "artistCount", "artistOffset", 20)
    albums_page = _page(call, "albumCount", "albumOffset", 20)
    songs_page = _page(call, "songCount", "songOffset", 20)
    artists = catalog_selectors.artist_list_playable(market=call.market)
    releases = _playable_releases(call)
    tracks = _playable_tracks(call)
    if not query:  # the whole library, as clients page through it to sync: a stable order
        artists = list(artists.order_by("name", "id")[slice(*artists_page)])
        releases = list(releases.order_by("title", "id")[slice(*albums_page)])
        tracks = list(tracks.order_by("title", "id")[slice(*songs_page)])
    else:
        # A query: the best matches first, each page cut from the ranked matches playable
        # in the listener's market, then loaded (so only a page's rows are ever built).
        words = search.search_words(query)
        first_song, end_song = songs_page
        track_ids = search.track_search_page(
            words=words, market=call.market, offset=first_song, limit=end_song - first_song
        ).ids
        artists = _ranked(artists, search.artist_search(words=words), artists_page)
        releases = _ranked(releases, search.release_search(words=words), albums_page)
        tracks = _in_order(tracks, track_ids)
    # One read of the listener's stars, ratings and plays for the three pages.
    listening = objects.listening_of(call.user, tracks=tracks, releases=releases, artists=artists)
    return {
        "artist": _artists(call, artists, listening),
        "album": _albums(call, releases, listening=listening),
        "song": _songs(call, tracks, listening),
    }


def _ranked(queryset, ranked, page: tuple[int, int]) -> list:
    """The rows of `queryset` (playable in the market) for the page `page` of the search
    `ranked`, in its order."""
    start, end = page
    found = search.ranked_page(ranked, queryset, offset=start, limit=end - start)
    return _in_order(queryset, found.ids)


@method("search3")
def search3(call: Call) -> dict:
    return {"searchResult3": _search(call)}


@method("search2")
def search2(call: Call) -> dict:
    found = _search(call)
    releases = found.pop("album")
    for album in releases:
        album.update(isDir=True, title=album["name"], parent=album.get("artistId"))
    return {"searchResult2": {**found, "album": releases}}


# Playlists


def _playlist_visible(call: Call, pk: int):
    return catalog_selectors.playlist_get(playlist_id=pk, user=call.user, market=call.market)


def _playlist_entries(call: Call, playlist) -> list[dict]:
    """The playlist's tracks playable in the listener's market, in order."""
    items = catalog_selectors.playlist_items(playlist=playlist, market=call.market)
    track_ids = [item.track_id for item in items]
    playable = {t.pk: t for t in _playable_tracks(call).filter(pk__in=track_ids)}
    return _songs(call, [playable[i] for i in track_ids if i in playable])


def _playlist_payload(call: Call, pk: int) -> dict:
    playlist = _playlist_visible(call, pk)
    return {"playlist": objects.playlist(playlist, entries=_playlist_entries(call, playlist))}


@method("getPlaylists")
def get_playlists(call: Call) -> dict:
    username = call.params.get("username")
    if username and username.lower() != call.user.email.lower():
        playlists = library_selectors.playlists_public_of(owner_email=username)
    else:
        playlists = library_selectors.user_playlists(user=call.user)
    playlists = list(playlists[:MAX_LIST_SIZE])
    durations = library_selectors.playlist_durations(playlist_ids=[p.pk for p in playlists])
    return {
        "playlists": {
            "playlist": [objects.playlist(p, duration_ms=durations.get(p.pk)) for p in playlists]
        }
    }


@method("getPlaylist")
def get_playlist(call: Call) -> dict:
    _, pk = entity_id("id", call.params.get("id"), PLAYLIST)
    return _playlist_payload(call, pk)


def _song_ids(call: Call, name: str) -> list[int]:
    return [entity_id(name, raw, SONG)[1] for raw in call.params.getlist(name)]


def _check_playable(call: Call, track_ids: list[int]) -> None:
    playable = set(_playable_tracks(call).filter(pk__in=track_ids).values_list("pk", flat=True))
    for track_id in track_ids:
        if track_id not in playable:
            raise errors.not_found(f"Song {SONG}-{track_id}")


@method("createPlaylist")
def create_playlist(call: Call) -> dict:
    track_ids = _song_ids(call, "songId")
    _check_playable(call, track_ids)
    raw_id = call.params.get("playlistId")
    if raw_id:
        _, pk = entity_id("playlistId", raw_id, PLAYLIST)
        library.playlist_items_replace(user=call.user, playlist_id=pk, track_ids=track_ids)
        return _playlist_payload(call, pk)
    name = call.params.required("name")
    playlist = library.user_playlist_create(owner=call.user, name=name, public=False)
    if track_ids:
        library.playlist_items_replace(user=call.user, playlist_id=playlist.pk, track_ids=track_ids)
    return _playlist_payload(call, playlist.pk)


@method("updatePlaylist")
def update_playlist(call: Call) -> dict:
    _, pk = entity_id("playlistId", call.params.get("playlistId"), PLAYLIST)
    public = call.params.get("public")
    library.playlist_update(
        user=call.user,
        playlist_id=pk,
        name=call.params.get("name"),
        description=call.params.get("comment"),
        public=None if public is None else call.params.bool("public", False),
    )
    remove = []
    for raw in call.params.getlist("songIndexToRemove"):
        if not (raw.isascii() and raw.isdigit()):
            raise errors.invalid("songIndexToRemove", "expected an index from 0.")
        remove.append(int(raw))
    if remove:
        _remove_listed(call, pk, remove)
    add = _song_ids(call, "songIdToAdd")
    if add:
        _check_playable(call, add)
        library.playlist_items_add(user=call.user, playlist_id=pk, track_ids=add)
    return {}


def _remove_listed(call: Call, pk: int, indexes: list[int]) -> None:
    """Remove the items at `indexes` of the list as the client saw it (playable items only)."""
    playlist = _playlist_visible(call, pk)
    items = list(catalog_selectors.playlist_items(playlist=playlist))
    playable = set(
        _playable_tracks(call)
        .filter(pk__in=[item.track_id for item in items])
        .values_list("pk", flat=True)
    )
    listed = [(position, item) for position, item in enumerate(items) if item.track_id in playable]
    positions: dict[int, list[int]] = {}
    for index in indexes:
        if not 0 <= index < len(listed):
            raise errors.invalid("songIndexToRemove", f"no song at index {index}.")
        position, item = listed[index]
        positions.setdefault(item.track_id, []).append(position)
    library.playlist_items_remove(user=call.user, playlist_id=pk, positions=positions)


@method("deletePlaylist")
def delete_playlist(call: Call) -> dict:
    _, pk = entity_id("id", call.params.get("id"), PLAYLIST)
    library.playlist_delete(user=call.user, playlist_id=pk)
    return {}


# Annotation


def _star_targets(call: Call) -> dict[str, list[int]]:
    targets: dict[str, list[int]] = {SONG: [], ALBUM: [], ARTIST: []}
    for name, kinds in (
        ("id", (SONG, ALBUM, ARTIST)),
        ("albumId", (ALBUM,)),
        ("artistId", (ARTIST,)),
    ):
        for raw in call.params.getlist(name):
            kind, pk = entity_id(name, raw, *kinds)
            targets[kind].append(pk)
    if not any(targets.values()):
        raise errors.missing("id, albumId or artistId")
    return targets


@method("star")
def star(call: Call) -> dict:
    targets = _star_targets(call)
    if targets[SONG]:
        library.track_save(user=call.user, track_ids=targets[SONG])
    if targets[ALBUM]:
        library.release_save(user=call.user, release_ids=targets[ALBUM])
    if targets[ARTIST]:
        library.artist_follow(user=call.user, artist_ids=targets[ARTIST])
    return {}


@method("unstar")
def unstar(call: Call) -> dict:
    targets = _star_targets(call)
    if targets[SONG]:
        library.track_unsave(user=call.user, track_ids=targets[SONG])
    if targets[ALBUM]:
        library.release_unsave(user=call.user, release_ids=targets[ALBUM])
    if targets[ARTIST]:
        library.artist_unfollow(user=call.user, artist_ids=targets[ARTIST])
    return {}


def _starred(call: Call, *, as_directory: bool) -> dict:
    saved_tracks = library_selectors.saved_tracks(user=call.user).values("track_id")
    saved_releases = library_selectors.saved_releases(user=call.user).values("release_id")
    followed = library_selectors.followed_artists(user=call.user).values("pk")
    tracks = _playable_tracks(call).filter(pk__in=saved_tracks).order_by("title", "id")
    releases = _playable_releases(call).filter(pk__in=saved_releases).order_by("title", "id")
    artists = catalog_selectors.artist_list_playable(market=call.market).filter(pk__in=followed)
    return {
        "artist": _artists(call, artists[:MAX_LIST_SIZE]),
        "album": _albums(call, releases[:MAX_LIST_SIZE], as_directory=as_directory),
        "song": _songs(call, tracks[:MAX_LIST_SIZE]),
    }


@method("getStarred")
def get_starred(call: Call) -> dict:
    return {"starred": _starred(call, as_directory=True)}


@method("getStarred2")
def get_starred2(call: Call) -> dict:
    return {"starred2": _starred(call, as_directory=False)}


@method("setRating")
def set_rating(call: Call) -> dict:
    kind, pk = entity_id("id", call.params.get("id"), SONG, ALBUM)
    rating = call.params.int("rating")
    if not 0 <= rating <= 5:
        raise errors.invalid("rating", "must be between 0 and 5.")
    target = {"track_id": pk} if kind == SONG else {"release_id": pk}
    library.rating_set(user=call.user, rating=rating, **target)
    return {}


@method("scrobble")
def scrobble(call: Call) -> dict:
    raw_ids = call.params.getlist("id")
    if not raw_ids:
        raise errors.missing("id")
    track_ids = [entity_id("id", raw, SONG)[1] for raw in raw_ids]
    times = [millis_param("time", raw) for raw in call.params.getlist("time") if raw.strip()]
    tracks = {t.pk: t for t in _playable_tracks(call).filter(pk__in=track_ids)}
    for track_id in track_ids:
        if track_id not in tracks:
            raise errors.not_found(f"Song {SONG}-{track_id}")
    if not call.params.bool("submission", True):
        for track_id in track_ids:
            playback_services.now_playing_set(
                user=call.user,
                track_id=track_id,
                player=call.params.get("c", ""),
                duration_ms=tracks[track_id].duration_ms,
            )
        return {}
    now_ms = int(timezone.now().timestamp() * 1000)
    events = []
    for index, track_id in enumerate(track_ids):
        ended_ms = times[index] if index < len(times) else now_ms
        duration = tracks[track_id].duration_ms
        events.append(
            {
                "event_id": uuid.uuid5(
                    SCROBBLE_EVENT_NAMESPACE, f"{call.user.pk}:{track_id}:{ended_ms}"
                ),
                "track_id": track_id,
                "ms_played": duration,
                "context_type": "other",
                "context_id": "",
                "started_at": millis_to_datetime(ended_ms - duration),
                "ended_at": millis_to_datetime(ended_ms),
            }
        )
    playback_services.play_events_ingest(user=call.user, events=events)
    return {}


@method("reportPlayback")
def report_playback(call: Call) -> dict:
    """The playbackReport extension: the server tells plays from the reported timeline."""
    media_type = call.params.required("mediaType")
    if media_type == "podcast":
        raise errors.not_found("Podcast episode (there are no podcasts)")
    if media_type != "song":
        raise errors.invalid("mediaType", "song or podcast.")
    _, track_id = entity_id("mediaId", call.params.get("mediaId"), SONG)
    position_ms = call.params.int("positionMs", minimum=0)
    state = call.params.required("state")
    if state not in PlaybackSession.State.values:
        raise errors.invalid("state", ", ".join(PlaybackSession.State.values) + " expected.")
    if not _playable_tracks(call).filter(pk=track_id).exists():
        raise errors.not_found(f"Song {SONG}-{track_id}")
    device_id, client = _device_id(call)
    playback_services.playback_report(
        user=call.user,
        device_id=device_id,
        device_name=client,
        track_id=track_id,
        position_ms=position_ms,
        state=state,
        playback_rate=call.params.float("playbackRate", 1.0),
        ignore_scrobble=call.params.bool("ignoreScrobble", False),
        address=request_address(call.request),
    )
    return {}


@method("getNowPlaying")
def get_now_playing(call: Call) -> dict:
    """The caller's own players only: other listeners' listening is private here."""
    entries = playback_selectors.now_playing_list(user_id=call.user.pk)
    tracks = {
        t.pk: t
        for t in _playable_tracks(call).filter(pk__in=[entry["track_id"] for entry in entries])
    }
    songs = {s["id"]: s for s in _songs(call, tracks.values())}
    now = timezone.now()
    found = []
    for number, entry in enumerate(entries, start=1):
        song = songs.get(f"{SONG}-{entry['track_id']}")
        if song is None:
            continue
        found.append(
            {
                **song,
                "username": call.user.email,
                "minutesAgo": int((now - entry["at"]).total_seconds() // 60),
                "playerId": number,
                "playerName": entry["player"],
                # Reported by playbackReport; absent for a scrobble's "now playing".
                "state": entry.get("state"),
                "positionMs": playback_selectors.now_playing_position_ms(entry=entry, now=now),
                "playbackRate": entry.get("playback_rate"),
            }
        )
    return {"nowPlaying": {"entry": found}}


# User


@method("getUser")
def get_user(call: Call) -> dict:
    username = call.params.required("username")
    if username.lower() != call.user.email.lower() and not call.user.is_staff:
        raise SubsonicError(errors.NOT_AUTHORIZED, "You may only read your own user.")
    user = call.user
    if username.lower() != user.email.lower():
        raise errors.not_found("User")
    return {
        "user": {
            "username": user.email,
            "email": user.email,
            "scrobblingEnabled": True,
            "adminRole": False,
            "settingsRole": False,
            "downloadRole": True,
            "uploadRole": False,
            "playlistRole": True,
            "coverArtRole": False,
            "commentRole": False,
            "podcastRole": False,
            "streamRole": True,
            "jukeboxRole": False,
            "shareRole": False,
            "videoConversionRole": False,
            "folder": [MUSIC_FOLDER_ID],
        }
    }


# Media


@method("stream")
def stream(call: Call) -> HttpResponse:
    return media.stream(call.request, call.params, call.user)


@method("download")
def download(call: Call) -> HttpResponse:
    return media.download(call.request, call.params, call.user)


@method("getCoverArt")
def get_cover_art(call: Call) -> HttpResponse:
    return media.cover_art(call.params, call.user)


# Play queue: the same server-side queue as /me/player (playback.player)


def _device_id(call: Call) -> tuple[str, str]:
    client = (call.params.get("c") or "subsonic")[:50]
    return f"subsonic:{client}", client


def _queue_save(call: Call, track_ids: list[int], current_index: int | None) -> dict:
    device_id, client = _device_id(call)
    player.player_queue_save(
        user=call.user,
        device_id=device_id,
        device_name=client,
        track_ids=track_ids,
        current_index=current_index if track_ids else None,
        position_ms=call.params.int("position", 0, minimum=0),
    )
    return {}


@method("savePlayQueue")
def save_play_queue(call: Call) -> dict:
    track_ids = _song_ids(call, "id")
    current = call.params.get("current")
    index = 0
    if current and track_ids:
        _, current_id = entity_id("current", current, SONG)
        if current_id not in track_ids:
            raise errors.invalid("current", "not one of the queued songs.")
        index = track_ids.index(current_id)
    return _queue_save(call, track_ids, index)


@method("savePlayQueueByIndex")
def save_play_queue_by_index(call: Call) -> dict:
    track_ids = _song_ids(call, "id")
    index = call.params.int("currentIndex", 0, minimum=0) if track_ids else None
    return _queue_save(call, track_ids, index)


def _queue(call: Call) -> tuple[dict, list[dict], object]:
    state = player.player_state_get(user=call.user)
    base = {
        "username": call.user.email,
        "changed": state.updated_at if state else timezone.now(),
        "changedBy": (state.changed_by if state else "") or "",
    }
    if state is None:
        return base, [], None
    items = player.player_queue_list(user=call.user)
    track_ids = [item.track_id for item in items]
    playable = {t.pk: t for t in _playable_tracks(call).filter(pk__in=track_ids)}
    entries = _songs(call, [playable[i] for i in track_ids if i in playable])
    return base, entries, state


@method("getPlayQueue")
def get_play_queue(call: Call) -> dict:
    queue, entries, state = _queue(call)
    if state is not None and state.track_id:
        queue.update(
            current=f"{SONG}-{state.track_id}",
            position=player.player_progress_ms(state=state),
        )
    return {"playQueue": {**queue, "entry": entries}}


@method("getPlayQueueByIndex")
def get_play_queue_by_index(call: Call) -> dict:
    queue, entries, state = _queue(call)
    if state is not None and state.current_index is not None and entries:
        queue.update(
            currentIndex=min(state.current_index, len(entries) - 1),
            position=player.player_progress_ms(state=state),
        )
    return {"playQueueByIndex": {**queue, "entry": entries}}


# Artist and album info, similar and top songs (recommendations' taste model)

SIMILAR_DEFAULT = 50


def _similar_artists(call: Call, artist_id: int, count: int) -> list:
    related = recommendation_selectors.related_artist_ids(artist_id=artist_id, limit=count)
    playable = catalog_selectors.artist_list_playable(market=call.market).filter(pk__in=related)
    return _in_order(playable, related)


def _artist_info(call: Call) -> dict:
    _, pk = entity_id("id", call.params.get("id"), ARTIST)
    artist = _artist_playable(call, pk)
    count = call.params.int("count", 20, minimum=0, maximum=MAX_LIST_SIZE)
    return {
        "biography": artist.bio or None,
        "similarArtist": _artists(call, _similar_artists(call, pk, count)),
    }


@method("getArtistInfo")
def get_artist_info(call: Call) -> dict:
    info = _artist_info(call)
    for similar in info["similarArtist"]:
        similar.pop("albumCount", None)
        similar.pop("sortName", None)
    return {"artistInfo": info}


@method("getArtistInfo2")
def get_artist_info2(call: Call) -> dict:
    return {"artistInfo2": _artist_info(call)}


def _album_info(call: Call) -> dict:
    _, pk = entity_id("id", call.params.get("id"), ALBUM)
    release = _playable_releases(call).filter(pk=pk).first()
    if release is None:
        raise errors.not_found("Album")
    notes = release.copyright or ""
    return {"notes": notes or None}


@method("getAlbumInfo")
def get_album_info(call: Call) -> dict:
    return {"albumInfo": _album_info(call)}


@method("getAlbumInfo2")
def get_album_info2(call: Call) -> dict:
    return {"albumInfo": _album_info(call)}


def _similar_songs(call: Call, *kinds: str) -> list[dict]:
    kind, pk = entity_id("id", call.params.get("id"), *kinds)
    count = call.params.int("count", SIMILAR_DEFAULT, minimum=0, maximum=MAX_LIST_SIZE)
    tracks = _playable_tracks(call)
    if kind == SONG:
        seeds = [pk]
    elif kind == ALBUM:
        seeds = list(tracks.filter(release_id=pk).order_by(*_TRACK_ORDER).values_list("pk")[:1])
        seeds = [seed for (seed,) in seeds]
    else:
        artist = _artist_playable(call, pk)
        artists = [artist, *_similar_artists(call, pk, 10)]
        picked: list[int] = []
        for each in artists:
            top = catalog_selectors.artist_top_tracks(artist=each, market=call.market, limit=5)
            picked += [t.pk for t in top]
        return _songs(call, _in_order(tracks, picked[:count]))
    ids: list[int] = []
    for seed in seeds:
        ids += recommendation_selectors.similar_track_ids(track_id=seed, limit=count * 2)
    return _songs(call, _in_order(tracks, list(dict.fromkeys(ids)))[:count])


@method("getSimilarSongs")
def get_similar_songs(call: Call) -> dict:
    return {"similarSongs": {"song": _similar_songs(call, SONG, ALBUM, ARTIST)}}


@method("getSimilarSongs2")
def get_similar_songs2(call: Call) -> dict:
    return {"similarSongs2": {"song": _similar_songs(call, ARTIST, SONG)}}


@method("getTopSongs")
def get_top_songs(call: Call) -> dict:
    name = call.params.required("artist")
    count = call.params.int("count", SIMILAR_DEFAULT, minimum=0, maximum=MAX_LIST_SIZE)
    artist = (
        catalog_selectors.artist_list_playable(market=call.market)
        .filter(name__iexact=name.strip())
        .first()
    )
    if artist is None:
        return {"topSongs": {"song": []}}
    top = catalog_selectors.artist_top_tracks(artist=artist, market=call.market, limit=count)
    return {
        "topSongs": {"song": _songs(call, _in_order(_playable_tracks(call), [t.pk for t in top]))}
    }


# Radio, scanning, lyrics


@method("getInternetRadioStations")
def get_internet_radio_stations(call: Call) -> dict:
    return {"internetRadioStations": {"internetRadioStation": []}}


def _scan_status(call: Call) -> dict:
    count = catalog_selectors.track_list_playable(market=call.market).count()
    return {"scanStatus": {"scanning": False, "count": count}}


@method("getScanStatus")
def get_scan_status(call: Call) -> dict:
    return _scan_status(call)


@method("startScan")
def start_scan(call: Call) -> dict:
    """Imports run as `manage.py import_audio` and uploads; there is no folder to rescan."""
    if not call.user.is_staff:
        raise SubsonicError(errors.NOT_AUTHORIZED, "Only staff may start a scan.")
    return _scan_status(call)


@method("getLyricsBySongId")
def get_lyrics_by_song_id(call: Call) -> dict:
    """The songLyrics extension: the song's one lyrics entry (kind main), or none."""
    _, pk = entity_id("id", call.params.get("id"), SONG)
    track = (
        catalog_selectors.track_list_playable(market=call.market)
        .select_related("lyrics")
        .filter(pk=pk)
        .first()
    )
    if track is None:
        raise errors.not_found("Song")
    lyrics = getattr(track, "lyrics", None)
    if lyrics is None:
        return {"lyricsList": {"structuredLyrics": []}}
    artists = ", ".join(c.artist.name for c in getattr(track, "performer_credits", []))
    return {"lyricsList": {"structuredLyrics": [objects.structured_lyrics(lyrics, artists, track)]}}


@method("getLyrics")
def get_lyrics(call: Call) -> dict:
    """Plain lyrics of a song playable in the listener's market, found by artist and title;
    an empty `lyrics` element when none match (as Subsonic answers)."""
    artist, title = call.params.get("artist") or "", call.params.get("title") or ""
    lyrics = None
    if title.strip():
        lyrics = catalog_selectors.track_lyrics_find(artist=artist, title=title, market=call.market)
    if lyrics is None:
        return {"lyrics": {"value": ""}}
    return {"lyrics": {"artist": artist, "title": lyrics.track.title, "value": lyrics.plain}}


@method("tokenInfo")
def token_info(call: Call) -> dict:
    """Whose credentials these are (the apiKeyAuthentication extension)."""
    return {"tokenInfo": {"username": call.user.email}}
