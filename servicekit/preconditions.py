"""Conditional requests (RFC 9110, 13): `ETag` from a version column, `If-Match`, `If-None-Match`.

A resource's tag is its integer version, quoted: `"7"`. The API layer reads the
headers here (`if_match()`, `not_modified()`); service functions get the parsed
`IfMatch` and call `require()` while they hold the row lock, so the comparison and
the write are one transaction and a stale writer gets 412 with nothing changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Response, request

from .errors import DomainError, PreconditionFailed

# One entity tag: optional weak prefix, then a quoted string of etagc characters.
_TAG = re.compile(r'\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')


class BadConditionalHeader(DomainError):
    """An `If-Match` or `If-None-Match` that is not `*` or a list of entity tags."""

    status, title = 400, "Bad request"


def etag(version: int) -> str:
    """The strong entity tag of a resource at `version`."""
    return f'"{int(version)}"'


@dataclass(frozen=True)
class Condition:
    """A parsed `If-Match` / `If-None-Match`: `*`, or (weak?, opaque tag) pairs."""

    any: bool = False
    tags: tuple[tuple[bool, str], ...] = ()

    def matches(self, current: str, *, weak: bool) -> bool:
        """Whether `current` (a strong tag) satisfies the condition.

        Strong comparison (`If-Match`) never matches a weak tag; weak comparison
        (`If-None-Match`) ignores the `W/` prefix.
        """
        if self.any:
            return True
        return any(tag == current and (weak or not is_weak) for is_weak, tag in self.tags)


def parse(value: str, header: str) -> Condition:
    """`*` or a comma-separated list of entity tags; 400 for anything else."""
    text = value.strip()
    if text == "*":
        return Condition(any=True)
    tags, position = [], 0
    while position < len(text):
        found = _TAG.match(text, position)
        if found is None or found.end() == position:
            raise BadConditionalHeader(
                f'{header} must be "*" or a list of quoted entity tags such as "7".'
            )
        tags.append((found.group(1) is not None, found.group(2)))
        position = found.end()
    if not tags:
        raise BadConditionalHeader(f"{header} is empty.")
    return Condition(tags=tuple(tags))


@dataclass(frozen=True)
class IfMatch:
    """The `If-Match` of a write, to check under the row lock; no header passes."""

    condition: Condition | None = None

    def require(self, version: int) -> None:
        """Raise 412 unless the current version satisfies the header (the caller rolls back)."""
        if self.condition is not None and not self.condition.matches(etag(version), weak=False):
            raise PreconditionFailed(
                "The resource changed since you read it: read it again (its ETag) and retry.",
                currentEtag=etag(version),
            )


ANY_VERSION = IfMatch()


def if_match() -> IfMatch:
    """The request's `If-Match`, parsed (400 if malformed)."""
    value = request.headers.get("If-Match")
    return IfMatch(None if value is None else parse(value, "If-Match"))


def not_modified(version: int) -> Response | None:
    """A 304 when the request's `If-None-Match` names the current version, else None."""
    value = request.headers.get("If-None-Match")
    if value is None or not parse(value, "If-None-Match").matches(etag(version), weak=True):
        return None
    return Response(status=304, headers={"ETag": etag(version)})


def tagged(version: int) -> dict[str, str]:
    """The headers that give an answer its tag."""
    return {"ETag": etag(version)}


def _header(name: str, description: str) -> dict[str, object]:
    return {"in": "header", "name": name, "required": False, "schema": {"type": "string"}} | {
        "description": description
    }


# OpenAPI pieces for the routes that take or give tags (`@blp.doc(**IF_MATCH_DOC)`,
# `@blp.response(..., headers=ETAG_HEADER)`).
IF_MATCH_DOC = {
    "parameters": [
        _header(
            "If-Match", 'Write only if the resource still has this ETag (or one of a list, or "*").'
        )
    ]
}
IF_NONE_MATCH_DOC = {
    "parameters": [_header("If-None-Match", "Answer 304 without a body if the ETag is this one.")]
}
ETAG_HEADER = {"ETag": {"description": "The version of the resource", "schema": {"type": "string"}}}
