"""Discover Weekly's model pieces and the evaluation harness, on small arrays (no database)."""

import numpy as np
import scipy.sparse as sp

from recommendations import discover, evaluation, synthetic


def _listening(seed: int = 4, users: int = 60, tracks: int = 40) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = (rng.random((users, tracks)) < 0.2) * rng.integers(1, 5, (users, tracks))
    return sp.csr_matrix(dense.astype(np.float32))


def test_ease_matches_the_closed_form_on_the_weights_it_keeps():
    weights = _listening()
    binary = (weights > 0).astype(np.float64).toarray()
    gram = binary.T @ binary + 50.0 * np.eye(weights.shape[1])
    p = np.linalg.inv(gram)
    dense = -p / np.diag(p)[None, :]
    np.fill_diagonal(dense, 0.0)

    ease = discover.ease_fit(weights, 50.0, neighbours=5)

    assert ease.shape == (40, 40)
    assert np.diff(ease.indptr).max() <= 5
    assert ease.diagonal().sum() == 0
    rows, cols = ease.nonzero()
    assert np.allclose(ease[rows, cols].A1, dense[rows, cols], atol=1e-5)
    # Each row keeps its largest weights: none dropped is larger than one kept.
    for row in range(40):
        kept = ease[row].toarray().ravel()
        dropped = np.where(kept == 0, dense[row], -np.inf)
        dropped[row] = -np.inf
        if kept.any():
            assert dropped.max() <= kept[kept > 0].min() + 1e-6


def test_ease_runs_only_on_the_most_listened_tracks_and_is_deterministic():
    weights = _listening()
    items, _ = discover.ease_gram(weights, max_tracks=10)
    listeners = np.asarray((weights > 0).sum(axis=0)).ravel()

    ease = discover.ease_fit(weights, 50.0, gram=discover.ease_gram(weights, max_tracks=10))
    again = discover.ease_fit(weights, 50.0, gram=discover.ease_gram(weights, max_tracks=10))

    assert len(items) == 10 and listeners[items].min() >= np.sort(listeners)[-10]
    touched = np.union1d(*ease.nonzero())
    assert set(touched.tolist()) <= set(items.tolist())
    assert (ease != again).nnz == 0


def test_ease_signal_is_a_standardised_row_of_every_listener():
    log = synthetic.generate(synthetic.WorldParams(listeners=300, tracks=600, weeks=4, seed=5))
    training = evaluation.training_at(log, log.days)
    model = discover.fit(
        training,
        blend=discover.BlendParams(ease=1.0),
        als_params=discover.als.AlsParams(factors=8, iterations=3, threads=1),
    )
    rows = np.flatnonzero(np.diff(training.weights.indptr) > 0)[:20]

    stacked = discover.signals(model, training, rows)

    ease = stacked[discover.SIGNALS.index("ease")]
    assert model.ease is not None and model.ease.nnz > 0
    assert np.allclose(ease.mean(axis=1), 0.0, atol=1e-4)
    assert np.allclose(ease.std(axis=1), 1.0, atol=1e-3)


def test_capped_list_keeps_the_order_and_at_most_two_per_artist():
    training = discover.Training(
        weights=sp.csr_matrix((1, 6), dtype=np.float32),
        user_market=np.zeros(1, np.int64),
        track_artist=np.asarray([0, 0, 0, 1, 1, 2]),
        live=np.ones((6, 1), bool),
        fresh=np.zeros((6, 1), bool),
        market_recent=np.zeros((1, 6), np.float32),
    )
    split = evaluation.Split(
        training=training, truth=sp.csr_matrix((1, 6)), rows=np.zeros(1, np.int64), cutoff=0
    )
    ranked = np.asarray([[0, 1, 2, 3, 5, 4, -1]])

    capped = evaluation.capped_list(ranked, split, k=5)

    assert capped.tolist() == [[0, 1, 3, 5, 4]]


