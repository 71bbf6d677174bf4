"""Gunicorn settings shared by every service (`gunicorn -c servicekit/gunicorn_conf.py`)."""

import os
import time

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
# gunicorn's control socket would live in the (read-only) home folder; nothing uses it.
control_socket_disable = True


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
    """Register this instance in Consul from the master, keep it registered, drain on SIGTERM."""
    consul_url = _consul_url()
    if consul_url is None:
        return
    from servicekit.consul import ConsulPresence, instance_registration

    name = os.environ.get("WLT_SERVICE_NAME", "")
    if not name:
        raise RuntimeError("WLT_SERVICE_NAME must name the service to register in Consul")
    registration = instance_registration(
        name,
        _bound_port(server),
        prefix=os.environ.get("WLT_ROUTE_PREFIX") or None,
        address=os.environ.get("WLT_ADVERTISE_ADDRESS") or None,
    )
    presence = ConsulPresence(
        consul_url,
        registration,
        token=os.environ.get("CONSUL_HTTP_TOKEN") or None,
        resync_s=float(os.environ.get("WLT_CONSUL_RESYNC_S", "3")),
    )
    presence.start()
    server.wlt_consul_presence = presence
    server.log.info("registered in Consul as %s", registration.service_id)

    drain_s = float(os.environ.get("WLT_DRAIN_S", "3"))
    stop = server.handle_term

    def handle_term():
        # Leave the catalog first and keep serving while the gateway notices (its Consul
        # watch, or at worst its refresh interval); only then close the listener.
        presence.leave()
        server.log.info("left Consul; draining for %.1f s before closing", drain_s)
        time.sleep(drain_s)
        stop()

    server.handle_term = handle_term


def on_exit(server):
    """Take this instance out of Consul on any shutdown (SIGINT and SIGQUIT too)."""
    presence = getattr(server, "wlt_consul_presence", None)
    if presence is not None:
        presence.leave()
