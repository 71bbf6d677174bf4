"""Every protected route of the contract, with paths naming Alice's real data."""

from __future__ import annotations

import pytest

# (method, path template, JSON body or None); placeholders come from `World.ids`.
PROTECTED_ROUTES = [
    ("GET", "/auth/me", None),
    ("DELETE", "/auth/users/{alice}", None),
    ("GET", "/users?ids={alice},{dave}", None),
    ("GET", "/users?q=Ali", None),
    ("PATCH", "/users/{alice}", {"displayName": "pwned"}),
    ("GET", "/watchlists", None),
    ("POST", "/watchlists", {"name": "planted"}),
    ("PATCH", "/watchlists/{list}", {"name": "pwned"}),
    ("DELETE", "/watchlists/{list}", None),
    ("POST", "/watchlists/{list}/media", {"mediaId": 604}),
    ("PATCH", "/watchlists/{list}/media/{media}", {"rating": 1}),
    ("DELETE", "/watchlists/{list}/media/{media}", None),
    ("PATCH", "/watchlists/{list}/media/movie/{media}", {"rating": 1}),
    ("DELETE", "/watchlists/{list}/media/movie/{media}", None),
    ("POST", "/watchlists/{list}/media/movie/{media}/watches", {}),
    ("GET", "/watchlists/{list}/media/movie/{media}/watches", None),
    ("DELETE", "/watchlists/{list}/media/movie/{media}/watches/{alice}", None),
    ("GET", "/friends", None),
    ("GET", "/friends/requests", None),
    ("POST", "/friends/requests", {"userId": "{alice}"}),
    ("POST", "/friends/requests/{request}/accept", None),
    ("POST", "/friends/requests/{request}/decline", None),
    ("DELETE", "/friends/requests/{request}", None),
    ("GET", "/friends/{dave}/common", None),
    ("DELETE", "/friends/{dave}", None),
    ("GET", "/friendswatchlists", None),
    ("POST", "/friendswatchlists", {"name": "planted", "friendId": "{alice}"}),
    ("GET", "/friendswatchlists/invites", None),
    ("POST", "/friendswatchlists/{pending}/accept", None),
    ("POST", "/friendswatchlists/{pending}/decline", None),
    ("POST", "/friendswatchlists/{shared}/leave", None),
    ("POST", "/friendswatchlists/{shared}/members", {"userId": "{bob}"}),
    ("DELETE", "/friendswatchlists/{shared}/members/{dave}", None),
    ("POST", "/friendswatchlists/{shared}/owner", {"userId": "{bob}"}),
    ("GET", "/friendswatchlists/{shared}", None),
    ("GET", "/friendswatchlists/{shared}/media", None),
    ("PATCH", "/friendswatchlists/{shared}", {"name": "pwned"}),
    ("DELETE", "/friendswatchlists/{shared}", None),
    ("POST", "/friendswatchlists/{shared}/media", {"mediaId": 604}),
    ("PATCH", "/friendswatchlists/{shared}/media/{media}", {"rating": 1}),
    ("DELETE", "/friendswatchlists/{shared}/media/{media}", None),
    ("PATCH", "/friendswatchlists/{shared}/media/movie/{media}", {"rating": 1}),
    ("DELETE", "/friendswatchlists/{shared}/media/movie/{media}", None),
    ("POST", "/friendswatchlists/{shared}/media/movie/{media}/watches", {}),
    ("GET", "/friendswatchlists/{shared}/media/movie/{media}/watches", None),
    ("DELETE", "/friendswatchlists/{shared}/media/movie/{media}/watches/{alice}", None),
]

# Public routes whose answer depends on who the token names (a person's figures, a list
# and a person's lists by visibility: the owner, a friend, anyone); their tests check
# each reader gets only their part.
AUDIENCE_ROUTES = [
    ("GET", "/users/{alice}/stats", None),
    ("GET", "/watchlists/{list}", None),
    ("GET", "/watchlists/{list}/media", None),
    ("GET", "/users/{alice}/watchlists", None),
]
LIST_AUDIENCE_ROUTES = AUDIENCE_ROUTES[1:3]


def route_id(route) -> str:
    method, path, _ = route
    return f"{method} {path}"


def routes_param(routes=PROTECTED_ROUTES):
    return pytest.mark.parametrize("route", routes, ids=[route_id(r) for r in routes])


def fill(world, body):
    """The body with placeholders replaced by the world's ids."""
    if body is None:
        return None
    return {k: world.path(v) if isinstance(v, str) else v for k, v in body.items()}
