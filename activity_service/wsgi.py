"""Gunicorn entry point: `gunicorn activity_service.wsgi:app`."""

from . import create_app

app = create_app()
