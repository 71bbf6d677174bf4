"""Export and import of personal lists: the formats, round trips, idempotency, bad files."""

from __future__ import annotations

import csv
import io
import json

import jsonschema_rs
import pytest
from sqlalchemy import select

from tests.helpers import ROOT
from tests.watchlist_service.support import Caller, outbox_count
from tests.watchlist_service.transfer_files import (
    DIARY_COLUMNS,
    diary_line,
    letterboxd_csv,
    mal_xml,
    trakt_export,
    trakt_movie,
)
from watchlist_service.models import db, outbox

SCHEMA = json.loads((ROOT / "docs" / "export.schema.json").read_text())


def export(caller: Caller, fmt: str = "json"):
    """The caller's export, read whole."""
    response = caller.request("GET", f"/watchlists/export?format={fmt}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def import_file(caller: Caller, fmt: str, data: bytes, status: int = 200) -> dict:
    """POST a file as the raw body; returns the report (or problem document)."""
    response = caller.request("POST", f"/watchlists/import?format={fmt}", data=data)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def filled_account(caller: Caller, media_id) -> tuple[int, int]:
    """Two lists (one empty), a film watched twice with notes, a series with episodes."""
    films = caller.new_list("Films")
    caller.new_list("Later")
    film, show = media_id(), media_id()
    caller.add(films, film, status="watched", rating=8, notes='Saw it twice; "great", really')
    watch = caller.request(
        "POST",
        f"/watchlists/{films}/media/movie/{film}/watches",
        json={"watchedAt": "2024-05-01T12:30:45.123456Z"},
    )
    assert watch.status_code == 201
    caller.add(
        films, show, mediaType="tv", status="watching", episodeProgress={"season": 2, "episode": 5}
    )
    return film, show


def lists_of(caller: Caller) -> dict:
    """The caller's lists by name, entries without their times of adding or ids."""
    document = json.loads(export(caller).get_data())
    return {
        w["name"]: [{k: v for k, v in e.items() if k not in ("addedAt",)} for e in w["entries"]]
        for w in document["lists"]
    }


def test_export_is_a_stream_that_validates_against_the_documented_schema(caller, media_id):
    filled_account(caller, media_id)
    response = caller.request("GET", "/watchlists/export?format=json")
    assert response.is_streamed
    document = json.loads(response.get_data())
    jsonschema_rs.validator_for(SCHEMA).validate(document)
    films = next(w for w in document["lists"] if w["name"] == "Films")
    watched = next(e for e in films["entries"] if e["mediaType"] == "movie")
    assert watched["timesWatched"] == 2
    assert "2024-05-01T12:30:45.123456Z" in watched["watches"]
    assert watched["notes"].startswith("Saw it twice")


def test_the_schema_refuses_a_document_that_breaks_it():
    bad = {"format": "watchlist-tracker-export", "schemaVersion": 1, "lists": "nope"}
    assert not jsonschema_rs.validator_for(SCHEMA).is_valid(bad)


def test_csv_export_has_one_row_per_entry_with_the_documented_columns(caller, media_id):
    film, show = filled_account(caller, media_id)
    text = export(caller, "csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "list",
        "mediaType",
        "mediaId",
        "status",
        "rating",
        "progress",
        "notes",
        "timesWatched",
        "lastWatchedAt",
        "addedAt",
    ]
    assert sorted((r["list"], r["mediaType"], int(r["mediaId"])) for r in rows) == sorted(
        [("Films", "movie", film), ("Films", "tv", show)]
    )
    assert next(r for r in rows if r["mediaType"] == "movie")["timesWatched"] == "2"


def test_round_trip_into_a_fresh_account_gives_the_same_lists_and_entries(client, media_id):
    source, target = Caller(client), Caller(client)
    filled_account(source, media_id)
    report = import_file(target, "json", export(source).get_data())
    assert report["created"] == 3 and report["updated"] == 0
    assert lists_of(target) == lists_of(source)


@pytest.mark.parametrize("fmt", ["json", "trakt", "letterboxd"])
def test_importing_the_same_file_twice_changes_nothing(client, app, media_id, fmt):
    caller = Caller(client)
    data = _sample(fmt, media_id, Caller(client))
    first = import_file(caller, fmt, data)
    assert first["created"] > 0
    before_lists, before_outbox = export(caller).get_data(), outbox_count(app)
    etags = _etags(caller)
    second = import_file(caller, fmt, data)
    assert second["created"] == second["updated"] == 0
    reasons = {r.get("reason") for r in second["rows"]}
    assert "unchanged" in reasons
    assert outbox_count(app) == before_outbox
    assert _etags(caller) == etags
    assert _without_time(export(caller).get_data()) == _without_time(before_lists)


def test_an_import_updates_entries_whose_values_differ(caller, media_id):
    film = media_id()
    items = [trakt_movie(film, rating=6)]
    import_file(caller, "trakt", json.dumps(items).encode())
    report = import_file(caller, "trakt", json.dumps([trakt_movie(film, rating=9)]).encode())
    assert (report["created"], report["updated"]) == (0, 1)
    assert lists_of(caller)["Trakt watchlist"][0]["rating"] == 9


def test_trakt_import_files_watchlist_and_history_and_skips_what_is_not_a_title(caller, media_id):
    films, show, watched = [media_id(), media_id()], media_id(), media_id()
    report = import_file(caller, "trakt", trakt_export(films, show, watched))
    assert (report["created"], report["skipped"]) == (5, 1)
    skipped = next(r for r in report["rows"] if r["result"] == "skipped")
    assert skipped["row"] == "watchlist[3]" and "person" in skipped["reason"]
    lists = lists_of(caller)
    assert {e["mediaType"] for e in lists["Trakt watchlist"]} == {"movie", "tv"}
    [history] = lists["Trakt history"]
    assert (history["mediaId"], history["status"], history["timesWatched"]) == (
        watched,
        "watched",
        2,
    )


def test_letterboxd_ratings_become_one_to_ten_and_rows_without_ids_are_skipped(caller, media_id):
    film = media_id()
    rows = [
        diary_line("Heat", "4.5", "2024-04-01", tmdbID=str(film)),
        diary_line("Ran", "0.5", "2024-04-02", tmdbID=""),
    ]
    report = import_file(caller, "letterboxd", letterboxd_csv(rows, (*DIARY_COLUMNS, "tmdbID")))
    assert (report["created"], report["skipped"]) == (1, 1)
    assert "no TMDB id" in report["rows"][1]["reason"] and report["rows"][1]["row"] == "line 3"
    [entry] = lists_of(caller)["Letterboxd diary"]
    assert (entry["rating"], entry["status"], entry["timesWatched"]) == (9, "watched", 1)


def test_mal_rows_are_checked_then_skipped_with_the_reason(caller):
    report = import_file(caller, "mal", mal_xml([(1, "Completed", 9, 26), (5, "Watching", 0, 3)]))
    assert (report["created"], report["skipped"]) == (0, 2)
    assert all("MyAnimeList id" in r["reason"] for r in report["rows"])
    assert lists_of(caller) == {}


_GOOD_JSON = {"format": "watchlist-tracker-export", "schemaVersion": 1, "lists": []}
BAD_FILES = [
    ("json", b"{not json", "line 1"),
    ("json", json.dumps({**_GOOD_JSON, "format": "other"}).encode(), "file"),
    (
        "json",
        json.dumps(
            {
                **_GOOD_JSON,
                "lists": [
                    {"name": "A", "entries": [{"mediaType": "movie", "mediaId": 5}]},
                    {"name": "B", "entries": [{"mediaType": "movie", "mediaId": 6, "rating": 11}]},
                ],
            }
        ).encode(),
        "lists[1].entries[0]",
    ),
    (
        "trakt",
        json.dumps([trakt_movie(5), {"type": "movie", "movie": {"ids": {"tmdb": "x"}}}]).encode(),
        "item 1",
    ),
    (
        "trakt",
        json.dumps({"history": [trakt_movie(5, watched_at="yesterday")]}).encode(),
        "history[0]",
    ),
    (
        "trakt",
        json.dumps({"history": [trakt_movie(5, watched_at="2999-01-01T00:00:00Z")]}).encode(),
        "history[0]",
    ),
    ("letterboxd", b"Date,Name\n2024-01-01,Heat\n", "line 1"),
    (
        "letterboxd",
        letterboxd_csv(
            [
                diary_line("Heat", "4", "2024-01-01", tmdbID="5"),
                diary_line("Ran", "7", "2024-01-02", tmdbID="6"),
            ],
            (*DIARY_COLUMNS, "tmdbID"),
        ),
        "line 3",
    ),
    (
        "letterboxd",
        letterboxd_csv(
            [diary_line("Heat", "4", "01/02/2024", tmdbID="5")], (*DIARY_COLUMNS, "tmdbID")
        ),
        "line 2",
    ),
    ("letterboxd", b"\xff\xfe\x00garbage", "file"),
    ("mal", b"<myanimelist><anime><series_animedb_id>1</series_animedb_id>", "line 1"),
    ("mal", mal_xml([(1, "Completed", 9, 26), (2, "Finished", 9, 26)]), "anime 1"),
    ("mal", mal_xml([(1, "Completed", 11, 26)]), "anime 0"),
    (
        "mal",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
        b"<myanimelist>&b;</myanimelist>",
        "file",
    ),
]


# Inputs that once reached Python errors (a 500) instead of a 422.
BAD_FILES += [
    ("json", b'{"n": ' + b"9" * 5000 + b"}", "file"),
    ("trakt", json.dumps({"history": [trakt_movie(5)]}).encode(), "history[0]"),
    (
        "letterboxd",
        letterboxd_csv([diary_line("Heat", "nan", "2024-01-01")], DIARY_COLUMNS),
        "line 2",
    ),
    (
        "letterboxd",
        letterboxd_csv(
            [diary_line("Heat", "4", "2024-01-01", tmdbID="\u00b2")], (*DIARY_COLUMNS, "tmdbID")
        ),
        "line 2",
    ),
    (
        "mal",
        mal_xml([(1, "Completed", 9, 26)]).replace(b"<my_score>9", "<my_score>\u00b2".encode()),
        "anime 0",
    ),
]


@pytest.mark.parametrize(("fmt", "data", "row"), BAD_FILES)
def test_a_bad_file_is_refused_naming_its_first_bad_row_and_nothing_is_imported(
    caller, app, fmt, data, row
):
    before = outbox_count(app)
    problem = import_file(caller, fmt, data, status=422)
    assert problem["row"] == row and row in problem["errors"]
    assert lists_of(caller) == {}
    assert outbox_count(app) == before


def test_a_file_over_ten_megabytes_is_413_and_imports_nothing(caller):
    big = b"[" + b" " * (10 * 1024 * 1024) + b"]"
    response = caller.request("POST", "/watchlists/import?format=trakt", data=big)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_a_file_over_the_usual_body_limit_but_under_ten_megabytes_is_imported(caller, media_id):
    items = [trakt_movie(media_id()) for _ in range(10)]
    data = json.dumps(items).encode() + b" " * (2 * 1024 * 1024)
    response = caller.request(
        "POST", "/watchlists/import?format=trakt", data=data, content_type="application/json"
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 10


@pytest.mark.parametrize("query", ["", "?format=xlsx"])
def test_an_import_without_a_known_format_is_422(caller, query):
    response = caller.request("POST", f"/watchlists/import{query}", data=b"[]")
    assert response.status_code == 422


def test_an_import_queues_one_typed_event_per_created_entry(caller, app, media_id):
    film, show = media_id(), media_id()
    data = trakt_export([film], show, media_id())
    before = outbox_count(app)
    import_file(caller, "trakt", data)
    assert outbox_count(app) == before + 3
    with app.app_context():
        payloads = [row.payload for row in db.session.execute(select(outbox.c.payload))]
    mine = {
        (p["mediaType"], p["mediaId"]): p
        for p in payloads
        if p.get("actorId") == str(caller.user_id)
    }
    assert mine[("tv", show)]["after"]["status"] == "added"
    assert mine[("movie", film)]["before"] is None


def _sample(fmt: str, media_id, other: Caller) -> bytes:
    if fmt == "json":
        filled_account(other, media_id)
        return export(other).get_data()
    if fmt == "trakt":
        return trakt_export([media_id()], media_id(), media_id())
    rows = [diary_line("Heat", "3.5", "2024-01-01", tmdbID=str(media_id()))]
    return letterboxd_csv(rows, (*DIARY_COLUMNS, "tmdbID"))


def _etags(caller: Caller) -> list[str]:
    items = caller.request("GET", "/watchlists").get_json()["items"]
    return sorted(
        caller.request("GET", f"/watchlists/{w['listId']}").headers["ETag"] for w in items
    )


def _without_time(data: bytes) -> dict:
    document = json.loads(data)
    document.pop("exportedAt")
    return document
