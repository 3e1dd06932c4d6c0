import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from playback import demo, selectors, services


class Command(BaseCommand):
    help = (
        "Create realistic play events for the existing users and tracks (idempotent: "
        "deterministic event ids), then build the daily stream counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=50_000)
        parser.add_argument("--days", type=int, default=60)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, events, days, seed, **options):
        if events < 1 or days < 1:
            raise CommandError("--events and --days must be positive.")
        started = time.monotonic()
        catalog = selectors.demo_catalog()
        if not catalog.users or not catalog.tracks:
            raise CommandError("Create users and tracks first (no listeners or no tracks).")
        # Anchor on the hour so that runs within the same hour generate the same rows.
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        made = demo.generate(catalog, events=events, days=days, seed=seed, now=now)
        inserted = services.play_events_bulk_load(events=made)
        since = (now - datetime.timedelta(days=days)).astimezone(datetime.UTC).date()
        built = services.stream_counts_rebuild(since=since)
        self.stdout.write(
            f"{inserted} new play events ({len(made) - inserted} already there) for "
            f"{len(catalog.users)} users and {len(catalog.tracks)} tracks; daily counts "
            f"rebuilt for {len(built)} days in {time.monotonic() - started:.1f} s."
        )
