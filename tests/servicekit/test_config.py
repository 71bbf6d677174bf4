"""Settings: production refuses to start without real secrets; development generates them."""

import pytest

from servicekit import keys
from servicekit.config import ConfigError, load_settings

KEY = keys.generate()
PUBLIC = keys.public_of(keys.generate())
BASE = {
    "DATABASE_URL": "postgresql://db.internal/x",
    "WLT_SERVICE_KEY": KEY,
    "WLT_ASSERTION_PUBLIC_KEY": PUBLIC,
    "WLT_SERVICE_PUBLIC_KEYS": f"auth:{PUBLIC},friends:{keys.public_of(KEY)}",
}


def test_production_starts_with_real_keys():
    settings = load_settings("user", {**BASE, "WLT_ENV": "production"})
    assert settings.production and settings.service_key == KEY
    assert settings.service_public_keys == {"auth": PUBLIC, "friends": keys.public_of(KEY)}


@pytest.mark.parametrize(
    "override",
    [
        {"WLT_SERVICE_KEY": ""},
        {"WLT_SERVICE_KEY": "REPLACE_ME"},
        {"WLT_SERVICE_KEY": KEY[:-4]},
        {"WLT_ASSERTION_PUBLIC_KEY": ""},
        {"WLT_ASSERTION_PUBLIC_KEY": "change-me"},
        {"WLT_SERVICE_PUBLIC_KEYS": ""},
        {"WLT_SERVICE_PUBLIC_KEYS": f"auth={PUBLIC}"},
        {"WLT_SERVICE_PUBLIC_KEYS": "auth:not-a-key"},
        {"DATABASE_URL": ""},
    ],
)
def test_production_refuses_missing_or_placeholder_settings(override):
    with pytest.raises(ConfigError):
        load_settings("user", {**BASE, **override, "WLT_ENV": "production"})


def test_development_generates_distinct_keys_loudly(caplog):
    env = {"DATABASE_URL": "postgresql://x/y"}
    first, second = load_settings("user", env), load_settings("user", env)
    assert first.service_key != second.service_key
    keys.private_key(first.service_key)
    assert "DEVELOPMENT ONLY" in caplog.text


def test_a_malformed_key_is_refused_even_in_development():
    with pytest.raises(ConfigError):
        load_settings("user", {"DATABASE_URL": "postgresql://x/y", "WLT_SERVICE_KEY": "nope"})


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError):
        load_settings("user", {**BASE, "WLT_ENV": "prod"})


def test_service_urls_and_topic_prefix_come_from_environment():
    settings = load_settings(
        "friends", {**BASE, "USER_SERVICE_URL": "http://u:1/", "KAFKA_TOPIC_PREFIX": "p."}
    )
    assert settings.service_urls == {"user": "http://u:1"}
    assert settings.topic("user-deleted") == "p.user-deleted"


def test_production_with_a_broker_needs_its_credentials():
    with_broker = {**BASE, "WLT_ENV": "production", "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092"}
    with pytest.raises(ConfigError, match="KAFKA_SASL_USERNAME"):
        load_settings("user", with_broker)
    settings = load_settings(
        "user", {**with_broker, "KAFKA_SASL_USERNAME": "user", "KAFKA_SASL_PASSWORD": "pw"}
    )
    assert settings.kafka_auth == {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "PLAIN",
        "sasl.username": "user",
        "sasl.password": "pw",
    }


def test_a_broker_username_without_its_password_is_refused_in_any_mode():
    with pytest.raises(ConfigError):
        load_settings("user", {**BASE, "KAFKA_SASL_USERNAME": "user"})


def test_development_talks_to_a_local_broker_without_credentials():
    assert (
        load_settings("user", {**BASE, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092"}).kafka_auth
        == {}
    )
