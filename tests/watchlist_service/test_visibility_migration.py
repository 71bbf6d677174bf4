"""The migration that adds list visibility: existing lists stay private, their ETags move,
and it goes down and up."""

from __future__ import annotations

import uuid

import psycopg
from alembic import command

from servicekit.migrate import alembic_config
from tests.helpers import identity
from tests.watchlist_service.test_typed_migration import database_at

BEFORE = "e5a7c9b1d302"  # typed entries, notes, watches; no visibility


def test_existing_lists_become_private_with_a_new_etag_and_others_get_404(postgres, make_app):
    url = database_at(postgres, "watchlist_service", BEFORE)
    owner, list_id = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO lists (id, owner_id, name, version) VALUES (%s, %s, 'Old', 4)",
            (list_id, owner),
        )

    command.upgrade(alembic_config("watchlist_service", url), "head")

    client = make_app("watchlist_service", DATABASE_URL=url).test_client()
    shown = client.get(f"/watchlists/{list_id}", headers=identity(owner))
    assert shown.get_json()["visibility"] == "private"
    assert shown.headers["ETag"] == '"5"'
    assert client.get(f"/watchlists/{list_id}").status_code == 404
    assert client.get(f"/watchlists/{list_id}", headers=identity(uuid.uuid4())).status_code == 404


def test_the_visibility_migration_goes_down_and_up_again(postgres):
    url = database_at(postgres, "watchlist_service", "head")
    config = alembic_config("watchlist_service", url)
    command.downgrade(config, BEFORE)
    with psycopg.connect(url, autocommit=True) as conn:
        columns = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'lists'"
        ).fetchall()
    assert ("visibility",) not in columns
    command.upgrade(config, "head")
