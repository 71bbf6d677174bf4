"""Settings read from the environment, shared by every service.

Development and test runs get generated secrets with a loud warning; production
(`WLT_ENV=production`) refuses to start without real ones. Every service holds its own
credential key, the public keys of its callers and the auth service's public assertion
key; the keys that sign users' tokens and assertions are read by the auth service only.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from . import keys

log = logging.getLogger(__name__)

_ENVIRONMENTS = ("development", "test", "production")


class ConfigError(RuntimeError):
    """Raised when the process must not start with the settings it was given."""


@dataclass(frozen=True)
class Settings:
    """Everything a service reads from its environment."""

    service_name: str
    env: str = "development"
    database_url: str = ""
    assertion_public_key: str = ""
    service_key: str = ""
    service_public_keys: dict[str, str] = field(default_factory=dict)
    kafka_bootstrap: str = ""
    # librdkafka settings that authenticate this service to the broker (SASL), or none
    # where the broker takes anyone (development: one broker on loopback)
    kafka_auth: dict[str, str] = field(default_factory=dict)
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


def private_key_setting(environ: dict[str, str], name: str, env: str) -> str:
    """An Ed25519 private key from `environ[name]`; generated outside production."""
    value = environ.get(name, "").strip()
    if value:
        try:
            keys.private_key(value)
        except keys.InvalidKey as exc:
            raise ConfigError(f"{name} is not an Ed25519 key ({exc})") from None
        return value
    if env == "production":
        raise ConfigError(f"{name} must be set in production (python -m servicekit.keys)")
    log.warning("DEVELOPMENT ONLY: %s is not set; generated a random one for this process", name)
    return keys.generate()


def _public_key_setting(environ: dict[str, str], name: str, env: str) -> str:
    value = environ.get(name, "").strip()
    if value:
        try:
            keys.public_key(value)
        except keys.InvalidKey as exc:
            raise ConfigError(f"{name} is not an Ed25519 public key ({exc})") from None
        return value
    if env == "production":
        raise ConfigError(f"{name} must be set in production (python -m servicekit.keys)")
    log.warning("DEVELOPMENT ONLY: %s is not set; no identity assertion will verify", name)
    return keys.public_of(keys.generate())


def _public_key_table(environ: dict[str, str], name: str, env: str) -> dict[str, str]:
    try:
        table = keys.parse_key_table(environ.get(name, ""))
    except keys.InvalidKey as exc:
        raise ConfigError(f"{name}: {exc}") from None
    if not table and env == "production":
        raise ConfigError(f"{name} must list the callers' public keys (name:key,...)")
    return table


def kafka_auth_setting(environ: dict[str, str], env: str) -> dict[str, str]:
    """The broker credentials of this service (KAFKA_SASL_USERNAME/PASSWORD) for librdkafka.

    In production a service that talks to a broker must authenticate: the broker's ACLs
    let each service write only the topics it owns (compose.yaml, kafka-init).
    """
    username = environ.get("KAFKA_SASL_USERNAME", "")
    password = environ.get("KAFKA_SASL_PASSWORD", "")
    if bool(username) != bool(password):
        raise ConfigError(
            "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are set together or not at all"
        )
    if not username:
        if env == "production" and environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            raise ConfigError(
                "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD must be set in production: "
                "the broker serves only the services it knows"
            )
        return {}
    return {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "PLAIN",
        "sasl.username": username,
        "sasl.password": password,
    }


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
        assertion_public_key=_public_key_setting(environ, "WLT_ASSERTION_PUBLIC_KEY", env),
        service_key=private_key_setting(environ, "WLT_SERVICE_KEY", env),
        service_public_keys=_public_key_table(environ, "WLT_SERVICE_PUBLIC_KEYS", env),
        kafka_bootstrap=environ.get("KAFKA_BOOTSTRAP_SERVERS", ""),
        kafka_auth=kafka_auth_setting(environ, env),
        topic_prefix=environ.get("KAFKA_TOPIC_PREFIX", ""),
        discovery=environ.get("DISCOVERY", "static"),
        consul_url=environ.get("CONSUL_HTTP_ADDR", "http://127.0.0.1:8500"),
        consul_token=environ.get("CONSUL_HTTP_TOKEN", ""),
        statement_timeout_ms=int(environ.get("WLT_STATEMENT_TIMEOUT_MS", "5000")),
        http_timeout_s=float(environ.get("WLT_HTTP_TIMEOUT_S", "1.0")),
        service_urls=_service_urls(environ),
        extra={k: v for k, v in environ.items() if k.startswith("WLT_")},
    )
