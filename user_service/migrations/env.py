"""Alembic environment of the user service."""

from servicekit.migrate import run_migrations
from user_service.models import db

run_migrations(db.metadata)
