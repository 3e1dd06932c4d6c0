"""The profile page where a listener creates and revokes app passwords for OpenSubsonic apps.

A server-rendered page of its own (template `web/app_passwords.html`, module
`web/app-passwords.js`), reached from the player's profile view. A new secret is shown once,
in the answer to the POST that made it, and never again.
"""

import contextlib

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from accounts import selectors, services
from common.errors import ApplicationError


class AppPasswordCreateForm(forms.Form):
    name = forms.CharField(
        label=_("App name"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Symfonium on my phone")}),
    )


class AppPasswordsView(LoginRequiredMixin, TemplateView):
    template_name = "web/app_passwords.html"
    extra_context = {"title": _("App passwords")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", AppPasswordCreateForm())
        context["app_passwords"] = selectors.app_passwords_active(user=self.request.user)
        context["server_url"] = self.request.build_absolute_uri("/").rstrip("/")
        return context

    def post(self, request, *args, **kwargs):
        if "revoke" in request.POST:
            # Already revoked or not theirs: the list shows what is left.
            with contextlib.suppress(ApplicationError, ValueError):
                services.app_password_revoke(
                    user=request.user, app_password_id=int(request.POST["revoke"])
                )
            return redirect(reverse("web:app_passwords"))
        form = AppPasswordCreateForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            app_password, secret = services.app_password_create(
                user=request.user, name=form.cleaned_data["name"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return self.render_to_response(self.get_context_data(form=form))
        context = self.get_context_data(created=app_password, secret=secret)
        response = self.render_to_response(context)
        response["Cache-Control"] = "no-store"
        return response
