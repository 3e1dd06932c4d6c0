from django.contrib import admin
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdminMixin
from recommendations.models import (
    ModelVersion,
    PersonalisedPlaylist,
    RecommendationRun,
    RunChunk,
)


class RunChunkInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RunChunk
    extra = 0
    fields = ["index", "first_user_id", "last_user_id", "state", "listeners", "seconds"]
    readonly_fields = fields


@admin.register(RecommendationRun)
class RecommendationRunAdmin(admin.ModelAdmin):
    """The nightly runs for editors: what was built, from which model, how long, how well."""

    list_display = [
        "day",
        "state",
        "discover_weekly",
        "release_radar",
        "model_version",
        "listeners",
        "chunks_progress",
        "total_seconds",
        "dw_coverage",
        "finished_at",
    ]
    list_filter = ["state", "discover_weekly", "release_radar"]
    date_hierarchy = "day"
    readonly_fields = [
        "day",
        "state",
        "discover_weekly",
        "release_radar",
        "model_version",
        "attempts",
        "chunks_total",
        "chunks_done",
        "listeners",
        "counts",
        "durations",
        "metrics",
        "error",
        "started_at",
        "deadline_at",
        "finished_at",
        "created_at",
    ]
    inlines = [RunChunkInline]

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).select_related("model_version")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("chunks"))
    def chunks_progress(self, obj: RecommendationRun) -> str:
        return f"{obj.chunks_done}/{obj.chunks_total}"

    @admin.display(description=_("seconds"))
    def total_seconds(self, obj: RecommendationRun):
        return obj.durations.get("total")

    @admin.display(description=_("DW catalogue coverage"))
    def dw_coverage(self, obj: RecommendationRun):
        return obj.metrics.get("discover_weekly", {}).get("catalogue_coverage")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "state",
        "trained_at",
        "listeners",
        "tracks",
        "artists",
        "interactions",
        "training_seconds",
    ]
    list_filter = ["state"]
    readonly_fields = [
        "state",
        "params",
        "listeners",
        "tracks",
        "artists",
        "interactions",
        "training_seconds",
        "error",
        "created_at",
        "trained_at",
    ]
    exclude = ["item_factors", "user_factors"]

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).defer("item_factors", "user_factors")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PersonalisedPlaylist)
class PersonalisedPlaylistAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "playlist", "edition", "updated_at"]
    list_filter = ["kind", "edition"]
    list_select_related = ["user", "playlist"]
    search_fields = ["user__email"]
    raw_id_fields = ["user", "playlist"]
    readonly_fields = ["user", "kind", "playlist", "edition", "updated_at"]

    def has_add_permission(self, request):
        return False
