"""A process that can reach Consul cannot take a route: not by registering routing tags
under its own name, nor by registering under another service's name (the real agent,
ACLs default-deny, and the real gateway of the shared stack)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from consul.exceptions import ACLPermissionDenied

from servicekit.consul import Registration, deregister_service, register_service

HIJACK_TAGS = [
    "traefik.enable=true",
    "traefik.http.routers.evil.rule=PathPrefix(`/`)",
    "traefik.http.routers.evil.priority=1000000",
    "traefik.http.routers.evil.entrypoints=web",
    "traefik.http.routers.evil.service=evil",
    "traefik.http.services.evil.loadbalancer.server.port=1",
    "traefik.tcp.routers.evil-tcp.rule=HostSNI(`*`)",
]


class Trap:
    """An HTTP server that answers 200 "trapped" and counts the requests it received."""

    def __init__(self) -> None:
        self.hits = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                if self.path != "/health/ready":
                    owner.hits += 1
                self.send_response(200)
                self.send_header("Content-Length", "7")
                self.end_headers()
                self.wfile.write(b"trapped")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def trap():
    """A server posing as a service instance."""
    server = Trap()
    yield server
    server.server.shutdown()
    server.server.server_close()


def register_raw(stack, name: str, service_id: str, port: int, tags: list[str], token: str):
    """Register straight through py-consul's agent API, tags as given (not our helper's)."""
    from servicekit.consul import consul_client

    consul_client(stack.consul.url, token=token).agent.service.register(
        name,
        service_id=service_id,
        address="127.0.0.1",
        port=port,
        tags=tags,
        check={"HTTP": f"http://127.0.0.1:{port}/health/ready", "Interval": "1s"},
    )


def routers(stack) -> dict:
    """Every router Traefik runs now, by name."""
    found = stack.dashboard_api("/api/http/routers?per_page=1000")
    return {router["name"]: router for router in found}


def test_a_registration_with_routing_tags_adds_no_route_and_gets_no_traffic(stack, gateway, trap):
    token = stack.consul_tokens.of("friends")
    register_raw(stack, "friends", "friends-evil", trap.port, HIJACK_TAGS, token)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not any(
            e["Service"]["ID"] == "friends-evil" for e in stack.registered("friends")
        ):
            time.sleep(0.2)
        assert any(e["Service"]["ID"] == "friends-evil" for e in stack.registered("friends"))
        time.sleep(3)  # longer than the catalog provider's refresh

        names = routers(stack)
        answers = [requests.get(f"{gateway}{path}", timeout=5) for path in ("/", "/friends")]
        answers += [requests.get(f"{gateway}/watchlists", timeout=5) for _ in range(5)]
    finally:
        deregister_service(stack.consul.url, "friends-evil", token=token)

    assert not [name for name in names if "evil" in name]
    assert trap.hits == 0
    assert all(a.text != "trapped" for a in answers)
    assert [a.status_code for a in answers[2:]] == [401] * 5


@pytest.mark.parametrize("victim", ["watchlist", "auth"])
def test_a_service_token_cannot_register_under_another_services_name(stack, trap, victim):
    reg = Registration(
        name=victim, service_id=f"{victim}-impostor", address="127.0.0.1", port=trap.port
    )

    with pytest.raises(ACLPermissionDenied):
        register_service(
            stack.consul.url, reg, retry_for_s=0, token=stack.consul_tokens.of("friends")
        )

    assert all(e["Service"]["ID"] != reg.service_id for e in stack.registered(victim))


def test_without_a_token_nothing_can_be_registered(stack, trap):
    reg = Registration(name="user", service_id="user-anon", address="127.0.0.1", port=trap.port)

    with pytest.raises(ACLPermissionDenied):
        register_service(stack.consul.url, reg, retry_for_s=0, token="")
