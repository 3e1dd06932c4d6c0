"""Play-event ingestion: events/s and request latency of POST /api/v1/me/player/events.

Requests go through Django's full stack in-process (middleware, DRF, validation, the one
INSERT ... ON CONFLICT DO NOTHING), logged in with a session. Each batch size is sent
as new events, then the same batches again (client retries: all duplicates).
"""

import argparse
import datetime
import json
import time
import uuid

from _common import bench_database, describe_database, percentile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200, help="requests per row")
    parser.add_argument("--batches", default="1,50,500", help="events per request")
    args = parser.parse_args()

    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from catalog.models import Release, Track
    from playback.models import PlayEvent

    with bench_database():
        release = Release.objects.create(title="Bench")
        tracks = Track.objects.bulk_create(
            Track(title=f"T{n}", release=release, track_number=n + 1) for n in range(50)
        )
        user = User.objects.create_user(email="bench@example.com", country="SE")
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        now = timezone.now()

        def batch(size: int) -> str:
            events = []
            for n in range(size):
                ended = now - datetime.timedelta(seconds=n * 200)
                events.append({
                    "event_id": str(uuid.uuid4()),
                    "track_id": tracks[n % len(tracks)].pk,
                    "ms_played": 10_000 + n * 997 % 200_000,
                    "context_type": "playlist",
                    "context_id": "1",
                    "started_at": (ended - datetime.timedelta(seconds=190)).isoformat(),
                    "ended_at": ended.isoformat(),
                })  # fmt: skip
            return json.dumps({"events": events})

        print(f"database: {describe_database()}; {args.requests} requests per row, 1 client")
        header = (
            f"{'events/request':<16}{'kind':<12}{'events/s':>10}{'req/s':>9}"
            f"{'p50 ms':>9}{'p99 ms':>9}"
        )
        print(header)
        print("-" * len(header))
        for size in (int(s) for s in args.batches.split(",")):
            bodies = [batch(size) for _ in range(args.requests)]
            for kind in ("new", "duplicate"):
                latencies = []
                started = time.perf_counter()
                for body in bodies:
                    sent = time.perf_counter()
                    response = client.post(
                        "/api/v1/me/player/events", body, content_type="application/json"
                    )
                    latencies.append((time.perf_counter() - sent) * 1000)
                    assert response.status_code == 200, response.content
                    counted = response.json()["accepted" if kind == "new" else "duplicates"]
                    assert counted == size
                elapsed = time.perf_counter() - started
                print(
                    f"{size:<16}{kind:<12}{size * args.requests / elapsed:>10.0f}"
                    f"{args.requests / elapsed:>9.1f}{percentile(latencies, 50):>9.2f}"
                    f"{percentile(latencies, 99):>9.2f}"
                )
        print(f"stored: {PlayEvent.objects.count()} events")


if __name__ == "__main__":
    main()
