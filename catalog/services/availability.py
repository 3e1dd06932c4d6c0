"""Availability profiles and the per-track availability writer."""

import datetime
import hashlib
import re
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from catalog.models import (
    AvailabilityProfile,
    AvailabilityProfileWindow,
    Track,
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


@transaction.atomic
def track_availability_replace(
    *, track_ids: Iterable[int], windows: Iterable[AvailabilityWindow]
) -> tuple[int, int]:
    """Make `windows` the complete availability of every track in `track_ids`.

    This is the writer licensing calls when agreements change. Locks the tracks' rows (and
    serialises with other availability writers on PostgreSQL); the tracks point at the one
    profile holding exactly `windows` (none when empty), so replaying writes nothing.
    Returns (track windows created, track windows deleted).
    """
    wanted: dict[tuple[str, datetime.datetime], datetime.datetime | None] = {}
    for window in windows:
        availability_window_check(window)
        key = (window.market, window.starts_at)
        if wanted.get(key, window.ends_at) != window.ends_at:
            raise ValidationFailed(f"Two windows in {window.market} start at the same time.")
        wanted[key] = window.ends_at

    availability_lock()
    ids = list(
        Track.objects.select_for_update()
        .filter(id__in=list(track_ids))
        .order_by("id")
        .values_list("id", flat=True)
    )
    new_windows = [AvailabilityWindow(m, starts, ends) for (m, starts), ends in wanted.items()]
    profile_id = availability_profiles_ensure(profiles={0: new_windows})[0] if wanted else None
    current = dict(
        TrackAvailabilityProfile.objects.filter(track_id__in=ids).values_list(
            "track_id", "profile_id"
        )
    )
    old_windows: dict[int, set] = {pid: set() for pid in current.values()}
    for pid, *window in AvailabilityProfileWindow.objects.filter(
        profile_id__in=old_windows
    ).values_list("profile_id", "market", "starts_at", "ends_at"):
        old_windows[pid].add(tuple(window))
    new_set = {(w.market, w.starts_at, w.ends_at) for w in new_windows}
    created = deleted = 0
    for track_id in ids:
        old = old_windows.get(current.get(track_id), set())
        created += len(new_set - old)
        deleted += len(old - new_set)

    changed = [track_id for track_id in current if current[track_id] != profile_id]
    if profile_id is None:
        TrackAvailabilityProfile.objects.filter(track_id__in=changed).delete()
    else:
        TrackAvailabilityProfile.objects.filter(track_id__in=changed).update(profile_id=profile_id)
        TrackAvailabilityProfile.objects.bulk_create(
            (
                TrackAvailabilityProfile(track_id=track_id, profile_id=profile_id)
                for track_id in ids
                if track_id not in current
            ),
            batch_size=1000,
        )
    availability_profiles_prune(profile_ids=set(current.values()) - {profile_id})
    return created, deleted


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


def availability_lock() -> None:
    """Serialise availability writers until the transaction ends (PostgreSQL only)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AVAILABILITY_LOCK_KEY])


def availability_profiles_ensure(
    *, profiles: Mapping[_Key, Sequence[AvailabilityWindow]], batch_size: int = 5000
) -> dict[_Key, int]:
    """Return the id of the stored profile of each non-empty window set, creating the missing.

    Windows are trusted to be valid (see `availability_window_check`). Call it holding
    `availability_lock` or the session advisory lock, with the profiles assigned before
    `availability_profiles_prune` can run.
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
