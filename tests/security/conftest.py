"""Fixtures of the security suite: users and their data behind the shared stack's gateway.

Every HTTP answer a test in this folder receives is recorded; after each test none may
carry a password hash, a stack trace or an HTML error page (see `leaks`).
"""

from __future__ import annotations

import http.client
import random
import re
import urllib.parse
import uuid
from dataclasses import dataclass, field

import pytest
import requests

from tests.helpers import Api, sign_up

PROBLEM = "application/problem+json"
MEDIA_ID = 603


@dataclass
class Answer:
    """One HTTP answer as the suite saw it (from requests or a raw connection)."""

    what: str
    status: int
    headers: dict[str, str]
    text: str


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


class Recorder:
    """Keeps every answer of the current test."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []

    def add(self, what: str, status: int, headers, text: str) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        self.answers.append(Answer(what, status, lowered, text))


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


@dataclass
class RawAnswer:
    status: int
    headers: dict[str, str]
    text: str


def raw_request(
    recorder: Recorder,
    gateway: str,
    method: str,
    path: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes | None = None,
    source: str | None = None,
) -> RawAnswer:
    """Send `path` byte for byte (no client-side normalisation), headers possibly repeated."""
    url = urllib.parse.urlsplit(gateway)
    conn = http.client.HTTPConnection(
        url.hostname, url.port, timeout=10, source_address=(source, 0) if source else None
    )
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers or []:
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        answer = RawAnswer(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
    finally:
        conn.close()
    recorder.add(f"{method} {path} (raw)", answer.status, answer.headers, answer.text)
    return answer


def assert_problem(response, status: int) -> dict:
    """An RFC 9457 problem document with this status."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers.get("Content-Type", "").startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"] and "detail" in body
    return body


@pytest.fixture(scope="session")
def token_key(stack) -> str:
    """The key the stack's auth service signs tokens with (to forge well-signed bad tokens)."""
    return stack.env_for("auth")["WLT_TOKEN_SIGNING_KEY"]


@dataclass
class World:
    """Alice's data that others try to reach, and the users who try."""

    alice: Api
    bob: Api  # an unrelated, signed-in user: the attacker
    carol: Api  # Alice asked her to be friends (pending request)
    dave: Api  # Alice's friend and member of her shared list
    erin: Api  # Alice's friend, invited to a shared list (pending; only friends are invited)
    ids: dict[str, str] = field(default_factory=dict)

    def path(self, template: str) -> str:
        return template.format(**self.ids)


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


def alice_view(world: World) -> dict:
    """Everything Alice and her counterparts see of her data (to prove nothing changed)."""
    alice, path = world.alice, world.path
    views = {
        "me": alice.get("/auth/me"),
        "profile": alice.get(path("/users/{alice}")),
        "list": alice.get(path("/watchlists/{list}")),
        "friends": alice.get("/friends"),
        "requests": alice.get("/friends/requests"),
        "shared": alice.get(path("/friendswatchlists/{shared}")),
        "overview": alice.get("/friendswatchlists"),
        "erin invites": world.erin.get("/friendswatchlists/invites"),
    }
    for name, response in views.items():
        assert response.status_code == 200, (name, response.status_code, response.text[:200])
    return {name: response.json() for name, response in views.items()}


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
