"""Track search on PostgreSQL: typos, prefixes, availability, the stored document."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import search
from tests.catalog.factories import ArtistFactory, ReleaseFactory, TrackFactory

pytestmark = pytest.mark.postgres


@pytest.fixture
def singularity(db):
    artist = ArtistFactory(name="Muse")
    release = ReleaseFactory(title="Origin of Symmetry", artists=[artist])
    return {
        "licensed": TrackFactory(title="Singularity", release=release, markets=["SE"]),
        "elsewhere": TrackFactory(title="Singularity Live", release=release, markets=["US"]),
        "nowhere": TrackFactory(title="Singularity Demo", release=release),
    }


@pytest.fixture(autouse=True)
def _no_remembered_corrections():
    search._corrections.clear()
    yield
    search._corrections.clear()


def _ids(words, market=None):
    return search.track_search_page(words=words, market=market).ids


def test_a_typo_finds_the_track(singularity):
    assert _ids(["singulrity"], "SE") == [singularity["licensed"].pk]
    assert _ids(["singulrity", "muse"], "SE") == [singularity["licensed"].pk]


def test_a_correction_is_remembered(singularity):
    assert _ids(["singulrity"], "SE") == [singularity["licensed"].pk]

    with CaptureQueriesContext(connection) as queries:
        found = search.track_search_page(words=["singulrity"], market="SE")
    assert found.ids == [singularity["licensed"].pk]
    assert found.words == ["singularity"]
    assert not [query for query in queries if "similarity(" in query["sql"]]


def test_a_remembered_correction_no_longer_known_is_looked_up_again(singularity):
    search._corrections["singulrity"] = (time.monotonic(), "singularities")

    found = search.track_search_page(words=["singulrity"], market="SE")

    assert found.ids == [singularity["licensed"].pk]
    assert found.words == ["singularity"]
    assert search._corrections["singulrity"][1] == "singularity"


def test_a_word_close_to_no_known_word_finds_nothing(singularity):
    found = search.track_search_page(words=["singularity", "xqzvw"], market="SE")

    assert found.ids == []
    assert found.total == 0
    assert found.words == ["singularity", "xqzvw"]
    assert "xqzvw" not in search._corrections


def test_a_prefix_finds_the_track(singularity):
    assert _ids(["singul"], "SE") == [singularity["licensed"].pk]
    assert set(_ids(["sing", "symm"])) == {track.pk for track in singularity.values()}


def test_tracks_unlicensed_in_the_market_are_hidden(singularity):
    assert _ids(["singularity"], "US") == [singularity["elsewhere"].pk]
    assert _ids(["singularity", "demo"], "SE") == []
    assert _ids(["singularity", "demo"]) == [singularity["nowhere"].pk]


def test_the_document_follows_renames_and_credits(singularity):
    track = singularity["licensed"]
    artist = track.artists.get()
    artist.name = "Matthew"
    artist.save()
    track.release.title = "Absolution"
    track.release.save()

    assert _ids(["matthew", "absolution"], "SE") == [track.pk]
    assert _ids(["muse"], "SE") == []
    track.credits.all().delete()
    assert _ids(["matthew"], "SE") == []


def test_a_track_with_very_many_performers_is_found_by_the_first(db):
    # Words that do not compress: the document's performers stop at 1,000 characters, so
    # the popularity index (which carries the document) still takes the track.
    names = [
        " ".join(f"w{(i * 7919 + j * 104729) % 999983:06x}q{i}" for j in range(10))
        for i in range(40)
    ]
    performers = [ArtistFactory(name=name[:200]) for name in names]
    track = TrackFactory(title="Crowded", artists=performers, markets=["SE"])

    assert _ids(["crowded", names[0].split()[0]], "SE") == [track.pk]
    assert _ids([names[-1].split()[0]], "SE") == []


def test_a_document_in_a_script_of_several_bytes_a_letter_still_fits(db):
    def word(i: int) -> str:
        return chr(0x4E00 + i * 2) + chr(0x4E01 + i * 2)

    names = [" ".join(word(i * 60 + j) for j in range(60))[:200] for i in range(8)]
    performers = [ArtistFactory(name=name) for name in names]
    release = ReleaseFactory(title=" ".join(word(900 + j) for j in range(100))[:300])
    title = " ".join(word(2000 + j) for j in range(100))[:300]
    track = TrackFactory(title=title, release=release, artists=performers, markets=["SE"])

    assert _ids([word(2000), word(2099)], "SE") == [track.pk]
    assert _ids([names[0].split()[0]], "SE") == [track.pk]
