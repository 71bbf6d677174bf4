"""Fixtures of the end-to-end tests: users signed up through the gateway of the shared stack."""

import pytest

from tests.helpers import Api, sign_up


@pytest.fixture
def user(gateway) -> Api:
    """A freshly signed-up user."""
    return sign_up(gateway, "Alice")


@pytest.fixture
def other(gateway) -> Api:
    """A second, unrelated user."""
    return sign_up(gateway, "Bob")
