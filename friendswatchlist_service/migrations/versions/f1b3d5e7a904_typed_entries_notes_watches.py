"""typed entries (existing ones become movies), notes, episode progress, watch history

Revision ID: f1b3d5e7a904
Revises: 7a2d4f6b8c31
Create Date: 2026-12-01 17:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "f1b3d5e7a904"
down_revision = "7a2d4f6b8c31"
branch_labels = None
depends_on = None

_KEYS = {"added": "added_at", "updated": "updated_at", "rating": "coalesce(rating, 0)"}


def _page_indexes(*tail: str) -> None:
    for name, key in _KEYS.items():
        op.drop_index(f"ix_entries_list_{name}", table_name="entries")
        op.drop_index(f"ix_entries_list_status_{name}", table_name="entries")
        op.create_index(f"ix_entries_list_{name}", "entries", ["list_id", sa.text(key), *tail])
        op.create_index(
            f"ix_entries_list_status_{name}", "entries", ["list_id", "status", sa.text(key), *tail]
        )


def upgrade() -> None:
    op.add_column(
        "entries",
        sa.Column("media_type", sa.String(8), server_default="movie", nullable=False),
    )
    op.add_column("entries", sa.Column("notes", sa.String(2000)))
    op.add_column("entries", sa.Column("season", sa.SmallInteger()))
    op.add_column("entries", sa.Column("episode", sa.SmallInteger()))
    op.add_column(
        "entries",
        sa.Column("times_watched", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("entries", sa.Column("last_watched_at", sa.DateTime(timezone=True)))
    op.create_check_constraint("ck_entries_media_type", "entries", "media_type IN ('movie', 'tv')")
    op.create_check_constraint(
        "ck_entries_episode",
        "entries",
        "(season IS NULL) = (episode IS NULL) AND (season IS NULL OR media_type = 'tv')",
    )
    op.create_check_constraint("ck_entries_times_watched", "entries", "times_watched >= 0")
    op.drop_constraint("entries_pkey", "entries", type_="primary")
    op.create_primary_key("entries_pkey", "entries", ["list_id", "media_type", "media_id"])
    op.drop_index("ix_entries_media_id", table_name="entries")
    op.create_index("ix_entries_media_id", "entries", ["media_id", "media_type"])
    _page_indexes("media_id", "media_type")
    op.create_table(
        "watches",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("list_id", sa.Uuid(), nullable=False),
        sa.Column("media_type", sa.String(8), nullable=False),
        sa.Column("media_id", sa.BigInteger(), nullable=False),
        sa.Column("watched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id", "media_type", "media_id"],
            ["entries.list_id", "entries.media_type", "entries.media_id"],
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_watches_entry", "watches", ["list_id", "media_type", "media_id", "watched_at", "id"]
    )


def downgrade() -> None:
    op.drop_table("watches")
    op.execute("DELETE FROM entries WHERE media_type <> 'movie'")
    _page_indexes("media_id")
    op.drop_index("ix_entries_media_id", table_name="entries")
    op.create_index("ix_entries_media_id", "entries", ["media_id"])
    op.drop_constraint("entries_pkey", "entries", type_="primary")
    op.create_primary_key("entries_pkey", "entries", ["list_id", "media_id"])
    for name in ("times_watched", "episode", "media_type"):
        op.drop_constraint(f"ck_entries_{name}", "entries", type_="check")
    for column in ("last_watched_at", "times_watched", "episode", "season", "notes", "media_type"):
        op.drop_column("entries", column)
