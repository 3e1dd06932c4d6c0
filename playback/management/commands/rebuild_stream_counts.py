import datetime

from django.core.management.base import BaseCommand, CommandError

from playback import services


class Command(BaseCommand):
    help = "Rebuild the daily stream counts (per track and per listener) from raw play events."

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            help="First UTC day to rebuild, YYYY-MM-DD (default: the day of the first event).",
        )

    def handle(self, *args, since=None, **options):
        day = None
        if since:
            try:
                day = datetime.date.fromisoformat(since)
            except ValueError:
                raise CommandError("--since must be a date, YYYY-MM-DD.") from None
        days = services.stream_counts_rebuild(since=day)
        if days:
            self.stdout.write(f"Rebuilt {len(days)} day(s), {days[0]} to {days[-1]}.")
        else:
            self.stdout.write("Nothing to rebuild.")
