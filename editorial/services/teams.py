"""The editorial owner account, the editors group, teams and their members."""

from collections.abc import Sequence

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from accounts import roles
from accounts import services as accounts_services
from accounts.models import User
from common.errors import ValidationFailed
from editorial.models import Team, TeamMembership, parse_languages, validate_language

from .checks import _check_markets

OWNER_EMAIL = "editorial@streamify.invalid"
OWNER_NAME = "Streamify"
# Permissions of the "editors" group; the team checks come on top of them. Track lists are
# edited through the playlist's admin page, whose inline checks the playlist's team instead.
EDITOR_PERMISSIONS = (
    ("editorial", "editorialplaylist", ("view", "add", "change")),
    ("editorial", "editorialplaylisttranslation", ("view", "add", "change", "delete")),
    ("editorial", "editorialplaylistchange", ("view",)),
    ("editorial", "editorialplaylistrevision", ("view", "change")),
    ("editorial", "team", ("view",)),
    ("editorial", "category", ("view",)),
    ("editorial", "campaign", ("view", "add", "change")),
    ("editorial", "pitch", ("view", "change")),
    ("editorial", "playlistdailystats", ("view",)),
    ("catalog", "track", ("view",)),
    ("catalog", "release", ("view",)),
    ("catalog", "artist", ("view",)),
)


def editorial_owner() -> User:
    """The account that owns every editorial playlist (shown to listeners as "Streamify")."""
    return accounts_services.user_system_ensure(email=OWNER_EMAIL, display_name=OWNER_NAME)


def editors_group_ensure() -> Group:
    """Give the "editors" group its model permissions (idempotent)."""
    group = Group.objects.get_or_create(name=roles.EDITORS)[0]
    wanted = Q(pk__in=[])
    for app_label, model, actions in EDITOR_PERMISSIONS:
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    group.permissions.add(*Permission.objects.filter(wanted))
    return group


@transaction.atomic
def team_create(
    *, name: str, markets: Sequence[str], languages: Sequence[str], slug: str = ""
) -> Team:
    languages = parse_languages(",".join(languages))
    if not languages:
        raise ValidationFailed("A team needs at least one language.")
    for language in languages:
        validate_language(language)
    team = Team(
        name=name,
        slug=slug or slugify(name),
        markets=_check_markets(markets),
        languages=", ".join(languages),
    )
    team.full_clean()
    team.save()
    return team


def team_member_prepare(*, user: User) -> None:
    """Let the user into the admin as an editor: staff flag and the "editors" group."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(editors_group_ensure())


@transaction.atomic
def editorial_team_member_add(
    *, team: Team, user: User, role: str = TeamMembership.Role.EDITOR
) -> TeamMembership:
    if role not in TeamMembership.Role.values:
        raise ValidationFailed(f"Unknown role: {role}.")
    membership, _ = TeamMembership.objects.update_or_create(
        team=team, user=user, defaults={"role": role}
    )
    team_member_prepare(user=user)
    return membership
