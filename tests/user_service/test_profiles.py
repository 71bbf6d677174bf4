"""User service: profiles, lookup, search, rename and the internal create endpoint."""

import uuid

import pytest

from tests.helpers import assert_problem, identity, service_headers


def create_profile(client, name="Alice", user_id=None):
    user_id = user_id or uuid.uuid4()
    response = client.put(
        f"/internal/users/{user_id}", json={"displayName": name}, headers=service_headers()
    )
    assert response.status_code == 201, response.get_json()
    return user_id


def test_profile_is_public_and_has_contract_fields(client):
    user_id = create_profile(client, "Alice")
    body = client.get(f"/users/{user_id}").get_json()
    assert body["userId"] == str(user_id)
    assert body["displayName"] == "Alice"
    assert body["createdAt"].endswith("Z")


@pytest.mark.parametrize("path", ["/users/" + str(uuid.uuid4()), "/users/not-a-uuid"])
def test_unknown_profile_is_404_problem(client, path):
    assert_problem(client.get(path), 404)


def test_internal_create_is_idempotent(client):
    user_id = create_profile(client, "Bo")
    again = client.put(
        f"/internal/users/{user_id}", json={"displayName": "Bo"}, headers=service_headers()
    )
    assert again.status_code == 200
    assert again.get_json()["userId"] == str(user_id)


@pytest.mark.parametrize("headers", [{}, {"X-Service-Token": "wrong"}])
def test_internal_create_needs_service_credential(client, headers):
    user_id = uuid.uuid4()
    response = client.put(f"/internal/users/{user_id}", json={"displayName": "X"}, headers=headers)
    assert_problem(response, 403)
    assert client.get(f"/users/{user_id}").status_code == 404


def test_batch_lookup_returns_only_existing(client):
    a, b = create_profile(client, "Ann"), create_profile(client, "Ben")
    missing = uuid.uuid4()
    response = client.get(f"/users?ids={a},{missing},{b}", headers=identity(a))
    assert [item["userId"] for item in response.get_json()["items"]] == [str(a), str(b)]


def test_batch_lookup_needs_identity(client):
    assert_problem(client.get(f"/users?ids={uuid.uuid4()}"), 401)


@pytest.mark.parametrize(
    "query",
    [
        "ids=not-a-uuid",
        "ids=" + ",".join(str(uuid.uuid4()) for _ in range(101)),
        "ids=",
        "",
        "limit=0&q=a",
        "limit=201&q=a",
        "q=a&cursor=garbage",
        "q=+++",
        "q=%09%0A%20",
        "q=",
    ],
)
def test_bad_queries_are_422(client, query):
    body = assert_problem(client.get(f"/users?{query}", headers=identity(uuid.uuid4())), 422)
    assert body["errors"]


