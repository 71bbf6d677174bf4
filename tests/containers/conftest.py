"""The container suite: runs only under `make test-containers` (python -m tests.containers).

That runner installs and starts the engine, builds the images, brings compose.yaml up and
exports WLT_CONTAINER_TESTS=compose with the project's name and env file (`swarm` and the
stack's addresses for swarm/, under `make test-swarm`). Plain `make test` never collects
these files; run directly without the runner, they fail (never skip).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.containers.compose import ROOT, Project

MODE = os.environ.get("WLT_CONTAINER_TESTS", "")
collect_ignore_glob = []
if MODE not in ("1", "compose"):
    collect_ignore_glob.append("test_*.py")
if MODE != "swarm":
    collect_ignore_glob.append("swarm/*")


@pytest.fixture(scope="session")
def project() -> Project:
    """The compose project the runner brought up."""
    name = os.environ.get("WLT_COMPOSE_PROJECT")
    env_file = os.environ.get("WLT_COMPOSE_ENV_FILE")
    if not name or not env_file:
        pytest.fail("no compose project: run `make test-containers`", pytrace=False)
    override = Path(env_file).with_name("compose.test.yaml")
    files = (ROOT / "compose.yaml", *([override] if override.exists() else []))
    project = Project(name, Path(env_file), files)
    if not project.containers("traefik"):
        pytest.fail(f"compose project {name} is not running", pytrace=False)
    return project


@pytest.fixture(scope="session")
def gateway(project) -> str:
    """The compose gateway, published on 127.0.0.1."""
    return project.gateway
