"""versions (ETags) of lists and entries, and the indexes media pages read by

Revision ID: 3c5e1a7d9b20
Revises: b4d6f8a02e39
Create Date: 2026-12-01 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '3c5e1a7d9b20'
down_revision = 'b4d6f8a02e39'
branch_labels = None
depends_on = None

_KEYS = {"added": "added_at", "updated": "updated_at", "rating": "coalesce(rating, 0)"}


def upgrade() -> None:
    for table in ("lists", "entries"):
        op.add_column(table, sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False))
    for name, key in _KEYS.items():
        op.create_index(f"ix_entries_list_{name}", "entries", ["list_id", sa.text(key), "media_id"])
        op.create_index(
            f"ix_entries_list_status_{name}", "entries", ["list_id", "status", sa.text(key), "media_id"]
        )


def downgrade() -> None:
    for name in _KEYS:
        op.drop_index(f"ix_entries_list_status_{name}", table_name="entries")
        op.drop_index(f"ix_entries_list_{name}", table_name="entries")
    for table in ("entries", "lists"):
        op.drop_column(table, "version")
