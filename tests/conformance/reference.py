"""The Spotify Web API reference (its OpenAPI description) and response validation against it.

`spotify-web-api.yml` is sonallux/spotify-web-api's `fixed-spotify-open-api.yml` (MIT, see
`spotify-web-api.LICENSE`), commit a3369587d22fb1b3fe4aeb4022d67469365695b8.
"""

import functools
from pathlib import Path

import yaml
from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30Validator

SPEC_PATH = Path(__file__).with_name("spotify-web-api.yml")


# Where the reference's schema says less than its own prose, as the live Spotify API
# answers: property -> schemas where it may be null.
DOCUMENTED_NULLS = {
    "next": None,  # "URL to the next page of items. (null if none)" (every paging object)
    "previous": None,  # "URL to the previous page of items. (null if none)"
    "description": {"SimplifiedPlaylistObject", "PlaylistObject"},  # "otherwise null"
    "href": {"RecommendationSeedObject"},  # "For genre seeds, this value will be null."
}


# Where the reference requires `available_markets` but the live API, given a market, leaves
# it out and says `is_playable` instead (track relinking; Spotify staff: "When you provide a
# market, we ... determine if that track is playable"): one or the other is required.
RELINKED = {"AlbumBase"}


def _patch(schemas: dict) -> None:
    """Apply DOCUMENTED_NULLS and RELINKED, and read `oneOf` as `anyOf`: TrackObject and
    EpisodeObject require nothing, so an item matches both and `oneOf` could never hold; drop the
    discriminator, whose values are not schema names."""

    def walk(node, owner: str):
        if isinstance(node, dict):
            if "oneOf" in node:
                node["anyOf"] = node.pop("oneOf")
            # Its propertyName (`type`) maps to no schema name ("track" -> TrackObject).
            node.pop("discriminator", None)
            for name, prop in node.get("properties", {}).items():
                where = DOCUMENTED_NULLS.get(name, ())
                if name in DOCUMENTED_NULLS and (where is None or owner in where):
                    prop["nullable"] = True
            for value in node.values():
                walk(value, owner)
        elif isinstance(node, list):
            for value in node:
                walk(value, owner)

    for name, schema in schemas.items():
        walk(schema, name)
    for name in RELINKED:
        schema = schemas[name]
        schema["required"].remove("available_markets")
        schema["properties"].setdefault("is_playable", {"type": "boolean"})
        schema["anyOf"] = [{"required": ["available_markets"]}, {"required": ["is_playable"]}]


@functools.cache
def spec() -> dict:
    loaded = yaml.safe_load(SPEC_PATH.read_text())
    _patch(loaded["components"]["schemas"])
    return loaded


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        target = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations() -> list[tuple[str, str]]:
    return [
        (path, method)
        for path, item in spec()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete")
    ]


def response_schema(path: str, method: str, status: int) -> dict | None:
    responses = spec()["paths"][path][method]["responses"]
    response = _resolve(responses[str(status)])
    content = response.get("content", {}).get("application/json")
    return None if content is None else content["schema"]


def errors_of(data, path: str, method: str, status: int) -> list[str]:
    """Where `data` breaks the reference's response schema (empty when it conforms)."""
    if str(status) not in spec()["paths"][path][method]["responses"]:
        return [f"status {status} is not a documented response"]
    schema = response_schema(path, method, status)
    if schema is None:
        return []
    validator = OAS30Validator({**schema, "components": spec()["components"]})
    found = []
    for error in validator.iter_errors(data):
        if error.context:  # anyOf/oneOf: name the closest alternative's problem
            error = best_match(error.context)
        where = "/".join(map(str, error.absolute_path)) or "(root)"
        found.append(f"{where}: {error.message[-200:]}")
    return found
