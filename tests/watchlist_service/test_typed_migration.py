"""The migration that types entries: existing ones become movies, and it goes down and up."""

from __future__ import annotations

import uuid

import psycopg
from alembic import command

from servicekit.migrate import alembic_config
from tests.helpers import identity

BEFORE = "3c5e1a7d9b20"  # versions and page indexes, untyped entries


def database_at(postgres: str, service: str, revision: str) -> str:
    """A fresh database of `service` migrated only up to `revision`; returns its URL."""
    name = f"typed_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{postgres}/{name}"
    command.upgrade(alembic_config(service, url), revision)
    return url


def test_existing_entries_become_movies_beside_which_a_series_fits(postgres, make_app):
    url = database_at(postgres, "watchlist_service", BEFORE)
    owner, list_id = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO lists (id, owner_id, name) VALUES (%s, %s, 'Old')", (list_id, owner)
        )
        conn.execute(
            "INSERT INTO entries (list_id, media_id, status, rating) "
            "VALUES (%s, 603, 'watched', 9), (%s, 604, 'added', NULL)",
            (list_id, list_id),
        )

    command.upgrade(alembic_config("watchlist_service", url), "head")

    client = make_app("watchlist_service", DATABASE_URL=url).test_client()
    me = identity(owner)
    media = client.get(f"/watchlists/{list_id}", headers=me).get_json()["media"]
    assert [(m["mediaType"], m["mediaId"], m["rating"], m["timesWatched"]) for m in media] == [
        ("movie", 603, 9, 0),
        ("movie", 604, None, 0),
    ]
    series = client.post(
        f"/watchlists/{list_id}/media", json={"mediaType": "tv", "mediaId": 603}, headers=me
    )
    assert series.status_code == 201
    old_path = client.patch(f"/watchlists/{list_id}/media/603", json={"rating": 5}, headers=me)
    assert old_path.get_json()["mediaType"] == "movie" and old_path.get_json()["rating"] == 5


def test_the_migration_goes_down_and_up_again(postgres):
    url = database_at(postgres, "watchlist_service", "head")
    list_id = uuid.uuid4()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO lists (id, owner_id, name) VALUES (%s, %s, 'L')", (list_id, uuid.uuid4())
        )
        conn.execute(
            "INSERT INTO entries (list_id, media_type, media_id) VALUES (%s, 'movie', 5), "
            "(%s, 'tv', 5)",
            (list_id, list_id),
        )
    config = alembic_config("watchlist_service", url)
    command.downgrade(config, BEFORE)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT media_id FROM entries").fetchall() == [(5,)]
    command.upgrade(config, "head")
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT media_type, media_id, times_watched FROM entries").fetchall()
    assert rows == [("movie", 5, 0)]
