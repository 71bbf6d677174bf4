"""Odd and oversized requests get a 4xx problem document: never a 5xx, an HTML page or
a stack trace (the autouse recorder checks every answer for those as well)."""

from __future__ import annotations

import pytest

from .support import raw_request

# name -> (method, path, extra headers, body, expected status)
HOSTILE = {
    "malformed JSON": ("PATCH", "/users/{alice}", [], b"{oops", 400),
    "JSON array body": ("POST", "/watchlists", [], b"[1, 2]", 422),
    "not UTF-8": ("POST", "/watchlists", [], b'{"name": "\xff\xfe"}', 400),
    "unknown field": ("POST", "/watchlists", [], b'{"name": "x", "ownerId": "{alice}"}', 422),
    "wrong type": ("POST", "/watchlists/{list}/media", [], b'{"mediaId": "603"}', 422),
    "huge number": ("POST", "/watchlists/{list}/media", [], b'{"mediaId": 1e400}', 422),
    "bad id in path": ("GET", "/watchlists/not-a-uuid", [], None, 404),
    "huge media id": ("DELETE", "/watchlists/{list}/media/99999999999999999999999", [], None, 404),
    "oversized body": ("POST", "/watchlists", [], b'{"name": "' + b"x" * 3_000_000 + b'"}', 413),
    "blank search": ("GET", "/users?q=+++", [], None, 422),
    "limit out of range": ("GET", "/watchlists?limit=100000", [], None, 422),
    "garbage cursor": ("GET", "/watchlists?cursor=%00%ff", [], None, 422),
    "50,000 nested brackets": ("POST", "/watchlists", [], b"[" * 50_000, 400),
    "50,000 nested brackets on a GET": ("GET", "/watchlists/{list}", [], b"[" * 50_000, 400),
    "50,000 nested brackets, anonymous": ("GET", "/users/{alice}", [], b"[" * 50_000, 400),
    "50,000 nested brackets at sign-in": ("POST", "/auth/signin", [], b"[" * 50_000, 400),
    "5,000-digit media id": (
        "POST",
        "/watchlists/{list}/media",
        [],
        b'{"mediaId": ' + b"9" * 5000 + b"}",
        422,
    ),
    "5,000-digit rating": (
        "PATCH",
        "/friendswatchlists/{shared}/media/{media}",
        [],
        b'{"rating": ' + b"9" * 5000 + b"}",
        422,
    ),
    "5,000-digit progress on a GET": (
        "GET",
        "/mediastatistics/{media}",
        [],
        b'{"progress": -' + b"9" * 5000 + b"}",
        422,
    ),
}
LIMITS = {
    "URI over 4094 bytes": ("GET", "/users?q=" + "a" * 5000, [], None, None),
    "header over 8190 bytes": ("GET", "/auth/me", [("X-Big", "a" * 9000)], None, None),
    "over 100 headers": ("GET", "/auth/me", [(f"X-H{i}", "1") for i in range(110)], None, None),
}
# JSON escapes \\u0000 (NUL) and \\udadc (a lone surrogate): valid JSON, not storable text
UNSTORABLE = {
    "NUL in a list name": ("POST", "/watchlists", [], b'{"name": "a\\u0000b"}', 422),
    "lone surrogate in a list name": ("POST", "/watchlists", [], b'{"name": "\\udadc"}', 422),
    "NUL in a shared list name": (
        "POST",
        "/friendswatchlists",
        [],
        b'{"name": "a\\u0000", "friendId": "{dave}"}',
        422,
    ),
    "NUL in a display name": ("PATCH", "/users/{alice}", [], b'{"displayName": "a\\u0000"}', 422),
    "NUL in a search": ("GET", "/users?q=a%00", [], None, 422),
    "NUL in a sign-in email": (
        "POST",
        "/auth/signin",
        [],
        b'{"email": "a\\u0000@example.com", "password": "x"}',
        422,
    ),
}
CASES = (
    [pytest.param(name, HOSTILE[name], id=name) for name in HOSTILE]
    + [pytest.param(name, LIMITS[name], id=name) for name in LIMITS]
    + [pytest.param(name, UNSTORABLE[name], id=name) for name in UNSTORABLE]
)


@pytest.mark.parametrize("name,case", CASES)
def test_hostile_request_gets_a_problem_document(gateway, world, recorded, name, case):
    method, template, extra, body, status = case
    headers = [("Authorization", f"Bearer {world.alice.token}")] + extra
    if body is not None:
        headers.append(("Content-Type", "application/json"))
        body = body.replace(b"{alice}", world.alice.user_id.encode())
        body = body.replace(b"{dave}", world.dave.user_id.encode())
    answer = raw_request(recorded, gateway, method, world.path(template), headers, body)
    if status is None:  # a limit: served or refused with a 4xx, never a 5xx or HTML
        assert answer.status < 500, (answer.status, answer.text[:300])
        if answer.status < 400:
            return
    else:
        assert answer.status == status, (answer.status, answer.text[:300])
    assert answer.headers.get("content-type", "").startswith("application/problem+json")
