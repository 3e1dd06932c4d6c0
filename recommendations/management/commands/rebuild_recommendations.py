import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from recommendations import services
from recommendations.models import PlaylistKind


class Command(BaseCommand):
    help = (
        "Run the nightly recommendations rebuild in this process: train the taste model, "
        "build the due Discover Weekly / Release Radar playlists and swap them in. "
        "A day already built is left alone unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Rebuild even if done today.")
        parser.add_argument(
            "--kinds",
            default="",
            help="Comma-separated playlist kinds to build (discover_weekly, release_radar); "
            "default: those due.",
        )
        parser.add_argument("--day", default="", help="Run day, YYYY-MM-DD (default today).")

    def handle(self, *args, force, kinds, day, verbosity, **options):
        wanted = [k.strip() for k in kinds.split(",") if k.strip()] or None
        unknown = set(wanted or []) - set(PlaylistKind.values)
        if unknown:
            raise CommandError(f"Unknown kinds: {', '.join(sorted(unknown))}.")
        try:
            run_day = datetime.date.fromisoformat(day) if day else None
        except ValueError as exc:
            raise CommandError(f"Invalid --day: {exc}") from None
        started = time.monotonic()
        run = services.nightly_run_sync(day=run_day, kinds=wanted, force=force)
        if run is None:
            self.stdout.write("Nothing to do: today's recommendations are built or building.")
            return
        run.refresh_from_db()
        self.stdout.write(
            f"Run {run.day} {run.state} in {time.monotonic() - started:.1f} s: "
            f"model {run.model_version_id}, {run.listeners} listeners, "
            f"built {', '.join(run.kinds) or 'no playlists (none due)'}."
        )
        if verbosity > 1:
            self.stdout.write(f"durations: {run.durations}")
            self.stdout.write(f"counts: {run.counts}")
            self.stdout.write(f"metrics: {run.metrics}")
