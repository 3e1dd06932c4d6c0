"""The OpenSubsonic object model (Child, AlbumID3, ArtistID3, Playlist ...) from domain rows.

Per-listener facts (starred, rating, play count) come from a `Listening` built once per
page, so a list costs a fixed number of queries however long it is.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from api.subsonic.params import ALBUM, ARTIST, PLAYLIST, SONG, make_id
from catalog import library_selectors
from playback import selectors as playback_selectors

DEFAULT_CODECS = list(playback_selectors.CODEC_PREFERENCE)
DEFAULT_QUALITY = "high"


@dataclass
class Listening:
    starred: dict = field(default_factory=lambda: {"track": {}, "release": {}, "artist": {}})
    ratings: dict = field(default_factory=lambda: {"track": {}, "release": {}})
    play_counts: dict = field(default_factory=dict)
    loudness: dict = field(default_factory=dict)


def listening_of(user, *, tracks=(), releases=(), artists=()) -> Listening:
    track_ids = [t.pk for t in tracks]
    release_ids = [r.pk for r in releases] + [t.release_id for t in tracks]
    artist_ids = [a.pk for a in artists]
    return Listening(
        starred=library_selectors.saved_dates(
            user=user, track_ids=track_ids, release_ids=release_ids, artist_ids=artist_ids
        ),
        ratings=library_selectors.ratings_of(
            user=user, track_ids=track_ids, release_ids=release_ids
        ),
        play_counts=playback_selectors.track_play_counts(user_id=user.pk, track_ids=track_ids),
        loudness=playback_selectors.loudness_of(track_ids=track_ids) if track_ids else {},
    )


def with_renditions(tracks):
    """Tracks with their READY renditions loaded (`ready_renditions`) for suffix and size."""
    return tracks.prefetch_related(
        Prefetch(
            "renditions",
            queryset=playback_selectors.renditions_ready(),
            to_attr="ready_renditions",
        )
    )


def _year(release) -> int | None:
    return release.release_date.year if release.release_date else None


def _artist_refs(artists) -> list[dict]:
    return [{"id": make_id(ARTIST, a.pk), "name": a.name} for a in artists]


def _release_artists(release) -> list:
    return [credit.artist for credit in getattr(release, "artist_credits", [])]


def _genres(obj) -> list[str]:
    cache = getattr(obj, "_prefetched_objects_cache", {})
    return [genre.name for genre in cache["genres"]] if "genres" in cache else []


def _default_rendition(track):
    ready = getattr(track, "ready_renditions", None)
    if not ready:
        return None
    return playback_selectors.rendition_pick(ready, codecs=DEFAULT_CODECS, quality=DEFAULT_QUALITY)


def _replay_gain(loudness) -> dict:
    """OpenSubsonic's replayGain: always present, its members only when measured."""
    if loudness is None:
        return {}
    values = loudness.as_dict()
    gains = {
        "trackGain": values["replaygain_track_gain"],
        "albumGain": values["replaygain_album_gain"],
        "trackPeak": values["replaygain_track_peak"],
        "albumPeak": values["replaygain_album_peak"],
    }
    return {key: value for key, value in gains.items() if value is not None}


def song(track, listening: Listening) -> dict:
    release = track.release
    artists = [credit.artist for credit in getattr(track, "performer_credits", [])]
    album_artists = _release_artists(release)
    genres = _genres(track) or _genres(release)
    rendition = _default_rendition(track)
    display_artist = ", ".join(a.name for a in artists)
    suffix = rendition.spec.extension if rendition else None
    child = {
        "id": make_id(SONG, track.pk),
        "parent": make_id(ALBUM, release.pk),
        "isDir": False,
        "title": track.title,
        "album": release.title,
        "artist": display_artist,
        "track": track.track_number,
        "year": _year(release),
        "genre": genres[0] if genres else None,
        "coverArt": make_id(ALBUM, release.pk),
        "duration": track.duration_ms // 1000,
        "discNumber": track.disc_number,
        "created": track.created_at,
        "albumId": make_id(ALBUM, release.pk),
        "artistId": make_id(ARTIST, artists[0].pk) if artists else None,
        "type": "music",
        "mediaType": "song",
        "isVideo": False,
        "starred": listening.starred["track"].get(track.pk),
        "userRating": listening.ratings["track"].get(track.pk),
        "playCount": listening.play_counts.get(track.pk, 0),
        "explicitStatus": "explicit" if track.explicit else "",
        "isrc": [track.isrc] if track.isrc else [],
        "genres": [{"name": name} for name in genres],
        "artists": _artist_refs(artists),
        "displayArtist": display_artist,
        "albumArtists": _artist_refs(album_artists),
        "displayAlbumArtist": ", ".join(a.name for a in album_artists),
        "sortName": track.title,
        "replayGain": _replay_gain(listening.loudness.get(track.pk)),
    }
    if rendition is not None:
        child.update(
            contentType=rendition.mime_type,
            suffix=suffix,
            bitRate=rendition.bitrate_kbps,
            size=rendition.size_bytes,
            path=f"{display_artist}/{release.title}/{track.track_number:02d} {track.title}"
            f".{suffix}",
        )
    return child


