"""per-person reference counts: person_status, person_rating

The counters change meaning from list entries to people (docs/statistics.md). Existing
counters were kept by entries and no per-person rows exist yet: after this migration
run the reconciliation (`python -m mediastatistics_service.reconcile`), which rebuilds
both from the list services.

Revision ID: 5b1e2c9d4a10
Revises: 07e69b159157
Create Date: 2026-12-01 10:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5b1e2c9d4a10"
down_revision = "07e69b159157"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_status",
        sa.Column("person", sa.String(length=80), nullable=False),
        sa.Column("media_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint("n >= 0", name="ck_person_status_n_nonneg"),
        sa.PrimaryKeyConstraint("person", "media_id", "status"),
    )
    op.create_index("ix_person_status_media", "person_status", ["media_id", "person"])
    op.create_table(
        "person_rating",
        sa.Column("person", sa.String(length=80), nullable=False),
        sa.Column("media_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("rated", sa.BigInteger(), nullable=False),
        sa.Column("rating", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint("rated >= 0", name="ck_person_rating_rated_nonneg"),
        sa.CheckConstraint("rating BETWEEN 1 AND 10", name="ck_person_rating_range"),
        sa.PrimaryKeyConstraint("person", "media_id"),
    )
    op.create_index("ix_person_rating_media", "person_rating", ["media_id", "person"])


def downgrade() -> None:
    op.drop_index("ix_person_rating_media", table_name="person_rating")
    op.drop_table("person_rating")
    op.drop_index("ix_person_status_media", table_name="person_status")
    op.drop_table("person_status")
