"""Discover Weekly against baselines on realistic logs; the nightly rebuild at scale.

Default (comparison): for each seed and scale, generates a realistic listening log
(`recommendations.synthetic`: no planted clusters) and runs the offline evaluation
(`recommendations.evaluation`): temporal split, every model tuned on the validation week,
recall@30, NDCG@30, coverage, novelty, paired bootstrap CIs. In memory, no database:

    .venv/bin/python bench/recommendations.py --seeds 1,2 --scales 1000x3000,2000x5000

Prints each table and the peak memory of the whole bench (this process and any child).

`--rebuild` (below): the nightly rebuild at scale on PostgreSQL, timed end to end.

1. Generates (numpy, seeded) a realistic log into PostgreSQL with COPY: listeners in 10
   markets with clustered tastes (two taste clusters each, plus some mainstream listening),
   power-law artist and track popularity, repeat listening, skips (< 30 s) mostly on
   out-of-taste plays, 90 days of plays, releases over five years with a few hundred in
   the last week, availability per market with gaps, follows. Play events go in as rows
   of playback_playevent; the daily tables (DailyListenerTrack, DailyTrackStreams) are
   aggregated from the same plays, as playback's stream-count job would.
2. Runs the nightly rebuild (train, score every listener in chunks, swap Discover Weekly
   and Release Radar) through real Celery workers on Redis (`--inline`: in this process)
   and prints time per stage and peak memory.
3. Checks voyager ANN against exact scoring on a sample (recall, time), for the record.
4. Runs the offline evaluation (last week held out) and prints its table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_reco \\
    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/recommendations.py

The database named in DATABASE_URL is dropped and recreated unless `--reuse` finds the
same data set there already.
"""

import argparse
import datetime
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
from _proc import children_of, peak_rss_kib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamify.settings.base")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

MARKETS = ["US", "GB", "DE", "SE", "BR", "MX", "FR", "JP", "ES", "IN"]
MARKET_WEIGHTS = np.array([30, 10, 10, 5, 12, 8, 8, 7, 5, 5], dtype=float)
CONTEXTS = ["album", "playlist", "personalised", "editorial", "search", "artist", "collection"]
CONTEXT_WEIGHTS = np.array([26, 30, 12, 10, 8, 7, 7], dtype=float)
DAYS = 90
PG_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# Database


def prepare_database(url: str, reuse: bool, signature: str) -> bool:
    """Make sure the database exists and is migrated; True when it already holds the data."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    if not name.startswith("bench"):
        raise SystemExit(f"Refusing to use database {name!r}: its name must start with 'bench'.")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reuse:
            with psycopg.connect(url) as db:
                try:
                    row = db.execute("SELECT value FROM bench_signature").fetchone()
                except psycopg.errors.UndefinedTable:
                    row = None
            if row and row[0] == signature:
                return True
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return False


def copy_rows(table: str, columns: list[str], text: str) -> None:
    from django.db import connection

    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        copy.write(text)


def copy_binary(table: str, columns: list[str], chunks: list[bytes]) -> None:
    from django.db import connection

    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        copy.write(b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8)
        for chunk in chunks:
            copy.write(chunk)
        copy.write(b"\xff\xff")


class WithoutIndexes:
    """Drop a table's indexes and foreign keys for a bulk load; recreate them after."""

    def __init__(self, table: str):
        self.table = table

    def __enter__(self):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('p', 'f', 'u')",
                [self.table],
            )
            self.constraints = cursor.fetchall()
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint "
                "WHERE conrelid = %s::regclass)",
                [self.table, self.table],
            )
            self.indexes = cursor.fetchall()
            for name, _ in self.constraints:
                cursor.execute(f'ALTER TABLE {self.table} DROP CONSTRAINT "{name}"')
            for name, _ in self.indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        return self

    def __exit__(self, *exc):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for name, definition in self.constraints:
                cursor.execute(f'ALTER TABLE {self.table} ADD CONSTRAINT "{name}" {definition}')
            for _, definition in self.indexes:
                cursor.execute(definition)
        return False


