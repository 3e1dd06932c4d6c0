import datetime
import json
import math
import uuid
from urllib.parse import urlsplit

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.playback.serializers import (
    StreamUrlQuerySerializer,
    StreamUrlSerializer,
    stream_url_body,
    stream_url_query_parse,
)
from catalog.models import AvailabilityProfileWindow
from licensing import services as licensing
from playback import services
from playback.models import PlayEvent, Rendition, StreamGrantDay, TrackAudio, TranscodeJob
from playback.signing import StreamGrant, stream_token_make
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ArtistFactory, ReleaseFactory, TrackFactory
from tests.licensing.factories import AgreementFactory, LabelMembershipFactory, PartyFactory
from tests.playback.conftest import stored_files, uploaded
from tests.playback.factories import PlayEventFactory, RenditionFactory

pytestmark = pytest.mark.django_db

STREAM_URL = "/api/v1/me/player/stream-url"
EVENTS_URL = "/api/v1/me/player/events"
HISTORY_URL = "/api/v1/me/player/recently-played"


def source_url(track_id):
    return f"/api/v1/tracks/{track_id}/source"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_error(response, status, text=""):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["status"] == status
    assert text in error["message"]
    return error["message"]


class TestUpload:
    def test_artist_team_member_uploads(
        self, uploader, track, flac_path, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(uploader).post(
                source_url(track.pk), {"file": uploaded(flac_path)}, format="multipart"
            )
        assert response.status_code == 202, response.content
        data = response.json()
        assert data["track_id"] == str(track.pk)
        assert data["source"]["codec"] == "flac"
        assert data["source"]["channels"] == 2
        assert data["source"]["duration_ms"] == 5000
        assert data["job"]["state"] == "pending"
        # Celery is eager in tests: the on-commit task transcoded everything.
        assert TranscodeJob.objects.get().state == TranscodeJob.State.READY
        assert Rendition.objects.filter(state=Rendition.State.READY).count() == 5

    @pytest.mark.parametrize("role", ["label staff", "staff"])
    def test_label_staff_and_staff_may_upload(self, role, track, flac_path):
        if role == "staff":
            user = UserFactory(is_staff=True, is_superuser=True)
        else:
            user = LabelMembershipFactory(party=PartyFactory(labels=[track.release.label])).user
        response = client_for(user).post(
            source_url(track.pk), {"file": uploaded(flac_path)}, format="multipart"
        )
        assert response.status_code == 202

    def test_member_of_another_artist_team_is_forbidden(self, track, flac_path):
        from artists.models import ArtistTeamMembership, TeamRole

        other = UserFactory(role="artist team members")
        ArtistTeamMembership.objects.create(user=other, artist=ArtistFactory(), role=TeamRole.ADMIN)
        response = client_for(other).post(
            source_url(track.pk), {"file": uploaded(flac_path)}, format="multipart"
        )
        assert_error(response, 403)
        assert not TranscodeJob.objects.exists()

    def test_listener_is_forbidden(self, listener, track, flac_path):
        response = client_for(listener).post(
            source_url(track.pk), {"file": uploaded(flac_path)}, format="multipart"
        )
        assert_error(response, 403)

    def test_anonymous_is_refused(self, api_client, track, flac_path):
        response = api_client.post(
            source_url(track.pk), {"file": uploaded(flac_path)}, format="multipart"
        )
        assert response.status_code in (401, 403)
        assert "error" in response.json()

    def test_not_audio_is_400_and_nothing_stored(self, uploader, track, tmp_path):
        path = tmp_path / "song.mp3"
        path.write_bytes(b"ID3" + b"\x00" * 5000)
        response = client_for(uploader).post(
            source_url(track.pk), {"file": uploaded(path)}, format="multipart"
        )
        assert_error(response, 400, "Invalid audio file")
        track.refresh_from_db()
        assert not track.source_file
        assert not TrackAudio.objects.exists() and not TranscodeJob.objects.exists()

    def test_missing_file_field(self, uploader, track):
        response = client_for(uploader).post(source_url(track.pk), {}, format="multipart")
        assert_error(response, 400, "file")

    def test_too_big_is_413(self, uploader, track, flac_path, settings):
        settings.UPLOAD_MAX_BYTES = 10_000
        before = stored_files("originals")
        response = client_for(uploader).post(
            source_url(track.pk), {"file": uploaded(flac_path)}, format="multipart"
        )
        assert_error(response, 413, "limit")
        assert not TranscodeJob.objects.exists()
        assert stored_files("originals") == before

    def test_unknown_track(self, uploader, flac_path):
        response = client_for(uploader).post(
            source_url(999999), {"file": uploaded(flac_path)}, format="multipart"
        )
        assert_error(response, 404)


@pytest.fixture
def playable(track):
    RenditionFactory(track=track, profile="opus_96")
    RenditionFactory(track=track, profile="opus_160")
    RenditionFactory(track=track, profile="mp3_320")
    return track


class TestStreamUrl:
    def test_issues_signed_url(self, listener_client, playable):
        response = listener_client.get(
            STREAM_URL, {"track_id": playable.pk, "format": "opus", "quality": "high"}
        )
        assert response.status_code == 200, response.content
        data = response.json()
        assert data["rendition"] == {
            "codec": "opus",
            "bitrate": 160,
            "mime_type": "audio/ogg; codecs=opus",
        }
        expires = datetime.datetime.fromisoformat(data["expires_at"])
        assert 240 < (expires - timezone.now()).total_seconds() <= 300
        assert urlsplit(data["url"]).path.startswith("/api/v1/stream/")

    def test_a_track_id_past_any_key_is_a_400(self, listener_client, playable):
        """Past the largest id a key can hold (the fuzzer's 3.9e30 overflowed SQLite: 500)."""
        for track_id in (2**63, 3913437966053959406969759465472):
            response = listener_client.get(STREAM_URL, {"track_id": track_id})
            assert response.status_code == 400, response.content
            assert "track_id" in response.json()["error"]["message"]

    def test_carries_loudness_for_normalisation(self, listener_client, playable):
        fields = (
            "integrated_lufs", "true_peak_dbtp", "album_integrated_lufs", "album_true_peak_dbtp",
            "replaygain_track_gain", "replaygain_track_peak", "replaygain_album_gain",
            "replaygain_album_peak",
        )  # fmt: skip
        response = listener_client.get(STREAM_URL, {"track_id": playable.pk})
        assert response.json()["loudness"] == dict.fromkeys(fields)  # not analysed yet
        sibling = TrackFactory(release=playable.release, markets=["SE"])
        TrackAudio.objects.create(
            track=playable, duration_ms=180_000, loudness_lufs=-8.0, true_peak_dbtp=-0.5
        )
        TrackAudio.objects.create(
            track=sibling, duration_ms=60_000, loudness_lufs=-20.0, true_peak_dbtp=-6.0
        )
        loudness = listener_client.get(STREAM_URL, {"track_id": playable.pk}).json()["loudness"]
        assert loudness["integrated_lufs"] == -8.0
        assert loudness["replaygain_track_gain"] == -10.0  # to the -18 LUFS reference
        assert loudness["replaygain_track_peak"] == pytest.approx(10 ** (-0.5 / 20), abs=1e-6)
        # The album as one piece: 3 min at -8 and 1 min at -20, energy-weighted.
        expected = 10 * math.log10((3 * 10 ** (-8 / 10) + 10 ** (-20 / 10)) / 4)
        assert loudness["album_integrated_lufs"] == pytest.approx(expected, abs=0.01)
        assert loudness["album_true_peak_dbtp"] == -0.5

    def test_accept_header_when_no_format(self, listener_client, playable):
        response = listener_client.get(
            STREAM_URL, {"track_id": playable.pk}, headers={"Accept": "audio/mpeg"}
        )
        assert response.json()["rendition"]["codec"] == "mp3"

    def test_url_streams_without_session(self, listener_client, playable, api_client):
        url = listener_client.get(STREAM_URL, {"track_id": playable.pk}).json()["url"]
        response = api_client.get(urlsplit(url).path, headers={"Range": "bytes=0-3"})
        assert response.status_code == 206

    def test_unauthenticated_is_error_shape(self, api_client, playable):
        response = api_client.get(STREAM_URL, {"track_id": playable.pk})
        assert response.status_code in (401, 403)
        assert response.json()["error"]["status"] == response.status_code

    def test_other_market_is_451(self, playable):
        client = client_for(UserFactory(country="JP"))
        assert_error(client.get(STREAM_URL, {"track_id": playable.pk}), 451, "JP")

    def test_bad_parameters(self, listener_client, playable):
        message = assert_error(
            listener_client.get(STREAM_URL, {"track_id": playable.pk, "format": "flac"}), 400
        )
        assert "format" in message
        assert_error(listener_client.get(STREAM_URL, {"track_id": "x"}), 400, "track_id")
        assert_error(listener_client.get(STREAM_URL, {"track_id": 999999}), 404)

    def test_no_ready_rendition_is_404(self, listener_client, track):
        response = listener_client.get(STREAM_URL, {"track_id": track.pk, "format": "aac"})
        assert_error(response, 404, "aac")

    def test_query_count(self, listener_client, playable, django_assert_max_num_queries):
        # One read (availability, the day's grant, READY renditions, loudness), then the
        # grant's day recorded (an insert) the first time of the day only.
        with django_assert_max_num_queries(2):
            assert listener_client.get(STREAM_URL, {"track_id": playable.pk}).status_code == 200
        with django_assert_max_num_queries(1):
            assert listener_client.get(STREAM_URL, {"track_id": playable.pk}).status_code == 200

    def test_grant_is_recorded_before_the_answer_and_only_when_issued(
        self, listener, listener_client, playable
    ):
        grants = StreamGrantDay.objects.filter(user=listener)
        for refused in [
            {"track_id": playable.pk, "format": "aac"},  # no ready rendition: 404
            {"track_id": 999999},
        ]:
            assert listener_client.get(STREAM_URL, refused).status_code == 404
        closed = TrackFactory(markets=["US"])
        RenditionFactory(track=closed)
        assert listener_client.get(STREAM_URL, {"track_id": closed.pk}).status_code == 451
        assert not grants.exists()
        for _ in range(2):
            assert listener_client.get(STREAM_URL, {"track_id": playable.pk}).status_code == 200
            assert list(grants.values_list("track_id", "day")) == [
                (playable.pk, timezone.now().astimezone(datetime.UTC).date())
            ]

    def test_licence_change_and_takedown_show_at_once(self, listener_client):
        party = PartyFactory()
        release = ReleaseFactory(label=party.labels.get())
        track = TrackFactory(release=release)
        RenditionFactory(track=track)

        def status():
            return listener_client.get(STREAM_URL, {"track_id": track.pk}).status_code

        assert status() == 451
        agreement = AgreementFactory(party=party, territories="SE")
        assert status() == 200
        takedown = licensing.takedown_create(release=release, reason="legal")
        assert status() == 451
        licensing.takedown_lift(takedown=takedown)
        assert status() == 200
        licensing.agreement_status_set(agreement=agreement, status=agreement.Status.SUSPENDED)
        assert status() == 451

    @pytest.mark.parametrize(
        ("query", "plain"),
        [
            ("track_id=7", True),
            ("track_id=7&format=opus&quality=high", True),
            ("track_id=7&format=mp3&quality=low&other=1", True),
            ("track_id=0012&quality=normal", True),
            ("track_id=7&track_id=8&format=aac&format=opus", True),  # the last ones count
            ("track_id=0", False),
            ("track_id=-3", False),
            ("track_id=7.0", False),
            ("track_id=+7", False),
            ("track_id= 7", False),
            ("track_id=%EF%BC%97", False),  # a full-width digit
            ("track_id=" + "9" * 19, False),
            ("track_id=", False),
            ("track_id=x", False),
            ("format=opus", False),
            ("track_id=7&format=", False),
            ("track_id=7&format=flac", False),
            ("track_id=7&format=OPUS", False),
            ("track_id=7&quality=", False),
            ("track_id=7&quality=best", False),
        ],
    )
    def test_query_parse_agrees_with_the_serializer(self, query, plain):
        data = QueryDict(query)
        parsed = stream_url_query_parse(data)
        # The rest goes to the serializer, which accepts or refuses it with its own messages.
        assert (parsed is not None) == plain
        if plain:
            serializer = StreamUrlQuerySerializer(data=data)
            assert serializer.is_valid() and serializer.validated_data == parsed

    def test_body_agrees_with_the_serializer(self, listener, playable):
        TrackAudio.objects.create(
            track=playable, duration_ms=180_000, loudness_lufs=-8.25, true_peak_dbtp=-0.5
        )
        other = TrackFactory(markets=["SE"])
        RenditionFactory(track=other, profile="aac_256")
        for track_id, codecs in [(playable.pk, ["opus"]), (other.pk, ["aac"])]:
            issued = services.stream_url_issue(
                user=listener, track_id=track_id, codecs=codecs, quality="high"
            )
            fields = {
                "url": "https://streamify.test/api/v1/stream/abc",
                "expires_at": issued.expires_at,
                "rendition": issued.rendition,
                "loudness": issued.loudness,
            }
            expected = StreamUrlSerializer(fields | {"loudness": issued.loudness.as_dict()}).data
            body = stream_url_body(**fields)
            assert json.dumps(body) == json.dumps(expected)


class TestStream:
    def token(self, user, rendition, **delta):
        expires = timezone.now() + datetime.timedelta(**(delta or {"minutes": 5}))
        return stream_token_make(StreamGrant(user.pk, rendition.track_id, rendition.pk, expires))

    def test_tampered_token_is_403(self, api_client, listener, playable):
        rendition = playable.renditions.first()
        token = self.token(listener, rendition)
        other = UserFactory(country="SE")
        forged = self.token(other, rendition).split(".")[0] + "." + token.split(".")[1]
        for bad in [forged, token[:-3] + "abc", "garbage", token + "x"]:
            response = api_client.get(reverse("playback:stream", args=[bad]))
            assert_error(response, 403)

    def test_expired_token_is_410(self, api_client, listener, playable):
        token = self.token(listener, playable.renditions.first(), seconds=-1)
        assert_error(api_client.get(reverse("playback:stream", args=[token])), 410, "expired")

    def test_market_closed_since_issue_is_451(self, api_client, listener, playable):
        token = self.token(listener, playable.renditions.first())
        AvailabilityProfileWindow.objects.filter(profile__tracks__track=playable).update(
            ends_at=timezone.now() - datetime.timedelta(seconds=1)
        )
        assert_error(api_client.get(reverse("playback:stream", args=[token])), 451)

    def test_listener_moving_market_is_451(self, api_client, listener, playable):
        token = self.token(listener, playable.renditions.first())
        listener.country = "JP"
        listener.save()
        assert_error(api_client.get(reverse("playback:stream", args=[token])), 451, "JP")

    def test_inactive_listener_is_403(self, api_client, listener, playable):
        token = self.token(listener, playable.renditions.first())
        listener.is_active = False
        listener.save()
        assert_error(api_client.get(reverse("playback:stream", args=[token])), 403)

    def test_x_accel_redirect(self, api_client, listener, playable, settings):
        settings.STREAM_X_ACCEL_REDIRECT = True
        rendition = playable.renditions.first()
        response = api_client.get(
            reverse("playback:stream", args=[self.token(listener, rendition)])
        )
        assert response.status_code == 200
        assert response["X-Accel-Redirect"] == f"/protected-media/{rendition.file.name}"
        assert response["Content-Type"] == rendition.mime_type
        assert response.content == b""

    def test_query_count(self, api_client, listener, playable, django_assert_max_num_queries):
        token = self.token(listener, playable.renditions.first())
        with django_assert_max_num_queries(1):
            response = api_client.get(reverse("playback:stream", args=[token]))
            assert response.status_code == 200


def event(track, **overrides):
    ended = timezone.now() - datetime.timedelta(minutes=2)
    data = {
        "event_id": str(uuid.uuid4()),
        "track_id": track.pk,
        "ms_played": 31_000,
        "context_type": "playlist",
        "context_id": "42",
        "started_at": (ended - datetime.timedelta(seconds=31)).isoformat(),
        "ended_at": ended.isoformat(),
    }
    return data | overrides


class TestEvents:
    def test_batch_and_retry(self, listener_client, track):
        batch = {"events": [event(track) for _ in range(5)]}
        response = listener_client.post(EVENTS_URL, batch, format="json")
        assert response.status_code == 200
        assert response.json() == {"received": 5, "accepted": 5, "duplicates": 0}
        response = listener_client.post(EVENTS_URL, batch, format="json")
        assert response.json() == {"received": 5, "accepted": 0, "duplicates": 5}
        assert PlayEvent.objects.count() == 5

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"ms_played": -1}, "events[2].ms_played"),
            ({"context_type": "radio"}, "events[2].context_type"),
            ({"event_id": "not-a-uuid"}, "events[2].event_id"),
            ({"started_at": "yesterday"}, "events[2].started_at"),
            ({"ended_at": "2020-01-01T00:00:00Z"}, "events[2].ended_at"),
            ({"track_id": 987654}, "events[2].track_id"),
        ],
    )
    def test_bad_event_names_field_and_index_and_stores_nothing(
        self, listener_client, track, overrides, field
    ):
        batch = [event(track), event(track), event(track, **overrides)]
        response = listener_client.post(EVENTS_URL, {"events": batch}, format="json")
        assert_error(response, 400, field)
        assert not PlayEvent.objects.exists()

    def test_batch_limit(self, listener_client, track):
        batch = [event(track) for _ in range(501)]
        response = listener_client.post(EVENTS_URL, {"events": batch}, format="json")
        assert_error(response, 400, "events")
        assert not PlayEvent.objects.exists()

    def test_empty_or_missing(self, listener_client):
        assert_error(listener_client.post(EVENTS_URL, {"events": []}, format="json"), 400)
        assert_error(listener_client.post(EVENTS_URL, {}, format="json"), 400, "events")

    def test_anonymous(self, api_client, track):
        response = api_client.post(EVENTS_URL, {"events": [event(track)]}, format="json")
        assert response.status_code in (401, 403)


