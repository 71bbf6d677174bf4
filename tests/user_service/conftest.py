"""Fixtures of the user service's tests."""

import pytest


@pytest.fixture
def app(make_app):
    """The user service on its own test database."""
    return make_app("user_service")


@pytest.fixture
def client(app):
    """Flask test client (no gateway: identity comes from test headers)."""
    return app.test_client()
