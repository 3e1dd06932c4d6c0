"""Who may change a track's audio or lyrics: the hooks the API calls (see settings)."""

from artists.models import ArtistTeamMembership, TeamRole
from catalog.models import Track, TrackArtist
from licensing.models import LabelMembership

UPLOAD_ROLES = (TeamRole.ADMIN, TeamRole.EDITOR)


def track_upload_allowed(*, user, track: Track) -> bool:
    """An admin or editor of a credited artist's team, staff of the release's label, or a
    user with the catalog's change-track permission (catalogue staff)."""
    if not (user and user.is_authenticated):
        return False
    if user.has_perm("catalog.change_track"):
        return True
    artist_ids = TrackArtist.objects.filter(
        track=track, role__in=(TrackArtist.Role.PRIMARY, TrackArtist.Role.FEATURED)
    ).values("artist_id")
    if ArtistTeamMembership.objects.filter(
        user=user, artist_id__in=artist_ids, role__in=UPLOAD_ROLES
    ).exists():
        return True
    label_id = track.release.label_id
    return (
        label_id is not None
        and LabelMembership.objects.filter(user=user, party__labels=label_id).exists()
    )


def track_lyrics_edit_allowed(*, user, track: Track) -> bool:
    """Whoever may change the track's audio (above) may change its lyrics."""
    return track_upload_allowed(user=user, track=track)
