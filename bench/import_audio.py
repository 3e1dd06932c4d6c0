"""Library import: tracks/s (goal >= 100 on 2 cores) and memory (flat, <= 300 MB).

A tagged library of short MP3s (one clip, each copy with its own tags: distinct files,
artists and albums) is imported with `track_import_path`, as `manage.py import_audio`
does (results kept without their tracks). The import reads headers and tags only; the
decode check is the transcode job's.
Floor, measured in the same run: reading the same files' bytes and hashing them (the
least any import must do). Memory: peak RSS after the first half and at the end; flat
means the second half adds nothing.
"""

import argparse
import cProfile
import os
import pstats
import resource
import shutil
import subprocess
import time

from _common import WORKDIR, bench_database, describe_database

GOAL_TRACKS_PER_SECOND = 100
GOAL_MB = 300


def make_library(count: int):
    from mutagen.easyid3 import EasyID3

    from mediatools.ffmpeg import ffmpeg_binary

    clip = WORKDIR / "clip.mp3"
    subprocess.run(
        [ffmpeg_binary(), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
         "sine=frequency=440:duration=2", "-c:a", "libmp3lame", "-b:a", "64k", str(clip)],
        check=True,
    )  # fmt: skip
    library = WORKDIR / "library"
    for n in range(count):
        folder = library / f"artist-{n // 100:04d}" / f"album-{n // 10:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{n % 10 + 1:02d}.mp3"
        shutil.copyfile(clip, path)
        tags = EasyID3()
        tags.update(
            {
                "title": f"Song {n}",
                "artist": f"Artist {n // 100}",
                "album": f"Album {n // 10}",
                "tracknumber": f"{n % 10 + 1}/10",
                "date": "2024-05-17",
                "genre": ["Electronic", "Ambient"][n % 2],
            }
        )
        tags.save(path)
    return library


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--profile", action="store_true", help="cProfile the import")
    args = parser.parse_args()

    started = time.perf_counter()
    library = make_library(args.files)
    print(f"library: {args.files} tagged MP3s made in {time.perf_counter() - started:.0f} s")

    import hashlib

    files = sorted(p for p in library.rglob("*.mp3"))
    started = time.perf_counter()
    for path in files:
        hashlib.sha256(path.read_bytes()).hexdigest()
    floor = time.perf_counter() - started

    from catalog.models import Track
    from catalog.services import track_import_path

    with bench_database():
        half = files[: len(files) // 2]
        halfway_mb = 0.0

        def on_result(result, seen=[0]):  # noqa: B006 - a counter for this run
            nonlocal halfway_mb
            seen[0] += 1
            if seen[0] == len(half):
                halfway_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        report = track_import_path(path=library, on_result=on_result, keep_tracks=False)
        elapsed = time.perf_counter() - started
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        assert len(report.created) == args.files == Track.objects.count(), report
        end_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        database = describe_database()
    rate = args.files / elapsed
    print(
        f"import ({database}): {rate:.0f} tracks/s ({elapsed:.1f} s); floor (read + hash) "
        f"{args.files / floor:.0f} files/s; ratio {elapsed / floor:.1f}; goal >= "
        f"{GOAL_TRACKS_PER_SECOND}/s: {'met' if rate >= GOAL_TRACKS_PER_SECOND else 'NOT met'}"
    )
    print(
        f"peak RSS: {halfway_mb:.0f} MB at half, {end_mb:.0f} MB at the end; goal <= {GOAL_MB} "
        f"MB: {'met' if end_mb <= GOAL_MB else 'NOT met'}; load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
