"""Transcode job: peak memory (goal <= 300 MB for 4 hours) and speed on a long original.

The whole job (upload check, first pass: decode with error detection, loudness, waveform,
default rendition; second pass: the other four renditions; storage and database writes)
runs in a child process, so its peak is its own: the child's Python RSS plus the largest
ffmpeg it started (they run at the same time, so the sum is an upper bound). Floor,
measured in the same run: a bare `ffmpeg -i source -f null -` decode of the same file.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from _common import WORKDIR

GOAL_MB = 300


def bare_decode(ffmpeg: str, source: Path) -> tuple[float, float]:
    """Return (seconds, peak RSS MB) of decoding `source` to nothing."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [ffmpeg, "-nostdin", "-v", "error", "-i", str(source), "-f", "null", "-"]
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def child(source: Path) -> None:
    from _common import bench_database
    from django.core.files import File

    from catalog.models import Release, Track
    from playback import services
    from playback.models import TranscodeJob
    from playback.services import sources, transcoding

    # Run the passes here, in order.
    sources._enqueue_transcode = transcoding._enqueue_transcode = lambda job_id: None
    with bench_database():
        track = Track.objects.create(title="Bench", release=Release.objects.create(title="B"))
        with source.open("rb") as handle:
            job = services.track_source_replace(track=track, file=File(handle, name="src"))
        passes = []
        while job.state != TranscodeJob.State.READY:
            started = time.perf_counter()
            job = services.transcode_job_run(job_id=job.pk)
            assert job is not None and job.state != TranscodeJob.State.FAILED, job and job.error
            passes.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "python_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "ffmpeg_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                "passes": passes,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=4, help="length of the original")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    from mediatools.ffmpeg import ffmpeg_binary

    ffmpeg = ffmpeg_binary()
    seconds = args.hours * 3600
    started = time.perf_counter()
    # A tone: FLAC keeps it small on disk; decoded it is 2.5 GB of PCM per 4 hours (pydub
    # held all of it in memory).
    source = WORKDIR / "long.flac"
    subprocess.run(
        [ffmpeg, "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
         f"sine=frequency=220:sample_rate=44100:duration={seconds}", "-ac", "2",
         "-c:a", "flac", str(source)],
        check=True,
    )  # fmt: skip
    print(
        f"source: {args.hours:g} h stereo 44.1 kHz FLAC, {source.stat().st_size / 1e6:.0f} MB "
        f"(made in {time.perf_counter() - started:.0f} s); ffmpeg {ffmpeg}"
    )
    floor_seconds, floor_mb = bare_decode(ffmpeg, source)
    # Memory is the question here: let ffmpeg take as long as a busy machine needs.
    env = {**os.environ, "FFMPEG_TIMEOUT_SECONDS": str(max(3600, int(seconds)))}
    result = subprocess.run(
        [sys.executable, __file__, "--child", str(source)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if result.returncode:
        raise SystemExit(f"the job failed:\n{result.stderr[-3000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    job_mb = figures["python_mb"] + figures["ffmpeg_mb"]
    job_seconds = sum(figures["passes"])
    print(f"floor, bare decode: {floor_mb:.0f} MB peak RSS, {floor_seconds:.1f} s")
    print(
        f"transcode job: {job_mb:.0f} MB peak RSS (python {figures['python_mb']:.0f} + largest "
        f"ffmpeg {figures['ffmpeg_mb']:.0f}); ratio to floor {job_mb / floor_mb:.1f}; "
        f"goal <= {GOAL_MB} MB: {'met' if job_mb <= GOAL_MB else 'NOT met'}"
    )
    first, *rest = figures["passes"]
    print(
        f"time: first pass (playable) {first:.1f} s, other renditions {sum(rest):.1f} s; "
        f"{seconds / job_seconds:.0f}x realtime; load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
