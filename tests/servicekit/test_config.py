"""Settings: production refuses to start without real secrets; development generates them."""

import pytest

from servicekit.config import ConfigError, load_settings

REAL = "q7Vw1mZk3pLr9sXt2bNc8dHf4gJy6aQe0uIo"
BASE = {
    "DATABASE_URL": "postgresql://db.internal/x",
    "WLT_JWT_SECRET": REAL,
    "WLT_SERVICE_TOKEN": REAL,
}


def test_production_starts_with_real_secrets():
    settings = load_settings("user", {**BASE, "WLT_ENV": "production"})
    assert settings.production and settings.jwt_secret == REAL


@pytest.mark.parametrize(
    "override",
    [
        {"WLT_JWT_SECRET": ""},
        {"WLT_JWT_SECRET": "short"},
        {"WLT_SERVICE_TOKEN": "dev-" + REAL},
        {"WLT_JWT_SECRET": "change-me-" + REAL},
        {"DATABASE_URL": ""},
    ],
)
def test_production_refuses_missing_or_placeholder_settings(override):
    with pytest.raises(ConfigError):
        load_settings("user", {**BASE, **override, "WLT_ENV": "production"})


def test_development_generates_distinct_secrets_loudly(caplog):
    env = {"DATABASE_URL": "postgresql://x/y"}
    first, second = load_settings("user", env), load_settings("user", env)
    assert len(first.jwt_secret) >= 32 and first.jwt_secret != second.jwt_secret
    assert "DEVELOPMENT ONLY" in caplog.text


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError):
        load_settings("user", {**BASE, "WLT_ENV": "prod"})


def test_service_urls_and_topic_prefix_come_from_environment():
    settings = load_settings(
        "friends", {**BASE, "USER_SERVICE_URL": "http://u:1/", "KAFKA_TOPIC_PREFIX": "p."}
    )
    assert settings.service_urls == {"user": "http://u:1"}
    assert settings.topic("user-deleted") == "p.user-deleted"
