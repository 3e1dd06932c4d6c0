import base64

import pytest
from oauth2_provider.models import Application
from rest_framework.test import APIClient

SECRET = "api-test-s3cret"


def token_for(user, scope: str) -> str:
    """A real access token from /o/token (client credentials acting for `user`)."""
    application = Application.objects.create(
        name=f"script {scope}",
        user=user,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=SECRET,
    )
    credentials = base64.b64encode(f"{application.client_id}:{SECRET}".encode()).decode()
    response = APIClient().post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": scope},
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def bearer_client(user, scope: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scope)}")
    return client


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status
    assert body["error"]["message"]
    return body


@pytest.fixture
def bearer():
    return bearer_client
