"""Gunicorn settings shared by every service (`gunicorn -c servicekit/gunicorn_conf.py`)."""

import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WLT_THREADS", "4"))
timeout = 30
graceful_timeout = 10
keepalive = 30
accesslog = None  # the app logs one JSON line per request itself
# Request-line and header limits above the gateway's (Traefik's maxHeaderBytes, 1 MiB):
# gunicorn's own limit errors are HTML pages, the gateway answers in plain text.
# (gunicorn 27 reads a field size of 0 as its 8190 default, not as "unlimited".)
limit_request_line = 0
limit_request_field_size = 2 * 1024 * 1024
limit_request_fields = 32768


def child_exit(server, worker):
    """Drop a dead worker's metric files so /metrics sums only live processes."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def _consul_url() -> str | None:
    """Consul's address when this deployment discovers services through it."""
    if os.environ.get("DISCOVERY", "static") != "consul":
        return None
    return os.environ.get("CONSUL_HTTP_ADDR", "http://127.0.0.1:8500")


def _bound_port(server) -> int:
    """The TCP port gunicorn listens on (the first listener)."""
    return int(server.LISTENERS[0].sock.getsockname()[1])


def when_ready(server):
    """Register this instance in Consul once, from the master, before workers serve."""
    consul_url = _consul_url()
    if consul_url is None:
        return
    from servicekit.consul import instance_registration, register_service

    name = os.environ.get("WLT_SERVICE_NAME", "")
    if not name:
        raise RuntimeError("WLT_SERVICE_NAME must name the service to register in Consul")
    registration = instance_registration(
        name,
        _bound_port(server),
        prefix=os.environ.get("WLT_ROUTE_PREFIX") or None,
        address=os.environ.get("WLT_ADVERTISE_ADDRESS") or None,
    )
    register_service(consul_url, registration)
    server.wlt_consul_service_id = registration.service_id
    server.log.info("registered in Consul as %s", registration.service_id)


def on_exit(server):
    """Take this instance out of Consul on a clean shutdown."""
    consul_url = _consul_url()
    service_id = getattr(server, "wlt_consul_service_id", None)
    if consul_url is not None and service_id:
        from servicekit.consul import deregister_service

        deregister_service(consul_url, service_id)
