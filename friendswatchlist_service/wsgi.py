"""Gunicorn entry point: `gunicorn friendswatchlist_service.wsgi:app`."""

from . import create_app

app = create_app()
