"""Stop a child process a test started (a worker, a server): politely, then for sure."""

import os
import signal
import subprocess


def stop(process: subprocess.Popen, *, timeout: float = 15, group: bool = False) -> None:
    """SIGTERM, then SIGKILL after `timeout` s; `group` signals its whole process group
    (a Celery worker and its pool children, started with `start_new_session=True`)."""
    if process.poll() is not None:
        return

    def send(sig):
        if group:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)

    send(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait()
