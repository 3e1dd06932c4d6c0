"""Helpers shared by the submodules of artists.services."""

import datetime

from django.utils import timezone


def _today(now: datetime.datetime | None = None) -> datetime.date:
    return (now or timezone.now()).astimezone(datetime.UTC).date()
