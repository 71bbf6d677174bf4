"""One compose project under test: its commands, containers, Consul catalog and Traefik view.

Everything is reached from the host through ports compose publishes on 127.0.0.1: the
gateway, Traefik's API (dashboard port) and Consul's API (through Traefik's consul-ui
entrypoint). The project's .env is generated per run (`write_env_file`), never committed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import requests

from servicekit.keys import SERVICE_NAMES  # noqa: F401 - every service; imported from here by the suites

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")
ROUTED = {
    "auth": "/auth",
    "user": "/users",
    "watchlist": "/watchlists",
    "friends": "/friends",
    "friendswatchlist": "/friendswatchlists",
    "mediastatistics": "/mediastatistics",
    "activity": "/activity",
}


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env_example_keys() -> list[str]:
    """The variables .env.example asks for (uncommented `KEY=` lines)."""
    keys = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        key, sep, _ = line.partition("=")
        if sep and key and not key.startswith("#"):
            keys.append(key.strip())
    return keys


DASHBOARD_USER = "admin"


def htpasswd_sha(user: str, password: str) -> str:
    """An htpasswd line in the {SHA} scheme Traefik's basicAuth accepts (no `$` to escape)."""
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    return f"{user}:{{SHA}}{digest}"


def write_env_file(path: Path, ports: dict[str, int]) -> dict[str, str]:
    """A fresh .env: every secret .env.example names, random; gateway on 127.0.0.1 only."""
    from servicekit.keys import env_block

    keys = env_block()  # the Ed25519 keys, as `python -m servicekit.keys` prints them
    values: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        key, sep, placeholder = line.partition("=")
        if not sep or key.startswith("#"):
            continue
        if key in keys:
            values[key] = keys[key]
        elif "UUID" in placeholder:  # Consul ACL tokens must be UUIDs
            values[key] = str(uuid.uuid4())
        else:  # passwords: hex, URL-safe inside DATABASE_URL
            values[key] = secrets.token_hex(32)
    missing = set(keys) - set(values)
    assert not missing, f".env.example does not name {sorted(missing)}"
    if "WLT_DASHBOARD_USERS" in values:
        password = secrets.token_hex(24)
        values["WLT_DASHBOARD_USERS"] = htpasswd_sha(DASHBOARD_USER, password)
        values["WLT_TEST_DASHBOARD_PASSWORD"] = password  # read by the tests only
    values.update(
        WLT_GATEWAY_BIND="127.0.0.1",
        WLT_GATEWAY_PORT=str(ports["gateway"]),
        WLT_DASHBOARD_PORT=str(ports["dashboard"]),
        WLT_CONSUL_UI_PORT=str(ports["consul"]),
        # as the local test stacks (tests/conftest.py TEST_GATEWAY_LIMITS): one client
        # signs up hundreds of people per suite
        WLT_CREDENTIALS_PER_MINUTE=str(TEST_CREDENTIALS_PER_MINUTE),
    )
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    path.chmod(0o600)
    return values


# The suites send every request from one client, far faster than one person would: as the
# local test stacks do (tests/conftest.py), the gateway under test keeps its rate-limit
# middlewares with roomier numbers. Everything else of traefik/compose is used as it is.
TEST_RATE_LIMITS = {"rate-limit": {"average": 2000, "burst": 4000}}
TEST_CREDENTIALS_PER_MINUTE = 600  # the auth service's credential limit (auth_service/gate.py)


def gateway_config_for_tests(folder: Path) -> Path:
    """A copy of traefik/compose with TEST_RATE_LIMITS in its rate-limit middlewares."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    source = ROOT / "traefik" / "compose"
    for path in source.iterdir():
        (folder / path.name).write_text(path.read_text())
    dynamic_path = folder / "dynamic.yml"
    text = dynamic_path.read_text()
    dynamic = yaml.safe_load(text)
    middlewares = dynamic.get("http", {}).get("middlewares", {})
    changed = False
    for name, limits in TEST_RATE_LIMITS.items():
        if "rateLimit" in middlewares.get(name, {}):
            middlewares[name]["rateLimit"].update(limits)
            changed = True
    if changed:
        dynamic_path.write_text(yaml.safe_dump(dynamic, sort_keys=False))
    for path in folder.iterdir():
        path.chmod(0o644)
    folder.chmod(0o755)
    return folder


def write_override(path: Path, gateway_config: Path) -> Path:
    """A compose override that mounts `gateway_config` as Traefik's config folder."""
    path.write_text(
        "# test run only: the gateway config with roomier rate limits (tests/containers)\n"
        "services:\n  traefik:\n    volumes:\n"
        f"      - {gateway_config}:/etc/traefik:ro\n"
    )
    return path


