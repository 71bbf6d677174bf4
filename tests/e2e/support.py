"""Helpers of the end-to-end suite: polling with a deadline, statistics, friends, shared lists."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import requests

from tests.helpers import Api, sign_up

T = TypeVar("T")

PROBLEM = "application/problem+json"
STATS_DEADLINE = 15.0  # events travel outbox -> relay -> Kafka -> consumer
CASCADE_DEADLINE = 20.0  # user-deleted travels to four consumers
COUNTERS = ("added", "watching", "watched", "onHold", "dropped", "total", "ratingCount")


def eventually(check: Callable[[], T], timeout: float = STATS_DEADLINE, interval: float = 0.1) -> T:
    """Call `check` until it stops raising AssertionError; its result, or the last failure."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        time.sleep(interval)


def new_media_id() -> int:
    """A media id no other test uses, so each test's counters start at zero."""
    return random.randrange(10**12, 2**62)


def stats(gateway: str, media_id: int) -> dict:
    """The public counters of one media, read without a token."""
    response = requests.get(f"{gateway}/mediastatistics/{media_id}", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def counters(
    *, status: dict[str, int] | None = None, ratings: tuple[int, ...] = ()
) -> dict[str, object]:
    """The exact counters expected: `status` counts per status name, the ratings entries hold."""
    status = status or {}
    expected: dict[str, object] = {name: 0 for name in COUNTERS}
    expected.update(status)
    expected["total"] = sum(status.values())
    expected["ratingCount"] = len(ratings)
    expected["ratingAverage"] = round(sum(ratings) / len(ratings), 2) if ratings else None
    return expected


def stats_become(gateway: str, media_id: int, expected: dict, timeout: float = STATS_DEADLINE):
    """Poll until the media's counters are exactly `expected`; the last body."""

    def check() -> dict:
        body = stats(gateway, media_id)
        actual = {name: body[name] for name in expected}
        assert actual == expected, f"media {media_id}: {actual} != {expected}"
        return body

    return eventually(check, timeout)


def problem(response: requests.Response, status: int) -> dict:
    """Assert an RFC 9457 problem document with this status; its body."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"] and "detail" in body
    return body


def befriend(asker: Api, answerer: Api) -> None:
    """Make two users friends through a request and its acceptance."""
    sent = asker.post("/friends/requests", json={"userId": answerer.user_id})
    assert sent.status_code == 201, sent.text
    accepted = answerer.post(f"/friends/requests/{sent.json()['requestId']}/accept")
    assert accepted.status_code == 200, accepted.text


def friend_ids(api: Api) -> set[str]:
    """The ids of a user's friends."""
    response = api.get("/friends")
    assert response.status_code == 200, response.text
    return {item["userId"] for item in response.json()["items"]}


def requests_of(api: Api) -> dict[str, set[str]]:
    """The other party of each pending request: {"incoming": {...}, "outgoing": {...}}."""
    response = api.get("/friends/requests")
    assert response.status_code == 200, response.text
    body = response.json()
    return {side: {item["userId"] for item in body[side]} for side in ("incoming", "outgoing")}


def shared_list(owner: Api, member: Api, name: str = "Together") -> str:
    """An active list shared by `owner` and `member` (who must be friends); its id."""
    created = owner.post("/friendswatchlists", json={"name": name, "friendId": member.user_id})
    assert created.status_code == 201, created.text
    list_id = created.json()["listId"]
    accepted = member.post(f"/friendswatchlists/{list_id}/accept")
    assert accepted.status_code == 200, accepted.text
    return list_id


def personal_list(api: Api, name: str = "Mine") -> str:
    """A new personal list of `api`'s user; its id."""
    created = api.post("/watchlists", json={"name": name})
    assert created.status_code == 201, created.text
    return created.json()["listId"]


def add_media(api: Api, list_path: str, media_id: int, **fields) -> dict:
    """Add a media to a list (`/watchlists/<id>` or `/friendswatchlists/<id>`); the entry."""
    response = api.post(f"{list_path}/media", json={"mediaId": media_id, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def people(gateway: str, *names: str) -> list[Api]:
    """Fresh accounts, one per name."""
    return [sign_up(gateway, name) for name in names]
