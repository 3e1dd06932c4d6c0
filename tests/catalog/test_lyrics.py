"""The LRC parser (pure) and lyrics read at import from tags and sidecar .lrc files."""

import datetime

import mutagen
import pytest
from django.db.models.fields.files import FieldFile
from mutagen.flac import FLAC
from mutagen.id3 import ID3, SYLT, USLT, Encoding
from mutagen.mp4 import MP4

from catalog.lyrics import (
    MAX_LYRICS_CHARS,
    LyricsInvalid,
    LyricsLine,
    parse_lyrics,
    synced_from_pairs,
    to_lrc,
)
from catalog.models import Track, TrackLyrics
from catalog.services import track_import_path

LRC = """[ti:Demo Song]
[ar:Demo Artist]
[by:someone]
[00:01.00]First line
[00:02.50][00:06.00]Chorus line
[00:04.25]Second line
"""


def starts(lyrics) -> list[tuple[int, str]]:
    return [(line.start_ms, line.text) for line in lyrics.lines]


# The parser


def test_lrc_lines_with_several_times_are_repeated_and_sorted():
    lyrics = parse_lyrics(LRC)
    assert lyrics.synced
    assert starts(lyrics) == [
        (1000, "First line"),
        (2500, "Chorus line"),
        (4250, "Second line"),
        (6000, "Chorus line"),
    ]
    assert lyrics.plain == "First line\nChorus line\nSecond line\nChorus line"


@pytest.mark.parametrize(
    ("tag", "ms"),
    [
        ("[01:02]", 62_000),
        ("[01:02.5]", 62_500),
        ("[01:02.05]", 62_050),
        ("[01:02.005]", 62_005),
        ("[1:02:50]", 62_500),
        ("[100:00.00]", 6_000_000),
    ],
)
def test_time_tag_forms(tag, ms):
    assert starts(parse_lyrics(f"{tag}x")) == [(ms, "x")]


def test_offset_is_applied_and_never_goes_below_zero():
    lyrics = parse_lyrics("[offset:+500]\n[00:00.20]a\n[00:01.00]b")
    assert starts(lyrics) == [(0, "a"), (500, "b")]
    assert starts(parse_lyrics("[offset:-250]\n[00:01.00]b")) == [(1250, "b")]


def test_language_tag_word_times_and_blank_timed_lines():
    lyrics = parse_lyrics("[la:sv]\n[00:01.00]<00:01.00>Hej <00:01.50>du\n[00:03.00]\n")
    assert lyrics.language == "sv"
    assert starts(lyrics) == [(1000, "Hej du"), (3000, "")]


def test_plain_text_is_kept_line_by_line():
    lyrics = parse_lyrics("Verse one\n\n[Chorus]\nLa la\n")
    assert not lyrics.synced
    assert [line.text for line in lyrics.lines] == ["Verse one", "", "[Chorus]", "La la"]
    assert all(line.start_ms is None for line in lyrics.lines)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[00:01.00]ok\n[00:75.00]bad", "Line 2: invalid timestamp"),
        ("[00:01.00]ok\nno time here", "Line 2 has no timestamp"),
        ("[offset:soon]\n[00:01.00]ok", "Line 1: invalid offset"),
        ("   \n", "empty"),
        ("[00:01.00]a\x00b", "control characters"),
        ("x" * (MAX_LYRICS_CHARS + 1), "too long"),
    ],
)
def test_strict_parse_names_the_problem(text, message):
    with pytest.raises(LyricsInvalid, match=message):
        parse_lyrics(text)


def test_lenient_parse_skips_bad_lines():
    lyrics = parse_lyrics("[00:01.00]ok\n[00:75.00]bad\nstray", strict=False)
    assert starts(lyrics) == [(1000, "ok")]


def test_bad_language_is_refused():
    with pytest.raises(LyricsInvalid, match="language"):
        parse_lyrics("words", language="not a language")


def test_lrc_round_trip():
    lyrics = parse_lyrics("[la:en]\n" + LRC)
    assert parse_lyrics(to_lrc(lyrics)) == lyrics


def test_sylt_pairs():
    lyrics = synced_from_pairs([("b", 2000), ("a", 1000)], language="eng")
    assert lyrics.lines == (LyricsLine(1000, "a"), LyricsLine(2000, "b"))


# Import


pytestmark_db = pytest.mark.django_db


def imported(path) -> Track:
    report = track_import_path(path=path)
    assert len(report.created) == 1, report
    return report.created[0].track


@pytestmark_db
def test_import_reads_id3_uslt_with_lrc_as_synced(make_audio, media_root):
    path = make_audio("uslt", "mp3")
    tags = ID3(path)
    tags.add(USLT(encoding=Encoding.UTF8, lang="eng", desc="", text=LRC))
    tags.save(path)

    row = TrackLyrics.objects.get(track=imported(path))
    assert row.synced and row.source == TrackLyrics.Source.TAG and row.language == "eng"
    assert row.lines[0] == {"start_ms": 1000, "text": "First line"}


