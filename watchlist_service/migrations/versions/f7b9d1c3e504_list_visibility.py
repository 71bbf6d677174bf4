"""list visibility (private, friends, unlisted, public); existing lists stay private

Every list's version moves on, so an ETag taken before the answers showed
`visibility` no longer matches them.

Revision ID: f7b9d1c3e504
Revises: e5a7c9b1d302
Create Date: 2026-12-01 17:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "f7b9d1c3e504"
down_revision = "e5a7c9b1d302"
branch_labels = None
depends_on = None

_CHECK = "visibility IN ('private', 'friends', 'unlisted', 'public')"


def upgrade() -> None:
    op.add_column(
        "lists",
        sa.Column(
            "visibility", sa.String(8), server_default=sa.text("'private'"), nullable=False
        ),
    )
    op.create_check_constraint("ck_lists_visibility", "lists", _CHECK)
    op.execute("UPDATE lists SET version = version + 1")


def downgrade() -> None:
    op.drop_constraint("ck_lists_visibility", "lists", type_="check")
    op.drop_column("lists", "visibility")
