"""Recompute catalog availability from the rights: all of it, or some labels' and releases'."""

from django.core.management.base import BaseCommand

from licensing import services


class Command(BaseCommand):
    help = (
        "Recompute track availability from agreements, go-live dates and takedowns and write "
        "it to the catalog (all tracks unless --label/--release narrow it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--label", type=int, action="append", default=[], help="Label id.")
        parser.add_argument("--release", type=int, action="append", default=[], help="Release id.")
        parser.add_argument(
            "--no-swap",
            action="store_true",
            help="Diff rows in place even on PostgreSQL (slower for a full rebuild).",
        )

    def handle(self, *args, label, release, no_swap, **options):
        if label or release:
            result = services.availability_refresh(label_ids=label, release_ids=release)
        else:
            result = services.availability_rebuild(swap=False if no_swap else None)
        timings = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in result.timings.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Availability of {result.tracks} tracks written on {result.profiles} profiles: "
                f"{result.created} tracks added, {result.updated} moved, {result.deleted} "
                f"removed ({timings})."
            )
        )
