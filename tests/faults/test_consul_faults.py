"""Consul topology faults on the private stack: a replica killed, the agent restarted, two
replicas balanced. The gateway routes through its Consul Catalog provider, as deployed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import requests

from devstack.ports import free_port
from devstack.services import SERVICES
from devstack.supervisor import ManagedProcess
from tests.helpers import sign_up

ROUTED = [spec.name for spec in SERVICES if spec.prefix]


def wait_for(predicate, what: str, timeout: float):
    """Poll `predicate` until truthy; AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def gateway_servers(stack, name: str) -> set[str]:
    """The server URLs Traefik balances `name@consulcatalog` over right now."""
    try:
        answer = requests.get(
            f"http://127.0.0.1:{stack.dashboard_port}/api/http/services/{name}@consulcatalog",
            timeout=2,
        )
    except requests.RequestException:
        return set()
    if answer.status_code != 200:
        return set()
    return {server["url"] for server in answer.json()["loadBalancer"]["servers"]}


def passing_ports(stack, name: str) -> set[int]:
    """Ports of the passing instances of `name` in Consul."""
    return {entry["Service"]["Port"] for entry in stack.registered(name)}


@contextmanager
def second_instance(stack, name: str) -> Iterator[tuple[ManagedProcess, int]]:
    """One more replica of `name`, registered and in the gateway's pool, killed afterwards."""
    port = free_port()
    process = stack.add_instance(name, port)
    try:
        wait_for(lambda: port in passing_ports(stack, name), f"{name}:{port} passing", 30)
        wait_for(
            lambda: f"http://127.0.0.1:{port}" in gateway_servers(stack, name),
            f"the gateway to add {name}:{port}",
            15,
        )
        yield process, port
    finally:
        process.kill()


def request_log_lines(path, needle: str) -> int:
    """How many of a service's JSON request log lines name `needle`."""
    return sum(needle in line for line in path.read_text(errors="replace").splitlines())


def test_two_registered_instances_share_the_gateway_traffic(fault_stack, gateway):
    user = sign_up(gateway, "Balance")
    with second_instance(fault_stack, "mediastatistics") as (process, port):
        for _ in range(20):
            assert user.get("/mediastatistics/4242").status_code == 200

        first = request_log_lines(fault_stack.process("mediastatistics-service").log_path, "4242")
        second = request_log_lines(process.log_path, "4242")

    assert first + second >= 20
    assert first >= 5 and second >= 5, (first, second)


def test_a_killed_instance_leaves_the_pool_within_10_s_and_no_request_fails_after(
    fault_stack, gateway
):
    user = sign_up(gateway, "Kill")
    with second_instance(fault_stack, "user") as (process, port):
        process.kill()
        killed_at = time.monotonic()
        statuses: list[tuple[float, int]] = []

        def one(_: int) -> None:
            answer = requests.get(f"{gateway}/users/{user.user_id}", timeout=5)
            statuses.append((time.monotonic() - killed_at, answer.status_code))

        with ThreadPoolExecutor(max_workers=4) as pool:
            deadline = killed_at + 14
            while time.monotonic() < deadline:
                list(pool.map(one, range(4)))
                time.sleep(0.05)
        critical_after = wait_for(
            lambda: port not in passing_ports(fault_stack, "user") and time.monotonic() - killed_at,
            "Consul to mark the killed instance critical",
            15,
        )
        removed = f"http://127.0.0.1:{port}" not in gateway_servers(fault_stack, "user")

    late_errors = [s for t, s in statuses if t > 10 and s >= 500]
    assert critical_after < 10
    assert removed
    assert late_errors == []
    assert [s for _, s in statuses if s >= 500] == [], "the gateway's retry should cover the gap"


def test_a_restarted_agent_that_forgot_everything_gets_every_instance_back_within_15_s(
    fault_stack, gateway
):
    before = sign_up(gateway, "BeforeRestart")
    consul = fault_stack.consul
    consul.process.pause_restarts()
    consul.stop()
    try:
        # the gateway routes on its last configuration; services resolve from their cache
        during = sign_up(gateway, "WhileAway")  # auth -> user service, found through Consul
        assert during.get("/friends").status_code == 200  # friends -> user display names
        assert before.get(f"/users/{during.user_id}").status_code == 200
    finally:
        consul.wipe()  # as a new or dev-mode agent: no services, no tokens
        consul.start()
        consul.process.resume_restarts()
    restarted = time.monotonic()

    for name in ROUTED:
        wait_for(lambda name=name: fault_stack.registered(name), f"{name} registered again", 15)
    took = time.monotonic() - restarted
    for name in ROUTED:
        wait_for(lambda name=name: gateway_servers(fault_stack, name), f"{name} routed", 10)

    assert took < 15
    assert before.get("/watchlists").status_code == 200
    assert sign_up(gateway, "AfterRestart").get("/auth/me").status_code == 200
