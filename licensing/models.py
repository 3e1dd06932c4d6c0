"""Rights holders, their agreements with the service, release overrides and royalties.

Availability is not stored here: `licensing.services` computes it from these rows and writes
it into the catalog's availability profiles. Dates of agreements are whole UTC days, both ends
included; money is Decimal in `ROYALTY_CURRENCY`.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Label, Release, Track
from licensing.territories import UnknownTerritory, agreement_markets, territory_markets

ROYALTY_CURRENCY = "EUR"


def _territory_errors(**expressions: str) -> dict[str, str]:
    errors = {}
    for field, expression in expressions.items():
        try:
            territory_markets(expression)
        except UnknownTerritory as exc:
            errors[field] = str(exc)
    return errors


class Party(models.Model):
    """A label, publisher or distributor the service holds agreements with."""

    class Kind(models.TextChoices):
        LABEL = "label", _("Label")
        PUBLISHER = "publisher", _("Publisher")
        DISTRIBUTOR = "distributor", _("Distributor")

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=11, choices=Kind.choices, default=Kind.LABEL)
    labels = models.ManyToManyField(
        Label,
        blank=True,
        related_name="licensing_parties",
        help_text=_("Catalogue labels whose releases this party licenses."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "parties"

    def __str__(self):
        return self.name


class Agreement(models.Model):
    """A licence from a party: which releases, where, when, and on which royalty terms."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")

    class Scope(models.TextChoices):
        CATALOGUE = "catalogue", _("Whole catalogue of the party's labels")
        RELEASES = "releases", _("Listed releases only")

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="agreements")
    reference = models.CharField(max_length=60, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    scope = models.CharField(max_length=9, choices=Scope.choices, default=Scope.CATALOGUE)
    releases = models.ManyToManyField(Release, blank=True, related_name="licensing_agreements")
    territories = models.CharField(
        max_length=1000,
        help_text=_("Country codes and groups, e.g. 'WORLDWIDE' or 'EU, NORDICS, GB'."),
    )
    excluded_territories = models.CharField(
        max_length=1000, blank=True, help_text=_("Codes and groups taken out, e.g. 'CU, IR'.")
    )
    starts_on = models.DateField(help_text=_("First day of the licence (00:00 UTC)."))
    ends_on = models.DateField(
        null=True,
        blank=True,
        help_text=_("Last day of the licence (until 24:00 UTC); empty: open."),
    )
    revenue_share = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("Fraction of the pro-rata pool share paid, e.g. 0.5200."),
    )
    per_stream_minimum = models.DecimalField(
        max_digits=10,
        decimal_places=6,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Minimum royalty per qualifying stream, in EUR."),
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["party", "starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="agreement_ends_on_after_start",
                violation_error_message="The agreement ends before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(revenue_share__gte=0) & Q(revenue_share__lte=1),
                name="agreement_revenue_share_fraction",
                violation_error_message="The revenue share is a fraction between 0 and 1.",
            ),
            models.CheckConstraint(
                condition=Q(per_stream_minimum__gte=0), name="agreement_minimum_not_negative"
            ),
        ]

    def __str__(self):
        return self.reference

    def clean(self):
        errors = _territory_errors(
            territories=self.territories, excluded_territories=self.excluded_territories
        )
        if not errors and not agreement_markets(self.territories, self.excluded_territories):
            errors["excluded_territories"] = "The exclusions leave no market."
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = (
                f"The agreement ends ({self.ends_on}) before it starts ({self.starts_on})."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def starts_at(self) -> datetime.datetime:
        return datetime.datetime.combine(self.starts_on, datetime.time.min, tzinfo=datetime.UTC)

    @property
    def ends_at(self) -> datetime.datetime | None:
        if self.ends_on is None:
            return None
        day_after = self.ends_on + datetime.timedelta(days=1)
        return datetime.datetime.combine(day_after, datetime.time.min, tzinfo=datetime.UTC)


class AgreementTerms(models.Model):
    """The royalty terms of an agreement from one month on, until the next row's month.

    A statement for a month uses the row in force that month, so changing the terms never
    re-prices a month already issued. Rows are added by `licensing.services`, never edited.
    """

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="terms")
    effective_from = models.DateField(help_text=_("First day of the first month they apply to."))
    revenue_share = models.DecimalField(max_digits=5, decimal_places=4)
    per_stream_minimum = models.DecimalField(max_digits=10, decimal_places=6)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["agreement", "-effective_from"]
        verbose_name_plural = "agreement terms"
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "effective_from"], name="uniq_agreement_terms_month"
            ),
        ]

    def __str__(self):
        return f"{self.agreement_id} from {self.effective_from:%Y-%m}"


