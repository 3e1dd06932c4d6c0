"""Members and helpers every Spotify object shares: type constants, hrefs, uris, images.

The uri scheme is `streamify:<type>:<id>` (`streamify:track:42`, `streamify:user:7`);
`api.params.uri_id` reads it back, so every uri the API hands out is accepted as input, and
so is `spotify:<type>:<id>`, which client libraries build from an id.
"""

from django.urls import reverse
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.urls import replace_query_param

from catalog.selectors import image_sizes, markets_from

URI_SCHEME = "streamify"


class ConstantField(serializers.Field):
    """A read-only field whose value is always `value` (an object's `type`)."""

    def __init__(self, value, **kwargs):
        self.value = value
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return self.value


class ConstantFieldExtension(OpenApiSerializerFieldExtension):
    target_class = ConstantField

    def map_serializer_field(self, auto_schema, direction):
        value = self.target.value
        if isinstance(value, bool):
            return {"type": "boolean"}
        # A component of its own, so the enum hook does not rename it per serializer.
        component = ResolvedComponent(
            name=f"{value.capitalize()}ObjectType",
            type=ResolvedComponent.SCHEMA,
            object=f"ConstantField.{value}",
            schema={"type": "string", "enum": [value]},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


def api_url(context: dict, view: str, pk, *, namespace: str = "catalog_api", **query) -> str:
    url = context["request"].build_absolute_uri(reverse(f"{namespace}:{view}", args=[str(pk)]))
    for name, value in query.items():
        if value is not None:
            url = replace_query_param(url, name, value)
    return url


def external_urls(context: dict, kind: str, pk) -> dict:
    """The object's web page, under the reference's `spotify` key and our own."""
    url = context["request"].build_absolute_uri(f"/{kind}/{pk}")
    return {"spotify": url, "streamify": url}


def object_uri(kind: str, pk) -> str:
    return f"{URI_SCHEME}:{kind}:{pk}"


class ExternalUrlsSerializer(serializers.Serializer):
    spotify = serializers.URLField(
        help_text="The object's page on this service (the key client libraries read)."
    )
    streamify = serializers.URLField(help_text="The same page.")


class AvailableMarketsField(serializers.ListField):
    """`available_markets` of an object read without a market (its `market_list`).

    Read for a market, an object has `is_playable` instead and no market list (Spotify
    leaves `available_markets` out when given a market): the field is left out then.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "ISO 3166-1 alpha-2 codes of the markets where it plays now; "
            "only without `market` (with it, `is_playable` says whether it plays there).",
        )
        super().__init__(child=serializers.CharField(), source="*", required=False, **kwargs)

    def get_attribute(self, instance):
        if not hasattr(instance, "market_list"):
            raise serializers.SkipField
        return instance

    def to_representation(self, instance) -> list[str]:
        return markets_from(instance.market_list)


class ImageSerializer(serializers.Serializer):
    url = serializers.URLField()
    height = serializers.IntegerField(allow_null=True)
    width = serializers.IntegerField(allow_null=True)


class FollowersSerializer(serializers.Serializer):
    href = serializers.URLField(allow_null=True)
    total = serializers.IntegerField()


# Why a track does not play (`restrictions.reason`): Spotify's "market", and, since "additional
# reasons may be added" there, where its audio stands when that is what stops it.
_AUDIO_REASONS = {"none": "no_audio", "processing": "processing", "failed": "failed"}


def playability(licensed: bool, audio_status: str) -> tuple[bool, str | None]:
    """`is_playable` and the restriction's reason of a track licensed (or not) in the
    market, whose audio stands at `audio_status` (`Track.AudioStatus`)."""
    if not licensed:
        return False, "market"
    reason = _AUDIO_REASONS.get(audio_status)
    return reason is None, reason


class RestrictionsSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=["market", *_AUDIO_REASONS.values()],
        help_text="market: not licensed there now; processing: its audio is being prepared; "
        "failed: its audio could not be processed; no_audio: it has no audio yet.",
    )


class CopyrightSerializer(serializers.Serializer):
    text = serializers.CharField()
    type = serializers.ChoiceField(choices=["C", "P"])


class TrackExternalIdsSerializer(serializers.Serializer):
    isrc = serializers.CharField(required=False)


class AlbumExternalIdsSerializer(serializers.Serializer):
    upc = serializers.CharField(required=False)


def images_of(context: dict, image) -> list[dict]:
    """The image in its stored sizes (640, 300, 64 px), largest first."""
    build = context["request"].build_absolute_uri
    return [{"url": build(i.url), "height": i.height, "width": i.width} for i in image_sizes(image)]


class ObjectSerializer(serializers.Serializer):
    """The members every catalog object has: external_urls, href, id, type, uri."""

    object_type = ""
    detail_view = ""

    external_urls = serializers.SerializerMethodField()
    href = serializers.SerializerMethodField()
    id = serializers.CharField(source="pk")
    uri = serializers.SerializerMethodField()

    @extend_schema_field(ExternalUrlsSerializer)
    def get_external_urls(self, obj) -> dict:
        return external_urls(self.context, self.object_type, obj.pk)

    def get_href(self, obj) -> str:
        return api_url(self.context, self.detail_view, obj.pk)

    def get_uri(self, obj) -> str:
        return object_uri(self.object_type, obj.pk)
