import datetime
from collections import Counter

import numpy as np
import pytest
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from catalog.models import FollowedArtist, Playlist, PlaylistItem, Track
from catalog.selectors import track_playable_in
from licensing.models import ReleaseMarketDate
from playback.models import DailyListenerTrack, DailyTrackStreams
from recommendations import discover, services
from recommendations.models import (
    ModelVersion,
    PersonalisedPlaylist,
    PlaylistKind,
    RecommendationRun,
    RunChunk,
    StagedTrack,
)
from tests.accounts.factories import UserFactory
from tests.editorial.factories import PublishedPlaylistFactory
from tests.recommendations.factories import (
    artist_with_tracks,
    build_world,
    make_available,
    primary_artist_ids,
)

DW = PlaylistKind.DISCOVER_WEEKLY
RR = PlaylistKind.RELEASE_RADAR
pytestmark = pytest.mark.django_db


def playlist_of(user, kind=DW) -> Playlist:
    return (
        PersonalisedPlaylist.objects.select_related("playlist").get(user=user, kind=kind).playlist
    )


def track_ids_of(user, kind=DW) -> list[int]:
    return list(
        PlaylistItem.objects.filter(playlist=playlist_of(user, kind))
        .order_by("position")
        .values_list("track_id", flat=True)
    )


def playable_in(market: str) -> set[int]:
    playable = track_playable_in(market=market, now=timezone.now())
    return set(Track.objects.filter(playable).values_list("pk", flat=True))


def ever_played(user) -> set[int]:
    return set(DailyListenerTrack.objects.filter(user=user).values_list("track_id", flat=True))


@pytest.fixture
def world():
    return build_world()


def test_discover_weekly_follows_the_playlist_rules(world):
    # Tracks not playable in SE: US only, a window that ended, a window not yet open.
    _, us_only = artist_with_tracks("US only", tracks=3, markets=("US",))
    _, ended = artist_with_tracks("Gone", tracks=3, markets=())
    make_available(
        ended,
        starts_at=timezone.now() - datetime.timedelta(days=300),
        ends_at=timezone.now() - datetime.timedelta(days=1),
    )
    _, future = artist_with_tracks("Soon", tracks=3, markets=())
    make_available(future, starts_at=timezone.now() + datetime.timedelta(days=2))
    never_playable = {t.pk for t in us_only + ended + future}
    # ...and popular, so the fallback would want them if it ignored availability.
    listener = world.listeners[0]
    DailyTrackStreams.objects.bulk_create(
        DailyTrackStreams(
            day=timezone.now().date(), track_id=pk, country="SE", source="album", streams=999
        )
        for pk in never_playable
    )

    run = services.nightly_run_sync()

    assert run.state == RecommendationRun.State.SUCCEEDED
    playable = playable_in("SE")
    for user in world.listeners:
        playlist = playlist_of(user)
        assert (playlist.kind, playlist.name, playlist.owner_id) == (
            Playlist.Kind.PERSONALISED,
            "Discover Weekly",
            user.pk,
        )
        assert not playlist.public
        tracks = track_ids_of(user)
        assert len(tracks) == 30 == len(set(tracks))
        assert not set(tracks) & ever_played(user), "never played"
        assert set(tracks) <= playable, "playable in the listener's market"
        per_artist = Counter(primary_artist_ids(tracks).values())
        assert max(per_artist.values()) <= 2, "at most 2 per artist"
    assert listener.pk in dict(PersonalisedPlaylist.objects.values_list("user_id", "kind"))


def test_discover_weekly_leads_with_the_listeners_taste(world):
    services.nightly_run_sync()
    cluster_tracks = {
        c: {t.pk for a in artists for t in world.tracks_of[a.pk]}
        for c, artists in enumerate(world.clusters)
    }
    in_taste = []
    for user in world.listeners:
        first = track_ids_of(user)[:5]
        own = cluster_tracks[world.cluster_of_listener[user.pk]]
        in_taste.append(sum(t in own for t in first) / len(first))
    assert np.mean(in_taste) > 0.8


