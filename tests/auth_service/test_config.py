"""The auth service's own keys: production refuses to start without them or with a
public assertion key that is not theirs."""

import pytest

from servicekit import keys
from servicekit.config import ConfigError
from tests.helpers import KEY_ENV, SERVICE_KEYS

PRODUCTION = {
    **KEY_ENV,
    "WLT_ENV": "production",
    "WLT_SERVICE_KEY": SERVICE_KEYS["auth"],
    # production talks to its broker with a login (servicekit.config.kafka_auth_setting)
    "KAFKA_SASL_USERNAME": "auth",
    "KAFKA_SASL_PASSWORD": "a-password-the-test-broker-never-checks",
}


def test_production_starts_with_every_key(make_app):
    assert make_app("auth_service", **PRODUCTION).config["WLT_SETTINGS"].production


@pytest.mark.parametrize(
    "override",
    [
        {"WLT_TOKEN_SIGNING_KEY": ""},
        {"WLT_ASSERTION_SIGNING_KEY": ""},
        {"WLT_TOKEN_SIGNING_KEY": "REPLACE_ME"},
        {"WLT_ASSERTION_PUBLIC_KEY": keys.public_of(keys.generate())},
        {"WLT_TRUSTED_PROXIES": "10.0.0.0/8, not an address!"},
    ],
)
def test_production_refuses_missing_or_mismatched_keys(make_app, override):
    with pytest.raises(ConfigError):
        make_app("auth_service", **{**PRODUCTION, **override})
