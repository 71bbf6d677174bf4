"""Poison events: what makes a value unsafe to apply, how a dead letter stores any value,
and when the consumer stops retrying a batch.

A dead letter keeps the value for an operator, and the insert must succeed whatever
the value is: PostgreSQL text holds neither NUL nor invalid UTF-8, and a value that
carried them is exactly what lands here. Such a value is stored JSON-escaped
(`json.dumps` of the text, ASCII only, without the outer quotes; bytes that are not
UTF-8 appear as `\\udcXX`), which `json.loads('"' + value + '"')` and
`.encode("utf-8", "surrogateescape")` turn back into the exact bytes; the reason says so.
"""

from __future__ import annotations

import json
from typing import Any

from confluent_kafka import Message
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

MAX_EVENT_DEPTH = 32
ESCAPED_NOTE = " (value stored JSON-escaped)"


def _bad_text(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def plainly_safe(raw: bytes) -> bool:
    """True when the JSON text `raw` cannot hold what `unsafe_json` looks for.

    Within valid JSON a NUL can only be written as a `\\u` escape (the parser refuses a
    raw control character); a lone surrogate comes from a `\\u` escape or from its
    three-byte form, which starts with 0xED (the parser decodes bytes with
    "surrogatepass"); nesting needs a bracket per level. Without NUL bytes the parser
    reads the text as UTF-8, so the byte checks see the characters. This spares the
    walk for nearly every event (it was a sixth of catch-up time); the rest (non-ASCII
    text is escaped by the producers' JSON) are walked.
    """
    return (
        b"\\u" not in raw
        and b"\x00" not in raw
        and b"\xed" not in raw
        and raw.count(b"{") + raw.count(b"[") <= MAX_EVENT_DEPTH
    )


def unsafe_json(body: Any, raw: bytes | None = None) -> str | None:
    """Why a decoded event must not reach a handler (too deep, unstorable text), or None.

    `raw`, the text `body` was parsed from, lets a plainly safe value skip the walk.
    """
    if raw is not None and plainly_safe(raw):
        return None
    stack: list[tuple[Any, int]] = [(body, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_EVENT_DEPTH:
            return f"value is nested deeper than {MAX_EVENT_DEPTH} levels"
        if isinstance(value, str) and _bad_text(value):
            return "value carries a NUL character or an unpaired surrogate"
        if isinstance(value, dict):
            for key, item in value.items():
                if _bad_text(key):
                    return "value carries a NUL character or an unpaired surrogate"
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return None


def storable(value: bytes | str | None) -> tuple[str | None, bool]:
    """Text PostgreSQL accepts for `value`, and whether it had to be escaped."""
    if value is None:
        return None, False
    text = value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value
    if not _bad_text(text):
        return text, False
    return json.dumps(text)[1:-1], True


def dead_row(
    topic: str | None,
    partition: int | None,
    offset: int | None,
    key: bytes | str | None,
    value: bytes | str | None,
    reason: str,
) -> dict[str, Any]:
    """A dead-letter row whose insert cannot fail on the message's content."""
    stored_key, key_escaped = storable(key)
    stored_value, value_escaped = storable(value)
    if key_escaped or value_escaped:
        reason += ESCAPED_NOTE
    return {
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "key": stored_key,
        "value": stored_value or "",
        "reason": storable(reason)[0],
    }


def batch_starts(messages: list[Message]) -> frozenset[tuple[tuple[str, int], int]]:
    """Where a batch starts on each partition: the same batch, re-polled, starts there too."""
    starts: dict[tuple[str, int], int] = {}
    for msg in messages:
        # a polled message (not an error) always has its topic, partition and offset
        tp, offset = (msg.topic() or "", msg.partition() or 0), msg.offset() or 0
        starts[tp] = min(starts.get(tp, offset), offset)
    return frozenset(starts.items())


def database_unreachable(exc: Exception) -> bool:
    """The database could not be reached: no fault of the events, so retried without limit."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class Attempts:
    """Failed attempts at the batch that starts at one set of positions."""

    def __init__(self) -> None:
        self._starts: frozenset[tuple[tuple[str, int], int]] = frozenset()
        self._count = 0

    def failed(self, messages: list[Message]) -> int:
        """Count one more failure of this batch (a different batch starts from one)."""
        starts = batch_starts(messages)
        self._count = self._count + 1 if starts == self._starts else 1
        self._starts = starts
        return self._count

    def reset(self) -> None:
        """The batch went through."""
        self._starts, self._count = frozenset(), 0
