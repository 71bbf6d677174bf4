"""Text PostgreSQL cannot store is refused with a 422 before any view runs, for any route."""

import uuid

import pytest

from tests.helpers import assert_problem, identity, service_headers


@pytest.fixture
def user_client(make_app):
    client = make_app("user_service").test_client()
    user_id = uuid.uuid4()
    created = client.put(
        f"/internal/users/{user_id}", json={"displayName": "Kept"}, headers=service_headers()
    )
    assert created.status_code == 201
    return client, user_id


@pytest.mark.parametrize(
    "body",
    [
        b'{"displayName": "a\\u0000b"}',
        b'{"displayName": "\\udadc"}',
        b'{"\\u0000": "x"}',
    ],
)
def test_unstorable_json_text_is_422_and_changes_nothing(user_client, body):
    client, user_id = user_client
    headers = {**identity(user_id), "Content-Type": "application/json"}
    problem = assert_problem(client.patch(f"/users/{user_id}", data=body, headers=headers), 422)
    assert problem["errors"]
    assert client.get(f"/users/{user_id}").get_json()["displayName"] == "Kept"


@pytest.mark.parametrize("query", ["q=a%00", "q=%00", "ids=%00"])
def test_unstorable_query_text_is_422(user_client, query):
    client, user_id = user_client
    response = client.get(f"/users?{query}", headers=identity(user_id))
    assert_problem(response, 422)


def test_ordinary_unicode_passes(user_client):
    client, user_id = user_client
    response = client.patch(
        f"/users/{user_id}", json={"displayName": "Zoë 🎬"}, headers=identity(user_id)
    )
    assert response.status_code == 200 and response.get_json()["displayName"] == "Zoë 🎬"
