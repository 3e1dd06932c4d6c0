"""Transcode job: peak memory (goal <= 300 MB for 4 hours) and speed on a long original.

The whole job (upload check, first pass: decode with error detection, loudness, waveform,
default rendition; second pass: the other four renditions; storage and database writes)
runs in a child process, so its peak is its own: the child's Python RSS while the job ran
(its high-water mark is reset once the throwaway database is migrated, which a worker never
does) plus the largest ffmpeg it started (they run at the same time, so the sum is an upper
bound). Baselines measured in the same run: a bare `ffmpeg -i source -f null -` decode of
the same file, and the whole job on a shorter original (`--baseline-hours`, 1 h).

The original is 44.1 kHz stereo FLAC made by ffmpeg's lavfi: digital silence by default
(the hostile upload of the issue: 0.6 MB an hour, yet 0.6 GB of PCM an hour to decode), or a
tone (`--source tone`, 55 MB an hour, about 6x slower to encode). Either way every step
runs on every sample: decode, loudness, waveform and all five encoders; the encoders are
just quicker on silence. Length-bound memory (muxer indexes, peaks) is the same for both.

    .venv/bin/python bench/transcode.py [--hours 4] [--baseline-hours 1] [--source silence]
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


def _reset_peak_rss() -> bool:
    """Reset this process's VmHWM (Linux >= 4.0); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
        setup_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        reset = _reset_peak_rss()
        passes = []
        while job.state != TranscodeJob.State.READY:
            started = time.perf_counter()
            job = services.transcode_job_run(job_id=job.pk)
            assert job is not None and job.state != TranscodeJob.State.FAILED, job and job.error
            passes.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "python_mb": _peak_rss_mb() if reset else setup_mb,
                "setup_mb": setup_mb,
                "ffmpeg_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                "passes": passes,
            }
        )
    )


SOURCES = {
    "silence": "anullsrc=channel_layout=stereo:sample_rate=44100:duration={seconds}",
    "tone": "sine=frequency=220:sample_rate=44100:duration={seconds}",
}


def make_source(ffmpeg: str, kind: str, hours: float) -> Path:
    seconds = hours * 3600
    source = WORKDIR / f"{kind}-{hours:g}h.flac"
    started = time.perf_counter()
    subprocess.run(
        [ffmpeg, "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
         SOURCES[kind].format(seconds=seconds), "-ac", "2", "-c:a", "flac", str(source)],
        check=True,
    )  # fmt: skip
    print(
        f"source: {hours:g} h of {kind}, stereo 44.1 kHz FLAC, "
        f"{source.stat().st_size / 1e6:.1f} MB (made in {time.perf_counter() - started:.0f} s)"
    )
    return source


def run_job(source: Path, hours: float) -> dict:
    # Memory is the question here: let ffmpeg take as long as a busy machine needs.
    env = {**os.environ, "FFMPEG_TIMEOUT_SECONDS": str(max(3600, int(hours * 3600)))}
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
    figures["job_mb"] = figures["python_mb"] + figures["ffmpeg_mb"]
    return figures


def report(hours: float, figures: dict) -> None:
    first, *rest = figures["passes"]
    seconds = sum(figures["passes"])
    print(
        f"transcode job, {hours:g} h: {figures['job_mb']:.0f} MB peak RSS (python "
        f"{figures['python_mb']:.0f} while the job ran, {figures['setup_mb']:.0f} during set-up; "
        f"largest ffmpeg {figures['ffmpeg_mb']:.0f}); first pass (playable) {first:.0f} s, "
        f"other renditions {sum(rest):.0f} s, {hours * 3600 / seconds:.0f}x realtime"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=4, help="length of the original")
    parser.add_argument(
        "--baseline-hours",
        type=float,
        default=1,
        help="the same job on a shorter original; 0: none",
    )
    parser.add_argument("--source", choices=sorted(SOURCES), default="silence")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    from mediatools.ffmpeg import ffmpeg_binary

    ffmpeg = ffmpeg_binary()
    print(f"ffmpeg {ffmpeg}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    lengths = [h for h in (args.baseline_hours, args.hours) if h]
    measured = {}
    for hours in lengths:
        source = make_source(ffmpeg, args.source, hours)
        floor_seconds, floor_mb = bare_decode(ffmpeg, source)
        print(
            f"floor, bare decode of {hours:g} h: {floor_mb:.0f} MB peak RSS, {floor_seconds:.1f} s"
        )
        measured[hours] = run_job(source, hours)
        source.unlink()
        report(hours, measured[hours])
    job_mb = measured[args.hours]["job_mb"]
    verdict = "met" if job_mb <= GOAL_MB else "NOT met"
    line = f"peak RSS of the {args.hours:g} h job: {job_mb:.0f} MB; goal <= {GOAL_MB} MB: {verdict}"
    if args.baseline_hours and args.baseline_hours != args.hours:
        base = measured[args.baseline_hours]["job_mb"]
        line += f"; {job_mb / base:.2f}x the {args.baseline_hours:g} h job's {base:.0f} MB"
    print(line + f"; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
