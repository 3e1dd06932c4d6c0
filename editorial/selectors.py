"""Reads of editorial data: team roles, shelves per market, warnings, previews, stats.

Shelves return querysets with what the browse serializers read already loaded (owner,
`tracks_total`, translations), so a page costs a fixed number of queries.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from catalog import library_selectors
from catalog import selectors as catalog_selectors
from catalog.models import Playlist, PlaylistItem, Release, Track
from common.errors import NotFound
from editorial.localisation import Texts, choose_texts, requested_languages
from editorial.models import (
    Campaign,
    Category,
    CategoryTranslation,
    EditorialPlaylist,
    EditorialPlaylistTranslation,
    PlaylistDailyStats,
    Team,
    TeamMembership,
)

MADE_FOR_YOU = "made-for-you"

# Teams and roles


def teams_for_user(*, user: User) -> QuerySet[Team]:
    if user.is_superuser:
        return Team.objects.all()
    return Team.objects.filter(memberships__user=user).distinct()


def team_role(*, user: User, team_id: int | None) -> str | None:
    """The user's role in the team: `lead`, `editor` or None; a superuser counts as lead."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return TeamMembership.Role.LEAD
    if team_id is None:
        return None
    return (
        TeamMembership.objects.filter(team_id=team_id, user=user)
        .values_list("role", flat=True)
        .first()
    )


def user_is_editor(*, user: User) -> bool:
    return bool(
        user.is_authenticated
        and (user.is_superuser or TeamMembership.objects.filter(user=user).exists())
    )


def user_can_edit(*, user: User, team_id: int | None) -> bool:
    return team_role(user=user, team_id=team_id) is not None


def user_can_publish(*, user: User, team_id: int | None) -> bool:
    return team_role(user=user, team_id=team_id) == TeamMembership.Role.LEAD


# Availability of a playlist's tracks


@dataclass(frozen=True)
class TrackWarning:
    position: int
    track_id: int
    title: str
    missing_markets: list[str]


def playlist_unavailable_tracks(
    *, playlist: EditorialPlaylist, markets: list[str] | None = None, now=None
) -> list[TrackWarning]:
    """Tracks of the playlist not playable now in some of its markets (or `markets`)."""
    now = now or timezone.now()
    markets = sorted(markets if markets is not None else playlist.market_codes)
    if not markets or playlist.pk is None:
        return []
    items = list(
        PlaylistItem.objects.filter(playlist_id=playlist.pk)
        .select_related("track")
        .order_by("position", "id")
    )
    open_in = defaultdict(
        set,
        catalog_selectors.track_open_markets(
            track_ids={item.track_id for item in items}, markets=markets, now=now
        ),
    )
    warnings = []
    for item in items:
        missing = [market for market in markets if market not in open_in[item.track_id]]
        if missing:
            warnings.append(TrackWarning(item.position, item.track_id, item.track.title, missing))
    return warnings


# Localised texts


def playlist_texts(*, playlist: EditorialPlaylist, languages: list[str]) -> Texts:
    """The playlist's title and description in the best requested language.

    Reads `playlist.translations.all()`: prefetch it for lists.
    """
    default = Texts(playlist.language, playlist.name, playlist.description)
    translations = [Texts(t.language, t.title, t.description) for t in playlist.translations.all()]
    return choose_texts(default=default, translations=translations, languages=languages)


def playlist_texts_of(*, playlist_ids, languages: list[str]) -> dict[int, Texts]:
    """The texts of the editorial playlists among `playlist_ids` that have translations,
    in the best requested language (as `playlist_texts`), by id; one query."""
    rows = EditorialPlaylistTranslation.objects.filter(
        playlist_id__in=set(playlist_ids)
    ).values_list(
        "playlist_id",
        "playlist__language",
        "playlist__name",
        "playlist__description",
        "language",
        "title",
        "description",
    )
    defaults: dict[int, Texts] = {}
    translations: dict[int, list[Texts]] = defaultdict(list)
    for pk, language, name, description, t_language, title, t_description in rows:
        defaults[pk] = Texts(language, name, description)
        translations[pk].append(Texts(t_language, title, t_description))
    return {
        pk: choose_texts(default=default, translations=translations[pk], languages=languages)
        for pk, default in defaults.items()
    }


def category_name(*, category: Category, languages: list[str]) -> str:
    """The category's name in the best requested language (prefetch `translations`)."""
    default = Texts("", category.name, "")
    translations = [Texts(t.language, t.name, "") for t in category.translations.all()]
    return choose_texts(default=default, translations=translations, languages=languages).title


# Shelves


def _published_in(market: str | None) -> Q:
    wanted = Q(state=EditorialPlaylist.State.PUBLISHED, public=True)
    if market:
        # CountryField(multiple=True) stores sorted codes joined by commas; a two-letter
        # substring can only be a whole code.
        wanted &= Q(markets__contains=market)
    return wanted


def _active_campaigns(*, market: str | None, now: datetime.datetime) -> QuerySet[Campaign]:
    campaigns = Campaign.objects.filter(starts_at__lte=now, ends_at__gt=now)
    if market:
        campaigns = campaigns.filter(Q(markets="") | Q(markets__contains=market))
    return campaigns


