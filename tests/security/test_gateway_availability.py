"""Availability at the gateway: slow bodies cost only their own connection, expensive
anonymous routes and every route have per-client limits answered as problem documents,
and /verify runs on processes that no body and no sign-up hash can hold (shared stack)."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

from devstack.traefik import GatewayLimits
from tests.helpers import (
    PASSWORD,
    TEST_GATEWAY_LIMITS,
    another_loopback_address,
    client_from,
    sign_up,
)

SLOW_CLIENTS = 24


def slow_bodies(host: str, port: int, path: str, count: int = SLOW_CLIENTS) -> list[socket.socket]:
    """`count` connections that announce a 64 KiB body, send a few bytes of it and hold."""
    held = []
    for _ in range(count):
        sock = socket.create_connection((host, port), timeout=5)
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            'Content-Length: 65536\r\n\r\n{"email": "'.encode()
        )
        held.append(sock)
    return held


def timed_reads(url: str, count: int = 12) -> list[tuple[int, float]]:
    """(status, seconds) of `count` GETs of `url` from a client of their own."""
    client = client_from(another_loopback_address())
    results = []
    for _ in range(count):
        t0 = time.monotonic()
        answer = client.get(url, timeout=8)
        results.append((answer.status_code, time.monotonic() - t0))
    return results


def reads_while_slow_bodies_hold(host: str, port: int, url: str) -> list[tuple[int, float]]:
    """Other clients' reads of `url` while SLOW_CLIENTS slow bodies hold `host:port`."""
    held = slow_bodies(host, port, "/auth/signup")
    try:
        time.sleep(0.5)
        return timed_reads(url)
    finally:
        for sock in held:
            sock.close()


@pytest.fixture
def profile_url(gateway) -> str:
    """A public read that needs forward auth and a service: someone's profile."""
    return f"{gateway}/users/{sign_up(gateway, 'Reader').user_id}"


def test_slow_bodies_at_the_gateway_do_not_stall_other_clients(gateway, profile_url):
    parts = urlsplit(gateway)

    during = reads_while_slow_bodies_hold(parts.hostname, parts.port, profile_url)

    assert [status for status, _ in during] == [200] * len(during)
    # stalled, these wait for the slow bodies (the gateway's read timeout is 10 s)
    assert max(seconds for _, seconds in during) < 5, during


def test_the_gateway_drops_a_client_that_never_finishes_its_body(gateway):
    parts = urlsplit(gateway)
    (sock,) = slow_bodies(parts.hostname, parts.port, "/auth/signup", count=1)
    sock.settimeout(20)
    t0 = time.monotonic()
    try:
        answer = sock.recv(4096)  # b"" (closed) or the gateway's error answer
    finally:
        sock.close()

    assert time.monotonic() - t0 < 15
    assert not answer.startswith(b"HTTP/1.1 201")


def test_slow_bodies_straight_at_the_auth_port_do_not_stall_verify(stack, gateway, profile_url):
    auth = urlsplit(stack.service_url("auth"))

    during = reads_while_slow_bodies_hold(auth.hostname, auth.port, profile_url)

    assert [status for status, _ in during] == [200] * len(during)
    assert max(seconds for _, seconds in during) < 5, during


def test_verify_processes_serve_nothing_but_verify_and_never_read_a_body(stack):
    verify = stack.verify_url

    assert requests.get(f"{verify}/health/live", timeout=5).status_code == 200
    answer = requests.post(f"{verify}/auth/signup", json={"email": "x"}, timeout=5)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_sign_ups_hashing_in_parallel_do_not_starve_verify(gateway, profile_url):
    def one_sign_up(number: int) -> int:
        client = client_from(another_loopback_address())
        answer = client.post(
            f"{gateway}/auth/signup",
            json={
                "email": f"hash-{number}-{time.time_ns()}@example.com",
                "password": PASSWORD,
                "displayName": "Hash",
            },
            timeout=30,
        )
        return answer.status_code, answer.text[:200]

    with ThreadPoolExecutor(max_workers=8) as pool:
        signups = [pool.submit(one_sign_up, n) for n in range(16)]
        time.sleep(0.3)
        during = timed_reads(profile_url, count=8)
        statuses = [future.result() for future in signups]

    assert {s for s, _ in statuses} <= {201, 429}, [x for x in statuses if x[0] != 201]
    assert [status for status, _ in during] == [200] * len(during)
    assert max(seconds for _, seconds in during) < 5, during


@pytest.mark.parametrize("path", ["/auth/signup", "/auth/signin"])
def test_credential_routes_are_limited_per_client_before_any_hash(gateway, path):
    limit = TEST_GATEWAY_LIMITS.credentials_per_minute
    client = client_from(another_loopback_address())

    # malformed bodies: counted all the same, and cheap (no password hash); in parallel, so
    # all of them fall in one minute's window even on a loaded machine
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda _: client.post(gateway + path, json=[], timeout=10), range(limit + 10))
        )
    answer = next((a for a in answers if a.status_code == 429), None)

    assert answer is not None, "never limited"
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["status"] == 429
    wait = int(answer.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert answer.headers["RateLimit-Policy"] == f"{limit};w=60"
    assert answer.headers["RateLimit"] == f"limit={limit}, remaining=0, reset={wait}"
    other = client_from(another_loopback_address())
    assert other.post(gateway + path, json=[], timeout=10).status_code == 422


def test_the_deployed_limits_are_strict_about_anonymous_hashing():
    deployed = GatewayLimits()

    # "20 sign-ups from one client in 3 s" is no longer possible
    assert deployed.credentials_per_minute < 20
    assert deployed.max_body_bytes == 1024 * 1024
    # (every route's general limit: tests/infra/test_traefik_gateway.py, small numbers)


def test_a_body_over_the_limit_is_a_413_problem_from_the_gateway(gateway):
    answer = requests.post(
        f"{gateway}/auth/signup",
        data=b"x" * (GatewayLimits().max_body_bytes + 1),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )

    assert answer.status_code == 413
    assert answer.headers["Content-Type"] == "application/problem+json"
