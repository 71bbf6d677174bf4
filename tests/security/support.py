"""Helpers the security tests import; fixtures stay in conftest.py."""

from __future__ import annotations

import http.client
import urllib.parse
from dataclasses import dataclass, field

from tests.helpers import Api

PROBLEM = "application/problem+json"


@dataclass
class Answer:
    """One HTTP answer as the suite saw it (from requests or a raw connection)."""

    what: str
    status: int
    headers: dict[str, str]
    text: str


class Recorder:
    """Keeps every answer of the current test."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []

    def add(self, what: str, status: int, headers, text: str) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        self.answers.append(Answer(what, status, lowered, text))


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
