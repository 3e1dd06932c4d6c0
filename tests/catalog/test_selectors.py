import datetime

import pytest
from django.db import connection
from django.utils import timezone

from catalog import search, selectors
from catalog.models import Playlist, Release, TrackArtist
from common.errors import NotFound
from tests.accounts.factories import UserFactory
from tests.catalog.factories import (
    ArtistFactory,
    PlaylistFactory,
    ReleaseFactory,
    TrackFactory,
    track_window_add,
)

pytestmark = pytest.mark.django_db


NOW = datetime.datetime(2025, 6, 1, 12, 0, tzinfo=datetime.UTC)


def _window(track, market, starts_at, ends_at=None):
    track_window_add(track, market, starts_at, ends_at)


# Availability


def test_window_is_open_from_its_start_until_before_its_end():
    track = TrackFactory()
    hour = datetime.timedelta(hours=1)
    _window(track, "SE", NOW)  # starts exactly now: open
    _window(track, "NO", NOW - hour, NOW)  # ends exactly now: closed
    _window(track, "DK", NOW - hour, NOW + hour)
    _window(track, "FI", NOW + hour)
    _window(track, "DE", NOW - 2 * hour, NOW - hour)
    _window(track, "DE", NOW - hour / 2)  # a later window reopens DE

    loaded = selectors.track_get(track_id=track.pk, now=NOW)

    assert selectors.markets_from(loaded.market_list) == ["DE", "DK", "SE"]


@pytest.mark.parametrize(("market", "playable"), [("SE", True), ("NO", False), ("US", False)])
def test_is_playable_follows_the_window_open_now(market, playable):
    track = TrackFactory()
    _window(track, "SE", NOW - datetime.timedelta(days=1))
    _window(track, "NO", NOW - datetime.timedelta(days=2), NOW - datetime.timedelta(days=1))

    assert selectors.track_get(track_id=track.pk, market=market, now=NOW).is_playable is playable


def test_release_markets_are_the_union_of_its_tracks():
    release = ReleaseFactory()
    TrackFactory(release=release, markets=["SE", "NO"])
    TrackFactory(release=release, markets=["NO", "US"])
    TrackFactory(release=release)

    loaded = selectors.release_get(release_id=release.pk)

    assert loaded.total_tracks == 3
    assert selectors.markets_from(loaded.market_list) == ["NO", "SE", "US"]


def test_markets_from():
    assert selectors.markets_from(None) == []
    assert selectors.markets_from("") == []
    assert selectors.markets_from("SE,NO,SE") == ["NO", "SE"]


# Lookups


def test_get_unknown_raises_not_found():
    with pytest.raises(NotFound):
        selectors.track_get(track_id=1)
    with pytest.raises(NotFound):
        selectors.release_get(release_id=None)
    with pytest.raises(NotFound):
        selectors.artist_get(artist_id=1)


def test_by_ids_keep_order_duplicates_and_unknowns():
    first, second = TrackFactory(), TrackFactory()

    found = selectors.tracks_by_ids(ids=[second.pk, None, 999, first.pk, second.pk])

    assert [t and t.pk for t in found] == [second.pk, None, None, first.pk, second.pk]


def test_release_list_embeds_at_most_a_page_of_tracks_per_release(django_assert_num_queries):
    big, small = ReleaseFactory(), ReleaseFactory()
    for number in range(1, selectors.EMBEDDED_PAGE_LIMIT + 6):
        TrackFactory(release=big, track_number=number)
    TrackFactory(release=small)

    with django_assert_num_queries(5):
        releases = selectors.releases_by_ids(ids=[big.pk, small.pk])

    assert len(releases[0].track_page) == selectors.EMBEDDED_PAGE_LIMIT
    assert releases[0].track_page[0].track_number == 1
    assert releases[0].total_tracks == selectors.EMBEDDED_PAGE_LIMIT + 5
    assert len(releases[1].track_page) == 1


def test_track_artists_are_performers_in_credit_order():
    singer, guest, producer = ArtistFactory(), ArtistFactory(), ArtistFactory()
    track = TrackFactory(artists=[singer])
    TrackArtist.objects.create(
        track=track, artist=guest, role=TrackArtist.Role.FEATURED, position=1
    )
    TrackArtist.objects.create(
        track=track, artist=producer, role=TrackArtist.Role.PRODUCER, position=2
    )

    loaded = selectors.track_get(track_id=track.pk)

    assert [credit.artist for credit in loaded.performer_credits] == [singer, guest]


def test_artist_releases_groups():
    artist, other = ArtistFactory(), ArtistFactory()
    album = ReleaseFactory(artists=[artist])
    single = ReleaseFactory(artists=[artist], release_type=Release.Type.SINGLE)
    feature = ReleaseFactory(artists=[other])
    TrackFactory(release=feature, artists=[other, artist])
    produced = ReleaseFactory(artists=[other])
    TrackArtist.objects.create(
        track=TrackFactory(release=produced, artists=[other]),
        artist=artist,
        role=TrackArtist.Role.PRODUCER,
    )
    own_track_on_own_album = TrackFactory(release=album, artists=[artist])

    groups = {
        release.pk: release.album_group for release in selectors.artist_releases(artist=artist)
    }
    appears = selectors.artist_releases(artist=artist, groups=["appears_on"])

    assert groups == {album.pk: "album", single.pk: "single", feature.pk: "appears_on"}
    assert [release.pk for release in appears] == [feature.pk]
    assert own_track_on_own_album.release_id not in [release.pk for release in appears]