def test_prefix_search_is_case_insensitive_and_paged(client):
    tag = uuid.uuid4().hex[:8]
    made = {create_profile(client, f"{tag}Zed{i}") for i in range(5)}
    create_profile(client, f"x{tag}")
    caller = identity(uuid.uuid4())
    seen, cursor = [], None
    while True:
        url = f"/users?q={tag.upper()}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=caller).get_json()
        assert len(page["items"]) <= 2
        seen += [uuid.UUID(item["userId"]) for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert set(seen) == made and len(seen) == 5


def test_search_treats_like_wildcards_literally(client):
    create_profile(client, "percent_user")
    page = client.get("/users?q=%25", headers=identity(uuid.uuid4())).get_json()
    assert all(item["displayName"].startswith("%") for item in page["items"])


def test_owner_renames_profile(client):
    user_id = create_profile(client, "Old")
    response = client.patch(
        f"/users/{user_id}", json={"displayName": "New"}, headers=identity(user_id)
    )
    assert response.status_code == 200
    assert client.get(f"/users/{user_id}").get_json()["displayName"] == "New"


def test_someone_else_cannot_rename(client):
    user_id = create_profile(client, "Mine")
    response = client.patch(
        f"/users/{user_id}", json={"displayName": "Hacked"}, headers=identity(uuid.uuid4())
    )
    assert_problem(response, 403)
    assert client.get(f"/users/{user_id}").get_json()["displayName"] == "Mine"


@pytest.mark.parametrize(
    "body",
    [
        {"displayName": ""},
        {"displayName": "   "},
        {"displayName": "x" * 51},
        {"displayName": 5},
        {"displayName": "ok", "extra": 1},
        {},
        [],
        None,
    ],
)
def test_invalid_rename_is_422_and_changes_nothing(client, body):
    user_id = create_profile(client, "Same")
    response = client.patch(f"/users/{user_id}", json=body, headers=identity(user_id))
    assert_problem(response, 422)
    assert client.get(f"/users/{user_id}").get_json()["displayName"] == "Same"


def test_malformed_json_and_oversized_body_are_problems(client):
    user_id = create_profile(client, "Body")
    headers = {**identity(user_id), "Content-Type": "application/json"}
    assert_problem(client.patch(f"/users/{user_id}", data="{oops", headers=headers), 400)
    big = '{"displayName": "' + "x" * (2 * 1024 * 1024) + '"}'
    assert_problem(client.patch(f"/users/{user_id}", data=big, headers=headers), 413)


def test_unknown_route_and_method_are_problems(client):
    assert_problem(client.get("/nowhere"), 404)
    response = client.delete(f"/users/{uuid.uuid4()}", headers=identity(uuid.uuid4()))
    assert_problem(response, 405)


def test_openapi_document_lists_routes(client):
    doc = client.get("/users/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert "/users" in doc["paths"] and "/users/{user_id}" in doc["paths"]


def test_health_and_metrics(client):
    assert client.get("/health/live").status_code == 200
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.get_json()["checks"]["database"]["ok"]
    assert b"flask_http_request" in client.get("/metrics").data


def test_internal_batch_lookup_needs_service_credential(client):
    a = create_profile(client, "Batch")
    assert_problem(client.get(f"/internal/users?ids={a}"), 403)
    ok = client.get(f"/internal/users?ids={a},{uuid.uuid4()}", headers=service_headers("friends"))
    assert [item["userId"] for item in ok.get_json()["items"]] == [str(a)]


def test_deleted_id_is_never_created_again(client):
    user_id = create_profile(client, "Gone")
    assert client.delete(f"/internal/users/{user_id}", headers=service_headers()).status_code == 204
    late = client.put(
        f"/internal/users/{user_id}", json={"displayName": "Late"}, headers=service_headers()
    )
    assert_problem(late, 409)
    assert client.get(f"/users/{user_id}").status_code == 404


def test_user_deleted_event_removes_profile_and_retires_the_id(app, client):
    from servicekit.messages import Event
    from user_service.events import on_user_deleted
    from user_service.models import db

    kept, gone, never = create_profile(client, "Kept"), create_profile(client, "Gone"), uuid.uuid4()
    events = [
        Event("user-deleted", 0, n, str(uid), {"eventId": str(uuid.uuid4()), "userId": str(uid)})
        for n, uid in enumerate([gone, never])
    ] + [Event("user-deleted", 0, 9, None, {"eventId": "e-bad", "userId": "nope"})]
    with app.app_context():
        refused = on_user_deleted(db.session, events)
        db.session.commit()
    assert [reason for _, reason in refused] == ["user.deleted without a valid userId"]
    assert client.get(f"/users/{gone}").status_code == 404
    assert client.get(f"/users/{kept}").status_code == 200
    for uid in (gone, never):
        again = client.put(
            f"/internal/users/{uid}", json={"displayName": "Again"}, headers=service_headers()
        )
        assert_problem(again, 409)


@pytest.mark.parametrize(
    "name",
    ["\u200b", "\u200b \u200c", "x\u202e", "\u2067x", "\x1b[2Jx", "a\x07", "a\u2029b"],
)
def test_rename_to_invisible_or_control_text_is_422_and_changes_nothing(client, name):
    user_id = create_profile(client, "Steady")
    response = client.patch(
        f"/users/{user_id}", json={"displayName": name}, headers=identity(user_id)
    )
    assert "displayName" in assert_problem(response, 422)["errors"]
    assert client.get(f"/users/{user_id}").get_json()["displayName"] == "Steady"


def test_rename_stores_the_nfc_form(client):
    user_id = create_profile(client, "Before")
    response = client.patch(
        f"/users/{user_id}", json={"displayName": "Ame\u0301lie"}, headers=identity(user_id)
    )
    assert response.get_json()["displayName"] == "Am\u00e9lie"
