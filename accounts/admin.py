from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import CountryChange, User
from common.admin import ReadOnlyAdminMixin


class PasswordChangeForm(AdminPasswordChangeForm):
    """Staff setting a password revoke the user's OAuth tokens too (the service does)."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            services.oauth_credentials_revoke(user=user)
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    change_password_form = PasswordChangeForm
    ordering = ["email"]
    list_display = ["email", "display_name", "country", "language", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups", "country", "language"]
    search_fields = ["email", "display_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "country", "language", "birth_year")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "country", "language", "password1", "password2"),
            },
        ),
    )

    def save_model(self, request, obj, form, change):
        """A staff change of the country goes through the logged flow."""
        if change and "country" in form.changed_data:
            new_country = str(obj.country)
            obj.country = form.initial["country"]
            super().save_model(request, obj, form, change)
            services.user_country_change(user=obj, country=new_country, changed_by=request.user)
            obj.refresh_from_db(fields=["country"])
            return
        super().save_model(request, obj, form, change)


@admin.register(CountryChange)
class CountryChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["changed_at", "user", "old_country", "new_country", "changed_by", "by_staff"]
    list_filter = ["by_staff", "new_country"]
    list_select_related = ["user", "changed_by"]
    search_fields = ["user__email", "=address"]
    date_hierarchy = "changed_at"
