"""Shapes of the dashboard API. Insights are plain data from `artists.insights`; their
serializers here describe them for the schema. Team and release objects are serialized."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from artists.models import ArtistTeamMembership, TeamInvitation, TeamRole
from artists.selectors import release_status
from editorial.models import Pitch

RELEASE_STATUSES = ["unscheduled", "scheduled", "released"]

# Errors


# Insights


class InsightsPeriodSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day (UTC), included.")
    end = serializers.DateField(help_text="Last day (UTC), included.")
    days = serializers.IntegerField()


class InsightsListenersSerializer(serializers.Serializer):
    daily_average = serializers.FloatField(help_text="Unique listeners per day, averaged.")
    peak = serializers.IntegerField(help_text="Most unique listeners on one day.")
    peak_day = serializers.DateField(allow_null=True)


class InsightsFollowersSerializer(serializers.Serializer):
    gained = serializers.IntegerField(help_text="New followers in the period.")
    total = serializers.IntegerField(help_text="Followers at the end of the period.")


class ArtistOverviewSerializer(InsightsPeriodSerializer):
    streams = serializers.IntegerField(help_text="Plays of 30 seconds or more.")
    listeners = InsightsListenersSerializer()
    saves = serializers.IntegerField(help_text="Saves of the artist's tracks.")
    followers = InsightsFollowersSerializer()
    playlist_adds = serializers.IntegerField()


class ArtistTimelineDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    streams = serializers.IntegerField()
    listeners = serializers.IntegerField(help_text="Unique listeners that day.")
    saves = serializers.IntegerField()
    follows = serializers.IntegerField(help_text="New followers that day.")
    followers = serializers.IntegerField(help_text="Followers at the end of the day.")
    playlist_adds = serializers.IntegerField()


class ArtistTimelineSerializer(InsightsPeriodSerializer):
    items = ArtistTimelineDaySerializer(many=True)


class InsightsCountrySerializer(serializers.Serializer):
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 market of the listener.")
    streams = serializers.IntegerField()
    listener_days = serializers.IntegerField(
        help_text="Unique listeners per day, added up over the period."
    )
    share = serializers.FloatField(help_text="Fraction of the period's streams.")


class InsightsCountriesSerializer(InsightsPeriodSerializer):
    countries = InsightsCountrySerializer(many=True)
    cities = serializers.ListField(
        child=serializers.DictField(),
        allow_null=True,
        help_text="Always null: there is no city data.",
    )
    cities_note = serializers.CharField()


class InsightsSourceSerializer(serializers.Serializer):
    source = serializers.ChoiceField(
        choices=["editorial", "personalised", "library", "search", "artist_page", "other"]
    )
    label = serializers.CharField()
    contexts = serializers.ListField(
        child=serializers.CharField(), help_text="Play contexts counted in this source."
    )
    streams = serializers.IntegerField()
    listener_days = serializers.IntegerField()
    share = serializers.FloatField()


class InsightsSourcesSerializer(InsightsPeriodSerializer):
    sources = InsightsSourceSerializer(many=True)


class InsightsAgeGroupSerializer(serializers.Serializer):
    age_group = serializers.CharField()
    streams = serializers.IntegerField()
    listener_days = serializers.IntegerField()
    share = serializers.FloatField()


class ArtistDemographicsSerializer(InsightsPeriodSerializer):
    age = InsightsAgeGroupSerializer(many=True)
    gender = serializers.ListField(
        child=serializers.DictField(), allow_null=True, help_text="Always null: not collected."
    )
    gender_note = serializers.CharField()


class InsightsRefSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class InsightsTrackRefSerializer(InsightsRefSerializer):
    album = InsightsRefSerializer()


class InsightsTopTrackSerializer(serializers.Serializer):
    track = InsightsTrackRefSerializer()
    streams = serializers.IntegerField()
    listener_days = serializers.IntegerField()
    saves = serializers.IntegerField()
    playlist_adds = serializers.IntegerField()


class InsightsTopTracksSerializer(InsightsPeriodSerializer):
    items = InsightsTopTrackSerializer(many=True)


class InsightsPlaylistRefSerializer(InsightsRefSerializer):
    kind = serializers.CharField()


class InsightsTopPlaylistSerializer(serializers.Serializer):
    playlist = InsightsPlaylistRefSerializer()
    streams = serializers.IntegerField()
    listener_days = serializers.IntegerField()


class InsightsOtherPlaylistsSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["personalised", "private"])
    streams = serializers.IntegerField()
    listener_days = serializers.IntegerField()


class ArtistTopPlaylistsSerializer(InsightsPeriodSerializer):
    items = InsightsTopPlaylistSerializer(many=True)
    other = InsightsOtherPlaylistsSerializer(many=True)


class TrackOverviewSerializer(InsightsPeriodSerializer):
    streams = serializers.IntegerField()
    listeners = InsightsListenersSerializer()
    saves = serializers.IntegerField()
    playlist_adds = serializers.IntegerField()


class InsightsDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    streams = serializers.IntegerField()
    listeners = serializers.IntegerField()
    saves = serializers.IntegerField()
    playlist_adds = serializers.IntegerField()


class TrackTimelineSerializer(InsightsPeriodSerializer):
    items = InsightsDaySerializer(many=True)


class LabelOverviewSerializer(TrackOverviewSerializer):
    roster_size = serializers.IntegerField()


class LabelRosterArtistSerializer(serializers.Serializer):
    artist = InsightsRefSerializer()
    streams = serializers.IntegerField()
    listener_days = serializers.IntegerField()
    peak_listeners = serializers.IntegerField()
    saves = serializers.IntegerField()
    follows = serializers.IntegerField()


class LabelRosterSerializer(InsightsPeriodSerializer):
    roster_size = serializers.IntegerField()
    items = LabelRosterArtistSerializer(many=True)


# Teams


class TeamUserSerializer(serializers.Serializer):
    id = serializers.SerializerMethodField()
    display_name = serializers.CharField()
    email = serializers.EmailField()

    def get_id(self, user) -> str:
        return str(user.pk)


class TeamMemberSerializer(serializers.ModelSerializer):
    user = TeamUserSerializer()
    joined_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = ArtistTeamMembership
        fields = ["user", "role", "joined_at"]


class TeamInvitationSerializer(serializers.ModelSerializer):
    id = serializers.SerializerMethodField()
    invited_by = serializers.SerializerMethodField()

    class Meta:
        model = TeamInvitation
        fields = ["id", "email", "role", "invited_by", "created_at", "expires_at"]

    def get_id(self, invitation) -> str:
        return str(invitation.pk)

    def get_invited_by(self, invitation) -> str | None:
        return invitation.invited_by.get_full_name() if invitation.invited_by_id else None


class TeamSerializer(serializers.Serializer):
    artist = InsightsRefSerializer()
    members = TeamMemberSerializer(many=True)
    invitations = TeamInvitationSerializer(
        many=True, help_text="Open invitations; only admins see them."
    )


class TeamInviteRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=TeamRole.choices, default=TeamRole.READER)


class TeamRoleRequestSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=TeamRole.choices)


class InvitationAcceptedSerializer(serializers.Serializer):
    artist = InsightsRefSerializer()
    role = serializers.ChoiceField(choices=TeamRole.choices)


class MyArtistTeamSerializer(serializers.Serializer):
    artist = InsightsRefSerializer()
    role = serializers.ChoiceField(choices=TeamRole.choices)


class MyTeamsSerializer(serializers.Serializer):
    artists = MyArtistTeamSerializer(many=True)
    labels = InsightsRefSerializer(many=True)


# Releases


class PitchSerializer(serializers.ModelSerializer):
    id = serializers.SerializerMethodField()
    genre = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    moods = serializers.ListField(child=serializers.CharField())
    markets = serializers.SerializerMethodField()

    class Meta:
        model = Pitch
        fields = ["id", "status", "story", "genre", "moods", "markets", "created_at", "answer"]

    def get_id(self, pitch) -> str:
        return str(pitch.pk)

    def get_markets(self, pitch) -> list[str]:
        return [country.code for country in pitch.markets]


class PitchListSerializer(serializers.Serializer):
    items = PitchSerializer(many=True)


class PitchRequestSerializer(serializers.Serializer):
    story = serializers.CharField(max_length=500, help_text="What makes the release special.")
    genre = serializers.CharField(required=False, allow_blank=True, help_text="Genre slug.")
    moods = serializers.ListField(
        child=serializers.ChoiceField(choices=Pitch.Mood.choices), required=False, default=list
    )
    markets = serializers.ListField(
        child=serializers.CharField(max_length=2), required=False, default=list
    )


class ArtistReleaseSerializer(serializers.Serializer):
    id = serializers.SerializerMethodField()
    name = serializers.CharField(source="title")
    album_type = serializers.CharField(source="release_type")
    release_date = serializers.DateField(allow_null=True)
    status = serializers.SerializerMethodField()
    label = serializers.SerializerMethodField()
    total_tracks = serializers.IntegerField()
    markets_scheduled = serializers.IntegerField(
        help_text="Markets with a go-live moment (local midnight of the release date)."
    )
    pitch = serializers.SerializerMethodField()

    def get_id(self, release) -> str:
        return str(release.pk)

    @extend_schema_field(serializers.ChoiceField(choices=RELEASE_STATUSES))
    def get_status(self, release) -> str:
        return release_status(release=release)

    def get_label(self, release) -> str | None:
        return release.label.name if release.label_id else None

    @extend_schema_field(PitchSerializer(allow_null=True))
    def get_pitch(self, release) -> dict | None:
        pitches = list(release.pitches.all())
        return PitchSerializer(pitches[0]).data if pitches else None


class ArtistReleasePageSerializer(serializers.Serializer):
    """Spotify's paging object of releases."""

    href = serializers.URLField()
    items = ArtistReleaseSerializer(many=True)
    limit = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    offset = serializers.IntegerField()
    previous = serializers.URLField(allow_null=True)
    total = serializers.IntegerField()


class ScheduleRequestSerializer(serializers.Serializer):
    release_date = serializers.DateField(help_text="The release day; after today (UTC).")
    markets = serializers.ListField(
        child=serializers.CharField(max_length=2),
        required=False,
        allow_null=True,
        default=None,
        help_text="Markets to go live in at local midnight; default: every licensed market.",
    )
