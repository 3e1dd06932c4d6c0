"""Similar tracks, related artists ("fans also like") and recommendations by seeds."""

import dataclasses
import math

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from api.objects import ArtistSerializer, ErrorSerializer, TrackSerializer, api_url
from api.objects.base import playability
from api.params import ID_PATH, MARKET, limit_param, market_param, path_pk, uri_id
from api.recommendations.serializers import (
    GenreSeedsSerializer,
    RecommendationsSerializer,
    RelatedArtistsSerializer,
    SimilarTracksSerializer,
)
from api.scopes import TokenHasScope
from catalog import selectors as catalog_selectors
from common.errors import ValidationFailed
from recommendations import selectors

SIMILAR_DEFAULT_LIMIT = 20
SIMILAR_MAX_LIMIT = 50
ERRORS = {400: ErrorSerializer, 404: ErrorSerializer}


class TrackSimilarApi(APIView):
    permission_classes = [TokenHasScope]
    scopes = {}

    @extend_schema(
        operation_id="get-similar-tracks",
        summary="Get a track's similar tracks",
        description="Tracks whose listeners overlap most with the track's (the taste model's "
        "track factors, nearest by cosine), best first. With `market`, only tracks playable "
        "there. Empty until the first model is trained or when the track has no listeners.",
        parameters=[
            ID_PATH,
            MARKET,
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
        market = market_param(request)
        limit = limit_param(request, default=SIMILAR_DEFAULT_LIMIT, maximum=SIMILAR_MAX_LIMIT)
        track = catalog_selectors.track_get(track_id=path_pk(id))
        fetch = limit * 3 if market else limit
        ids = selectors.similar_track_ids(track_id=track.pk, limit=fetch)
        tracks = [t for t in catalog_selectors.tracks_by_ids(ids=ids, market=market) if t]
        if market:
            tracks = [t for t in tracks if playability(t.is_playable, t.audio_status)[0]]
        context = {"request": request, "market": market}
        data = TrackSerializer(tracks[:limit], many=True, context=context).data
        return Response({"tracks": data})


class ArtistRelatedArtistsApi(APIView):
    permission_classes = [TokenHasScope]
    scopes = {}

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
        artist = catalog_selectors.artist_get_minimal(artist_id=path_pk(id))
        ids = selectors.related_artist_ids(artist_id=artist.pk)
        artists = [a for a in catalog_selectors.artists_by_ids(ids=ids) if a]
        data = ArtistSerializer(artists, many=True, context={"request": request}).data
        return Response({"artists": data})


# /recommendations

MAX_SEEDS = 5
RECOMMENDATIONS_MAX_LIMIT = 100
SEED_PARAMETERS = [
    OpenApiParameter(
        name,
        OpenApiTypes.STR,
        description=f"Comma-separated {what} (ids or uris); 1 to {MAX_SEEDS} seeds in all.",
    )
    for name, what in (
        ("seed_artists", "artist ids"),
        ("seed_tracks", "track ids"),
        ("seed_genres", "genres from available-genre-seeds"),
    )
]
RANGE_PARAMETERS = [
    OpenApiParameter(f"{bound}_{name}", OpenApiTypes.NUMBER, description=text)
    for name, text in (
        ("duration_ms", "Track length in ms."),
        ("loudness", "Integrated loudness in LUFS (tracks not yet analysed never match)."),
        ("popularity", "0 to 100."),
    )
    for bound in ("min", "max", "target")
]


def _seed_ids(request, name: str, kind: str) -> list[int]:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return []
    ids = []
    for part in raw.split(","):
        part = part.strip()
        pk = uri_id(part, kind=kind) if ":" in part else path_pk(part)
        if pk is None:
            raise ValidationFailed(f"Invalid {name}: {part[:40]!r} names no {kind}.")
        ids.append(pk)
    return list(dict.fromkeys(ids))


def _ranges(request) -> dict[str, selectors.AttributeRange]:
    ranges = {}
    for key, raw in request.query_params.items():
        bound, _, name = key.partition("_")
        if bound not in ("min", "max", "target"):
            continue
        if name not in selectors.TUNABLE_ATTRIBUTES:
            raise ValidationFailed(
                f"Unsupported parameter: {key[:40]}. Tunable here: "
                f"{', '.join(selectors.TUNABLE_ATTRIBUTES)}."
            )
        try:
            value = float(raw)
        except ValueError:
            raise ValidationFailed(f"Invalid {key}: must be a number.") from None
        if not math.isfinite(value):
            raise ValidationFailed(f"Invalid {key}: must be a finite number.")
        current = ranges.get(name, selectors.AttributeRange())
        field = {"min": "minimum", "max": "maximum", "target": "target"}[bound]
        ranges[name] = dataclasses.replace(current, **{field: value})
    return ranges


class RecommendationsApi(APIView):
    permission_classes = [TokenHasScope]
    scopes = {}

    @extend_schema(
        operation_id="get_recommendations",
        summary="Get recommendations",
        description="Tracks like the seeds: the taste model's neighbours of seed tracks, "
        "tracks of seed artists and of their related artists, popular tracks of seed genres; "
        "`min_`/`max_` filter and `target_` orders by closeness, over duration_ms, loudness "
        "and popularity (other tunables of the reference are refused with a 400).",
        tags=["tracks"],
        parameters=[
            *SEED_PARAMETERS,
            MARKET,
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                description=f"1 to {RECOMMENDATIONS_MAX_LIMIT} (default 20).",
            ),
            *RANGE_PARAMETERS,
        ],
        responses={200: RecommendationsSerializer, **ERRORS},
    )
    def get(self, request):
        seed_tracks = _seed_ids(request, "seed_tracks", "track")
        seed_artists = _seed_ids(request, "seed_artists", "artist")
        raw_genres = request.query_params.get("seed_genres", "").strip()
        seed_genres = list(dict.fromkeys(g.strip() for g in raw_genres.split(",") if g.strip()))
        total = len(seed_tracks) + len(seed_artists) + len(seed_genres)
        if not 1 <= total <= MAX_SEEDS:
            raise ValidationFailed(f"Give 1 to {MAX_SEEDS} seeds (artists, tracks, genres).")
        if None in catalog_selectors.tracks_by_ids(ids=seed_tracks):
            raise ValidationFailed("Invalid seed_tracks: unknown track.")
        if None in catalog_selectors.artists_by_ids(ids=seed_artists):
            raise ValidationFailed("Invalid seed_artists: unknown artist.")
        unknown = catalog_selectors.genre_slugs_unknown(slugs=seed_genres)
        if unknown:
            raise ValidationFailed(f"Invalid seed_genres: {', '.join(unknown)[:80]}.")
        ranges = _ranges(request)
        market = market_param(request)
        limit = limit_param(request, maximum=RECOMMENDATIONS_MAX_LIMIT)
        found = selectors.recommendations_get(
            seed_track_ids=seed_tracks,
            seed_artist_ids=seed_artists,
            seed_genres=seed_genres,
            ranges=ranges,
            market=market,
            limit=limit,
        )
        context = {"request": request, "market": market}
        tracks = [
            t for t in catalog_selectors.tracks_by_ids(ids=found.track_ids, market=market) if t
        ]
        seeds = []
        for seed in found.seeds:
            href = None
            if seed.type != "GENRE":
                view = "track-detail" if seed.type == "TRACK" else "artist-detail"
                href = api_url(context, view, seed.id)
            seeds.append(
                {
                    "afterFilteringSize": seed.after_filtering_size,
                    "afterRelinkingSize": seed.after_filtering_size,
                    "href": href,
                    "id": seed.id,
                    "initialPoolSize": seed.initial_pool_size,
                    "type": seed.type,
                }
            )
        data = TrackSerializer(tracks, many=True, context=context).data
        return Response({"seeds": seeds, "tracks": data})


class GenreSeedsApi(APIView):
    permission_classes = [TokenHasScope]
    scopes = {}

    @extend_schema(
        operation_id="get_recommendation_genres",
        summary="Get available genre seeds",
        tags=["genres"],
        responses={200: GenreSeedsSerializer},
    )
    def get(self, request):
        return Response({"genres": catalog_selectors.genre_slugs()})
