"""Play-event integrity end to end: fraud posted as real batches through the API, then the
count jobs, then daily counts, insights and a royalty statement checked."""

import datetime
import io
import threading
import time
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from api.playback.serializers import PlayEventIngestResultSerializer
from artists.models import TrackDailyStats
from artists.services import insights_rebuild, insights_refresh_recent
from editorial.services import playlist_stats_refresh_recent
from licensing import services as licensing_services
from licensing.models import Takedown
from playback import integrity, services, tasks
from playback.models import DailyTrackStreams, PlayEvent, StreamGrantDay
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ReleaseFactory, TrackFactory
from tests.licensing.factories import AgreementFactory, PartyFactory
from tests.playback.factories import RenditionFactory

EVENTS_URL = "/api/v1/me/player/events"
STREAM_URL = "/api/v1/me/player/stream-url"
Reason = PlayEvent.Reason


@pytest.fixture(autouse=True)
def midday():
    """Plays hours before a grant of "now" must fall on its UTC day (grants are by day): the
    tests run at 12:00 UTC on a fixed day, with the clock ticking."""
    with time_machine.travel(datetime.datetime(2026, 6, 17, 12, tzinfo=datetime.UTC), tick=True):
        yield


def play(track, *, started, ms=180_000, seconds=None, **overrides):
    ended = started + datetime.timedelta(seconds=seconds if seconds is not None else ms / 1000)
    data = {
        "event_id": str(uuid.uuid4()),
        "track_id": track.pk,
        "ms_played": ms,
        "context_type": "album",
        "context_id": "",
        "started_at": started.isoformat(),
        "ended_at": ended.isoformat(),
    }
    return data | overrides


def client_of(user, address="192.0.2.1"):
    client = APIClient(REMOTE_ADDR=address)
    client.force_authenticate(user)
    return client


