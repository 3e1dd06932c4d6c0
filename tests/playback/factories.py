import datetime
import hashlib
import uuid

import factory
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from playback.models import RENDITION_PROFILES, PlayEvent, Rendition
from tests.accounts.factories import UserFactory
from tests.catalog.factories import TrackFactory


class RenditionFactory(factory.django.DjangoModelFactory):
    """A READY rendition whose file holds `content` (random bytes unless given)."""

    class Meta:
        model = Rendition
        exclude = ["content"]

    track = factory.SubFactory(TrackFactory)
    profile = Rendition.Profile.OPUS_96
    codec = factory.LazyAttribute(lambda o: RENDITION_PROFILES[o.profile].codec)
    bitrate_kbps = factory.LazyAttribute(lambda o: RENDITION_PROFILES[o.profile].bitrate_kbps)
    state = Rendition.State.READY
    source_sha256 = factory.LazyFunction(lambda: uuid.uuid4().hex * 2)
    content = factory.LazyFunction(lambda: uuid.uuid4().bytes * 4096)
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    size_bytes = factory.LazyAttribute(lambda o: len(o.content))
    file = factory.LazyAttribute(
        lambda o: default_storage.save(
            f"renditions/test/{uuid.uuid4().hex}.{RENDITION_PROFILES[o.profile].extension}",
            ContentFile(o.content),
        )
    )


class PlayEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlayEvent

    id = factory.LazyFunction(uuid.uuid4)
    user = factory.SubFactory(UserFactory)
    track = factory.SubFactory(TrackFactory)
    ms_played = 180_000
    context_type = PlayEvent.Context.ALBUM
    context_id = ""
    ended_at = factory.LazyFunction(timezone.now)
    started_at = factory.LazyAttribute(
        lambda o: o.ended_at - datetime.timedelta(milliseconds=o.ms_played)
    )
    country = "SE"
    verdict = factory.LazyAttribute(
        lambda o: PlayEvent.Verdict.STREAM if o.ms_played >= 30_000 else PlayEvent.Verdict.PLAY
    )
