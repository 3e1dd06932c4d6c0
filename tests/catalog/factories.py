import datetime

import factory
from django.utils import timezone

from catalog.availability import AvailabilityPlan, track_availability_write
from catalog.models import (
    Artist,
    AvailabilityProfileWindow,
    Genre,
    Label,
    Playlist,
    PlaylistItem,
    Release,
    ReleaseArtist,
    Track,
    TrackArtist,
)
from catalog.services import AvailabilityWindow
from tests.accounts.factories import UserFactory


class GenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Genre
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Genre {n}")
    slug = factory.Sequence(lambda n: f"genre-{n}")


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    name = factory.Sequence(lambda n: f"Label {n}")


class ArtistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Artist

    name = factory.Sequence(lambda n: f"Artist {n}")


class ReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Release
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Release {n}")
    release_type = Release.Type.ALBUM
    release_date = datetime.date(2024, 5, 17)
    label = factory.SubFactory(LabelFactory)

    @factory.post_generation
    def artists(self, create, extracted, **kwargs):
        if not create:
            return
        for position, artist in enumerate(extracted or [ArtistFactory()]):
            ReleaseArtist.objects.create(release=self, artist=artist, position=position)


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Track
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Track {n}")
    release = factory.SubFactory(ReleaseFactory)
    track_number = factory.Sequence(lambda n: n % 20 + 1)
    duration_ms = 180_000
    isrc = factory.Sequence(lambda n: f"SEXYZ{n:07d}")
    # A catalogued track's audio is ready unless a test says otherwise (tests of the audio
    # path make real renditions, and the transcode services keep the status from then on).
    audio_status = Track.AudioStatus.READY

    @factory.post_generation
    def artists(self, create, extracted, **kwargs):
        if not create:
            return
        artists = extracted or list(self.release.artists.all()) or [ArtistFactory()]
        for position, artist in enumerate(artists):
            TrackArtist.objects.create(track=self, artist=artist, position=position)

    @factory.post_generation
    def markets(self, create, extracted, **kwargs):
        """Make the track available now in the given markets (default: none)."""
        if not create or not extracted:
            return
        starts = timezone.now() - datetime.timedelta(days=365)
        availability_set(
            [self.pk], [AvailabilityWindow(market=market, starts_at=starts) for market in extracted]
        )


class PlaylistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Playlist
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Playlist {n}")
    kind = Playlist.Kind.USER

    @factory.post_generation
    def tracks(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        PlaylistItem.objects.bulk_create(
            PlaylistItem(playlist=self, track=track, position=i)
            for i, track in enumerate(extracted)
        )


def track_windows(track) -> list[tuple[str, datetime.datetime, datetime.datetime | None]]:
    """The track's availability windows as (market, starts_at, ends_at), sorted."""
    return list(
        AvailabilityProfileWindow.objects.filter(profile__tracks__track=track)
        .order_by("market", "starts_at")
        .values_list("market", "starts_at", "ends_at")
    )


def track_window_add(track, market, starts_at, ends_at=None) -> None:
    """Add one window to the track's availability, through the catalog service."""
    windows = [AvailabilityWindow(*window) for window in track_windows(track)]
    availability_set([track.pk], [*windows, AvailabilityWindow(market, starts_at, ends_at)])


def availability_set(track_ids, windows):
    """Make `windows` the whole availability of the tracks, through the catalog's writer."""
    track_ids = list(track_ids)
    return track_availability_write(
        plan=AvailabilityPlan.of_tracks(track_ids, windows), track_ids=track_ids
    )
