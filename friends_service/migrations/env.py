"""Alembic environment of the friends service."""

from friends_service.models import db
from servicekit.migrate import run_migrations

run_migrations(db.metadata)
