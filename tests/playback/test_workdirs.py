"""A worker process killed mid-task leaves no temp folders behind."""

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from playback.workdirs import PREFIX, worker_tempdir_claim, worker_tempdirs_sweep

KILLED_MID_TASK = """
import os, signal, sys, tempfile
from pathlib import Path
from playback.workdirs import worker_tempdir_claim
root = worker_tempdir_claim(base=Path(sys.argv[1]))
work = Path(tempfile.mkdtemp(prefix="streamify-transcode-"))
(work / "decoded.wav").write_bytes(b"\\0" * 65536)
print(root, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_process_folder_goes_when_the_next_one_starts(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", KILLED_MID_TASK, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert run.returncode == -signal.SIGKILL
    dead_root = Path(run.stdout.strip())
    assert dead_root.parent == tmp_path and dead_root.name.startswith(PREFIX)
    assert next(p.name for p in dead_root.iterdir()).startswith("streamify-transcode-")

    previous = tempfile.tempdir
    try:
        mine = worker_tempdir_claim(base=tmp_path)  # the replacement process starts
        assert not dead_root.exists()
        assert mine.name.endswith(f"-{os.getpid()}")
        assert Path(tempfile.mkdtemp()).parent == mine
        assert worker_tempdirs_sweep(base=tmp_path) == []  # a live process keeps its own
        assert mine.exists()
    finally:
        tempfile.tempdir = previous
