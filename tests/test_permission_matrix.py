"""Permission matrix: every /api/v1/ route of every app x seven personas x every method.

Routes come from the URL resolver, so a new route is covered (or fails here until its path
parameters can be filled). Path parameters are the ids of one shared set of objects:
listener A's private playlist, artist X's track and releases, label P's statement...
For every call:

- no 5xx, ever;
- no response carries a marker (an email, a private playlist's name, a statement number, a
  pitch story) of a tenant the persona is not part of;
- on a tenant-scoped route (artist insights, teams and releases, track insights and audio,
  labels, statements, invitations, listener A's playlist) a persona outside the tenant gets
  401/403/404/405, and an unsafe method changes nothing (row counts and key fields);
- the tenant's own persona is not refused a GET (so the matrix is not vacuous).

Unsafe methods are sent twice: with an empty body and with a "probe" body that would pass
most validation, so a view that validates before it checks permissions is caught too.
Each call runs in a savepoint that is rolled back: callers never see each other's writes.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts import roles
from artists import services as artists_services
from artists.models import ArtistTeamMembership, TeamInvitation, TeamRole
from catalog.models import FollowedArtist, Playlist, Release, SavedTrack, Track
from editorial import services as editorial_services
from editorial.models import Category, Pitch, TeamMembership
from licensing.models import LabelMembership, RoyaltyStatement
from tests.accounts.factories import UserFactory
from tests.artists.factories import play
from tests.catalog.factories import (
    ArtistFactory,
    GenreFactory,
    LabelFactory,
    PlaylistFactory,
    ReleaseFactory,
    TrackFactory,
)
from tests.editorial.factories import TeamFactory
from tests.licensing.factories import AgreementFactory, PartyFactory

API_PREFIX = "api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")
DENIED = {401, 403, 404, 405}
DAY = datetime.date(2025, 3, 10)
PROJECT_APPS = (
    "accounts",
    "catalog",
    "playback",
    "licensing",
    "editorial",
    "recommendations",
    "artists",
    "oauth2_provider",
)

# Persona -> the tenants it belongs to (its own account is the tenant "user:<persona>").
PERSONAS = {
    "anonymous": set(),
    "listener_a": {"listener_a"},
    "listener_b": {"listener_b"},
    "artist_x_member": {"artist_x", "artist_x_team"},
    "artist_y_member": {"artist_y", "artist_y_team"},
    "label_staff": {"label_p", "artist_x"},
    "editor": set(),
}
# Route (parameters as in the resolver) -> the tenant owning what it reads or writes.
TENANT_ROUTES = [
    (r"^artists/<[^>]+>/team", "artist_x_team"),
    (r"^artists/<[^>]+>/(insights|releases)/", "artist_x"),
    (r"^artists/<[^>]+>/releases$", "artist_x"),
    (r"^tracks/<[^>]+>/(insights|source)", "artist_x"),
    (r"^labels/<[^>]+>/", "label_p"),
    (r"^statements/", "label_p"),
    (r"^invitations/", "invitee_x"),  # nobody here: only the invited address accepts
    (r"^playlists/<[^>]+>", "listener_a"),  # listener A's private playlist
]


def api_routes() -> list[str]:
    """Every route under /api/v1/ (first of duplicates, as the resolver matches)."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    routes = walk(get_resolver().url_patterns)
    return list(
        dict.fromkeys(r.removeprefix(API_PREFIX) for r in routes if r.startswith(API_PREFIX))
    )


ROUTES = api_routes()


def tenant_of(route: str) -> str | None:
    for pattern, tenant in TENANT_ROUTES:
        if re.search(pattern, route):
            return tenant
    return None


# The shared world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world()
        transaction.set_rollback(True)


def _build_world() -> dict:
    listener_a = UserFactory(email="listener-a@matrix.test", country="SE", birth_year=1990)
    listener_b = UserFactory(email="listener-b@matrix.test", country="NO")

    label_p, label_q = LabelFactory(name="Label P"), LabelFactory(name="Label Q")
    party_p = PartyFactory(name="Party P", labels=[label_p])
    PartyFactory(name="Party Q", labels=[label_q])
    artist_x, artist_y = ArtistFactory(name="Artist X"), ArtistFactory(name="Artist Y")
    release_x = ReleaseFactory(artists=[artist_x], label=label_p)
    genre = GenreFactory()
    release_x.genres.add(genre)
    upcoming_x = ReleaseFactory(artists=[artist_x], label=label_p, release_date=None)
    release_y = ReleaseFactory(artists=[artist_y], label=label_q)
    upcoming_y = ReleaseFactory(artists=[artist_y], label=label_q, release_date=None)
    track_x = TrackFactory(release=release_x)
    TrackFactory(release=upcoming_x)
    track_y = TrackFactory(release=release_y)

    x_admin = UserFactory(email="x-admin@matrix.test", role=roles.ARTIST_TEAM_MEMBERS)
    x_reader = UserFactory(email="x-reader@matrix.test", role=roles.ARTIST_TEAM_MEMBERS)
    y_admin = UserFactory(email="y-admin@matrix.test", role=roles.ARTIST_TEAM_MEMBERS)
    artists_services.artist_team_member_add(artist=artist_x, user=x_admin, role=TeamRole.ADMIN)
    artists_services.artist_team_member_add(artist=artist_x, user=x_reader, role=TeamRole.READER)
    artists_services.artist_team_member_add(artist=artist_y, user=y_admin, role=TeamRole.ADMIN)
    invitation_x, token_x = artists_services.team_invitation_create(
        actor=x_admin, artist=artist_x, email="invitee-x@matrix.test", role=TeamRole.ADMIN
    )
    artists_services.team_invitation_create(
        actor=y_admin, artist=artist_y, email="invitee-y@matrix.test", role=TeamRole.ADMIN
    )
    Pitch.objects.create(release=upcoming_x, submitted_by=x_admin, story="Pitch story X 5e1f")
    Pitch.objects.create(release=upcoming_y, submitted_by=y_admin, story="Pitch story Y 0c9d")

    label_staff = UserFactory(email="label-staff@matrix.test", role=roles.LABEL_STAFF)
    LabelMembership.objects.create(user=label_staff, party=party_p)
    agreement = AgreementFactory(party=party_p, territories="SE")
    statement = RoyaltyStatement.objects.create(
        agreement=agreement,
        month=datetime.date(2025, 3, 1),
        number="STMT-P-SECRET-0001",
        revenue_share=Decimal("0.5"),
        per_stream_minimum=Decimal(0),
        streams=10,
        amount=Decimal("1.00"),
    )

    team = TeamFactory(name="Stockholm", markets=["SE"])
    editor = UserFactory(email="editor@matrix.test", role=roles.EDITORS)
    editorial_services.editorial_team_member_add(
        team=team, user=editor, role=TeamMembership.Role.LEAD
    )
    category = Category.objects.create(slug="chill", name="Chill")

    playlist_a = PlaylistFactory(
        owner=listener_a, name="Secret playlist of A 77aa", public=False, tracks=[track_x]
    )
    PlaylistFactory(
        owner=listener_b, name="Secret playlist of B 88bb", public=False, tracks=[track_y]
    )
    SavedTrack.objects.create(user=listener_a, track=track_x)
    FollowedArtist.objects.create(user=listener_a, artist=artist_x)
    for listener, track in ((listener_a, track_x), (listener_b, track_y)):
        play(user=listener, track=track, day=DAY, context_type="playlist")
    artists_services.insights_build_day(day=DAY)

    users = {
        "listener_a": listener_a,
        "listener_b": listener_b,
        "artist_x_member": x_admin,
        "artist_y_member": y_admin,
        "label_staff": label_staff,
        "editor": editor,
    }
    markers = {
        "listener_a": ["Secret playlist of A 77aa"],
        "listener_b": ["Secret playlist of B 88bb"],
        "artist_x_team": ["x-reader@matrix.test", "invitee-x@matrix.test"],
        "artist_y_team": ["invitee-y@matrix.test"],
        "artist_x": ["Pitch story X 5e1f"],
        "artist_y": ["Pitch story Y 0c9d"],
        "label_p": ["STMT-P-SECRET-0001"],
    }
    for name, user in users.items():
        markers.setdefault(f"user:{name}", []).append(user.email)
    clients = {"anonymous": APIClient()}
    for name, user in users.items():
        client = APIClient()
        client.force_login(user)
        clients[name] = client
    for client in clients.values():
        client.raise_request_exception = False

    return {
        "clients": clients,
        "sessions": {
            name: c.cookies.get(settings.SESSION_COOKIE_NAME) for name, c in clients.items()
        },
        "markers": markers,
        "fill": {
            "artists": artist_x.pk,
            "tracks": track_x.pk,
            "albums": release_x.pk,
            "releases": upcoming_x.pk,
            "playlists": playlist_a.pk,
            "labels": party_p.pk,
            "statements": statement.pk,
            ("invitations", "token"): token_x,
            ("invitations", "invitation_id"): invitation_x.pk,
            ("team", "user_id"): x_reader.pk,
            "categories": category.slug,
            "genres": genre.pk,
            "stream": "not-a-signed-token",
            "users": x_reader.pk,
            ("top", "type"): "tracks",
            "devices": "matrix-device",
        },
        "watch": {
            "upcoming_x": upcoming_x.pk,
            "playlist_a": playlist_a.pk,
            "track_x": track_x.pk,
            "artist_x": artist_x.pk,
            "invitation_x": invitation_x.pk,
        },
        "probe": {
            "email": "probe@matrix.test",
            "role": "admin",
            "release_date": str(datetime.date.today() + datetime.timedelta(days=30)),
            "markets": ["SE"],
            "story": "probe",
            "name": "probe",
            "description": "probe",
            "public": True,
            "ids": [str(track_x.pk)],
            "uris": [f"streamify:track:{track_x.pk}"],
        },
    }


def fill(route: str, world: dict) -> str:
    """The route with every path parameter replaced by the id of a world object."""
    segments = route.split("/")
    filled = []
    for index, segment in enumerate(segments):
        match = re.search(r"<(?:[^:>]+:)?([^>]+)>", segment)
        if match is None:
            filled.append(segment)
            continue
        previous = segments[index - 1] if index else ""
        value = world["fill"].get((previous, match.group(1)), world["fill"].get(previous))
        if value is None:
            pytest.fail(f"Teach the matrix to fill <{match.group(1)}> after {previous!r}.")
        filled.append(segment[: match.start()] + str(value) + segment[match.end() :])
    return "/api/v1/" + "/".join(filled)


# What may not change


def _count_sql() -> str:
    tables = sorted(
        {
            model._meta.db_table
            for model in apps.get_models()
            if model._meta.app_label in PROJECT_APPS and not model._meta.proxy
        }
    )
    quote = connection.ops.quote_name
    # Table names come from the models, not from input.
    return " UNION ALL ".join(
        f"SELECT '{t}', COUNT(*) FROM {quote(t)}"  # noqa: S608
        for t in tables
    )


def snapshot(world: dict) -> tuple:
    watch = world["watch"]
    with connection.cursor() as cursor:
        cursor.execute(_count_sql())
        counts = tuple(sorted(cursor.fetchall()))
    return (
        counts,
        Release.objects.filter(pk=watch["upcoming_x"]).values_list("release_date").first(),
        Playlist.objects.filter(pk=watch["playlist_a"])
        .values_list("name", "description", "public", "collaborative", "snapshot")
        .first(),
        Track.objects.filter(pk=watch["track_x"])
        .values_list("source_file", "source_sha256")
        .first(),
        tuple(
            ArtistTeamMembership.objects.filter(artist_id=watch["artist_x"])
            .order_by("user_id")
            .values_list("user_id", "role")
        ),
        TeamInvitation.objects.filter(pk=watch["invitation_x"])
        .values_list("revoked_at", "accepted_at")
        .first(),
    )


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def _call(world, persona, method, path, body):
    client = world["clients"][persona]
    session = world["sessions"][persona]
    if session is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = session.value
    kwargs = {} if method == "get" else {"data": body, "format": "json"}
    return getattr(client, method)(path, **kwargs)


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return ""
    return response.content.decode("utf-8", errors="replace")


@pytest.mark.parametrize("route", ROUTES)
def test_route_keeps_tenants_apart(route, world, db):
    path = fill(route, world)
    tenant = tenant_of(route)
    failures = []
    for persona, tenants in PERSONAS.items():
        own = tenants | {f"user:{persona}"}
        foreign = tenant is not None and tenant not in own
        for method in METHODS:
            bodies = [None] if method == "get" else [{}, world["probe"]]
            for body in bodies:
                label = f"{persona} {method.upper()} {path}" + (" probe" if body else "")
                with transaction.atomic():
                    before = snapshot(world) if foreign and method != "get" else None
                    response = _call(world, persona, method, path, body)
                    after = snapshot(world) if before is not None else None
                    transaction.set_rollback(True)
                status = response.status_code
                if status >= 500:
                    failures.append(f"{label}: {status}")
                    continue
                content = _body(response)
                for other, markers in world["markers"].items():
                    if other in own:
                        continue
                    leaked = [m for m in markers if m in content]
                    if leaked:
                        failures.append(f"{label}: {status} leaks {other} data {leaked}")
                if foreign and status not in DENIED:
                    failures.append(f"{label}: {status} for a foreign tenant")
                if before != after:
                    failures.append(f"{label}: {status} changed another tenant's data")
                if tenant in tenants and method == "get" and status in (401, 403, 404):
                    failures.append(f"{label}: {status} refused to the tenant itself")
    assert not failures, "\n".join(failures)


def test_matrix_covers_every_app():
    prefixes = {route.split("/")[0] for route in ROUTES}

    assert {"artists", "tracks", "labels", "statements", "me", "playlists", "browse"} <= prefixes
    assert len(ROUTES) >= 50