def post(client, events):
    response = client.post(EVENTS_URL, {"events": events}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def world(db):
    """A label licensed in SE with tracks A and B (audio ready), a track taken down, one
    licensed in the US only, and one with no markets and no audio."""
    party = PartyFactory()
    release = ReleaseFactory(label=party.labels.get())
    a, b, taken_down = (TrackFactory(release=release) for _ in range(3))
    for track in (a, b, taken_down):
        RenditionFactory(track=track)
    AgreementFactory(party=party, territories="SE", starts_on=datetime.date(2020, 1, 1))
    us_only = TrackFactory(markets=["US"])
    RenditionFactory(track=us_only)
    silent = TrackFactory(duration_ms=0)
    return {"a": a, "b": b, "taken_down": taken_down, "us_only": us_only, "silent": silent}


def grant(client, track):
    response = client.get(STREAM_URL, {"track_id": track.pk})
    assert response.status_code == 200, response.content


def test_fraud_batches_count_nowhere(world, staff_user):
    a, b, taken_down = world["a"], world["b"], world["taken_down"]
    now = timezone.now()
    base = now - datetime.timedelta(hours=3)
    honest, attacker = UserFactory(country="SE"), UserFactory(country="SE")
    honest_client, attacker_client = (
        client_of(honest, "192.0.2.1"),
        client_of(attacker, "192.0.2.9"),
    )
    grant(honest_client, a)
    for track in (a, taken_down):
        grant(attacker_client, track)
    licensing_services.takedown_create(
        release=taken_down.release,
        track=taken_down,
        reason=Takedown.Reason.LEGAL,
        effective_at=now - datetime.timedelta(hours=4),
    )

    # An honest listener: three whole plays of A, one after the other.
    honest_plays = [play(a, started=base + datetime.timedelta(seconds=181 * n)) for n in range(3)]
    assert post(honest_client, honest_plays)["accepted"] == 3

    # 200 plays of 31 s "at once": one account streams one thing at a time.
    burst = [play(a, started=base, ms=31_000) for _ in range(200)]
    attacks = [
        play(a, started=base - datetime.timedelta(hours=1), ms=86_400_000, seconds=31),
        play(a, started=base - datetime.timedelta(hours=2), ms=31_000, seconds=0),
        play(world["silent"], started=base - datetime.timedelta(hours=4), ms=31_000),
        play(world["us_only"], started=base - datetime.timedelta(hours=5), ms=31_000),
        play(b, started=base - datetime.timedelta(hours=6), ms=31_000),  # no stream URL
        play(taken_down, started=base - datetime.timedelta(minutes=30), ms=31_000),
        play(a, started=base, ms=31_000, context_type="playlist", context_id="999999"),
    ]
    absurd = [
        play(a, started=datetime.datetime(year, 6, 1, tzinfo=datetime.UTC), ms=31_000)
        for year in (1, 1970, 2036, 9999)
    ]
    result = post(attacker_client, burst + attacks + absurd)
    assert result == {"received": 211, "accepted": 211, "duplicates": 0}

    refused = dict(
        PlayEvent.objects.filter(user=attacker, verdict=PlayEvent.Verdict.REFUSED)
        .values_list("reason")
        .annotate(n=Count("pk"))
    )
    assert refused == {
        Reason.OVERLAP: 199 + 1,
        Reason.LONGER_THAN_ELAPSED: 2,
        Reason.LONGER_THAN_TRACK: 1,
        Reason.NOT_IN_MARKET: 2,
        Reason.NO_GRANT: 1,
        Reason.OUT_OF_WINDOW: 4,
    }
    assert PlayEvent.objects.filter(user=attacker).exclude(verdict="refused").count() == 1
    assert set(PlayEvent.objects.filter(user=attacker).values_list("address", flat=True)) == {
        "192.0.2.9"
    }

    # The jobs: neither an OverflowError on year 9999 nor a walk from year 1.
    assert tasks.stream_counts_refresh.delay().get() <= 2
    assert len(services.stream_counts_rebuild()) <= 9
    insights_refresh_recent()
    assert len(insights_rebuild()) <= 9
    playlist_stats_refresh_recent()

    counts = DailyTrackStreams.objects.filter(track=a).aggregate(
        streams=Sum("streams"), listeners=Sum("listeners")
    )
    assert counts == {"streams": 4, "listeners": 2}
    assert not DailyTrackStreams.objects.exclude(track=a).exists()
    insights = TrackDailyStats.objects.filter(track=a).aggregate(streams=Sum("streams"))
    assert insights["streams"] == 4
    assert not TrackDailyStats.objects.exclude(track=a).filter(streams__gt=0).exists()

    month = base.date().replace(day=1)
    licensing_services.revenue_pool_set(month=month, territory="SE", amount=Decimal("40.00"))
    agreement = a.release.label.licensing_parties.get().agreements.get()
    statement = licensing_services.royalty_statement_issue(agreement=agreement, month=month)
    assert statement.streams == 4
    territory = statement.territories.get()
    assert (territory.territory_streams, territory.pool_share) == (4, Decimal("40.00"))
    assert {line.isrc for line in statement.lines.all()} == {a.isrc}

    # The fraud report ranks the attacker first, in the command and in admin.
    out = io.StringIO()
    call_command("fraud_report", stdout=out)
    accounts = out.getvalue().split("tracks")[0]
    assert attacker.email in accounts and honest.email not in accounts
    admin = APIClient()
    admin.force_login(staff_user)
    page = admin.get("/admin/playback/playevent/fraud-report/")
    assert page.status_code == 200
    assert attacker.email in page.content.decode()
    listing = admin.get("/admin/playback/playevent/", {"verdict__exact": "refused"})
    assert listing.status_code == 200


def test_overlap_holds_across_batches_and_devices(world):
    a = world["a"]
    listener = UserFactory(country="SE")
    phone, laptop = client_of(listener, "192.0.2.1"), client_of(listener, "198.51.100.7")
    grant(phone, a)
    start = timezone.now() - datetime.timedelta(hours=1)
    post(phone, [play(a, started=start)])
    post(laptop, [play(a, started=start + datetime.timedelta(seconds=60))])
    post(laptop, [play(a, started=start + datetime.timedelta(seconds=181))])
    verdicts = list(PlayEvent.objects.order_by("started_at").values_list("verdict", "reason"))
    assert verdicts == [("stream", ""), ("refused", "overlap"), ("stream", "")]


def test_a_retried_batch_keeps_its_verdicts(world):
    a = world["a"]
    listener = UserFactory(country="SE")
    client = client_of(listener)
    grant(client, a)
    start = timezone.now() - datetime.timedelta(hours=1)
    batch = [play(a, started=start), play(a, started=start, ms=10_000)]
    post(client, batch)
    assert post(client, batch) == {"received": 2, "accepted": 0, "duplicates": 2}
    # Of two overlapping plays the one starting first (then ending first) counts.
    assert sorted(PlayEvent.objects.values_list("verdict", "reason")) == [
        ("play", ""),
        ("refused", "overlap"),
    ]


def test_the_answer_has_the_documented_fields(world):
    """The view writes the result out by hand; the schema documents it with a serializer."""
    client = client_of(UserFactory(country="SE"))
    grant(client, world["a"])
    body = post(client, [play(world["a"], started=timezone.now() - datetime.timedelta(hours=1))])
    assert set(body) == set(PlayEventIngestResultSerializer().fields)
    assert body == {"received": 1, "accepted": 1, "duplicates": 0}


def test_short_plays_count_as_plays_not_streams(world):
    a = world["a"]
    listener = UserFactory(country="SE")
    client = client_of(listener)
    grant(client, a)
    start = timezone.now() - datetime.timedelta(hours=1)
    post(client, [play(a, started=start, ms=29_999, seconds=30)])
    assert PlayEvent.objects.get().verdict == PlayEvent.Verdict.PLAY


def test_grants_are_recorded_once_a_day(world):
    listener = UserFactory(country="SE")
    client = client_of(listener)
    for _ in range(3):
        grant(client, world["a"])
    assert StreamGrantDay.objects.filter(user=listener, track=world["a"]).count() == 1


def test_budgets_per_listener_and_per_address_answer_429(world, settings):
    settings.PLAY_EVENTS_LIMIT_PER_USER = 5
    settings.PLAY_EVENTS_LIMIT_PER_ADDRESS = 8
    a = world["a"]
    start = timezone.now() - datetime.timedelta(hours=1)
    first, second = UserFactory(country="SE"), UserFactory(country="SE")
    first_client = client_of(first, "203.0.113.5")
    post(first_client, [play(a, started=start) for _ in range(4)])
    response = first_client.post(
        EVENTS_URL, {"events": [play(a, started=start) for _ in range(2)]}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["error"]["status"] == 429
    assert int(response["Retry-After"]) > 0
    assert PlayEvent.objects.count() == 4

    second_client = client_of(second, "203.0.113.5")
    post(second_client, [play(a, started=start)])
    response = second_client.post(
        EVENTS_URL, {"events": [play(a, started=start) for _ in range(4)]}, format="json"
    )
    assert response.status_code == 429
    assert "address" in response.json()["error"]["message"]
    settings.PLAY_EVENTS_LIMIT_PER_USER = 100
    other_address = client_of(second, "203.0.113.6")
    assert post(other_address, [play(a, started=start)])["accepted"] == 1


@pytest.mark.parametrize("size", [1, 50, 500])
def test_a_batch_is_judged_in_constant_queries(world, settings, size):
    settings.PLAY_EVENTS_LIMIT_PER_USER = 10**6
    a, b = world["a"], world["b"]
    listener = UserFactory(country="SE")
    start = timezone.now() - datetime.timedelta(hours=6)
    for track in (a, b):
        StreamGrantDay.objects.create(user=listener, track=track, day=start.date())
    plays = [
        services_event(play(a if n % 2 else b, started=start + datetime.timedelta(seconds=31 * n),
                            ms=30_000))
        for n in range(size + 1)
    ]  # fmt: skip
    services.play_events_ingest(user=listener, events=plays[:1])  # warm caches
    with CaptureQueriesContext(connection) as queries:
        result = services.play_events_ingest(user=listener, events=plays[1:])
    assert (result.accepted, result.refused) == (size, 0), list(
        PlayEvent.objects.values_list("reason").annotate(n=Count("pk"))
    )
    # Savepoint, lock with grants and track facts, counted plays, insert, release (on
    # PostgreSQL prepared statements). SQLite: facts, grants and counted plays on their own.
    expected = 5 if connection.vendor == "postgresql" else 6
    assert len(queries) == expected, [q["sql"][:80] for q in queries]


@pytest.mark.postgres  # prepared statements
def test_statements_lost_by_the_connection_are_prepared_again(world, settings):
    """After DEALLOCATE ALL (a rollback makes psycopg send one too) the next batch prepares
    the statements again and is judged as usual."""
    settings.PLAY_EVENTS_LIMIT_PER_USER = 10**6
    a, b = world["a"], world["b"]
    listener = UserFactory(country="SE")
    start = timezone.now() - datetime.timedelta(hours=6)
    for track in (a, b):
        StreamGrantDay.objects.create(user=listener, track=track, day=start.date())
    plays = [
        services_event(play(a if n % 2 else b, started=start + datetime.timedelta(minutes=4 * n)))
        for n in range(4)
    ]
    assert services.play_events_ingest(user=listener, events=plays[:1]).accepted == 1
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    # One statement serves one track or two (the facts' IN list is an array).
    assert services.play_events_ingest(user=listener, events=plays[1:2]).accepted == 1
    result = services.play_events_ingest(user=listener, events=plays[2:])
    assert (result.accepted, result.refused) == (2, 0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{PlayEvent._meta.db_table}%"],
        )
        assert cursor.fetchone()[0] == 2  # counted plays, insert (the lock's reads grants)


@pytest.mark.postgres  # an advisory lock, watched in pg_locks (SQLite has one writer at a time)
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_of_one_listener_never_both_count(world):
    """The second batch waits for the first's lock and then sees its committed play."""
    a = world["a"]
    listener = UserFactory(country="SE")
    grant(client_of(listener), a)
    start = timezone.now() - datetime.timedelta(hours=1)
    first = services_event(play(a, started=start))
    second = services_event(play(a, started=start + datetime.timedelta(seconds=60)))
    holding, release = threading.Event(), threading.Event()
    failures = []

    def run(batch, hold):
        try:
            with transaction.atomic():
                services.play_events_ingest(user=listener, events=[batch])
                if hold:
                    holding.set()
                    release.wait(30)
        except Exception as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            connections.close_all()

    holder = threading.Thread(target=run, args=(first, True))
    holder.start()
    assert holding.wait(30)
    waiter = threading.Thread(target=run, args=(second, False))
    waiter.start()
    deadline = time.monotonic() + 30
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:  # until the waiter blocks on the lock
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                           "AND NOT granted")  # fmt: skip
            if cursor.fetchone()[0]:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the second batch never waited for the listener's lock")
    release.set()
    holder.join(30)
    waiter.join(30)
    assert not failures
    verdicts = list(PlayEvent.objects.order_by("started_at").values_list("verdict", "reason"))
    assert verdicts == [("stream", ""), ("refused", "overlap")]


def services_event(data: dict) -> dict:
    """An API event as the service takes it (parsed ids and timestamps)."""
    return data | {
        "event_id": uuid.UUID(data["event_id"]),
        "started_at": datetime.datetime.fromisoformat(data["started_at"]),
        "ended_at": datetime.datetime.fromisoformat(data["ended_at"]),
    }


def test_rules_off_counts_by_duration_only(world, settings):
    settings.PLAY_EVENTS_INTEGRITY = False
    listener = UserFactory(country="SE")
    start = timezone.now() - datetime.timedelta(hours=1)
    post(client_of(listener), [play(world["b"], started=start, ms=31_000)])
    assert PlayEvent.objects.get().verdict == PlayEvent.Verdict.STREAM


class TestJudge:
    """The pure rules, without a database."""

    now = datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.UTC)

    def judge(self, plays, *, counted=(), windows=None, grants=None):
        start = self.now - datetime.timedelta(days=365)
        return integrity.plays_judge(
            plays=plays,
            rules=integrity.Rules(now=self.now),
            durations={1: 200_000},
            market_windows={1: [(start, None)]} if windows is None else windows,
            grant_days={1: [self.now.date() - datetime.timedelta(days=10)]}
            if grants is None
            else grants,
            counted=counted,
        )

    def candidate(self, minutes_ago, ms=60_000, seconds=None):
        started = self.now - datetime.timedelta(minutes=minutes_ago)
        elapsed = datetime.timedelta(seconds=seconds if seconds is not None else ms / 1000)
        return integrity.Candidate(
            track_id=1, ms_played=ms, started_at=started, ended_at=started + elapsed
        )

    def test_window_edges(self):
        week = 7 * 24 * 60
        assert self.judge([self.candidate(week + 2)])[0] == ("refused", "out_of_window")
        assert self.judge([self.candidate(week - 1)])[0] == ("stream", "")
        assert self.judge([self.candidate(-3)])[0] == ("refused", "out_of_window")

    def test_slack_on_duration_and_elapsed(self):
        assert self.judge([self.candidate(60, ms=205_000)])[0] == ("stream", "")
        assert self.judge([self.candidate(60, ms=205_001)])[0] == (
            "refused",
            "longer_than_track",
        )
        assert self.judge([self.candidate(60, ms=62_000, seconds=60)])[0] == ("stream", "")
        assert self.judge([self.candidate(60, ms=62_001, seconds=60)])[0][1] == (
            "longer_than_elapsed"
        )

    def test_grant_must_precede_the_play_within_its_age(self):
        late = {1: [self.now.date() + datetime.timedelta(days=1)]}
        old = {1: [self.now.date() - datetime.timedelta(days=40)]}
        for grants in (late, old, {}):
            assert self.judge([self.candidate(60)], grants=grants)[0][1] == "no_grant"

    def test_market_window_at_the_start(self):
        closed = {
            1: [(self.now - datetime.timedelta(days=9), self.now - datetime.timedelta(hours=2))]
        }
        assert self.judge([self.candidate(60)], windows=closed)[0][1] == "not_in_market"
        assert self.judge([self.candidate(180)], windows=closed)[0] == ("stream", "")

    def test_overlap_with_stored_plays_and_small_slack(self):
        stored = [
            (self.now - datetime.timedelta(minutes=10), self.now - datetime.timedelta(minutes=9))
        ]
        touching = self.candidate(9 + 2 / 60)  # 2 s of overlap: within the slack
        assert self.judge([touching], counted=stored)[0] == ("stream", "")
        assert self.judge([self.candidate(9.5)], counted=stored)[0][1] == "overlap"
