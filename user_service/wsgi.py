"""Gunicorn entry point: `gunicorn user_service.wsgi:app`."""

from . import create_app

app = create_app()
