"""One whole stack with its OWN PostgreSQL and Kafka broker, shared by the fault cases.

The cases freeze, stop, kill and restart its parts, so it is never the session's shared
`stack`. Every case restores what it broke; the autouse fixture below makes sure of it
(and waits until every service answers again) before the next case starts.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
import requests

from devstack.ports import free_port, free_port_base
from devstack.services import SERVICES
from devstack.stack import LocalStack
from tests.helpers import TEST_GATEWAY_LIMITS, Api, sign_up


@pytest.fixture(scope="package")
def fault_stack(tmp_path_factory):
    """Every service, worker, Traefik, a private PostgreSQL and a private Kafka broker."""
    local = LocalStack(
        tmp_path_factory.mktemp("faults"),
        port_base=free_port_base(),
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
        postgres_port=free_port(),
        topic_prefix="faults.",
        gateway_limits=TEST_GATEWAY_LIMITS,
        gunicorn_workers=1,
        from_environment=False,
        log=lambda *args, **kwargs: None,
    )
    local.start()
    assert local.kafka is not None, "the fault suite needs its own broker (java + Kafka jars)"
    try:
        yield local
    finally:
        local.stop()


def _live(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def restore(stack: LocalStack, timeout: float = 90.0) -> None:
    """Thaw and start whatever a case left frozen or stopped; wait until all of it answers."""
    for process in stack.supervisor.processes.values():
        process.thaw()
        process.resume_restarts()
    if not stack.postgres.process.running:
        stack.postgres.start()
    if not stack.kafka.process.running:
        stack.kafka.start()
    for process in stack.supervisor.processes.values():
        if not process.running:
            process.start()
    urls = [f"{stack.service_url(s.name)}/health/live" for s in SERVICES]
    # Traefik takes a service out while its /health/ready fails (checked every 5 s): wait
    # until the gateway routes to every service again
    urls += [f"{stack.gateway_url}{s.prefix}/openapi.json" for s in SERVICES if s.prefix]
    deadline = time.monotonic() + timeout
    for url in urls:
        while not _live(url):
            assert time.monotonic() < deadline, f"{url} does not answer after the case"
            time.sleep(0.2)
    # and a call that crosses services (auth -> user, found through Consul, behind a
    # breaker that may still be open from the case) works again
    while not _signs_up(stack.gateway_url):
        assert time.monotonic() < deadline, "sign-up does not work after the case"
        time.sleep(0.5)


def _signs_up(gateway: str) -> bool:
    try:
        sign_up(gateway, "Restored")
    except (AssertionError, OSError, requests.RequestException):
        return False
    return True


@pytest.fixture(autouse=True)
def everything_restored_afterwards(fault_stack):
    """Whatever a case broke is running and thawed before the next one starts."""
    yield
    restore(fault_stack)


@pytest.fixture
def gateway(fault_stack) -> str:
    return fault_stack.gateway_url


@pytest.fixture
def alice(gateway) -> Api:
    return sign_up(gateway, "Alice")


@pytest.fixture
def bob(gateway) -> Api:
    return sign_up(gateway, "Bob")
