"""compose.yaml and the compose gateway config, parsed once per session."""

from __future__ import annotations

from typing import Any

import pytest

from tests.compose.support import load


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    """compose.yaml as docker compose reads it (before variable interpolation)."""
    return load("compose.yaml")


@pytest.fixture(scope="session")
def containers(compose) -> dict[str, dict[str, Any]]:
    """The `services:` mapping of compose.yaml."""
    return compose["services"]
