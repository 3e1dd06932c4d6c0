"""Peak memory of Discover Weekly's tuning: one chunk of every listener against the budget.

Generates a synthetic log (`recommendations.synthetic`, in memory, no database), then runs
`discover.tune` on its validation week twice, each in a fresh process: with a budget large
enough for one chunk (every tuning listener's signals stacked at once, as before the
budget) and with the default `TUNING_MEMORY_BUDGET`. Prints each process's peak RSS, the
ratio and whether both chose the same blend and recorded the same trials.

    .venv/bin/python bench/discover_tuning_memory.py --scale 3000x20000
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run_one(scale: str, seed: int, budget: int) -> None:
    from recommendations import als, discover, evaluation, synthetic

    listeners, tracks = (int(x) for x in scale.lower().split("x"))
    log = synthetic.generate(synthetic.WorldParams(listeners=listeners, tracks=tracks, seed=seed))
    split = evaluation.split_at(log, log.days - 14, max_listeners=listeners, seed=seed)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.monotonic()
    blend, params, record = discover.tune(
        discover.Validation(training=split.training, truth=split.truth, rows=split.rows),
        als_base=als.AlsParams(threads=2),
        memory_budget=budget,
    )
    record.pop("seconds", None)
    print(
        json.dumps(
            {
                "listeners": len(split.rows),
                "tracks": split.training.shape[1],
                "rss_before_mib": before,
                "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "seconds": time.monotonic() - started,
                "result": json.dumps(
                    [blend.as_dict(), str(params), record], sort_keys=True, default=str
                ),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="3000x20000", help="listeners x tracks")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=int, default=0, help="bytes (0: the default)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_one(args.scale, args.seed, args.budget)
        return
    from recommendations import discover

    budgets = {"one chunk": 2**50, "budget": args.budget or discover.TUNING_MEMORY_BUDGET}
    runs = {}
    for name, budget in budgets.items():
        command = [sys.executable, __file__, "--child", "--scale", args.scale]
        command += ["--seed", str(args.seed), "--budget", str(budget)]
        out = subprocess.run(
            command,
            check=True,
            capture_output=True,
            text=True,
        )
        runs[name] = json.loads(out.stdout.strip().splitlines()[-1])
        run = runs[name]
        bound = "none" if budget == 2**50 else f"{budget / 2**20:.0f} MiB"
        print(
            f"{name:<10} {run['listeners']} tuning listeners x {run['tracks']} tracks, "
            f"budget {bound}: peak RSS {run['peak_mib']:.0f} MiB "
            f"({run['rss_before_mib']:.0f} before tuning), {run['seconds']:.0f} s",
            flush=True,
        )
    ratio = runs["budget"]["peak_mib"] / runs["one chunk"]["peak_mib"]
    same = runs["budget"]["result"] == runs["one chunk"]["result"]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"peak RSS budget / one chunk: {ratio:.2f}; same blend and trials: {same}")
    print(f"load average {load}")


if __name__ == "__main__":
    main()
