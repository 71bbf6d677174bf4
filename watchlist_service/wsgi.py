"""Gunicorn entry point: `gunicorn watchlist_service.wsgi:app`."""

from . import create_app

app = create_app()
