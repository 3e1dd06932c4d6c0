"""Numbers past any column's range (a 30-digit id, offset or position) are the protocol's
error or an empty answer, never a 500: SQLite raises OverflowError past 2**63 and
PostgreSQL "out of range" past a column's type."""

import pytest

from tests.api.subsonic import spec
from tests.api.subsonic.test_protocol import _every_json_call, token_params

HUGE = str(10**30)
NUMERIC_PARAMS = {
    "size",
    "offset",
    "count",
    "artistCount",
    "artistOffset",
    "albumCount",
    "albumOffset",
    "songCount",
    "songOffset",
    "fromYear",
    "toYear",
    "rating",
    "positionMs",
    "position",
    "currentIndex",
    "time",
    "songIndexToRemove",
    "maxBitRate",
    "timeOffset",
}
ID_PARAMS = {
    "id",
    "albumId",
    "artistId",
    "playlistId",
    "songId",
    "songIdToAdd",
    "mediaId",
    "current",
}


def _variants(world):
    seen = set()
    for method, params in _every_json_call(world):
        extra = dict.fromkeys(
            NUMERIC_PARAMS & {"size", "offset", "count", "time", "songIndexToRemove"}
        )
        for name in set(params) | set(extra):
            if name in NUMERIC_PARAMS:
                values = [HUGE, "-" + HUGE]
            elif name in ID_PARAMS:
                raw = params[name]
                raw = raw[0] if isinstance(raw, list) else raw
                kind = str(raw).partition("-")[0]
                values = [f"{kind}-{HUGE}"]
            else:
                continue
            for value in values:
                key = (method, repr(sorted(params.items())), name, value)
                if key not in seen:
                    seen.add(key)
                    yield method, {**params, name: value}


@pytest.mark.django_db(transaction=True)
def test_huge_numbers_never_5xx(client, world):
    failures, variants = [], list(_variants(world))
    assert len(variants) > 60
    for method, params in variants:
        response = client.get(f"/rest/{method}", token_params(world, **params))
        if response.status_code >= 500:
            failures.append((method, params, response.status_code))
            continue
        body = response.json()
        spec.validate(method, body)
        # A server error is answered as the protocol's generic error (code 0).
        if body["subsonic-response"].get("error", {}).get("code") == 0:
            failures.append((method, params, body["subsonic-response"]["error"]))
    for path in ("stream", "download", "getCoverArt"):
        for name, value in (
            ("id", f"tr-{HUGE}"),
            ("maxBitRate", HUGE),
            ("timeOffset", HUGE),
            ("size", HUGE),
        ):
            params = {"id": f"tr-{world.tracks[0].pk}", name: value}
            response = client.get(f"/rest/{path}", token_params(world, **params))
            failed = response.status_code >= 500
            if response.get("Content-Type", "").startswith("application/json"):
                failed |= response.json()["subsonic-response"].get("error", {}).get("code") == 0
            if failed:
                failures.append((path, params, response.status_code))
    assert not failures, "\n".join(map(str, failures))
