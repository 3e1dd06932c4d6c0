"""SIGKILL Celery workers mid-transcode and mid-rebuild: every job finishes, once.

The database owns the state of jobs and runs; the broker only carries ids. A job whose
worker died is taken up again by the periodic requeue (beat) or by Celery's redelivery of
the lost message, and a re-run skips what is done and overwrites at the same paths.
"""

import datetime
import hashlib
import os
import signal
import subprocess
import time
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.utils import timezone

from catalog.models import PlaylistItem
from mediatools import ffmpeg as audio
from playback import services
from playback import tasks as playback_tasks
from playback.models import RENDITION_PROFILES, Rendition, TrackAudio, TranscodeJob
from recommendations import tasks as reco_tasks
from recommendations.models import PersonalisedPlaylist, RecommendationRun, RunChunk, StagedTrack
from tests.catalog.factories import TrackFactory
from tests.faults.conftest import send, unacked, wait_for
from tests.playback.conftest import stored_files
from tests.recommendations.factories import build_world

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

SECONDS = 45  # of audio per upload: 3-5 s of transcoding, long enough to be killed in


def _music(path, frequency: int):
    """Chord plus noise (encoders work as hard as on music); distinct per frequency."""
    chord = "+".join(f"0.2*sin({f}*2*PI*t)" for f in (frequency, frequency * 1.26, frequency * 1.5))
    subprocess.run(
        [audio.ffmpeg_binary(), "-v", "error", "-y",
         "-f", "lavfi", "-i", f"aevalsrc={chord}|{chord}:s=44100:d={SECONDS}",
         "-f", "lavfi", "-i", f"anoisesrc=a=0.05:d={SECONDS}:r=44100",
         "-filter_complex", "[1]aformat=channel_layouts=stereo[n];[0][n]amix=inputs=2",
         "-c:a", "flac", str(path)],
        check=True,
    )  # fmt: skip
    return path


def _uploads(tmp_path, count: int, first: int = 0) -> list[TranscodeJob]:
    """Tracks with a new original each; their transcode tasks are queued on commit."""
    jobs = []
    for n in range(first, first + count):
        path = _music(tmp_path / f"music-{n}.flac", 200 + 37 * n)
        upload = SimpleUploadedFile(path.name, path.read_bytes(), "audio/flac")
        jobs.append(services.track_source_replace(track=TrackFactory(), file=upload))
    return jobs


def _job_half_done():
    """A RUNNING job with some renditions written and some not."""
    for job in TranscodeJob.objects.filter(state=TranscodeJob.State.RUNNING):
        ready = Rendition.objects.filter(track_id=job.track_id, state=Rendition.State.READY)
        if 1 <= ready.count() < len(RENDITION_PROFILES):
            return job
    return None


def _all_ready(job_ids, worker):
    def check():
        assert worker.alive(), worker.log()
        states = set(TranscodeJob.objects.filter(pk__in=job_ids).values_list("state", flat=True))
        assert TranscodeJob.State.FAILED not in states, worker.log()
        return states == {TranscodeJob.State.READY}

    return check


def _assert_each_output_once(jobs, media_root, others=frozenset()):
    profiles = set(RENDITION_PROFILES)
    expected = set()
    for job in jobs:
        renditions = Rendition.objects.filter(track_id=job.track_id)
        assert sorted(renditions.values_list("profile", flat=True)) == sorted(profiles)
        for rendition in renditions:
            assert rendition.state == Rendition.State.READY
            assert rendition.source_sha256 == job.source_sha256
            name = services.rendition_path(
                source_sha256=job.source_sha256, profile=rendition.profile
            )
            assert rendition.file.name == name
            content = (media_root / name).read_bytes()
            assert len(content) == rendition.size_bytes
            assert hashlib.sha256(content).hexdigest() == rendition.sha256
            expected.add(name)
        track_audio = TrackAudio.objects.get(track_id=job.track_id)
        assert track_audio.loudness_lufs is not None and track_audio.peaks
    assert stored_files("renditions") - others == expected  # no stray or duplicate files
    assert len(stored_files("originals")) == len(jobs)


