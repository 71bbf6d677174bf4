"""The one table of services: names, ports, packages, gateway prefixes and worker processes.

`make run`, the tests and the gateway config are all generated from this table, so a
service is added or moved here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    """How one service is run locally."""

    name: str  # discovery name, e.g. "user"
    package: str  # python package, e.g. "user_service"
    port_offset: int  # port = port_base + offset (8000 + 2 = 8002)
    prefix: str | None  # public path prefix routed by the gateway; None: not routed
    has_worker: bool  # runs `python -m <package>.worker` (outbox relay and/or consumers)

    @property
    def env_url_var(self) -> str:
        """Environment variable that tells other services where this one listens."""
        return f"{self.name.upper()}_SERVICE_URL"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("auth", "auth_service", 1, "/auth", True),
    ServiceSpec("user", "user_service", 2, "/users", True),
    ServiceSpec("watchlist", "watchlist_service", 3, "/watchlists", True),
    ServiceSpec("friends", "friends_service", 4, "/friends", True),
    ServiceSpec("friendswatchlist", "friendswatchlist_service", 5, "/friendswatchlists", True),
    ServiceSpec("mediastatistics", "mediastatistics_service", 6, "/mediastatistics", True),
)

GATEWAY_PORT_OFFSET = 0  # 8000
DASHBOARD_PORT_OFFSET = 80  # 8080
CONSUL_HTTP_PORT_OFFSET = 500  # 8500: Consul's API and UI
CONSUL_SERF_PORT_OFFSET = 501  # 8501: its gossip (LAN)
CONSUL_SERVER_PORT_OFFSET = 502  # 8502: its server RPC
DEFAULT_PORT_BASE = 8000
DEFAULT_KAFKA_PORT = 9092


def by_name(name: str) -> ServiceSpec:
    """The spec of one service by its discovery name."""
    for spec in SERVICES:
        if spec.name == name:
            return spec
    raise KeyError(name)
