"""Consul discovery (`DISCOVERY=consul`): register this instance, resolve peers to healthy ones.

Each instance registers once, from the gunicorn master, with an HTTP check on
/health/ready and `DeregisterCriticalServiceAfter`, so a killed container leaves the
catalog even though it never deregistered. Its tags carry the Traefik router, so the
gateway's Consul Catalog provider routes to it without any file config per service.

Peers are resolved through `GET /v1/health/service/<name>?passing`, cached a few
seconds and handed out round-robin. While Consul is unreachable the last healthy
list is used: a Consul restart must not take every service-to-service call down.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import consul
import requests
from consul.exceptions import ACLPermissionDenied, BadRequest, ClientError, NotFound
from tenacity import retry, retry_if_exception, stop_after_delay, wait_exponential

from .errors import ServiceUnavailable

log = logging.getLogger(__name__)

HEALTH_PATH = "/health/ready"
# A peer list this young is used without asking Consul again.
DEFAULT_CACHE_TTL_S = 5.0
# Consul is on the same network: an answer slower than this is an outage.
DEFAULT_TIMEOUT_S = 1.0
_REFUSED = (ACLPermissionDenied, BadRequest, ClientError, NotFound)


def _unreachable(exc: BaseException) -> bool:
    """A refused or timed-out connection, a 5xx (no leader yet), or "ACL not found" (a
    starting agent cannot resolve tokens yet, or was wiped and not yet given its grants):
    Consul is away, not saying no. "Permission denied" is a real no."""
    if isinstance(exc, requests.RequestException):
        return True
    if isinstance(exc, ACLPermissionDenied) and "ACL not found" in str(exc):
        return True
    return isinstance(exc, consul.ConsulException) and not isinstance(exc, _REFUSED)


def _url(address: str, port: int) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}"


def consul_client(
    consul_url: str, timeout_s: float = DEFAULT_TIMEOUT_S, token: str | None = None
) -> consul.Consul:
    """A py-consul client for `http://host:port` (the scheme may be left out).

    `token` is this service's ACL token; without one, py-consul takes `CONSUL_HTTP_TOKEN`
    from the environment, and else Consul treats the caller as anonymous.
    """
    parts = urlsplit(consul_url if "//" in consul_url else f"http://{consul_url}")
    client = consul.Consul(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 8500,
        scheme=parts.scheme or "http",
        connections_timeout=timeout_s,
    )
    if token:  # py-consul lets the environment override an explicit token: not here
        client.token = token
    return client


def traefik_tags(prefix: str | None) -> list[str]:
    """Consul tags of an instance: `traefik.enable=true` when the gateway routes to it.

    Only that: the routers (rule, priority, middlewares, entrypoint) live in the gateway's
    own config and point at `<name>@consulcatalog`, and the gateway drops any registration
    that carries a `traefik.http.`, `traefik.tcp.` or `traefik.udp.` tag, so whoever can
    register an instance still cannot add or change a route.
    """
    return ["traefik.enable=true"] if prefix else []


@dataclass(frozen=True)
class Registration:
    """One service instance as Consul should know it."""

    name: str
    service_id: str
    address: str
    port: int
    prefix: str | None = None
    # A killed replica is out of the gateway's pool within about three intervals; a slow
    # answer under load is not enough (failures_before_critical), since an instance gone
    # critical takes its route with it when it is the only one.
    check_interval: str = "2s"
    check_timeout: str = "2s"
    failures_before_critical: int = 3
    # Long enough to ride out a restart, short enough that a killed replica goes soon.
    deregister_after: str = "1m"

    @property
    def check_url(self) -> str:
        """The readiness URL Consul polls."""
        return _url(self.address, self.port) + HEALTH_PATH


def instance_registration(
    name: str, port: int, *, prefix: str | None = None, address: str | None = None
) -> Registration:
    """The registration of this host's instance: its own address, an id unique per replica."""
    hostname = socket.gethostname()
    address = address or socket.gethostbyname(hostname)
    return Registration(
        name=name, service_id=f"{name}-{hostname}-{port}", address=address, port=port, prefix=prefix
    )


def register_service(
    consul_url: str,
    registration: Registration,
    *,
    retry_for_s: float = 30.0,
    token: str | None = None,
    passing: bool = False,
) -> None:
    """`PUT /v1/agent/service/register`, retried while the agent is still starting.

    A refusal (an ACL token that may not write this name) is raised at once, not retried.
    `passing` starts the check as passing instead of critical: for an instance that was
    serving all along and is only registered again, so its route has no gap.
    """
    client = consul_client(consul_url, token=token)
    check = consul.Check.http(
        registration.check_url,
        interval=registration.check_interval,
        timeout=registration.check_timeout,
        deregister=registration.deregister_after,
    )
    check["FailuresBeforeCritical"] = registration.failures_before_critical
    if passing:
        check["Status"] = "passing"

    @retry(
        retry=retry_if_exception(_unreachable),
        stop=stop_after_delay(retry_for_s),
        wait=wait_exponential(multiplier=0.2, max=3),
        reraise=True,
    )
    def put() -> None:
        client.agent.service.register(
            registration.name,
            service_id=registration.service_id,
            address=registration.address,
            port=registration.port,
            tags=traefik_tags(registration.prefix),
            check=check,
        )

    put()
    log.info("registered %s in Consul as %s", registration.name, registration.service_id)


