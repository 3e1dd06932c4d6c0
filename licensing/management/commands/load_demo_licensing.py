"""Give the demo labels (made by `load_demo_catalog`) agreements with different territories,
a takedown and a label user, then rebuild availability from them.

Idempotent: parties and agreements are matched by name and reference, the takedown by its
note; a second run changes nothing but rewrites the same availability.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django_countries import countries

from accounts import roles
from accounts.services import user_create
from catalog.models import Label, Release, Track
from licensing import services
from licensing.models import Agreement, Party, RevenuePool, Takedown
from playback.models import DailyTrackStreams

# (label made by load_demo_catalog, kind, reference, territories, excluded, starts, ends, share)
DEMO_AGREEMENTS = (
    ("Meridian Music Group", "major", "MMG-2020-WW", "WORLDWIDE", "", "2020-01-01", None, "0.52"),
    (
        "Atlas Sound Entertainment",
        "major",
        "ASE-2021-WW",
        "WORLDWIDE",
        "US CA JP KR CN RU CU IR KP SY",
        "2021-01-01",
        "2030-12-31",
        "0.50",
    ),
    ("Sonorous Records", "major", "SON-2022-EU", "EU NORDICS", "", "2022-01-01", None, "0.48"),
    ("Nightjar Records", "indie", "NJR-2023-01", "NORDICS UK_IE DACH", "", "2023-01-01", None,
     "0.60"),
    ("Small Hours Recordings", "indie", "SHR-2023-01", "NORTH_AMERICA ANZ NORDICS", "",
     "2023-06-01", None, "0.60"),
    ("Fjord Tapes", "indie", "FJT-2024-01", "NORDICS", "SE", "2024-01-01", "2027-12-31", "0.65"),
)  # fmt: skip
PER_STREAM_MINIMUM = Decimal("0.0008")
TAKEDOWN_NOTE = "Demo: sample clearance pending (load_demo_licensing)."
LABEL_USER = ("label@streamify.test", "streamify-label")
# Demo revenue per qualifying stream, to fill last month's pools where there were streams.
DEMO_POOL_PER_STREAM = Decimal("0.0040")


class Command(BaseCommand):
    help = (
        "Load demo licensing: agreements for the demo labels (majors worldwide, with "
        "exclusions, EU+Nordics; independents with small territories), a takedown, a label "
        "user; then rebuild availability. Run after load_demo_catalog."
    )

    def handle(self, *args, **options):
        labels = {label.name: label for label in Label.objects.all()}
        missing = [name for name, *_ in DEMO_AGREEMENTS if name not in labels]
        if len(missing) == len(DEMO_AGREEMENTS):
            self.stdout.write(self.style.WARNING("No demo labels: run load_demo_catalog first."))
            return
        with transaction.atomic():
            changes = self._agreements(labels)
            changes += self._takedown()
            changes += self._label_user()
            changes += self._go_live()
        result = services.availability_rebuild()
        self.stdout.write(
            f"Availability rebuilt: {result.tracks} tracks on {result.profiles} profiles, "
            f"{result.created} added, {result.updated} moved, {result.deleted} removed."
        )
        statements = self._royalties()
        for line in changes:
            self.stdout.write(f"  {line}")
        for name in missing:
            self.stdout.write(self.style.WARNING(f"  label {name!r} not found; skipped"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo licensing loaded ({len(changes)} change(s), {statements} statement(s)). "
                f"Label user: {LABEL_USER[0]} / {LABEL_USER[1]}."
            )
        )

    def _agreements(self, labels: dict[str, Label]) -> list[str]:
        changes = []
        for name, kind, reference, territories, excluded, starts, ends, share in DEMO_AGREEMENTS:
            if name not in labels:
                continue
            party = Party.objects.filter(name=name).first()
            if party is None:
                party = services.party_create(
                    name=name, kind=Party.Kind.LABEL, labels=[labels[name]]
                )
                changes.append(f"party {name} ({kind})")
            elif not party.labels.filter(pk=labels[name].pk).exists():
                services.party_labels_set(party=party, labels=[*party.labels.all(), labels[name]])
            terms = {
                "reference": reference,
                "territories": territories,
                "excluded_territories": excluded,
                "starts_on": datetime.date.fromisoformat(starts),
                "ends_on": datetime.date.fromisoformat(ends) if ends else None,
                "revenue_share": Decimal(share),
                "per_stream_minimum": PER_STREAM_MINIMUM,
                "status": Agreement.Status.ACTIVE,
                "notes": f"Demo {kind} agreement.",
            }
            agreement = Agreement.objects.filter(reference=reference).first()
            if agreement is None:
                services.agreement_create(party=party, **terms)
                changes.append(f"agreement {reference}: {territories} minus {excluded or '-'}")
            elif _differs(agreement, terms):
                services.agreement_update(agreement=agreement, **terms)
                changes.append(f"agreement {reference} updated")
        return changes

    def _takedown(self) -> list[str]:
        if Takedown.objects.filter(note=TAKEDOWN_NOTE).exists():
            return []
        # The last track of the first licensed release: one greyed-out track everywhere.
        release = (
            Release.objects.filter(label__licensing_parties__isnull=False, tracks__isnull=False)
            .order_by("id")
            .first()
        )
        if release is None:
            return []
        track = Track.objects.filter(release=release).order_by("-disc_number", "-track_number")
        services.takedown_create(
            release=release,
            track=track.first(),
            reason="label_request",
            note=TAKEDOWN_NOTE,
        )
        return [f"takedown of {track.first()} on {release} everywhere"]

    def _label_user(self) -> list[str]:
        party = Party.objects.filter(name=DEMO_AGREEMENTS[0][0]).first()
        if party is None:
            return []
        user = get_user_model().objects.filter(email=LABEL_USER[0]).first()
        changes = []
        if user is None:
            user = user_create(
                email=LABEL_USER[0],
                password=LABEL_USER[1],
                country="GB",
                display_name="Meridian Royalties Desk",
                role=roles.LABEL_STAFF,
            )
            changes.append(f"label user {LABEL_USER[0]}")
        if not party.memberships.filter(user=user).exists():
            services.label_membership_create(user=user, party=party)
            changes.append(f"{LABEL_USER[0]} member of {party}")
        return changes

    def _go_live(self) -> list[str]:
        """Releases out this month go live at midnight UTC of their date, everywhere, so no
        one streams them before they are out."""
        changes = []
        today = timezone.now().date()
        recent = Release.objects.filter(
            release_date__gt=today - datetime.timedelta(days=30), release_date__lte=today
        ).order_by("id")
        for release in recent:
            moment = datetime.datetime.combine(release.release_date, datetime.time(), datetime.UTC)
            if release.licensing_market_dates.filter(live_at=moment).count() == len(countries):
                continue
            services.release_market_dates_set(
                release=release, live_at={code: moment for code, _ in countries}
            )
            changes.append(f"{release} goes live on {release.release_date} everywhere")
        return changes

    def _royalties(self) -> int:
        """Fill last month's pools where there were streams, and issue its statements."""
        month = (timezone.now().date().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        next_month = (month + datetime.timedelta(days=32)).replace(day=1)
        streams = (
            DailyTrackStreams.objects.filter(day__gte=month, day__lt=next_month)
            .values("country")
            .annotate(total=Sum("streams"))
            .values_list("country", "total")
        )
        for country, total in streams:
            if not RevenuePool.objects.filter(month=month, territory=country).exists():
                services.revenue_pool_set(
                    month=month,
                    territory=country,
                    amount=(DEMO_POOL_PER_STREAM * total).quantize(Decimal("0.01")),
                    note="Demo pool (load_demo_licensing).",
                )
        return len(services.royalty_statements_issue_month(month=month))


def _differs(agreement: Agreement, terms: dict) -> bool:
    return any(getattr(agreement, name) != value for name, value in terms.items())
