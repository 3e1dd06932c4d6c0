import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from playback.selectors import transcode_progress


class Command(BaseCommand):
    help = (
        "Print how many tracks play yet (n of N ready). With --watch, print each change until "
        "interrupted: `make run` shows it next to the worker's log."
    )

    def add_arguments(self, parser):
        parser.add_argument("--watch", action="store_true", help="Keep printing changes.")
        parser.add_argument("--interval", type=float, default=3.0, help="Seconds between checks.")

    def handle(self, *args, **options):
        last = None
        while True:
            progress = transcode_progress()
            line = f"Transcoding: {progress}"
            if progress.total and progress.complete == progress.total:
                line = f"Transcoding: all {progress.total} tracks ready in every quality"
            if line != last:
                self.stdout.write(line)
                self.stdout.flush()
                last = line
            if not options["watch"]:
                return
            close_old_connections()
            time.sleep(options["interval"])
