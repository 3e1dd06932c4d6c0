"""Settings of the Celery workers the fault tests start and kill.

The test settings, plus: the test's own queue (every task the worker sends stays on it),
the test's MEDIA_ROOT, small recommendation models, and an optional pause before chosen
tasks (STREAMIFY_FAULTS_SLOW_TASKS, comma-separated names; STREAMIFY_FAULTS_TASK_DELAY
seconds) so a test can kill the worker while there is work in flight.
"""

import os
import time

from celery.signals import task_prerun

from streamify.settings.test import *  # noqa: F403

MEDIA_ROOT = os.environ["MEDIA_ROOT"]
CELERY_TASK_DEFAULT_QUEUE = os.environ["STREAMIFY_FAULTS_QUEUE"]
CELERY_TASK_ROUTES = {"*": {"queue": CELERY_TASK_DEFAULT_QUEUE}}
RECOMMENDATIONS_ALS = {"factors": 8, "iterations": 15, "threads": 1, "alpha": 8.0}
RECOMMENDATIONS_CHUNK_SIZE = 10
RECOMMENDATIONS_RUN_HOUR_UTC = 0

_SLOW_TASKS = {
    name for name in os.environ.get("STREAMIFY_FAULTS_SLOW_TASKS", "").split(",") if name
}
_DELAY = float(os.environ.get("STREAMIFY_FAULTS_TASK_DELAY", "0"))


@task_prerun.connect(weak=False)
def _slow_down(sender=None, **kwargs):
    if sender is not None and sender.name in _SLOW_TASKS:
        time.sleep(_DELAY)
