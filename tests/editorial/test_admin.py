"""The editors' admin from the outside: team permissions, workflow buttons, pages."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.forms import MultiWidget
from django.urls import reverse
from django.utils import timezone

from catalog.models import PlaylistItem
from editorial.models import (
    Campaign,
    EditorialPlaylist,
    EditorialPlaylistChange,
    Pitch,
    PlaylistDailyStats,
    Team,
)
from tests.accounts.factories import UserFactory
from tests.editorial.factories import (
    CampaignFactory,
    EditorialPlaylistFactory,
    PitchFactory,
    PublishedPlaylistFactory,
)

State = EditorialPlaylist.State


def url(name: str, *args) -> str:
    return reverse(f"admin:editorial_{name}", args=args)


def form_data(response) -> dict:
    """The POST data of a rendered admin change form, as a browser would send it unchanged."""
    data = {}

    def add(form):
        for bound in form:
            value = bound.value()
            if value in (None, "") or bound.field.disabled:
                continue
            if isinstance(bound.field.widget, MultiWidget):
                for index, part in enumerate(bound.field.widget.decompress(value)):
                    data[f"{bound.html_name}_{index}"] = str(part)
            elif isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, (list, tuple)):
                data[bound.html_name] = [str(v) for v in value]
            elif not hasattr(value, "url"):  # files are not re-sent
                data[bound.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def playlists(stockholm, london, tracks):
    return {
        "mine": EditorialPlaylistFactory(team=stockholm, name="Fikapaus", tracks=tracks),
        "theirs": EditorialPlaylistFactory(team=london, name="London Calling Up", markets=["GB"]),
    }


# Object-level permission per team


def test_changelist_shows_only_the_teams_playlists(client, editor, playlists):
    client.force_login(editor)
    response = client.get(url("editorialplaylist_changelist"))
    assert response.status_code == 200
    assert [p.name for p in response.context["cl"].result_list] == ["Fikapaus"]


def test_another_teams_playlist_is_refused_and_cannot_be_saved(client, editor, playlists):
    theirs = playlists["theirs"]
    client.force_login(editor)
    change = url("editorialplaylist_change", theirs.pk)
    assert client.get(change).status_code == 403
    response = client.post(change, {"name": "Hijacked", "team": theirs.team_id})
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.name == "London Calling Up"
    for view in ("history", "delete", "preview"):
        assert client.get(url(f"editorialplaylist_{view}", theirs.pk)).status_code == 403
    assert client.get(url("editorialplaylist_change", 10**9)).status_code == 302  # unknown


def test_the_other_team_sees_theirs_and_not_mine(client, london_editor, playlists):
    client.force_login(london_editor)
    assert client.get(url("editorialplaylist_change", playlists["theirs"].pk)).status_code == 200
    assert client.get(url("editorialplaylist_change", playlists["mine"].pk)).status_code == 403


def test_an_editor_edits_their_teams_playlist_with_history(client, editor, playlists, tracks):
    mine = playlists["mine"]
    client.force_login(editor)
    page = client.get(url("editorialplaylist_change", mine.pk))
    assert page.status_code == 200
    assert "Only Sweden — not playable in NO" in page.content.decode()  # licensing warning
    data = form_data(page)
    data["name"] = "Fikapaus!"
    # Move the last track to the top, as the drag-and-drop script renumbers positions.
    items = list(mine.items.order_by("position"))
    for index, item in enumerate(items):
        assert data[f"items-{index}-id"] == str(item.pk)
        data[f"items-{index}-position"] = str((index + 1) % len(items))
    data["translations-TOTAL_FORMS"] = "1"
    data.update({"translations-0-language": "en", "translations-0-title": "Fika Break"})
    response = client.post(url("editorialplaylist_change", mine.pk), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    mine.refresh_from_db()
    assert mine.name == "Fikapaus!"
    assert list(mine.items.order_by("position").values_list("track", flat=True)) == [
        tracks[2].pk,
        tracks[0].pk,
        tracks[1].pk,
    ]
    assert mine.translations.get().title == "Fika Break"
    actions = dict(mine.changes.values_list("action", "changes"))
    assert actions["edited"]["name"] == ["Fikapaus", "Fikapaus!"]
    assert actions["edited"]["translations"] == [{}, {"en": ["Fika Break", ""]}]
    assert actions["tracks"] == {"reordered": True}
    assert any("not licensed" in m for m in messages_of(response))


def test_an_editor_creates_a_playlist_for_their_team_only(
    client, editor, stockholm, london, tracks
):
    client.force_login(editor)
    page = client.get(url("editorialplaylist_add"))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert list(form.fields["team"].queryset) == [stockholm]
    assert form.initial["team"] == stockholm.pk
    data = form_data(page)
    data.update({"name": "Nattåg", "items-TOTAL_FORMS": "2"})
    data.update({"items-0-track": tracks[0].pk, "items-0-position": "0"})
    data.update({"items-1-track": tracks[1].pk, "items-1-position": "1"})
    response = client.post(url("editorialplaylist_add"), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    created = EditorialPlaylist.objects.get(name="Nattåg")
    assert (created.team, created.kind, created.public, created.state) == (
        stockholm,
        "editorial",
        False,
        State.DRAFT,
    )
    assert created.created_by == editor
    assert list(created.items.values_list("added_by", flat=True)) == [editor.pk, editor.pk]
    assert created.changes.filter(action="created").exists()

    data.update({"name": "Elsewhere", "team": london.pk})
    response = client.post(url("editorialplaylist_add"), data)
    assert response.status_code == 200
    assert "team" in response.context["adminform"].form.errors
    assert not EditorialPlaylist.objects.filter(name="Elsewhere").exists()


def test_markets_outside_the_team_are_a_form_error(client, editor, playlists):
    client.force_login(editor)
    page = client.get(url("editorialplaylist_change", playlists["mine"].pk))
    data = form_data(page) | {"markets": ["SE", "US"]}
    response = client.post(url("editorialplaylist_change", playlists["mine"].pk), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "outside the Stockholm team's markets (NO, SE): US" in errors["markets"][0]


# Workflow buttons and bulk actions


def _press(client, playlist, transition: str):
    page = client.get(url("editorialplaylist_change", playlist.pk))
    data = form_data(page) | {"_transition": transition}
    return client.post(url("editorialplaylist_change", playlist.pk), data, follow=True)


def test_an_editor_submits_but_cannot_publish(client, editor, playlists):
    mine = playlists["mine"]
    client.force_login(editor)
    page = client.get(url("editorialplaylist_change", mine.pk)).content.decode()
    assert 'value="submit"' in page and 'value="publish"' not in page
    response = _press(client, mine, "submit")
    mine.refresh_from_db()
    assert mine.state == State.IN_REVIEW
    assert any("submit for review done" in m for m in messages_of(response))

    response = _press(client, mine, "publish")
    mine.refresh_from_db()
    assert (mine.state, mine.public) == (State.IN_REVIEW, False)
    assert "Only a lead of the Stockholm team can do this." in messages_of(response)


def test_a_lead_publishes(client, lead, playlists):
    mine = playlists["mine"]
    mine.state = State.IN_REVIEW
    mine.save()
    client.force_login(lead)
    assert (
        'value="publish"' in client.get(url("editorialplaylist_change", mine.pk)).content.decode()
    )
    _press(client, mine, "publish")
    mine.refresh_from_db()
    assert (mine.state, mine.public) == (State.PUBLISHED, True)
    assert mine.changes.filter(action="published", user=lead).exists()


def test_bulk_publish_is_for_leads(client, editor, lead, stockholm, tracks):
    ready = [
        EditorialPlaylistFactory(team=stockholm, tracks=tracks, state=State.IN_REVIEW)
        for _ in range(2)
    ]
    draft = EditorialPlaylistFactory(team=stockholm, tracks=tracks)
    selected = [str(p.pk) for p in [*ready, draft]]
    changelist = url("editorialplaylist_changelist")

    client.force_login(editor)
    actions = dict(client.get(changelist).context["action_form"].fields["action"].choices)
    assert "submit_selected" in actions and "publish_selected" not in actions
    client.post(changelist, {"action": "publish_selected", "_selected_action": selected})
    assert not EditorialPlaylist.objects.filter(state=State.PUBLISHED).exists()

    client.force_login(lead)
    response = client.post(
        changelist, {"action": "publish_selected", "_selected_action": selected}, follow=True
    )
    published = EditorialPlaylist.objects.filter(state=State.PUBLISHED)
    assert sorted(published.values_list("pk", flat=True)) == sorted(p.pk for p in ready)
    found = messages_of(response)
    assert "Publish now: 2 playlist(s)." in found
    assert any("it is draft" in m for m in found)

    client.post(changelist, {"action": "feature_selected", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.featured


# Preview, pages, campaigns, pitches, performance


def test_preview_shows_the_market_and_language(client, editor, playlists):
    mine = playlists["mine"]
    mine.translations.create(language="en", title="Fika Break", description="Soft songs.")
    client.force_login(editor)
    page = client.get(url("editorialplaylist_preview", mine.pk), {"market": "NO", "locale": "en"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Fika Break" in html and "Soft songs." in html
    assert "not playable in NO" in html  # "Only Sweden"
    assert "do not see the playlist now" in html  # still a draft
    assert page.context["preview"].tracks[0].playable


@pytest.mark.parametrize(
    "model", ["team", "category", "editorialplaylist", "campaign", "pitch", "playlistdailystats"]
)
def test_admin_pages_load_for_an_editor(client, editor, lead, playlists, model):
    mine = playlists["mine"]
    PlaylistDailyStats.objects.create(day=datetime.date(2025, 1, 1), playlist=mine, streams=3)
    CampaignFactory(team=mine.team, playlists=[mine])
    PitchFactory()
    client.force_login(editor)
    assert client.get(url(f"{model}_changelist")).status_code == 200
    assert client.get(url(f"{model}_changelist"), {"q": "a"}).status_code == 200
    model_class = {
        "team": Team,
        "category": None,
        "editorialplaylist": EditorialPlaylist,
        "campaign": Campaign,
        "pitch": Pitch,
        "playlistdailystats": PlaylistDailyStats,
    }[model]
    if model_class is not None:
        obj = mine.team if model == "team" else model_class.objects.first()
        assert client.get(url(f"{model}_change", obj.pk)).status_code == 200


def test_admin_index_lists_editorial_for_editors_only(client, editor):
    client.force_login(editor)
    html = client.get(reverse("admin:index")).content.decode()
    assert "Editorial playlists" in html and "Pitches" in html
    client.force_login(UserFactory(is_staff=True))
    assert "Editorial playlists" not in client.get(reverse("admin:index")).content.decode()


def test_another_teams_campaign_is_refused(client, editor, london):
    campaign = CampaignFactory(team=london)
    client.force_login(editor)
    assert client.get(url("campaign_change", campaign.pk)).status_code == 403


def test_an_editor_answers_a_pitch_once(client, editor, playlists):
    pitch = PitchFactory()
    client.force_login(editor)
    change = url("pitch_change", pitch.pk)
    page = client.get(change)
    assert page.status_code == 200
    assert "Recorded in one night in a lighthouse." in page.content.decode()
    response = client.post(change, {"status": "accepted", "answer": "", "placed_in": ""})
    assert "answer" in response.context["adminform"].form.errors
    response = client.post(
        change, {"status": "accepted", "answer": "Welcome!", "placed_in": playlists["mine"].pk}
    )
    assert response.status_code == 302
    pitch.refresh_from_db()
    assert (pitch.status, pitch.answered_by, pitch.placed_in) == (
        Pitch.Status.ACCEPTED,
        editor,
        playlists["mine"],
    )
    assert client.post(change, {"status": "declined", "answer": "No"}).status_code == 403


def test_change_page_shows_performance(client, editor, playlists):
    mine = playlists["mine"]
    today = timezone.now().date()
    PlaylistDailyStats.objects.create(day=today, playlist=mine, streams=42, skips=3, saves=2)
    client.force_login(editor)
    html = client.get(url("editorialplaylist_change", mine.pk)).content.decode()
    assert "Performance, last 14 days" in html and "42" in html


def test_history_survives_as_readonly_inline(client, editor, playlists):
    mine = playlists["mine"]
    EditorialPlaylistChange.objects.create(
        playlist=mine, user=editor, action="edited", changes={"name": ["A", "B"]}
    )
    client.force_login(editor)
    html = client.get(url("editorialplaylist_change", mine.pk)).content.decode()
    assert "A → B" in html


def test_published_playlists_keep_their_team(client, lead, stockholm, tracks):
    live = PublishedPlaylistFactory(team=stockholm, tracks=tracks)
    client.force_login(lead)
    form = client.get(url("editorialplaylist_change", live.pk)).context["adminform"].form
    assert "team" not in form.fields
    assert PlaylistItem.objects.filter(playlist=live).count() == len(tracks)
