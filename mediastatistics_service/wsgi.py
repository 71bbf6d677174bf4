"""Gunicorn entry point: `gunicorn mediastatistics_service.wsgi:app`."""

from . import create_app

app = create_app()
