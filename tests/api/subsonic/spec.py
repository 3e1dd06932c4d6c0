"""Validate /rest/ JSON answers against the OpenSubsonic OpenAPI description kept here."""

import hashlib
import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_DIR = Path(__file__).parent / "openapi"


def _retrieve(uri: str) -> Resource:
    path = Path(uri.removeprefix("file://"))
    return Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT202012)


@cache
def _registry() -> Registry:
    return Registry(retrieve=_retrieve)


@cache
def response_validator(method: str) -> Draft202012Validator:
    """The validator of the 200 JSON answer of `method` (e.g. "getAlbumList2")."""
    endpoint = json.loads((SPEC_DIR / "endpoints" / f"{method}.json").read_text())
    response = endpoint["get"]["responses"]["200"]
    folder = SPEC_DIR / "endpoints"
    if "$ref" in response:  # a shared response object, e.g. ../responses/EmptySubsonicResponse
        path = (folder / response["$ref"]).resolve()
        response, folder = json.loads(path.read_text()), path.parent
    schema_ref = response["content"]["application/json"]["schema"]["$ref"]
    schema = {"$ref": "file://" + str((folder / schema_ref).resolve())}
    return Draft202012Validator(schema, registry=_registry())


def validate(method: str, body: dict) -> None:
    """Raise when `body` (the parsed JSON answer) does not match the spec's schema."""
    errors = sorted(response_validator(method).iter_errors(body), key=lambda e: list(e.path))
    if errors:
        raise AssertionError(
            f"{method}: " + "; ".join(f"{list(e.path)}: {e.message[:300]}" for e in errors[:5])
        )


def endpoint_names() -> list[str]:
    """Every method the spec describes (one file per endpoint)."""
    return sorted(p.stem for p in (SPEC_DIR / "endpoints").glob("*.json"))


def auth_params(user) -> dict[str, str]:
    """Token-auth query parameters for `user`, through a new app password (JSON answers)."""
    from accounts import services as account_services

    _, secret = account_services.app_password_create(user=user, name="phone")
    token = hashlib.md5((secret + "salt").encode(), usedforsecurity=False).hexdigest()
    return {"u": user.email, "t": token, "s": "salt", "v": "1.16.1", "c": "t", "f": "json"}


def ok(client, params, method, **extra):
    """GET /rest/`method`, check the answer against the spec and that it is "ok"; return it."""
    body = client.get(f"/rest/{method}", {**params, **extra}).json()
    validate(method, body)
    answer = body["subsonic-response"]
    assert answer["status"] == "ok", answer
    return answer
