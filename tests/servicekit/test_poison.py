"""The poison check's shortcut: a value it lets skip the walk really is safe."""

from __future__ import annotations

import json

import pytest

from servicekit.poison import MAX_EVENT_DEPTH, plainly_safe, unsafe_json

UNSAFE = {
    "escaped NUL": json.dumps({"eventId": "x", "listId": "a\0b"}).encode(),
    "escaped lone surrogate": b'{"eventId": "x", "listId": "\\udadc"}',
    "lone surrogate's three bytes": b'{"eventId": "x", "listId": "\xed\xa0\x80"}',
    "escaped NUL in UTF-16": '{"eventId": "x", "k": "a\\u0000b"}'.encode("utf-16-le"),
    "too deep": json.dumps({"x": json.loads("[" * 40 + "]" * 40)}).encode(),
}


@pytest.mark.parametrize("raw", UNSAFE.values(), ids=UNSAFE.keys())
def test_what_the_walk_refuses_never_takes_the_shortcut(raw):
    body = json.loads(raw)
    assert unsafe_json(body) is not None  # the walk refuses it
    assert not plainly_safe(raw)
    assert unsafe_json(body, raw) == unsafe_json(body)


def test_an_ordinary_event_takes_the_shortcut_and_a_non_ascii_one_is_walked():
    ordinary = json.dumps({"eventId": "e1", "after": {"status": "watched", "rating": 7}}).encode()
    assert plainly_safe(ordinary) and unsafe_json(json.loads(ordinary), ordinary) is None
    named = json.dumps({"eventId": "e2", "name": "Amélie"}).encode()  # escaped as \u00e9
    assert not plainly_safe(named) and unsafe_json(json.loads(named), named) is None


def test_nesting_up_to_the_limit_is_shortcut_and_one_more_bracket_is_walked():
    at_limit = ("[" * MAX_EVENT_DEPTH + "]" * MAX_EVENT_DEPTH).encode()
    assert plainly_safe(at_limit) and unsafe_json(json.loads(at_limit)) is None
    assert not plainly_safe(b"[" + at_limit + b"]")
