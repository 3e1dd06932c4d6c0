"""Browse responses: the shared playlist and album objects, plus the category object.

Editorial playlists show their name and description in the request's language (the
`languages` of the serializer context) and their curating team, never an editor's account,
as `owner`/`added_by`.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.objects import (
    ImageSerializer,
    SimplifiedAlbumSerializer,
    SimplifiedPlaylistSerializer,
    images_of,
    paging_serializer,
)
from editorial import selectors
from editorial.models import Category


class BrowsePlaylistSerializer(SimplifiedPlaylistSerializer):
    """A simplified playlist object; editorial name and description in the request's language.

    Also reads catalog playlists (the `made-for-you` category), which have no translations.
    """

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if hasattr(instance, "translations"):
            texts = selectors.playlist_texts(
                playlist=instance, languages=self.context.get("languages", [])
            )
            data["name"], data["description"] = texts.title, texts.description or None
        return data


class CategorySerializer(serializers.Serializer):
    href = serializers.SerializerMethodField()
    icons = serializers.SerializerMethodField()
    id = serializers.CharField(source="slug")
    name = serializers.SerializerMethodField()

    def get_href(self, obj: Category) -> str:
        url = reverse("editorial_api:category", args=[obj.slug])
        return self.context["request"].build_absolute_uri(url)

    @extend_schema_field(ImageSerializer(many=True))
    def get_icons(self, obj: Category) -> list[dict]:
        return images_of(self.context, obj.icon)

    def get_name(self, obj: Category) -> str:
        return selectors.category_name(category=obj, languages=self.context["languages"])


SimplifiedPlaylistPagingSerializer = paging_serializer(
    "SimplifiedPlaylistPaging", SimplifiedPlaylistSerializer(many=True)
)


class FeaturedPlaylistsResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    playlists = SimplifiedPlaylistPagingSerializer()


class CategoryPlaylistsResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    playlists = SimplifiedPlaylistPagingSerializer()


class CategoriesResponseSerializer(serializers.Serializer):
    categories = paging_serializer("CategoryPaging", CategorySerializer(many=True))()


class NewReleasesResponseSerializer(serializers.Serializer):
    message = serializers.CharField(required=False)
    albums = paging_serializer("SimplifiedAlbumPaging", SimplifiedAlbumSerializer(many=True))()