class TestRecentlyPlayed:
    def test_only_own_history_in_spotify_shape(self, listener, listener_client):
        artist = ArtistFactory(name="Robyn")
        track = TrackFactory(artists=[artist])
        now = timezone.now()
        mine = PlayEventFactory(
            user=listener, track=track, ended_at=now, context_type="playlist", context_id="7"
        )
        PlayEventFactory(track=track, ended_at=now)  # someone else's
        response = listener_client.get(HISTORY_URL)
        assert response.status_code == 200
        data = response.json()
        assert len(data["items"]) == 1
        item = data["items"][0]
        assert item["track"]["id"] == str(track.pk)
        assert item["track"]["name"] == track.title
        assert item["track"]["artists"][0]["name"] == "Robyn"
        assert item["track"]["album"]["id"] == str(track.release_id)
        assert datetime.datetime.fromisoformat(item["played_at"]) == mine.ended_at
        assert item["context"] == {"type": "playlist", "id": "7", "uri": "streamify:playlist:7"}
        assert data["next"] is None
        assert data["cursors"]["before"] == str(int(mine.ended_at.timestamp() * 1000))

    def test_cursor_paging(self, listener, listener_client):
        base = timezone.now().replace(microsecond=0)
        events = [
            PlayEventFactory(user=listener, ended_at=base - datetime.timedelta(minutes=n))
            for n in range(7)
        ]
        first = listener_client.get(HISTORY_URL, {"limit": 3}).json()
        assert [i["played_at"] for i in first["items"]] == [
            e.ended_at.isoformat().replace("+00:00", "Z") for e in events[:3]
        ]
        second = listener_client.get(first["next"]).json()
        assert [datetime.datetime.fromisoformat(i["played_at"]) for i in second["items"]] == [
            e.ended_at for e in events[3:6]
        ]
        third = listener_client.get(second["next"]).json()
        assert len(third["items"]) == 1 and third["next"] is None
        after = listener_client.get(
            HISTORY_URL, {"after": first["cursors"]["before"], "limit": 10}
        ).json()
        assert len(after["items"]) == 2  # events[0], events[1]
        assert after["items"][0]["played_at"] == first["items"][0]["played_at"]

    def test_cursors_exclude_the_page_at_microsecond_times(self, listener, listener_client):
        base = timezone.now().replace(microsecond=123456)
        for n in range(4):
            PlayEventFactory(user=listener, ended_at=base - datetime.timedelta(seconds=n))
        page = listener_client.get(HISTORY_URL, {"limit": 2}).json()
        newer = listener_client.get(HISTORY_URL, {"after": page["cursors"]["after"]}).json()
        assert newer["items"] == []
        older = listener_client.get(HISTORY_URL, {"before": page["cursors"]["before"]}).json()
        assert len(older["items"]) == 2
        assert older["items"][0]["played_at"] != page["items"][-1]["played_at"]

    def test_bad_parameters(self, listener_client):
        assert_error(listener_client.get(HISTORY_URL, {"limit": 51}), 400, "limit")
        assert_error(listener_client.get(HISTORY_URL, {"before": 1, "after": 2}), 400)

    def test_query_count(self, listener, listener_client, django_assert_max_num_queries):
        for _ in range(20):
            PlayEventFactory(user=listener, track=TrackFactory(artists=[ArtistFactory()]))
        with django_assert_max_num_queries(7):
            response = listener_client.get(HISTORY_URL, {"limit": 20})
        assert len(response.json()["items"]) == 20

    def test_anonymous(self, api_client):
        response = api_client.get(HISTORY_URL)
        assert response.status_code in (401, 403)
        assert "error" in response.json()


def test_schema_lists_playback_endpoints(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [STREAM_URL, EVENTS_URL, HISTORY_URL, "/api/v1/tracks/{track_id}/source"]:
        assert path in paths
