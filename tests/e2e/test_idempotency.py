"""Idempotency-Key through the gateway: each of the five create routes replays, never repeats."""

from __future__ import annotations

import threading
import uuid

import requests

from devstack.traefik import DEV_CORS_ORIGINS
from tests.e2e.support import befriend, new_media_id, personal_list, problem, requests_of
from tests.helpers import PASSWORD, Api, sign_up

REPLAYED = "Idempotent-Replayed"


def keyed(api: Api, path: str, body: dict, key: str) -> requests.Response:
    """POST `body` with an Idempotency-Key."""
    return api.post(path, json=body, headers={"Idempotency-Key": key})


def twice(api: Api, path: str, body: dict) -> tuple[requests.Response, requests.Response]:
    """The same keyed POST sent twice; both answers, the second asserted a replay."""
    key = str(uuid.uuid4())
    first, again = keyed(api, path, body, key), keyed(api, path, body, key)
    assert first.status_code in (200, 201), first.text
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers[REPLAYED] == "true" and REPLAYED not in first.headers
    return first, again


def test_a_replayed_sign_up_answers_the_same_account_and_creates_no_other(gateway):
    email = f"idem-{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "password": PASSWORD, "displayName": "Ida"}
    first, _ = twice(Api(gateway), "/auth/signup", body)
    user = Api(gateway, first.json()["accessToken"], first.json()["userId"])

    assert user.get("/auth/me").json()["email"] == email
    other_key = Api(gateway).post("/auth/signup", json=body, headers={"Idempotency-Key": "k2"})
    problem(other_key, 409)  # the account exists once: a new key is a new sign-up


def test_a_sign_up_key_with_another_body_is_422_and_creates_nothing(gateway):
    key = str(uuid.uuid4())
    email = f"idem-{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "password": PASSWORD, "displayName": "Ida"}
    assert keyed(Api(gateway), "/auth/signup", body, key).status_code == 201
    changed = {**body, "email": "x" + email}

    problem(keyed(Api(gateway), "/auth/signup", changed, key), 422)
    signin = requests.post(
        f"{gateway}/auth/signin", json={"email": changed["email"], "password": PASSWORD}, timeout=10
    )
    problem(signin, 401)


def test_a_replayed_list_creation_leaves_one_list(user):
    twice(user, "/watchlists", {"name": "Once"})

    assert [i["name"] for i in user.get("/watchlists").json()["items"]] == ["Once"]


def test_a_replayed_entry_leaves_one_entry_and_another_body_is_422(user):
    path = f"/watchlists/{personal_list(user)}"
    media_id = new_media_id()
    key = str(uuid.uuid4())
    first = keyed(user, f"{path}/media", {"mediaId": media_id}, key)
    again = keyed(user, f"{path}/media", {"mediaId": media_id}, key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers[REPLAYED] == "true"

    problem(keyed(user, f"{path}/media", {"mediaId": new_media_id()}, key), 422)
    assert [m["mediaId"] for m in user.get(path).json()["media"]] == [media_id]


def test_a_replayed_shared_list_and_entry_are_created_once(user, other):
    befriend(user, other)
    first, _ = twice(user, "/friendswatchlists", {"name": "Ours", "friendId": other.user_id})
    list_id = first.json()["listId"]
    assert [i["listId"] for i in user.get("/friendswatchlists").json()["items"]] == [list_id]
    assert other.post(f"/friendswatchlists/{list_id}/accept").status_code == 200

    media_id = new_media_id()
    twice(other, f"/friendswatchlists/{list_id}/media", {"mediaId": media_id})
    media = user.get(f"/friendswatchlists/{list_id}").json()["media"]
    assert [m["mediaId"] for m in media] == [media_id]


def test_a_replayed_friend_request_is_sent_once(user, other):
    first, _ = twice(user, "/friends/requests", {"userId": other.user_id})

    assert first.status_code == 201
    assert requests_of(other)["incoming"] == {user.user_id}


def test_a_replayed_request_that_accepted_replays_the_friendship(user, other):
    assert other.post("/friends/requests", json={"userId": user.user_id}).status_code == 201
    first, _ = twice(user, "/friends/requests", {"userId": other.user_id})

    assert first.status_code == 200 and first.json()["userId"] == other.user_id
    assert [f["userId"] for f in user.get("/friends").json()["items"]] == [other.user_id]


def test_one_key_of_two_users_is_two_keys(user, other):
    key = "same-for-both"
    mine = keyed(user, "/watchlists", {"name": "A"}, key)
    theirs = keyed(other, "/watchlists", {"name": "A"}, key)

    assert mine.status_code == theirs.status_code == 201
    assert REPLAYED not in theirs.headers
    assert mine.json()["listId"] != theirs.json()["listId"]


def test_a_malformed_key_is_400_and_creates_nothing(user):
    problem(keyed(user, "/watchlists", {"name": "No"}, "x" * 256), 400)

    assert user.get("/watchlists").json()["items"] == []


def test_concurrent_requests_with_one_key_through_the_gateway_create_one_list(gateway):
    user = sign_up(gateway, "Racer")
    key, answers = str(uuid.uuid4()), [None] * 6
    start = threading.Barrier(6)

    def post(i: int) -> None:
        start.wait()
        answers[i] = requests.post(
            f"{gateway}/watchlists",
            json={"name": "Race"},
            headers={"Authorization": f"Bearer {user.token}", "Idempotency-Key": key},
            timeout=10,
        )

    threads = [threading.Thread(target=post, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(user.get("/watchlists").json()["items"]) == 1
    done = [a for a in answers if a.status_code == 201]
    assert done and all(a.status_code in (201, 409) for a in answers)
    assert len({a.json()["listId"] for a in done}) == 1


def test_a_browser_page_may_send_the_key_and_read_the_replay_header(stack):
    origin, user = DEV_CORS_ORIGINS[0], sign_up(stack.gateway_url, "Webby")
    preflight = requests.options(
        f"{stack.gateway_url}/watchlists",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
        timeout=10,
    )
    allowed = {h.lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert "idempotency-key" in allowed

    headers = {"Origin": origin, "Idempotency-Key": str(uuid.uuid4())}
    user.post("/watchlists", json={"name": "Web"}, headers=dict(headers))
    again = user.post("/watchlists", json={"name": "Web"}, headers=dict(headers))
    exposed = {h.lower() for h in again.headers["Access-Control-Expose-Headers"].split(",")}
    assert again.headers[REPLAYED] == "true" and "idempotent-replayed" in exposed