def is_registered(consul_url: str, service_id: str, *, token: str | None = None) -> bool | None:
    """Whether the agent knows this instance; None when the agent cannot be asked."""
    try:
        found = consul_client(consul_url, token=token).agent.services()
    except (consul.ConsulException, requests.RequestException):
        return None
    return service_id in (found or {})


def deregister_service(consul_url: str, service_id: str, *, token: str | None = None) -> bool:
    """`PUT /v1/agent/service/deregister/<id>`; False (logged) when Consul cannot be reached."""
    try:
        consul_client(consul_url, token=token).agent.service.deregister(service_id)
    except (consul.ConsulException, requests.RequestException) as exc:
        # DeregisterCriticalServiceAfter removes the instance anyway once its check fails.
        log.warning("could not deregister %s from Consul: %s", service_id, exc)
        return False
    log.info("deregistered %s from Consul", service_id)
    return True


class ConsulPresence:
    """Keeps one instance in the catalog: registers it, registers it again whenever the agent
    has lost it (a restarted or replaced agent forgets), and takes it out on `leave`.

    Runs in the gunicorn master (servicekit/gunicorn_conf.py): one thread, one cheap
    `GET /v1/agent/services` every `resync_s` seconds.
    """

    def __init__(
        self,
        consul_url: str,
        registration: Registration,
        *,
        token: str | None = None,
        resync_s: float = 3.0,
    ) -> None:
        self.consul_url = consul_url
        self.registration = registration
        self.token = token
        self.resync_s = resync_s
        self._leaving = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, retry_for_s: float = 30.0) -> None:
        """Register (waiting up to `retry_for_s` for the agent), then watch in a thread.

        An agent that stays away is not fatal: the watch registers once it answers. A
        refusal (this token may not write this name) is raised: it never heals by itself.
        """
        try:
            register_service(
                self.consul_url, self.registration, retry_for_s=retry_for_s, token=self.token
            )
        except (consul.ConsulException, requests.RequestException) as exc:
            if not _unreachable(exc):
                raise
            log.warning("Consul unreachable at start; will register when it answers: %s", exc)
        self._thread = threading.Thread(target=self._watch, name="consul-presence", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._leaving.wait(self.resync_s):
            self.resync()

    def resync(self) -> bool:
        """Register again if the agent does not know this instance; True if it did that."""
        if self._leaving.is_set():
            return False
        known = is_registered(self.consul_url, self.registration.service_id, token=self.token)
        if known is not False:  # registered, or the agent cannot be asked right now
            return False
        try:
            register_service(
                self.consul_url, self.registration, retry_for_s=0, token=self.token, passing=True
            )
        except (consul.ConsulException, requests.RequestException) as exc:
            log.warning("could not register %s again: %s", self.registration.service_id, exc)
            return False
        log.warning(
            "the Consul agent had lost %s: registered it again", self.registration.service_id
        )
        return True

    def leave(self) -> None:
        """Stop watching and deregister (once)."""
        if self._leaving.is_set():
            return
        self._leaving.set()
        deregister_service(self.consul_url, self.registration.service_id, token=self.token)


@dataclass
class _Peers:
    urls: list[str]
    fetched_at: float
    turn: int = 0


class ConsulDiscovery:
    """Resolves a service name to one of its passing instances, round-robin."""

    def __init__(
        self,
        consul_url: str,
        *,
        token: str | None = None,
        cache_ttl_s: float = DEFAULT_CACHE_TTL_S,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._client = consul_client(consul_url, timeout_s, token)
        self._ttl = cache_ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._peers: dict[str, _Peers] = {}

    def resolve(self, name: str) -> str:
        """The base URL of the next healthy instance of `name`; raises ServiceUnavailable."""
        peers = self._current(name)
        if not peers.urls:
            raise ServiceUnavailable(f"No healthy instance of the {name} service is registered.")
        with self._lock:
            url = peers.urls[peers.turn % len(peers.urls)]
            peers.turn += 1
        return url

    def _current(self, name: str) -> _Peers:
        now = self._clock()
        with self._lock:
            cached = self._peers.get(name)
        # An empty list is never kept: the first instance to pass is used at once (a 503
        # for a whole cache period after an outage ended helps nobody).
        if cached is not None and cached.urls and now - cached.fetched_at < self._ttl:
            return cached
        try:
            urls = self._healthy_urls(name)
        except (consul.ConsulException, requests.RequestException) as exc:
            if not _unreachable(exc):
                log.error("Consul refused the lookup of %s: %s", name, exc)
                raise ServiceUnavailable(f"The {name} service cannot be located.") from None
            if cached is None or not cached.urls:
                log.warning("Consul unreachable and no known instance of %s: %s", name, exc)
                raise ServiceUnavailable(f"The {name} service cannot be located.") from None
            log.warning("Consul unreachable, using the last healthy list of %s: %s", name, exc)
            with self._lock:
                # Ask again only after another TTL, so callers do not each wait on a timeout.
                cached.fetched_at = now
            return cached
        with self._lock:
            turn = cached.turn if cached is not None else 0
            peers = self._peers[name] = _Peers(urls=urls, fetched_at=now, turn=turn)
        return peers

    def _healthy_urls(self, name: str) -> list[str]:
        _index, entries = self._client.health.service(name, passing=True)
        urls = []
        for entry in entries or []:
            service = entry["Service"]
            # An empty service address means "the node's address" (Consul's rule).
            address = service.get("Address") or entry["Node"]["Address"]
            urls.append(_url(address, service["Port"]))
        return sorted(urls)