class AgreementMarket(models.Model):
    """A market an agreement covers: its territories resolved, written by the services."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="markets")
    market = models.CharField(max_length=2)

    class Meta:
        ordering = ["agreement", "market"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "market"], name="uniq_agreement_market")
        ]
        indexes = [models.Index(fields=["market", "agreement"])]

    def __str__(self):
        return f"{self.agreement_id} in {self.market}"


class ReleaseMarketDate(models.Model):
    """The moment a release goes live in one market; before it the release is not playable."""

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="licensing_market_dates"
    )
    market = models.CharField(max_length=2, help_text=_("ISO 3166-1 alpha-2 country code."))
    live_at = models.DateTimeField()

    class Meta:
        ordering = ["release", "live_at", "market"]
        constraints = [
            models.UniqueConstraint(fields=["release", "market"], name="uniq_release_market_date")
        ]

    def __str__(self):
        return f"{self.release_id} live in {self.market} at {self.live_at:%Y-%m-%d %H:%M} UTC"

    def clean(self):
        errors = _territory_errors(market=self.market)
        if not errors and len(territory_markets(self.market)) != 1:
            errors["market"] = "Name exactly one country."
        if errors:
            raise ValidationError(errors)


class Takedown(models.Model):
    """Removes a release (or one of its tracks) in some or all markets from `effective_at`."""

    class Reason(models.TextChoices):
        RIGHTS_DISPUTE = "rights_dispute", _("Rights dispute")
        LEGAL = "legal", _("Legal order")
        LABEL_REQUEST = "label_request", _("Label request")
        CONTENT = "content", _("Content policy")
        OTHER = "other", _("Other")

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="takedowns")
    track = models.ForeignKey(
        Track,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="takedowns",
        help_text=_("Only this track of the release; empty: the whole release."),
    )
    territories = models.CharField(
        max_length=1000, blank=True, help_text=_("Codes and groups; empty: everywhere.")
    )
    reason = models.CharField(max_length=14, choices=Reason.choices, default=Reason.OTHER)
    note = models.TextField(blank=True)
    effective_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-effective_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_at__gt=F("effective_at")),
                name="takedown_lifted_after_effective",
                violation_error_message="A takedown is lifted after it takes effect.",
            ),
        ]

    def __str__(self):
        return f"takedown of {self.track_id or self.release_id} ({self.reason})"

    def clean(self):
        errors = _territory_errors(territories=self.territories)
        if self.track_id and self.release_id and self.track.release_id != self.release_id:
            errors["track"] = "The track is not on this release."
        if self.lifted_at and self.effective_at and self.lifted_at <= self.effective_at:
            errors["lifted_at"] = "A takedown is lifted after it takes effect."
        if errors:
            raise ValidationError(errors)


class RevenuePool(models.Model):
    """Revenue of one month in one territory to share pro rata by streams (staff enter it)."""

    month = models.DateField(help_text=_("First day of the month."))
    territory = models.CharField(max_length=2, help_text=_("ISO 3166-1 alpha-2 country code."))
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    note = models.CharField(max_length=300, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "territory"]
        constraints = [
            models.UniqueConstraint(fields=["month", "territory"], name="uniq_revenue_pool"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="revenue_pool_not_negative"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.territory}: {self.amount} {ROYALTY_CURRENCY}"

    def clean(self):
        errors = _territory_errors(territory=self.territory)
        if not errors and len(territory_markets(self.territory)) != 1:
            errors["territory"] = "Name exactly one country."
        if self.month and self.month.day != 1:
            errors["month"] = "Use the first day of the month."
        if errors:
            raise ValidationError(errors)


class RoyaltyStatement(models.Model):
    """What one agreement earned in one month; immutable once issued.

    A correction is a new statement whose `supersedes` points at the one it replaces.
    """

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="statements")
    month = models.DateField()
    revision = models.PositiveSmallIntegerField(default=1)
    number = models.CharField(max_length=100, unique=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    currency = models.CharField(max_length=3, default=ROYALTY_CURRENCY)
    revenue_share = models.DecimalField(max_digits=5, decimal_places=4)
    per_stream_minimum = models.DecimalField(max_digits=10, decimal_places=6)
    streams = models.PositiveBigIntegerField(default=0)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-month", "agreement", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "month", "revision"], name="uniq_statement_revision"
            ),
        ]

    def __str__(self):
        return self.number


class RoyaltyStatementTerritory(models.Model):
    """One territory of a statement: the agreement's streams against the territory's pool."""

    statement = models.ForeignKey(
        RoyaltyStatement, on_delete=models.CASCADE, related_name="territories"
    )
    territory = models.CharField(max_length=2)
    streams = models.PositiveBigIntegerField()
    territory_streams = models.PositiveBigIntegerField(
        help_text=_("Qualifying streams of every track in the territory that month.")
    )
    pool_amount = models.DecimalField(max_digits=14, decimal_places=2)
    pool_share = models.DecimalField(
        max_digits=14, decimal_places=2, help_text=_("pool x streams / territory streams")
    )
    minimum_amount = models.DecimalField(max_digits=14, decimal_places=2)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["statement", "territory"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "territory"], name="uniq_statement_territory"
            ),
        ]

    def __str__(self):
        return f"{self.statement_id} {self.territory}"


class RoyaltyStatementLine(models.Model):
    """One track in one territory; a territory's lines add up exactly to its amount."""

    statement = models.ForeignKey(RoyaltyStatement, on_delete=models.CASCADE, related_name="lines")
    territory = models.CharField(max_length=2)
    track = models.ForeignKey(
        Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    isrc = models.CharField(max_length=12, blank=True)
    track_title = models.CharField(max_length=300)
    streams = models.PositiveBigIntegerField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["statement", "territory", "-streams", "track_title", "id"]
        indexes = [models.Index(fields=["statement", "territory"])]

    def __str__(self):
        return f"{self.statement_id} {self.territory} {self.track_title}"


class LabelMembership(models.Model):
    """A user who works for a party and may read its statements."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="label_memberships"
    )
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["party", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "party"], name="uniq_label_membership")
        ]

    def __str__(self):
        return f"{self.user} at {self.party}"
