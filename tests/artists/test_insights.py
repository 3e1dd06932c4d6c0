import datetime

import pytest

from artists import insights
from artists.models import ArtistDailyStats
from common.errors import ValidationFailed

TODAY = datetime.date(2025, 3, 28)


def test_default_period_ends_today():
    period = insights.period_from_params(start=None, end=None, today=TODAY)

    assert (period.start, period.end, period.days) == (datetime.date(2025, 3, 1), TODAY, 28)


def test_two_years_is_the_longest_period():
    assert insights.period_from_params(start="2023-03-28", end="2025-03-28").days == 732
    with pytest.raises(ValidationFailed):
        insights.period_from_params(start="2023-03-27", end="2025-03-28")


def test_timeline_carries_followers_over_days_without_rows(artist):
    def row(day, **fields):
        ArtistDailyStats.objects.create(artist=artist, day=datetime.date(2025, 3, day), **fields)

    row(1, followers=100, follows=100)
    row(4, streams=5, listeners=2, followers=103, follows=3)
    period = insights.period_from_params(start="2025-03-03", end="2025-03-06")

    timeline = insights.artist_timeline(artist=artist, period=period)["items"]
    overview = insights.artist_overview(artist=artist, period=period)

    assert [(d["followers"], d["follows"], d["streams"]) for d in timeline] == [
        (100, 0, 0),
        (103, 3, 5),
        (103, 0, 0),
        (103, 0, 0),
    ]
    assert overview["followers"] == {"gained": 3, "total": 103}
    assert overview["listeners"] == {
        "daily_average": 0.5,
        "peak": 2,
        "peak_day": "2025-03-04",
    }


def test_overview_without_data(artist):
    period = insights.period_from_params(start="2025-03-03", end="2025-03-06")

    overview = insights.artist_overview(artist=artist, period=period)

    assert overview["streams"] == 0
    assert overview["listeners"] == {"daily_average": 0.0, "peak": 0, "peak_day": None}
