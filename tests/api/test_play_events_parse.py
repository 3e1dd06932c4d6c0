"""The play-event batch parser and the serializer that documents it give the same verdicts."""

import datetime
import uuid

import pytest

from api.playback.serializers import (
    BadEvent,
    PlayEventBatchSerializer,
    play_event_batch_parse,
)
from api.playback.views import _errors_text

GOOD = {
    "event_id": "5f0c4a52-8d1e-4a53-9a51-0c8f5b0e1d2a",
    "track_id": 7,
    "ms_played": 31_000,
    "context_type": "playlist",
    "context_id": "42",
    "started_at": "2026-11-30T11:59:29Z",
    "ended_at": "2026-11-30T12:00:00+00:00",
}


def _serializer(body):
    serializer = PlayEventBatchSerializer(data=body)
    if serializer.is_valid():
        return serializer.validated_data["events"], ""
    return None, "; ".join(_errors_text(serializer.errors))


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"context_id": None},
        {"context_id": ""},
        {"track_id": "12"},
        {"ms_played": 0},
        {"ms_played": 30_000.0},
        {"started_at": "2026-11-30T11:59:29.5+01:00", "ended_at": "2026-11-30T11:59:59+01:00"},
        {"event_id": "5f0c4a528d1e4a539a510c8f5b0e1d2a"},
    ],
)
def test_good_events_read_the_same(changes):
    body = {"events": [GOOD, GOOD | changes]}
    expected, problem = _serializer(body)
    assert not problem
    parsed = play_event_batch_parse(body)
    for ours, theirs in zip(parsed, expected, strict=True):
        assert ours == theirs | {"context_id": theirs.get("context_id") or ""}
        assert isinstance(ours["event_id"], uuid.UUID)
        assert isinstance(ours["started_at"], datetime.datetime)
        assert ours["started_at"].utcoffset() is not None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ms_played": -1}, "events[1].ms_played"),
        ({"ms_played": 24 * 3600 * 1000 + 1}, "events[1].ms_played"),
        ({"ms_played": 1.5}, "events[1].ms_played"),
        ({"ms_played": "many"}, "events[1].ms_played"),
        ({"track_id": 0}, "events[1].track_id"),
        ({"track_id": 2**63}, "events[1].track_id"),  # past any key: SQLite overflowed
        ({"track_id": 6 * 10**22}, "events[1].track_id"),
        ({"track_id": True}, "events[1].track_id"),
        ({"track_id": None}, "events[1].track_id"),
        ({"context_type": "radio"}, "events[1].context_type"),
        ({"context_id": "x" * 65}, "events[1].context_id"),
        ({"event_id": "not-a-uuid"}, "events[1].event_id"),
        ({"event_id": None}, "events[1].event_id"),
        ({"started_at": "yesterday"}, "events[1].started_at"),
        ({"started_at": "2026-13-01T00:00:00Z"}, "events[1].started_at"),
        ({"started_at": 1700000000}, "events[1].started_at"),
        # Past Python's datetimes once in UTC: an OverflowError (a 500) before.
        ({"started_at": "0001-01-01T00:00:00+23:59"}, "events[1].started_at"),
        (
            {"started_at": "9999-12-31T23:59:59-23:59", "ended_at": "9999-12-31T23:59:59-23:59"},
            "events[1].started_at",
        ),
        ({"ended_at": "2020-01-01T00:00:00Z"}, "events[1].ended_at"),
    ],
)
def test_bad_events_are_refused_by_both_naming_the_field(changes, field):
    body = {"events": [GOOD, GOOD | changes]}
    _, problem = _serializer(body)
    assert field in problem
    with pytest.raises(BadEvent) as refused:
        play_event_batch_parse(body)
    assert str(refused.value).startswith(f"{field}: ")


def test_a_missing_field_is_named():
    event = {key: value for key, value in GOOD.items() if key != "ms_played"}
    _, problem = _serializer({"events": [event]})
    assert "events[0].ms_played" in problem
    with pytest.raises(BadEvent, match=r"^events\[0\]\.ms_played: This field is required"):
        play_event_batch_parse({"events": [event]})


@pytest.mark.parametrize(
    "body",
    [{}, {"events": None}, {"events": []}, {"events": "x"}, {"events": [GOOD] * 501}, []],
)
def test_bad_batches_are_refused_by_both(body):
    _, problem = _serializer(body)
    assert problem
    with pytest.raises(BadEvent):
        play_event_batch_parse(body)


def test_an_event_that_is_not_an_object_is_named():
    with pytest.raises(BadEvent, match=r"^events\[1\]: "):
        play_event_batch_parse({"events": [GOOD, "x"]})
