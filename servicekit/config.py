"""Settings read from the environment, shared by every service.

Development and test runs get generated secrets with a loud warning; production
(`WLT_ENV=production`) refuses to start without real ones.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 32
_ENVIRONMENTS = ("development", "test", "production")
# Values that mark a development or example secret; production refuses them.
_PLACEHOLDER_MARKERS = ("dev", "change", "example", "insecure", "secret")


class ConfigError(RuntimeError):
    """Raised when the process must not start with the settings it was given."""


@dataclass(frozen=True)
class Settings:
    """Everything a service reads from its environment."""

    service_name: str
    env: str = "development"
    database_url: str = ""
    jwt_secret: str = ""
    service_token: str = ""
    kafka_bootstrap: str = ""
    topic_prefix: str = ""
    discovery: str = "static"
    consul_url: str = "http://127.0.0.1:8500"
    consul_token: str = ""  # this service's own ACL token (CONSUL_HTTP_TOKEN)
    statement_timeout_ms: int = 5000
    max_body_bytes: int = 1024 * 1024
    http_timeout_s: float = 1.0
    service_urls: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        """True when running for real users."""
        return self.env == "production"

    def topic(self, name: str) -> str:
        """The broker topic for a contract topic name (tests isolate runs with a prefix)."""
        return f"{self.topic_prefix}{name}"


def _service_urls(environ: dict[str, str]) -> dict[str, str]:
    return {
        key[: -len("_SERVICE_URL")].lower(): value.rstrip("/")
        for key, value in environ.items()
        if key.endswith("_SERVICE_URL") and value
    }


def _secret(environ: dict[str, str], name: str, env: str) -> str:
    value = environ.get(name, "")
    if env == "production":
        if len(value) < MIN_SECRET_LENGTH or value.lower().startswith(_PLACEHOLDER_MARKERS):
            raise ConfigError(
                f"{name} must be set to a random value of at least {MIN_SECRET_LENGTH} "
                "characters in production"
            )
        return value
    if not value:
        value = secrets.token_urlsafe(32)
        log.warning(
            "DEVELOPMENT ONLY: %s is not set; generated a random one for this process", name
        )
    return value


def load_settings(service_name: str, environ: dict[str, str] | None = None) -> Settings:
    """Read and check the settings of one service; fail fast on anything unsafe."""
    environ = dict(os.environ if environ is None else environ)
    env = environ.get("WLT_ENV", "development")
    if env not in _ENVIRONMENTS:
        raise ConfigError(f"WLT_ENV must be one of {_ENVIRONMENTS}, not {env!r}")
    database_url = environ.get("DATABASE_URL", "")
    if not database_url:
        raise ConfigError("DATABASE_URL must name this service's PostgreSQL database")
    if env == "production" and ("localhost" in database_url or "127.0.0.1" in database_url):
        log.warning("production database on a loopback address: %s", database_url)
    return Settings(
        service_name=service_name,
        env=env,
        database_url=database_url,
        jwt_secret=_secret(environ, "WLT_JWT_SECRET", env),
        service_token=_secret(environ, "WLT_SERVICE_TOKEN", env),
        kafka_bootstrap=environ.get("KAFKA_BOOTSTRAP_SERVERS", ""),
        topic_prefix=environ.get("KAFKA_TOPIC_PREFIX", ""),
        discovery=environ.get("DISCOVERY", "static"),
        consul_url=environ.get("CONSUL_HTTP_ADDR", "http://127.0.0.1:8500"),
        consul_token=environ.get("CONSUL_HTTP_TOKEN", ""),
        statement_timeout_ms=int(environ.get("WLT_STATEMENT_TIMEOUT_MS", "5000")),
        http_timeout_s=float(environ.get("WLT_HTTP_TIMEOUT_S", "1.0")),
        service_urls=_service_urls(environ),
        extra={k: v for k, v in environ.items() if k.startswith("WLT_")},
    )
