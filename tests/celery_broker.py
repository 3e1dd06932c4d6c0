"""Point the dispatching Celery app at a real broker for one test, and back.

The app caches its broker connection pool and producer pool on first use. Changing
`broker_url` alone leaves them pointed at whichever broker an earlier test used (a task
meant for the filesystem broker went to Redis), so both are dropped on the way in and out.
"""

import contextlib

from streamify.celery import app


def _drop_pools() -> None:
    # Not closed: kombu's process-wide producer pools keep using them for their broker.
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def dispatching_to(broker_url: str, **conf):
    """Send tasks to `broker_url` (not eager) inside the block; restore the app after."""
    conf = {"task_always_eager": False, "broker_url": broker_url, **conf}
    saved = {key: app.conf[key] for key in conf}
    _drop_pools()
    app.conf.update(conf)
    try:
        yield app
    finally:
        _drop_pools()
        app.conf.update(saved)
