import datetime

import factory
from django.utils import timezone

from accounts import roles
from catalog.models import Playlist, PlaylistItem
from editorial import services
from editorial.models import (
    Campaign,
    Category,
    CategoryTranslation,
    EditorialPlaylist,
    EditorialPlaylistTranslation,
    Pitch,
    Team,
    TeamMembership,
)
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ReleaseFactory


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    markets = ["SE", "NO"]
    languages = "sv, en"


def member(team: Team, role: str = TeamMembership.Role.EDITOR, **user_fields):
    """A staff user in the "editors" group with the given role in `team`."""
    user = UserFactory(role=roles.EDITORS, **user_fields)
    services.editorial_team_member_add(team=team, user=user, role=role)
    return user


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")

    @factory.post_generation
    def translations(self, create, extracted, **kwargs):
        for language, name in (extracted or {}).items():
            CategoryTranslation.objects.create(category=self, language=language, name=name)


class EditorialPlaylistFactory(factory.django.DjangoModelFactory):
    """A draft of a team (markets: the team's); pass `tracks=[...]`, `translations={...}`."""

    class Meta:
        model = EditorialPlaylist
        skip_postgeneration_save = True

    team = factory.SubFactory(TeamFactory)
    owner = factory.LazyFunction(services.editorial_owner)
    kind = Playlist.Kind.EDITORIAL
    name = factory.Sequence(lambda n: f"Editorial {n}")
    description = "Picked by our editors."
    language = "sv"
    markets = factory.LazyAttribute(lambda o: o.team.market_codes)
    public = False
    state = EditorialPlaylist.State.DRAFT

    @factory.post_generation
    def tracks(self, create, extracted, **kwargs):
        if create and extracted:
            PlaylistItem.objects.bulk_create(
                PlaylistItem(playlist=self, track=track, position=i)
                for i, track in enumerate(extracted)
            )

    @factory.post_generation
    def translations(self, create, extracted, **kwargs):
        for language, (title, description) in (extracted or {}).items():
            EditorialPlaylistTranslation.objects.create(
                playlist=self, language=language, title=title, description=description
            )

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.set(extracted)


class PublishedPlaylistFactory(EditorialPlaylistFactory):
    state = EditorialPlaylist.State.PUBLISHED
    public = True
    featured = True
    published_at = factory.LazyFunction(timezone.now)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Campaign {n}")
    slug = factory.Sequence(lambda n: f"campaign-{n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))

    @factory.post_generation
    def playlists(self, create, extracted, **kwargs):
        if create and extracted:
            self.playlists.set(extracted)


class PitchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pitch

    release = factory.SubFactory(ReleaseFactory, release_date=datetime.date(2999, 1, 1))
    submitted_by = factory.SubFactory(UserFactory, role=roles.ARTIST_TEAM_MEMBERS)
    story = "Recorded in one night in a lighthouse."
    moods = ["chill"]
