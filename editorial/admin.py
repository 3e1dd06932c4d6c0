"""The editors' admin: team-scoped playlists with workflow buttons, sortable track lists,
licensing warnings, market previews, history, campaigns, pitches and performance.

Object-level permission: besides the model permissions of the "editors" group, a user
acts only on objects of their own teams (superusers on all). Another team's object is
found and then refused (403), so an id from a link never silently redirects.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Prefetch, Subquery
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from catalog.models import PlaylistItem, Track, TrackArtist
from catalog.selectors import track_markets
from common.admin import ReadOnlyAdminMixin
from common.errors import ApplicationError
from editorial import selectors, services
from editorial.localisation import requested_languages
from editorial.models import (
    Campaign,
    Category,
    CategoryTranslation,
    EditorialPlaylist,
    EditorialPlaylistChange,
    EditorialPlaylistRevision,
    EditorialPlaylistTranslation,
    Pitch,
    PlaylistDailyStats,
    Team,
    TeamMembership,
)

State = EditorialPlaylist.State


def _role(request, team_id: int | None) -> str | None:
    """The user's role in a team, cached on the request (admin pages ask many times)."""
    cache = request.__dict__.setdefault("_editorial_roles", {})
    if team_id not in cache:
        cache[team_id] = selectors.team_role(user=request.user, team_id=team_id)
    return cache[team_id]


def _has_team(request) -> bool:
    cache = request.__dict__.setdefault("_editorial_roles", {})
    if "any" not in cache:
        cache["any"] = selectors.user_is_editor(user=request.user)
    return cache["any"]


def _message_errors(request, errors: list[str]) -> None:
    for error in errors:
        messages.error(request, error)


class MarketsWidget(FilteredSelectMultiple):
    def __init__(self, verbose_name="markets"):
        super().__init__(verbose_name, is_stacked=False)

    def render(self, name, value, attrs=None, renderer=None):
        # SelectFilter2.js prepends its box to the select's parent: wrap the select, so the
        # box does not land before the field's label (ModelAdmin wraps related fields alike).
        html = super().render(name, value, attrs, renderer)
        return format_html('<div class="editorial-markets">{}</div>', html)


class TeamScopedAdmin(admin.ModelAdmin):
    """Model permissions, and on top: only objects of the user's teams."""

    team_lookup = "team"  # from the model to its team

    class Media:
        css = {"all": ["editorial/admin/editorial.css"]}
        js = ["editorial/admin/a11y.js"]

    def team_id_of(self, obj) -> int | None:
        value = obj
        for part in self.team_lookup.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value.pk

    def in_team(self, request, obj) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        return _role(request, self.team_id_of(obj)) is not None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.team_lookup}__memberships__user": request.user})

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None or request.user.is_superuser:
            return obj
        # Another team's object: find it, so the permission checks refuse it (403).
        field = (
            self.model._meta.pk if from_field is None else self.model._meta.get_field(from_field)
        )
        try:
            value = field.to_python(object_id)
        except (ValidationError, ValueError):
            return None
        return self.model._default_manager.filter(**{field.attname: value}).first()

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self.in_team(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.in_team(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.in_team(request, obj)


# Teams


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "slug", "markets", "languages"]
        widgets = {"markets": MarketsWidget()}


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "joined_at"]
    readonly_fields = ["joined_at"]


@admin.register(Team)
class TeamAdmin(TeamScopedAdmin):
    team_lookup = "pk"
    form = TeamForm
    list_display = ["name", "market_list", "languages", "member_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TeamMembershipInline]

    def team_id_of(self, obj):
        return obj.pk

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request).annotate(
            member_count=Count("memberships")
        )
        if request.user.is_superuser:
            return queryset
        return queryset.filter(memberships__user=request.user)

    @admin.display(description="markets")
    def market_list(self, obj):
        return ", ".join(obj.market_codes)

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for membership in formset.new_objects + [obj for obj, _fields in formset.changed_objects]:
            services.team_member_prepare(user=membership.user)


# Categories


