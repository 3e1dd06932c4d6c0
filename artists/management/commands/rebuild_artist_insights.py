import datetime

from django.core.management.base import BaseCommand, CommandError

from artists import services


class Command(BaseCommand):
    help = "Rebuild the insights aggregates from play events and library rows (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="First UTC day, YYYY-MM-DD (default: first play).")
        parser.add_argument("--day", help="Only this UTC day, YYYY-MM-DD.")

    def handle(self, *args, since=None, day=None, **options):
        try:
            since_day = datetime.date.fromisoformat(since) if since else None
            only_day = datetime.date.fromisoformat(day) if day else None
        except ValueError as exc:
            raise CommandError(f"Invalid date: {exc}") from None
        if only_day is not None:
            counts = services.insights_build_day(day=only_day)
            self.stdout.write(f"Built {only_day}: {counts}")
            return
        days = services.insights_rebuild(since=since_day)
        if days:
            self.stdout.write(f"Built {len(days)} days, {days[0]} to {days[-1]}.")
        else:
            self.stdout.write("Nothing to build.")
