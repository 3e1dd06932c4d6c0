"""Categories and campaigns."""

import datetime
from collections.abc import Sequence

from django.db import transaction
from django.utils.text import slugify

from accounts.models import User
from common.errors import PermissionDenied, ValidationFailed
from editorial.models import (
    Campaign,
    Category,
    CategoryTranslation,
    EditorialPlaylist,
    Team,
    validate_language,
)

from .checks import _check_markets, check_can_edit


@transaction.atomic
def category_get_or_create(
    *, slug: str, name: str, position: int = 0, translations: dict[str, str] | None = None
) -> Category:
    category, _ = Category.objects.get_or_create(
        slug=slug, defaults={"name": name, "position": position}
    )
    for language, text in (translations or {}).items():
        validate_language(language)
        CategoryTranslation.objects.get_or_create(
            category=category, language=language, defaults={"name": text}
        )
    return category


@transaction.atomic
def campaign_create(
    *,
    name: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    user: User,
    team: Team | None = None,
    markets: Sequence[str] = (),
    playlists: Sequence[EditorialPlaylist] = (),
    description: str = "",
    slug: str = "",
) -> Campaign:
    if team is None:
        if not user.is_superuser:
            raise PermissionDenied("Only administrators create campaigns of every team.")
    else:
        check_can_edit(user=user, team=team)
    if ends_at <= starts_at:
        raise ValidationFailed("A campaign must end after it starts.")
    for playlist in playlists:
        if team is not None and playlist.team_id != team.pk:
            raise ValidationFailed(f"“{playlist.name}” belongs to another team.")
    campaign = Campaign.objects.create(
        name=name,
        slug=slug or slugify(name),
        description=description,
        team=team,
        markets=_check_markets(markets),
        starts_at=starts_at,
        ends_at=ends_at,
    )
    campaign.playlists.set(playlists)
    return campaign