class CategoryTranslationInline(admin.TabularInline):
    model = CategoryTranslation
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "playlist_count"]
    list_editable = ["position"]
    search_fields = ["name", "slug", "translations__name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [CategoryTranslationInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(playlist_count=Count("playlists"))

    @admin.display(description="playlists", ordering="playlist_count")
    def playlist_count(self, obj):
        return obj.playlist_count


# Editorial playlists


class EditorialPlaylistForm(forms.ModelForm):
    class Meta:
        model = EditorialPlaylist
        fields = [
            "name",
            "description",
            "cover",
            "language",
            "team",
            "markets",
            "categories",
            "featured",
            "priority",
            "publish_at",
            "unpublish_at",
        ]
        widgets = {
            "markets": MarketsWidget(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The admin's split date and time inputs have no label of their own.
        for name in ("publish_at", "unpublish_at"):
            field = self.fields.get(name)
            parts = getattr(field.widget, "widgets", []) if field else []
            for part, what in zip(parts, (_("date"), _("time")), strict=False):
                part.attrs["aria-label"] = f"{field.label}: {what}"

    def clean(self):
        cleaned = super().clean()
        team, markets = cleaned.get("team"), cleaned.get("markets")
        try:
            if team is not None and markets is not None:
                services.check_markets_of_team(team=team, markets=markets)
        except ApplicationError as exc:
            self.add_error("markets", exc.message)
        try:
            services.check_schedule(
                publish_at=cleaned.get("publish_at"), unpublish_at=cleaned.get("unpublish_at")
            )
        except ApplicationError as exc:
            self.add_error("unpublish_at", exc.message)
        return cleaned


class _PlaylistPartInline(admin.TabularInline):
    """Rows of a playlist (translations, items): editable by whoever may edit the playlist."""

    def _may_edit(self, request, obj):
        if request.user.is_superuser:
            return True
        if obj is None:
            return _has_team(request)
        return _role(request, obj.team_id) is not None

    def has_view_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj)


def _open_markets() -> Subquery:
    return track_markets(now=timezone.now(), track_ref="track")


class EditorialPlaylistTranslationInline(_PlaylistPartInline):
    model = EditorialPlaylistTranslation
    extra = 0
    fields = ["language", "title", "description"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2})}}
    verbose_name = "title and description in another language"
    verbose_name_plural = "localised titles and descriptions"


class PlaylistItemInline(_PlaylistPartInline):
    """The track list: drag rows by their handle (or use the arrows); search tracks to add."""

    model = PlaylistItem
    fk_name = "playlist"
    extra = 0
    fields = ["position", "track", "details", "availability", "added_by", "added_at"]
    readonly_fields = ["details", "availability", "added_by", "added_at"]
    autocomplete_fields = ["track"]
    ordering = ["position", "id"]
    classes = ["editorial-sortable"]
    verbose_name = "track"
    verbose_name_plural = "tracks (drag ⠿ to reorder)"

    class Media:
        js = ["editorial/admin/sortable_inline.js"]
        css = {"all": ["editorial/admin/editorial.css"]}

    def get_queryset(self, request):
        credits = TrackArtist.objects.filter(
            role__in=[TrackArtist.Role.PRIMARY, TrackArtist.Role.FEATURED]
        ).select_related("artist")
        return (
            super()
            .get_queryset(request)
            .select_related("track__release", "added_by", "playlist__editorialplaylist")
            .prefetch_related(Prefetch("track__credits", queryset=credits))
            .annotate(open_markets=_open_markets())
        )

    @admin.display(description="artists · album · length")
    def details(self, item):
        if item.pk is None:
            return ""
        artists = ", ".join(credit.artist.name for credit in item.track.credits.all())
        seconds = item.track.duration_ms // 1000
        return f"{artists} · {item.track.release.title} · {seconds // 60}:{seconds % 60:02d}"

    @admin.display(description="licensed")
    def availability(self, item):
        if item.pk is None:
            return ""
        playlist = getattr(item.playlist, "editorialplaylist", None)
        wanted = playlist.market_codes if playlist is not None else []
        open_markets = set((item.open_markets or "").split(","))
        missing = [market for market in wanted if market not in open_markets]
        if not missing:
            return format_html('<span class="editorial-ok" title="{}">✓</span>', "Playable")
        return format_html('<span class="editorial-warning">⚠ not in {}</span>', ", ".join(missing))


class EditorialPlaylistChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = EditorialPlaylistChange
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["at", "user", "action", "summary", "note"]
    readonly_fields = fields
    ordering = ["-at", "-id"]
    classes = ["collapse"]
    verbose_name = "change"
    verbose_name_plural = "history (who changed what)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def has_view_permission(self, request, obj=None):
        return obj is None or request.user.is_superuser or _role(request, obj.team_id) is not None

    @admin.display(description="what")
    def summary(self, change):
        return format_html_join(
            "",
            "<div><b>{}</b>: {}</div>",
            ((key, _short(value)) for key, value in change.changes.items()),
        )


