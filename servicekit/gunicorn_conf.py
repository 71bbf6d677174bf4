"""Gunicorn settings shared by every service (`gunicorn -c servicekit/gunicorn_conf.py`)."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from servicekit.config import discovery_settings, float_setting, int_setting

if TYPE_CHECKING:
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.base import Worker

worker_class = "gthread"
workers = int_setting(os.environ, "WEB_CONCURRENCY", 2)
threads = int_setting(os.environ, "WLT_THREADS", 4)
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


def child_exit(server: Arbiter, worker: Worker) -> None:
    """Drop a dead worker's metric files so /metrics sums only live processes."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def _bound_port(server: Arbiter) -> int:
    """The TCP port gunicorn listens on (the first listener)."""
    return int(server.LISTENERS[0].sock.getsockname()[1])


def when_ready(server: Arbiter) -> None:
    """Register this instance in Consul from the master, keep it registered, drain on SIGTERM."""
    found = discovery_settings(os.environ)
    if not found.uses_consul:
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
        found.consul_url,
        registration,
        token=found.consul_token or None,
        resync_s=float_setting(os.environ, "WLT_CONSUL_RESYNC_S", 3.0),
    )
    presence.start()
    server.wlt_consul_presence = presence
    server.log.info("registered in Consul as %s", registration.service_id)

    drain_s = float_setting(os.environ, "WLT_DRAIN_S", 3.0)
    stop = server.handle_term

    def handle_term() -> None:
        # Leave the catalog first and keep serving while the gateway notices (its Consul
        # watch, or at worst its refresh interval); only then close the listener.
        presence.leave()
        server.log.info("left Consul; draining for %.1f s before closing", drain_s)
        time.sleep(drain_s)
        stop()

    server.handle_term = handle_term


def on_exit(server: Arbiter) -> None:
    """Take this instance out of Consul on any shutdown (SIGINT and SIGQUIT too)."""
    presence = getattr(server, "wlt_consul_presence", None)
    if presence is not None:
        presence.leave()
