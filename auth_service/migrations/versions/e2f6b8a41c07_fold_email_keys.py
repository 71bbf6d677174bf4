"""fold email keys (NFKC, case-folded, IDNA domain) for accounts made before

Revision ID: e2f6b8a41c07
Revises: c4e8a1d95b23
Create Date: 2026-12-01 11:20:00

Keys used to be `email.lower()`; sign-in now looks accounts up by `emails.email_key`, so
an account whose address has fullwidth letters, a ligature, `ß` or a Unicode domain must
get the new key or it could never sign in again. Oldest account first: where two old
accounts fold to one key (one mailbox, two accounts), the older one gets it and the later
one keeps its old key, and a warning names it for an operator to merge or remove.
"""

import logging

import sqlalchemy as sa
from alembic import op

from auth_service.emails import email_key

revision = "e2f6b8a41c07"
down_revision = "c4e8a1d95b23"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, email, email_key FROM accounts ORDER BY created_at, id")
    ).all()
    taken = {row.email_key for row in rows}
    for row in rows:
        new = email_key(row.email)
        if new == row.email_key:
            continue
        if new in taken:
            log.warning("account %s folds onto a key another account holds: left as it was", row.id)
            continue
        bind.execute(
            sa.text("UPDATE accounts SET email_key = :key WHERE id = :id"),
            {"key": new, "id": row.id},
        )
        taken.discard(row.email_key)
        taken.add(new)


def downgrade() -> None:
    op.execute("UPDATE accounts SET email_key = lower(email)")
