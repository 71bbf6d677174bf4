"""The migration that folds the email keys of accounts made before keys were NFKC + IDNA."""

from __future__ import annotations

import importlib.util

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import text

from auth_service.models import db
from tests.auth_service.support import PASSWORD, unique_email
from tests.helpers import ROOT

MIGRATION = ROOT / "auth_service/migrations/versions/e2f6b8a41c07_fold_email_keys.py"


def run_upgrade(app) -> None:
    """Run the migration's upgrade() on the app's database, as Alembic would."""
    spec = importlib.util.spec_from_file_location("fold_email_keys", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with app.app_context(), db.engine.begin() as connection:
        with Operations.context(MigrationContext.configure(connection)):
            module.upgrade()


def old_style(app, email: str) -> None:
    """Give the account of `email` the key the old code stored: email.lower()."""
    with app.app_context():
        db.session.execute(
            text("UPDATE accounts SET email_key = lower(email) WHERE email = :e"), {"e": email}
        )
        db.session.commit()


def test_an_account_with_a_fullwidth_domain_signs_in_again_after_the_migration(app, auth):
    local = unique_email("carol").split("@")[0]
    email = f"{local}@ｅｘａｍｐｌｅ.ｃｏｍ"
    auth.signup(email=email)
    old_style(app, email)
    assert auth.signin(email).status_code == 401  # the new lookup cannot find the old key

    run_upgrade(app)

    assert auth.signin(email).status_code == 200
    assert auth.signin(f"{local}@example.com").status_code == 200


def test_the_migration_leaves_plain_keys_alone_and_is_safe_to_run_twice(app, auth):
    email = unique_email("plain")
    auth.signup(email=email)

    run_upgrade(app)
    run_upgrade(app)

    assert auth.signin(email, PASSWORD).status_code == 200
