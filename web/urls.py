from django.urls import path, re_path
from django.views.i18n import JavaScriptCatalog, set_language

from web import app_passwords, views

app_name = "web"

# Client-side routes: the shell answers them all so a reload or a shared link works.
CLIENT_ROUTES = r"^(?:search|artist|album|playlist|collection|profile|browse|genre)(?:/[\w-]*)*/?$"

urlpatterns = [
    path("", views.ShellView.as_view(), name="shell"),
    re_path(CLIENT_ROUTES, views.ShellView.as_view(), name="client-route"),
    path("player/progress.json", views.TranscodeProgressView.as_view(), name="transcode_progress"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", views.SignupView.as_view(), name="signup"),
    path("accounts/signup/sent/", views.SignupSentView.as_view(), name="signup_sent"),
    path(
        "accounts/signup/confirm/<str:token>/",
        views.SignupConfirmView.as_view(),
        name="signup_confirm",
    ),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/app-passwords/",
        app_passwords.AppPasswordsView.as_view(),
        name="app_passwords",
    ),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["web"]), name="jsi18n"),
    path("i18n/setlang/", set_language, name="set_language"),
]
