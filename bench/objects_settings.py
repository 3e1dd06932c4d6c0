"""Settings of `bench/objects.py`'s server: production settings plus the floor view's url."""

from streamify.settings.base import *  # noqa: F403

ROOT_URLCONF = "objects_urls"