def browse_playlist_list() -> QuerySet[EditorialPlaylist]:
    """Editorial playlists with what a simplified playlist object shows."""
    return (
        EditorialPlaylist.objects.select_related("owner")
        .annotate(
            tracks_total=Coalesce(
                Subquery(
                    PlaylistItem.objects.filter(playlist=OuterRef("pk"))
                    .order_by()
                    .values("playlist")
                    .annotate(n=Count("pk"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                0,
            )
        )
        .prefetch_related(
            Prefetch("translations", queryset=EditorialPlaylistTranslation.objects.order_by())
        )
    )


def featured_playlists(
    *, market: str | None, now: datetime.datetime | None = None
) -> QuerySet[EditorialPlaylist]:
    """Published playlists of the market that are featured or in an active campaign.

    Campaign playlists come first, then by priority and most recently published.
    """
    now = now or timezone.now()
    in_campaign = Exists(_active_campaigns(market=market, now=now).filter(playlists=OuterRef("pk")))
    return (
        browse_playlist_list()
        .filter(_published_in(market))
        .annotate(in_campaign=in_campaign)
        .filter(Q(featured=True) | Q(in_campaign=True))
        .order_by("-in_campaign", "-priority", "-published_at", "-pk")
    )


def featured_campaign(
    *, market: str | None, now: datetime.datetime | None = None
) -> Campaign | None:
    """The active campaign of the market with a published playlist, latest started first."""
    now = now or timezone.now()
    playlists = EditorialPlaylist.objects.filter(_published_in(market), campaigns=OuterRef("pk"))
    return (
        _active_campaigns(market=market, now=now)
        .filter(Exists(playlists))
        .order_by("-starts_at", "pk")
        .first()
    )


def _with_translations(queryset: QuerySet[Category]) -> QuerySet[Category]:
    return queryset.prefetch_related(
        Prefetch("translations", queryset=CategoryTranslation.objects.order_by())
    )


def category_list(*, market: str | None) -> QuerySet[Category]:
    """Categories with a playlist published in the market (in any market without one)."""
    published = EditorialPlaylist.objects.filter(_published_in(market), categories=OuterRef("pk"))
    return _with_translations(Category.objects.filter(Exists(published))).order_by(
        "position", "name", "pk"
    )


def category_get(*, category_id: str) -> Category:
    category = _with_translations(Category.objects.filter(slug=category_id)).first()
    if category is None:
        raise NotFound("Category not found.")
    return category


def category_playlists(*, category: Category, market: str | None) -> QuerySet[EditorialPlaylist]:
    return (
        browse_playlist_list()
        .filter(_published_in(market), categories=category)
        .order_by("-priority", "-published_at", "-pk")
    )


def personalised_playlists(*, user: User) -> QuerySet[Playlist]:
    """The `made-for-you` category: the user's Discover Weekly, Release Radar, ..."""
    return library_selectors.personalised_playlists(user=user)


def new_releases(*, market: str | None, now: datetime.datetime | None = None) -> QuerySet[Release]:
    return library_selectors.new_releases(market=market, now=now)


# Preview


@dataclass(frozen=True)
class PreviewTrack:
    position: int
    track: Track
    artists: str
    playable: bool


@dataclass(frozen=True)
class Preview:
    playlist: EditorialPlaylist
    market: str
    texts: Texts
    visible: bool
    reason: str
    tracks: list[PreviewTrack]


def playlist_preview(
    *, playlist: EditorialPlaylist, market: str, languages: list[str], now=None
) -> Preview:
    """What a listener in `market` asking for `languages` sees of the playlist."""
    now = now or timezone.now()
    playlist = (
        EditorialPlaylist.objects.prefetch_related("translations").filter(pk=playlist.pk).get()
    )
    if market not in playlist.market_codes:
        visible, reason = False, f"{market} is not one of the playlist's markets."
    elif playlist.state != EditorialPlaylist.State.PUBLISHED:
        visible, reason = False, f"The playlist is {playlist.get_state_display().lower()}."
    else:
        visible, reason = True, ""
    items = catalog_selectors.playlist_items(playlist=playlist, market=market, now=now)
    tracks = [
        PreviewTrack(
            position=index + 1,
            track=item.track,
            artists=", ".join(credit.artist.name for credit in item.track.performer_credits),
            playable=bool(item.track.is_playable),
        )
        for index, item in enumerate(items)
    ]
    return Preview(
        playlist=playlist,
        market=market,
        texts=playlist_texts(playlist=playlist, languages=languages),
        visible=visible,
        reason=reason,
        tracks=tracks,
    )


# Performance


def playlist_stats(
    *, playlist_id: int, days: int = 28, today: datetime.date | None = None
) -> list[PlaylistDailyStats]:
    today = today or timezone.now().astimezone(datetime.UTC).date()
    since = today - datetime.timedelta(days=days - 1)
    return list(
        PlaylistDailyStats.objects.filter(playlist_id=playlist_id, day__gte=since).order_by("-day")
    )


def playlist_stats_totals(*, playlist_id: int, days: int = 28, today=None) -> dict:
    today = today or timezone.now().astimezone(datetime.UTC).date()
    since = today - datetime.timedelta(days=days - 1)
    totals = PlaylistDailyStats.objects.filter(playlist_id=playlist_id, day__gte=since).aggregate(
        streams=Sum("streams"), skips=Sum("skips"), saves=Sum("saves"), ms_played=Sum("ms_played")
    )
    return {key: value or 0 for key, value in totals.items()}


# Languages of a request


def languages_requested(
    *, locale: str | None, accept_language: str | None, user_language: str | None = None
) -> list[str]:
    """Languages to show texts in: `locale` (`sv_SE`), else the listener's language, else
    Accept-Language, best first."""
    return requested_languages(
        locale=locale, accept_language=accept_language, user_language=user_language
    )


def message_localised(*, messages: dict[str, str], languages: list[str]) -> str:
    """The message in the first of `languages` it has, else English (`messages["en"]`)."""
    default = Texts("en", messages["en"], "")
    others = [Texts(code, text, "") for code, text in messages.items()]
    return choose_texts(default=default, translations=others, languages=languages).title