def set_sequence(table: str, value: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [value])


# The synthetic world


def zipf_weights(n: int, exponent: float, rng) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights[rng.permutation(n)]


def generate(args, now: datetime.datetime) -> None:
    from django.db import transaction

    from accounts.models import User
    from catalog.availability import AvailabilityPlan, track_availability_write
    from catalog.models import (
        Artist,
        FollowedArtist,
        Release,
        ReleaseArtist,
        Track,
        TrackArtist,
    )
    from catalog.services import AvailabilityWindow
    from playback.models import DailyListenerTrack, DailyTrackStreams, PlayEvent

    rng = np.random.default_rng(args.seed)
    n_users, n_tracks, n_plays, k = args.listeners, args.tracks, args.plays, args.clusters
    per_artist = 10
    n_artists = n_tracks // per_artist
    started = time.monotonic()
    today = now.date()

    # Artists, releases (an album of 7 and an EP of 3 each), tracks.
    artist_cluster = rng.integers(0, k, n_artists)
    artist_weight = zipf_weights(n_artists, 0.9, rng)
    track_artist = np.repeat(np.arange(n_artists), per_artist)
    within = np.tile(np.arange(per_artist), n_artists)
    track_weight = artist_weight[track_artist] / (within + 1.0) ** 0.8
    track_cluster = artist_cluster[track_artist]
    release_of_track = track_artist * 2 + (within >= 7)
    n_releases = n_artists * 2
    release_age = rng.integers(0, 5 * 365, n_releases)
    fresh = rng.random(n_releases) < args.new_release_share
    release_age[fresh] = rng.integers(0, 7, int(fresh.sum()))
    release_date = np.array([today - datetime.timedelta(days=int(a)) for a in release_age])
    track_release_age = release_age[release_of_track]
    track_ids = np.arange(1, n_tracks + 1)
    artist_ids = np.arange(1, n_artists + 1)
    release_ids = np.arange(1, n_releases + 1)
    durations = rng.integers(150_000, 300_000, n_tracks)

    stamp = now.isoformat()
    copy_rows(
        Artist._meta.db_table,
        ["id", "name", "sort_name", "bio", "image", "popularity", "created_at"],
        "".join(f"{a}\tArtist {a}\t\t\t\t0\t{stamp}\n" for a in artist_ids),
    )
    copy_rows(
        Release._meta.db_table,
        ["id", "title", "release_type", "release_date", "cover", "upc", "copyright",
         "popularity", "created_at"],
        "".join(
            f"{r}\tRelease {r}\t{'album' if r % 2 else 'ep'}\t{release_date[r - 1]}"
            f"\t\t\t\t0\t{stamp}\n"
            for r in release_ids
        ),
    )  # fmt: skip
    copy_rows(
        ReleaseArtist._meta.db_table,
        ["release_id", "artist_id", "position"],
        "".join(f"{r}\t{(r - 1) // 2 + 1}\t0\n" for r in release_ids),
    )
    copy_rows(
        Track._meta.db_table,
        ["id", "title", "release_id", "disc_number", "track_number", "duration_ms", "explicit",
         "popularity", "source_file", "created_at"],
        "".join(
            f"{t}\tTrack {t}\t{release_of_track[t - 1] + 1}\t1\t{within[t - 1] % 7 + 1}\t"
            f"{durations[t - 1]}\tf\t0\t\t{stamp}\n"
            for t in track_ids
        ),
    )  # fmt: skip
    copy_rows(
        TrackArtist._meta.db_table,
        ["track_id", "artist_id", "role", "position"],
        "".join(f"{t}\t{track_artist[t - 1] + 1}\tprimary\t0\n" for t in track_ids),
    )
    for table, n in ((Artist, n_artists), (Release, n_releases), (Track, n_tracks)):
        set_sequence(table._meta.db_table, n)

    # Availability through catalog's writer (whatever its storage): every market, with 5%
    # of (track, market) gaps; tracks sharing a market set are written together.
    gaps = rng.random((n_tracks, len(MARKETS))) < 0.05
    masks = gaps @ (1 << np.arange(len(MARKETS)))
    opens = now - datetime.timedelta(days=5 * 365 + 1)
    for mask in np.unique(masks).tolist():
        windows = [
            AvailabilityWindow(market=m, starts_at=opens)
            for i, m in enumerate(MARKETS)
            if not mask & (1 << i)
        ]
        members = track_ids[masks == mask].tolist()
        for start in range(0, len(members), 20_000):
            with transaction.atomic():
                ids = members[start : start + 20_000]
                track_availability_write(
                    plan=AvailabilityPlan.of_tracks(ids, windows), track_ids=ids
                )
    log(
        f"catalogue: {n_artists} artists, {n_releases} releases, {n_tracks} tracks "
        f"({int(fresh.sum())} releases in the last 7 days) in {time.monotonic() - started:.0f} s"
    )

    # Listeners: market, two taste clusters, activity (log-normal).
    user_market = rng.choice(len(MARKETS), n_users, p=MARKET_WEIGHTS / MARKET_WEIGHTS.sum())
    taste = rng.integers(0, k, (n_users, 2))
    activity = rng.lognormal(0, 1.1, n_users)
    drawn = n_plays * 1.1  # some fall before their track's release and are dropped
    plays_per_user = np.maximum(1, np.round(activity / activity.sum() * drawn)).astype(np.int64)
    plays_per_user[rng.random(n_users) < 0.02] = 0  # signed up, never played: cold start
    user_ids = np.arange(1, n_users + 1)
    copy_rows(
        User._meta.db_table,
        ["id", "password", "is_superuser", "is_staff", "is_active", "date_joined", "email",
         "display_name", "country", "language"],
        "".join(
            f"{u}\t!\tf\tf\tt\t{stamp}\tlistener{u}@bench.test\t\t"
            f"{MARKETS[user_market[u - 1]]}\ten\n"
            for u in user_ids
        ),
    )  # fmt: skip
    set_sequence(User._meta.db_table, n_users)

    # Plays, in each listener's order: repeats of earlier plays, taste discoveries,
    # mainstream discoveries.
    total = int(plays_per_user.sum())
    user_of = np.repeat(np.arange(n_users), plays_per_user)
    starts = np.concatenate([[0], np.cumsum(plays_per_user)[:-1]])
    seq = np.arange(total) - np.repeat(starts, plays_per_user)
    roll = rng.random(total)
    repeat = (seq > 0) & (roll < 0.45)
    mainstream = ~repeat & (rng.random(total) < 0.15)
    tasteful = ~repeat & ~mainstream
    track_of = np.zeros(total, dtype=np.int64)
    global_cdf = np.cumsum(track_weight) / track_weight.sum()
    track_of[mainstream] = np.searchsorted(global_cdf, rng.random(int(mainstream.sum())))
    cluster_pick = np.where(rng.random(total) < 0.7, taste[user_of, 0], taste[user_of, 1])
    for c in range(k):
        members = np.flatnonzero(track_cluster == c)
        wanted = np.flatnonzero(tasteful & (cluster_pick == c))
        if len(members) and len(wanted):
            cdf = np.cumsum(track_weight[members]) / track_weight[members].sum()
            track_of[wanted] = members[np.searchsorted(cdf, rng.random(len(wanted)))]
    source = np.arange(total)
    earlier = np.flatnonzero(repeat)
    source[earlier] = starts[user_of[earlier]] + (rng.random(len(earlier)) * seq[earlier]).astype(
        np.int64
    )
    while True:  # a repeat of a repeat: follow the chain to the discovery
        chained = source[source] != source
        if not chained.any():
            break
        source = source[source]
    track_of = track_of[source]
    # Days: sorted within each listener (their sequence is their time line).
    day_of = rng.integers(0, DAYS, total)
    day_of = day_of[np.lexsort((day_of, user_of))]
    # No plays of a track before its release.
    age = DAYS - 1 - day_of  # days before today
    keep = age <= track_release_age[track_of]
    skip_p = np.where(repeat, 0.05, np.where(mainstream, 0.45, 0.12))
    skipped = rng.random(total) < skip_p
    ms = np.where(
        skipped,
        rng.integers(1_000, 29_000, total),
        np.minimum(durations[track_of], rng.integers(30_000, 400_000, total)),
    )
    # Plays were drawn with a margin for those dropped; keep exactly the number asked for.
    kept = np.flatnonzero(keep)
    if len(kept) > n_plays:
        kept = np.sort(rng.choice(kept, n_plays, replace=False))
    user_of, track_of, day_of, ms, skipped = (
        user_of[kept], track_of[kept], day_of[kept], ms[kept], skipped[kept]
    )  # fmt: skip
    total = len(user_of)
    log(f"{total} plays generated for {n_users} listeners in {time.monotonic() - started:.0f} s")

    # Play events (binary COPY, grouped by context so each group has a fixed row layout).
    base = (today - datetime.timedelta(days=DAYS - 1) - PG_EPOCH.date()).days
    seconds_in_day = rng.integers(0, 86_400 - 600, total)
    ended_us = ((base + day_of) * 86_400 + seconds_in_day + ms // 1000 + 1) * 1_000_000
    started_us = ended_us - ms * 1000
    context = rng.choice(len(CONTEXTS), total, p=CONTEXT_WEIGHTS / CONTEXT_WEIGHTS.sum())
    countries = np.array([m.encode() for m in MARKETS])[user_market[user_of]]
    ids = rng.integers(0, 2**63, (total, 2), dtype=np.int64).view(np.uint8).reshape(total, 16)
    ids[:, 6] = (ids[:, 6] & 0x0F) | 0x40  # uuid4
    ids[:, 8] = (ids[:, 8] & 0x3F) | 0x80
    chunks = []
    for c, name in enumerate(CONTEXTS):
        rows = np.flatnonzero(context == c)
        dtype = np.dtype([
            ("n", ">i2"),
            ("l0", ">i4"), ("id", "V16"),
            ("l1", ">i4"), ("user", ">i8"),
            ("l2", ">i4"), ("track", ">i8"),
            ("l3", ">i4"), ("ms", ">i4"),
            ("l4", ">i4"), ("ctx", f"S{len(name)}"),
            ("l5", ">i4"),
            ("l6", ">i4"), ("started", ">i8"),
            ("l7", ">i4"), ("ended", ">i8"),
            ("l8", ">i4"), ("country", "S2"),
            ("l9", ">i4"), ("received", ">i8"),
        ])  # fmt: skip
        block = np.zeros(len(rows), dtype=dtype)
        block["n"] = 10
        for field, width in (("l0", 16), ("l1", 8), ("l2", 8), ("l3", 4), ("l4", len(name)),
                             ("l5", 0), ("l6", 8), ("l7", 8), ("l8", 2), ("l9", 8)):  # fmt: skip
            block[field] = width
        block["id"] = ids[rows].view("V16").ravel()
        block["user"] = user_of[rows] + 1
        block["track"] = track_of[rows] + 1
        block["ms"] = ms[rows]
        block["ctx"] = name.encode()
        block["started"] = started_us[rows]
        block["ended"] = ended_us[rows]
        block["country"] = countries[rows]
        block["received"] = ended_us[rows] + 5_000_000
        chunks.append(block.tobytes())
    if not args.no_events:
        with WithoutIndexes(PlayEvent._meta.db_table):
            copy_binary(
                PlayEvent._meta.db_table,
                ["id", "user_id", "track_id", "ms_played", "context_type", "context_id",
                 "started_at", "ended_at", "country", "received_at"],
                chunks,
            )  # fmt: skip
        log(f"play events loaded in {time.monotonic() - started:.0f} s")
    del chunks, ids

    # DailyListenerTrack: per (user, track, day).
    stream = ~skipped
    key = (user_of.astype(np.int64) * (n_tracks + 1) + track_of) * DAYS + day_of
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    first = np.r_[True, key_sorted[1:] != key_sorted[:-1]]
    group = np.cumsum(first) - 1
    n_groups = int(group[-1]) + 1 if len(group) else 0
    plays = np.bincount(group, minlength=n_groups)
    streams = np.bincount(group, weights=stream[order], minlength=n_groups).astype(np.int64)
    ms_sum = np.bincount(group, weights=ms[order], minlength=n_groups).astype(np.int64)
    g_user = user_of[order][first]
    g_track = track_of[order][first]
    g_day = day_of[order][first]
    dtype = np.dtype([
        ("n", ">i2"), ("l0", ">i4"), ("day", ">i4"), ("l1", ">i4"), ("user", ">i8"),
        ("l2", ">i4"), ("track", ">i8"), ("l3", ">i4"), ("plays", ">i4"), ("l4", ">i4"),
        ("streams", ">i4"), ("l5", ">i4"), ("skips", ">i4"), ("l6", ">i4"), ("ms", ">i8"),
    ])  # fmt: skip
    block = np.zeros(n_groups, dtype=dtype)
    block["n"] = 7
    for field, width in (("l0", 4), ("l1", 8), ("l2", 8), ("l3", 4), ("l4", 4), ("l5", 4),
                         ("l6", 8)):  # fmt: skip
        block[field] = width
    block["day"] = base + g_day
    block["user"] = g_user + 1
    block["track"] = g_track + 1
    block["plays"] = plays
    block["streams"] = streams
    block["skips"] = plays - streams
    block["ms"] = ms_sum
    with WithoutIndexes(DailyListenerTrack._meta.db_table):
        copy_binary(
            DailyListenerTrack._meta.db_table,
            ["day", "user_id", "track_id", "plays", "streams", "skips", "ms_played"],
            [block.tobytes()],
        )
    log(f"{n_groups} daily listener rows loaded in {time.monotonic() - started:.0f} s")

    # DailyTrackStreams: per (day, track, country), one source ("album") for brevity.
    market_of = user_market[user_of]
    key = (track_of.astype(np.int64) * DAYS + day_of) * len(MARKETS) + market_of
    uniq, inverse = np.unique(key, return_inverse=True)
    k_streams = np.bincount(inverse, weights=stream, minlength=len(uniq)).astype(np.int64)
    k_ms = np.bincount(inverse, weights=ms, minlength=len(uniq)).astype(np.int64)
    pair = np.unique(key * (n_users + 1) + user_of)
    listeners = np.bincount(np.searchsorted(uniq, pair // (n_users + 1)), minlength=len(uniq))
    dtype = np.dtype([
        ("n", ">i2"), ("l0", ">i4"), ("day", ">i4"), ("l1", ">i4"), ("track", ">i8"),
        ("l2", ">i4"), ("country", "S2"), ("l3", ">i4"), ("source", "S5"),
        ("l4", ">i4"), ("streams", ">i4"), ("l5", ">i4"), ("listeners", ">i4"),
        ("l6", ">i4"), ("ms", ">i8"),
    ])  # fmt: skip
    block = np.zeros(len(uniq), dtype=dtype)
    block["n"] = 7
    for field, width in (("l0", 4), ("l1", 8), ("l2", 2), ("l3", 5), ("l4", 4), ("l5", 4),
                         ("l6", 8)):  # fmt: skip
        block[field] = width
    rest = uniq // len(MARKETS)
    block["day"] = base + rest % DAYS
    block["track"] = rest // DAYS + 1
    block["country"] = np.array([m.encode() for m in MARKETS])[uniq % len(MARKETS)]
    block["source"] = b"album"
    block["streams"] = k_streams
    block["listeners"] = listeners
    block["ms"] = k_ms
    with WithoutIndexes(DailyTrackStreams._meta.db_table):
        copy_binary(
            DailyTrackStreams._meta.db_table,
            ["day", "track_id", "country", "source", "streams", "listeners", "ms_played"],
            [block.tobytes()],
        )
    log(f"{len(uniq)} daily track rows loaded in {time.monotonic() - started:.0f} s")

    # Follows: a third of listeners follow 1-8 of the artists they play most.
    art_key = np.unique(user_of.astype(np.int64) * n_artists + track_artist[track_of])
    follows = art_key[rng.random(len(art_key)) < 0.04]
    follow_users = follows // n_artists
    keep = np.isin(follow_users, np.flatnonzero(rng.random(n_users) < 0.35))
    follows = follows[keep]
    copy_rows(
        FollowedArtist._meta.db_table,
        ["user_id", "artist_id", "followed_at"],
        "".join(f"{f // n_artists + 1}\t{f % n_artists + 1}\t{stamp}\n" for f in follows.tolist()),
    )
    log(f"{len(follows)} follows; data set complete in {time.monotonic() - started:.0f} s")


# The rebuild


def rebuild_with_workers(args, database_url: str) -> tuple:
    from recommendations import tasks
    from recommendations.models import RecommendationRun
    from streamify.celery import app

    redis_url = os.environ["REDIS_URL"]
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "OPENBLAS_NUM_THREADS": "1",
    }
    app.conf.update(task_always_eager=False, broker_url=redis_url)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "streamify", "worker", "--pool=prefork",
         "-c", str(args.workers), "-Q", queue, "--without-gossip", "--without-mingle",
         "--without-heartbeat", "-l", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    peaks: dict[int, int] = {}
    previous = RecommendationRun.objects.order_by("-pk").first()
    attempts = previous.attempts if previous else 0
    try:
        time.sleep(3)
        started = time.monotonic()
        tasks.recommendations_rebuild.apply_async(
            kwargs={"force": True, "chunk_size": args.chunk_size}, queue=queue
        )
        run = None
        while time.monotonic() - started < 3600:
            pids = [worker.pid, *children_of(worker.pid)]
            for pid, kib in peak_rss_kib(pids).items():
                peaks[pid] = max(peaks.get(pid, 0), kib)
            run = RecommendationRun.objects.order_by("-pk").first()
            fresh = run is not None and (run != previous or run.attempts > attempts)
            if fresh and run.state in ("succeeded", "failed") and run.finished_at:
                break
            time.sleep(0.5)
        wall = time.monotonic() - started
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    return run, wall, peaks


def ann_check(sample: int) -> None:
    """Voyager's recall@150 against exact scoring for a sample of listeners, and timings."""
    import voyager

    from recommendations import als
    from recommendations.models import ModelVersion

    version = ModelVersion.objects.filter(state="ready").order_by("-pk").first()
    items, users = als.unpack(version.item_factors), als.unpack(version.user_factors)
    factors = items["track_factors"][items["track_listeners"] >= 2]
    rng = np.random.default_rng(1)
    queries = users["user_factors"][rng.choice(len(users["user_factors"]), sample, replace=False)]
    k = 150
    started = time.monotonic()
    exact, _ = als.top_k_rows(queries @ factors.T, k)
    exact_s = time.monotonic() - started
    started = time.monotonic()
    index = voyager.Index(voyager.Space.InnerProduct, num_dimensions=factors.shape[1], M=16,
                          ef_construction=100)  # fmt: skip
    index.add_items(factors, num_threads=2)
    build_s = time.monotonic() - started
    print(
        f"ANN check: voyager (inner product, M=16) against exact top {k} of {len(factors)} "
        f"candidate tracks for {sample} listeners; index built in {build_s:.1f} s; exact "
        f"{exact_s * 1000 / sample:.2f} ms/listener"
    )
    qualifies = False
    for ef in (300, 1000, 3000):
        index.ef = ef
        started = time.monotonic()
        found, _ = index.query(queries, k=k, num_threads=2)
        query_s = time.monotonic() - started
        recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(exact, found, strict=True)])
        ok = recall >= 0.95 and query_s < exact_s
        qualifies |= ok
        print(f"  ef={ef:<5} recall {recall:.3f}  {query_s * 1000 / sample:.2f} ms/listener")
    print("  -> voyager qualifies" if qualifies else "  -> exact scoring kept (recall < 0.95)")


