"""Alembic environment of the shared-watchlist service."""

from friendswatchlist_service.models import db
from servicekit.migrate import run_migrations

run_migrations(db.metadata)
