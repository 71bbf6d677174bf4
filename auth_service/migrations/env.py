"""Alembic environment of the auth service."""

from auth_service.models import db
from servicekit.migrate import run_migrations

run_migrations(db.metadata)
