"""Responses of the similar-tracks and related-artists lists (shared track/artist objects)."""

from rest_framework import serializers

from api.objects import ArtistSerializer, TrackSerializer


class SimilarTracksSerializer(serializers.Serializer):
    tracks = TrackSerializer(many=True)


class RelatedArtistsSerializer(serializers.Serializer):
    artists = ArtistSerializer(many=True)


class RecommendationSeedSerializer(serializers.Serializer):
    afterFilteringSize = serializers.IntegerField()
    afterRelinkingSize = serializers.IntegerField()
    href = serializers.URLField(allow_null=True)
    id = serializers.CharField()
    initialPoolSize = serializers.IntegerField()
    type = serializers.ChoiceField(choices=["ARTIST", "TRACK", "GENRE"])


class RecommendationsSerializer(serializers.Serializer):
    seeds = RecommendationSeedSerializer(many=True)
    tracks = TrackSerializer(many=True)


class GenreSeedsSerializer(serializers.Serializer):
    genres = serializers.ListField(child=serializers.CharField())
