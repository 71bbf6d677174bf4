"""Alembic environment of the media statistics service."""

from mediastatistics_service.models import db
from servicekit.migrate import run_migrations

run_migrations(db.metadata)
