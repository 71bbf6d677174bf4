"""Gunicorn entry point: `gunicorn friends_service.wsgi:app`."""

from . import create_app

app = create_app()
