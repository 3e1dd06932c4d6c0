"""Redis stops (losing every queued message and cache entry) and comes back during work.

Facts live in PostgreSQL: while Redis is down the listener-facing API keeps answering and
storing, uploads are accepted; afterwards the periodic sweep re-queues what the broker lost
and every job finishes once.
"""

import datetime
import uuid

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from playback import tasks as playback_tasks
from playback.models import PlayEvent, Rendition, TranscodeJob
from tests.accounts.factories import UserFactory
from tests.catalog.factories import TrackFactory
from tests.faults.conftest import redis_stopped, send, wait_for
from tests.faults.test_worker_kill import _all_ready, _assert_each_output_once, _music, _uploads
from tests.playback.factories import RenditionFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def _events(tracks, count: int) -> list[dict]:
    now = timezone.now()
    return [
        {
            "event_id": str(uuid.uuid4()),
            "track_id": tracks[n % len(tracks)].pk,
            "ms_played": 45_000,
            "context_type": "album",
            "started_at": (now - datetime.timedelta(seconds=60 + n)).isoformat(),
            "ended_at": (now - datetime.timedelta(seconds=15 + n)).isoformat(),
        }
        for n in range(count)
    ]


def test_redis_restart_loses_nothing_that_matters(start_worker, media_root, tmp_path):
    listener = UserFactory(country="SE")
    playable = TrackFactory(markets=["SE"])
    playable_file = RenditionFactory(track=playable).file.name
    uploader = UserFactory(is_staff=True, is_superuser=True)
    api, staff = APIClient(), APIClient()
    api.force_authenticate(listener)
    staff.force_authenticate(uploader)

    jobs = _uploads(tmp_path, 2)  # their messages wait in Redis
    worker = start_worker()
    wait_for(
        lambda: TranscodeJob.objects.filter(state="running").exists(),
        timeout=60,
        what="work in flight",
    )
    sent = []
    with redis_stopped():
        # The listener-facing API answers from PostgreSQL alone.
        for _ in range(3):
            batch = _events([playable], 20)
            response = api.post("/api/v1/me/player/events", {"events": batch}, format="json")
            assert response.status_code == 200, response.content
            assert response.json()["accepted"] == 20
            sent += [event["event_id"] for event in batch]
        response = api.get("/api/v1/me/player/stream-url", {"track_id": playable.pk})
        assert response.status_code == 200, response.content
        assert api.get("/api/v1/search", {"q": "track", "type": "track"}).status_code == 200
        assert api.get("/api/v1/me").status_code == 200
        browser = Client()  # login: the throttle falls back to per-process counters
        login = browser.post(
            "/accounts/login/", {"username": listener.email, "password": "listen-to-this-1"}
        )
        assert login.status_code == 302
        # An upload is accepted; its task cannot be queued now (the sweep will queue it).
        path = _music(tmp_path / "during-outage.flac", 523)
        with path.open("rb") as handle:
            response = staff.post(f"/api/v1/tracks/{TrackFactory().pk}/source", {"file": handle})
        assert response.status_code == 202, response.content
        jobs.append(TranscodeJob.objects.get(pk=response.json()["job"]["id"]))

    # Redis is back and empty. Sessions (database) survived; the worker reconnected.
    assert browser.get("/api/v1/me").status_code == 200
    # Beat's next sweep finds jobs whose message is gone (PENDING for longer than
    # TRANSCODE_STALE_AFTER_SECONDS) and queues them again.
    stale = timezone.now() - datetime.timedelta(seconds=settings.TRANSCODE_STALE_AFTER_SECONDS + 1)
    TranscodeJob.objects.filter(state="pending").update(queued_at=stale)
    send(playback_tasks.transcode_requeue_stale)
    wait_for(_all_ready([j.pk for j in jobs], worker), timeout=150, what="every job READY")

    assert set(map(str, PlayEvent.objects.values_list("id", flat=True))) == set(sent)
    _assert_each_output_once(jobs, media_root, others={playable_file})
    assert Rendition.objects.filter(track__in=[j.track_id for j in jobs]).count() == 15
