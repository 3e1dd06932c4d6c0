"""Availability computed from rights and written to the catalog, read as the catalog reads it."""

import datetime

import pytest
import time_machine

from catalog.models import AvailabilityProfile, AvailabilityProfileWindow, TrackAvailabilityProfile
from common.errors import ValidationFailed
from licensing import services
from licensing.models import Agreement
from licensing.territories import all_markets
from tests.catalog.factories import ReleaseFactory, TrackFactory
from tests.licensing.conftest import playable_markets, utc
from tests.licensing.factories import AgreementFactory, PartyFactory

pytestmark = pytest.mark.django_db


def test_track_is_playable_exactly_inside_the_window_in_the_agreed_markets(party, track):
    AgreementFactory(
        party=party,
        territories="SE, NO",
        starts_on=datetime.date(2025, 3, 1),
        ends_on=datetime.date(2025, 3, 31),
    )
    assert playable_markets(track, utc(2025, 2, 28, 23, 59, 59)) == set()
    assert playable_markets(track, utc(2025, 3, 1)) == {"SE", "NO"}
    assert playable_markets(track, utc(2025, 3, 31, 23, 59, 59)) == {"SE", "NO"}
    assert playable_markets(track, utc(2025, 4, 1)) == set()


def test_catalog_api_marks_playability_at_the_window_edges(party, track, api_client):
    AgreementFactory(
        party=party,
        territories="EU",
        excluded_territories="DE",
        starts_on=datetime.date(2025, 3, 1),
        ends_on=datetime.date(2025, 3, 31),
    )

    def is_playable(at, market):
        with time_machine.travel(at, tick=False):
            response = api_client.get(f"/api/v1/tracks/{track.id}", {"market": market})
        assert response.status_code == 200
        return response.json()["is_playable"]

    assert is_playable(utc(2025, 2, 28, 23, 59, 59), "SE") is False
    assert is_playable(utc(2025, 3, 1), "SE") is True
    assert is_playable(utc(2025, 3, 15), "DE") is False
    assert is_playable(utc(2025, 3, 15), "US") is False
    assert is_playable(utc(2025, 3, 31, 23, 59, 59), "FR") is True
    assert is_playable(utc(2025, 4, 1), "FR") is False


def test_worldwide_with_exclusions_covers_every_other_country(party, track):
    AgreementFactory(party=party, territories="WORLDWIDE", excluded_territories="CU IR KP")
    markets = playable_markets(track, utc(2025, 6, 1))
    assert len(all_markets()) >= 180
    assert markets == all_markets() - {"CU", "IR", "KP"}


def test_consecutive_agreements_make_one_window(party, track):
    AgreementFactory(
        party=party,
        territories="SE",
        starts_on=datetime.date(2024, 1, 1),
        ends_on=datetime.date(2024, 12, 31),
    )
    AgreementFactory(party=party, territories="SE", starts_on=datetime.date(2025, 1, 1))
    windows = list(
        AvailabilityProfileWindow.objects.filter(profile__tracks__track=track).values_list(
            "starts_at", "ends_at"
        )
    )
    assert windows == [(utc(2024, 1, 1), None)]


def test_release_goes_live_at_local_midnight_market_by_market(party, release, track):
    AgreementFactory(party=party, territories="AU SE US")
    services.release_schedule_local(release=release, day=datetime.date(2025, 3, 7))
    # Friday 7 March starts in Sydney at 13:00 UTC Thursday, in Stockholm at 23:00 UTC.
    assert playable_markets(track, utc(2025, 3, 6, 12, 59)) == set()
    assert playable_markets(track, utc(2025, 3, 6, 13, 0)) == {"AU"}
    assert playable_markets(track, utc(2025, 3, 6, 23, 0)) == {"AU", "SE"}
    assert playable_markets(track, utc(2025, 3, 7, 5, 0)) == {"AU", "SE", "US"}


@time_machine.travel(utc(2025, 6, 1, 12), tick=False)
def test_takedown_removes_the_release_everywhere_at_once(party, release, track):
    sibling = TrackFactory(release=release)
    AgreementFactory(party=party, territories="WORLDWIDE")
    now = utc(2025, 6, 1, 12)
    assert len(playable_markets(track, now)) == len(all_markets())

    takedown = services.takedown_create(release=release, reason="legal")

    assert playable_markets(track, now) == set()
    assert playable_markets(sibling, now) == set()
    assert playable_markets(track, now - datetime.timedelta(seconds=1)) == all_markets()

    with time_machine.travel(utc(2025, 6, 2), tick=False):
        services.takedown_lift(takedown=takedown)
        assert playable_markets(track, utc(2025, 6, 2)) == all_markets()


@time_machine.travel(utc(2025, 6, 1, 12), tick=False)
def test_track_takedown_in_some_markets_leaves_the_rest(party, release, track):
    sibling = TrackFactory(release=release)
    AgreementFactory(party=party, territories="NORDICS")
    services.takedown_create(release=release, track=track, territories="SE", reason="other")
    now = utc(2025, 6, 1, 12)
    assert playable_markets(track, now) == {"DK", "FI", "IS", "NO", "AX", "FO", "GL"}
    assert "SE" in playable_markets(sibling, now)


def test_suspending_an_agreement_removes_availability_and_activating_restores(party, track):
    agreement = AgreementFactory(party=party, territories="SE")
    services.agreement_status_set(agreement=agreement, status=Agreement.Status.SUSPENDED)
    assert not TrackAvailabilityProfile.objects.filter(track=track).exists()
    services.agreement_status_set(agreement=agreement, status=Agreement.Status.ACTIVE)
    assert playable_markets(track, utc(2025, 1, 1)) == {"SE"}


