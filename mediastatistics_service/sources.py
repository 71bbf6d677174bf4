"""What the list services hold, per media and person, for reconciliation to compare.

Both list services answer `GET /internal/person-counts?after=&limit=` (pages in media id
order): per media, per person its entries count for, the entries per status and
`[rating, updatedAtEpoch]` of each rated entry. An answer that is not exactly that shape
is a 503: reconciliation never rewrites counters from a reply it cannot trust.

Titles are typed here, list entries not yet: an item without `mediaType` is a movie.
Once the list services type their entries their items carry `mediaType`, in
(mediaId, mediaType) order with both types of one mediaId on the same page; nothing here
changes then.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from itertools import groupby
from typing import Any

from servicekit.contract import (
    DEFAULT_MEDIA_TYPE,
    MAX_RATING,
    MEDIA_TYPES,
    MIN_RATING,
    SOURCES,
    STATUS_FIELDS,
)
from servicekit.errors import ServiceUnavailable
from servicekit.http import CONNECT_TIMEOUT_S, service_client

from .bulk import Title
from .people import Held, Media

PAGE = 1000
# A page is a batch read of up to PAGE titles with every person holding them, not a request
# someone waits on: at a million entries its first page (the most held titles) takes
# seconds, far beyond the 1 s an interactive service call gets.
PAGE_TIMEOUT_S = (CONNECT_TIMEOUT_S, 60.0)


def _bad_answer(service: str) -> ServiceUnavailable:
    return ServiceUnavailable(f"The {service} service gave an unusable person-counts answer.")


def _count(item: dict[str, Any], name: str, service: str) -> int:
    value = item.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _bad_answer(service)
    return value


def _person(item: Any, service: str) -> tuple[str, Held]:
    if not isinstance(item, dict) or not isinstance(item.get("userId"), str):
        raise _bad_answer(service)
    ratings = item.get("ratings")
    if not isinstance(ratings, list):
        raise _bad_answer(service)
    pairs = []
    for pair in ratings:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], int)):
            raise _bad_answer(service)
        if not MIN_RATING <= pair[0] <= MAX_RATING or not isinstance(pair[1], int | float):
            raise _bad_answer(service)
        pairs.append((pair[0], float(pair[1])))
    statuses = tuple(_count(item, name, service) for name in STATUS_FIELDS)
    return item["userId"], (statuses, tuple(pairs))


def _title(item: dict[str, Any], service: str) -> Title:
    media_type = item.get("mediaType", DEFAULT_MEDIA_TYPE)
    if media_type not in MEDIA_TYPES:
        raise _bad_answer(service)
    return _count(item, "mediaId", service), media_type


def source_pages(service: str) -> Iterator[tuple[Title, Media]]:
    """One list service's people per title, ascending by (media id, type), page by page."""
    after, last = 0, (0, "")
    while True:
        response = service_client().get(
            service, f"/internal/person-counts?after={after}&limit={PAGE}", timeout=PAGE_TIMEOUT_S
        )
        body = response.json() if response.status_code == 200 else None
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise _bad_answer(service)
        floor = after  # every item of this page lies past the last page's media id
        for item in body["items"]:
            item = item if isinstance(item, dict) else {}
            title = _title(item, service)
            if title[0] <= floor or title <= last or not isinstance(item.get("people"), list):
                raise _bad_answer(service)
            yield title, dict(_person(p, service) for p in item["people"])
            after, last = title[0], title
        next_after = body.get("nextAfter")
        if next_after is None:
            return
        if not isinstance(next_after, int) or isinstance(next_after, bool) or next_after < after:
            raise _bad_answer(service)
        after = next_after


def _merge(parts: list[Media]) -> Media:
    """One person's entries in both services add up; their ratings are pooled."""
    merged: Media = {}
    for part in parts:
        for person, (statuses, ratings) in part.items():
            if person in merged:
                old_statuses, old_ratings = merged[person]
                statuses = tuple(a + b for a, b in zip(old_statuses, statuses, strict=True))
                ratings = old_ratings + ratings
            merged[person] = (statuses, tuple(sorted(ratings, key=lambda p: -p[1])))
    return merged


def source_people() -> Iterator[tuple[Title, Media]]:
    """Both list services' people per title, merged, ascending by (media id, type)."""
    pages = heapq.merge(*(source_pages(s) for s in SOURCES), key=lambda pair: pair[0])
    for title, group in groupby(pages, key=lambda pair: pair[0]):
        yield title, _merge([people for _, people in group])