def test_tuning_in_chunks_gives_the_candidates_weights_and_playlists_of_one_chunk():
    log = synthetic.generate(synthetic.WorldParams(listeners=300, tracks=600, weeks=4, seed=5))
    split = evaluation.split_at(log, log.days - 7, max_listeners=300, seed=5)
    validation = discover.Validation(training=split.training, truth=split.truth, rows=split.rows)
    als_base = discover.als.AlsParams(factors=8, iterations=3, threads=1)
    grid = ({"factors": 8, "regularization": 1.0, "alpha": 4.0}, {"factors": 16})
    one_row = 1  # bytes: every listener is a chunk of its own
    a_few_rows = 7 * 4 * split.training.shape[1] * 7
    assert len(split.rows) > 20

    runs = {
        budget: discover.tune(
            validation,
            als_base=als_base,
            als_grid=grid,
            ease_lambdas=(100.0, 400.0),
            memory_budget=budget,
        )
        for budget in (2**40, a_few_rows, one_row)
    }

    whole = runs[2**40]
    for budget in (a_few_rows, one_row):
        blend, params, record = runs[budget]
        assert blend == whole[0] and params == whole[1]
        assert {k: v for k, v in record.items() if k != "seconds"} == {
            k: v for k, v in whole[2].items() if k != "seconds"
        }
    model = discover.fit(split.training, blend=whole[0], als_params=whole[1])
    chunks = discover._row_chunks(split.rows, split.training.shape[1], one_row)
    assert len(chunks) == len(split.rows)
    chunked = [discover._candidates(model, split.training, part) for part in chunks]
    candidates, values, ok = discover._candidates(model, split.training, split.rows)
    assert np.array_equal(np.concatenate([c for c, _, _ in chunked]), candidates)
    assert np.array_equal(np.concatenate([v for _, v, _ in chunked], axis=1), values)
    assert np.array_equal(np.concatenate([o for _, _, o in chunked]), ok)
    assert ok.any() and np.isfinite(values[:, ok]).all()
    # The playlists of the blend either run chose, scored in batches of one and of all.
    recs = discover.recommend(model, split.training, split.rows, batch=len(split.rows))
    again = discover.recommend(
        discover.fit(split.training, blend=runs[one_row][0], als_params=runs[one_row][1]),
        split.training,
        split.rows,
        batch=len(split.rows),
    )
    assert np.array_equal(recs, again) and (recs >= 0).any()


def test_artist_choice_gives_distributions_and_the_same_fit_twice():
    log = synthetic.generate(synthetic.WorldParams(listeners=300, tracks=600, weeks=4, seed=5))
    training = evaluation.training_at(log, log.days)
    choice = discover.choice_fit(training, iterations=20, block=64)
    again = discover.choice_fit(training, iterations=20, block=64)
    rows = np.flatnonzero(np.diff(training.weights.indptr) > 0)[:20]
    markets = training.user_market[rows]

    scores = discover.choice_log_probability(choice, rows, markets, training.track_artist)

    for name in (
        "user_factors",
        "artist_factors",
        "bias",
        "log_within",
        "user_slope",
        "user_local",
        "local",
    ):
        assert np.array_equal(getattr(choice, name), getattr(again, name))
    # Per listener: a distribution over artists; per market: one within each artist.
    n_artists = log.n_artists
    first = np.searchsorted(training.track_artist, np.arange(n_artists))
    artist_log_p = scores[:, first] - choice.log_within[markets][:, first]
    assert np.allclose(np.exp(artist_log_p).sum(axis=1), 1.0, atol=1e-4)
    within = np.zeros((choice.log_within.shape[0], n_artists))
    np.add.at(within.T, training.track_artist, np.exp(choice.log_within).T)
    assert np.allclose(within, 1.0, atol=1e-4)
    # A listener the model does not know gets their market's artist popularity.
    unknown = discover.choice_log_probability(
        choice, np.full(2, -1), np.zeros(2, np.int64), training.track_artist
    )
    assert np.array_equal(unknown[0], unknown[1])
    assert np.allclose(unknown[0] - choice.log_within[0], (choice.bias[0] - np.log(
        np.exp(choice.bias[0]).sum()
    ))[training.track_artist], atol=1e-4)  # fmt: skip


def test_artist_choice_learns_taste_and_shares_listeners_per_day_live():
    # Listeners 0-9 play artist 0, 10-19 artist 1; a new listener of artist 0's taste
    # (20) played one of its tracks. Track 2 (artist 0) went live 2 days ago, track 1 on
    # day 0: the same listeners in 2 days weigh more than in 28.
    users, tracks = [], []
    for user in range(10):
        users += [user, user, user]
        tracks += [0, 1, 2]
    for user in range(10, 20):
        users += [user, user]
        tracks += [3, 4]
    users.append(20)
    tracks.append(0)
    weights = sp.csr_matrix(
        (np.ones(len(users), np.float32), (users, tracks)), shape=(21, 6), dtype=np.float32
    )
    live_days = np.full((6, 1), 28)
    live_days[2] = 2
    training = discover.Training(
        weights=weights,
        user_market=np.zeros(21, np.int64),
        track_artist=np.asarray([0, 0, 0, 1, 1, 1]),
        live=np.ones((6, 1), bool),
        fresh=np.zeros((6, 1), bool),
        market_recent=np.zeros((1, 6), np.float32),
        live_days=live_days,
    )

    choice = discover.choice_fit(training, rank=2, iterations=150)
    scores = discover.choice_log_probability(
        choice, np.asarray([20]), np.zeros(1, np.int64), training.track_artist
    )[0]

    assert scores[1] > scores[3]  # artist 0 over artist 1 for its listener
    assert choice.log_within[0, 2] > choice.log_within[0, 1]
    assert choice.log_within[0, 5] < choice.log_within[0, 3]  # nobody played track 5


