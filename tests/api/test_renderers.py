"""The API's JSON renderer embeds pre-encoded JSON as is, and nothing else."""

import json

from rest_framework.renderers import JSONRenderer as DRFRenderer

from api.renderers import JSONRenderer, RawJSON, dumps


def test_raw_json_is_embedded_as_is():
    track = RawJSON(dumps({"name": "Ünïcode \u2028", "markets": ["SE", "NO"]}))
    body = JSONRenderer().render({"items": [track, track], "total": 2})
    assert json.loads(body) == {
        "items": [{"name": "Ünïcode \u2028", "markets": ["SE", "NO"]}] * 2,
        "total": 2,
    }
    assert b"\\u2028" in body


def test_a_string_like_a_marker_stays_a_string():
    lookalikes = ["\x0000000000:0\x00", "\x00deadbeef:0\x00", '"\x00abcdef01:1\x00"']
    body = JSONRenderer().render({"names": lookalikes, "raw": RawJSON("[1]")})
    assert json.loads(body) == {"names": lookalikes, "raw": [1]}


def test_output_matches_drf_renderer():
    data = {"a": [1, 2.5, None, True], "b": {"c": "é"}}
    assert JSONRenderer().render(data) == DRFRenderer().render(data)
