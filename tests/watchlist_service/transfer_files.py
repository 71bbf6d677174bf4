"""Small import files made by the tests, shaped like the real exports of each format."""

from __future__ import annotations

import csv
import io
import json


def trakt_movie(tmdb: int, **extra) -> dict:
    """A Trakt item for a film, as watchlist.json and history.json hold them."""
    ids = {"trakt": tmdb + 7, "slug": f"film-{tmdb}", "imdb": f"tt{tmdb:07d}", "tmdb": tmdb}
    return {"type": "movie", "movie": {"title": f"Film {tmdb}", "year": 1999, "ids": ids}, **extra}


def trakt_show(tmdb: int | None, **extra) -> dict:
    """A Trakt item for a series (`tmdb` None: an item Trakt holds without a TMDB id)."""
    ids = {"trakt": 42, "slug": "a-show", "tvdb": 81189, "tmdb": tmdb}
    return {"type": "show", "show": {"title": "A show", "year": 2008, "ids": ids}, **extra}


def trakt_export(films: list[int], show: int, watched: int) -> bytes:
    """{watchlist, history}: films and a show to watch, one film watched twice."""
    watchlist = [
        trakt_movie(m, rank=i + 1, listed_at="2024-01-02T03:04:05.000Z")
        for i, m in enumerate(films)
    ]
    watchlist.append(trakt_show(show, rank=len(films) + 1, listed_at="2024-01-03T00:00:00.000Z"))
    watchlist.append({"type": "person", "person": {"name": "Someone", "ids": {"tmdb": 1}}})
    history = [
        trakt_movie(watched, id=1, watched_at="2024-02-01T20:00:00.000Z", action="watch"),
        trakt_movie(watched, id=2, watched_at="2024-03-01T20:00:00.000Z", action="watch"),
    ]
    return json.dumps({"watchlist": watchlist, "history": history}).encode()


def letterboxd_csv(rows: list[dict], columns: tuple[str, ...]) -> bytes:
    """A Letterboxd export (diary.csv, watchlist.csv) with these columns."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


DIARY_COLUMNS = (
    "Date",
    "Name",
    "Year",
    "Letterboxd URI",
    "Rating",
    "Rewatch",
    "Tags",
    "Watched Date",
)


def diary_line(name: str, rating: str, watched: str, **extra) -> dict:
    """One diary.csv line."""
    return {
        "Date": watched,
        "Name": name,
        "Year": "1999",
        "Letterboxd URI": f"https://letterboxd.com/film/{name.lower().replace(' ', '-')}/",
        "Rating": rating,
        "Rewatch": "",
        "Tags": "",
        "Watched Date": watched,
        **extra,
    }


def mal_xml(anime: list[tuple[int, str, int, int]]) -> bytes:
    """A MyAnimeList export: (id, my_status, my_score, my_watched_episodes) per anime."""
    items = "".join(
        f"""
  <anime>
    <series_animedb_id>{i}</series_animedb_id>
    <series_title><![CDATA[Anime {i}]]></series_title>
    <series_type>TV</series_type>
    <series_episodes>26</series_episodes>
    <my_id>0</my_id>
    <my_watched_episodes>{episodes}</my_watched_episodes>
    <my_start_date>0000-00-00</my_start_date>
    <my_finish_date>0000-00-00</my_finish_date>
    <my_score>{score}</my_score>
    <my_status>{status}</my_status>
    <my_times_watched>0</my_times_watched>
    <update_on_import>1</update_on_import>
  </anime>"""
        for i, status, score, episodes in anime
    )
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<myanimelist>
  <myinfo>
    <user_id>1</user_id>
    <user_name>someone</user_name>
    <user_export_type>1</user_export_type>
    <user_total_anime>{len(anime)}</user_total_anime>
  </myinfo>{items}
</myanimelist>
""".encode()
