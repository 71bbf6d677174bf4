"""The migration that types titles: existing rows become movies, distributions rebuilt."""

from __future__ import annotations

import uuid

import psycopg
from alembic import command

from servicekit.migrate import alembic_config

BEFORE = "5b1e2c9d4a10"  # the per-person counts, untyped
ANN, BEN = "a" * 8, "b" * 8


def database_at(postgres: str, revision: str) -> str:
    """A fresh database migrated only up to `revision`; returns its URL."""
    name = f"typed_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{postgres}/{name}"
    command.upgrade(alembic_config("mediastatistics_service", url), revision)
    return url


def test_existing_counters_become_movies_with_their_rating_distribution(postgres, make_app):
    url = database_at(postgres, BEFORE)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO media_stats (media_id, watching, rating_count, rating_sum) "
            "VALUES (603, 2, 2, 15), (604, 1, 0, 0)"
        )
        conn.execute(
            "INSERT INTO person_status (person, media_id, status, n) "
            "VALUES (%s, 603, 'watching', 1), (%s, 603, 'watching', 2), (%s, 604, 'watching', 1)",
            (ANN, BEN, ANN),
        )
        conn.execute(
            "INSERT INTO person_rating (person, media_id, rated, rating) "
            "VALUES (%s, 603, 1, 7), (%s, 603, 2, 8)",
            (ANN, BEN),
        )

    command.upgrade(alembic_config("mediastatistics_service", url), "head")

    client = make_app("mediastatistics_service", DATABASE_URL=url).test_client()
    film = client.get("/mediastatistics/movie/603").get_json()
    assert (film["mediaType"], film["watching"], film["ratingAverage"]) == ("movie", 2, 7.5)
    assert film["ratingDistribution"] == {str(r): int(r in (7, 8)) for r in range(1, 11)}
    assert client.get("/mediastatistics/movie/604").get_json()["ratingDistribution"]["7"] == 0
    assert client.get("/mediastatistics/tv/603").get_json()["watching"] == 0
    with psycopg.connect(url) as conn:
        typed = conn.execute(
            "SELECT DISTINCT media_type FROM person_status UNION "
            "SELECT DISTINCT media_type FROM person_rating"
        ).fetchall()
    assert typed == [("movie",)]


def test_the_migration_goes_down_and_up_again(postgres):
    url = database_at(postgres, "head")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO media_stats (media_id, media_type, added) VALUES (5, 'movie', 1), "
            "(5, 'tv', 3)"
        )
    config = alembic_config("mediastatistics_service", url)
    command.downgrade(config, BEFORE)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT media_id, added FROM media_stats").fetchall() == [(5, 1)]
    command.upgrade(config, "head")
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT media_type, media_id, added FROM media_stats").fetchall()
    assert rows == [("movie", 5, 1)]
