"""User objects: playlist owner (owners, added_by), public (`/users/{id}`), private (`/me`)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.objects.base import (
    ConstantField,
    ExternalUrlsSerializer,
    FollowersSerializer,
    ImageSerializer,
    external_urls,
    object_uri,
)
from api.scopes import USER_READ_EMAIL, USER_READ_PRIVATE, token_has_scope


class PlaylistOwnerSerializer(serializers.Serializer):
    """A user as a playlist's owner or an item's `added_by`."""

    display_name = serializers.CharField(allow_null=True)
    external_urls = serializers.SerializerMethodField()
    href = serializers.SerializerMethodField()
    id = serializers.CharField(source="pk")
    type = ConstantField("user")
    uri = serializers.SerializerMethodField()

    @extend_schema_field(ExternalUrlsSerializer)
    def get_external_urls(self, obj) -> dict:
        return external_urls(self.context, "user", obj.pk)

    def get_href(self, obj) -> str:
        url = reverse("users_api:user", args=[str(obj.pk)])
        return self.context["request"].build_absolute_uri(url)

    def get_uri(self, obj) -> str:
        return object_uri("user", obj.pk)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["display_name"] = data["display_name"] or None
        return data


class PublicUserSerializer(PlaylistOwnerSerializer):
    """No user follows users here, and users have no pictures: followers 0, images []."""

    followers = serializers.SerializerMethodField()
    images = serializers.SerializerMethodField()

    @extend_schema_field(FollowersSerializer)
    def get_followers(self, obj) -> dict:
        return {"href": None, "total": 0}

    @extend_schema_field(ImageSerializer(many=True))
    def get_images(self, obj) -> list[dict]:
        return []


class PrivateUserSerializer(PublicUserSerializer):
    """`/me`: `email` needs user-read-email, `country` and `product` user-read-private (as in
    the reference) when read with a bearer token; a browser session sees them all."""

    country = serializers.CharField(required=False)
    email = serializers.EmailField(required=False)
    explicit_content = serializers.SerializerMethodField()
    language = serializers.CharField()
    product = serializers.SerializerMethodField()

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "filter_enabled": {"type": "boolean"},
                "filter_locked": {"type": "boolean"},
            },
        }
    )
    def get_explicit_content(self, obj) -> dict:
        return {"filter_enabled": False, "filter_locked": False}

    @extend_schema_field(serializers.ChoiceField(choices=["free"], required=False))
    def get_product(self, obj) -> str:
        return "free"

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context["request"]
        if not token_has_scope(request, USER_READ_EMAIL):
            data.pop("email", None)
        if not token_has_scope(request, USER_READ_PRIVATE):
            for private in ("country", "product", "explicit_content"):
                data.pop(private, None)
        return data
