"""Gunicorn's master registers its instance in a real Consul agent once, drains on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from devstack.ports import free_port
from tests.helpers import ROOT

WORKERS = 3


def wait_for(predicate, what: str, timeout: float = 20.0):
    """Poll `predicate` until it is truthy or the deadline passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def start_gunicorn(log: Path, port: int, **env: str) -> subprocess.Popen:
    """The shared gunicorn config serving the stand-in app with WORKERS workers."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    return subprocess.Popen(
        [
            str(gunicorn),
            "-c",
            "servicekit/gunicorn_conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "tests.consul.ready_app:app",
        ],
        cwd=ROOT,
        env={**os.environ, "WEB_CONCURRENCY": str(WORKERS), **env},
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> int:
    """SIGTERM, as docker stop sends it; the exit status."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def instances(agent, name: str) -> list[dict]:
    """The catalog's instances of `name`."""
    return agent.get(f"/v1/catalog/service/{name}") or []


def answers(port: int) -> bool:
    """True if the instance still accepts requests."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.fixture
def gunicorn_log(tmp_path) -> Path:
    """Where gunicorn writes its own log lines."""
    return tmp_path / "gunicorn.log"


def consul_env(agent, name: str = "watchlist", **extra: str) -> dict[str, str]:
    """The environment a service instance registers with."""
    return {
        "DISCOVERY": "consul",
        "CONSUL_HTTP_ADDR": agent.url,
        "CONSUL_HTTP_TOKEN": agent.tokens.of(name),
        "WLT_SERVICE_NAME": name,
        "WLT_ROUTE_PREFIX": f"/{name}",
        "WLT_ADVERTISE_ADDRESS": "127.0.0.1",
        **extra,
    }


def test_gunicorn_master_registers_once_and_deregisters_on_exit(consul_agent, gunicorn_log):
    port = free_port()
    process = start_gunicorn(gunicorn_log, port, **consul_env(consul_agent))
    try:
        wait_for(
            lambda: gunicorn_log.read_text().count("Booting worker") >= WORKERS, "workers booted"
        )
        (service,) = wait_for(
            lambda: [s for s in instances(consul_agent, "watchlist") if s["ServicePort"] == port],
            "registered",
        )
    finally:
        status = stop(process)

    assert gunicorn_log.read_text().count("registered in Consul as") == 1  # master, not workers
    assert service["ServiceAddress"] == "127.0.0.1"
    assert service["ServiceTags"] == ["traefik.enable=true"]
    assert status == 0
    assert [s for s in instances(consul_agent, "watchlist") if s["ServicePort"] == port] == []


def test_sigterm_leaves_consul_first_and_keeps_serving_while_the_gateway_notices(
    consul_agent, gunicorn_log
):
    port = free_port()
    process = start_gunicorn(gunicorn_log, port, **consul_env(consul_agent, WLT_DRAIN_S="2"))
    try:
        wait_for(
            lambda: [s for s in instances(consul_agent, "watchlist") if s["ServicePort"] == port],
            "registered",
        )
        wait_for(lambda: answers(port), "serving")

        process.send_signal(signal.SIGTERM)
        wait_for(
            lambda: (
                not [s for s in instances(consul_agent, "watchlist") if s["ServicePort"] == port]
            ),
            "deregistered",
            timeout=1.5,
        )
        still_serving = answers(port)
        status = process.wait(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)

    assert still_serving, "the listener closed before the gateway could stop sending traffic"
    assert status == 0


def test_gunicorn_with_an_other_services_token_fails_to_start(consul_agent, gunicorn_log):
    env = consul_env(consul_agent, CONSUL_HTTP_TOKEN=consul_agent.tokens.of("friends"))
    process = start_gunicorn(gunicorn_log, free_port(), **env)
    try:
        status = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)

    assert status != 0
    assert "Permission denied" in gunicorn_log.read_text()


def test_gunicorn_with_static_discovery_never_registers(consul_agent, gunicorn_log):
    port = free_port()
    process = start_gunicorn(gunicorn_log, port, **consul_env(consul_agent, DISCOVERY="static"))
    try:
        wait_for(lambda: "Booting worker" in gunicorn_log.read_text(), "a worker booted")
        wait_for(lambda: answers(port), "serving")
    finally:
        stop(process)

    assert [s for s in instances(consul_agent, "watchlist") if s["ServicePort"] == port] == []
    assert "registered in Consul" not in gunicorn_log.read_text()


def test_gunicorn_with_consul_discovery_refuses_to_start_without_a_service_name(
    consul_agent, gunicorn_log
):
    process = start_gunicorn(
        gunicorn_log, free_port(), **consul_env(consul_agent, WLT_SERVICE_NAME="")
    )
    try:
        status = process.wait(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)

    assert status != 0
    assert "WLT_SERVICE_NAME" in gunicorn_log.read_text()
