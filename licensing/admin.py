"""Admin for licensing staff: forms validate through the model and the services' checks,
saves go through the services (so availability follows), statements are read-only."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from common.admin import ReadOnlyAdminMixin
from common.errors import ApplicationError
from licensing import selectors, services
from licensing.models import (
    Agreement,
    LabelMembership,
    Party,
    ReleaseMarketDate,
    RevenuePool,
    RoyaltyStatement,
    RoyaltyStatementLine,
    RoyaltyStatementTerritory,
    Takedown,
)
from licensing.territories import UnknownTerritory, agreement_markets, group_names


def _as_form_error(exc: ApplicationError) -> ValidationError:
    return ValidationError(exc.message)


class LabelMembershipInline(admin.TabularInline):
    model = LabelMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    filter_horizontal = ["labels"]
    inlines = [LabelMembershipInline]

    def save_related(self, request, form, formsets, change):
        labels = form.cleaned_data.get("labels", [])
        super().save_related(request, form, formsets, change)
        if change and "labels" in form.changed_data:
            services.party_labels_set(party=form.instance, labels=labels)


class AgreementForm(forms.ModelForm):
    class Meta:
        model = Agreement
        fields = [
            "party",
            "reference",
            "status",
            "scope",
            "releases",
            "territories",
            "excluded_territories",
            "starts_on",
            "ends_on",
            "revenue_share",
            "per_stream_minimum",
            "notes",
        ]
        help_texts = {
            "territories": "Country codes and groups, e.g. 'WORLDWIDE' or 'EU, NORDICS, GB'. "
            f"Groups: {', '.join(group_names())}.",
        }

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        releases = data.get("releases") or []
        if data["scope"] == Agreement.Scope.RELEASES and not releases:
            self.add_error("releases", "List the releases, or cover the whole catalogue.")
        starts_on, ends_on = data["starts_on"], data.get("ends_on")
        try:
            markets = agreement_markets(data["territories"], data.get("excluded_territories", ""))
        except UnknownTerritory:
            return data  # the model's clean() reports it on the field
        if (ends_on and ends_on < starts_on) or data["status"] == Agreement.Status.TERMINATED:
            return data
        try:
            services.check_agreement_overlap(
                party=data["party"],
                scope=data["scope"],
                release_ids=[release.pk for release in releases],
                markets=markets,
                starts_on=starts_on,
                ends_on=ends_on,
                agreement_id=self.instance.pk,
            )
        except ApplicationError as exc:
            raise _as_form_error(exc) from None
        return data


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    form = AgreementForm
    list_display = [
        "reference",
        "party",
        "status",
        "scope",
        "territories",
        "excluded_territories",
        "starts_on",
        "ends_on",
        "revenue_share",
        "per_stream_minimum",
    ]
    list_filter = ["status", "scope", "party"]
    search_fields = ["reference", "party__name", "territories"]
    raw_id_fields = ["releases"]
    readonly_fields = ["market_count", "created_at", "updated_at"]
    date_hierarchy = "starts_on"
    actions = ["activate", "suspend", "terminate"]

    @admin.display(description="markets covered")
    def market_count(self, obj):
        return obj.markets.count() if obj.pk else 0

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        terms = {
            "reference": data["reference"],
            "territories": data["territories"],
            "excluded_territories": data.get("excluded_territories", ""),
            "starts_on": data["starts_on"],
            "ends_on": data.get("ends_on"),
            "scope": data["scope"],
            "releases": list(data.get("releases") or []),
            "revenue_share": data["revenue_share"],
            "per_stream_minimum": data["per_stream_minimum"],
            "status": data["status"],
            "notes": data.get("notes", ""),
        }
        if change:
            saved = services.agreement_update(agreement=obj, party=data["party"], **terms)
        else:
            saved = services.agreement_create(party=data["party"], **terms)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        for formset in formsets:  # the services wrote the agreement's releases
            self.save_formset(request, form, formset, change=change)

    def _status(self, request, queryset, status):
        for agreement in queryset:
            try:
                services.agreement_status_set(agreement=agreement, status=status)
            except ApplicationError as exc:
                self.message_user(request, f"{agreement}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{agreement}: {status}.")

    @admin.action(description="Activate (availability follows)")
    def activate(self, request, queryset):
        self._status(request, queryset, Agreement.Status.ACTIVE)

    @admin.action(description="Suspend (availability follows)")
    def suspend(self, request, queryset):
        self._status(request, queryset, Agreement.Status.SUSPENDED)

    @admin.action(description="Terminate (availability follows)")
    def terminate(self, request, queryset):
        self._status(request, queryset, Agreement.Status.TERMINATED)


class ReleaseMarketDateForm(forms.ModelForm):
    class Meta:
        model = ReleaseMarketDate
        fields = ["release", "market", "live_at"]

    def clean_market(self):
        try:
            return services.check_market(market=self.cleaned_data["market"])
        except ApplicationError as exc:
            raise _as_form_error(exc) from None


@admin.register(ReleaseMarketDate)
class ReleaseMarketDateAdmin(admin.ModelAdmin):
    form = ReleaseMarketDateForm
    list_display = ["release", "market", "live_at"]
    list_filter = ["market"]
    search_fields = ["release__title", "market"]
    raw_id_fields = ["release"]

    def save_model(self, request, obj, form, change):
        if change and ("release" in form.changed_data or "market" in form.changed_data):
            old = ReleaseMarketDate.objects.filter(pk=obj.pk).first() if change else None
            if old is not None:
                services.release_market_date_delete(release_market_date=old)
        saved = services.release_market_date_save(
            release=obj.release, market=obj.market, live_at=obj.live_at
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.release_market_date_delete(release_market_date=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.release_market_date_delete(release_market_date=obj)


class TakedownForm(forms.ModelForm):
    class Meta:
        model = Takedown
        fields = ["release", "track", "territories", "reason", "note", "effective_at"]


@admin.register(Takedown)
class TakedownAdmin(admin.ModelAdmin):
    form = TakedownForm
    list_display = ["release", "track", "territories", "reason", "effective_at", "lifted_at"]
    list_filter = ["reason"]
    search_fields = ["release__title", "track__title", "note"]
    raw_id_fields = ["release", "track"]
    actions = ["lift"]

    def get_readonly_fields(self, request, obj=None):
        # A takedown is not edited: it is lifted (and a new one made if need be).
        if obj is not None:
            return ["release", "track", "territories", "reason", "effective_at", "lifted_at"]
        return []

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["note"])
            return
        saved = services.takedown_create(
            release=obj.release,
            track=obj.track,
            territories=obj.territories,
            reason=obj.reason,
            note=obj.note,
            effective_at=obj.effective_at,
            created_by=request.user,
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Lift now (availability returns)")
    def lift(self, request, queryset):
        for takedown in queryset:
            services.takedown_lift(takedown=takedown)
        self.message_user(request, f"Lifted {queryset.count()} takedown(s).")


class RevenuePoolForm(forms.ModelForm):
    class Meta:
        model = RevenuePool
        fields = ["month", "territory", "amount", "note"]

    def clean_territory(self):
        try:
            return services.check_market(market=self.cleaned_data["territory"])
        except ApplicationError as exc:
            raise _as_form_error(exc) from None


@admin.register(RevenuePool)
class RevenuePoolAdmin(admin.ModelAdmin):
    form = RevenuePoolForm
    list_display = ["month", "territory", "amount", "entered_by", "updated_at"]
    list_filter = ["territory"]
    search_fields = ["territory", "note"]
    date_hierarchy = "month"

    def save_model(self, request, obj, form, change):
        saved = services.revenue_pool_set(
            month=obj.month,
            territory=obj.territory,
            amount=obj.amount,
            entered_by=request.user,
            note=obj.note,
        )
        obj.pk = saved.pk


class _ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0


class StatementTerritoryInline(_ReadOnlyInline):
    model = RoyaltyStatementTerritory


class StatementLineInline(_ReadOnlyInline):
    model = RoyaltyStatementLine
    fields = ["territory", "isrc", "track_title", "streams", "amount"]


@admin.register(RoyaltyStatement)
class RoyaltyStatementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Issued statements never change: no add, change or delete; corrections supersede."""

    list_display = [
        "number",
        "agreement",
        "month",
        "revision",
        "supersedes",
        "streams",
        "amount",
        "issued_at",
        "csv",
    ]
    list_filter = ["month", "agreement__party"]
    search_fields = ["number", "agreement__reference", "agreement__party__name"]
    inlines = [StatementTerritoryInline, StatementLineInline]
    list_select_related = ["agreement", "supersedes"]

    @admin.display(description="CSV")
    def csv(self, obj):
        url = reverse("admin:licensing_royaltystatement_csv", args=[obj.pk])
        return format_html('<a href="{}">{}.csv</a>', url, obj.number)

    def get_urls(self):
        custom = [
            path(
                "<int:statement_id>/csv/",
                self.admin_site.admin_view(self.csv_view),
                name="licensing_royaltystatement_csv",
            )
        ]
        return custom + super().get_urls()

    def csv_view(self, request, statement_id: int):
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        statement = get_object_or_404(RoyaltyStatement, pk=statement_id)
        response = HttpResponse(
            selectors.statement_csv(statement=statement), content_type="text/csv"
        )
        response["Content-Disposition"] = f'attachment; filename="{statement.number}.csv"'
        return response


@admin.register(LabelMembership)
class LabelMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "party", "created_at"]
    list_filter = ["party"]
    search_fields = ["user__email", "party__name"]
    raw_id_fields = ["user"]