def peak_memory_mib() -> float:
    """Peak RSS of this process plus the largest child's (ru_maxrss is in KiB on Linux)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def compare(args) -> None:
    from recommendations import evaluation, synthetic

    started = time.monotonic()
    ratios = []
    for scale in args.scales.split(","):
        listeners, tracks = (int(x) for x in scale.lower().split("x"))
        for seed in (int(s) for s in args.seeds.split(",")):
            t0 = time.monotonic()
            log_ = synthetic.generate(
                synthetic.WorldParams(listeners=listeners, tracks=tracks, seed=seed)
            )
            generated = time.monotonic() - t0
            report = evaluation.evaluate(
                log_, max_listeners=args.max_listeners, seed=seed, threads=args.threads
            )
            print()
            print(f"seed {seed}, {log_.describe()} (generated in {generated:.0f} s)")
            print(
                f"test week: {report.listeners} listeners, {report.held_out} held-out pairs; "
                f"evaluated in {time.monotonic() - t0 - generated:.0f} s"
            )
            print(report.table(), flush=True)
            best = report.best_baseline()
            same = report.ci.get(evaluation.SAME_RULES, {"ratio": (np.nan,) * 3})
            ratios.append((scale, seed, best.name, report.ci[best.name]["ratio"], same["ratio"]))
    print()
    print(
        f"{'scale':<14}{'seed':>5}  {'best baseline':<28}{'DW / best, recall@30 [95% CI]':>32}"
        f"{'same rules (capped) [95% CI]':>32}"
    )
    for scale, seed, name, (ratio, low, high), (s_ratio, s_low, s_high) in ratios:
        print(
            f"{scale:<14}{seed:>5}  {name:<28}{ratio:>14.3f}x [{low:.3f}, {high:.3f}]"
            f"{s_ratio:>14.3f}x [{s_low:.3f}, {s_high:.3f}]"
        )
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"bench: {time.monotonic() - started:.0f} s, peak memory of the whole bench "
        f"{peak_memory_mib():.0f} MiB, load average {load}"
    )


def main() -> None:
    if "--rebuild" not in sys.argv:
        parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
        parser.add_argument("--seeds", default="1,2")
        parser.add_argument("--scales", default="1000x3000,2000x5000")
        parser.add_argument("--max-listeners", type=int, default=2000)
        parser.add_argument("--threads", type=int, default=2)
        args = parser.parse_args()
        compare(args)
        return
    sys.argv.remove("--rebuild")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listeners", type=int, default=100_000)
    parser.add_argument("--tracks", type=int, default=200_000)
    parser.add_argument("--plays", type=int, default=10_000_000)
    parser.add_argument("--clusters", type=int, default=60)
    parser.add_argument("--new-release-share", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reuse", action="store_true", help="Keep a database with this data.")
    parser.add_argument("--no-events", action="store_true", help="Skip playback_playevent.")
    parser.add_argument("--inline", action="store_true", help="Rebuild in this process.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=5000)
    parser.add_argument("--skip-eval", action="store_true")
    parser.add_argument("--ann-sample", type=int, default=2000)
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL=postgres://.../bench_reco (PostgreSQL, COPY).")
    if not args.inline and not os.environ.get("REDIS_URL"):
        raise SystemExit("Set REDIS_URL for the Celery workers, or pass --inline.")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1" if args.inline else "0"
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    signature = (
        f"v3:{args.listeners}:{args.tracks}:{args.plays}:{args.clusters}:"
        f"{args.new_release_share}:{args.seed}:{args.no_events}:{now.date()}"
    )
    started = time.monotonic()
    if prepare_database(database_url, args.reuse, signature):
        log("reusing the data set already in the database")
    else:
        generate(args, now)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("CREATE TABLE bench_signature (value text)")
            cursor.execute("INSERT INTO bench_signature VALUES (%s)", [signature])
        log(f"data set ready in {time.monotonic() - started:.0f} s")

    from recommendations import services
    from recommendations.models import RecommendationRun

    kinds = ["discover_weekly", "release_radar"]
    if args.inline:
        started = time.monotonic()
        run = services.nightly_run_sync(force=True, kinds=kinds)
        wall = time.monotonic() - started
        peaks = {os.getpid(): resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    else:
        run, wall, peaks = rebuild_with_workers(args, database_url)
    run = RecommendationRun.objects.select_related("model_version").get(pk=run.pk)
    version = run.model_version
    print()
    print(
        f"Nightly rebuild on {connection.vendor}: {args.listeners} listeners x {args.tracks} "
        f"tracks x {args.plays} plays; {'inline' if args.inline else f'{args.workers} workers'}"
    )
    print(f"state {run.state} {run.error[:300]}")
    print(f"{'stage':<34}{'seconds':>10}")
    d = run.durations
    chunk_seconds = sorted(run.chunks.values_list("seconds", flat=True))
    rows = [
        ("read listening (binary COPY)", d.get("load")),
        ("train ALS + artists (whole stage)", d.get("train")),
        ("plan chunks", d.get("plan")),
        (f"score {run.chunks_total} chunks (sum over tasks)", d.get("score")),
        ("  slowest chunk", chunk_seconds[-1] if chunk_seconds else None),
        ("swap DW + RR (one transaction)", d.get("swap")),
        ("run total (started -> finished)", d.get("total")),
        ("wall clock, dispatch -> finished", round(wall, 1)),
    ]
    for name, value in rows:
        print(f"{name:<34}{value if value is not None else '-':>10}")
    print(
        f"model {version.pk}: {version.listeners} listeners, {version.tracks} tracks, "
        f"{version.artists} artists, {version.interactions} pairs, factors "
        f"{len(version.item_factors) / 2**20:.0f} MiB items + "
        f"{len(version.user_factors) / 2**20:.0f} MiB listeners"
    )
    print(f"peak RSS per process (MiB): { {p: round(k / 1024) for p, k in peaks.items()} }")
    print(f"counts: {run.counts}")
    print(f"metrics: {run.metrics}")
    ann_check(args.ann_sample)
    if not args.skip_eval:
        from recommendations import evaluation
        from recommendations.scoring import RankingParams

        started = time.monotonic()
        report = evaluation.evaluate(
            params=services.als_params(), ranking_params=RankingParams.from_settings()
        )
        print()
        print(
            f"Offline evaluation: last 7 days held out (from {report.cutoff}), "
            f"{report.listeners} listeners sampled, {report.held_out} held-out tracks, "
            f"{report.train_pairs} training pairs ({time.monotonic() - started:.0f} s)"
        )
        print(report.table(30))
        base = report.rows[0].recall
        print(f"ALS recall@30 / popularity: {report.rows[1].recall / base:.2f}x" if base else "")


if __name__ == "__main__":
    main()