def test_first_age_counts_days_from_each_listeners_first_play_to_the_cutoff():
    first_age = evaluation.first_age_build(
        users=np.asarray([0, 0, 0, 1]),
        tracks=np.asarray([2, 2, 1, 2]),
        day=np.asarray([5, 3, 9, 9]),
        cutoff=10,
        shape=(2, 3),
    )

    assert first_age.toarray().tolist() == [[0, 1, 7], [0, 0, 1]]


def test_a_pick_is_a_day_an_artist_was_found_and_a_skipped_one_counts_less():
    # Listener 0 found three tracks of artist 0 on one day (an album session) and one
    # more two days later; listener 1 found a track of artist 1 and only skipped it.
    users = np.asarray([0, 0, 0, 0, 1])
    tracks = np.asarray([0, 1, 2, 3, 4])
    days = np.asarray([1, 1, 1, 3, 2])
    weights = discover.weights_build(
        users=users, tracks=tracks, streams=np.asarray([1, 1, 1, 1, 0]),
        skips=np.asarray([0, 0, 0, 0, 1]), n_users=2, n_tracks=5, skip_weight=0.2,
    )  # fmt: skip
    training = discover.Training(
        weights=weights,
        user_market=np.zeros(2, np.int64),
        track_artist=np.asarray([0, 0, 0, 0, 1]),
        live=np.ones((5, 1), bool),
        fresh=np.zeros((5, 1), bool),
        market_recent=np.zeros((1, 5), np.float32),
        first_age=evaluation.first_age_build(
            users=users, tracks=tracks, day=days, cutoff=5, shape=(2, 5)
        ),
    )

    picks = discover.choice_picks(training, 2).toarray()

    assert picks[0].tolist() == [2.0, 0.0]
    assert np.allclose(picks[1], [0.0, discover.CHOICE_SKIP_WEIGHT])


def test_an_artists_home_is_where_its_listeners_are_far_more_than_elsewhere():
    # Two markets of 100 and 50 listeners. Artist 0 has them in proportion (no home),
    # artist 1 almost only in market 1, artist 2 too few to tell.
    listeners = np.asarray([[40.0, 2.0, 1.0], [20.0, 30.0, 1.0]])

    home = discover.artist_home(listeners, np.asarray([100.0, 50.0]), lift=2.0)

    assert home.tolist() == [[0, 0, 0], [0, 1, 0]]


def test_the_choice_model_learns_a_listeners_lean_to_their_markets_own_artists():
    # Market 0's own artist 1 (no one in market 1 plays it); listeners 0-19 of market 0
    # split between artists 0 and 1 alike, except 0-4, who play artist 1 far more.
    users, tracks, markets = [], [], np.r_[np.zeros(20, np.int64), np.ones(40, np.int64)]
    for user in range(60):
        own = 4 if user < 5 else (1 if user < 20 else 0)
        users += [user] * (2 + own)
        tracks += (
            [0, 1][: 2 if user < 20 else 1] + list(range(2, 2 + own)) + ([1] if user >= 20 else [])
        )
    weights = sp.csr_matrix(
        (np.ones(len(users), np.float32), (users, tracks)), shape=(60, 7), dtype=np.float32
    )
    weights.sum_duplicates()
    weights.data[:] = 1.0
    training = discover.Training(
        weights=weights,
        user_market=markets,
        track_artist=np.asarray([0, 0, 1, 1, 1, 1, 1]),
        live=np.ones((7, 2), bool),
        fresh=np.zeros((7, 2), bool),
        market_recent=np.zeros((2, 7), np.float32),
    )

    choice = discover.choice_fit(training, rank=1, iterations=200)

    assert choice.local[:, 1].tolist() == [1.0, 0.0] and choice.local[:, 0].tolist() == [0, 0]
    assert choice.user_local[:5].mean() > choice.user_local[5:20].mean()


def test_the_blend_moves_from_the_best_signal_only_on_gains_beyond_the_noise(monkeypatch):
    log = synthetic.generate(synthetic.WorldParams(listeners=300, tracks=600, weeks=4, seed=5))
    split = evaluation.split_at(log, log.days - 7, max_listeners=300, seed=5)
    validation = discover.Validation(training=split.training, truth=split.truth, rows=split.rows)
    options = {
        "als_base": discover.als.AlsParams(factors=8, iterations=3, threads=1),
        "als_grid": ({"factors": 8},),
        "ease_lambdas": (100.0,),
        "choice_grid": discover.CHOICE_GRID[:1],
    }
    monkeypatch.setattr(discover, "BLEND_MIN_Z", float("inf"))

    blend, _, record = discover.tune(validation, **options)

    weights = blend.weights()
    assert sorted(weights.tolist()) == [0.0] * (len(discover.SIGNALS) - 1) + [1.0]
    monkeypatch.setattr(discover, "BLEND_MIN_Z", 0.0)
    _, _, loose_record = discover.tune(validation, **options)
    assert loose_record["validation_recall"] >= record["validation_recall"]
