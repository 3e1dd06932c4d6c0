from django.contrib import admin
from django.db.models import Count

from catalog.models import (
    Artist,
    FollowedArtist,
    FollowedPlaylist,
    Genre,
    Label,
    Playlist,
    PlaylistItem,
    Release,
    ReleaseArtist,
    SavedRelease,
    SavedTrack,
    Track,
    TrackArtist,
    TrackAvailability,
)


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["name", "release_count", "created_at"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(release_count=Count("releases"))

    @admin.display(ordering="release_count", description="releases")
    def release_count(self, obj):
        return obj.release_count


class ReleaseArtistInline(admin.TabularInline):
    model = ReleaseArtist
    extra = 0
    autocomplete_fields = ["artist"]


class TrackArtistInline(admin.TabularInline):
    model = TrackArtist
    extra = 0
    autocomplete_fields = ["artist"]


class TrackInline(admin.TabularInline):
    model = Track
    extra = 0
    fields = ["disc_number", "track_number", "title", "isrc", "duration_ms", "explicit"]
    show_change_link = True


class TrackAvailabilityInline(admin.TabularInline):
    model = TrackAvailability
    extra = 0
    readonly_fields = ["market", "starts_at", "ends_at"]
    can_delete = False
    max_num = 0
    verbose_name_plural = "availability (written by licensing)"


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = ["name", "popularity", "created_at"]
    list_filter = ["genres"]
    search_fields = ["name", "sort_name"]
    filter_horizontal = ["genres"]


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["title", "release_type", "release_date", "label", "popularity"]
    list_filter = ["release_type", "label", "genres", "release_date"]
    list_select_related = ["label"]
    search_fields = ["title", "upc", "artists__name"]
    autocomplete_fields = ["label"]
    filter_horizontal = ["genres"]
    date_hierarchy = "release_date"
    inlines = [ReleaseArtistInline, TrackInline]


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["title", "release", "disc_number", "track_number", "duration_ms", "explicit"]
    list_filter = ["explicit", "genres", "release__release_type", "release__label"]
    list_select_related = ["release"]
    search_fields = ["title", "isrc", "release__title", "artists__name"]
    autocomplete_fields = ["release"]
    filter_horizontal = ["genres"]
    readonly_fields = ["source_sha256"]
    inlines = [TrackArtistInline, TrackAvailabilityInline]


@admin.register(TrackAvailability)
class TrackAvailabilityAdmin(admin.ModelAdmin):
    """Read-only: availability is computed by licensing from agreements."""

    list_display = ["track", "market", "starts_at", "ends_at"]
    list_filter = ["market"]
    list_select_related = ["track"]
    search_fields = ["track__title", "track__isrc"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PlaylistItemInline(admin.TabularInline):
    model = PlaylistItem
    extra = 0
    fields = ["position", "track", "added_by", "added_at"]
    autocomplete_fields = ["track"]
    raw_id_fields = ["added_by"]
    ordering = ["position"]


@admin.register(Playlist)
class PlaylistAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "owner", "public", "collaborative", "updated_at"]
    list_filter = ["kind", "public", "collaborative"]
    list_select_related = ["owner"]
    search_fields = ["name", "description", "owner__email"]
    raw_id_fields = ["owner"]
    inlines = [PlaylistItemInline]


@admin.register(SavedTrack)
class SavedTrackAdmin(admin.ModelAdmin):
    list_display = ["user", "track", "added_at"]
    list_select_related = ["user", "track"]
    search_fields = ["user__email", "track__title"]
    raw_id_fields = ["user", "track"]


@admin.register(SavedRelease)
class SavedReleaseAdmin(admin.ModelAdmin):
    list_display = ["user", "release", "added_at"]
    list_select_related = ["user", "release"]
    search_fields = ["user__email", "release__title"]
    raw_id_fields = ["user", "release"]


@admin.register(FollowedArtist)
class FollowedArtistAdmin(admin.ModelAdmin):
    list_display = ["user", "artist", "followed_at"]
    list_select_related = ["user", "artist"]
    search_fields = ["user__email", "artist__name"]
    raw_id_fields = ["user", "artist"]


@admin.register(FollowedPlaylist)
class FollowedPlaylistAdmin(admin.ModelAdmin):
    list_display = ["user", "playlist", "followed_at"]
    list_select_related = ["user", "playlist"]
    search_fields = ["user__email", "playlist__name"]
    raw_id_fields = ["user", "playlist"]
