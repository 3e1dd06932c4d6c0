import datetime
import socket
import subprocess
import uuid

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from catalog.models import Track
from common.errors import NotFound, ValidationFailed
from mediatools import ffmpeg as audio
from mediatools.errors import ToolError
from mediatools.probe import probe
from playback import services
from playback.errors import Conflict, NotPlayable, PayloadTooLarge, UnavailableInMarket
from playback.models import (
    DEFAULT_PROFILE,
    RENDITION_PROFILES,
    DailyListenerTrack,
    DailyTrackStreams,
    PlayEvent,
    Rendition,
    TrackAudio,
    TranscodeJob,
)
from playback.selectors import codecs_for_request
from playback.signing import (
    StreamGrant,
    TokenExpired,
    TokenInvalid,
    stream_token_make,
    stream_token_read,
)
from tests.catalog.factories import TrackFactory, track_window_add
from tests.playback.conftest import stored_files, uploaded
from tests.playback.factories import PlayEventFactory, RenditionFactory

pytestmark = pytest.mark.django_db


def transcode_all(job_id: int) -> TranscodeJob | None:
    """Run the job's passes one after another, as the queue would."""
    job = services.transcode_job_run(job_id=job_id)
    while job is not None and job.state == TranscodeJob.State.PENDING:
        job = services.transcode_job_run(job_id=job_id)
    return job


