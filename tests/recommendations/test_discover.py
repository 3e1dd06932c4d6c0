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
