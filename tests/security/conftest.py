"""Fixtures of the security suite: users and their data behind the shared stack's gateway.

Every HTTP answer a test in this folder receives is recorded; after each test none may
carry a password hash, a stack trace or an HTML error page (see `leaks`).
"""

from __future__ import annotations

import random
import re
import uuid

import pytest
import requests

from tests.helpers import sign_up
from tests.security.support import (
    Answer,
    Recorder,
    World,
)

MEDIA_ID = 603


_LEAKS = {
    "password hash": re.compile(r"\$argon2", re.I),
    "stack trace": re.compile(r"Traceback \(most recent call last\)|File \"", re.I),
    "HTML page": re.compile(r"<!doctype html|<html|<body", re.I),
}


def leaks(answer: Answer) -> list[str]:
    """What this answer gives away that no client may see."""
    found = [name for name, pattern in _LEAKS.items() if pattern.search(answer.text)]
    headers = " ".join(f"{k}: {v}" for k, v in answer.headers.items())
    if _LEAKS["password hash"].search(headers):
        found.append("password hash in a header")
    if answer.headers.get("content-type", "").lower().startswith("text/html"):
        found.append("text/html content type")
    return found


@pytest.fixture(autouse=True)
def recorded(monkeypatch) -> Recorder:
    """Record every answer `requests` receives during the test; check them all at teardown."""
    recorder = Recorder()
    send = requests.Session.send

    def recording_send(self, request, **kwargs):
        response = send(self, request, **kwargs)
        recorder.add(
            f"{request.method} {request.url}", response.status_code, response.headers, response.text
        )
        return response

    monkeypatch.setattr(requests.Session, "send", recording_send)
    yield recorder
    offenders = [(a.what, a.status, leaks(a)) for a in recorder.answers if leaks(a)]
    assert not offenders, offenders


@pytest.fixture(scope="session")
def token_key(stack) -> str:
    """The key the stack's auth service signs tokens with (to forge well-signed bad tokens)."""
    return stack.env_for("auth")["WLT_TOKEN_SIGNING_KEY"]


@pytest.fixture(scope="session")
def world(gateway) -> World:
    """Alice owns a watchlist with an entry, a pending friend request to Carol, a friendship
    with Dave and Erin, an active shared list with Dave (with an entry) and a pending shared
    list inviting Erin. Bob has an account and nothing else."""
    alice, bob = sign_up(gateway, "Alice"), sign_up(gateway, "Bob")
    carol, dave = sign_up(gateway, "Carol"), sign_up(gateway, "Dave")
    erin = sign_up(gateway, "Erin")

    def created(response, status=201) -> dict:
        assert response.status_code == status, response.text
        return response.json()

    wl = created(alice.post("/watchlists", json={"name": "Alice's secrets"}))
    created(alice.post(f"/watchlists/{wl['listId']}/media", json={"mediaId": MEDIA_ID}))
    to_carol = created(alice.post("/friends/requests", json={"userId": carol.user_id}))
    to_dave = created(alice.post("/friends/requests", json={"userId": dave.user_id}))
    created(dave.post(f"/friends/requests/{to_dave['requestId']}/accept"), 200)
    to_erin = created(alice.post("/friends/requests", json={"userId": erin.user_id}))
    created(erin.post(f"/friends/requests/{to_erin['requestId']}/accept"), 200)
    shared = created(
        alice.post("/friendswatchlists", json={"name": "Alice+Dave", "friendId": dave.user_id})
    )
    created(dave.post(f"/friendswatchlists/{shared['listId']}/accept"), 200)
    created(alice.post(f"/friendswatchlists/{shared['listId']}/media", json={"mediaId": MEDIA_ID}))
    pending = created(
        alice.post("/friendswatchlists", json={"name": "Alice+Erin", "friendId": erin.user_id})
    )
    ids = {
        "alice": alice.user_id,
        "bob": bob.user_id,
        "carol": carol.user_id,
        "dave": dave.user_id,
        "erin": erin.user_id,
        "list": wl["listId"],
        "media": str(MEDIA_ID),
        "request": to_carol["requestId"],
        "shared": shared["listId"],
        "pending": pending["listId"],
    }
    return World(alice, bob, carol, dave, erin, ids)


class ServiceLogs:
    """The access logs of the stack's services: proof of what reached a service."""

    def __init__(self, stack, gateway: str, world: World) -> None:
        self.dir = stack.log_dir
        self.gateway = gateway
        self.world = world

    def _text(self) -> str:
        return "".join(
            path.read_text(errors="replace") for path in sorted(self.dir.glob("*-service.log"))
        )

    def assert_never_seen(self, nonce: str) -> None:
        """No service logged `nonce`, though each has logged a later request by now.

        One canary per service, sent after the probe, must show up first: each service
        runs one worker and logs in order, so an earlier probe would be in the log too.
        """
        import time

        canaries = {}
        for prefix in ["/auth", "/users", "/watchlists", "/friends", "/friendswatchlists"]:
            canary = str(uuid.uuid4())
            canaries[prefix] = canary
            self.world.alice.get(f"{prefix}/{canary}")
        canary = str(random.randint(10**12, 10**13))
        self.world.alice.get(f"/mediastatistics/{canary}")
        canaries["/mediastatistics"] = canary
        deadline = time.monotonic() + 5
        while True:
            text = self._text()
            missing = [p for p, c in canaries.items() if c not in text]
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert not missing, f"canaries not logged by {missing}"
        assert nonce not in text, f"a service saw the request {nonce}"


@pytest.fixture
def service_logs(stack, gateway, world) -> ServiceLogs:
    return ServiceLogs(stack, gateway, world)
