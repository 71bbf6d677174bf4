"""versions (ETags) of lists and entries, and the indexes media pages read by

Revision ID: 7a2d4f6b8c31
Revises: d6f8b0c24a51
Create Date: 2026-12-01 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '7a2d4f6b8c31'
down_revision = 'd6f8b0c24a51'
branch_labels = None
depends_on = None

_KEYS = {"added": "added_at", "updated": "updated_at", "rating": "coalesce(rating, 0)"}


def upgrade() -> None:
    for table in ("shared_lists", "entries"):
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
    for table in ("entries", "shared_lists"):
        op.drop_column(table, "version")
