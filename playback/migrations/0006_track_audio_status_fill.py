"""Fill `Track.audio_status` from the renditions and transcode jobs already there."""

from django.db import migrations
from django.db.models import Exists, OuterRef, Q, Subquery


def fill(apps, schema_editor):
    Track = apps.get_model("catalog", "Track")
    Rendition = apps.get_model("playback", "Rendition")
    TranscodeJob = apps.get_model("playback", "TranscodeJob")
    ready = Exists(Rendition.objects.filter(track_id=OuterRef("pk"), state="ready"))
    latest_job = TranscodeJob.objects.filter(
        track_id=OuterRef("pk"), source_sha256=OuterRef("source_sha256")
    ).order_by("-created_at", "-id")
    tracks = Track.objects.annotate(
        has_ready=ready, job_state=Subquery(latest_job.values("state")[:1])
    )
    with_source = ~Q(source_file="") & Q(source_file__isnull=False)
    Track.objects.filter(pk__in=tracks.filter(has_ready=True).values("pk")).update(
        audio_status="ready"
    )
    others = tracks.filter(has_ready=False).filter(with_source)
    Track.objects.filter(pk__in=others.filter(job_state="failed").values("pk")).update(
        audio_status="failed"
    )
    Track.objects.filter(pk__in=others.filter(Q(job_state__isnull=True) | ~Q(job_state="failed")).values("pk")).update(
        audio_status="processing"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_track_audio_status"),
        ("playback", "0005_playback_sessions"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
