import pytest
from django.core.management import CommandError, call_command

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


def test_evaluate_recommendations_refuses_a_catalogue_too_small_for_k():
    build_world(plays_per_listener=12)  # 80 tracks: a list of 30 holds much of it

    with pytest.raises(CommandError, match="catalogue has 80 tracks"):
        call_command("evaluate_recommendations")


def test_evaluate_recommendations_compares_with_baselines_on_a_synthetic_log(capsys):
    call_command(
        "evaluate_recommendations", synthetic=True, listeners=400, tracks=1200, seed=3, threads=1
    )

    out = capsys.readouterr().out
    assert "recall@30" in out and "NDCG@30" in out and "novelty" in out
    rows = {line[:30].strip(): line[30:].split() for line in out.splitlines()}
    for name in ("most popular, per market", "ItemKNN (cosine)", "implicit ALS, tuned"):
        recall, low, high = float(rows[name][0]), rows[name][1], rows[name][2]
        assert 0 < recall < 1 and float(low.strip("[,")) <= recall <= float(high.strip("]"))
    assert float(rows["Discover Weekly (shipped)"][0]) > float(rows["most popular, global"][0])
    assert "Discover Weekly / best baseline" in out.splitlines()[-2]
    # The same baselines' lists under Discover Weekly's artist cap, for the rules' cost.
    assert "Same rules" in out.splitlines()[-1]
    capped = float(rows["implicit ALS, tuned"][-2])
    assert 0 < capped <= float(rows["implicit ALS, tuned"][0]) + 1e-9


def test_evaluate_recommendations_needs_history():
    with pytest.raises(CommandError):
        call_command("evaluate_recommendations")
