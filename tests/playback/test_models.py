import datetime

import pytest
from django.db import IntegrityError
from django.utils import timezone

from playback.models import RENDITION_PROFILES, PlayEvent, Rendition, TranscodeJob
from tests.catalog.factories import TrackFactory
from tests.playback.factories import PlayEventFactory, RenditionFactory

pytestmark = pytest.mark.django_db


def test_every_profile_has_a_spec():
    assert set(RENDITION_PROFILES) == set(Rendition.Profile.values)
    assert {spec.codec for spec in RENDITION_PROFILES.values()} == set(Rendition.Codec.values)
    # ffmpeg has no "m4a" muxer: AAC goes into the "ipod" one.
    assert {s.muxer for s in RENDITION_PROFILES.values() if s.codec == "aac"} == {"ipod"}


def test_ready_rendition_needs_a_file():
    with pytest.raises(IntegrityError):
        Rendition.objects.create(
            track=TrackFactory(), profile="mp3_320", codec="mp3", bitrate_kbps=320, state="ready"
        )


def test_one_rendition_per_profile():
    rendition = RenditionFactory()
    with pytest.raises(IntegrityError):
        RenditionFactory(track=rendition.track, profile=rendition.profile)


def test_one_job_per_original():
    track = TrackFactory()
    TranscodeJob.objects.create(track=track, source_sha256="a" * 64)
    with pytest.raises(IntegrityError):
        TranscodeJob.objects.create(track=track, source_sha256="a" * 64)


def test_stream_threshold():
    assert not PlayEventFactory.build(ms_played=29_999).is_stream
    assert PlayEventFactory.build(ms_played=30_000).is_stream


def test_event_cannot_end_before_it_starts():
    now = timezone.now()
    with pytest.raises(IntegrityError):
        PlayEventFactory(started_at=now, ended_at=now - datetime.timedelta(seconds=1))


def test_context_types():
    assert PlayEvent.Context.values == [
        "album",
        "playlist",
        "search",
        "editorial",
        "personalised",
        "artist",
        "collection",
        "other",
    ]
