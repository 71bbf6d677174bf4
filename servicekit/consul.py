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
    """A refused or timed-out connection or a 5xx (no leader yet): Consul is away, not saying no."""
    if isinstance(exc, requests.RequestException):
        return True
    return isinstance(exc, consul.ConsulException) and not isinstance(exc, _REFUSED)


def _url(address: str, port: int) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}"


def consul_client(consul_url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> consul.Consul:
    """A py-consul client for `http://host:port` (the scheme may be left out)."""
    parts = urlsplit(consul_url if "//" in consul_url else f"http://{consul_url}")
    return consul.Consul(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 8500,
        scheme=parts.scheme or "http",
        connections_timeout=timeout_s,
    )


def traefik_tags(name: str, prefix: str | None) -> list[str]:
    """Consul tags that make Traefik route `prefix` to this service (none when unrouted).

    Same router as the local gateway's file config: the prefix itself or anything under
    it, no prefix stripping, forward auth first; middlewares come from the file provider.
    """
    if not prefix:
        return []
    router = f"traefik.http.routers.{name}"
    return [
        "traefik.enable=true",
        f"{router}.rule=Path(`{prefix}`) || PathPrefix(`{prefix}/`)",
        f"{router}.entrypoints=web",
        f"{router}.priority=100",
        f"{router}.middlewares=security-headers@file,gateway-errors@file,auth@file",
        f"{router}.service={name}",
        f"traefik.http.services.{name}.loadbalancer.passhostheader=true",
    ]


@dataclass(frozen=True)
class Registration:
    """One service instance as Consul should know it."""

    name: str
    service_id: str
    address: str
    port: int
    prefix: str | None = None
    check_interval: str = "5s"
    check_timeout: str = "2s"
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
    consul_url: str, registration: Registration, *, retry_for_s: float = 30.0
) -> None:
    """`PUT /v1/agent/service/register`, retried while the agent is still starting."""
    client = consul_client(consul_url)
    check = consul.Check.http(
        registration.check_url,
        interval=registration.check_interval,
        timeout=registration.check_timeout,
        deregister=registration.deregister_after,
    )

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
            tags=traefik_tags(registration.name, registration.prefix),
            check=check,
        )

    put()
    log.info("registered %s in Consul as %s", registration.name, registration.service_id)


def deregister_service(consul_url: str, service_id: str) -> bool:
    """`PUT /v1/agent/service/deregister/<id>`; False (logged) when Consul cannot be reached."""
    try:
        consul_client(consul_url).agent.service.deregister(service_id)
    except (consul.ConsulException, requests.RequestException) as exc:
        # DeregisterCriticalServiceAfter removes the instance anyway once its check fails.
        log.warning("could not deregister %s from Consul: %s", service_id, exc)
        return False
    log.info("deregistered %s from Consul", service_id)
    return True


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
        cache_ttl_s: float = DEFAULT_CACHE_TTL_S,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock=time.monotonic,
    ):
        self._client = consul_client(consul_url, timeout_s)
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
        if cached is not None and now - cached.fetched_at < self._ttl:
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
