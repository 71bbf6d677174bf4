"""Gunicorn settings shared by every service (`gunicorn -c servicekit/gunicorn_conf.py`)."""

import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WLT_THREADS", "4"))
timeout = 30
graceful_timeout = 10
keepalive = 30
accesslog = None  # the app logs one JSON line per request itself


def child_exit(server, worker):
    """Drop a dead worker's metric files so /metrics sums only live processes."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
