import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from playback import partitions


class Command(BaseCommand):
    help = (
        "List, create ahead or detach the monthly partitions of play events (PostgreSQL). "
        "A detached month stays as a plain table to archive (pg_dump -t) and drop."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ensure", action="store_true", help="create partitions ahead")
        parser.add_argument(
            "--detach-before", metavar="YYYY-MM", help="detach every month older than this"
        )

    def handle(self, *args, ensure, detach_before, **options):
        if not partitions.is_partitioned():
            self.stdout.write("Play events are not partitioned on this database (SQLite).")
            return
        if ensure:
            for name in partitions.play_event_partitions_ensure(
                months_ahead=settings.PLAY_EVENT_PARTITIONS_AHEAD_MONTHS
            ):
                self.stdout.write(f"created {name}")
        if detach_before:
            try:
                month = datetime.datetime.strptime(detach_before, "%Y-%m").date()
            except ValueError:
                raise CommandError("--detach-before takes YYYY-MM.") from None
            for name in partitions.play_event_partitions_detach_before(month=month):
                self.stdout.write(f"detached {name}")
        for partition in partitions.play_event_partitions():
            label = f"{partition.month:%Y-%m}" if partition.month else "default"
            self.stdout.write(f"{partition.name}\t{label}\t~{partition.rows_estimate} rows")
