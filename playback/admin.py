import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from common.admin import ReadOnlyAdminMixin
from common.errors import ApplicationError
from playback import selectors, services
from playback.models import (
    DailyListenerTrack,
    DailyTrackStreams,
    PlayEvent,
    Rendition,
    TrackAudio,
    TrackSource,
    TranscodeJob,
)


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
class TranscodeJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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
class RenditionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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
class TrackAudioAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["track", "source_codec", "channels", "duration_ms", "loudness_lufs"]
    list_select_related = ["track"]
    search_fields = ["track__title"]


@admin.register(PlayEvent)
class PlayEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "ended_at",
        "user",
        "track",
        "ms_played",
        "verdict",
        "reason",
        "context_type",
        "country",
        "address",
    ]
    list_filter = ["verdict", "reason", "context_type", "country"]
    list_select_related = ["user", "track"]
    search_fields = ["user__email", "track__title", "=id", "=address"]
    # Received, not ended: clients send any ended_at (refused ones may be in year 1 or 9999).
    date_hierarchy = "received_at"
    show_full_result_count = False

    def get_urls(self):
        report = self.admin_site.admin_view(self.fraud_report_view)
        return [
            path("fraud-report/", report, name="playback_playevent_fraud_report"),
            *super().get_urls(),
        ]

    def fraud_report_view(self, request):
        """Accounts, tracks and addresses ranked by their share of refused plays."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            days = min(max(int(request.GET.get("days", 7)), 1), 90)
        except ValueError:
            days = 7
        since = timezone.now() - datetime.timedelta(days=days)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Fraud report: plays received in the last {days} days",
            "days": days,
            "report": selectors.fraud_report(since=since),
        }
        return TemplateResponse(request, "admin/playback/fraud_report.html", context)

    def changelist_view(self, request, extra_context=None):
        extra = {"fraud_report_url": reverse("admin:playback_playevent_fraud_report")}
        return super().changelist_view(request, {**(extra_context or {}), **extra})


@admin.register(DailyTrackStreams)
class DailyTrackStreamsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["day", "track", "country", "source", "streams", "listeners", "ms_played"]
    list_filter = ["source", "country"]
    list_select_related = ["track"]
    search_fields = ["track__title"]
    date_hierarchy = "day"


@admin.register(DailyListenerTrack)
class DailyListenerTrackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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
