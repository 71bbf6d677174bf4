"""Finding another service's address by its name.

`consul` asks the Consul catalog (`make run`, the tests, compose and Swarm); `static`
reads `<NAME>_SERVICE_URL` from the environment (`DISCOVERY=static`, the switch for a
machine without Consul). Callers only see `Discovery.resolve`.
"""

from __future__ import annotations

from typing import Protocol

from .config import Settings
from .errors import ServiceUnavailable


class Discovery(Protocol):
    """Resolves a service name to the base URL of one healthy instance."""

    def resolve(self, name: str) -> str:
        """A base URL such as `http://127.0.0.1:8002`; raises ServiceUnavailable."""
        ...


class StaticDiscovery:
    """Fixed addresses from the environment."""

    def __init__(self, urls: dict[str, str]):
        self._urls = dict(urls)

    def resolve(self, name: str) -> str:
        """The configured URL of `name`."""
        try:
            return self._urls[name]
        except KeyError:
            raise ServiceUnavailable(f"No address is configured for the {name} service.") from None


def make_discovery(settings: Settings) -> Discovery:
    """The discovery backend the settings select."""
    if settings.discovery == "static":
        return StaticDiscovery(settings.service_urls)
    if settings.discovery == "consul":
        from .consul import ConsulDiscovery

        return ConsulDiscovery(settings.consul_url, token=settings.consul_token or None)
    raise ValueError(f"unknown DISCOVERY backend {settings.discovery!r}")
