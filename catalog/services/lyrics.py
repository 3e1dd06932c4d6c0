"""Writes of track lyrics: from import (tags, sidecar .lrc) and from editors."""

from django.db import transaction
from django.utils import timezone

from catalog.lyrics import LyricsInvalid, ParsedLyrics, parse_lyrics
from catalog.models import Track, TrackLyrics
from common.errors import ValidationFailed


def track_lyrics_check(*, text: str, language: str = "") -> ParsedLyrics:
    """Parse LRC or plain text strictly; raise ValidationFailed naming the problem."""
    try:
        return parse_lyrics(text, language=language, strict=True)
    except LyricsInvalid as exc:
        raise ValidationFailed(str(exc)) from None


@transaction.atomic
def track_lyrics_set(
    *, track: Track, lyrics: ParsedLyrics, source: str = TrackLyrics.Source.EDITED, user=None
) -> TrackLyrics:
    """Create or replace the track's lyrics (one row per track)."""
    row, _ = TrackLyrics.objects.update_or_create(
        track=track,
        defaults={
            "synced": lyrics.synced,
            "lines": [
                {"start_ms": line.start_ms, "text": line.text}
                if lyrics.synced
                else {"text": line.text}
                for line in lyrics.lines
            ],
            "plain": lyrics.plain,
            "language": lyrics.language,
            "source": source,
            "updated_at": timezone.now(),
            "updated_by": user if user is not None and user.is_authenticated else None,
        },
    )
    return row


def track_lyrics_delete(*, track: Track) -> bool:
    """Remove the track's lyrics; False when it had none."""
    deleted, _ = TrackLyrics.objects.filter(track=track).delete()
    return bool(deleted)
