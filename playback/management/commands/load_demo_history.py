import datetime
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import Genre, Playlist, Track
from catalog.selectors import track_ids_playable_in
from catalog.services import LibraryEntry
from playback import demo, selectors, services

DEMO_LISTENER = "demo@streamify.test"
# The demo listener likes electronic and classical music: their Discover Weekly and
# Release Radar show it.
DEMO_TASTE = ("Electronic", "Classical")
DEMO_LISTENER_PLAYS = 40  # about; leaves most of the catalogue for Discover Weekly to find
# The demo listener's own playlists: (name, description, how to pick from playable tracks).
DEMO_PLAYLISTS = (
    ("Demo Favourites", "A bit of everything playable here."),
    ("Deep Focus", "Long tracks for long work."),
    ("Quick Picks", "The shortest tracks, for a short break."),
)


class Command(BaseCommand):
    help = (
        "Create realistic play events for the existing users and tracks (idempotent: "
        "deterministic event ids), only where and when each track is licensed; then build "
        "the daily stream counts, popularity, and the saves and follows the plays imply."
    )

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=50_000)
        parser.add_argument("--days", type=int, default=60)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, events, days, seed, **options):
        if events < 1 or days < 1:
            raise CommandError("--events and --days must be positive.")
        started = time.monotonic()
        playlists = _demo_playlists()
        demo_user = get_user_model().objects.filter(email=DEMO_LISTENER).first()
        tastes, shares = {}, {}
        if demo_user is not None:
            genres = Genre.objects.filter(name__in=DEMO_TASTE).values_list("id", flat=True)
            tastes[demo_user.pk] = tuple(sorted(genres))
            shares[demo_user.pk] = min(0.5, DEMO_LISTENER_PLAYS / events)
        catalog = selectors.demo_catalog(tastes=tastes, shares=shares)
        if not catalog.users or not catalog.tracks:
            raise CommandError("Create users and tracks first (no listeners or no tracks).")
        # Anchor on the hour so that runs within the same hour generate the same rows.
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        made = demo.generate(catalog, events=events, days=days, seed=seed, now=now)
        inserted = services.play_events_bulk_load(events=made)
        since = (now - datetime.timedelta(days=days)).astimezone(datetime.UTC).date()
        built = services.stream_counts_rebuild(since=since)
        services.track_popularity_refresh()
        release_of = {track_id: release_id for track_id, release_id, _ in catalog.tracks}
        saved, releases, followed = demo.library_from_events(
            made, release_of=release_of, primary_artist=catalog.primary_artist
        )

        def entries(picks):
            return [LibraryEntry(p.user_id, p.object_id, p.at) for p in picks]

        catalog_services.library_bulk_load(
            saved_tracks=entries(saved),
            saved_releases=entries(releases),
            followed_artists=entries(followed),
        )
        self.stdout.write(
            f"{inserted} new play events ({len(made) - inserted} already there) for "
            f"{len(catalog.users)} users and {len(catalog.tracks)} tracks; daily counts "
            f"rebuilt for {len(built)} days; {len(saved)} saved tracks, {len(releases)} saved "
            f"albums, {len(followed)} follows; {playlists} demo playlists made; "
            f"{time.monotonic() - started:.1f} s."
        )


def _demo_playlists() -> int:
    """The demo listener's playlists, of tracks playable in their market (made once)."""
    owner = get_user_model().objects.filter(email=DEMO_LISTENER).first()
    if owner is None:
        return 0
    existing = set(
        Playlist.objects.filter(owner=owner, name__in=[n for n, _ in DEMO_PLAYLISTS]).values_list(
            "name", flat=True
        )
    )
    playable = list(
        Track.objects.filter(
            id__in=track_ids_playable_in(market=str(owner.country), now=timezone.now())
        ).order_by("id")
    )
    if not playable:
        return 0
    by_length = sorted(playable, key=lambda t: (t.duration_ms, t.id))
    picks = {
        "Demo Favourites": playable[::3][:40],
        "Deep Focus": list(reversed(by_length))[:15],
        "Quick Picks": by_length[:10],
    }
    made = 0
    for name, description in DEMO_PLAYLISTS:
        if name not in existing:
            catalog_services.playlist_create_with_tracks(
                owner=owner, name=name, description=description, tracks=picks[name]
            )
            made += 1
    return made
