"""Alembic environment of the activity service."""

from activity_service.models import db
from servicekit.migrate import run_migrations

run_migrations(db.metadata)
