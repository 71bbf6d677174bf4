"""An oversized body is a 413 problem document through the gateway every time, never a 502."""

from collections import Counter

# Before the 413 drained the body, the gateway answered 502 to about 1 in 10 of these.
ATTEMPTS = 60


def test_an_oversized_body_is_always_a_413_problem(user):
    body = '{"name": "' + "x" * (2 * 1024 * 1024) + '"}'
    answers = Counter()
    for _ in range(ATTEMPTS):
        response = user.post("/watchlists", data=body, headers={"Content-Type": "application/json"})
        answers[(response.status_code, response.headers.get("Content-Type"))] += 1
    assert answers == {(413, "application/problem+json"): ATTEMPTS}
