from django.core.management.base import BaseCommand

from playback import services


class Command(BaseCommand):
    help = (
        "Queue transcoding for every track whose original has no job yet (e.g. after "
        "`import_audio`), and re-queue lost jobs."
    )

    def handle(self, *args, **options):
        created = services.transcode_jobs_create_missing()
        requeued = services.transcode_jobs_requeue_stale()
        self.stdout.write(f"{created} job(s) queued, {requeued} stale job(s) re-queued.")
