"""sign-in attempts counted per account, per account and client, per client

Revision ID: b81d4f2c6a97
Revises: 7a3c1e9b2f40
Create Date: 2026-12-01 10:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b81d4f2c6a97"
down_revision = "7a3c1e9b2f40"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_attempts",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(
        op.f("ix_signin_attempts_last_attempt"), "signin_attempts", ["last_attempt"], unique=False
    )
    # failures counted the old way (per email, after the check) mean nothing to the new rules
    op.drop_index(op.f("ix_signin_failures_window_start"), table_name="signin_failures")
    op.drop_table("signin_failures")


def downgrade() -> None:
    op.create_table(
        "signin_failures",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(
        op.f("ix_signin_failures_window_start"), "signin_failures", ["window_start"], unique=False
    )
    op.drop_index(op.f("ix_signin_attempts_last_attempt"), table_name="signin_attempts")
    op.drop_table("signin_attempts")
