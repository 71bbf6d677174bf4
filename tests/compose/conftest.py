"""compose.yaml and the compose gateway config, parsed once per session."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

ONE_SHOT = "no"  # restart policy that marks a run-to-completion container


def load(relative: str) -> dict[str, Any]:
    """A YAML file of the repository, merge keys resolved."""
    return yaml.safe_load((ROOT / relative).read_text())


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    """compose.yaml as docker compose reads it (before variable interpolation)."""
    return load("compose.yaml")


@pytest.fixture(scope="session")
def containers(compose) -> dict[str, dict[str, Any]]:
    """The `services:` mapping of compose.yaml."""
    return compose["services"]
