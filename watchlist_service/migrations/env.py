"""Alembic environment of the watchlist service."""

from servicekit.migrate import run_migrations
from watchlist_service.models import db

run_migrations(db.metadata)
