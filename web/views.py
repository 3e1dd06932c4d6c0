from django.conf import settings
from django.contrib import admin
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import get_language_info, ngettext
from django.utils.translation import gettext_lazy as _
from django.views import View, defaults
from django.views.generic import FormView, TemplateView
from django_countries import countries

from accounts.services import signup_confirm, signup_request, user_password_set
from accounts.throttling import PasswordResetRateThrottle, SignupRateThrottle
from common.storage import storage_is_local
from playback.selectors import transcode_progress
from web.forms import SignupForm


def _remember_language(response: HttpResponse, language: str) -> HttpResponse:
    """Set the cookie LocaleMiddleware reads, so every later request uses `language`."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


class ShellView(LoginRequiredMixin, TemplateView):
    """The player shell for every client-side route (home, search, artist, album, ...)."""

    template_name = "web/shell.html"
    login_url = reverse_lazy("web:login")

    def get(self, request, *args, **kwargs):
        # The profile's language wins over the cookie and Accept-Language.
        language = request.user.language
        if language != translation.get_language():
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = super().get(request, *args, **kwargs)
        response.render()
        if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            _remember_language(response, language)
        response["Cache-Control"] = "no-store"
        return response

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = super().get_context_data(**kwargs)
        context["boot"] = {
            "user": {
                "id": str(user.pk),
                "display_name": user.display_name or user.get_short_name(),
                "email": user.email,
                "country": str(user.country),
                "language": user.language,
            },
            "countries": [[code, str(name)] for code, name in countries],
            # Same-origin audio (local storage) may go through Web Audio for normalisation.
            "audio_processing": storage_is_local(),
            # Each language in its own name, so a listener finds theirs in any UI language.
            "languages": [
                [code, get_language_info(code)["name_local"]] for code, _name in settings.LANGUAGES
            ],
            "urls": {
                "api": "/api/v1/",
                "jsi18n": reverse("web:jsi18n"),
                "set_language": reverse("web:set_language"),
                "logout": reverse("web:logout"),
                "password_change": reverse("web:password_change"),
                "transcode_progress": reverse("web:transcode_progress"),
            },
        }
        return context


class TranscodeProgressView(View):
    """How much of the catalogue plays yet (n of N ready), for the player's status line."""

    def get(self, request):
        if not request.user.is_authenticated:
            return JsonResponse({"error": {"status": 401, "message": "Log in first."}}, status=401)
        progress = transcode_progress()
        response = JsonResponse(
            {
                "total": progress.total,
                "ready": progress.ready,
                "complete": progress.complete,
                "failed": progress.failed,
                "pending": progress.pending,
            }
        )
        response["Cache-Control"] = "no-store"
        return response


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("web:shell")

    def form_valid(self, form):
        response = super().form_valid(form)
        translation.activate(form.get_user().language)
        return _remember_language(response, form.get_user().language)

    def form_invalid(self, form):
        # The throttle refused the attempt before any password check (accounts.backends).
        wait = getattr(self.request, "login_throttled", None)
        if not wait:
            return super().form_invalid(form)
        form.errors.clear()
        form.add_error(None, _throttled_message(wait))
        response = super().form_invalid(form)
        response.status_code = 429
        response["Retry-After"] = str(wait)
        return response


def _throttled_message(wait: int) -> str:
    minutes = max(1, -(-wait // 60))
    return ngettext(
        "Too many failed attempts. Try again in %(minutes)d minute.",
        "Too many failed attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class LogoutView(auth_views.LogoutView):
    def get_default_redirect_url(self):
        return reverse("web:login")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the password; this session stays, every other session of the user ends.

    Django keys each session to a hash of the password (`get_session_auth_hash`), so the
    other sessions fail verification on their next request; this one is re-keyed.
    """

    template_name = "web/password_change.html"
    extra_context = {"title": _("Change password")}

    def form_valid(self, form):
        user_password_set(user=form.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, form.user)
        return redirect(self.get_success_url())

    def get_success_url(self):
        return reverse("web:shell")


class SignupView(FormView):
    template_name = "web/signup.html"
    form_class = SignupForm
    extra_context = {"title": _("Sign up")}

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("web:shell")
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"language": translation.get_language(), "country": "US"}

    def post(self, request, *args, **kwargs):
        throttle = SignupRateThrottle()
        if throttle.allow_request(request, self):
            return super().post(request, *args, **kwargs)
        wait = max(1, round(throttle.wait() or 60))
        form = self.get_form()
        form.errors.clear()
        form.add_error(None, _("Too many sign-ups from your network. Try again later."))
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(wait)
        return response

    def form_valid(self, form):
        # The same answer whether or not the address has an account (see signup_request).
        data = form.cleaned_data
        confirm = reverse("web:signup_confirm", kwargs={"token": "TOKEN"})
        signup_request(
            email=data["email"],
            password=data["password"],
            country=data["country"],
            language=data["language"],
            display_name=data["display_name"],
            confirm_url=self.request.build_absolute_uri(confirm).replace("TOKEN", "{token}"),
        )
        return _remember_language(redirect("web:signup_sent"), data["language"])


class SignupSentView(TemplateView):
    template_name = "web/signup_sent.html"


class SignupConfirmView(TemplateView):
    """GET shows a button, POST creates the account: mail scanners that fetch links
    must not use them up."""

    template_name = "web/signup_confirm.html"

    def post(self, request, token):
        user = signup_confirm(token=token)
        if user is None:
            return self.render_to_response({"invalid": True}, status=400)
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        translation.activate(user.language)
        return _remember_language(redirect("web:shell"), user.language)


class PasswordResetView(auth_views.PasswordResetView):
    """Mail a one-time link; the answer is the same whether the address has an account."""

    template_name = "web/password_reset.html"
    email_template_name = "web/password_reset_email.txt"
    subject_template_name = "web/password_reset_subject.txt"
    success_url = reverse_lazy("web:password_reset_done")
    extra_context = {"title": _("Reset password")}

    def post(self, request, *args, **kwargs):
        throttle = PasswordResetRateThrottle()
        if not throttle.allow_request(request, self):
            response = redirect(self.success_url)  # the same answer, no mail sent
            response["Retry-After"] = str(max(1, round(throttle.wait() or 60)))
            return response
        return super().post(request, *args, **kwargs)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "web/password_reset_done.html"


class _ResetPasswordForm(SetPasswordForm):
    def save(self, commit=True):
        return user_password_set(user=self.user, password=self.cleaned_data["new_password1"])


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set the new password (revoking every OAuth token), then log in on this device."""

    template_name = "web/password_reset_confirm.html"
    form_class = _ResetPasswordForm
    post_reset_login = True
    post_reset_login_backend = "accounts.backends.ThrottledModelBackend"
    success_url = reverse_lazy("web:shell")


def permission_denied(request, exception=None):
    """403: with the admin's look (header, navigation, a way back) inside /admin/."""
    if request.path.startswith(reverse("admin:index")):
        context = {**admin.site.each_context(request), "title": _("Access denied")}
        return TemplateResponse(request, "admin/403.html", context, status=403)
    return defaults.permission_denied(request, exception)
