"""Availability as a function of rights: grants, per-market go-live moments and takedowns.

Pure computation, no database: `market_windows` turns what licensing knows about one
release (or track) into the windows the catalog stores. Intervals are half-open
[start, end); an end of None is open.
"""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from catalog.services import AvailabilityWindow

_OPEN = datetime.datetime.max.replace(tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Grant:
    """An active agreement: playable in `markets` from `starts_at` until `ends_at`."""

    markets: frozenset[str]
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None


@dataclass(frozen=True)
class Block:
    """A takedown: not playable in `markets` (None: everywhere) from `starts_at` until lifted."""

    markets: frozenset[str] | None
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None


Interval = tuple[datetime.datetime, datetime.datetime]


def market_windows(
    *,
    grants: Iterable[Grant],
    live_at: Mapping[str, datetime.datetime] | None = None,
    blocks: Iterable[Block] = (),
) -> list[AvailabilityWindow]:
    """Return the windows per market: the union of the grants, from the market's go-live
    moment on, minus the blocks; sorted by market and start."""
    grants, blocks, live_at = list(grants), list(blocks), live_at or {}
    markets = sorted(set().union(*(grant.markets for grant in grants)))
    windows = []
    for market in markets:
        intervals = _union(
            (grant.starts_at, grant.ends_at or _OPEN) for grant in grants if market in grant.markets
        )
        if market in live_at:
            intervals = _clip_start(intervals, live_at[market])
        for block in blocks:
            if block.markets is None or market in block.markets:
                intervals = _subtract(intervals, (block.starts_at, block.ends_at or _OPEN))
        windows.extend(
            AvailabilityWindow(
                market=market, starts_at=start, ends_at=None if end == _OPEN else end
            )
            for start, end in intervals
        )
    return windows


def _union(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:  # overlapping or touching: one window
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _clip_start(intervals: Sequence[Interval], moment: datetime.datetime) -> list[Interval]:
    return [(max(start, moment), end) for start, end in intervals if end > moment]


def _subtract(intervals: Sequence[Interval], hole: Interval) -> list[Interval]:
    out = []
    for start, end in intervals:
        if hole[1] <= start or hole[0] >= end:
            out.append((start, end))
            continue
        if start < hole[0]:
            out.append((start, hole[0]))
        if hole[1] < end:
            out.append((hole[1], end))
    return out
