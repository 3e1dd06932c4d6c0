"""Transcoding speed: each rendition through pydub (as the worker does) vs bare ffmpeg.

"x realtime" is seconds of audio encoded per second of wall time. The pydub path starts
from the decoded PCM the worker holds in memory (pydub writes it to a temporary WAV and
runs ffmpeg on it); the bare command reads the FLAC original directly. Then the whole
worker job (decode with error detection, loudness, peaks, five renditions, storage and
database writes) vs the five bare commands run one after another.
"""

import argparse
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

from _common import WORKDIR, bench_database, describe_database, make_audio

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from pydub import AudioSegment


def best_of(runs: int, action) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=120, help="length of the test audio")
    parser.add_argument("--runs", type=int, default=3, help="best of N")
    args = parser.parse_args()

    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.models import Release, Track
    from playback import audio, services
    from playback.models import RENDITION_PROFILES

    ffmpeg = audio.ffmpeg_binary()
    AudioSegment.converter = ffmpeg
    source = make_audio(WORKDIR / "source.flac", seconds=args.seconds)
    out_dir = Path(tempfile.mkdtemp(dir=WORKDIR))
    wav = out_dir / "decoded.wav"
    decode = best_of(args.runs, lambda: audio.decode_to_wav(source, wav))
    segment = AudioSegment.from_file(wav, format="wav")

    print(
        f"source: {args.seconds:.0f} s stereo 44.1 kHz FLAC; ffmpeg {ffmpeg}; best of {args.runs}"
    )
    print(f"decode with error detection: {args.seconds / decode:.0f}x realtime")
    header = f"{'rendition':<12}{'pydub x rt':>12}{'ffmpeg x rt':>13}{'time ratio':>12}"
    print(header)
    print("-" * len(header))
    bare_total = 0.0
    for profile, spec in RENDITION_PROFILES.items():
        target = out_dir / f"{profile}.{spec.extension}"

        def via_pydub(spec=spec, target=target):
            segment.export(
                target,
                format=spec.pydub_format,
                codec=spec.encoder,
                bitrate=f"{spec.bitrate_kbps}k",
                parameters=["-map_metadata", "-1", *spec.parameters],
            ).close()

        def bare(spec=spec, target=target):
            subprocess.run(
                [ffmpeg, "-v", "error", "-y", "-i", str(source), "-c:a", spec.encoder,
                 "-b:a", f"{spec.bitrate_kbps}k", *spec.parameters, "-f", spec.pydub_format,
                 str(target)],
                check=True,
            )  # fmt: skip

        pydub_time = best_of(args.runs, via_pydub)
        bare_time = best_of(args.runs, bare)
        bare_total += bare_time
        print(
            f"{profile:<12}{args.seconds / pydub_time:>12.1f}{args.seconds / bare_time:>13.1f}"
            f"{pydub_time / bare_time:>12.2f}"
        )

    services._enqueue_transcode = lambda job_id: None  # run the job here, timed
    with bench_database():
        release = Release.objects.create(title="Bench")
        timings = []
        for run in range(args.runs):
            track = Track.objects.create(title=f"Bench {run}", release=release)
            upload = SimpleUploadedFile("source.flac", source.read_bytes())
            if run:
                Track.objects.filter(source_sha256__isnull=False).update(source_sha256=None)
            job = services.track_source_replace(track=track, file=upload)
            started = time.perf_counter()
            assert services.transcode_job_run(job_id=job.pk).state == "ready"
            timings.append(time.perf_counter() - started)
        job_time = min(timings)
    print(
        f"whole job ({describe_database()}): {job_time:.2f} s = {args.seconds / job_time:.1f}x "
        f"realtime; five bare commands {bare_total:.2f} s; ratio {job_time / bare_total:.2f}"
    )


if __name__ == "__main__":
    main()
