"""The members migration: two-person lists carry over, and it goes down and up again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import psycopg
from alembic import command

from servicekit.migrate import alembic_config
from tests.helpers import identity

from .test_typed_migration import database_at

SERVICE = "friendswatchlist_service"
BEFORE = "f1b3d5e7a904"  # typed entries; member_id and invitee_id on shared_lists
SENT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _old_lists(url: str) -> dict[str, uuid.UUID]:
    """An active list with a member, a pending one with an invitee, one its member left."""
    ids = {
        name: uuid.uuid4() for name in ("owner", "member", "invitee", "active", "pending", "left")
    }
    with psycopg.connect(url, autocommit=True) as conn:
        rows = [
            (ids["active"], ids["member"], None, "active"),
            (ids["pending"], None, ids["invitee"], "pending"),
            (ids["left"], None, None, "active"),
        ]
        for list_id, member, invitee, state in rows:
            conn.execute(
                "INSERT INTO shared_lists"
                " (id, name, owner_id, member_id, invitee_id, state, sent_at)"
                " VALUES (%s, 'Old', %s, %s, %s, %s, %s)",
                (list_id, ids["owner"], member, invitee, state, SENT),
            )
        conn.execute(
            "INSERT INTO entries (list_id, media_type, media_id) VALUES (%s, 'movie', 7)",
            (ids["active"],),
        )
    return ids


def test_members_and_invitees_become_membership_rows(postgres, make_app):
    url = database_at(postgres, SERVICE, BEFORE)
    ids = _old_lists(url)
    command.upgrade(alembic_config(SERVICE, url), "head")

    client = make_app(SERVICE, DATABASE_URL=url).test_client()
    active = client.get(f"/friendswatchlists/{ids['active']}", headers=identity(ids["member"]))
    assert active.status_code == 200
    body = active.get_json()
    assert body["owner"]["userId"] == str(ids["owner"]) and body["state"] == "active"
    assert body["member"]["userId"] == str(ids["member"])
    assert [(m["userId"], m["state"], m["since"]) for m in body["members"]] == [
        (str(ids["member"]), "active", "2026-11-01T12:00:00.000Z")
    ]
    invited = client.get("/friendswatchlists/invites", headers=identity(ids["invitee"]))
    assert [(i["listId"], i["sentAt"]) for i in invited.get_json()["items"]] == [
        (str(ids["pending"]), "2026-11-01T12:00:00.000Z")
    ]
    left = client.get(f"/friendswatchlists/{ids['left']}", headers=identity(ids["owner"]))
    assert left.get_json()["members"] == [] and left.get_json()["member"] is None
    with psycopg.connect(url) as conn:
        counts = dict(conn.execute("SELECT id, people FROM shared_lists").fetchall())
    assert counts == {ids["active"]: 1, ids["pending"]: 1, ids["left"]: 0}
    # The carried-over list works as a new one: its member edits, its invitee accepts.
    edited = client.patch(
        f"/friendswatchlists/{ids['active']}/media/movie/7",
        json={"rating": 4},
        headers=identity(ids["member"]),
    )
    assert edited.status_code == 200
    accepted = client.post(
        f"/friendswatchlists/{ids['pending']}/accept", headers=identity(ids["invitee"])
    )
    assert accepted.status_code == 200 and accepted.get_json()["state"] == "active"


def test_the_migration_goes_down_and_up_again(postgres):
    url = database_at(postgres, SERVICE, BEFORE)
    ids = _old_lists(url)
    config = alembic_config(SERVICE, url)
    command.upgrade(config, "head")
    command.downgrade(config, BEFORE)
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT id, member_id, invitee_id, state, sent_at FROM shared_lists"
        ).fetchall()
    assert sorted(rows) == sorted(
        [
            (ids["active"], ids["member"], None, "active", SENT),
            (ids["pending"], None, ids["invitee"], "pending", SENT),
            (ids["left"], None, None, "active", None),
        ]
    )
    command.upgrade(config, "head")
    with psycopg.connect(url) as conn:
        people = conn.execute("SELECT count(*) FROM shared_list_members").fetchone()
    assert people == (2,)
