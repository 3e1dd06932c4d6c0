"""Writes to the catalogue, split by subdomain.

Each submodule holds one subdomain (imports, availability, playlists, covers, tracks,
demo_library, lyrics); this package re-exports their public names, so callers keep writing
`from catalog import services` and `services.playlist_items_replace(...)`. Private helpers
stay in the submodule that uses them.
"""

from .availability import (
    AVAILABILITY_LOCK_KEY,
    AvailabilityWindow,
    availability_digest,
    availability_profiles_ensure,
    availability_profiles_prune,
    availability_window_check,
)
from .covers import release_cover_generate, release_cover_set, release_covers_generate_missing
from .demo_library import LibraryEntry, library_bulk_load
from .imports import (
    ImportReport,
    TrackImportResult,
    artist_get_or_create,
    genre_get_or_create,
    label_get_or_create,
    release_get_or_create,
    track_create_from_audio,
    track_import_path,
)
from .lyrics import track_lyrics_check, track_lyrics_delete, track_lyrics_set
from .playlists import (
    PlaylistItemSpec,
    playlist_create_with_tracks,
    playlist_items_renumber,
    playlist_items_replace,
    playlist_items_swap,
    playlist_snapshot_bump,
    playlists_personalised_create,
)
from .tracks import (
    popularity_update,
    release_date_set,
    track_audio_status_set,
    track_duration_set,
)

__all__ = [
    "AVAILABILITY_LOCK_KEY",
    "AvailabilityWindow",
    "ImportReport",
    "LibraryEntry",
    "PlaylistItemSpec",
    "TrackImportResult",
    "artist_get_or_create",
    "availability_digest",
    "availability_profiles_ensure",
    "availability_profiles_prune",
    "availability_window_check",
    "genre_get_or_create",
    "label_get_or_create",
    "library_bulk_load",
    "playlist_create_with_tracks",
    "playlist_items_renumber",
    "playlist_items_replace",
    "playlist_items_swap",
    "playlist_snapshot_bump",
    "playlists_personalised_create",
    "popularity_update",
    "release_cover_generate",
    "release_cover_set",
    "release_covers_generate_missing",
    "release_date_set",
    "release_get_or_create",
    "track_audio_status_set",
    "track_create_from_audio",
    "track_duration_set",
    "track_import_path",
    "track_lyrics_check",
    "track_lyrics_delete",
    "track_lyrics_set",
]
