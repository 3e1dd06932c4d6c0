"""Every integer an operation takes, in its path, query or body, set past any column's
range. Deterministic beside the sampled fuzzing of test_api_schema.py, which found such
numbers one endpoint at a time: SQLite raises OverflowError past 2**63 and PostgreSQL
"out of range" past a column's type, so an unchecked one is a 500. Each must be a 4xx
naming the problem, or an answer as if no such row exists."""

import re

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from tests.accounts.factories import UserFactory
from tests.catalog.factories import PlaylistFactory, TrackFactory

HUGE = 10**30
METHODS = ("get", "put", "post", "patch", "delete")


def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _value(schema: dict, node: dict, number, depth: int = 0):
    """A value of `node`'s shape with every integer in it `number`."""
    node = _resolve(schema, node)
    for key in ("allOf", "oneOf", "anyOf"):
        if node.get(key):
            return _value(schema, node[key][0], number, depth)
    kind = node.get("type")
    if kind == "integer":
        return number
    if kind == "number":
        return float(number)
    if kind == "boolean":
        return True
    if kind == "array":
        return [_value(schema, node.get("items", {}), number, depth + 1)] if depth < 4 else []
    if kind == "object" or "properties" in node:
        if depth >= 4:
            return {}
        return {
            name: _value(schema, prop, number, depth + 1)
            for name, prop in node.get("properties", {}).items()
            if not _resolve(schema, prop).get("readOnly")
        }
    if node.get("enum"):
        return node["enum"][0]
    if node.get("format") == "date-time":
        return "2026-01-01T00:00:00Z"
    if node.get("format") == "date":
        return "2026-01-01"
    if node.get("format") == "uuid":
        return "00000000-0000-4000-8000-000000000000"
    return "x"


def _calls(schema: dict, ids: dict):
    for path, item in schema["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            params = operation.get("parameters", [])
            integers = [
                p for p in params if _resolve(schema, p.get("schema", {})).get("type") == "integer"
            ]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            for number in (HUGE, -HUGE):
                for target in [*integers, None] if body else integers:
                    url = path
                    for name, collection in re.findall(r"\{(\w+)\}", path) and [
                        (name, ids.get(collection, 1))
                        for collection, name in re.findall(r"/(\w+)/\{(\w+)\}", path)
                    ]:
                        value = (
                            number if target is not None and target["name"] == name else collection
                        )
                        url = url.replace("{" + name + "}", str(value))
                    query = {}
                    if target is not None and target["in"] == "query":
                        query[target["name"]] = str(number)
                    data = _value(schema, body["schema"], number) if body else None
                    yield method, url, query, data


@pytest.mark.django_db
def test_huge_integers_are_never_a_server_error():
    user = UserFactory(country="SE")
    tracks = TrackFactory.create_batch(2, markets=["SE"])
    playlist = PlaylistFactory(owner=user, tracks=tracks)
    ids = {
        "tracks": tracks[0].pk,
        "albums": tracks[0].release_id,
        "playlists": playlist.pk,
    }
    client = Client(raise_request_exception=False)
    client.force_login(user)
    failures, count = [], 0
    for method, url, query, data in _calls(_schema(), ids):
        if query:
            url = url + "?" + "&".join(f"{k}={v}" for k, v in query.items())
        response = (
            getattr(client, method)(url, data=data, content_type="application/json")
            if data is not None
            else getattr(client, method)(url)
        )
        count += 1
        html = response.content and not response.get("Content-Type", "").startswith("application/")
        if response.status_code >= 500 or html:
            failures.append((method.upper(), url, data, response.status_code))
    assert count > 100
    assert not failures, "\n".join(map(str, failures))