def eventually(check: Callable[[], T], timeout: float, interval: float = 0.5) -> T:
    """Call `check` until it stops raising AssertionError (or a connection error)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except (AssertionError, requests.RequestException):
            if time.monotonic() >= deadline:
                raise
        time.sleep(interval)


@dataclass
class Project:
    """A compose project: `docker compose -p NAME --env-file FILE -f compose.yaml ...`."""

    name: str
    env_file: Path
    files: tuple[Path, ...] = (ROOT / "compose.yaml",)

    @property
    def env(self) -> dict[str, str]:
        """The values of the project's .env."""
        pairs = (
            line.split("=", 1) for line in self.env_file.read_text().splitlines() if "=" in line
        )
        return dict(pairs)

    def compose(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess:
        """Run a compose command; output captured, failure raises with it."""
        files = [arg for f in self.files for arg in ("-f", str(f))]
        result = subprocess.run(
            ["docker", "compose", "-p", self.name, "--env-file", str(self.env_file), *files, *args],
            capture_output=True, text=True, timeout=timeout, cwd=ROOT,
            env={**os.environ, "DOCKER_BUILDKIT": "0"},
        )  # fmt: skip
        if check and result.returncode != 0:
            raise AssertionError(f"docker compose {' '.join(args)}: {result.stdout}{result.stderr}")
        return result

    # -- containers --------------------------------------------------------------------

    def containers(self, service: str, *, all_states: bool = False) -> list[str]:
        """Names of the service's containers (running ones unless `all_states`)."""
        args = ["ps", "--format", "{{.Name}}", *(["-a"] if all_states else []), service]
        return sorted(self.compose(*args).stdout.split())

    def state(self, container: str) -> dict:
        """`docker inspect`'s State of a container."""
        out = subprocess.run(
            ["docker", "inspect", "-f", "{{json .State}}", container],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return json.loads(out)

    def restart_count(self, container: str) -> int:
        out = subprocess.run(
            ["docker", "inspect", "-f", "{{.RestartCount}}", container],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return int(out)

    def logs(self, container: str, since: str | None = None) -> str:
        args = ["docker", "logs", *(["--since", since] if since else []), container]
        result = subprocess.run(args, capture_output=True, text=True, check=True)
        return result.stdout + result.stderr

    def docker(self, *args: str, timeout: float = 120) -> str:
        return subprocess.run(
            ["docker", *args], capture_output=True, text=True, check=True, timeout=timeout
        ).stdout

    def wait_healthy(self, container: str, timeout: float = 90) -> float:
        """Seconds until the container reports healthy; AssertionError on timeout."""
        t0 = time.monotonic()

        def healthy() -> None:
            state = self.state(container)
            assert state["Status"] == "running", state["Status"]
            assert state.get("Health", {}).get("Status") == "healthy", state.get("Health")

        eventually(healthy, timeout)
        return time.monotonic() - t0

    # -- published ports ---------------------------------------------------------------

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.env['WLT_GATEWAY_PORT']}"

    @property
    def traefik_api(self) -> str:
        return f"http://127.0.0.1:{self.env['WLT_DASHBOARD_PORT']}/api"

    @property
    def consul(self) -> str:
        return f"http://127.0.0.1:{self.env['WLT_CONSUL_UI_PORT']}"

    def consul_get(self, path: str):
        """GET on Consul's HTTP API with the management token (reaching it through Traefik)."""
        token = self.env.get("CONSUL_MANAGEMENT_TOKEN", "")
        response = requests.get(
            f"{self.consul}{path}", headers={"X-Consul-Token": token} if token else {}, timeout=5
        )
        response.raise_for_status()
        return response.json()

    def passing(self, service: str) -> list[str]:
        """Service ids of the instances whose checks pass in Consul."""
        entries = self.consul_get(f"/v1/health/service/{service}?passing=true")
        return sorted(entry["Service"]["ID"] for entry in entries)

    def routed_servers(self, service: str) -> list[str]:
        """The server URLs Traefik balances over for a Consul service."""
        password = self.env.get("WLT_TEST_DASHBOARD_PASSWORD")
        response = requests.get(
            f"{self.traefik_api}/http/services/{service}@consulcatalog",
            auth=(DASHBOARD_USER, password) if password else None,
            timeout=5,
        )
        if response.status_code == 404:
            return []
        response.raise_for_status()
        servers = response.json().get("loadBalancer", {}).get("servers", [])
        return sorted(server["url"] for server in servers)
