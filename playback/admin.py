from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.html import format_html

from common.errors import ApplicationError
from playback import services
from playback.models import (
    DailyListenerTrack,
    DailyTrackStreams,
    PlayEvent,
    Rendition,
    TrackAudio,
    TrackSource,
    TranscodeJob,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _retry_jobs(modeladmin, request, jobs) -> None:
    retried = 0
    for job in jobs:
        try:
            if services.transcode_job_retry(job=job).state == TranscodeJob.State.PENDING:
                retried += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"Job {job.pk}: {exc.message}", messages.WARNING)
    modeladmin.message_user(request, f"{retried} failed transcode(s) queued again.")


@admin.register(TranscodeJob)
class TranscodeJobAdmin(ReadOnlyAdmin):
    list_display = ["id", "track", "state", "attempts", "queued_at", "finished_at", "short_error"]
    list_filter = ["state"]
    list_select_related = ["track"]
    search_fields = ["track__title", "source_sha256"]
    raw_id_fields = ["track"]
    actions = ["retry_failed"]

    @admin.display(description="error")
    def short_error(self, job):
        return job.error[:80]

    @admin.action(description="Retry selected failed transcodes")
    def retry_failed(self, request, queryset):
        _retry_jobs(self, request, queryset.filter(state=TranscodeJob.State.FAILED))


@admin.register(Rendition)
class RenditionAdmin(ReadOnlyAdmin):
    list_display = ["track", "profile", "state", "size_bytes", "updated_at"]
    list_filter = ["state", "codec", "profile"]
    list_select_related = ["track"]
    search_fields = ["track__title", "sha256", "source_sha256"]
    actions = ["retry_failed"]

    @admin.action(description="Retry transcoding of the selected failed renditions' tracks")
    def retry_failed(self, request, queryset):
        track_ids = queryset.filter(state=Rendition.State.FAILED).values("track_id")
        jobs = TranscodeJob.objects.filter(track_id__in=track_ids, state=TranscodeJob.State.FAILED)
        _retry_jobs(self, request, jobs)


@admin.register(TrackAudio)
class TrackAudioAdmin(ReadOnlyAdmin):
    list_display = ["track", "source_codec", "channels", "duration_ms", "loudness_lufs"]
    list_select_related = ["track"]
    search_fields = ["track__title"]


@admin.register(PlayEvent)
class PlayEventAdmin(ReadOnlyAdmin):
    list_display = ["ended_at", "user", "track", "ms_played", "context_type", "country"]
    list_filter = ["context_type", "country"]
    list_select_related = ["user", "track"]
    search_fields = ["user__email", "track__title", "=id"]
    date_hierarchy = "ended_at"
    show_full_result_count = False


@admin.register(DailyTrackStreams)
class DailyTrackStreamsAdmin(ReadOnlyAdmin):
    list_display = ["day", "track", "country", "source", "streams", "listeners", "ms_played"]
    list_filter = ["source", "country"]
    list_select_related = ["track"]
    search_fields = ["track__title"]
    date_hierarchy = "day"


@admin.register(DailyListenerTrack)
class DailyListenerTrackAdmin(ReadOnlyAdmin):
    list_display = ["day", "user", "track", "plays", "streams", "skips", "ms_played"]
    list_select_related = ["user", "track"]
    search_fields = ["user__email", "track__title"]
    date_hierarchy = "day"


class TrackSourceForm(forms.ModelForm):
    upload = forms.FileField(
        required=False,
        help_text="Original audio; checked by content, kept under a UUID name, then transcoded.",
    )

    class Meta:
        model = TrackSource
        fields: list[str] = []

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            try:
                self.checked = services.source_check(file=upload)
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message) from None
        return upload


class RenditionInline(admin.TabularInline):
    model = Rendition
    fields = ["profile", "state", "size_bytes", "updated_at", "error"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


class TranscodeJobInline(admin.TabularInline):
    model = TranscodeJob
    fields = ["state", "attempts", "queued_at", "finished_at", "error"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(TrackSource)
class TrackSourceAdmin(admin.ModelAdmin):
    """Upload a track's original in the admin; saving queues a transcode."""

    form = TrackSourceForm
    list_display = ["title", "release", "source", "ready_renditions", "failed_renditions"]
    list_select_related = ["release"]
    search_fields = ["title", "isrc", "release__title"]
    readonly_fields = ["title", "release", "source_file", "source_sha256", "duration_ms"]
    fields = ["title", "release", "source_file", "source_sha256", "duration_ms", "upload"]
    inlines = [RenditionInline, TranscodeJobInline]
    actions = ["retry_failed"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                ready=Count("renditions", filter=Q(renditions__state=Rendition.State.READY)),
                failed=Count("renditions", filter=Q(renditions__state=Rendition.State.FAILED)),
            )
        )

    @admin.display(description="source")
    def source(self, track):
        return format_html("&#10003;") if track.source_file else "-"

    @admin.display(description="ready", ordering="ready")
    def ready_renditions(self, track):
        return track.ready

    @admin.display(description="failed", ordering="failed")
    def failed_renditions(self, track):
        return track.failed

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        upload = form.cleaned_data.get("upload")
        if not upload:
            return
        try:
            services.track_source_replace(
                track=obj, file=upload, checked=getattr(form, "checked", None)
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, "Source replaced; transcoding queued.")

    @admin.action(description="Retry failed transcodes of the selected tracks")
    def retry_failed(self, request, queryset):
        jobs = TranscodeJob.objects.filter(track__in=queryset, state=TranscodeJob.State.FAILED)
        _retry_jobs(self, request, jobs)