def test_release_scoped_agreement_covers_only_its_releases(party, track):
    other_release = ReleaseFactory(label=party.labels.get())
    other_track = TrackFactory(release=other_release)
    AgreementFactory(
        party=party,
        scope=Agreement.Scope.RELEASES,
        releases=[other_release],
        territories="GB",
    )
    assert playable_markets(other_track, utc(2025, 1, 1)) == {"GB"}
    assert playable_markets(track, utc(2025, 1, 1)) == set()


def test_rebuild_replaces_placeholder_availability_and_is_idempotent(party, track):
    unlicensed = TrackFactory(markets=["SE", "US"])
    placeholder = TrackFactory(release=track.release, markets=["JP"])
    AgreementFactory(party=party, territories="SE")
    # A placeholder written behind licensing's back is corrected by the rebuild.
    result = services.availability_rebuild(swap=False)
    # Tracks: the unlicensed one loses its profile (the agreement fixed the JP one).
    assert (result.created, result.updated, result.deleted) == (0, 0, 1)
    assert playable_markets(unlicensed, utc(2025, 1, 1)) == set()
    assert playable_markets(placeholder, utc(2025, 1, 1)) == {"SE"}
    assert playable_markets(track, utc(2025, 1, 1)) == {"SE"}

    again = services.availability_rebuild(swap=False)
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)
    assert AvailabilityProfile.objects.count() == 1  # the placeholder profiles are pruned


def test_refresh_recent_gives_new_tracks_their_availability(party, release):
    AgreementFactory(party=party, territories="FI")
    track = TrackFactory(release=release)  # imported after the agreement
    assert playable_markets(track, utc(2025, 1, 1)) == set()
    services.availability_refresh_recent(since=track.created_at - datetime.timedelta(minutes=1))
    assert playable_markets(track, utc(2025, 1, 1)) == {"FI"}


@pytest.mark.postgres
def test_rebuild_by_table_swap_on_postgresql(party, track):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    TrackFactory(markets=["SE"])  # unlicensed: loses its row
    AgreementFactory(party=party, territories="SE NO")
    result = services.availability_rebuild(swap=True)
    assert result.swapped
    assert playable_markets(track, utc(2025, 1, 1)) == {"SE", "NO"}
    assert TrackAvailabilityProfile.objects.count() == 1
    assert AvailabilityProfile.objects.count() == 1  # the unlicensed track's one is pruned
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT contype FROM pg_constraint "
            "WHERE conrelid = 'catalog_trackavailabilityprofile'::regclass ORDER BY contype"
        )
        kinds = [row[0] for row in cursor.fetchall()]
    assert kinds == ["f", "f", "p"]
    # A takedown of one track in one market gives that track a profile of its own (and the
    # one it leaves, now unused, is pruned).
    before = TrackAvailabilityProfile.objects.get(track=track).profile_id
    sibling = TrackFactory(release=track.release)
    services.availability_refresh(release_ids={track.release_id})
    takedown = services.takedown_create(
        release=track.release, track=track, territories="SE", reason="other"
    )
    assert playable_markets(track, takedown.effective_at) == {"NO"}
    assert TrackAvailabilityProfile.objects.get(track=track).profile_id != before
    assert TrackAvailabilityProfile.objects.get(track=sibling).profile_id == before
    assert AvailabilityProfile.objects.count() == 2


class TestValidation:
    def test_overlapping_agreement_for_the_same_label_is_refused(self, party):
        AgreementFactory(
            party=party,
            reference="FIRST",
            territories="EU",
            starts_on=datetime.date(2025, 1, 1),
            ends_on=datetime.date(2025, 12, 31),
        )
        with pytest.raises(ValidationFailed, match=r"Overlaps agreement FIRST .* in SE"):
            AgreementFactory(party=party, territories="SE US", starts_on=datetime.date(2025, 6, 1))

    def test_no_overlap_in_time_or_markets_is_fine(self, party):
        AgreementFactory(party=party, territories="EU", ends_on=datetime.date(2024, 12, 31))
        AgreementFactory(party=party, territories="EU", starts_on=datetime.date(2025, 1, 1))
        AgreementFactory(party=party, territories="US")
        AgreementFactory(party=PartyFactory(), territories="EU")  # another label

    def test_end_before_start(self, party):
        with pytest.raises(ValidationFailed, match=r"ends \(2024-12-31\) before it starts"):
            AgreementFactory(
                party=party,
                starts_on=datetime.date(2025, 1, 1),
                ends_on=datetime.date(2024, 12, 31),
            )

    def test_unknown_territory_code(self, party):
        with pytest.raises(ValidationFailed, match=r"Unknown territory code 'XX', 'NORDIX'"):
            AgreementFactory(party=party, territories="SE XX NORDIX")

    def test_exclusions_leaving_nothing(self, party):
        with pytest.raises(ValidationFailed, match="no market"):
            AgreementFactory(party=party, territories="NORDICS", excluded_territories="NORDICS")


def test_writer_chunks_give_the_same_rows(party, release):
    from catalog.availability import track_availability_write
    from licensing import selectors

    tracks = [TrackFactory(release=release) for _ in range(5)]
    AgreementFactory(party=party, territories="SE NO")
    TrackAvailabilityProfile.objects.all().delete()
    result = track_availability_write(plan=selectors.availability_plan(), chunk_tracks=2)
    assert result.chunks >= 3
    assert result.created == 5
    assert TrackAvailabilityProfile.objects.values("profile").distinct().count() == 1
    assert all(playable_markets(t, utc(2025, 1, 1)) == {"SE", "NO"} for t in tracks)
