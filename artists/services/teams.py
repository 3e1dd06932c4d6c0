"""Artist teams: members, roles and e-mailed invitations."""

import datetime
import hashlib
import secrets
from collections.abc import Callable

from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts import roles
from accounts.models import User
from artists import selectors
from artists.models import ArtistTeamMembership, TeamInvitation, TeamRole
from artists.selectors import ROLE_RANK, ArtistAccess
from catalog.models import Artist
from common.errors import NotFound, PermissionDenied, ValidationFailed

INVITATION_TTL = datetime.timedelta(days=14)


def _token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_role(role: str) -> str:
    if role not in TeamRole.values:
        raise ValidationFailed(f"Unknown role: {role!r}. Use one of {', '.join(TeamRole.values)}.")
    return role


def check_can_manage_team(*, actor: User, artist: Artist) -> ArtistAccess:
    access = selectors.artist_access(user=actor, artist_id=artist.pk)
    if not access.can_manage_team:
        raise PermissionDenied("Only an admin of the artist's team can do this.")
    return access


def _artist_team_group() -> Group:
    return Group.objects.get_or_create(name=roles.ARTIST_TEAM_MEMBERS)[0]


def _lock_team(artist: Artist) -> list[ArtistTeamMembership]:
    return list(
        ArtistTeamMembership.objects.select_for_update().filter(artist=artist).order_by("pk")
    )


def _check_keeps_an_admin(team: list[ArtistTeamMembership], leaving: ArtistTeamMembership) -> None:
    admins = [m for m in team if m.role == TeamRole.ADMIN and m.pk != leaving.pk]
    if leaving.role == TeamRole.ADMIN and not admins:
        raise ValidationFailed("A team keeps at least one admin; make someone else admin first.")


@transaction.atomic
def artist_team_member_add(
    *, artist: Artist, user: User, role: str, invited_by: User | None = None
) -> ArtistTeamMembership:
    """Put the user on the artist's team (role raised, never lowered, if already there).

    Also puts the user in the "artist team members" group, which editorial's pitches
    and playback's uploads check.
    """
    check_role(role)
    _lock_team(artist)
    membership, created = ArtistTeamMembership.objects.get_or_create(
        artist=artist, user=user, defaults={"role": role, "invited_by": invited_by}
    )
    if not created and ROLE_RANK[role] > ROLE_RANK[membership.role]:
        membership.role = role
        membership.save(update_fields=["role"])
    user.groups.add(_artist_team_group())
    return membership


@transaction.atomic
def team_member_role_set(
    *, actor: User, membership: ArtistTeamMembership, role: str
) -> ArtistTeamMembership:
    check_role(role)
    check_can_manage_team(actor=actor, artist=membership.artist)
    team = _lock_team(membership.artist)
    current = next((m for m in team if m.pk == membership.pk), None)
    if current is None:
        raise NotFound("No such member in this team.")
    if role != TeamRole.ADMIN:
        _check_keeps_an_admin(team, current)
    current.role = role
    current.save(update_fields=["role"])
    return current


@transaction.atomic
def team_member_remove(*, actor: User, membership: ArtistTeamMembership) -> None:
    """Remove a member (an admin removes anyone; a member may leave by themselves)."""
    if actor.pk != membership.user_id:
        check_can_manage_team(actor=actor, artist=membership.artist)
    team = _lock_team(membership.artist)
    current = next((m for m in team if m.pk == membership.pk), None)
    if current is None:
        return
    _check_keeps_an_admin(team, current)
    current.delete()
    user = current.user
    if not ArtistTeamMembership.objects.filter(user=user).exists():
        user.groups.remove(_artist_team_group())


def _invitation_email(invitation: TeamInvitation, token: str, accept_url: str) -> None:
    inviter = invitation.invited_by.get_full_name() if invitation.invited_by else "Streamify"
    send_mail(
        subject=f"Join {invitation.artist.name}'s team on Streamify for Artists",
        message=(
            f"{inviter} invites you to {invitation.artist.name}'s team as "
            f"{invitation.get_role_display().lower()}.\n\n"
            f"Sign in with this email address and accept within "
            f"{INVITATION_TTL.days} days:\n\n"
            f"  POST {accept_url}\n\n"
            f"Token: {token}\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def team_invitation_create(
    *,
    actor: User,
    artist: Artist,
    email: str,
    role: str,
    accept_url: Callable[[str], str] = lambda token: f"/api/v1/invitations/{token}/accept",
    now: datetime.datetime | None = None,
) -> tuple[TeamInvitation, str]:
    """Invite `email` to the team; the token is emailed (after commit) and returned once.

    An open invitation to the same address is replaced.
    """
    now = now or timezone.now()
    check_role(role)
    check_can_manage_team(actor=actor, artist=artist)
    email = User.objects.normalize_email(email.strip()).lower()
    if not email or "@" not in email:
        raise ValidationFailed("Give the email address to invite.")
    if ArtistTeamMembership.objects.filter(artist=artist, user__email=email).exists():
        raise ValidationFailed(f"{email} is already on the team.")
    TeamInvitation.objects.filter(
        artist=artist, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = TeamInvitation.objects.create(
        artist=artist,
        email=email,
        role=role,
        token_sha256=_token_sha256(token),
        invited_by=actor,
        created_at=now,
        expires_at=now + INVITATION_TTL,
    )
    url = accept_url(token)
    transaction.on_commit(lambda: _invitation_email(invitation, token, url))
    return invitation, token


@transaction.atomic
def team_invitation_revoke(
    *, actor: User, invitation: TeamInvitation, now: datetime.datetime | None = None
) -> TeamInvitation:
    check_can_manage_team(actor=actor, artist=invitation.artist)
    invitation = TeamInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationFailed("This invitation was accepted; remove the member instead.")
    if invitation.revoked_at is None:
        invitation.revoked_at = now or timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


@transaction.atomic
def team_invitation_accept(
    *, user: User, token: str, now: datetime.datetime | None = None
) -> ArtistTeamMembership:
    """Join the team with the token of an invitation sent to the user's email address.

    Any other user, and any unknown or revoked token, gets the same 404.
    """
    now = now or timezone.now()
    invitation = (
        TeamInvitation.objects.select_for_update()
        .select_related("artist")
        .filter(token_sha256=_token_sha256(token))
        .first()
    )
    if (
        invitation is None
        or invitation.email.lower() != user.email.lower()
        or invitation.revoked_at is not None
    ):
        raise NotFound("No such invitation for you.")
    if invitation.accepted_at is not None:
        if invitation.accepted_by_id == user.pk:
            membership = ArtistTeamMembership.objects.filter(
                artist=invitation.artist, user=user
            ).first()
            if membership is not None:
                return membership
        raise NotFound("No such invitation for you.")
    if invitation.expires_at <= now:
        raise ValidationFailed("This invitation has expired; ask the team's admin for a new one.")
    membership = artist_team_member_add(
        artist=invitation.artist, user=user, role=invitation.role, invited_by=invitation.invited_by
    )
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership
