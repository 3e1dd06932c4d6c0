"""No list endpoint of /api/v1 runs more queries for more items (no N+1).

Each test builds a small fixture of N items, counts the queries of one request, adds 2N
more and counts again: three times the items may not cost one query more. The cache is
cleared before each counted request (the dashboards cache their figures), after a
warm-up request that fills per-process caches (content types and the like).
"""

import datetime
import itertools

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from artists import services as artists_services
from artists.models import TeamRole
from catalog.models import FollowedArtist, FollowedPlaylist, PlaylistItem, SavedRelease, SavedTrack
from tests.accounts.factories import UserFactory
from tests.artists.factories import play, team_member
from tests.catalog.factories import (
    ArtistFactory,
    GenreFactory,
    PlaylistFactory,
    ReleaseFactory,
    TrackFactory,
)
from tests.editorial.factories import CategoryFactory, PublishedPlaylistFactory, TeamFactory
from tests.licensing.factories import LabelMembershipFactory, PartyFactory
from tests.playback.factories import PlayEventFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
N = 2
DAY = datetime.date(2025, 3, 10)
PERIOD = f"start={DAY}&end={DAY}"
_minutes = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def counted(client, url: str) -> tuple[int, object]:
    client.get(url)  # warm-up
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return len(queries.captured_queries), response.json()


def assert_flat(client, url, grow, size, n: int = N) -> None:
    """`grow(n)` adds n items; `url()` names the page; `size(body)` counts its items."""
    grow(n)
    few, body = counted(client, url())
    assert size(body) == n, body
    grow(2 * n)
    many, body = counted(client, url())
    assert size(body) == 3 * n, body
    assert many <= few, f"{url()}: {few} queries for {n} items, {many} for {3 * n}"


def items(body) -> int:
    return len(body["items"])


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def playable_track(**fields):
    return TrackFactory(markets=["SE"], **fields)


# The listener's library


def test_saved_tracks(listener_client, listener):
    def grow(n):
        for _ in range(n):
            SavedTrack.objects.create(user=listener, track=playable_track())

    assert_flat(listener_client, lambda: f"{API}/me/tracks?market=SE&limit=50", grow, items)


def test_saved_albums(listener_client, listener):
    def grow(n):
        for _ in range(n):
            SavedRelease.objects.create(user=listener, release=playable_track().release)

    assert_flat(listener_client, lambda: f"{API}/me/albums?market=SE&limit=50", grow, items)


def test_my_playlists_owned_and_followed(listener_client, listener):
    def grow(n):
        for i in range(n):
            if i % 2:
                PlaylistFactory(owner=listener, tracks=[playable_track()])
            else:
                followed = PlaylistFactory(public=True, tracks=[playable_track()])
                FollowedPlaylist.objects.create(user=listener, playlist=followed)

    assert_flat(listener_client, lambda: f"{API}/me/playlists?limit=50", grow, items)


def test_followed_artists(listener_client, listener):
    def grow(n):
        for _ in range(n):
            FollowedArtist.objects.create(user=listener, artist=ArtistFactory())

    assert_flat(
        listener_client,
        lambda: f"{API}/me/following?type=artist&limit=50",
        grow,
        lambda body: len(body["artists"]["items"]),
    )


def test_contains_endpoints(listener_client, listener):
    tracks, releases, artists, playlists = [], [], [], []

    def grow(n):
        for _ in range(n):
            track = playable_track()
            tracks.append(track)
            releases.append(track.release)
            artists.append(ArtistFactory())
            playlists.append(PlaylistFactory(public=True))
        SavedTrack.objects.create(user=listener, track=tracks[-1])
        FollowedArtist.objects.create(user=listener, artist=artists[-1])

    def ids(objects):
        return ",".join(str(o.pk) for o in objects)

    def uris():
        return ",".join(
            [f"streamify:track:{t.pk}" for t in tracks]
            + [f"streamify:album:{r.pk}" for r in releases]
            + [f"streamify:artist:{a.pk}" for a in artists]
            + [f"streamify:playlist:{p.pk}" for p in playlists]
        )

    for url, size in (
        (lambda: f"{API}/me/tracks/contains?ids={ids(tracks)}", len),
        (lambda: f"{API}/me/albums/contains?ids={ids(releases)}", len),
        (lambda: f"{API}/me/following/contains?type=artist&ids={ids(artists)}", len),
        (lambda: f"{API}/me/library/contains?uris={uris()}", lambda body: len(body) // 4),
    ):
        for made in (tracks, releases, artists, playlists):
            made.clear()
        assert_flat(listener_client, url, grow, size)


def test_playlist_followers_contains(listener_client, listener):
    playlist = PlaylistFactory(owner=listener, public=True)
    users = []

    def grow(n):
        for _ in range(n):
            users.append(UserFactory())
            FollowedPlaylist.objects.create(user=users[-1], playlist=playlist)

    assert_flat(
        listener_client,
        lambda: (
            f"{API}/playlists/{playlist.pk}/followers/contains?ids="
            + ",".join(str(u.pk) for u in users)
        ),
        grow,
        len,
        n=1,  # at most 5 ids
    )


# Browse and search


def test_new_releases(api_client):
    def grow(n):
        for _ in range(n):
            playable_track(release=ReleaseFactory(release_date=datetime.date(2020, 1, 1)))

    assert_flat(
        api_client,
        lambda: f"{API}/browse/new-releases?country=SE&limit=50",
        grow,
        lambda body: len(body["albums"]["items"]),
    )


def test_featured_playlists(api_client):
    team = TeamFactory()

    def grow(n):
        for _ in range(n):
            PublishedPlaylistFactory(team=team, tracks=[playable_track()])

    assert_flat(
        api_client,
        lambda: f"{API}/browse/featured-playlists?country=SE&limit=50",
        grow,
        lambda body: len(body["playlists"]["items"]),
    )


def test_categories_and_their_playlists(api_client):
    team = TeamFactory()
    shelf = CategoryFactory(slug="shelf", translations={"sv": "Hylla"})

    def grow_categories(n):
        for _ in range(n):
            category = CategoryFactory(translations={"sv": "Kategori"})
            PublishedPlaylistFactory(team=team, categories=[category])

    def grow_playlists(n):
        for _ in range(n):
            PublishedPlaylistFactory(team=team, categories=[shelf], tracks=[playable_track()])

    assert_flat(
        api_client,
        lambda: f"{API}/browse/categories/shelf/playlists?country=SE&locale=sv_SE&limit=50",
        grow_playlists,
        lambda body: len(body["playlists"]["items"]),
    )
    shelf.delete()
    assert_flat(
        api_client,
        lambda: f"{API}/browse/categories?country=SE&locale=sv_SE&limit=50",
        grow_categories,
        lambda body: len(body["categories"]["items"]),
    )


def test_search_every_type(api_client):
    def grow(n):
        for _ in range(n):
            artist = ArtistFactory(name=f"Zebra {next(_minutes)}")
            release = ReleaseFactory(title=f"Zebra {next(_minutes)}", artists=[artist])
            playable_track(title=f"Zebra {next(_minutes)}", release=release)
            PlaylistFactory(name=f"Zebra {next(_minutes)}", public=True)

    def size(body):
        counts = {kind: len(body[kind]["items"]) for kind in body}
        assert len(set(counts.values())) == 1, counts
        return counts["tracks"]

    assert_flat(
        api_client,
        lambda: f"{API}/search?q=zebra&type=track,album,artist,playlist&market=SE&limit=50",
        grow,
        size,
    )


def test_genre_seeds(api_client):
    def grow(n):
        for _ in range(n):
            TrackFactory().genres.add(GenreFactory())

    assert_flat(
        api_client,
        lambda: f"{API}/recommendations/available-genre-seeds",
        grow,
        lambda body: len(body["genres"]),
    )


# The catalogue


def test_artist_albums(api_client):
    artist = ArtistFactory()

    def grow(n):
        for _ in range(n):
            playable_track(release=ReleaseFactory(artists=[artist]))

    assert_flat(
        api_client, lambda: f"{API}/artists/{artist.pk}/albums?market=SE&limit=50", grow, items
    )


def test_artist_top_tracks(api_client):
    artist = ArtistFactory()
    release = ReleaseFactory(artists=[artist])

    def grow(n):
        for _ in range(n):
            playable_track(release=release)

    assert_flat(
        api_client,
        lambda: f"{API}/artists/{artist.pk}/top-tracks?market=SE",
        grow,
        lambda body: len(body["tracks"]),
    )


def test_album_tracks(api_client):
    release = ReleaseFactory()

    def grow(n):
        for _ in range(n):
            playable_track(release=release)

    assert_flat(
        api_client, lambda: f"{API}/albums/{release.pk}/tracks?market=SE&limit=50", grow, items
    )


@pytest.mark.parametrize("kind", ["tracks", "items"])
def test_playlist_tracks(listener_client, listener, kind):
    playlist = PlaylistFactory(owner=listener, public=True)

    def grow(n):
        for _ in range(n):
            PlaylistItem.objects.create(
                playlist=playlist, track=playable_track(), position=playlist.items.count()
            )

    assert_flat(
        listener_client,
        lambda: f"{API}/playlists/{playlist.pk}/{kind}?market=SE&limit=50",
        grow,
        items,
    )


@pytest.mark.parametrize("kind", ["tracks", "albums", "artists"])
def test_several_by_ids(api_client, kind):
    made = []

    def grow(n):
        for _ in range(n):
            track = playable_track()
            made.append({"tracks": track, "albums": track.release, "artists": ArtistFactory()})

    assert_flat(
        api_client,
        lambda: f"{API}/{kind}?market=SE&ids=" + ",".join(str(m[kind].pk) for m in made),
        grow,
        lambda body: len(body[kind]),
    )


def test_user_playlists(api_client):
    owner = UserFactory()

    def grow(n):
        for _ in range(n):
            PlaylistFactory(owner=owner, public=True, tracks=[playable_track()])

    assert_flat(api_client, lambda: f"{API}/users/{owner.pk}/playlists?limit=50", grow, items)


# Listening history


def test_recently_played(listener_client, listener):
    def grow(n):
        for _ in range(n):
            ended = timezone.now() - datetime.timedelta(minutes=next(_minutes) * 5)
            PlayEventFactory(user=listener, track=playable_track(), ended_at=ended)

    assert_flat(listener_client, lambda: f"{API}/me/player/recently-played?limit=50", grow, items)


@pytest.mark.parametrize("kind", ["tracks", "artists"])
def test_top(listener_client, listener, kind):
    yesterday = timezone.now().date() - datetime.timedelta(days=1)

    def grow(n):
        for _ in range(n):
            play(user=listener, track=playable_track(), day=yesterday)

    assert_flat(
        listener_client,
        lambda: f"{API}/me/top/{kind}?time_range=short_term&limit=50",
        grow,
        items,
    )


# Dashboards


@pytest.fixture
def artist(db):
    return ArtistFactory()


@pytest.fixture
def admin_client(artist):
    return client_for(team_member(artist, TeamRole.ADMIN))


def test_team_members_and_invitations(admin_client, artist):
    admin = artist.team_memberships.get(role=TeamRole.ADMIN).user

    def grow(n):
        for _ in range(n):
            team_member(artist, TeamRole.READER)
            artists_services.team_invitation_create(
                actor=admin,
                artist=artist,
                email=f"invitee{next(_minutes)}@example.com",
                role=TeamRole.READER,
            )

    def size(body):
        assert len(body["members"]) - 1 == len(body["invitations"])  # and the admin
        return len(body["invitations"])

    assert_flat(admin_client, lambda: f"{API}/artists/{artist.pk}/team", grow, size)


def test_artist_releases(admin_client, artist):
    def grow(n):
        for _ in range(n):
            TrackFactory(release=ReleaseFactory(artists=[artist]))

    assert_flat(admin_client, lambda: f"{API}/artists/{artist.pk}/releases", grow, items)


def test_my_teams():
    user = UserFactory()
    client = client_for(user)

    def grow(n):
        for _ in range(n):
            artists_services.artist_team_member_add(
                artist=ArtistFactory(), user=user, role=TeamRole.ADMIN
            )
            LabelMembershipFactory(user=user)

    assert_flat(client, lambda: f"{API}/me/teams", grow, lambda body: len(body["artists"]))


def test_artist_top_tracks_insights(admin_client, artist):
    def grow(n):
        for _ in range(n):
            track = TrackFactory(release=ReleaseFactory(artists=[artist]))
            play(user=UserFactory(), track=track, day=DAY)
        artists_services.insights_build_day(day=DAY)

    assert_flat(
        admin_client,
        lambda: f"{API}/artists/{artist.pk}/insights/top-tracks?{PERIOD}&limit=50",
        grow,
        items,
    )


@pytest.mark.parametrize("path", ["artists", "top-tracks"])
def test_label_insights_lists(path):
    party = PartyFactory()
    label = party.labels.get()
    client = client_for(LabelMembershipFactory(party=party).user)

    def grow(n):
        for _ in range(n):
            track = TrackFactory(release=ReleaseFactory(label=label))
            play(user=UserFactory(), track=track, day=DAY)
        artists_services.insights_build_day(day=DAY)

    assert_flat(
        client, lambda: f"{API}/labels/{party.pk}/insights/{path}?{PERIOD}&limit=50", grow, items
    )
