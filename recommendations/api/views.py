"""Similar tracks and related artists ("fans also like") from the current taste model."""

from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors as catalog_selectors
from common.errors import ValidationFailed
from recommendations import selectors
from recommendations.api.serializers import (
    RecommendationsErrorSerializer,
    RecommendedArtistSerializer,
    RecommendedTrackSerializer,
    RelatedArtistsSerializer,
    SimilarTracksSerializer,
)

SIMILAR_DEFAULT_LIMIT = 20
SIMILAR_MAX_LIMIT = 50
_MAX_PK = 2**63 - 1


def _path_pk(raw: str) -> int | None:
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()):
        raise ValidationFailed(f"Invalid id: {raw[:40]!r}.")
    value = int(raw) if len(raw) <= 19 else 0
    return value if 0 < value <= _MAX_PK else None


def _market(request) -> str | None:
    raw = request.query_params.get("market", "").strip()
    if not raw:
        return None
    if raw == "from_token":
        if not request.user.is_authenticated:
            raise ValidationFailed("market=from_token needs an authenticated user.")
        return request.user.country.code
    code = raw.upper()
    if len(code) != 2 or code not in countries:
        raise ValidationFailed(f"Invalid market: {raw[:40]!r}. Use an ISO 3166-1 alpha-2 code.")
    return code


def _limit(request) -> int:
    raw = request.query_params.get("limit", "").strip()
    if not raw:
        return SIMILAR_DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= SIMILAR_MAX_LIMIT:
        raise ValidationFailed(f"Invalid limit: must be between 1 and {SIMILAR_MAX_LIMIT}.")
    return int(raw)


ID_PATH = OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The id.")
ERRORS = {400: RecommendationsErrorSerializer, 404: RecommendationsErrorSerializer}


class TrackSimilarApi(APIView):
    @extend_schema(
        operation_id="get-similar-tracks",
        summary="Get a track's similar tracks",
        description="Tracks whose listeners overlap most with the track's (the taste model's "
        "track factors, nearest by cosine), best first. With `market`, only tracks playable "
        "there. Empty until the first model is trained or when the track has no listeners.",
        parameters=[
            ID_PATH,
            OpenApiParameter(
                "market",
                OpenApiTypes.STR,
                description="ISO 3166-1 alpha-2 country code, or `from_token`.",
            ),
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                description=f"1 to {SIMILAR_MAX_LIMIT}, default {SIMILAR_DEFAULT_LIMIT}.",
            ),
        ],
        responses={200: SimilarTracksSerializer, **ERRORS},
        tags=["tracks"],
    )
    def get(self, request, id):
        market, limit = _market(request), _limit(request)
        track = catalog_selectors.track_get(track_id=_path_pk(id))
        fetch = limit * 3 if market else limit
        ids = selectors.similar_track_ids(track_id=track.pk, limit=fetch)
        tracks = [t for t in catalog_selectors.tracks_by_ids(ids=ids, market=market) if t]
        if market:
            tracks = [t for t in tracks if t.is_playable]
        context = {"request": request, "market": market}
        data = RecommendedTrackSerializer(tracks[:limit], many=True, context=context).data
        return Response({"tracks": data})


class ArtistRelatedArtistsApi(APIView):
    @extend_schema(
        operation_id="get-an-artists-related-artists",
        summary="Get an artist's related artists",
        description=f"Up to {selectors.RELATED_ARTISTS_LIMIT} artists whose fans also like "
        "this artist, nearest first, from the taste model's artist factors.",
        parameters=[ID_PATH],
        responses={200: RelatedArtistsSerializer, **ERRORS},
        tags=["artists"],
    )
    def get(self, request, id):
        artist = catalog_selectors.artist_get_minimal(artist_id=_path_pk(id))
        ids = selectors.related_artist_ids(artist_id=artist.pk)
        artists = [a for a in catalog_selectors.artists_by_ids(ids=ids) if a]
        data = RecommendedArtistSerializer(artists, many=True, context={"request": request}).data
        return Response({"artists": data})
