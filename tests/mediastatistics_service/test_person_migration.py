"""The migration that adds per-person statistics fills each owner's figures from the person rows."""

from __future__ import annotations

import uuid

import psycopg
from alembic import command

from servicekit.migrate import alembic_config
from tests.helpers import identity
from tests.mediastatistics_service.test_typed_migration import database_at

BEFORE = "9c4d2e7f1a30"  # typed titles, no per-person statistics
ANN = str(uuid.uuid4())


def test_existing_people_read_their_totals_after_the_upgrade(postgres, make_app):
    url = database_at(postgres, BEFORE)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO person_status (person, media_id, media_type, status, n) VALUES "
            "(%(a)s, 603, 'movie', 'watching', 2), (%(a)s, 603, 'movie', 'watched', 1), "
            "(%(a)s, 1399, 'tv', 'watched', 1), ('list:old', 603, 'movie', 'added', 1)",
            {"a": ANN},
        )
        conn.execute(
            "INSERT INTO person_rating (person, media_id, media_type, rated, rating) VALUES "
            "(%(a)s, 603, 'movie', 2, 9), (%(a)s, 1399, 'tv', 1, 6)",
            {"a": ANN},
        )

    command.upgrade(alembic_config("mediastatistics_service", url), "head")

    client = make_app("mediastatistics_service", DATABASE_URL=url).test_client()
    body = client.get(f"/users/{ANN}/stats", headers=identity(ANN)).get_json()
    assert body["statuses"] == {"added": 0, "watching": 1, "watched": 2, "onHold": 0, "dropped": 0}
    assert (body["total"], body["byType"]) == (3, {"movie": 1, "tv": 1})
    assert (body["ratingCount"], body["ratingAverage"], body["watches"]) == (2, 7.5, 0)
    assert client.get(f"/users/{ANN}/stats").get_json()["total"] == 0  # all of it private
    with psycopg.connect(url) as conn:
        stand_ins = conn.execute(
            "SELECT count(*) FROM person_totals WHERE person LIKE 'list:%'"
        ).fetchone()
    assert stand_ins == (0,)


def test_the_migration_goes_down_and_up_again(postgres):
    url = database_at(postgres, "head")
    config = alembic_config("mediastatistics_service", url)
    command.downgrade(config, BEFORE)
    command.upgrade(config, "head")
