"""The Swarm stack under test (make test-swarm): its gateway, Traefik API and Consul API."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass

import pytest
import requests

from tests.containers.compose import DASHBOARD_USER


@dataclass(frozen=True)
class Stack:
    """A deployed stack, reached through the runner's loopback forwarder."""

    name: str
    gateway: str
    dashboard: str
    consul: str
    consul_token: str

    def service(self, name: str) -> str:
        return f"{self.name}_{name}"

    def docker(self, *args: str, timeout: float = 600) -> str:
        result = subprocess.run(
            ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        assert result.returncode == 0, f"docker {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout.strip()

    def passing(self, service: str) -> list[str]:
        response = requests.get(
            f"{self.consul}/v1/health/service/{service}?passing=true",
            headers={"X-Consul-Token": self.consul_token},
            timeout=5,
        )
        response.raise_for_status()
        return sorted(entry["Service"]["ID"] for entry in response.json())

    def routed_servers(self, service: str) -> list[str]:
        response = requests.get(
            f"{self.dashboard}/api/http/services/{service}@consulcatalog",
            auth=(DASHBOARD_USER, os.environ["WLT_TEST_DASHBOARD_PASSWORD"]),
            timeout=5,
        )
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return sorted(s["url"] for s in response.json().get("loadBalancer", {}).get("servers", []))

    def task_ids(self, name: str) -> set[str]:
        out = self.docker("service", "ps", "-q", "--filter", "desired-state=running",
                          self.service(name))  # fmt: skip
        return set(out.split())


@pytest.fixture(scope="session")
def stack() -> Stack:
    name = os.environ.get("WLT_SWARM_STACK")
    if not name:
        pytest.fail("no Swarm stack: run `make test-swarm`", pytrace=False)
    return Stack(
        name=name,
        gateway=os.environ["WLT_TEST_GATEWAY"],
        dashboard=os.environ["WLT_SWARM_DASHBOARD"],
        consul=os.environ["WLT_SWARM_CONSUL"],
        consul_token=os.environ["WLT_SWARM_CONSUL_TOKEN"],
    )


@pytest.fixture(scope="session")
def gateway(stack) -> str:
    return stack.gateway
