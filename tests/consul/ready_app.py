"""A stand-in WSGI app for gunicorn-hook tests: ready, and says which worker answered."""

import os


def app(environ, start_response):
    """200 on /health/ready with the worker's pid; 404 elsewhere."""
    ok = environ.get("PATH_INFO") == "/health/ready"
    body = str(os.getpid()).encode() if ok else b""
    start_response("200 OK" if ok else "404 Not Found", [("Content-Length", str(len(body)))])
    return [body]
