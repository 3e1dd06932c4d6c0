"""Availability profiles: the stored window sets tracks point at.

The one writer of track availability is `catalog.availability.track_availability_write`
(licensing calls it); these are its building blocks and its market validator.
"""

import datetime
import hashlib
import re
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db import transaction
from django.db.models import Exists, OuterRef

from catalog.models import (
    AvailabilityProfile,
    AvailabilityProfileWindow,
    TrackAvailabilityProfile,
)
from common.errors import ValidationFailed

_MARKET = re.compile(r"^[A-Z]{2}$")
AVAILABILITY_LOCK_KEY = 7_316_001  # pg advisory lock serialising availability writers
_Key = TypeVar("_Key", bound=Hashable)


@dataclass(frozen=True)
class AvailabilityWindow:
    """A track is playable in `market` from `starts_at` until `ends_at` (open when None)."""

    market: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None = None


def availability_window_check(window: AvailabilityWindow) -> None:
    if not _MARKET.fullmatch(window.market):
        raise ValidationFailed(f"Invalid market {window.market!r}: use ISO 3166-1 alpha-2.")
    if window.ends_at is not None and window.ends_at <= window.starts_at:
        raise ValidationFailed(f"Window in {window.market} ends before it starts.")


def availability_digest(windows: Iterable[AvailabilityWindow]) -> str:
    """The SHA-256 naming a set of windows: of its sorted lines `market starts ends` (UTC)."""
    lines = sorted(
        f"{w.market} {_utc_text(w.starts_at)} {_utc_text(w.ends_at) if w.ends_at else '-'}"
        for w in windows
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _utc_text(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def availability_profiles_ensure(
    *, profiles: Mapping[_Key, Sequence[AvailabilityWindow]], batch_size: int = 5000
) -> dict[_Key, int]:
    """Return the id of the stored profile of each non-empty window set, creating the missing.

    Windows are trusted to be valid (see `availability_window_check`). Call it holding the
    availability writers' advisory lock (`catalog.availability`), with the profiles assigned
    before `availability_profiles_prune` can run.
    """
    digests = {key: availability_digest(windows) for key, windows in profiles.items() if windows}
    windows_of = {digest: profiles[key] for key, digest in digests.items()}
    ids = _profile_ids(windows_of, batch_size)
    missing = sorted(set(windows_of) - set(ids))
    if missing:
        with transaction.atomic():
            AvailabilityProfile.objects.bulk_create(
                (AvailabilityProfile(digest=digest) for digest in missing),
                batch_size=batch_size,
                ignore_conflicts=True,
            )
            fresh = _profile_ids(missing, batch_size, without_windows=True)
            AvailabilityProfileWindow.objects.bulk_create(
                (
                    AvailabilityProfileWindow(
                        profile_id=profile_id,
                        market=w.market,
                        starts_at=w.starts_at,
                        ends_at=w.ends_at,
                    )
                    for digest, profile_id in fresh.items()
                    for w in windows_of[digest]
                ),
                batch_size=batch_size,
            )
        ids.update(_profile_ids(missing, batch_size))
    return {key: ids[digest] for key, digest in digests.items()}


def _profile_ids(
    digests: Collection[str], batch_size: int, *, without_windows: bool = False
) -> dict[str, int]:
    queryset = AvailabilityProfile.objects.order_by()
    if without_windows:
        queryset = queryset.exclude(
            Exists(AvailabilityProfileWindow.objects.filter(profile=OuterRef("pk")))
        )
    ordered, found = list(digests), {}
    for i in range(0, len(ordered), batch_size):
        found.update(
            queryset.filter(digest__in=ordered[i : i + batch_size]).values_list("digest", "id")
        )
    return found


def availability_profiles_prune(*, profile_ids: Collection[int] | None = None) -> int:
    """Delete profiles no track points at (of `profile_ids`; None: all). Returns how many."""
    queryset = AvailabilityProfile.objects.exclude(
        Exists(TrackAvailabilityProfile.objects.filter(profile=OuterRef("pk")))
    )
    if profile_ids is not None:
        if not profile_ids:
            return 0
        queryset = queryset.filter(id__in=list(profile_ids))
    AvailabilityProfileWindow.objects.filter(profile__in=queryset.values("id")).delete()
    return queryset.delete()[1].get(AvailabilityProfile._meta.label, 0)
