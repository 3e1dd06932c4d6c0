"""The browse API, shaped like the Spotify Web API's `/browse/...` endpoints.

Only published editorial playlists of the requested market are listed. Texts are chosen
from the `locale` parameter (`sv_SE`), else the Accept-Language header, else each object's
default language.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.browse.serializers import (
    BrowsePlaylistSerializer,
    CategoriesResponseSerializer,
    CategoryPlaylistsResponseSerializer,
    CategorySerializer,
    FeaturedPlaylistsResponseSerializer,
    NewReleasesResponseSerializer,
)
from api.objects import ArtistSerializer, ErrorSerializer, SimplifiedAlbumSerializer, render
from api.paging import SpotifyPagination
from api.params import choice_param, languages_param, market_param
from api.public import PublicPagingApi
from api.scopes import TokenHasScope
from catalog import object_selectors
from catalog import selectors as catalog_selectors
from common.errors import PermissionDenied, ValidationFailed
from editorial import selectors

# Shelf titles per language; the first matching the request wins, else English.
FEATURED_MESSAGES = {
    "en": "Editor's picks",
    "sv": "Redaktionens val",
    "da": "Redaktionens valg",
    "nb": "Redaksjonens valg",
    "no": "Redaksjonens valg",
    "fi": "Toimituksen valinnat",
    "es": "Selección del equipo editorial",
    "pt": "Escolhas da redação",
}
NEW_RELEASES_MESSAGES = {
    "en": "New releases",
    "sv": "Nya släpp",
    "da": "Nye udgivelser",
    "nb": "Nye utgivelser",
    "no": "Nye utgivelser",
    "fi": "Uudet julkaisut",
    "es": "Novedades",
    "pt": "Lançamentos",
}

COUNTRY = OpenApiParameter(
    "country",
    OpenApiTypes.STR,
    description="ISO 3166-1 alpha-2 country code: only playlists (albums) published "
    "(playable) there. `market` is accepted too, with `from_token` for the user's country.",
)
MARKET = OpenApiParameter(
    "market", OpenApiTypes.STR, description="Alias of `country`; `from_token` is the user's."
)
LOCALE = OpenApiParameter(
    "locale",
    OpenApiTypes.STR,
    description="Language of the texts, as an ISO 639-1 language code and an ISO 3166-1 "
    "alpha-2 country code joined by an underscore (`sv_SE`). Default: the Accept-Language "
    "header, then each object's default language.",
)
PAGING = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 50 (default 20)."),
    OpenApiParameter("offset", OpenApiTypes.INT, description="Default 0."),
]
CATEGORY_ID = OpenApiParameter(
    "category_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=f"The category's id; `{selectors.MADE_FOR_YOU}` is the user's personalised "
    "playlists.",
)
ERRORS = {400: ErrorSerializer}
ERRORS_404 = {400: ErrorSerializer, 404: ErrorSerializer}


def market_of(request) -> str | None:
    """The request's market: `country` (the reference's name here), else `market`."""
    if request.query_params.get("country", "").strip():
        return market_param(request, name="country")
    return market_param(request)


def languages_of(request) -> list[str]:
    return languages_param(request)


def localised(messages: dict[str, str], languages: list[str]) -> str:
    return selectors.message_localised(messages=messages, languages=languages)


class _BrowseApi(APIView):
    permission_classes = [TokenHasScope]
    scopes = {}

    def page(self, queryset, serializer_class, *, languages: list[str]) -> dict:
        paginator = SpotifyPagination()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        context = {"request": self.request, "languages": languages}
        data = serializer_class(page, many=True, context=context).data
        return paginator.paging_object(data)


class FeaturedPlaylistsApi(_BrowseApi):
    @extend_schema(
        operation_id="get_featured_playlists",
        summary="Get featured playlists",
        description="Published editorial playlists of the market that editors feature or "
        "that belong to an active campaign; `message` is the campaign's name, if any.",
        tags=["browse"],
        parameters=[COUNTRY, MARKET, LOCALE, *PAGING],
        responses={200: FeaturedPlaylistsResponseSerializer, **ERRORS},
    )
    def get(self, request):
        market, languages = market_of(request), languages_of(request)
        now = timezone.now()
        playlists = self.page(
            selectors.featured_playlists(market=market, now=now),
            BrowsePlaylistSerializer,
            languages=languages,
        )
        campaign = selectors.featured_campaign(market=market, now=now)
        message = campaign.name if campaign else localised(FEATURED_MESSAGES, languages)
        return Response({"message": message, "playlists": playlists})


class CategoryListApi(_BrowseApi):
    @extend_schema(
        operation_id="get_categories",
        summary="Get browse categories",
        description="Categories with a playlist published in the market.",
        tags=["browse"],
        parameters=[COUNTRY, MARKET, LOCALE, *PAGING],
        responses={200: CategoriesResponseSerializer, **ERRORS},
    )
    def get(self, request):
        market, languages = market_of(request), languages_of(request)
        categories = self.page(
            selectors.category_list(market=market), CategorySerializer, languages=languages
        )
        return Response({"categories": categories})


class CategoryDetailApi(_BrowseApi):
    @extend_schema(
        operation_id="get_a_category",
        summary="Get a browse category",
        tags=["browse"],
        parameters=[CATEGORY_ID, COUNTRY, MARKET, LOCALE],
        responses={200: CategorySerializer, **ERRORS_404},
    )
    def get(self, request, category_id):
        languages = languages_of(request)
        category = selectors.category_get(category_id=category_id)
        context = {"request": request, "languages": languages}
        return Response(CategorySerializer(category, context=context).data)


class CategoryPlaylistsApi(_BrowseApi):
    @extend_schema(
        operation_id="get_a_categories_playlists",
        summary="Get a category's playlists",
        description="Published editorial playlists of the category in the market. The "
        f"`{selectors.MADE_FOR_YOU}` category holds the logged-in user's personalised "
        "playlists (Discover Weekly, Release Radar).",
        tags=["browse"],
        parameters=[CATEGORY_ID, COUNTRY, MARKET, LOCALE, *PAGING],
        responses={
            200: CategoryPlaylistsResponseSerializer,
            **ERRORS_404,
            401: ErrorSerializer,
        },
    )
    def get(self, request, category_id):
        market, languages = market_of(request), languages_of(request)
        if category_id == selectors.MADE_FOR_YOU:
            if not request.user.is_authenticated:
                raise PermissionDenied("Log in to see the playlists made for you.", status=401)
            playlists = self.page(
                selectors.personalised_playlists(user=request.user),
                BrowsePlaylistSerializer,
                languages=languages,
            )
            return Response({"message": "Made for you", "playlists": playlists})
        category = selectors.category_get(category_id=category_id)
        playlists = self.page(
            selectors.category_playlists(category=category, market=market),
            BrowsePlaylistSerializer,
            languages=languages,
        )
        message = selectors.category_name(category=category, languages=languages)
        return Response({"message": message, "playlists": playlists})


class NewReleasesApi(_BrowseApi):
    @extend_schema(
        operation_id="get_new_releases",
        summary="Get new releases",
        description=(
            "The newest 100 released albums, newest first; with `country`, only those "
            "playable there."
        ),
        tags=["browse"],
        parameters=[COUNTRY, MARKET, LOCALE, *PAGING],
        responses={200: NewReleasesResponseSerializer, **ERRORS},
    )
    def get(self, request):
        market, languages = market_of(request), languages_of(request)
        paginator = SpotifyPagination()
        paginator.request = request
        paginator.limit = paginator.get_limit(request)
        paginator.offset = paginator.get_offset(request)
        now = timezone.now()
        rows, paginator.count, artists = object_selectors.new_release_rows(
            market=market, limit=paginator.limit, offset=paginator.offset, now=now
        )
        if paginator.count is None:  # past the last page: count them
            found = selectors.new_releases(market=market, now=now)[
                : object_selectors.NEW_RELEASES_MAX
            ]
            paginator.count = found.count()
        albums = render.simplified_albums(render.Links(request), rows, artists)
        return Response(
            {
                "message": localised(NEW_RELEASES_MESSAGES, languages),
                "albums": paginator.paging_object(albums),
            }
        )


# The whole catalogue, for the web player's browse pages (no Spotify counterpart)

GENRE = OpenApiParameter(
    "genre", OpenApiTypes.INT, description="A genre's `id` (from `/browse/genres`): only its."
)


def _sort_param(sorts: tuple[str, ...]) -> OpenApiParameter:
    return OpenApiParameter(
        "sort", OpenApiTypes.STR, enum=list(sorts), description=f"Default `{sorts[0]}`."
    )


def genre_of(request):
    """The genre named by `genre`, or None without it; 400 when it names none."""
    raw = request.query_params.get("genre", "").strip()
    if not raw:
        return None
    genre = catalog_selectors.genre_find(genre_id=int(raw)) if raw.isdigit() else None
    if genre is None:
        raise ValidationFailed(f"Invalid genre: {raw[:40]!r}. Use an id from /browse/genres.")
    return genre


class CatalogueAlbumsApi(PublicPagingApi):
    @extend_schema(
        operation_id="browse_albums",
        summary="Browse all albums",
        description="Every album, sorted by `name`, `newest` (release date) or `popular`; "
        "with `market`, only albums with a track playable there.",
        tags=["browse"],
        parameters=[_sort_param(catalog_selectors.RELEASE_SORTS), GENRE, MARKET, *PAGING],
        responses={200: SimplifiedAlbumSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        sort = choice_param(request, "sort", catalog_selectors.RELEASE_SORTS, default="name")
        genre, market = genre_of(request), market_param(request)
        releases = catalog_selectors.release_list_browse(sort=sort, genre=genre, market=market)
        return self.page_response(releases, SimplifiedAlbumSerializer, market)


class CatalogueArtistsApi(PublicPagingApi):
    @extend_schema(
        operation_id="browse_artists",
        summary="Browse all artists",
        description="Every artist, sorted by `name` or `popular`.",
        tags=["browse"],
        parameters=[_sort_param(catalog_selectors.ARTIST_SORTS), GENRE, *PAGING],
        responses={200: ArtistSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        sort = choice_param(request, "sort", catalog_selectors.ARTIST_SORTS, default="name")
        artists = catalog_selectors.artist_list_browse(sort=sort, genre=genre_of(request))
        return self.page_response(artists, ArtistSerializer)


class GenreSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    album_count = serializers.IntegerField()


class CatalogueGenresApi(PublicPagingApi):
    @extend_schema(
        operation_id="browse_genres",
        summary="Browse genres",
        description="Genres with at least one album (playable in `market`, if given), by "
        "name, with how many (`album_count`).",
        tags=["browse"],
        parameters=[MARKET, *PAGING],
        responses={200: GenreSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        genres = catalog_selectors.genre_list_browse(market=market_param(request))
        return self.page_response(genres, GenreSerializer)


class CatalogueGenreDetailApi(APIView):
    permission_classes = [TokenHasScope]
    scopes = {}

    @extend_schema(
        operation_id="browse_genre",
        summary="Get a genre",
        description="The genre with how many albums it has (playable in `market`, if given).",
        tags=["browse"],
        parameters=[
            OpenApiParameter("genre_id", OpenApiTypes.INT, OpenApiParameter.PATH),
            MARKET,
        ],
        responses={200: GenreSerializer, **ERRORS_404},
    )
    def get(self, request, genre_id):
        genre = catalog_selectors.genre_browse_get(genre_id=genre_id, market=market_param(request))
        return Response(GenreSerializer(genre).data)