def test_cold_start_listener_gets_popular_and_editorial_tracks(world):
    cold = UserFactory(country="SE")
    editorial_tracks = world.tracks_of[world.clusters[3][0].pk]
    PublishedPlaylistFactory(markets=["SE"], tracks=editorial_tracks)

    services.nightly_run_sync()

    tracks = track_ids_of(cold)
    assert len(tracks) == 30
    assert set(tracks) & {t.pk for t in editorial_tracks}
    most_popular = (
        DailyTrackStreams.objects.filter(country="SE")
        .values("track_id")
        .annotate(total=Sum("streams"))
        .order_by("-total", "track_id")
        .values_list("track_id", flat=True)
        .first()
    )
    assert tracks[0] == most_popular
    sources = set(
        StagedTrack.objects.filter(user_id=cold.pk).values_list("source", flat=True)
    )  # staged rows are gone after the swap
    assert sources == set()
    run = RecommendationRun.objects.get()
    assert run.counts["discover_weekly"]["fallback"] >= 30
    # Only listeners in a market without playable tracks (the editorial account: US) get
    # nothing, and no playlist is made for them.
    no_market = User.objects.exclude(country="SE")
    assert run.counts["discover_weekly"]["empty"] == no_market.count() == 1
    assert not PersonalisedPlaylist.objects.filter(user__in=no_market).exists()


def test_small_catalogue_gives_as_many_tracks_as_exist():
    _, solo = artist_with_tracks("Solo", tracks=3)
    others = [artist_with_tracks(f"Other {n}", tracks=1)[1][0] for n in range(4)]
    listener = UserFactory(country="SE")
    DailyListenerTrack.objects.create(
        day=timezone.now().date(), user=listener, track=others[0], plays=1, streams=1
    )

    services.nightly_run_sync()

    tracks = track_ids_of(listener)
    # 3 other artists' tracks + 2 of Solo's 3 (artist cap); the played one left out.
    assert len(tracks) == 5
    assert others[0].pk not in tracks
    assert sum(t in {s.pk for s in solo} for t in tracks) == 2


def test_playlists_are_swapped_atomically(world, monkeypatch):
    services.nightly_run_sync(day=datetime.date(2026, 3, 2))
    listener = world.listeners[0]
    playlist = playlist_of(listener)
    before = track_ids_of(listener)
    # The listener played last week's picks: next week's list must differ.
    DailyListenerTrack.objects.bulk_create(
        DailyListenerTrack(day=timezone.now().date(), user=listener, track_id=t, plays=1, streams=1)
        for t in before
    )
    run = services.run_start(day=datetime.date(2026, 3, 9))
    assert run.kinds == [DW, RR]
    run = services.run_train(run_id=run.pk)
    chunks = services.run_pending_chunk_ids(run_id=run.pk)
    assert len(chunks) == 4  # 32 listeners, 10 per chunk
    for chunk_id in chunks[:-1]:
        assert services.run_chunk_score(chunk_id=chunk_id) is None
        assert track_ids_of(listener) == before  # last week's list until the swap
    assert services.run_chunk_score(chunk_id=chunks[-1]).state == RecommendationRun.State.SWAPPING
    assert track_ids_of(listener) == before

    # A swap that fails half-way leaves every playlist as it was.
    def broken(run):
        raise RuntimeError("disk full")

    monkeypatch.setattr("recommendations.services.swap._run_metrics", broken)
    with pytest.raises(RuntimeError):
        services.run_finish(run_id=run.pk)
    assert track_ids_of(listener) == before
    monkeypatch.undo()

    finished = services.run_finish(run_id=run.pk)

    assert finished.state == RecommendationRun.State.SUCCEEDED
    after = track_ids_of(listener)
    assert len(after) == 30 and not set(after) & set(before)
    fresh = playlist_of(listener)
    assert fresh.pk == playlist.pk and fresh.snapshot == playlist.snapshot + 1
    assert not StagedTrack.objects.exists()


def test_rerunning_a_night_is_harmless(world):
    first = services.nightly_run_sync()
    snapshot = {user.pk: (playlist_of(user).pk, track_ids_of(user)) for user in world.listeners}
    playlists = Playlist.objects.count()

    assert services.nightly_run_sync() is None  # the day is done
    assert RecommendationRun.objects.count() == 1
    assert ModelVersion.objects.count() == 1

    again = services.nightly_run_sync(force=True)
    assert again.pk == first.pk and again.attempts == 2
    assert Playlist.objects.count() == playlists
    assert PersonalisedPlaylist.objects.filter(kind=DW).count() == len(world.listeners)
    for user in world.listeners:
        playlist_id, _ = snapshot[user.pk]
        assert playlist_of(user).pk == playlist_id
        assert len(track_ids_of(user)) == 30 == len(set(track_ids_of(user)))
        assert set(track_ids_of(user)).isdisjoint(ever_played(user))
    assert PlaylistItem.objects.filter(playlist__kind=Playlist.Kind.PERSONALISED).count() == (
        30 * len(world.listeners)
    )


