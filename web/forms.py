from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.models import User


def _country_choices():
    return list(countries)


def _language_choices():
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


class SignupForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    country = forms.ChoiceField(label=_("Country"), choices=_country_choices)
    language = forms.ChoiceField(label=_("Language"), choices=_language_choices)

    def clean_email(self):
        # Never "already registered": that would tell strangers who has an account.
        return self.cleaned_data["email"].lower()

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            user = User(
                email=cleaned.get("email", ""), display_name=cleaned.get("display_name", "")
            )
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned
