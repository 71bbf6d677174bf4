"""shared lists of up to ten: a members table replaces member_id, invitee_id and sent_at

The member of a two-person list becomes an active member, its invitee an invite (both
dated by the invite, the only time the old table kept). `people` counts a list's
membership rows; a trigger keeps it under the list's row lock and bumps the list's
version (its ETag), and a check caps it at nine besides the owner. Triggers also keep
the owner out of the members.

Going down keeps, per list, the first active member (by joined time) or, while pending,
the first invite; the others are lost, and a pending list without invites becomes active.

Revision ID: b4c8e2a61d07
Revises: f1b3d5e7a904
Create Date: 2026-12-01 19:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b4c8e2a61d07"
down_revision = "f1b3d5e7a904"
branch_labels = None
depends_on = None

_PEOPLE_FUNCTION = """
CREATE FUNCTION shared_list_people() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The UPDATE takes the list's row lock: concurrent joins queue here, and the
    -- check on people refuses the eleventh person whatever the caller checked.
    IF TG_OP = 'INSERT' THEN
        UPDATE shared_lists SET people = people + 1, version = version + 1, updated_at = now()
        WHERE id = NEW.list_id AND owner_id <> NEW.user_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'the owner of shared list % cannot also be its member', NEW.list_id
                USING ERRCODE = 'check_violation';
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE shared_lists SET people = people - 1, version = version + 1, updated_at = now()
        WHERE id = OLD.list_id;
    ELSE
        UPDATE shared_lists SET version = version + 1, updated_at = now()
        WHERE id = NEW.list_id;
    END IF;
    RETURN NULL;
END
$$
"""
_PEOPLE_TRIGGER = (
    "CREATE TRIGGER shared_list_members_people AFTER INSERT OR UPDATE OR DELETE"
    " ON shared_list_members FOR EACH ROW EXECUTE FUNCTION shared_list_people()"
)
# The other half of "the owner is never a member": a new owner leaves the members first.
_OWNER_FUNCTION = """
CREATE FUNCTION shared_list_owner_not_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM shared_list_members
               WHERE list_id = NEW.id AND user_id = NEW.owner_id) THEN
        RAISE EXCEPTION 'the owner of shared list % cannot also be its member', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$
"""
_OWNER_TRIGGER = (
    "CREATE TRIGGER shared_lists_owner_not_member BEFORE UPDATE OF owner_id ON shared_lists"
    " FOR EACH ROW EXECUTE FUNCTION shared_list_owner_not_member()"
)
_OLD_PEOPLE_CHECK = (
    "(state = 'pending' AND invitee_id IS NOT NULL AND member_id IS NULL)"
    " OR (state = 'active' AND invitee_id IS NULL)"
)


def upgrade() -> None:
    op.create_table(
        "shared_list_members",
        sa.Column("list_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column(
            "invited_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("joined_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("state IN ('invited', 'active')", name="ck_shared_list_members_state"),
        sa.CheckConstraint(
            "(state = 'active') = (joined_at IS NOT NULL)", name="ck_shared_list_members_joined"
        ),
        sa.ForeignKeyConstraint(["list_id"], ["shared_lists.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("list_id", "user_id"),
    )
    op.create_index(
        "ix_shared_list_members_user",
        "shared_list_members",
        ["user_id", "state", "invited_at", "list_id"],
    )
    op.execute(
        "INSERT INTO shared_list_members (list_id, user_id, state, invited_at, joined_at)"
        " SELECT id, member_id, 'active', coalesce(sent_at, created_at),"
        " coalesce(sent_at, created_at) FROM shared_lists WHERE member_id IS NOT NULL"
        " UNION ALL"
        " SELECT id, invitee_id, 'invited', coalesce(sent_at, created_at), NULL"
        " FROM shared_lists WHERE invitee_id IS NOT NULL"
    )
    op.add_column(
        "shared_lists",
        sa.Column("people", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.execute(
        "UPDATE shared_lists SET people = (SELECT count(*) FROM shared_list_members m"
        " WHERE m.list_id = shared_lists.id)"
    )
    op.drop_constraint("ck_shared_lists_people", "shared_lists", type_="check")
    op.drop_index("ix_shared_lists_member", table_name="shared_lists")
    op.drop_index("ix_shared_lists_invitee", table_name="shared_lists")
    for column in ("member_id", "invitee_id", "sent_at"):
        op.drop_column("shared_lists", column)
    op.create_check_constraint("ck_shared_lists_people_count", "shared_lists", "people BETWEEN 0 AND 9")
    for statement in (_PEOPLE_FUNCTION, _PEOPLE_TRIGGER, _OWNER_FUNCTION, _OWNER_TRIGGER):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER shared_lists_owner_not_member ON shared_lists")
    op.execute("DROP FUNCTION shared_list_owner_not_member()")
    op.execute("DROP TRIGGER shared_list_members_people ON shared_list_members")
    op.execute("DROP FUNCTION shared_list_people()")
    op.drop_constraint("ck_shared_lists_people_count", "shared_lists", type_="check")
    op.add_column("shared_lists", sa.Column("member_id", sa.Uuid()))
    op.add_column("shared_lists", sa.Column("invitee_id", sa.Uuid()))
    op.add_column("shared_lists", sa.Column("sent_at", sa.DateTime(timezone=True)))
    op.execute(
        "UPDATE shared_lists s SET member_id = m.user_id, sent_at = m.invited_at FROM"
        " (SELECT DISTINCT ON (list_id) list_id, user_id, invited_at FROM shared_list_members"
        "  WHERE state = 'active' ORDER BY list_id, joined_at, user_id) m"
        " WHERE m.list_id = s.id"
    )
    op.execute(
        "UPDATE shared_lists s SET invitee_id = m.user_id, sent_at = m.invited_at FROM"
        " (SELECT DISTINCT ON (list_id) list_id, user_id, invited_at FROM shared_list_members"
        "  WHERE state = 'invited' ORDER BY list_id, invited_at, user_id) m"
        " WHERE m.list_id = s.id AND s.state = 'pending'"
    )
    op.execute("UPDATE shared_lists SET state = 'active' WHERE state = 'pending' AND invitee_id IS NULL")
    op.drop_column("shared_lists", "people")
    op.drop_table("shared_list_members")
    op.create_check_constraint("ck_shared_lists_people", "shared_lists", _OLD_PEOPLE_CHECK)
    op.create_index(
        "ix_shared_lists_member",
        "shared_lists",
        ["member_id", "created_at", "id"],
        postgresql_where=sa.text("member_id IS NOT NULL"),
    )
    op.create_index(
        "ix_shared_lists_invitee",
        "shared_lists",
        ["invitee_id", "sent_at", "id"],
        postgresql_where=sa.text("invitee_id IS NOT NULL"),
    )