def upload_and_transcode(track, path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.track_source_replace(track=track, file=uploaded(path))
    assert callbacks, "transcoding is queued on commit"
    return transcode_all(job.pk)


class TestSourceUpload:
    def test_keeps_original_under_uuid_name_and_queues_a_job(
        self, track, flac_path, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            job = services.track_source_replace(track=track, file=uploaded(flac_path, "my.mp3"))
        track.refresh_from_db()
        name = track.source_file.name
        assert name.startswith("originals/") and name.endswith(".flac")  # by content
        uuid.UUID(name.removeprefix("originals/").removesuffix(".flac"))
        assert default_storage.exists(name)
        assert track.source_sha256 == job.source_sha256 and len(job.source_sha256) == 64
        assert track.duration_ms == 5000
        assert job.state == TranscodeJob.State.PENDING
        info = TrackAudio.objects.get(track=track)
        assert (info.source_codec, info.channels, info.sample_rate) == ("flac", 2, 44100)
        assert len(callbacks) == 1

    @pytest.mark.parametrize("kind", ["text", "image", "truncated_ogg", "empty", "playlist"])
    def test_bad_file_is_rejected_and_nothing_stored(
        self, track, tmp_path, flac_path, mp3_path, kind
    ):
        if kind == "text":
            path = tmp_path / "notes.mp3"
            path.write_text("definitely not audio\n" * 100)
        elif kind == "image":
            path = tmp_path / "cover.flac"
            subprocess.run(
                [
                    audio.ffmpeg_binary(),
                    "-v",
                    "error",
                    "-y",
                    "-f",
                    "lavfi",
                    "-i",
                    "testsrc=size=64x64:duration=1",
                    "-frames:v",
                    "1",
                    "-f",
                    "image2",
                    "-c:v",
                    "png",
                    str(path),
                ],
                check=True,
            )
        elif kind == "truncated_ogg":
            whole = tmp_path / "whole.ogg"
            subprocess.run(
                [
                    audio.ffmpeg_binary(),
                    "-v",
                    "error",
                    "-y",
                    "-i",
                    str(flac_path),
                    "-c:a",
                    "libvorbis",
                    str(whole),
                ],
                check=True,
            )
            path = tmp_path / "cut.ogg"
            path.write_bytes(whole.read_bytes()[: whole.stat().st_size * 6 // 10])
        elif kind == "playlist":
            path = tmp_path / "list.m3u8"
            path.write_text(f"#EXTM3U\n#EXTINF:5,\n{flac_path}\n#EXT-X-ENDLIST\n")
        else:
            path = tmp_path / "empty.wav"
            path.write_bytes(b"")
        before = stored_files("originals")
        with pytest.raises(ValidationFailed) as error:
            services.track_source_replace(track=track, file=uploaded(path))
        assert error.value.message.startswith("Invalid audio file:")
        track.refresh_from_db()
        assert not track.source_file and track.source_sha256 is None
        assert not TrackAudio.objects.exists() and not TranscodeJob.objects.exists()
        assert stored_files("originals") == before

    def test_too_big_is_413_and_nothing_stored(self, track, flac_path, settings):
        settings.UPLOAD_MAX_BYTES = 1000
        before = stored_files("originals")
        with pytest.raises(PayloadTooLarge):
            services.track_source_replace(track=track, file=uploaded(flac_path))
        assert stored_files("originals") == before
        assert not TranscodeJob.objects.exists()

    def test_same_audio_on_another_track_conflicts(self, track, flac_path):
        services.track_source_replace(track=track, file=uploaded(flac_path))
        before = stored_files("originals")
        with pytest.raises(Conflict):
            services.track_source_replace(track=TrackFactory(), file=uploaded(flac_path))
        assert stored_files("originals") == before

    def test_same_audio_again_is_a_no_op(self, track, flac_path):
        job = services.track_source_replace(track=track, file=uploaded(flac_path))
        before = stored_files("originals")
        track.refresh_from_db()
        assert services.track_source_replace(track=track, file=uploaded(flac_path)) == job
        assert stored_files("originals") == before
        TranscodeJob.objects.filter(pk=job.pk).update(state=TranscodeJob.State.FAILED)
        again = services.track_source_replace(track=track, file=uploaded(flac_path))
        assert (again.pk, again.state) == (job.pk, TranscodeJob.State.PENDING)

    @pytest.mark.parametrize("fraction", [0.6, 0.3])
    def test_cut_file_is_accepted_then_fails_the_decode_and_never_plays(
        self, track, tmp_path, flac_path, fraction, django_capture_on_commit_callbacks
    ):
        path = tmp_path / "cut.flac"
        path.write_bytes(flac_path.read_bytes()[: int(flac_path.stat().st_size * fraction)])
        job = services.track_source_replace(track=track, file=uploaded(path))
        assert job.state == TranscodeJob.State.PENDING  # headers are fine: no decode here
        job = transcode_all(job.pk)
        assert job.state == TranscodeJob.State.FAILED
        assert "truncated" in job.error or "corrupt" in job.error
        assert not Rendition.objects.filter(track=track, state=Rendition.State.READY).exists()
        assert TrackAudio.objects.get(track=track).analysed_at is None


class TestTranscode:
    def test_makes_every_rendition_loudness_and_peaks(
        self, track, flac_path, django_capture_on_commit_callbacks
    ):
        job = upload_and_transcode(track, flac_path, django_capture_on_commit_callbacks)
        assert job.state == TranscodeJob.State.READY
        renditions = {r.profile: r for r in Rendition.objects.filter(track=track)}
        assert set(renditions) == set(RENDITION_PROFILES)
        for profile, rendition in renditions.items():
            assert rendition.state == Rendition.State.READY
            assert rendition.source_sha256 == job.source_sha256
            assert job.source_sha256 in rendition.file.name
            assert default_storage.size(rendition.file.name) == rendition.size_bytes > 0
            info = probe(default_storage.path(rendition.file.name))
            assert info.codec == RENDITION_PROFILES[profile].codec
            assert info.duration == pytest.approx(5, abs=0.1)
        info = TrackAudio.objects.get(track=track)
        assert info.loudness_lufs == pytest.approx(-21.8, abs=1.5)
        assert len(info.peaks) == 800 and 0 < max(info.peaks) <= 1
        assert Track.objects.get(pk=track.pk).duration_ms == pytest.approx(5000, abs=30)

    def test_running_twice_creates_nothing_new(
        self, track, flac_path, django_capture_on_commit_callbacks
    ):
        job = upload_and_transcode(track, flac_path, django_capture_on_commit_callbacks)
        files = stored_files("renditions")
        rows = list(Rendition.objects.values_list("pk", "file", "sha256").order_by("pk"))
        assert services.transcode_job_run(job_id=job.pk) is None  # state guard
        # Even forced back to pending, the READY renditions are skipped.
        TranscodeJob.objects.filter(pk=job.pk).update(state=TranscodeJob.State.PENDING)
        assert transcode_all(job.pk).state == TranscodeJob.State.READY
        assert stored_files("renditions") == files
        assert list(Rendition.objects.values_list("pk", "file", "sha256").order_by("pk")) == rows

    def test_rerun_after_lost_worker_overwrites_same_paths(
        self, track, flac_path, django_capture_on_commit_callbacks
    ):
        job = upload_and_transcode(track, flac_path, django_capture_on_commit_callbacks)
        files = stored_files("renditions")
        Rendition.objects.update(state=Rendition.State.PENDING)  # files written, rows not
        TranscodeJob.objects.filter(pk=job.pk).update(state=TranscodeJob.State.PENDING)
        transcode_all(job.pk)
        assert stored_files("renditions") == files
        assert Rendition.objects.filter(state=Rendition.State.READY).count() == len(files)

    def test_failed_transcode_keeps_original_and_can_be_retried(
        self, track, flac_path, django_capture_on_commit_callbacks
    ):
        job = services.track_source_replace(track=track, file=uploaded(flac_path))
        track.refresh_from_db()
        original = default_storage.path(track.source_file.name)
        good = open(original, "rb").read()  # noqa: SIM115
        with open(original, "r+b") as handle:  # corrupt it in storage
            handle.seek(len(good) // 2)
            handle.write(b"\xff" * 4000)
        job = services.transcode_job_run(job_id=job.pk)
        assert job.state == TranscodeJob.State.FAILED and "decode" in job.error
        assert set(Rendition.objects.values_list("state", flat=True)) == {"failed"}
        assert default_storage.exists(track.source_file.name)

        with open(original, "wb") as handle:
            handle.write(good)
        with django_capture_on_commit_callbacks(execute=True):
            services.transcode_job_retry(job=job)  # eager Celery runs it on commit
        job.refresh_from_db()
        assert job.state == TranscodeJob.State.READY
        assert set(Rendition.objects.values_list("state", flat=True)) == {"ready"}

    def test_transient_error_releases_job_for_retry_until_attempts_run_out(
        self, track, flac_path, monkeypatch, settings
    ):
        settings.TRANSCODE_MAX_ATTEMPTS = 2
        job = services.track_source_replace(track=track, file=uploaded(flac_path))

        def broken(*args, **kwargs):
            raise ToolError("ffmpeg crashed")

        monkeypatch.setattr("playback.services.transcoding.transcode", broken)
        with pytest.raises(services.TranscodeInterrupted):
            services.transcode_job_run(job_id=job.pk)
        job.refresh_from_db()
        assert (job.state, job.attempts) == (TranscodeJob.State.PENDING, 1)
        assert services.transcode_job_run(job_id=job.pk).state == TranscodeJob.State.FAILED
        track.refresh_from_db()
        assert default_storage.exists(track.source_file.name)

    def test_replacing_source_keeps_old_renditions_until_new_ones_are_ready(
        self, track, flac_path, mp3_path, django_capture_on_commit_callbacks
    ):
        upload_and_transcode(track, flac_path, django_capture_on_commit_callbacks)
        track.refresh_from_db()
        old_original = track.source_file.name
        old_files = stored_files("renditions")
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            job = services.track_source_replace(track=track, file=uploaded(mp3_path))
        for callback in callbacks[:-1]:  # delete the old original, not the transcode yet
            callback()
        assert not default_storage.exists(old_original)
        assert Rendition.objects.filter(state=Rendition.State.READY).count() == 5
        with django_capture_on_commit_callbacks(execute=True):
            services.transcode_job_run(job_id=job.pk)
        assert set(Rendition.objects.values_list("source_sha256", flat=True)) == {job.source_sha256}
        assert stored_files("renditions").isdisjoint(old_files)  # old files deleted

    def test_requeue_stale_running_job(self, track, flac_path, django_capture_on_commit_callbacks):
        job = services.track_source_replace(track=track, file=uploaded(flac_path))
        past = timezone.now() - datetime.timedelta(minutes=1)
        TranscodeJob.objects.filter(pk=job.pk).update(
            state=TranscodeJob.State.RUNNING, attempts=1, deadline_at=past
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert services.transcode_jobs_requeue_stale() == 1
        job.refresh_from_db()
        # attempts count per pass: the second pass (other renditions) took one
        assert job.state == TranscodeJob.State.READY and job.attempts == 1

    def test_job_of_a_killed_pool_process_is_taken_over_at_once(
        self, track, flac_path, django_capture_on_commit_callbacks
    ):
        job = services.track_source_replace(track=track, file=uploaded(flac_path))
        gone = subprocess.Popen(["true"])
        gone.wait()
        TranscodeJob.objects.filter(pk=job.pk).update(
            state=TranscodeJob.State.RUNNING,
            attempts=1,
            deadline_at=timezone.now() + datetime.timedelta(minutes=5),
            worker=f"{socket.gethostname()}:{gone.pid}",
        )
        # Celery redelivers the message (reject_on_worker_lost): no wait for the deadline.
        assert transcode_all(job.pk).state == TranscodeJob.State.READY

    def test_running_job_within_deadline_is_left_alone(self, track, flac_path):
        job = services.track_source_replace(track=track, file=uploaded(flac_path))
        future = timezone.now() + datetime.timedelta(minutes=5)
        TranscodeJob.objects.filter(pk=job.pk).update(
            state=TranscodeJob.State.RUNNING, deadline_at=future
        )
        assert services.transcode_job_run(job_id=job.pk) is None
        assert services.transcode_jobs_requeue_stale() == 0


class TestStreamGrant:
    def test_round_trip(self, listener):
        expires = timezone.now().replace(microsecond=0) + datetime.timedelta(minutes=5)
        grant = StreamGrant(listener.pk, 2, 3, expires)
        assert stream_token_read(stream_token_make(grant)) == grant

    def test_any_tampering_is_invalid(self, listener):
        grant = StreamGrant(listener.pk, 2, 3, timezone.now() + datetime.timedelta(minutes=5))
        token = stream_token_make(grant)
        payload, signature = token.split(".")
        forged = StreamGrant(listener.pk + 1, 2, 3, grant.expires_at)
        forged_payload = stream_token_make(forged).split(".")[0]
        for bad in [
            f"{forged_payload}.{signature}",  # other user, same signature
            f"{payload}.{signature[:-2]}AA",
            f"{payload}X.{signature}",
            payload,
            "",
            "a.b.c",
            "%%%.###",
        ]:
            with pytest.raises(TokenInvalid):
                stream_token_read(bad)

    def test_expired(self, listener):
        grant = StreamGrant(listener.pk, 2, 3, timezone.now() - datetime.timedelta(seconds=1))
        with pytest.raises(TokenExpired):
            stream_token_read(stream_token_make(grant))

    def test_other_secret_key_is_invalid(self, listener, settings):
        token = stream_token_make(
            StreamGrant(listener.pk, 2, 3, timezone.now() + datetime.timedelta(minutes=5))
        )
        settings.SECRET_KEY = "another-secret-key-for-this-test-0123456789abcdef"
        with pytest.raises(TokenInvalid):
            stream_token_read(token)


class TestStreamUrl:
    def test_quality_picks_best_ready_rendition(self, listener, track):
        for profile in RENDITION_PROFILES:
            RenditionFactory(track=track, profile=profile)
        RenditionFactory(track=TrackFactory(markets=["SE"]), profile="opus_160")

        def pick(codecs, quality):
            issued = services.stream_url_issue(
                user=listener, track_id=track.pk, codecs=codecs, quality=quality
            )
            return issued.rendition.profile

        assert pick(["opus"], "low") == "opus_96"
        assert pick(["opus"], "normal") == "opus_96"
        assert pick(["opus"], "high") == "opus_160"
        assert pick(["aac"], "low") == "aac_128"
        assert pick(["aac"], "high") == "aac_256"
        assert pick(["mp3"], "low") == "mp3_320"

    def test_skips_codecs_without_ready_rendition(self, listener, track):
        RenditionFactory(track=track, profile="aac_128")
        RenditionFactory(track=track, profile="opus_96", state=Rendition.State.FAILED)
        issued = services.stream_url_issue(
            user=listener, track_id=track.pk, codecs=["opus", "aac"], quality="high"
        )
        assert issued.rendition.profile == "aac_128"
        with pytest.raises(NotPlayable):
            services.stream_url_issue(
                user=listener, track_id=track.pk, codecs=["opus"], quality="high"
            )

    def test_market_refusal(self, listener):
        track = TrackFactory(markets=["US"])
        RenditionFactory(track=track)
        with pytest.raises(UnavailableInMarket) as error:
            services.stream_url_issue(
                user=listener, track_id=track.pk, codecs=["opus"], quality="low"
            )
        assert error.value.status == 451 and "SE" in error.value.message

    def test_closed_or_future_window_is_refused(self, listener):
        track = TrackFactory()
        RenditionFactory(track=track)
        now = timezone.now()
        track_window_add(
            track, "SE", now - datetime.timedelta(days=9), now - datetime.timedelta(days=1)
        )
        track_window_add(track, "SE", now + datetime.timedelta(days=1))
        with pytest.raises(UnavailableInMarket):
            services.stream_url_issue(
                user=listener, track_id=track.pk, codecs=["opus"], quality="low"
            )

    def test_unknown_track(self, listener):
        with pytest.raises(NotFound):
            services.stream_url_issue(user=listener, track_id=999999, codecs=["mp3"], quality="low")

    @pytest.mark.parametrize(
        ("accept", "expected"),
        [
            (None, ["opus", "aac", "mp3"]),
            ("*/*", ["opus", "aac", "mp3"]),
            ("audio/mpeg", ["mp3"]),
            ("audio/mp4;q=0.9, audio/mpeg", ["mp3", "aac"]),
            ('audio/ogg; codecs="opus", audio/mpeg;q=0.1', ["opus", "mp3"]),
            ("audio/ogg;q=0, audio/aac", ["aac"]),
        ],
    )
    def test_codecs_from_accept(self, accept, expected):
        assert codecs_for_request(format=None, accept=accept) == expected
        assert codecs_for_request(format="mp3", accept=accept) == ["mp3"]


def event(track, **overrides):
    ended = timezone.now() - datetime.timedelta(minutes=1)
    data = {
        "event_id": uuid.uuid4(),
        "track_id": track.pk,
        "ms_played": 45_000,
        "context_type": "album",
        "context_id": str(track.release_id),
        "started_at": ended - datetime.timedelta(seconds=45),
        "ended_at": ended,
    }
    return data | overrides


class TestPlayEvents:
    def test_ingest_counts_accepted_and_duplicates(self, listener, track):
        batch = [event(track) for _ in range(3)]
        result = services.play_events_ingest(user=listener, events=batch)
        assert (result.accepted, result.duplicates) == (3, 0)
        again = services.play_events_ingest(user=listener, events=[*batch, event(track)])
        assert (again.received, again.accepted, again.duplicates) == (4, 1, 3)
        assert PlayEvent.objects.count() == 4

    def test_duplicate_within_one_batch(self, listener, track):
        one = event(track)
        result = services.play_events_ingest(user=listener, events=[one, one])
        assert (result.accepted, result.duplicates) == (1, 1)

    def test_keeps_client_timestamps_and_country(self, listener, track):
        started = datetime.datetime(2024, 3, 1, 10, 0, 0, 123000, tzinfo=datetime.UTC)
        ended = started + datetime.timedelta(minutes=3)
        services.play_events_ingest(
            user=listener, events=[event(track, started_at=started, ended_at=ended)]
        )
        stored = PlayEvent.objects.get()
        assert (stored.started_at, stored.ended_at, stored.country) == (started, ended, "SE")

    def test_unknown_track_names_index_and_stores_nothing(self, listener, track):
        batch = [event(track), event(track, track_id=987654)]
        with pytest.raises(ValidationFailed) as error:
            services.play_events_ingest(user=listener, events=batch)
        assert "events[1].track_id" in error.value.message
        assert not PlayEvent.objects.exists()


def day_rows():
    tracks = sorted(
        DailyTrackStreams.objects.values_list(
            "day", "track_id", "country", "source", "streams", "listeners", "ms_played"
        )
    )
    listeners = sorted(
        DailyListenerTrack.objects.values_list(
            "day", "user_id", "track_id", "plays", "streams", "skips", "ms_played"
        )
    )
    return tracks, listeners


class TestDailyCounts:
    def test_counts_streams_listeners_and_skips(self, listener, track):
        day = datetime.datetime(2025, 1, 10, 12, tzinfo=datetime.UTC)
        other = PlayEventFactory(track=track, ended_at=day, country="SE").user
        PlayEventFactory(user=listener, track=track, ended_at=day, ms_played=30_000)
        PlayEventFactory(user=listener, track=track, ended_at=day, ms_played=29_999)
        PlayEventFactory(user=listener, track=track, ended_at=day, ms_played=200_000)
        services.stream_counts_build(days=[day.date()])
        row = DailyTrackStreams.objects.get()
        assert (row.day, row.country, row.source) == (day.date(), "SE", "album")
        assert (row.streams, row.listeners) == (4 - 1, 2)
        assert row.ms_played == 180_000 + 30_000 + 29_999 + 200_000
        mine = DailyListenerTrack.objects.get(user=listener)
        assert (mine.plays, mine.streams, mine.skips) == (3, 2, 1)
        assert DailyListenerTrack.objects.get(user=other).streams == 1

    def test_rebuild_equals_incremental(self, listener, track):
        now = timezone.now()
        other_track = TrackFactory()
        for n in range(40):
            ended = now - datetime.timedelta(hours=7 * n)
            PlayEventFactory(
                user=listener if n % 3 else PlayEventFactory().user,
                track=track if n % 2 else other_track,
                ended_at=ended,
                ms_played=(n * 7919) % 200_000,
                context_type=PlayEvent.Context.values[n % 8],
                country="SE" if n % 4 else "NO",
                received_at=now - datetime.timedelta(hours=n),
            )
        # Incrementally: each run sees what was received lately.
        for hours_ago in (36, 24, 12, 0):
            services.stream_counts_refresh_recent(now=now - datetime.timedelta(hours=hours_ago))
        services.stream_counts_refresh_recent(now=now)
        incremental = day_rows()
        DailyTrackStreams.objects.all().delete()
        DailyListenerTrack.objects.all().delete()
        services.stream_counts_rebuild()
        assert day_rows() == incremental
        assert incremental[0]

    def test_rebuild_drops_rows_of_days_without_events(self, track):
        PlayEventFactory(track=track, ended_at=timezone.now())
        services.stream_counts_rebuild()
        empty_day = timezone.now().date() - datetime.timedelta(days=3)
        DailyTrackStreams.objects.update(day=empty_day)
        services.stream_counts_rebuild(since=empty_day - datetime.timedelta(days=1))
        assert not DailyTrackStreams.objects.filter(day=empty_day).exists()
        assert DailyTrackStreams.objects.count() == 1


def test_the_default_rendition_is_ready_before_the_others(track, flac_path):
    job = services.track_source_replace(track=track, file=uploaded(flac_path))
    # First pass: the default rendition, so the track plays before the others exist.
    assert services.transcode_job_run(job_id=job.pk).state == TranscodeJob.State.PENDING
    ready = Rendition.objects.filter(track=track, state=Rendition.State.READY)
    assert list(ready.values_list("profile", flat=True)) == [DEFAULT_PROFILE]
    assert services.transcode_job_run(job_id=job.pk).state == TranscodeJob.State.READY
    assert ready.count() == len(RENDITION_PROFILES)
