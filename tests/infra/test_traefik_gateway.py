"""The generated gateway config, loaded by the real Traefik binary in front of stand-in backends.

The stand-in backends are tiny stdlib HTTP servers, not the real services: one plays
the auth service's /verify, one plays the user service and echoes what reached it.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devstack.__main__ import CHECKED_IN
from devstack.ports import STACK_OFFSETS, free_port_base
from devstack.services import DASHBOARD_PORT_OFFSET, DEFAULT_PORT_BASE, SERVICES, by_name
from devstack.stack import REPO_ROOT
from devstack.supervisor import ManagedProcess
from devstack.traefik import (
    GatewayLimits,
    dashboard_users,
    dump,
    dynamic_config,
    static_config,
    traefik_binary,
    write_config,
)

DEPLOYED_LIMITS = GatewayLimits()
STAND_IN_USER_ID = "00000000-0000-4000-8000-000000000001"


class StandInAuth(BaseHTTPRequestHandler):
    """Stand-in for the auth service's /verify: every request is user STAND_IN_USER_ID."""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(200 if self.path in ("/verify", "/health/ready") else 404)
        self.send_header("X-User-Id", STAND_IN_USER_ID)
        self.send_header("X-User-Role", "USER")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class StandInService(BaseHTTPRequestHandler):
    """Stand-in for a service: answers 200 with the path and headers it received."""

    seen: list[str] = []

    def do_GET(self):  # noqa: N802
        # the gateway fetching its own error page is not the client's request arriving
        if not self.path.startswith("/problems/"):
            StandInService.seen.append(self.path)
        body = json.dumps({"path": self.path, "headers": dict(self.headers.items())}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _serve(handler, port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _post(url: str) -> tuple[int, dict, bytes]:
    """Status, headers and body of an empty JSON POST, errors included."""
    request = urllib.request.Request(
        url, data=b"{}", method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@contextmanager
def stand_in_gateway(tmp: Path, limits: GatewayLimits = DEPLOYED_LIMITS):
    """Traefik on a free port base with the generated config, routing to stand-ins."""
    base = free_port_base(STACK_OFFSETS)
    backends = [
        _serve(StandInAuth, base + by_name("auth").port_offset),
        _serve(StandInService, base + by_name("user").port_offset),
    ]
    dashboard = base + DASHBOARD_PORT_OFFSET
    static, _ = write_config(
        tmp / "conf",
        SERVICES,
        port_base=base,
        dashboard_port=dashboard,
        log_dir=tmp,
        dashboard=dashboard_users("admin", "stand-in password"),
        limits=limits,
    )
    argv = [traefik_binary(), f"--configFile={static}"]
    traefik = ManagedProcess("traefik", argv, log_path=tmp / "out.log")
    traefik.start()
    url = f"http://127.0.0.1:{base}"
    deadline = time.monotonic() + 30
    try:
        while True:  # the file provider loads after the entrypoints open
            try:
                if _get(f"{url}/users/openapi.json")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"traefik never routed:\n{traefik.log_tail()}"
            time.sleep(0.2)
        yield url, tmp / "traefik.log"
    finally:
        traefik.stop()
        for server in backends:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    """Traefik on a free port base, routing to stand-in auth and user backends."""
    with stand_in_gateway(tmp_path_factory.mktemp("traefik")) as running:
        yield running


def test_a_client_past_its_burst_gets_429_problems_on_every_route(tmp_path):
    limits = GatewayLimits(per_second=2, burst=3)
    with stand_in_gateway(tmp_path, limits) as (url, _):
        time.sleep(3)  # the error pages' pool: the stand-in auth fails its health check
        reads = [_get(f"{url}/users/openapi.json") for _ in range(8)]

    assert {status for status, _, _ in reads} == {200, 429}
    (status, headers, body) = next(r for r in reads if r[0] == 429)
    assert json.loads(body)["path"] == "/problems/429?limit=2&window=1"  # the page it asked for


def test_prefixed_path_reaches_the_service_with_its_full_path(gateway):
    url, _ = gateway
    status, headers, body = _get(f"{url}/users/abc?x=1")
    assert status == 200
    assert json.loads(body)["path"] == "/users/abc?x=1"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    "path",
    ["/nowhere", "/", "/usersfoo", "/health/ready", "/metrics"],
)
def test_unknown_paths_are_404(gateway, path):
    url, _ = gateway
    assert _get(f"{url}{path}")[0] == 404


@pytest.mark.parametrize(
    "path",
    ["/internal/users", "/users/internal/create", "/users/Internal", "/users/abc/INTERNAL/x"],
)
def test_internal_paths_are_404_and_never_reach_a_service(gateway, path):
    url, _ = gateway
    before = list(StandInService.seen)
    assert _get(f"{url}{path}")[0] == 404
    assert StandInService.seen == before


@pytest.mark.parametrize("path", ["/users/..%2finternal", "/users/%2e%2e/internal", "/users/a%2Fb"])
def test_encoded_tricks_do_not_reach_a_service(gateway, path):
    url, _ = gateway
    before = list(StandInService.seen)
    assert _get(f"{url}{path}")[0] in (400, 404)
    assert StandInService.seen == before


def test_identity_headers_come_only_from_the_auth_answer(gateway):
    url, _ = gateway
    spoofed = {"X-User-Id": "attacker", "X-User-Role": "ADMIN", "X.User.Role": "ADMIN"}
    status, _, body = _get(f"{url}/users/me", headers=spoofed)
    assert status == 200
    received = {k.lower(): v for k, v in json.loads(body)["headers"].items()}
    assert received["x-user-id"] == STAND_IN_USER_ID
    assert received["x-user-role"] == "USER"
    assert "x.user.role" not in received


def test_traefik_logged_no_configuration_error_or_warning(gateway):
    _, log = gateway
    complaints = [
        line for line in log.read_text().splitlines() if " ERR " in line or " WRN " in line
    ]
    assert complaints == []


def test_checked_in_gateway_config_matches_the_generator():
    folder = REPO_ROOT / "traefik" / "local"
    static = static_config(
        gateway_port=DEFAULT_PORT_BASE,
        dashboard_port=DEFAULT_PORT_BASE + DASHBOARD_PORT_OFFSET,
        dynamic_file="traefik/local/dynamic.yml",
        log_dir="var/log",
        consul=CHECKED_IN["consul"],
    )
    assert Path(folder / "traefik.yml").read_text() == dump(static), "run make traefik-config"
    dynamic = dump(
        dynamic_config(
            SERVICES,
            port_base=DEFAULT_PORT_BASE,
            dashboard=CHECKED_IN["dashboard"],
            verify_url=CHECKED_IN["verify_url"],
            cors=CHECKED_IN["cors"],
        )
    )
    assert Path(folder / "dynamic.yml").read_text() == dynamic, "run make traefik-config"
