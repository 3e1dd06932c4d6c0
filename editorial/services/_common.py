"""Helpers shared by the submodules of editorial.services."""

from common.errors import NotFound
from editorial.models import EditorialPlaylist


def _lock(playlist: EditorialPlaylist) -> EditorialPlaylist:
    locked = (
        EditorialPlaylist.objects.select_for_update(of=("self", "playlist_ptr"))
        .select_related("team")
        .filter(pk=playlist.pk)
        .first()
    )
    if locked is None:
        raise NotFound("Playlist not found.")
    return locked
