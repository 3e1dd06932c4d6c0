import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamify.settings.base")

app = Celery("streamify")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _worker_tempdir(**kwargs):
    """A pool process's temp files live in its own folder, removed once it is gone."""
    from playback.workdirs import worker_tempdir_claim

    worker_tempdir_claim()
