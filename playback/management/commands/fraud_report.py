import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from playback import selectors


class Command(BaseCommand):
    help = (
        "Rank accounts, tracks and client addresses by their share of refused plays "
        "(suspicious plays) among the plays received lately."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=7, help="Plays received in the last N days."
        )
        parser.add_argument("--limit", type=int, default=20, help="Rows per section.")
        parser.add_argument(
            "--min-plays", type=int, default=5, help="Ignore keys with fewer plays."
        )

    def handle(self, *args, days, limit, min_plays, **options):
        if days < 1 or limit < 1 or min_plays < 1:
            raise CommandError("--days, --limit and --min-plays must be at least 1.")
        since = timezone.now() - datetime.timedelta(days=days)
        report = selectors.fraud_report(since=since, limit=limit, min_plays=min_plays)
        names = {"accounts": "user__email", "tracks": "track__title", "addresses": "address"}
        for section, rows in report.items():
            self.stdout.write(f"{section} (last {days} days, by share of refused plays)")
            if not rows:
                self.stdout.write("  none")
            for row in rows:
                reasons = ", ".join(f"{reason} {n}" for reason, n in row["reasons"])
                self.stdout.write(
                    f"  {row['share']:6.1%}  {row['refused']:>7}/{row['plays']:<7} "
                    f"{row[names[section]]}  ({reasons})"
                )
