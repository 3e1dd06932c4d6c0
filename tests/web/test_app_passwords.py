import hashlib

from accounts.models import AppPassword
from tests.accounts.factories import UserFactory

URL = "/accounts/app-passwords/"


def test_page_needs_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_create_shows_the_secret_once_and_it_works_on_rest(client, db):
    user = UserFactory(country="SE")
    client.force_login(user)
    response = client.post(URL, {"name": "Symfonium"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret in response.content.decode()
    listed = client.get(URL)
    assert secret not in listed.content.decode()
    [shown] = listed.context["app_passwords"]
    assert shown.name == "Symfonium" and shown.last_used_at is None
    assert "<td>Symfonium</td>" in listed.content.decode()
    token = hashlib.md5((secret + "abc").encode(), usedforsecurity=False).hexdigest()
    answer = client.get(
        "/rest/ping",
        {"u": user.email, "t": token, "s": "abc", "v": "1.16.1", "c": "t", "f": "json"},
    ).json()["subsonic-response"]
    assert answer["status"] == "ok"
    [shown] = client.get(URL).context["app_passwords"]
    assert shown.last_used_at is not None  # last used is shown now


def test_revoke_only_own(client, db):
    user, other = UserFactory(), UserFactory()
    client.force_login(user)
    client.post(URL, {"name": "DSub"})
    client.force_login(other)
    mine = AppPassword.objects.get(user=user)
    client.post(URL, {"revoke": str(mine.pk)})
    mine.refresh_from_db()
    assert mine.revoked_at is None
    client.force_login(user)
    assert client.post(URL, {"revoke": str(mine.pk)}).status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    assert list(client.get(URL).context["app_passwords"]) == []


def test_a_name_is_required(client, db):
    client.force_login(UserFactory())
    response = client.post(URL, {"name": "  "})
    assert response.status_code == 200 and "secret" not in response.context
    assert not AppPassword.objects.exists()