def test_node_killed_mid_transcode_jobs_finish_on_a_new_worker(start_worker, media_root, tmp_path):
    first = start_worker()
    jobs, victim = [], None
    while victim is None and len(jobs) < 4:
        jobs += _uploads(tmp_path, 2 if not jobs else 1, first=len(jobs))
        victim = _stopped_half_done(first, node=True)
    assert victim is not None, "every transcode finished before the node could be stopped"
    first.kill_node()

    victim.refresh_from_db()
    assert victim.state == TranscodeJob.State.RUNNING  # lost: its worker is gone
    assert victim.attempts == 1
    second = start_worker()
    # Its deadline passes (TRANSCODE_STALE_AFTER_SECONDS); beat then sends the sweep.
    TranscodeJob.objects.filter(pk=victim.pk).update(
        deadline_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    send(playback_tasks.transcode_requeue_stale)
    wait_for(_all_ready([j.pk for j in jobs], second), timeout=120, what="every job READY")

    victim.refresh_from_db()
    assert victim.attempts == 2 and victim.finished_at is not None
    _assert_each_output_once(jobs, media_root)
    files = {name: (media_root / name).stat().st_mtime_ns for name in stored_files("renditions")}
    # The killed worker's message comes back after the broker's visibility timeout: no-op.
    assert playback_tasks.transcode_track.apply(args=[victim.pk]).get() is None
    assert {n: (media_root / n).stat().st_mtime_ns for n in files} == files
    assert Rendition.objects.count() == len(jobs) * len(RENDITION_PROFILES)


def _child(job: TranscodeJob) -> int:
    return int(job.worker.rpartition(":")[2])


def _stopped_half_done(worker, *, node: bool = False) -> TranscodeJob | None:
    """SIGSTOP the pool child of a half-done job (the whole worker with `node`); the job,
    or None when its pass ended first (on a loaded machine a pass can end between a look
    and a signal: the job is then PENDING for its next pass, or READY), and the worker
    goes on."""
    victim = wait_for(_job_half_done, timeout=90, interval=0.05, what="a half-done transcode")
    if node:
        worker.pause()
    else:
        pid = _child(victim)
        assert pid in worker.children()
        os.kill(pid, signal.SIGSTOP)
    victim.refresh_from_db()
    ready = Rendition.objects.filter(track_id=victim.track_id, state=Rendition.State.READY)
    if victim.state == TranscodeJob.State.RUNNING and ready.count() < len(RENDITION_PROFILES):
        return victim
    if node:
        worker.resume()
    else:
        os.kill(pid, signal.SIGCONT)
    return None


def test_pool_child_killed_mid_transcode_is_redelivered_and_finishes(
    start_worker, media_root, tmp_path
):
    worker = start_worker(pool="prefork")
    jobs, victim = [], None
    while victim is None and len(jobs) < 3:
        jobs += _uploads(tmp_path, 1, first=len(jobs))
        victim = _stopped_half_done(worker)
    assert victim is not None, "every transcode finished before its child could be stopped"
    os.kill(_child(victim), signal.SIGKILL)
    # reject_on_worker_lost: Celery puts the message back at once, a new child takes it and
    # sees the job's worker is dead (no waiting for the deadline).
    wait_for(_all_ready([j.pk for j in jobs], worker), timeout=120, what="the job READY")
    victim.refresh_from_db()
    assert victim.attempts == 2
    _assert_each_output_once(jobs, media_root)


SCORE_CHUNK = reco_tasks.recommendations_score_chunk.name
SLOW_CHUNKS = {
    "STREAMIFY_FAULTS_SLOW_TASKS": SCORE_CHUNK,
    "STREAMIFY_FAULTS_TASK_DELAY": "0.4",
}


def _run_state():
    return RecommendationRun.objects.values_list("state", "chunks_done", "chunks_total").first()


def _chunks_in_flight(queue: str) -> list[int]:
    """Chunks not done whose messages the (stopped) worker holds unacknowledged."""
    held = [args[0] for task, args in unacked(queue) if task == SCORE_CHUNK]
    return list(
        RunChunk.objects.filter(pk__in=held).exclude(state="done").values_list("pk", flat=True)
    )


def test_node_killed_mid_rebuild_the_run_finishes_once(start_worker, celery_queue):
    world = build_world(clusters=4, listeners_per_cluster=5)  # 20 listeners
    first = start_worker(env=SLOW_CHUNKS)
    send(reco_tasks.recommendations_rebuild, chunk_size=2)  # 10 chunks

    def scoring_half_done():
        assert first.alive(), first.log()
        state = _run_state()
        return state and state[0] == "scoring" and 2 <= state[1] < state[2] - 2

    lost = []
    for _ in range(20):
        wait_for(scoring_half_done, timeout=120, interval=0.05, what="a half-scored run")
        first.pause()  # what the node holds now is what it loses
        lost = _chunks_in_flight(celery_queue)
        if lost:
            break
        first.resume()  # caught between two chunks: look again
        time.sleep(0.1)
    assert lost, "the worker never held a chunk in flight when looked at"
    first.kill_node()
    run = RecommendationRun.objects.get()
    assert run.state == RecommendationRun.State.SCORING and run.attempts == 1

    second = start_worker()
    # The chunks still queued are scored; those that died with the worker never are.
    wait_for(
        lambda: RunChunk.objects.filter(state="done").count() == run.chunks_total - len(lost),
        timeout=60,
        what="the queued chunks",
    )
    assert not RunChunk.objects.filter(pk__in=lost, state="done").exists()
    assert _run_state()[0] == "scoring"
    # The run's deadline passes; the hourly beat tick takes the lost run over.
    RecommendationRun.objects.filter(pk=run.pk).update(
        deadline_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    send(reco_tasks.recommendations_nightly)

    def finished():
        assert second.alive(), second.log()
        state = _run_state()
        assert state[0] != "failed", RecommendationRun.objects.get().error
        return state[0] == "succeeded"

    wait_for(finished, timeout=120, what="the run to succeed")
    run.refresh_from_db()
    assert run.attempts == 2 and run.chunks_done == run.chunks_total
    assert not StagedTrack.objects.exists()
    kinds = run.kinds
    assert kinds
    # One playlist per listener and kind, each track once, positions 0..n-1.
    per_user = Counter(PersonalisedPlaylist.objects.values_list("user_id", "kind"))
    assert set(per_user.values()) == {1}
    assert {kind for _, kind in per_user} <= set(kinds)
    if "discover_weekly" in kinds:
        weekly = {user for user, kind in per_user if kind == "discover_weekly"}
        assert weekly == {u.pk for u in world.listeners}
    for playlist_id in PersonalisedPlaylist.objects.values_list("playlist_id", flat=True):
        items = PlaylistItem.objects.filter(playlist_id=playlist_id)
        positions = sorted(items.values_list("position", flat=True))
        assert positions == list(range(len(positions)))
        assert not items.values("track_id").annotate(n=Count("pk")).filter(n__gt=1).exists()
    # The lost chunk's message, redelivered late, changes nothing.
    lost = reco_tasks.recommendations_score_chunk.apply(args=[RunChunk.objects.first().pk])
    assert lost.get() is False
    assert reco_tasks.recommendations_finish.apply(args=[run.pk]).get() is None
