"""Fault injection on this machine's real services: Celery workers, Redis, PostgreSQL.

Tests marked `faults` need PostgreSQL and REDIS_URL; without them they skip, or fail when
STREAMIFY_REQUIRE_FAULTS=1 (CI). A test that stops Redis or PostgreSQL brings it back
before it returns, failed or not, and waits until it answers.
"""

import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection, connections

ROOT = Path(settings.BASE_DIR)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "faults: kills workers and restarts Redis/PostgreSQL on this machine "
        "(needs PostgreSQL and REDIS_URL)",
    )


@pytest.fixture(autouse=True)
def _fault_services(request):
    if not request.node.get_closest_marker("faults"):
        return
    missing = []
    if connection.vendor != "postgresql":
        missing.append("PostgreSQL (DATABASE_URL)")
    if not os.environ.get("REDIS_URL"):
        missing.append("Redis (REDIS_URL)")
    if missing:
        message = "fault tests need " + " and ".join(missing)
        if os.environ.get("STREAMIFY_REQUIRE_FAULTS") == "1":
            pytest.fail(message)
        pytest.skip(message)


def wait_for(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def close_db_connections() -> None:
    """Drop this process's connections (after a restart they are dead; Django reconnects)."""
    for conn in connections.all():
        with contextlib.suppress(Exception):
            conn.close()


# --- Celery ---------------------------------------------------------------------------------


@dataclass
class Worker:
    process: subprocess.Popen
    log_path: Path
    name: str
    _log: object = field(repr=False, default=None)

    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def children(self) -> list[int]:
        found = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in found.read_text().split()] if found.exists() else []

    def pause(self) -> None:
        """SIGSTOP the worker and its children: what it holds stays as it is until resume."""
        os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.killpg(self.process.pid, signal.SIGCONT)

    def kill_node(self) -> None:
        """SIGKILL the worker and everything it started (a lost machine, an OOM kill)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill_node()
        if self._log:
            self._log.close()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def celery_queue(request):
    """A queue of this test's own; tasks this process sends go there (not eager)."""
    from streamify.celery import app

    redis_url = os.environ["REDIS_URL"]
    queue = f"faults-{uuid.uuid4().hex[:10]}"
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "task_routes")}
    app.conf.update(
        task_always_eager=False, broker_url=redis_url, task_routes={"*": {"queue": queue}}
    )
    try:
        yield queue
    finally:
        app.conf.update(saved)
        _forget_queue(app, queue)


def _unacked_of(client, queue: str):
    """(delivery tag, message) of each message taken from `queue` and not acknowledged yet:
    kombu's Redis transport keeps them in its `unacked` hash (unreadable entries skipped)."""
    for tag, raw in client.hgetall("unacked").items():
        try:
            message, _exchange, routing_key = json.loads(raw)
        except (ValueError, TypeError):
            continue
        if routing_key == queue:
            yield tag, message


def unacked(queue: str) -> list[tuple[str, list]]:
    """(task name, args) of the messages taken from `queue` and not acknowledged yet: those a
    worker is running or has reserved (acks_late), which die with it until redelivered."""
    from streamify.celery import app

    with app.connection_for_write() as conn:
        return [
            (message["headers"]["task"], json.loads(base64.b64decode(message["body"]))[0])
            for _tag, message in _unacked_of(conn.default_channel.client, queue)
        ]


def _forget_queue(app, queue: str) -> None:
    """Delete the queue and its unacknowledged messages (those of killed workers)."""
    with contextlib.suppress(Exception), app.connection_for_write() as conn:
        channel = conn.default_channel
        channel.queue_delete(queue)
        client = channel.client
        for tag, _message in list(_unacked_of(client, queue)):
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@pytest.fixture
def start_worker(celery_queue, media_root, tmp_path):
    """Start `celery worker` processes on the test's queue and the test database."""
    started: list[Worker] = []

    def start(*, pool: str = "solo", env: dict[str, str] | None = None) -> Worker:
        name = f"w{len(started) + 1}"
        log_path = tmp_path / f"worker-{name}.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "streamify", "worker", f"--pool={pool}",
             "-c", "1", "-Q", celery_queue, "-n", f"{name}-{celery_queue}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.faults.worker_settings",
                "DATABASE_URL": database_url(),
                "CELERY_BROKER_URL": os.environ["REDIS_URL"],
                "CELERY_TASK_ALWAYS_EAGER": "0",
                "MEDIA_ROOT": str(media_root),
                "STREAMIFY_FAULTS_QUEUE": celery_queue,
                "OPENBLAS_NUM_THREADS": "1",
                **(env or {}),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill_node takes ffmpeg too
        )  # fmt: skip
        worker = Worker(process=process, log_path=log_path, name=name, _log=log)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


def send(task, *args, **kwargs):
    """Send a task to the test's queue (as beat or a web process would)."""
    return task.apply_async(args=args, kwargs=kwargs)


# --- Redis and PostgreSQL -------------------------------------------------------------------


def _redis_cli(*args: str, port: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


def redis_ping(port: int) -> bool:
    return _redis_cli("ping", port=port).stdout.strip() == "PONG"


@contextlib.contextmanager
def redis_stopped():
    """Stop the Redis of REDIS_URL (losing what it held, as configured here); start it again
    with the same settings on leaving, whatever happened, and wait until it answers."""
    port = urlsplit(os.environ["REDIS_URL"]).port or 6379
    config = {}
    for key in ("bind", "dir", "logfile", "save", "appendonly", "dbfilename"):
        reply = _redis_cli("config", "get", key, port=port).stdout.splitlines()
        config[key] = reply[1] if len(reply) > 1 else ""
    _redis_cli("shutdown", "nosave", port=port)
    try:
        wait_for(lambda: not redis_ping(port), timeout=20, what="Redis to stop")
        yield
    finally:
        if not redis_ping(port):
            command = ["redis-server", "--daemonize", "yes", "--port", str(port)]
            command += ["--save", config["save"], "--appendonly", config["appendonly"] or "no"]
            for key in ("bind", "dir", "logfile", "dbfilename"):
                if config[key]:
                    command += [f"--{key}", *config[key].split(" ")]
            subprocess.run(command, check=False, timeout=30)
            wait_for(lambda: redis_ping(port), timeout=30, what="Redis to start")


def _pg_cluster() -> tuple[str, str]:
    versions = sorted(os.listdir("/etc/postgresql"))
    return versions[-1], "main"


def pg_ready() -> bool:
    db = connection.settings_dict
    return (
        subprocess.run(
            ["pg_isready", "-q", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432)],
            timeout=10,
            check=False,
        ).returncode
        == 0
    )


def pg_restart() -> None:
    """Restart the PostgreSQL cluster (fast mode: sessions are cut); on return it answers."""
    version, cluster = _pg_cluster()
    ctl = ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster]
    try:
        subprocess.run([*ctl, "restart", "-m", "fast"], check=True, timeout=120)
    finally:
        if not pg_ready():
            subprocess.run([*ctl, "start"], check=False, timeout=120)
        wait_for(pg_ready, timeout=60, what="PostgreSQL to accept connections")
        close_db_connections()


@pytest.fixture
def pg_controllable():
    if not Path("/etc/postgresql").is_dir() or os.geteuid() != 0:
        message = "restarting PostgreSQL needs root and pg_ctlcluster"
        if os.environ.get("STREAMIFY_REQUIRE_FAULTS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    host = connection.settings_dict["HOST"] or "127.0.0.1"
    if host not in ("127.0.0.1", "localhost", "::1"):
        pytest.skip("PostgreSQL is not on this machine")
