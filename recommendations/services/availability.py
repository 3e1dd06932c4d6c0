"""Same-day availability: personalised playlists never keep a track their owner cannot play."""

import datetime

import numpy as np
from django.db import models, transaction
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.models import Track
from playback.models import DailyListenerTrack
from recommendations.models import PersonalisedPlaylist, PlaylistKind
from recommendations.scoring import RankingParams

from .training import primary_artists


def personalised_playlists_refresh_availability(
    *, now: datetime.datetime | None = None
) -> dict[str, int]:
    """Remove tracks no longer playable in the owner's market; refill Discover Weekly.

    A withdrawn Discover Weekly track is replaced, at its position, by the market's most
    streamed playable track of the last 28 days that the listener never played and that
    keeps the artist cap; Release Radar only loses it (its tracks are new releases).
    Idempotent: a second call finds nothing to do. Returns counts of removed and added.
    """
    from catalog.selectors import track_playable_in
    from playback.models import DailyTrackStreams

    now = now or timezone.now()
    params = RankingParams.from_settings()
    removed = added = 0
    markets = (
        PersonalisedPlaylist.objects.values_list("user__country", flat=True)
        .distinct()
        .order_by("user__country")
    )
    for market in list(markets):
        stale = (
            catalog_selectors.playlist_items_personalised()
            .filter(
                playlist__personalised_by__isnull=False,
                playlist__personalised_by__user__country=market,
            )
            .exclude(track_playable_in(market=market, now=now, track_ref="track_id"))
            .values_list("pk", "playlist_id")
        )
        stale = list(stale)
        if not stale:
            continue
        by_playlist: dict[int, list[int]] = {}
        for item_id, playlist_id in stale:
            by_playlist.setdefault(playlist_id, []).append(item_id)
        since = now.date() - datetime.timedelta(days=params.popular_days)
        chart = list(
            Track.objects.filter(track_playable_in(market=market, now=now))
            .filter(
                pk__in=DailyTrackStreams.objects.filter(day__gte=since, country=market).values(
                    "track_id"
                )
            )
            .values_list("pk", flat=True)
        )
        streams = dict(
            DailyTrackStreams.objects.filter(day__gte=since, country=market, track_id__in=chart)
            .values("track_id")
            .annotate(total=models.Sum("streams"))
            .values_list("track_id", "total")
        )
        chart.sort(key=lambda t: (-streams.get(t, 0), t))
        with transaction.atomic():
            for playlist_id, item_ids in sorted(by_playlist.items()):
                removed_n, added_n = _playlist_replace_unplayable(
                    playlist_id=playlist_id, item_ids=item_ids, chart=chart, params=params, now=now
                )
                removed += removed_n
                added += added_n
    return {"removed": removed, "added": added}


def _playlist_replace_unplayable(*, playlist_id, item_ids, chart, params, now) -> tuple[int, int]:
    """Drop the playlist's unplayable items; in Discover Weekly, refill each one's place from
    the market chart (never played, artist cap kept). Writes go through catalog's services."""
    personalised = PersonalisedPlaylist.objects.get(playlist_id=playlist_id)
    current = list(
        catalog_selectors.playlist_item_rows(playlist_id=playlist_id)
    )  # (id, track_id, added_by_id, added_at) by position
    gone = set(item_ids)
    kept = [row[1] for row in current if row[0] not in gone]
    replacements: dict[int, int] = {}
    if personalised.kind == PlaylistKind.DISCOVER_WEEKLY:
        played = set(
            DailyListenerTrack.objects.filter(
                user_id=personalised.user_id, track_id__in=chart
            ).values_list("track_id", flat=True)
        )
        artists = dict(
            zip(
                [*kept, *chart],
                primary_artists(np.asarray([*kept, *chart], dtype=np.int64)).tolist(),
                strict=True,
            )
        )
        per_artist: dict[int, int] = {}
        for track_id in kept:
            per_artist[artists[track_id]] = per_artist.get(artists[track_id], 0) + 1
        taken = set(kept)
        candidates = iter(chart)
        for item_id in (row[0] for row in current if row[0] in gone):
            for track_id in candidates:
                artist = artists[track_id]
                if track_id in taken or track_id in played:
                    continue
                if artist >= 0 and per_artist.get(artist, 0) >= params.artist_cap:
                    continue
                per_artist[artist] = per_artist.get(artist, 0) + 1
                taken.add(track_id)
                replacements[item_id] = track_id
                break
    items = []
    for item_id, track_id, added_by_id, added_at in current:
        if item_id in gone:
            if item_id not in replacements:
                continue
            track_id, added_by_id, added_at = replacements[item_id], None, now
        items.append(
            catalog_services.PlaylistItemSpec(
                track_id=track_id, added_by_id=added_by_id, added_at=added_at
            )
        )
    catalog_services.playlist_items_replace(playlist_id=playlist_id, items=items)
    catalog_services.playlist_snapshot_bump(playlist_ids=[playlist_id], now=now)
    return sum(1 for row in current if row[0] in gone), len(replacements)
