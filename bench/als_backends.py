"""ALS training time and peak memory of both backends (implicit, Spark MLlib local[2]).

Each measurement runs in a fresh subprocess, so its peak memory (the process plus its
children: Spark's JVM) is its own. Interactions are drawn at random with Zipf track
popularity (only the shapes matter here), 64 factors, 15 iterations, 2 threads.

    .venv/bin/python bench/als_backends.py --sizes 10000x20000x1000000,30000x60000x3000000
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


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
    params = als.AlsParams(factors=64, iterations=15, threads=2, backend=backend)
    started = time.monotonic()
    als.train(interactions, params)
    seconds = time.monotonic() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "backend": backend,
        "users": users,
        "tracks": tracks,
        "pairs": int(weights.nnz),
        "seconds": round(seconds, 1),
        "peak_mib": round((own + children) / 1024),
    }


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
            out = subprocess.run(
                [sys.executable, __file__, "--one", backend, *size.split("x")],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{r['backend']:<10}{r['users']:>10}{r['tracks']:>9}{r['pairs']:>11}"
                f"{r['seconds']:>9}{r['peak_mib']:>10}",
                flush=True,
            )


if __name__ == "__main__":
    main()
