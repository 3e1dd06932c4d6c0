import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from playback.models import DailyListenerTrack
from recommendations.models import RecommendationRun
from tests.recommendations.factories import build_world

pytestmark = pytest.mark.django_db


def test_rebuild_recommendations_runs_once_per_day(capsys):
    build_world(clusters=2, listeners_per_cluster=4)
    call_command("rebuild_recommendations")
    out = capsys.readouterr().out
    assert "succeeded" in out and "discover_weekly, release_radar" in out
    call_command("rebuild_recommendations")
    assert "Nothing to do" in capsys.readouterr().out
    call_command("rebuild_recommendations", force=True, kinds="discover_weekly", verbosity=2)
    out = capsys.readouterr().out
    assert "built discover_weekly." in out and "durations:" in out
    assert RecommendationRun.objects.get().attempts == 2
    with pytest.raises(CommandError):
        call_command("rebuild_recommendations", kinds="daily_mix")


def test_evaluate_recommendations_prints_the_table(capsys):
    world = build_world(plays_per_listener=12)
    # A held-out week: every listener discovers two more tracks of their cluster.
    today = timezone.now().date() + datetime.timedelta(days=1)
    rows = []
    for user in world.listeners:
        cluster = world.clusters[world.cluster_of_listener[user.pk]]
        fresh = [
            t for a in cluster for t in world.tracks_of[a.pk] if t.pk not in world.played[user.pk]
        ]
        rows += [
            DailyListenerTrack(day=today, user=user, track=t, plays=2, streams=2) for t in fresh[:2]
        ]
    DailyListenerTrack.objects.bulk_create(rows)

    call_command("evaluate_recommendations", holdout_days=1)

    out = capsys.readouterr().out
    assert "recall@30" in out and "NDCG@30" in out and "novelty" in out
    lines = {line.split("  ")[0]: line.split() for line in out.splitlines()}
    popularity = float(lines["popularity"][1])
    als_recall = float(lines["als"][1])
    assert als_recall > popularity
    assert "x" in out.splitlines()[-1]


def test_evaluate_recommendations_needs_history():
    with pytest.raises(CommandError):
        call_command("evaluate_recommendations")
