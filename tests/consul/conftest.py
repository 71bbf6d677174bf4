"""Fixtures of the Consul tests: real Consul agents (ACLs on, default deny) on free ports.

`consul_agent` is shared by the module's cases that leave it as they found it;
`fresh_agent` is a private one for cases that stop, freeze or wipe it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.consul import ConsulAgent, ConsulTokens
from devstack.consulbin import find_consul
from devstack.ports import free_port
from tests.consul.support import ReadyServer


def start_agent(folder: Path) -> ConsulAgent:
    """A started agent with its own tokens under `folder`; fails (never skips) without consul."""
    binary, source = find_consul()
    if binary is None:
        pytest.fail(f"no consul binary ({source}): `make setup` builds one")
    agent = ConsulAgent(
        binary,
        folder / "consul",
        http_port=free_port(),
        serf_port=free_port(),
        server_port=free_port(),
        tokens=ConsulTokens.load_or_create(folder / "tokens.env"),
    )
    agent.start()
    return agent


@pytest.fixture(scope="module")
def consul_agent(tmp_path_factory) -> Iterator[ConsulAgent]:
    """One real agent for the module."""
    agent = start_agent(tmp_path_factory.mktemp("consul"))
    try:
        yield agent
    finally:
        agent.stop()


@pytest.fixture
def fresh_agent(tmp_path) -> Iterator[ConsulAgent]:
    """A real agent of the test's own, which the test may stop, freeze or wipe."""
    agent = start_agent(tmp_path)
    try:
        yield agent
    finally:
        agent.process.thaw()
        agent.stop()


@pytest.fixture
def ready_server() -> Iterator[ReadyServer]:
    """A readiness endpoint the test can turn unhealthy."""
    server = ReadyServer()
    try:
        yield server
    finally:
        server.close()


class FakeClock:
    """A monotonic clock the test moves by hand, so cache expiry needs no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    """A clock that only moves when the test says so."""
    return FakeClock()
