"""Schemathesis against the OpenAPI schema, in-process on the WSGI app, as a listener.

Every operation is called with generated data, valid and invalid, on a listener's session
with a CSRF token: no answer may be a server error, and every documented answer must
match its schema. (Schemathesis's own pytest loader reaches into pytest internals that
pytest 9 no longer has; a plain Hypothesis test per operation does the same.)
"""

import functools
import re

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.accounts.factories import UserFactory
from tests.catalog.factories import PlaylistFactory, TrackFactory

EXAMPLES_PER_OPERATION = 25  # ~70 operations: about 30 s on 2 cores
TOKEN = "S" * 32  # a CSRF secret, sent as cookie and header
METHODS = ("get", "put", "post", "patch", "delete")


def _operations() -> list[tuple[str, str]]:
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [(method, path) for path, item in paths.items() for method in METHODS if method in item]


@functools.cache
def _schema():
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def _keep_db_connection():
    """As Django's test client does: a request must not close the test's connection (it
    holds the test's transaction; closing it is a no-op only for in-memory SQLite)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, _keep_db_connection) -> dict:
    """A listener's session and CSRF cookies, and ids of rows the API can find."""
    user = UserFactory(country="SE")
    tracks = TrackFactory.create_batch(3, markets=["SE"])
    playlists = [
        PlaylistFactory(owner=user, tracks=tracks),
        PlaylistFactory(public=True, tracks=tracks[:1]),
    ]
    client = Client()
    client.force_login(user)
    return {
        "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": TOKEN},
        "ids": {
            "tracks": [t.pk for t in tracks],
            "albums": [t.release_id for t in tracks],
            "artists": [a.pk for t in tracks for a in t.release.artists.all()]
            or [t.credits.first().artist_id for t in tracks],
            "playlists": [p.pk for p in playlists],
        },
    }


def _existing_rows(operation, ids: dict):
    """Cases whose path parameters name rows that exist (`/tracks/{id}` -> a track's id)."""
    known = {
        name: ids[collection]
        for collection, name in re.findall(r"/(\w+)/\{(\w+)\}", operation.path)
        if collection in ids
    }
    if not known:
        return None
    choices = st.fixed_dictionaries(
        {name: st.sampled_from(values) for name, values in known.items()}
    )
    return choices.flatmap(
        lambda chosen: operation.as_strategy(
            GenerationMode.POSITIVE, path_parameters={k: str(v) for k, v in chosen.items()}
        )
    )


def _label(value) -> str:
    return re.sub(r"[{}]", "", value) if isinstance(value, str) else value.upper()


@pytest.mark.parametrize(("method", "path"), _operations(), ids=lambda v: _label(v))
def test_api_answers_within_its_schema(method, path, world):
    operation = _schema()[path][method.upper()]
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if (existing := _existing_rows(operation, world["ids"])) is not None:
        strategies.append(existing)

    @given(case=st.one_of(strategies))
    @settings(max_examples=EXAMPLES_PER_OPERATION)
    def check(case):
        response = case.call(cookies=world["cookies"], headers={"X-CSRFToken": TOKEN})
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    check()