def test_a_chunk_delivered_twice_is_scored_once(world):
    run = services.run_start(kinds=[DW])
    services.run_train(run_id=run.pk)
    chunk_id = services.run_pending_chunk_ids(run_id=run.pk)[0]
    services.run_chunk_score(chunk_id=chunk_id)
    staged = StagedTrack.objects.count()
    assert services.run_chunk_score(chunk_id=chunk_id) is None
    assert StagedTrack.objects.count() == staged
    run.refresh_from_db()
    assert run.chunks_done == 1


def test_a_lost_run_is_taken_over_after_its_deadline(world):
    run = services.run_start(kinds=[DW])
    assert services.run_start() is None  # running, within its deadline
    RecommendationRun.objects.filter(pk=run.pk).update(
        deadline_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    again = services.run_start()
    assert again.pk == run.pk and again.attempts == 2
    assert services.nightly_run_sync() is None
    services.run_train(run_id=again.pk)
    for chunk_id in services.run_pending_chunk_ids(run_id=again.pk):
        services.run_chunk_score(chunk_id=chunk_id)
    assert services.run_finish(run_id=again.pk).state == RecommendationRun.State.SUCCEEDED


def test_kinds_due_once_per_edition():
    monday, friday = datetime.date(2026, 3, 2), datetime.date(2026, 3, 6)
    assert services.kinds_due(day=monday) == [DW, RR]
    RecommendationRun.objects.create(
        day=monday, state="succeeded", discover_weekly=True, release_radar=True
    )
    assert services.kinds_due(day=monday + datetime.timedelta(days=1)) == []
    assert services.kinds_due(day=friday) == [RR]
    RecommendationRun.objects.create(day=friday, state="succeeded", release_radar=True)
    assert services.kinds_due(day=friday + datetime.timedelta(days=2)) == []
    assert services.kinds_due(day=monday + datetime.timedelta(days=7)) == [DW]
    # A failed Monday is caught up on Tuesday.
    RecommendationRun.objects.create(day=datetime.date(2026, 3, 9), state="failed")
    assert services.kinds_due(day=datetime.date(2026, 3, 10)) == [DW]


@pytest.fixture
def radar():
    """A listener who follows A and plays B; C is like A (same listeners), D is not."""
    today = timezone.now().date()
    world = build_world(clusters=2, artists_per_cluster=4, listeners_per_cluster=10)
    a, b, c = world.clusters[0][:3]
    d = world.clusters[1][0]
    listener = UserFactory(country="SE")
    FollowedArtist.objects.create(user=listener, artist=a)
    DailyListenerTrack.objects.create(
        day=today, user=listener, track=world.tracks_of[b.pk][0], plays=3, streams=3
    )

    def release(artist, days_ago, title, markets=("SE",)):
        from catalog.models import Release, ReleaseArtist, TrackArtist

        rel = Release.objects.create(
            title=title, release_date=today - datetime.timedelta(days=days_ago)
        )
        ReleaseArtist.objects.create(release=rel, artist=artist)
        tracks = Track.objects.bulk_create(
            Track(title=f"{title} {n}", release=rel, track_number=n + 1) for n in range(3)
        )
        TrackArtist.objects.bulk_create(TrackArtist(track=t, artist=artist) for t in tracks)
        make_available(tracks, markets=markets)
        return rel, tracks

    releases = {
        "a_new": release(a, 2, "A new"),
        "a_old": release(a, 15, "A old"),
        "a_future": release(a, -1, "A future"),
        "b_new": release(b, 0, "B new"),
        "c_new": release(c, 10, "C new"),
        "d_new": release(d, 1, "D new"),
        "a_us_only": release(a, 1, "A US", markets=("US",)),
        # Global date in the window but live in SE only in two days...
        "a_se_later": release(a, 2, "A SE later"),
        # ...and an old global date that goes live in SE yesterday.
        "a_se_now": release(a, 30, "A SE now"),
    }
    now = timezone.now()
    ReleaseMarketDate.objects.create(
        release=releases["a_se_later"][0], market="SE", live_at=now + datetime.timedelta(days=2)
    )
    ReleaseMarketDate.objects.create(
        release=releases["a_se_now"][0], market="SE", live_at=now - datetime.timedelta(days=1)
    )
    return listener, releases, world


def test_release_radar_window_and_affinity(radar, settings):
    settings.RECOMMENDATIONS_ALS = {**settings.RECOMMENDATIONS_ALS, "related_artists": 3}
    listener, releases, _ = radar

    services.nightly_run_sync(kinds=[RR])

    tracks = track_ids_of(listener, RR)
    got = {name for name, (_, ts) in releases.items() if set(tracks) & {t.pk for t in ts}}
    assert {"a_new", "b_new", "a_se_now"} <= got
    assert not got & {"a_old", "a_future", "a_us_only", "a_se_later", "d_new"}
    # At most two tracks per release; followed and played artists before related ones.
    for _, ts in releases.values():
        assert len(set(tracks) & {t.pk for t in ts}) <= 2
    direct = {t.pk for name in ("a_new", "b_new", "a_se_now") for t in releases[name][1]}
    first_related = min((i for i, t in enumerate(tracks) if t not in direct), default=len(tracks))
    assert all(t in direct for t in tracks[:first_related])
    assert first_related == 6
    assert "c_new" in got  # topped up with a related artist
    assert playlist_of(listener, RR).name == "Release Radar"
    assert not PersonalisedPlaylist.objects.filter(user=listener, kind=DW).exists()


def test_release_radar_cold_listener_gets_popular_new_releases(radar):
    _, releases, _ = radar
    cold = UserFactory(country="SE")

    services.nightly_run_sync(kinds=[RR])

    tracks = set(track_ids_of(cold, RR))
    assert tracks
    in_window = {
        t.pk for n in ("a_new", "b_new", "c_new", "d_new", "a_se_now") for t in releases[n][1]
    }
    assert tracks <= in_window


def test_model_versions_keep_item_factors_of_the_newest(world, settings):
    settings.RECOMMENDATIONS_KEEP_VERSIONS = 2
    versions = [services.model_train() for _ in range(3)]
    kept = {
        v.pk: (bool(v.item_factors), bool(v.user_factors))
        for v in ModelVersion.objects.order_by("pk")
    }
    assert kept == {
        versions[0].pk: (False, False),
        versions[1].pk: (True, False),
        versions[2].pk: (True, True),
    }
    newest = versions[2]
    assert newest.listeners == len(world.listeners)
    assert newest.tracks == len({t for s in world.played.values() for t in s})


def test_run_records_counts_durations_and_metrics(world):
    run = services.nightly_run_sync(kinds=[DW])
    assert run.model_version.state == ModelVersion.State.READY
    assert run.listeners == len(world.listeners)
    assert run.chunks_done == run.chunks_total == 4
    assert set(run.durations) >= {"train", "score", "swap", "total"}
    assert run.counts["discover_weekly"]["tracks"] == 30 * len(world.listeners)
    metrics = run.metrics["discover_weekly"]
    assert 0 < metrics["catalogue_coverage"] <= 1
    assert metrics["novelty_bits"] > 0
    assert RunChunk.objects.filter(run=run, state="done").count() == 4


def test_same_data_gives_the_same_playlists(world):
    services.nightly_run_sync(kinds=[DW])
    first = {user.pk: track_ids_of(user) for user in world.listeners}
    services.scoring._contexts.clear()

    services.nightly_run_sync(kinds=[DW], force=True)

    assert {user.pk: track_ids_of(user) for user in world.listeners} == first
    assert all(len(tracks) == 30 for tracks in first.values())


def test_the_run_records_the_settings_chosen_on_the_validation_week(world):
    run = services.nightly_run_sync(kinds=[DW])

    tuning = RecommendationRun.objects.get(pk=run.pk).tuning
    assert tuning["listeners"] > 0
    assert {"factors", "regularization", "alpha"} <= set(tuning["chosen"]["als_settings"])
    assert {"als", "knn", "artist", "fresh", "popularity"} <= set(tuning["chosen"])
    assert [entry["factors"] for entry in tuning["als"]] == [8, 8]
    assert [entry["lambda"] for entry in tuning["ease"]] == [100.0, 400.0, 1600.0]
    assert tuning["chosen"]["ease_lambda"] in (100.0, 400.0, 1600.0)
    assert "ease" in tuning["chosen"]
    # The nightly scoring reads the fitted EASE weights back from the model version.
    context = services.scoring_context(RecommendationRun.objects.get(pk=run.pk))
    assert context.dw.ease is not None and context.dw.ease.nnz > 0
    assert context.dw.blend.ease == tuning["chosen"]["ease"]
    # And the artist choice model, the same arrays the fit produced.
    assert "choice" in tuning["chosen"]
    assert context.dw.blend.choice == tuning["chosen"]["choice"]
    # Its rank and penalty are chosen on the validation week too, among the grid.
    assert [(e["rank"], e["regularization"]) for e in tuning["choice"]] == [
        (g["rank"], g["regularization"]) for g in discover.CHOICE_GRID
    ]
    rank = tuning["chosen"]["choice_rank"]
    assert rank in {g["rank"] for g in discover.CHOICE_GRID}
    assert "choice_regularization" in tuning["chosen"]
    choice = context.dw.choice
    assert choice is not None
    assert choice.user_factors.shape == (len(context.dw_user_ids), rank)
    assert choice.user_slope.shape == choice.user_local.shape == (len(context.dw_user_ids),)
    assert choice.local.shape == choice.bias.shape
    assert choice.bias.shape == (len(context.dw_markets), len(choice.artist_factors))
    assert choice.log_within.shape == (len(context.dw_markets), len(context.dw_pos))
    assert np.isfinite(choice.log_within).all()
    chosen = run.model_version.params["discover_weekly"]
    assert chosen["als"] == tuning["chosen"]["als_settings"]
    assert chosen["blend"]["knn"] == tuning["chosen"]["knn"]


def test_a_withdrawn_track_leaves_personal_playlists_the_same_day(world):
    from recommendations import tasks
    from tests.catalog.factories import availability_set

    services.nightly_run_sync()
    listener = world.listeners[0]
    before = track_ids_of(listener)
    withdrawn = before[3]
    holders = PersonalisedPlaylist.objects.filter(
        kind=DW, playlist__items__track_id=withdrawn
    ).values_list("user_id", flat=True)
    holders = set(holders)
    snapshot = playlist_of(listener).snapshot

    availability_set([withdrawn], [])  # a takedown
    result = tasks.personalised_playlists_refresh_availability.delay().get()

    assert result["removed"] >= 1 and result["added"] >= 1
    after = track_ids_of(listener)
    assert withdrawn not in after
    assert len(after) == 30 and after[:3] == before[:3] and after[4:] == before[4:]
    assert after[3] in playable_in("SE") and after[3] not in ever_played(listener)
    assert max(Counter(primary_artist_ids(after).values()).values()) <= 2
    assert playlist_of(listener).snapshot == snapshot + 1
    for user_id in holders:
        assert withdrawn not in track_ids_of(User.objects.get(pk=user_id))
    # Nothing left to do: a second pass changes nothing.
    assert services.personalised_playlists_refresh_availability() == {"removed": 0, "added": 0}


def test_capped_top_keeps_the_artist_cap_and_breaks_ties_by_position():
    from recommendations import discover

    candidates = np.asarray([[5, 1, 2, 3, 4, 0]])
    scores = np.asarray([[1.0, 1.0, 1.0, 0.5, 0.5, -np.inf]])
    artists = np.asarray([9, 7, 7, 7, 8, 8])

    picks = discover.capped_top(candidates, scores, artists, k=4, cap=2)

    # Ties at 1.0 in position order (1, 2, 5); 3 is a third track of artist 7.
    assert picks.tolist() == [[1, 2, 5, 4]]


def test_release_radar_related_artists_are_a_bounded_fill_marked_in_the_run(radar, settings):
    settings.RECOMMENDATIONS_ALS = {**settings.RECOMMENDATIONS_ALS, "related_artists": 3}
    settings.RECOMMENDATIONS_RANKING = {"related_fill": 1}
    listener, releases, _ = radar

    run = services.nightly_run_sync(kinds=[RR])

    tracks = track_ids_of(listener, RR)
    direct = {t.pk for name in ("a_new", "b_new", "a_se_now") for t in releases[name][1]}
    assert len([t for t in tracks if t not in direct]) == 1
    assert tracks[:6] == [t for t in tracks if t in direct]
    counts = RecommendationRun.objects.get(pk=run.pk).counts["release_radar"]
    assert counts["related"] <= counts["listeners"]
    assert counts["followed"] + counts["played"] >= 6


def test_als_settings_choose_the_backend_its_master_and_driver_memory(settings):
    settings.RECOMMENDATIONS_ALS = {"factors": 32}
    settings.RECOMMENDATIONS_ALS_BACKEND = "spark"
    settings.RECOMMENDATIONS_SPARK_MASTER = "spark://spark-master:7077"
    settings.RECOMMENDATIONS_SPARK_MEMORY = "6g"

    params = services.als_params()

    assert (params.factors, params.backend) == (32, "spark")
    assert (params.spark_master, params.spark_memory) == ("spark://spark-master:7077", "6g")
