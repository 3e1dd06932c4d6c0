"""Helpers shared by the submodules of recommendations.services."""

from django.conf import settings


def _setting(name: str, default):
    return getattr(settings, f"RECOMMENDATIONS_{name}", default)
