import datetime

import pytest
from django.utils import timezone

from catalog.audio import (
    Credit,
    normalise_isrc,
    parse_date,
    parse_number_pair,
    split_artist_credits,
)
from catalog.models import AvailabilityProfile, Genre, Label, TrackArtist
from catalog.services import (
    AvailabilityWindow,
    artist_get_or_create,
    genre_get_or_create,
    label_get_or_create,
    playlist_create_with_tracks,
    release_get_or_create,
)
from common.errors import ValidationFailed
from tests.accounts.factories import UserFactory
from tests.catalog.factories import (
    ArtistFactory,
    ReleaseFactory,
    TrackFactory,
    availability_set,
    track_windows,
)

PRIMARY, FEATURED = TrackArtist.Role.PRIMARY, TrackArtist.Role.FEATURED


@pytest.mark.parametrize(
    ("values", "title", "expected"),
    [
        (["Solo"], "", [("Solo", PRIMARY)]),
        (["A feat. B"], "", [("A", PRIMARY), ("B", FEATURED)]),
        (
            ["A ft. B, C & D"],
            "",
            [("A", PRIMARY), ("B", FEATURED), ("C", FEATURED), ("D", FEATURED)],
        ),
        (["A (featuring B)"], "", [("A", PRIMARY), ("B", FEATURED)]),
        (["A", "B"], "", [("A", PRIMARY), ("B", PRIMARY)]),
        (["A"], "Song (feat. B)", [("A", PRIMARY), ("B", FEATURED)]),
        (["A feat. a"], "", [("A", PRIMARY)]),
        # Names are not split on "&" or "and" unless they follow "feat.".
        (["Simon & Garfunkel"], "Feat of Strength", [("Simon & Garfunkel", PRIMARY)]),
    ],
)
def test_split_artist_credits(values, title, expected):
    assert split_artist_credits(values, title=title) == [Credit(n, r) for n, r in expected]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3/12", (3, 12)),
        ("3", (3, None)),
        ("0/12", (None, 12)),
        ("x", (None, None)),
        (None, (None, None)),
    ],
)
def test_parse_number_pair(value, expected):
    assert parse_number_pair(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2012-12-15", datetime.date(2012, 12, 15)),
        ("2012-12-15T10:00:00", datetime.date(2012, 12, 15)),
        ("2012-12", datetime.date(2012, 12, 1)),
        ("2012", datetime.date(2012, 1, 1)),
        ("2012-13-40", datetime.date(2012, 1, 1)),
        ("0000", None),
        ("unknown", None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_normalise_isrc():
    assert normalise_isrc("se-abc-24-00001") == "SEABC2400001"
    assert normalise_isrc("not an isrc") is None
    assert normalise_isrc("") is None


@pytest.mark.django_db
def test_get_or_create_services_match_names_in_any_case():
    assert artist_get_or_create(name="Maxstack") == artist_get_or_create(name="MAXSTACK")
    assert label_get_or_create(name="Fjord Tapes") == label_get_or_create(name="fjord tapes")
    assert genre_get_or_create(name="Hip-Hop") == genre_get_or_create(name="hip hop")
    assert (Label.objects.count(), Genre.objects.count()) == (1, 1)


@pytest.mark.django_db
def test_release_get_or_create_matches_title_and_first_artist():
    artist, other = ArtistFactory(name="A"), ArtistFactory(name="B")
    release = ReleaseFactory(title="Album", artists=[artist], release_date=None, label=None)
    label = Label.objects.create(name="Indie")

    found = release_get_or_create(
        title="ALBUM", artists=[artist], release_date=datetime.date(2020, 1, 2), label=label
    )
    different = release_get_or_create(title="Album", artists=[other])

    assert found == release
    found.refresh_from_db()
    assert (found.release_date, found.label) == (datetime.date(2020, 1, 2), label)
    assert different != release
    assert list(different.artists.all()) == [other]


@pytest.mark.django_db
def test_availability_write_scoped_to_tracks_is_idempotent_and_replaces():
    release = ReleaseFactory()
    track, sibling = TrackFactory(release=release), TrackFactory(release=release, markets=["SE"])
    start = timezone.now() - datetime.timedelta(days=365)
    end = start + datetime.timedelta(days=30)
    windows = [AvailabilityWindow("SE", start), AvailabilityWindow("US", start, end)]

    def counts(result):
        return result.created, result.updated, result.deleted

    assert counts(availability_set([track.id], windows)) == (1, 0, 0)
    assert counts(availability_set([track.id], windows)) == (0, 0, 0)
    assert counts(availability_set([track.id], windows[:1])) == (0, 1, 0)
    assert counts(availability_set([track.id], [AvailabilityWindow("SE", start, end)])) == (
        0,
        1,
        0,
    )

    assert track_windows(track) == [("SE", start, end)]
    # A track of the same release outside the scope keeps its availability.
    assert [market for market, _starts, _ends in track_windows(sibling)] == ["SE"]
    # Equal window sets share one profile; profiles no track uses are gone.
    availability_set([track.id], [AvailabilityWindow("SE", start)])
    other = TrackFactory()
    availability_set([other.id], [AvailabilityWindow("SE", start)])
    track.refresh_from_db()
    other.refresh_from_db()
    assert track.availability_profile.profile_id == other.availability_profile.profile_id
    assert AvailabilityProfile.objects.count() == 2
    assert counts(availability_set([track.id, other.id], [])) == (0, 0, 2)
    assert AvailabilityProfile.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("market", "ends_after"),
    [("se", None), ("SWE", None), ("SE\n", None), ("ÅÄ", None), ("SE", datetime.timedelta(0))],
)
def test_availability_write_rejects_bad_windows(market, ends_after):
    track = TrackFactory()
    start = timezone.now()
    ends = start + ends_after if ends_after is not None else None

    with pytest.raises(ValidationFailed):
        availability_set([track.id], [AvailabilityWindow(market, start, ends)])
    assert not AvailabilityProfile.objects.exists()


@pytest.mark.django_db
def test_playlist_create_keeps_track_order():
    owner = UserFactory()
    first, second = TrackFactory(), TrackFactory()

    playlist = playlist_create_with_tracks(owner=owner, name="Mix", tracks=[second, first])

    assert list(playlist.items.values_list("track", "position", "added_by")) == [
        (second.id, 0, owner.id),
        (first.id, 1, owner.id),
    ]
