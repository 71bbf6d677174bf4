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
    ServiceSpec("activity", "activity_service", 8, "/activity", True),
)


@dataclass(frozen=True)
class BorrowedRoute:
    """A path with a router of its own: served by one service under another's prefix,
    or under its own prefix with a larger body limit than the gateway's usual one.

    The gateway gives it a router of its own, more specific and of higher priority than
    the prefix's, so the path goes to `service` while the rest of the prefix does not.
    """

    router: str  # the router's name in every gateway config
    service: str  # discovery name of the service that serves it
    rule: str  # a Traefik rule matching exactly the borrowed paths
    # its own buffering limit (middleware `<router>-body-limit`), None: the usual one
    max_body_bytes: int | None = None


_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
BORROWED_ROUTES: tuple[BorrowedRoute, ...] = (
    # a person's figures: kept by the statistics consumer, read under the person's path
    BorrowedRoute("person-stats", "mediastatistics", f"PathRegexp(`^/users/{_UUID}/stats$`)"),
    # a person's visible lists: kept by the watchlist service, listed under the person's path
    BorrowedRoute("person-watchlists", "watchlist", f"PathRegexp(`^/users/{_UUID}/watchlists$`)"),
    # a person's activity: kept by the activity service from events, under the person's path
    BorrowedRoute("person-activity", "activity", f"PathRegexp(`^/users/{_UUID}/activity$`)"),
    # titles the caller and a friend both hold: kept by the watchlist service (entries and
    # their lists' visibility), read under the friend's path
    BorrowedRoute("friends-common", "watchlist", f"PathRegexp(`^/friends/{_UUID}/common$`)"),
    # file imports: up to 10 MiB (watchlist_service/transfer_api.py, MAX_IMPORT_BYTES)
    BorrowedRoute(
        "watchlist-import",
        "watchlist",
        "Method(`POST`) && Path(`/watchlists/import`)",
        max_body_bytes=10 * 1024 * 1024,
    ),
)

GATEWAY_PORT_OFFSET = 0  # 8000
VERIFY_PORT_OFFSET = 7  # 8007: auth's forward-auth processes (auth_service.verify_wsgi)
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
