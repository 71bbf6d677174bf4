"""A person's figures show each reader only what they may see, whatever headers they send."""

from __future__ import annotations

import requests

from tests.e2e.support import eventually

from .routes import AUDIENCE_ROUTES


def reads(world, api, path) -> tuple[str, int]:
    response = api.get(path) if api is not None else requests.get(api_url(world, path), timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["visibleTo"], body["total"]


def api_url(world, path: str) -> str:
    return world.alice.gateway + path


def test_only_alice_reads_the_figures_of_her_private_lists(world):
    _, template, _ = AUDIENCE_ROUTES[0]
    path = world.path(template)

    def counted():
        assert reads(world, world.alice, path)[1] >= 1
        return True

    eventually(counted)
    assert reads(world, world.alice, path)[0] == "owner"
    assert reads(world, world.dave, path) == ("friends", 0)  # a friend: no friends' lists yet
    assert reads(world, world.bob, path) == ("public", 0)
    assert reads(world, world.carol, path) == ("public", 0)  # asked, not a friend
    assert reads(world, None, path) == ("public", 0)


def test_identity_headers_without_a_token_do_not_make_a_reader_the_owner(world):
    path = world.path(AUDIENCE_ROUTES[0][1])
    spoofed = {"X-User-Id": world.alice.user_id, "X-User-Role": "ADMIN"}
    response = requests.get(api_url(world, path), headers=spoofed, timeout=10)
    assert response.status_code == 200, response.text
    assert (response.json()["visibleTo"], response.json()["total"]) == ("public", 0)
    with_bob = world.bob.get(
        path, headers={**spoofed, "Authorization": f"Bearer {world.bob.token}"}
    )
    assert (with_bob.json()["visibleTo"], with_bob.json()["total"]) == ("public", 0)
