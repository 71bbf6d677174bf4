"""account token version (revokes every access token of an account at once)

Revision ID: 7a3c1e9b2f40
Revises: d5057d662121
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7a3c1e9b2f40"
down_revision = "d5057d662121"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column("token_version", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("accounts", "token_version")
