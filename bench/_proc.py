"""Peak memory of a process tree, read from /proc (Linux), for benches that start workers
or a JVM: `resource.getrusage` sees only children that were waited for."""

import contextlib
from pathlib import Path


def peak_rss_kib(pids: list[int]) -> dict[int, int]:
    """Each live process's own peak resident set (VmHWM), in KiB."""
    peaks = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[pid] = int(line.split()[1])
        except OSError:
            pass
    return peaks


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending += children_of(current)
    return tree
