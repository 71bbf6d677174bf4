"""feed tables: friend pairs, lists, activities, feed, event bookkeeping

Revision ID: a7c1d2e3f405
Revises:
Create Date: 2026-12-01 19:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a7c1d2e3f405"
down_revision = None
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "friend_pairs",
        sa.Column("user_low", sa.Uuid(), nullable=False),
        sa.Column("user_high", sa.Uuid(), nullable=False),
        sa.Column("friends", sa.Boolean(), nullable=False),
        sa.Column("changed_at", _TZ, nullable=False),
        sa.CheckConstraint("user_low < user_high", name="ck_friend_pairs_canonical"),
        sa.PrimaryKeyConstraint("user_low", "user_high"),
    )
    op.create_index(
        "ix_friend_pairs_high", "friend_pairs", ["user_high"], postgresql_where=sa.text("friends")
    )
    op.create_table(
        "lists",
        sa.Column("list_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("changed_at", _TZ, nullable=False),
        sa.CheckConstraint(
            "visibility IN ('private', 'friends', 'unlisted', 'public')", name="ck_lists_visibility"
        ),
        sa.PrimaryKeyConstraint("list_id"),
    )
    op.create_index("ix_lists_owner", "lists", ["owner_id"])
    op.create_table(
        "activities",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("list_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("media_type", sa.String(length=5), nullable=True),
        sa.Column("media_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("occurred_at", _TZ, nullable=False),
        sa.CheckConstraint(
            "kind IN ('added', 'started', 'finished', 'rated', 'listPublic')",
            name="ck_activities_kind",
        ),
        sa.CheckConstraint(
            "media_type IS NULL OR media_type IN ('movie', 'tv')", name="ck_activities_media_type"
        ),
        sa.CheckConstraint(
            "status IS NULL OR status IN ('added', 'watching', 'watched', 'on_hold', 'dropped')",
            name="ck_activities_status",
        ),
        sa.CheckConstraint("(kind = 'listPublic') = (media_id IS NULL)", name="ck_activities_title"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_activities_actor", "activities", ["actor_id", "occurred_at", "id"])
    op.create_index("ix_activities_title", "activities", ["list_id", "media_id", "media_type"])
    op.create_table(
        "feed",
        sa.Column("reader_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", _TZ, nullable=False),
        sa.Column("activity_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("reader_id", "occurred_at", "activity_id"),
    )
    op.create_index("ix_feed_activity", "feed", ["activity_id"])
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("processed_at", _TZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("partition", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", _TZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    for table in ("dead_letters", "processed_events", "feed", "activities", "lists", "friend_pairs"):
        op.drop_table(table)
