from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.services import ImportReport, TrackImportResult, track_import_path
from common.errors import ValidationFailed


class Command(BaseCommand):
    help = (
        "Import audio files (mp3, ogg, opus, flac, m4a) from a file or folder into the "
        "catalogue. Re-running skips files already imported; bad files are reported."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="An audio file or a folder to walk.")
        parser.add_argument("--label", default="", help="Label for releases that have none.")

    def handle(self, *args, path: Path, label: str, verbosity: int, **options):
        def on_result(result: TrackImportResult) -> None:
            if verbosity >= 2:
                self.stdout.write(describe_result(result, self.style))

        try:
            report = track_import_path(
                path=path, label_name=label, on_result=on_result, keep_tracks=False
            )
        except ValidationFailed as exc:
            raise CommandError(exc.message) from exc
        write_summary(self.stdout, self.style, report)


def describe_result(result: TrackImportResult, style) -> str:
    if result.status == TrackImportResult.CREATED:
        track = result.track
        return style.SUCCESS(f"  created  {result.path}: track {track.id} {track.title!r}")
    if result.status == TrackImportResult.SKIPPED:
        return f"  skipped  {result.path}: {result.reason}"
    return style.ERROR(f"  rejected {result.path}: {result.reason}")


def write_summary(stdout, style, report: ImportReport) -> None:
    line = (
        f"Created {len(report.created)} tracks, skipped {len(report.skipped)} already "
        f"imported, rejected {len(report.rejected)}."
    )
    if report.ignored:
        line += f" Ignored {len(report.ignored)} files that are not audio by extension."
    stdout.write(style.ERROR(line) if report.rejected else style.SUCCESS(line))
    for result in report.rejected:
        stdout.write(f"  {result.path}: {result.reason}")
