"""The swap: every due personalised playlist replaced in one transaction."""

import datetime
import time

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalog import services as catalog_services
from catalog.models import Track
from recommendations.models import (
    PersonalisedPlaylist,
    PlaylistKind,
    RecommendationRun,
    StagedTrack,
)

from .runs import _run_locked
from .scoring import _tables

PLAYLIST_TEXTS = {
    PlaylistKind.DISCOVER_WEEKLY: (
        "Discover Weekly",
        "Your weekly mixtape of fresh music: tracks you have not played yet, picked for "
        "you. Updated every Monday.",
    ),
    PlaylistKind.RELEASE_RADAR: (
        "Release Radar",
        "Catch the latest releases from artists you follow and play, and artists like "
        "them. Updated every Friday.",
    ),
}


def run_finish(*, run_id: int) -> RecommendationRun | None:
    """Swap every due playlist of every listener in one transaction; record the metrics.

    Listeners keep last edition's tracks until the commit, then see the new ones; a
    listener whose playlist has no staged tracks (no new releases) gets it emptied.
    """
    started = time.monotonic()
    with transaction.atomic():
        run = _run_locked(run_id, RecommendationRun.State.SWAPPING)
        if run is None:
            return None
        now = timezone.now()
        for kind in run.kinds:
            _swap(run, kind, now)
        run.metrics = _run_metrics(run)
        run.state = RecommendationRun.State.SUCCEEDED
        run.finished_at = timezone.now()
        run.durations["swap"] = round(time.monotonic() - started, 3)
        if run.started_at:
            run.durations["total"] = round((run.finished_at - run.started_at).total_seconds(), 3)
        run.save()
        # In the same transaction: a run seen as succeeded has no staged rows left.
        StagedTrack.objects.filter(run_id=run_id).delete()
    return run


def _swap(run: RecommendationRun, kind: str, now: datetime.datetime) -> None:
    name, description = PLAYLIST_TEXTS[PlaylistKind(kind)]
    staged_users = StagedTrack.objects.filter(run=run, kind=kind).values("user_id")
    missing = list(
        User.objects.filter(pk__in=staged_users)
        .exclude(personalised_playlists__kind=kind)
        .values_list("pk", flat=True)
    )
    for start in range(0, len(missing), 5000):
        owners = missing[start : start + 5000]
        playlists = catalog_services.playlists_personalised_create(
            owner_ids=owners, name=name, description=description, now=now
        )
        PersonalisedPlaylist.objects.bulk_create(
            PersonalisedPlaylist(user_id=owner, kind=kind, playlist_id=playlist.pk)
            for owner, playlist in zip(owners, playlists, strict=True)
        )
    t = _tables()
    # Table names come from model metadata, values are parameters; catalog writes its items.
    catalog_services.playlist_items_swap(
        playlist_ids_sql=f"SELECT playlist_id FROM {t.personalised} WHERE kind = %s",  # noqa: S608
        rows_sql=(
            f"SELECT p.playlist_id, s.track_id, s.position FROM {t.staged} s "  # noqa: S608
            f"JOIN {t.personalised} p ON p.user_id = s.user_id AND p.kind = s.kind "
            f"WHERE s.run_id = %s AND s.kind = %s"
        ),
        params=[kind, run.pk, kind],
        now=now,
    )
    kind_playlists = PersonalisedPlaylist.objects.filter(kind=kind)
    catalog_services.playlist_snapshot_bump(
        playlist_ids=kind_playlists.values("playlist_id"), now=now
    )
    kind_playlists.update(edition=run.day, updated_at=now)


def _run_metrics(run: RecommendationRun) -> dict:
    metrics = {}
    catalogue = Track.objects.count()
    for kind in run.kinds:
        staged = StagedTrack.objects.filter(run=run, kind=kind)
        distinct = staged.values("track_id").distinct().count()
        counts = run.counts.get(kind, {})
        listeners = counts.get("listeners", 0)
        entry = {
            "distinct_tracks": distinct,
            "catalogue_coverage": round(distinct / catalogue, 4) if catalogue else 0.0,
            "tracks_per_listener": round(counts.get("tracks", 0) / listeners, 2)
            if listeners
            else 0.0,
        }
        if counts.get("novelty_n"):
            entry["novelty_bits"] = round(counts["novelty_bits_sum"] / counts["novelty_n"], 3)
        metrics[kind] = entry
    return metrics