def test_playlist_visibility():
    owner, stranger = UserFactory(), UserFactory()
    private = PlaylistFactory(owner=owner, public=False)
    public = PlaylistFactory(owner=owner)

    assert selectors.playlist_get(playlist_id=private.pk, user=owner).pk == private.pk
    assert selectors.playlist_get(playlist_id=public.pk, user=None).pk == public.pk
    with pytest.raises(NotFound):
        selectors.playlist_get(playlist_id=private.pk, user=stranger)
    with pytest.raises(NotFound):
        selectors.playlist_get_visible(playlist_id=private.pk, user=None)
    visible = Playlist.objects.filter(selectors.playlist_visible_q(stranger))
    assert list(visible) == [public]


# Search


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("Bohemian  Rhapsody", ["bohemian", "rhapsody"]),
        ("AC/DC", ["ac", "dc"]),
        ("a:* | b & !c", ["a", "b", "c"]),
        ("'); DROP TABLE catalog_track; --", ["drop", "table", "catalog", "track"]),
        ("Sigur Rós", ["sigur", "rós"]),
        ("echo echo", ["echo"]),
        ("!!!", []),
        (" ".join(f"w{i}" for i in range(20)), [f"w{i}" for i in range(search.MAX_WORDS)]),
    ],
)
def test_search_words_keep_only_letters_and_digits(query, words):
    assert search.search_words(query) == words


@pytest.fixture
def catalog():
    queen = ArtistFactory(name="Queen", popularity=90)
    bowie = ArtistFactory(name="David Bowie", popularity=80)
    opera = ReleaseFactory(title="A Night at the Opera", artists=[queen])
    return {
        "queen": queen,
        "bowie": bowie,
        "opera": opera,
        "rhapsody": TrackFactory(
            release=opera, title="Bohemian Rhapsody", popularity=50, markets=["SE"]
        ),
        "pressure": TrackFactory(
            title="Under Pressure", artists=[queen, bowie], popularity=70, markets=["US"]
        ),
        "queenie": TrackFactory(title="Queenie Eye", popularity=10, markets=["SE"]),
    }


def _pks(queryset):
    return [obj.pk for obj in queryset]


def test_track_search_by_title_artist_and_both(catalog):
    words = search.search_words

    assert _pks(search.track_search(words=words("rhapsody"))) == [catalog["rhapsody"].pk]
    assert set(_pks(search.track_search(words=words("bowie")))) == {catalog["pressure"].pk}
    assert _pks(search.track_search(words=words("david pressure"))) == [catalog["pressure"].pk]
    assert set(_pks(search.track_search(words=words("queen")))) == {
        catalog["rhapsody"].pk,
        catalog["pressure"].pk,
        catalog["queenie"].pk,
    }
    assert _pks(search.track_search(words=[])) == []


def test_track_search_with_market(catalog):
    found = search.track_search(words=["queen"], market="SE")

    assert set(_pks(found)) == {catalog["rhapsody"].pk, catalog["queenie"].pk}


def test_release_search_matches_title_or_artist(catalog):
    assert _pks(search.release_search(words=["opera"])) == [catalog["opera"].pk]
    assert _pks(search.release_search(words=["queen", "night"])) == [catalog["opera"].pk]
    assert search.release_search_page(words=["opera"], market="US").ids == []
    assert search.release_search_page(words=["opera"], market="SE").total == 1


def test_artist_and_playlist_search(catalog):
    PlaylistFactory(name="Secret Queen", public=False)
    shown = PlaylistFactory(name="Queen Hits")

    assert _pks(search.artist_search(words=["bow"])) == [catalog["bowie"].pk]
    assert _pks(search.playlist_search(words=["queen"])) == [shown.pk]


@pytest.mark.postgres
def test_postgres_matches_word_prefixes_only(catalog):
    assert _pks(search.track_search(words=["rhap"])) == [catalog["rhapsody"].pk]
    assert _pks(search.artist_search(words=["hapsody"])) == []
    # Not a prefix, but a close spelling of a known word: corrected (tests/catalog/
    # test_track_search.py).
    assert _pks(search.track_search(words=["hapsody"])) == [catalog["rhapsody"].pk]
    assert _pks(search.artist_search(words=["dav", "bow"])) == [catalog["bowie"].pk]


@pytest.mark.postgres
def test_postgres_ranks_title_matches_before_artist_matches(catalog):
    found = _pks(search.track_search(words=["queen"]))

    # "Queenie Eye" matches by title; the others only through the artist, despite
    # their higher popularity; among those, popularity decides.
    assert found == [catalog["queenie"].pk, catalog["pressure"].pk, catalog["rhapsody"].pk]


@pytest.mark.postgres
@pytest.mark.parametrize("q", ["a:* | b", "'; select 1; --", "x & !y", "(", "\\", "ünïcödé"])
def test_postgres_search_survives_tsquery_syntax(catalog, q):
    list(search.track_search(words=search.search_words(q)))
    list(search.artist_search(words=search.search_words(q)))


@pytest.mark.postgres
def test_postgres_search_uses_the_gin_indexes(catalog):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plans = {
        "catalog_release_search": search.release_search(words=["opera"]).explain(),
        "catalog_artist_search": search.artist_search(words=["bow"]).explain(),
        "catalog_playlist_search": search.playlist_search(words=["mix"]).explain(),
    }

    for index, plan in plans.items():
        assert index in plan, plan


def test_now_defaults_to_the_current_time():
    track = TrackFactory()
    _window(track, "SE", timezone.now() - datetime.timedelta(minutes=1))

    assert selectors.track_get(track_id=track.pk, market="SE").is_playable is True
