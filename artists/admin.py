"""Staff manage artist teams here (e.g. the first admin of a team); aggregates are read-only."""

from django.contrib import admin

from artists import services
from artists.models import (
    ArtistDailyStats,
    ArtistTeamMembership,
    LabelDailyStats,
    TeamInvitation,
    TrackDailyStats,
)
from common.admin import ReadOnlyAdminMixin


@admin.register(ArtistTeamMembership)
class ArtistTeamMembershipAdmin(admin.ModelAdmin):
    list_display = ["artist", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["artist__name", "user__email"]
    autocomplete_fields = ["artist", "user"]
    readonly_fields = ["invited_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            services.artist_team_member_add(
                artist=obj.artist, user=obj.user, role=obj.role, invited_by=request.user
            )


@admin.register(TeamInvitation)
class TeamInvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "artist", "role", "created_at", "expires_at", "accepted_at"]
    search_fields = ["email", "artist__name"]
    readonly_fields = [f.name for f in TeamInvitation._meta.fields]

    def has_add_permission(self, request):
        return False


class ReadOnlyStatsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    date_hierarchy = "day"


@admin.register(ArtistDailyStats)
class ArtistDailyStatsAdmin(ReadOnlyStatsAdmin):
    list_display = ["day", "artist", "streams", "listeners", "saves", "follows", "followers"]
    list_select_related = ["artist"]
    raw_id_fields = ["artist"]


@admin.register(TrackDailyStats)
class TrackDailyStatsAdmin(ReadOnlyStatsAdmin):
    list_display = ["day", "track", "streams", "listeners", "saves", "playlist_adds"]
    list_select_related = ["track"]
    raw_id_fields = ["track"]


@admin.register(LabelDailyStats)
class LabelDailyStatsAdmin(ReadOnlyStatsAdmin):
    list_display = ["day", "label", "streams", "listeners", "saves", "playlist_adds"]
    list_select_related = ["label"]
    raw_id_fields = ["label"]
