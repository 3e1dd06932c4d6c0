import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from licensing import services


class Command(BaseCommand):
    help = "Issue the royalty statements of a month (default: last month); corrections supersede."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM")

    def handle(self, *args, month, **options):
        if month:
            try:
                day = datetime.datetime.strptime(month, "%Y-%m").date()
            except ValueError:
                raise CommandError("--month is YYYY-MM.") from None
        else:
            day = timezone.now().date().replace(day=1) - datetime.timedelta(days=1)
        statements = services.royalty_statements_issue_month(month=day)
        for statement in statements:
            self.stdout.write(
                f"  {statement.number}: {statement.streams} streams, {statement.amount}"
            )
        self.stdout.write(
            self.style.SUCCESS(f"{len(statements)} statement(s) current for {day:%Y-%m}.")
        )
