import yaml
from django.core.management import call_command
from drf_spectacular.drainage import reset_generator_stats
from drf_spectacular.validation import validate_schema

CATALOG_PATHS = {
    "/api/v1/tracks": "get_several_tracks",
    "/api/v1/tracks/{id}": "get_track",
    "/api/v1/albums": "get_several_albums",
    "/api/v1/albums/{id}": "get_album",
    "/api/v1/albums/{id}/tracks": "get_album_tracks",
    "/api/v1/artists": "get_several_artists",
    "/api/v1/artists/{id}": "get_artist",
    "/api/v1/artists/{id}/albums": "get_artist_albums",
    "/api/v1/artists/{id}/top-tracks": "get_artist_top_tracks",
    "/api/v1/playlists/{id}": "get_playlist",
    "/api/v1/playlists/{id}/tracks": "get_playlist_tracks",
    "/api/v1/search": "search",
}
PAGING = {"href", "items", "limit", "next", "offset", "previous", "total"}


def _resolve(schema, node):
    while "$ref" in node or "allOf" in node:
        if "allOf" in node:
            node = node["allOf"][0]
        else:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _ok_body(schema, path):
    content = schema["paths"][path]["get"]["responses"]["200"]["content"]
    return _resolve(schema, content["application/json"]["schema"])


def test_schema_endpoint_serves_a_valid_schema_with_the_catalog(api_client):
    response = api_client.get("/api/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    for path, operation_id in CATALOG_PATHS.items():
        operation = schema["paths"][path]["get"]
        assert operation["operationId"] == operation_id
        assert operation["responses"]["400"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }


def test_schema_documents_paging_and_parameters(api_client):
    schema = yaml.safe_load(api_client.get("/api/schema/").content)

    for path in ("/api/v1/albums/{id}/tracks", "/api/v1/artists/{id}/albums"):
        body = _ok_body(schema, path)
        assert set(body["properties"]) == PAGING
        parameters = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"id", "limit", "offset", "market"} <= parameters
    album = _ok_body(schema, "/api/v1/albums/{id}")
    assert set(_resolve(schema, album["properties"]["tracks"])["properties"]) == PAGING
    search = _ok_body(schema, "/api/v1/search")
    # The reference's four pagings, and this API's note of a corrected typo (optional).
    assert set(search["properties"]) == {
        "tracks",
        "albums",
        "artists",
        "playlists",
        "corrected_query",
    }
    assert "corrected_query" not in search.get("required", [])
    top = schema["paths"]["/api/v1/artists/{id}/top-tracks"]["get"]["parameters"]
    assert next(p for p in top if p["name"] == "market").get("required", False) is False


def test_spectacular_validates_without_warnings(tmp_path):
    reset_generator_stats()

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )

    assert "/api/v1/search" in yaml.safe_load((tmp_path / "schema.yml").read_text())["paths"]
