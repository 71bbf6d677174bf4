"""An oversized body is a 413 problem document through the gateway every time, never a 502."""

from collections import Counter

import pytest

ATTEMPTS = 60  # the gateway's 502 came back for about 1 in 10 attempts at the watchlist service


@pytest.mark.xfail(
    strict=True,
    reason="bug: the service answers 413 and closes without reading the body; Traefik sees a "
    "reset and answers 502 (servicekit/errors.py _handle_http should drain the input on 413)",
)
def test_an_oversized_body_is_always_a_413_problem(user):
    body = '{"name": "' + "x" * (2 * 1024 * 1024) + '"}'
    answers = Counter()
    for _ in range(ATTEMPTS):
        response = user.post("/watchlists", data=body, headers={"Content-Type": "application/json"})
        answers[(response.status_code, response.headers.get("Content-Type"))] += 1
    assert answers == {(413, "application/problem+json"): ATTEMPTS}
