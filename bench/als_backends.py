"""ALS training time and peak memory of both backends (implicit, Spark MLlib local[2]).

Each measurement runs in a fresh subprocess; its peak memory is the sum of the peaks of
that process and its descendants (Spark's JVM), sampled from /proc every 0.2 s.
Interactions are drawn at random with Zipf track popularity (only the shapes matter
here), 64 factors, 15 iterations, 2 threads.

    .venv/bin/python bench/als_backends.py --sizes 10000x20000x1000000,30000x60000x3000000
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _proc import descendants, peak_rss_kib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


SPARK_MEMORY = "8g"  # a ceiling, not what it takes: the README gives the peaks measured


def one(backend: str, users: int, tracks: int, pairs: int) -> dict:
    import numpy as np
    import scipy.sparse as sp

    from recommendations import als

    rng = np.random.default_rng(7)
    popularity = 1.0 / np.arange(1, tracks + 1) ** 0.9
    cols = rng.choice(tracks, pairs, p=popularity / popularity.sum())
    rows = rng.integers(0, users, pairs)
    weights = sp.csr_matrix(
        (rng.integers(1, 6, pairs).astype(np.float32), (rows, cols)), shape=(users, tracks)
    )
    weights.sum_duplicates()
    interactions = als.Interactions(
        user_ids=np.arange(users), track_ids=np.arange(tracks), weights=weights
    )
    params = als.AlsParams(
        factors=64, iterations=15, threads=2, backend=backend, spark_memory=SPARK_MEMORY
    )
    started = time.monotonic()
    als.train(interactions, params)
    seconds = time.monotonic() - started
    return {
        "backend": backend,
        "users": users,
        "tracks": tracks,
        "pairs": int(weights.nnz),
        "seconds": round(seconds, 1),
    }


def measured(backend: str, size: str) -> tuple[dict | None, int, str]:
    """Run one size in a fresh process; (result or None, peak KiB of its tree, error)."""
    # Files, not pipes: Spark's log would fill a pipe nobody reads while this one polls.
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        child = subprocess.Popen(
            [sys.executable, __file__, "--one", backend, *size.split("x")],
            stdout=stdout,
            stderr=stderr,
            text=True,
        )
        peaks: dict[int, int] = {}
        while child.poll() is None:
            for pid, kib in peak_rss_kib(descendants(child.pid)).items():
                peaks[pid] = max(peaks.get(pid, 0), kib)
            time.sleep(0.2)
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read(), stderr.read()
    if child.returncode:
        return None, 0, (err.strip().splitlines() or ["no output"])[-1][:200]
    return json.loads(out.strip().splitlines()[-1]), sum(peaks.values()), ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000x20000x1000000,30000x60000x3000000")
    parser.add_argument("--backends", default="implicit,spark")
    parser.add_argument("--one", nargs=4, metavar=("BACKEND", "USERS", "TRACKS", "PAIRS"))
    args = parser.parse_args()
    if args.one:
        backend, *shape = args.one
        print(json.dumps(one(backend, *(int(x) for x in shape))))
        return
    print(
        f"{'backend':<10}{'listeners':>10}{'tracks':>9}{'pairs':>11}{'train s':>9}{'peak MiB':>10}"
    )
    for size in args.sizes.split(","):
        for backend in args.backends.split(","):
            r, peak_kib, error = measured(backend, size)
            if r is None:
                print(f"{backend:<10}{size:>30}  failed: {error}", flush=True)
                continue
            print(
                f"{r['backend']:<10}{r['users']:>10}{r['tracks']:>9}{r['pairs']:>11}"
                f"{r['seconds']:>9}{round(peak_kib / 1024):>10}",
                flush=True,
            )


if __name__ == "__main__":
    main()
