"""Which reported plays count: a pure function over the facts ingestion looked up.

`plays_judge` decides, for each play of one listener's batch, a verdict and (when
refused) a reason. A play counts only when all of these hold, checked in this order (the
first failure is the reason):

1. `ended_at` lies in [now - PLAY_MAX_AGE, now + PLAY_CLOCK_SKEW], and `started_at` at
   most a day before that;
2. `ms_played` is at most the wall-clock time between `started_at` and `ended_at` plus
   `elapsed_slack_ms`, and at most the track's duration plus `duration_slack_ms`;
3. the track was playable in the listener's market when the play started;
4. a stream URL for the track was issued to the listener between `grant_max_age` before
   the start and the end of the play (grants are kept per UTC day);
5. the play does not overlap, by more than `overlap_slack_ms`, a play of the listener
   that counts (stored before, or earlier in the batch): one account streams one thing
   at a time, whatever the device.

A counted play is a stream from STREAM_THRESHOLD_MS on, else a play (a skip). Refused
plays occupy no time, so they never cause another play's refusal. The function reads no
database and no clock; callers pass `now` and the facts.
"""

import bisect
import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from playback.models import STREAM_THRESHOLD_MS, PlayEvent

Verdict = PlayEvent.Verdict
Reason = PlayEvent.Reason

PLAY_MAX_AGE = datetime.timedelta(days=7)
PLAY_CLOCK_SKEW = datetime.timedelta(minutes=2)


@dataclass(frozen=True)
class Rules:
    now: datetime.datetime
    duration_slack_ms: int = 5_000
    elapsed_slack_ms: int = 2_000
    overlap_slack_ms: int = 3_000
    grant_max_age: datetime.timedelta = datetime.timedelta(days=30)

    @property
    def earliest_end(self) -> datetime.datetime:
        return self.now - PLAY_MAX_AGE

    @property
    def latest_end(self) -> datetime.datetime:
        return self.now + PLAY_CLOCK_SKEW


@dataclass(frozen=True)
class Candidate:
    track_id: int
    ms_played: int
    started_at: datetime.datetime
    ended_at: datetime.datetime


Window = tuple[datetime.datetime, datetime.datetime | None]
Interval = tuple[datetime.datetime, datetime.datetime]


def _in_windows(at: datetime.datetime, windows: Iterable[Window]) -> bool:
    return any(start <= at and (end is None or at < end) for start, end in windows)


def _granted(play: Candidate, days: Sequence[datetime.date], rules: Rules) -> bool:
    """Whether a grant day lies in [start - grant_max_age, end + clock skew] (UTC days)."""
    first = (play.started_at - rules.grant_max_age).astimezone(datetime.UTC).date()
    last = (play.ended_at + PLAY_CLOCK_SKEW).astimezone(datetime.UTC).date()
    index = bisect.bisect_left(days, first)
    return index < len(days) and days[index] <= last


class _Timeline:
    """The listener's counted plays as sorted, mostly disjoint intervals."""

    def __init__(self, intervals: Iterable[Interval], slack: datetime.timedelta):
        self.intervals = sorted(intervals)
        self.slack = slack

    def overlaps(self, start: datetime.datetime, end: datetime.datetime) -> bool:
        index = bisect.bisect_left(self.intervals, (start, end))
        neighbours = self.intervals[max(index - 2, 0) : index + 2]
        return any(
            other_start < end - self.slack and start < other_end - self.slack
            for other_start, other_end in neighbours
        )

    def add(self, start: datetime.datetime, end: datetime.datetime) -> None:
        bisect.insort(self.intervals, (start, end))


def plays_judge(
    *,
    plays: Sequence[Candidate],
    rules: Rules,
    durations: Mapping[int, int],
    market_windows: Mapping[int, Sequence[Window]],
    grant_days: Mapping[int, Sequence[datetime.date]],
    counted: Iterable[Interval],
) -> list[tuple[str, str]]:
    """Return (verdict, reason) for each of `plays`, in their order.

    `durations`: track id -> duration in ms; `market_windows`: track id -> the
    availability windows in the listener's market; `grant_days`: track id -> sorted UTC
    days with a grant; `counted`: (start, end) of the listener's plays already counted.
    Plays are judged in order of start, so of two overlapping plays the earlier counts.
    """
    timeline = _Timeline(counted, datetime.timedelta(milliseconds=rules.overlap_slack_ms))
    results: list[tuple[str, str]] = [("", "")] * len(plays)
    order = sorted(range(len(plays)), key=lambda i: (plays[i].started_at, plays[i].ended_at))
    for index in order:
        play = plays[index]
        reason = _reason(play, rules, durations, market_windows, grant_days, timeline)
        if reason:
            results[index] = (Verdict.REFUSED, reason)
            continue
        timeline.add(play.started_at, play.ended_at)
        stream = play.ms_played >= STREAM_THRESHOLD_MS
        results[index] = (Verdict.STREAM if stream else Verdict.PLAY, Reason.NONE)
    return results


def _reason(play, rules, durations, market_windows, grant_days, timeline) -> str:
    if not rules.earliest_end <= play.ended_at <= rules.latest_end:
        return Reason.OUT_OF_WINDOW
    if play.started_at < rules.earliest_end - datetime.timedelta(days=1):
        return Reason.OUT_OF_WINDOW
    elapsed_ms = (play.ended_at - play.started_at) / datetime.timedelta(milliseconds=1)
    if play.ms_played > elapsed_ms + rules.elapsed_slack_ms:
        return Reason.LONGER_THAN_ELAPSED
    if play.ms_played > durations.get(play.track_id, 0) + rules.duration_slack_ms:
        return Reason.LONGER_THAN_TRACK
    if not _in_windows(play.started_at, market_windows.get(play.track_id, ())):
        return Reason.NOT_IN_MARKET
    if not _granted(play, grant_days.get(play.track_id, ()), rules):
        return Reason.NO_GRANT
    if timeline.overlaps(play.started_at, play.ended_at):
        return Reason.OVERLAP
    return Reason.NONE