def album(release, listening: Listening, *, songs: list[dict] | None = None) -> dict:
    artists = _release_artists(release)
    genres = _genres(release)
    created = release.created_at
    date = release.release_date
    entry = {
        "id": make_id(ALBUM, release.pk),
        "name": release.title,
        "artist": ", ".join(a.name for a in artists),
        "artistId": make_id(ARTIST, artists[0].pk) if artists else None,
        "coverArt": make_id(ALBUM, release.pk),
        "songCount": getattr(release, "total_tracks", 0),
        "duration": getattr(release, "duration_ms_total", 0) // 1000,
        "created": created,
        "starred": listening.starred["release"].get(release.pk),
        "userRating": listening.ratings["release"].get(release.pk),
        "year": date.year if date else None,
        "genre": genres[0] if genres else None,
        "genres": [{"name": name} for name in genres],
        "artists": _artist_refs(artists),
        "displayArtist": ", ".join(a.name for a in artists),
        "releaseTypes": [release.get_release_type_display()],
        "isCompilation": release.release_type == "compilation",
        "sortName": release.title,
        "releaseDate": (
            {"year": date.year, "month": date.month, "day": date.day} if date else None
        ),
    }
    if songs is not None:
        entry["song"] = songs
    return entry


def album_as_directory(release, listening: Listening) -> dict:
    """An album as a Child with isDir (folder-based calls: getMusicDirectory, getAlbumList)."""
    artists = _release_artists(release)
    return {
        "id": make_id(ALBUM, release.pk),
        "parent": make_id(ARTIST, artists[0].pk) if artists else None,
        "isDir": True,
        "title": release.title,
        "name": release.title,
        "songCount": getattr(release, "total_tracks", 0),
        "duration": getattr(release, "duration_ms_total", 0) // 1000,
        "album": release.title,
        "artist": ", ".join(a.name for a in artists),
        "year": _year(release),
        "coverArt": make_id(ALBUM, release.pk),
        "created": release.created_at,
        "starred": listening.starred["release"].get(release.pk),
        "userRating": listening.ratings["release"].get(release.pk),
        "albumId": make_id(ALBUM, release.pk),
        "artistId": make_id(ARTIST, artists[0].pk) if artists else None,
    }


def artist(obj, listening: Listening) -> dict:
    return {
        "id": make_id(ARTIST, obj.pk),
        "name": obj.name,
        "coverArt": make_id(ARTIST, obj.pk),
        "albumCount": getattr(obj, "album_count", None),
        "starred": listening.starred["artist"].get(obj.pk),
        "sortName": obj.sort_name or obj.name,
    }


def artist_indexes(artists, listening: Listening) -> list[dict]:
    """Artists grouped under the first letter of their sort name ("#" for the rest)."""
    groups: dict[str, list[dict]] = {}
    for obj in artists:
        first = (obj.sort_name or obj.name or "#")[:1].upper()
        groups.setdefault(first if first.isalpha() else "#", []).append(artist(obj, listening))
    return [{"name": name, "artist": groups[name]} for name in sorted(groups)]


def playlist(obj, *, duration_ms: int | None = None, entries: list[dict] | None = None) -> dict:
    entry = {
        "id": make_id(PLAYLIST, obj.pk),
        "name": obj.name,
        "comment": obj.description or None,
        "owner": obj.owner.email,
        "public": obj.public,
        "songCount": getattr(obj, "tracks_total", 0),
        "duration": (duration_ms or 0) // 1000,
        "created": obj.created_at,
        "changed": obj.updated_at,
        "coverArt": make_id(PLAYLIST, obj.pk),
        "readonly": False,
    }
    if entries is not None:
        entry["songCount"] = len(entries)
        entry["duration"] = sum(e["duration"] for e in entries)
        entry["entry"] = entries
    return entry


def structured_lyrics(lyrics, display_artist: str, track) -> dict:
    """A StructuredLyrics entry (songLyrics extension) of a `catalog.TrackLyrics` row; the
    stored times already have any LRC offset applied, so `offset` is 0."""
    if lyrics.synced:
        lines = [{"start": line["start_ms"], "value": line["text"]} for line in lyrics.lines]
    else:
        lines = [{"value": line["text"]} for line in lyrics.lines]
    return {
        "displayArtist": display_artist,
        "displayTitle": track.title,
        "lang": lyrics.language or "und",
        "offset": 0,
        "synced": lyrics.synced,
        "line": lines,
    }
