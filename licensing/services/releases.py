"""Go-live moments of releases per market, and takedowns."""

import datetime
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog.models import Release, Track
from common.errors import ValidationFailed
from licensing.models import Agreement, AgreementMarket, ReleaseMarketDate, Takedown
from licensing.territories import local_midnight

from .availability import availability_refresh
from .markets import check_market, check_territories, territory_markets_tokens


@transaction.atomic
def release_market_dates_set(
    *, release: Release, live_at: Mapping[str, datetime.datetime]
) -> list[ReleaseMarketDate]:
    """Make `live_at` the release's go-live moments (markets not named: no gate)."""
    wanted = {check_market(market=market): moment for market, moment in live_at.items()}
    Release.objects.select_for_update().filter(pk=release.pk).first()
    ReleaseMarketDate.objects.filter(release=release).exclude(market__in=wanted).delete()
    dates = []
    for market, moment in sorted(wanted.items()):
        date, _ = ReleaseMarketDate.objects.update_or_create(
            release=release, market=market, defaults={"live_at": moment}
        )
        dates.append(date)
    availability_refresh(release_ids={release.pk})
    return dates


@transaction.atomic
def release_market_date_save(
    *, release: Release, market: str, live_at: datetime.datetime
) -> ReleaseMarketDate:
    market = check_market(market=market)
    date, _ = ReleaseMarketDate.objects.update_or_create(
        release=release, market=market, defaults={"live_at": live_at}
    )
    availability_refresh(release_ids={release.pk})
    return date


@transaction.atomic
def release_market_date_delete(*, release_market_date: ReleaseMarketDate) -> None:
    release_id = release_market_date.release_id
    release_market_date.delete()
    availability_refresh(release_ids={release_id})


@transaction.atomic
def release_schedule_local(
    *,
    release: Release,
    day: datetime.date,
    markets: Iterable[str] | None = None,
) -> list[ReleaseMarketDate]:
    """Go live at local midnight of `day` in each market (the Friday release moving west
    through the time zones); `markets` default to every market the release is licensed in."""
    if markets is None:
        markets = set(
            AgreementMarket.objects.filter(
                Q(agreement__releases=release)
                | Q(
                    agreement__scope=Agreement.Scope.CATALOGUE,
                    agreement__party__labels=release.label_id,
                )
            ).values_list("market", flat=True)
        )
    return release_market_dates_set(
        release=release,
        live_at={market: local_midnight(market, day) for market in markets},
    )


@transaction.atomic
def takedown_create(
    *,
    release: Release,
    reason: str,
    track: Track | None = None,
    territories: str = "",
    note: str = "",
    effective_at: datetime.datetime | None = None,
    created_by=None,
) -> Takedown:
    """Take the release (or one track) down, from `effective_at` (default: now) on.

    Availability is rewritten in this transaction, so it is gone at commit.
    """
    if track is not None and track.release_id != release.pk:
        raise ValidationFailed("The track is not on this release.")
    if territories.strip():
        check_territories(territories=territories)
    takedown = Takedown.objects.create(
        release=release,
        track=track,
        territories=" ".join(territory_markets_tokens(territories)),
        reason=reason,
        note=note,
        effective_at=effective_at or timezone.now(),
        created_by=created_by,
    )
    availability_refresh(release_ids={release.pk})
    return takedown


@transaction.atomic
def takedown_lift(*, takedown: Takedown, lifted_at: datetime.datetime | None = None) -> Takedown:
    takedown = Takedown.objects.select_for_update().get(pk=takedown.pk)
    if takedown.lifted_at is not None:
        return takedown
    lifted_at = lifted_at or timezone.now()
    if lifted_at <= takedown.effective_at:
        raise ValidationFailed("A takedown is lifted after it takes effect.")
    takedown.lifted_at = lifted_at
    takedown.save(update_fields=["lifted_at"])
    availability_refresh(release_ids={takedown.release_id})
    return takedown
