"""Shared set-up for the benchmarks: Django on a throwaway database, audio made by ffmpeg.

PostgreSQL when DATABASE_URL is set (a `bench_<name>` database is created and dropped),
else a SQLite file in a temporary folder. Media go to a temporary MEDIA_ROOT.
"""

import atexit
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORKDIR = Path(tempfile.mkdtemp(prefix="streamify-bench-"))
_OWNER = os.getpid()


def _remove_workdir() -> None:
    # Only the process that made it: a forked child exiting must not pull it from under us.
    if os.getpid() == _OWNER:
        shutil.rmtree(WORKDIR, ignore_errors=True)


atexit.register(_remove_workdir)  # even after --help


def _exit_on_signal(signum, frame) -> None:
    sys.exit(128 + signum)  # SystemExit runs the atexit cleanup; a bare SIGTERM would not


for _signal in (signal.SIGTERM, signal.SIGHUP):
    if signal.getsignal(_signal) is signal.SIG_DFL:
        signal.signal(_signal, _exit_on_signal)
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamify.settings.base")
os.environ["MEDIA_ROOT"] = str(WORKDIR / "media")
os.environ.setdefault("STATIC_ROOT", str(WORKDIR / "static"))
(WORKDIR / "static").mkdir()
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{WORKDIR / 'bench.sqlite3'}"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402


@contextlib.contextmanager
def bench_database():
    """Create and migrate a throwaway database; yield its DATABASE_URL for subprocesses."""
    db = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        db.setdefault("TEST", {})["NAME"] = f"bench_{db['NAME']}"
    else:
        db.setdefault("TEST", {})["NAME"] = str(WORKDIR / "bench-test.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield database_url()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def describe_database() -> str:
    return f"{connection.vendor} ({connection.settings_dict['NAME']})"


def make_audio(path: Path, *, seconds: float, args: tuple[str, ...] = ("-c:a", "flac")) -> Path:
    """Music-like test audio: a chord with some noise, stereo 44.1 kHz."""
    from mediatools.ffmpeg import ffmpeg_binary

    chord = "+".join(f"0.2*sin({f}*2*PI*t)" for f in (220, 277.18, 329.63))
    subprocess.run(
        [
            ffmpeg_binary(), "-v", "error", "-y",
            "-f", "lavfi", "-i", f"aevalsrc={chord}|{chord}:s=44100:d={seconds}",
            "-f", "lavfi", "-i", f"anoisesrc=a=0.05:d={seconds}:r=44100",
            "-filter_complex", "[1]aformat=channel_layouts=stereo[n];[0][n]amix=inputs=2",
            *args, str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def percentile(values: list[float], pct: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]
