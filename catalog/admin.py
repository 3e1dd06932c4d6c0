from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.html import format_html, format_html_join

from catalog.images import ImageRejected, cover_images
from catalog.lyrics import LyricsInvalid, LyricsLine, ParsedLyrics, parse_lyrics, to_lrc
from catalog.models import (
    Artist,
    AvailabilityProfile,
    AvailabilityProfileWindow,
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
    TrackAvailabilityProfile,
    TrackLyrics,
)
from catalog.selectors import image_sizes
from catalog.services import release_cover_set, track_lyrics_delete, track_lyrics_set
from common.admin import ReadOnlyAdminMixin


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


def _windows_table(profile: AvailabilityProfile | None) -> str:
    if profile is None:
        return "-"
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (w.market, w.starts_at, w.ends_at or "open")
            for w in profile.windows.order_by("market", "starts_at")
        ),
    )
    return format_html(
        "<table><thead><tr><th>market</th><th>starts at</th><th>ends at</th></tr></thead>"
        "<tbody>{}</tbody></table>",
        rows,
    )


class TrackAvailabilityProfileInline(admin.StackedInline):
    """The track's availability profile and its windows, read-only (licensing writes it)."""

    model = TrackAvailabilityProfile
    fields = ["profile", "windows"]
    readonly_fields = ["profile", "windows"]
    can_delete = False
    max_num = 0
    verbose_name = "availability (written by licensing)"
    verbose_name_plural = "availability (written by licensing)"

    @admin.display(description="windows")
    def windows(self, obj: TrackAvailabilityProfile) -> str:
        return _windows_table(obj.profile if obj.pk else None)


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = ["name", "popularity", "created_at"]
    list_filter = ["genres"]
    search_fields = ["name", "sort_name"]
    filter_horizontal = ["genres"]


class ReleaseAdminForm(forms.ModelForm):
    cover_upload = forms.FileField(
        required=False,
        label="Upload cover art",
        help_text="JPEG, PNG, WebP or GIF, checked by content; served in 640, 300 and 64 px.",
    )

    class Meta:
        model = Release
        fields = [
            "title",
            "release_type",
            "release_date",
            "label",
            "genres",
            "upc",
            "copyright",
            "popularity",
        ]

    def clean_cover_upload(self):
        upload = self.cleaned_data.get("cover_upload")
        if upload is None:
            return None
        data = upload.read()
        try:
            cover_images(data, max_bytes=settings.COVER_MAX_BYTES)
        except ImageRejected as exc:
            raise ValidationError(exc.message) from None
        return data


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    form = ReleaseAdminForm
    readonly_fields = ["cover_preview"]
    list_display = ["title", "release_type", "release_date", "label", "popularity"]
    list_filter = ["release_type", "label", "genres", "release_date"]
    list_select_related = ["label"]
    search_fields = ["title", "upc", "artists__name"]
    autocomplete_fields = ["label"]
    filter_horizontal = ["genres"]
    date_hierarchy = "release_date"
    inlines = [ReleaseArtistInline, TrackInline]

    @admin.display(description="Cover")
    def cover_preview(self, obj):
        sizes = image_sizes(obj.cover)
        if not sizes:
            return "None: one is drawn from the audio."
        medium = sizes[min(1, len(sizes) - 1)]
        return format_html('<img src="{}" width="150" height="150" alt="">', medium.url)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("cover_upload"):
            release_cover_set(release=obj, data=form.cleaned_data["cover_upload"])


class TrackLyricsForm(forms.ModelForm):
    text = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 80}),
        help_text="LRC ([mm:ss.xx] at the start of each line: synced) or plain text.",
    )

    class Meta:
        model = TrackLyrics
        fields = ["language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.fields["text"].initial = to_lrc(_parsed_of(self.instance))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("DELETE"):
            return cleaned
        try:
            cleaned["parsed"] = parse_lyrics(
                cleaned.get("text") or "", language=cleaned.get("language") or ""
            )
        except LyricsInvalid as exc:
            raise ValidationError({"text": str(exc)}) from None
        return cleaned


def _parsed_of(row: TrackLyrics) -> ParsedLyrics:
    return ParsedLyrics(
        synced=row.synced,
        lines=tuple(LyricsLine(line.get("start_ms"), line["text"]) for line in row.lines),
        language=row.language,
    )


class TrackLyricsInline(admin.StackedInline):
    """Saved through catalog services (`TrackAdmin.save_formset`), like every writer."""

    model = TrackLyrics
    form = TrackLyricsForm
    fields = ["text", "language", "source", "updated_at", "updated_by"]
    readonly_fields = ["source", "updated_at", "updated_by"]
    extra = 0
    max_num = 1


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["title", "release", "disc_number", "track_number", "duration_ms", "explicit"]
    list_filter = ["explicit", "genres", "release__release_type", "release__label"]
    list_select_related = ["release"]
    search_fields = ["title", "isrc", "release__title", "artists__name"]
    autocomplete_fields = ["release"]
    filter_horizontal = ["genres"]
    readonly_fields = ["source_sha256"]
    inlines = [TrackArtistInline, TrackAvailabilityProfileInline, TrackLyricsInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not TrackLyrics:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for lyrics_form in formset.forms:
            if not lyrics_form.has_changed():
                continue
            if lyrics_form.cleaned_data.get("DELETE"):
                if track_lyrics_delete(track=form.instance):
                    formset.deleted_objects.append(lyrics_form.instance)
                continue
            adding = lyrics_form.instance._state.adding
            row = track_lyrics_set(
                track=form.instance, lyrics=lyrics_form.cleaned_data["parsed"], user=request.user
            )
            if adding:
                formset.new_objects.append(row)
            else:
                formset.changed_objects.append((row, ["lyrics"]))


class AvailabilityProfileWindowInline(admin.TabularInline):
    model = AvailabilityProfileWindow
    fields = ["market", "starts_at", "ends_at"]
    readonly_fields = ["market", "starts_at", "ends_at"]
    can_delete = False
    max_num = 0


@admin.register(AvailabilityProfile)
class AvailabilityProfileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: availability is computed by licensing from agreements."""

    list_display = ["id", "digest", "window_count", "track_count"]
    search_fields = ["digest", "tracks__track__title", "tracks__track__isrc"]
    readonly_fields = ["digest"]
    inlines = [AvailabilityProfileWindowInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                window_total=Count("windows", distinct=True),
                track_total=Count("tracks", distinct=True),
            )
        )

    @admin.display(description="windows", ordering="window_total")
    def window_count(self, obj) -> int:
        return obj.window_total

    @admin.display(description="tracks", ordering="track_total")
    def track_count(self, obj) -> int:
        return obj.track_total


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
