"""servicekit.preconditions and servicekit.keyset: header parsing, tag comparison, cursors."""

from __future__ import annotations

import pytest

from servicekit.errors import DomainError, PreconditionFailed, Unprocessable
from servicekit.keyset import MediaQuery, _after, next_cursor
from servicekit.preconditions import IfMatch, etag, parse


@pytest.mark.parametrize(
    ("header", "current", "weak", "matches"),
    [
        ('"3"', '"3"', False, True),
        ('"2"', '"3"', False, False),
        ('"1", "3"', '"3"', False, True),
        ('"1","2"', '"3"', False, False),
        ("*", '"3"', False, True),
        ('W/"3"', '"3"', False, False),  # If-Match compares strongly
        ('W/"3"', '"3"', True, True),  # If-None-Match compares weakly
        (' "3" ', '"3"', True, True),
    ],
)
def test_a_condition_matches_by_rfc_9110_comparison(header, current, weak, matches):
    assert parse(header, "If-Match").matches(current, weak=weak) is matches


@pytest.mark.parametrize("header", ["3", '"3', '"3" "4"', "", ",", '"3";x', "**"])
def test_a_malformed_condition_is_400(header):
    with pytest.raises(DomainError) as raised:
        parse(header, "If-Match")
    assert raised.value.status == 400


def test_a_stale_if_match_is_412_and_names_the_current_tag():
    with pytest.raises(PreconditionFailed) as raised:
        IfMatch(parse('"4"', "If-Match")).require(5)
    assert raised.value.status == 412 and raised.value.extra["currentEtag"] == etag(5)


def test_no_if_match_passes_any_version():
    IfMatch().require(99)


def _rows(count: int) -> list[tuple[str, int, int, str]]:
    return [("row", rating, media, "tv") for media, rating in enumerate(range(count), start=1)]


def test_a_cursor_resumes_after_the_last_row_of_its_page():
    query = MediaQuery(sort="rating", order="desc", limit=2)
    page, cursor = next_cursor(_rows(3), query)
    assert len(page) == 2 and cursor is not None
    assert _after(MediaQuery(sort="rating", order="desc", cursor=cursor)) == (1, 2, "tv")


def test_the_last_page_has_no_cursor():
    assert next_cursor(_rows(2), MediaQuery(limit=2)) == (_rows(2), None)


@pytest.mark.parametrize(
    "other",
    [{"sort": "addedAt"}, {"order": "asc"}, {"status": "watched"}, {"media_type": "movie"}],
)
def test_a_cursor_given_with_other_parameters_is_422(other):
    made = {"sort": "rating", "order": "desc", "status": None, "media_type": "tv"}
    _, cursor = next_cursor(_rows(3), MediaQuery(limit=1, **made))
    with pytest.raises(Unprocessable):
        _after(MediaQuery(**{**made, **other, "cursor": cursor}))


@pytest.mark.parametrize("cursor", ["nonsense", "W1tdXQ", "WyJhIiwgMV0"])
def test_a_cursor_the_api_never_made_is_422(cursor):
    with pytest.raises(Unprocessable):
        _after(MediaQuery(cursor=cursor))
