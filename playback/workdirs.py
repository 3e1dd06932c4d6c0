"""Temporary folders of worker processes that cannot outlive them.

A Celery pool process gets its own temp root, `streamify-worker-<host>-<pid>`, and every
`tempfile` folder or file it makes (transcoding work folders) lands there.
A process killed mid-task (SIGKILL, OOM) cannot clean up, so each new process first
removes the roots of dead processes on its host: Celery starts a replacement at once.
"""

import os
import shutil
import socket
import tempfile
from pathlib import Path

PREFIX = "streamify-worker-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def worker_tempdirs_sweep(*, base: Path) -> list[Path]:
    """Remove the temp roots under `base` of this host's processes that are gone."""
    removed = []
    mine = f"{PREFIX}{socket.gethostname()}-"
    for path in base.glob(f"{mine}*"):
        pid = path.name.removeprefix(mine)
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def worker_tempdir_claim(*, base: Path | None = None) -> Path:
    """Sweep the dead processes' roots, then make this process's root its temp folder."""
    base = Path(base or os.environ.get("TMPDIR") or tempfile.gettempdir())
    worker_tempdirs_sweep(base=base)
    root = base / f"{PREFIX}{socket.gethostname()}-{os.getpid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    tempfile.tempdir = str(root)
    return root