def _short(value) -> str:
    if isinstance(value, list) and len(value) == 2 and not all(isinstance(v, int) for v in value):
        old, new = value
        return f"{_short(old) or '—'} → {_short(new) or '—'}"
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 120 else text[:117] + "…"


def _proposed_tracks(formset) -> list[Track]:
    """The track list an item formset would leave, in position order."""
    rows = []
    for index, item_form in enumerate(formset.forms):
        data = getattr(item_form, "cleaned_data", None) or {}
        if not data or data.get("DELETE") or not data.get("track"):
            continue
        rows.append((data.get("position") or 0, index, data["track"]))
    return [track for _, _, track in sorted(rows, key=lambda row: row[:2])]


def _proposed_translations(formset) -> dict[str, tuple[str, str]]:
    """The localised texts a translation formset would leave: language -> (title, text)."""
    translations = {}
    for translation_form in formset.forms:
        data = getattr(translation_form, "cleaned_data", None) or {}
        if data and not data.get("DELETE") and data.get("language"):
            translations[data["language"]] = (data["title"], data.get("description", ""))
    return translations


def _nothing_saved(formset) -> None:
    """The admin's change message reads what a formset saved; the services wrote instead."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(EditorialPlaylist)
class EditorialPlaylistAdmin(TeamScopedAdmin):
    form = EditorialPlaylistForm
    change_form_template = "admin/editorial/editorialplaylist/change_form.html"
    list_display = [
        "name",
        "team",
        "state_badge",
        "market_list",
        "track_count",
        "featured",
        "publish_at",
        "unpublish_at",
        "updated_at",
    ]
    list_filter = ["state", "team", "featured", "categories", "language"]
    list_select_related = ["team"]
    search_fields = ["name", "description", "translations__title"]
    date_hierarchy = "updated_at"
    filter_horizontal = ["categories"]
    readonly_fields = ["state_badge", "published_at", "snapshot", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "description", "cover", "language"]}),
        (
            _("Where listeners see it"),
            {"fields": ["team", "markets", "categories", "featured", "priority"]},
        ),
        (
            _("Schedule"),
            {
                "fields": ["publish_at", "unpublish_at"],
                "description": _(
                    "A lead schedules the playlist; it is published and unpublished at these "
                    "times by the scheduler (every minute)."
                ),
            },
        ),
        (_("Status"), {"fields": ["state_badge", "published_at", "snapshot", "updated_at"]}),
    ]
    inlines = [
        EditorialPlaylistTranslationInline,
        PlaylistItemInline,
        EditorialPlaylistChangeInline,
    ]
    actions = [
        "submit_selected",
        "publish_selected",
        "return_selected",
        "archive_selected",
        "feature_selected",
        "unfeature_selected",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(track_total=Count("items", distinct=True))

    # Columns

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj):
        return format_html(
            '<span class="editorial-state editorial-state-{}">{}</span>',
            obj.state,
            obj.get_state_display(),
        )

    @admin.display(description="markets")
    def market_list(self, obj):
        return ", ".join(obj.market_codes)

    @admin.display(description="tracks", ordering="track_total")
    def track_count(self, obj):
        return obj.track_total

    # Forms

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "team":
            kwargs["queryset"] = selectors.teams_for_user(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        teams = list(selectors.teams_for_user(user=request.user)[:2])
        if len(teams) == 1 and "team" not in initial:
            team = teams[0]
            initial.update(team=team.pk, markets=team.market_codes, language=team.default_language)
        return initial

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.state in (State.SCHEDULED, State.PUBLISHED):
            # Moving a live playlist to another team would hand it over unreviewed.
            readonly.append("team")
        return readonly

    # Saves: the form and its inlines are read here, the services write (one edit, one
    # history entry per kind of change, as through the API).

    def save_model(self, request, obj, form, change):
        if change:
            services.check_can_edit(user=request.user, team=obj.team)
            if services.editorial_playlist_needs_review(playlist=obj, user=request.user):
                # Live and not a lead: nothing is saved; the edit becomes a revision.
                form.editorial_review = {
                    name: form.cleaned_data[name]
                    for name in form.changed_data
                    if name in services.UPDATABLE_FIELDS
                }
                form.editorial_review_ignored = [
                    name for name in form.changed_data if name not in services.UPDATABLE_FIELDS
                ]
        # Otherwise `save_related` hands the form and its inlines to the services.

    def save_formset(self, request, form, formset, change):
        _nothing_saved(formset)
        if not hasattr(form, "editorial_review") or not formset.has_changed():
            return
        if formset.model is PlaylistItem:
            form.editorial_review_tracks = [track.pk for track in _proposed_tracks(formset)]
        else:
            form.editorial_review_ignored.append(str(formset.model._meta.verbose_name_plural))

    def save_related(self, request, form, formsets, change):
        if hasattr(form, "editorial_review"):
            for formset in formsets:
                self.save_formset(request, form, formset, change=change)
            self._propose_revision(request, form)
            return
        translations = tracks = None
        for formset in formsets:
            if formset.model is PlaylistItem and (formset.has_changed() or not change):
                tracks = _proposed_tracks(formset)
            elif formset.model is EditorialPlaylistTranslation and (
                formset.has_changed() or not change
            ):
                translations = _proposed_translations(formset)
            _nothing_saved(formset)
        obj = form.instance
        if change:
            playlist = services.editorial_playlist_edit(
                playlist=obj,
                user=request.user,
                fields={
                    name: form.cleaned_data[name]
                    for name in form.changed_data
                    if name in services.EDITABLE_FIELDS
                },
                translations=translations,
                track_ids=None if tracks is None else [track.pk for track in tracks],
            )
        else:
            data = form.cleaned_data
            playlist = services.editorial_playlist_create(
                team=data["team"],
                user=request.user,
                name=data["name"],
                description=data["description"],
                language=data["language"],
                markets=data["markets"],
                categories=data["categories"],
                tracks=tracks or (),
                translations=translations,
                featured=data["featured"],
                priority=data["priority"],
                cover=data.get("cover"),
                publish_at=data.get("publish_at"),
                unpublish_at=data.get("unpublish_at"),
            )
        # The admin goes on with `obj` (log entry, redirect): make it the saved row.
        obj.pk = playlist.pk
        obj.refresh_from_db()
        obj._state.adding = False
        warnings = selectors.playlist_unavailable_tracks(playlist=playlist)
        if warnings:
            messages.warning(
                request,
                f"{len(warnings)} track(s) are not licensed in some of the playlist's markets: "
                + "; ".join(f"{w.title} ({', '.join(w.missing_markets)})" for w in warnings[:5]),
            )

    def _propose_revision(self, request, form):
        playlist = EditorialPlaylist.objects.get(pk=form.instance.pk)
        try:
            revision = services.editorial_playlist_revision_propose(
                playlist=playlist,
                user=request.user,
                fields=form.editorial_review,
                track_ids=getattr(form, "editorial_review_tracks", None),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return
        if revision is not None:
            messages.info(
                request,
                f"“{playlist.name}” is live: your change waits for a lead's review "
                f"(revision {revision.pk}); listeners see the playlist unchanged until then.",
            )
        if form.editorial_review_ignored:
            messages.warning(
                request,
                "Not saved (only a lead changes these on a live playlist): "
                + ", ".join(form.editorial_review_ignored),
            )

    # Workflow buttons (posted with the form: the edits are saved first)

    def _transition_response(self, request, obj):
        name = request.POST.get("_transition")
        try:
            services.editorial_playlist_transition(
                playlist=obj, user=request.user, transition=name, note=request.POST.get("_note", "")
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            step = services.TRANSITIONS[name]
            messages.success(request, f"“{obj.name}”: {step.label.lower()} done.")
        return HttpResponseRedirect(request.path)

    def response_change(self, request, obj):
        if request.POST.get("_transition"):
            return self._transition_response(request, obj)
        return super().response_change(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["transitions"] = services.transitions_available(playlist=obj, user=request.user)
            context["track_warnings"] = selectors.playlist_unavailable_tracks(playlist=obj)
            context["preview_url"] = reverse(
                "admin:editorial_editorialplaylist_preview", args=[obj.pk]
            )
            context["preview_markets"] = obj.market_codes
            context["stats"] = selectors.playlist_stats(playlist_id=obj.pk, days=14)
            context["stats_totals"] = selectors.playlist_stats_totals(playlist_id=obj.pk)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # Preview

    def get_urls(self):
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="editorial_editorialplaylist_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        playlist = self.get_object(request, unquote(object_id))
        if playlist is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, playlist):
            raise DjangoPermissionDenied
        market = (request.GET.get("market") or (playlist.market_codes or ["SE"])[0]).upper()[:2]
        try:
            languages = requested_languages(locale=request.GET.get("locale"), accept_language="")
        except ApplicationError as exc:
            messages.error(request, exc.message)
            languages = []
        preview = selectors.playlist_preview(playlist=playlist, market=market, languages=languages)
        language_options = [playlist.language] + [
            t.language for t in preview.playlist.translations.all()
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Preview of “{playlist.name}” in {market}",
            "preview": preview,
            "original": playlist,
            "markets": playlist.market_codes or [market],
            "languages": list(dict.fromkeys(language_options)),
            "locale": request.GET.get("locale", ""),
            "change_url": reverse("admin:editorial_editorialplaylist_change", args=[playlist.pk]),
        }
        return TemplateResponse(request, "admin/editorial/editorialplaylist/preview.html", context)

    # Bulk actions

    def has_publish_permission(self, request):
        return (
            request.user.is_superuser
            or selectors.teams_for_user(user=request.user)
            .filter(memberships__user=request.user, memberships__role=TeamMembership.Role.LEAD)
            .exists()
        )

    def _bulk(self, request, queryset, transition: str):
        done, errors = 0, []
        for playlist in queryset:
            try:
                services.editorial_playlist_transition(
                    playlist=playlist, user=request.user, transition=transition
                )
                done += 1
            except ApplicationError as exc:
                errors.append(exc.message)
        if done:
            label = services.TRANSITIONS[transition].label.lower()
            messages.success(request, f"{label.capitalize()}: {done} playlist(s).")
        _message_errors(request, errors)

    @admin.action(description="Submit selected playlists for review", permissions=["change"])
    def submit_selected(self, request, queryset):
        self._bulk(request, queryset, "submit")

    @admin.action(description="Publish selected playlists now", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self._bulk(request, queryset, "publish")

    @admin.action(description="Return selected playlists to draft", permissions=["publish"])
    def return_selected(self, request, queryset):
        self._bulk(request, queryset, "return")

    @admin.action(description="Unpublish and archive selected playlists", permissions=["publish"])
    def archive_selected(self, request, queryset):
        self._bulk(request, queryset, "archive")

    def _feature(self, request, queryset, featured: bool):
        errors = []
        for playlist in queryset:
            try:
                services.editorial_playlist_update(
                    playlist=playlist, user=request.user, featured=featured
                )
            except ApplicationError as exc:
                errors.append(exc.message)
        _message_errors(request, errors)
        if not errors:
            messages.success(request, "Featured shelf updated.")

    @admin.action(description="Feature selected playlists", permissions=["change"])
    def feature_selected(self, request, queryset):
        self._feature(request, queryset, True)

    @admin.action(
        description="Remove selected playlists from the featured shelf", permissions=["change"]
    )
    def unfeature_selected(self, request, queryset):
        self._feature(request, queryset, False)


# Campaigns


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name",
            "slug",
            "description",
            "team",
            "markets",
            "starts_at",
            "ends_at",
            "playlists",
        ]
        widgets = {"markets": MarketsWidget()}

    def clean(self):
        cleaned = super().clean()
        team = cleaned.get("team")
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", "A campaign must end after it starts.")
        if team is not None:
            others = [p.name for p in cleaned.get("playlists", []) if p.team_id != team.pk]
            if others:
                self.add_error("playlists", f"Playlists of another team: {', '.join(others)}.")
        return cleaned


@admin.register(Campaign)
class CampaignAdmin(TeamScopedAdmin):
    form = CampaignForm
    list_display = ["name", "team", "starts_at", "ends_at", "is_active", "playlist_count"]
    list_filter = ["team"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["playlists"]
    date_hierarchy = "starts_at"

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request).annotate(
            playlist_count=Count("playlists")
        )
        if request.user.is_superuser:
            return queryset
        return queryset.filter(team__memberships__user=request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "team":
            kwargs["queryset"] = selectors.teams_for_user(user=request.user)
            kwargs["required"] = not request.user.is_superuser
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(boolean=True, description="active")
    def is_active(self, obj):
        return obj.starts_at <= timezone.now() < obj.ends_at

    @admin.display(description="playlists", ordering="playlist_count")
    def playlist_count(self, obj):
        return obj.playlist_count


# Pitches


class PitchAnswerForm(forms.ModelForm):
    status = forms.ChoiceField(
        choices=[
            ("", "—"),
            (Pitch.Status.ACCEPTED, Pitch.Status.ACCEPTED.label),
            (Pitch.Status.DECLINED, Pitch.Status.DECLINED.label),
        ],
        label="Decision",
    )

    class Meta:
        model = Pitch
        fields = ["status", "answer", "placed_in"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 4})}

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("answer") or "").strip():
            self.add_error("answer", "Write the artist team a few words with the answer.")
        if cleaned.get("placed_in") and cleaned.get("status") != Pitch.Status.ACCEPTED:
            self.add_error("placed_in", "Only an accepted pitch is placed in a playlist.")
        return cleaned


@admin.register(Pitch)
class PitchAdmin(admin.ModelAdmin):
    """Editors read pitches and answer each once (accept, maybe into a playlist, or decline)."""

    form = PitchAnswerForm
    list_display = [
        "release",
        "artists",
        "release_date",
        "genre",
        "mood_list",
        "status",
        "submitted_by",
        "created_at",
    ]
    list_filter = ["status", "genre"]
    list_select_related = ["release", "genre", "submitted_by"]
    search_fields = ["release__title", "release__artists__name", "story"]
    autocomplete_fields = ["placed_in"]
    readonly_fields = [
        "release",
        "artists",
        "release_date",
        "submitted_by",
        "genre",
        "mood_list",
        "story",
        "markets",
        "created_at",
        "answered_by",
        "answered_at",
    ]
    fieldsets = [
        (
            _("The pitch"),
            {
                "fields": [
                    "release",
                    "artists",
                    "release_date",
                    "submitted_by",
                    "genre",
                    "mood_list",
                    "story",
                    "markets",
                    "created_at",
                ]
            },
        ),
        (_("Answer"), {"fields": ["status", "answer", "placed_in", "answered_by", "answered_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("release__artists")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != Pitch.Status.SUBMITTED:
            return False
        return super().has_change_permission(request, obj) and _has_team(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="artists")
    def artists(self, obj):
        return ", ".join(artist.name for artist in obj.release.artists.all())

    @admin.display(description="release date", ordering="release__release_date")
    def release_date(self, obj):
        return obj.release.release_date

    @admin.display(description="moods")
    def mood_list(self, obj):
        return ", ".join(str(Pitch.Mood(m).label) for m in obj.moods if m in Pitch.Mood.values)

    def save_model(self, request, obj, form, change):
        try:
            services.pitch_answer(
                pitch=obj,
                user=request.user,
                status=form.cleaned_data["status"],
                answer=form.cleaned_data["answer"],
                placed_in=form.cleaned_data.get("placed_in"),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)


# Performance


@admin.register(PlaylistDailyStats)
class PlaylistDailyStatsAdmin(ReadOnlyAdminMixin, TeamScopedAdmin):
    team_lookup = "playlist__team"
    list_display = [
        "day",
        "playlist",
        "streams",
        "listeners",
        "skips",
        "skip_rate",
        "saves",
        "minutes",
    ]
    list_filter = ["playlist__team", "day"]
    list_select_related = ["playlist"]
    search_fields = ["playlist__name"]
    date_hierarchy = "day"

    @admin.display(description="skip rate")
    def skip_rate(self, obj):
        plays = obj.streams + obj.skips
        return f"{obj.skips / plays:.0%}" if plays else "-"

    @admin.display(description="minutes played", ordering="ms_played")
    def minutes(self, obj):
        return round(obj.ms_played / 60_000)


@admin.register(EditorialPlaylistRevision)
class EditorialPlaylistRevisionAdmin(TeamScopedAdmin):
    """Pending changes to live playlists; a lead of the team approves or rejects them."""

    team_lookup = "playlist__team"

    list_display = ["playlist", "author", "state", "created_at", "decided_by", "decided_at"]
    list_filter = ["state", "playlist__team"]
    list_select_related = ["playlist", "author", "decided_by"]
    readonly_fields = [
        "playlist", "author", "state", "fields", "track_ids", "changes", "note",
        "created_at", "decided_by", "decided_at",
    ]  # fmt: skip
    actions = ["approve_selected", "reject_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, decide, verb: str):
        done = 0
        for revision in queryset:
            try:
                decide(revision=revision, user=request.user)
            except ApplicationError as exc:
                messages.error(request, f"Revision {revision.pk}: {exc.message}")
            else:
                done += 1
        if done:
            messages.success(request, f"{done} revision(s) {verb}.")

    @admin.action(description="Approve (apply to the live playlist)")
    def approve_selected(self, request, queryset):
        self._decide(request, queryset, services.editorial_playlist_revision_approve, "approved")

    @admin.action(description="Reject")
    def reject_selected(self, request, queryset):
        self._decide(request, queryset, services.editorial_playlist_revision_reject, "rejected")
