import datetime

from artists import tasks
from artists.models import ArtistDailyStats
from tests.accounts.factories import UserFactory
from tests.artists.factories import play


def test_build_day_task_is_idempotent(artist, track):
    day = datetime.date(2025, 3, 10)
    play(user=UserFactory(), track=track, day=day)

    first = tasks.insights_build_day.delay(day.isoformat()).get()
    second = tasks.insights_build_day.delay(day.isoformat()).get()

    assert first == second
    assert ArtistDailyStats.objects.get(artist=artist, day=day).streams == 1


def test_refresh_task_builds_the_recent_days(artist, track):
    today = datetime.datetime.now(datetime.UTC).date()
    play(user=UserFactory(), track=track, day=today, hour=0)

    assert tasks.insights_refresh.delay().get() >= 2
    assert ArtistDailyStats.objects.get(artist=artist, day=today).streams == 1
