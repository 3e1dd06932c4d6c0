import pytest

from recommendations import selectors, services


@pytest.fixture(autouse=True)
def reco_settings(settings):
    """Small, fast models; several chunks even for a few listeners; caches cleared."""
    settings.RECOMMENDATIONS_ALS = {"factors": 8, "iterations": 15, "threads": 1, "alpha": 8.0}
    settings.RECOMMENDATIONS_DW_ALS_GRID = [
        {"factors": 8, "regularization": 1.0, "alpha": 4.0},
        {"factors": 8, "regularization": 0.05, "alpha": 8.0},
    ]
    settings.RECOMMENDATIONS_CHUNK_SIZE = 10
    settings.RECOMMENDATIONS_RUN_HOUR_UTC = 0
    services.scoring._contexts.clear()
    selectors._cache.clear()
    yield settings
    services.scoring._contexts.clear()
    selectors._cache.clear()