@pytestmark_db
def test_import_prefers_id3_sylt_over_plain_uslt(make_audio, media_root):
    path = make_audio("sylt", "mp3")
    tags = ID3(path)
    tags.add(USLT(encoding=Encoding.UTF8, lang="eng", desc="", text="Plain words"))
    tags.add(
        SYLT(encoding=Encoding.UTF8, lang="xxx", format=2, type=1, text=[("Hi", 500), ("Yo", 900)])
    )
    tags.save(path)

    row = TrackLyrics.objects.get(track=imported(path))
    assert row.synced and row.language == ""
    assert row.lines == [{"start_ms": 500, "text": "Hi"}, {"start_ms": 900, "text": "Yo"}]


@pytestmark_db
def test_import_reads_flac_unsynced_lyrics(make_audio, media_root):
    path = make_audio("vorbis", "flac")
    audio = FLAC(path)
    audio["UNSYNCEDLYRICS"] = "Line one\nLine two"
    audio.save()

    row = TrackLyrics.objects.get(track=imported(path))
    assert not row.synced and row.plain == "Line one\nLine two"
    assert row.lines == [{"text": "Line one"}, {"text": "Line two"}]


@pytestmark_db
def test_import_reads_mp4_lyr(make_audio, media_root):
    path = make_audio("mp4", "m4a")
    audio = MP4(path)
    audio["\xa9lyr"] = ["[00:00.50]From MP4"]
    audio.save()

    row = TrackLyrics.objects.get(track=imported(path))
    assert row.synced and row.lines == [{"start_ms": 500, "text": "From MP4"}]


@pytestmark_db
def test_sidecar_lrc_wins_over_tags_and_is_not_reported_as_ignored(make_audio, media_root):
    path = make_audio("song", "ogg")
    audio = mutagen.File(path)
    audio["LYRICS"] = ["Tag words"]
    audio.save()
    path.with_suffix(".lrc").write_text("\ufeff[00:02.00]Sidecar words\n", encoding="utf-8")
    (path.parent / "notes.txt").write_text("not audio")

    report = track_import_path(path=path.parent)
    row = TrackLyrics.objects.get(track=report.created[0].track)
    assert row.source == TrackLyrics.Source.SIDECAR
    assert row.lines == [{"start_ms": 2000, "text": "Sidecar words"}]
    assert [p.name for p in report.ignored] == ["notes.txt"]


@pytestmark_db
def test_bad_lyrics_never_fail_an_import(make_audio, media_root):
    path = make_audio("bad", "mp3")
    path.with_suffix(".lrc").write_bytes(b"\xff\xfe[99:99.99]\x00\x00 garbage")
    tags = ID3(path)
    tags.add(USLT(encoding=Encoding.UTF8, lang="zz!", desc="", text="   "))
    tags.save(path)

    track = imported(path)
    assert not TrackLyrics.objects.filter(track=track).exists()


@pytestmark_db
def test_unreadable_sidecar_falls_back_to_tags(make_audio, media_root):
    path = make_audio("fallback", "flac")
    audio = FLAC(path)
    audio["LYRICS"] = "[00:01.00]Tag line"
    audio.save()
    path.with_suffix(".lrc").write_text("[ar:only metadata]\n")

    row = TrackLyrics.objects.get(track=imported(path))
    assert row.source == TrackLyrics.Source.TAG and row.lines[0]["text"] == "Tag line"


# Admin: the inline on Track saves through the services


def _change_form_data(response) -> dict:
    """The POST body the admin change page would send as rendered (main form and inlines)."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or isinstance(value, FieldFile):
            continue
        if isinstance(value, datetime.datetime):  # the admin's split date and time widget
            data[f"{name}_0"], data[f"{name}_1"] = value.date(), value.time()
        elif isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = getattr(value, "pk", value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for sub in formset.forms:
            for name, field in sub.fields.items():
                value = sub.initial.get(name, field.initial)
                if value not in (None, ""):
                    data[sub.add_prefix(name)] = getattr(value, "pk", value)
    return data


@pytestmark_db
def test_admin_inline_sets_edits_and_refuses_bad_lyrics(client, staff_user):
    from django.urls import reverse

    from tests.catalog.factories import TrackFactory

    track = TrackFactory()
    client.force_login(staff_user)
    url = reverse("admin:catalog_track_change", args=[track.pk])
    page = client.get(url)
    data = _change_form_data(page)
    data |= {
        "lyrics-TOTAL_FORMS": "1",
        "lyrics-0-text": "[00:01.00]Admin line",
        "lyrics-0-language": "en",
        "lyrics-0-track": str(track.pk),
    }
    response = client.post(url, data)
    assert response.status_code == 302, [
        (f.prefix, f.errors) for fs in response.context["inline_admin_formsets"] for f in fs.formset
    ] + [response.context["adminform"].form.errors]
    row = TrackLyrics.objects.get(track=track)
    assert row.lines == [{"start_ms": 1000, "text": "Admin line"}] and row.updated_by == staff_user

    page = client.get(url)
    assert "[00:01.00]Admin line" in page.content.decode()
    data = _change_form_data(page) | {"lyrics-0-text": "[00:01.00]ok\n[00:99.00]bad"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Line 2: invalid timestamp" in response.content.decode()
    assert TrackLyrics.objects.get(track=track).plain == "Admin line"

    data = _change_form_data(client.get(url)) | {"lyrics-0-DELETE": "on"}
    assert client.post(url, data).status_code == 302
    assert not TrackLyrics.objects.filter(track=track).exists()
