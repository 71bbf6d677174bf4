"""Gunicorn's master registers its instance in the ConsulDouble once, not once per worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port

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


def registrations(double) -> int:
    """How many registrations reached the double."""
    return sum(path == "/v1/agent/service/register" for _, path in double.requests)


@pytest.fixture
def gunicorn_log(tmp_path) -> Path:
    """Where gunicorn writes its own log lines."""
    return tmp_path / "gunicorn.log"


def test_gunicorn_master_registers_once_in_consul_double_and_deregisters_on_exit(
    consul_double, gunicorn_log
):
    port = free_port()
    process = start_gunicorn(
        gunicorn_log,
        port,
        DISCOVERY="consul",
        CONSUL_HTTP_ADDR=consul_double.url,
        WLT_SERVICE_NAME="watchlist",
        WLT_ROUTE_PREFIX="/watchlists",
        WLT_ADVERTISE_ADDRESS="127.0.0.1",
    )
    try:
        wait_for(
            lambda: gunicorn_log.read_text().count("Booting worker") >= WORKERS, "workers booted"
        )
        (service,) = consul_double.registered("watchlist")
        check_url = consul_double.instances[service["ID"]].checks[0]["HTTP"]
        with urllib.request.urlopen(check_url, timeout=5) as answer:
            assert answer.status == 200
    finally:
        status = stop(process)

    assert registrations(consul_double) == 1
    assert (service["Address"], service["Port"]) == ("127.0.0.1", port)
    assert check_url == f"http://127.0.0.1:{port}/health/ready"
    assert "traefik.enable=true" in service["Tags"]
    assert status == 0
    assert ("PUT", f"/v1/agent/service/deregister/{service['ID']}") in consul_double.requests
    assert consul_double.registered("watchlist") == []


def test_gunicorn_with_static_discovery_never_calls_consul_double(consul_double, gunicorn_log):
    process = start_gunicorn(
        gunicorn_log,
        free_port(),
        DISCOVERY="static",
        CONSUL_HTTP_ADDR=consul_double.url,
        WLT_SERVICE_NAME="watchlist",
    )
    try:
        wait_for(lambda: "Booting worker" in gunicorn_log.read_text(), "a worker booted")
    finally:
        stop(process)

    assert consul_double.requests == []


def test_gunicorn_with_consul_discovery_refuses_to_start_without_a_service_name(
    consul_double, gunicorn_log
):
    process = start_gunicorn(
        gunicorn_log,
        free_port(),
        DISCOVERY="consul",
        CONSUL_HTTP_ADDR=consul_double.url,
        WLT_SERVICE_NAME="",
    )
    try:
        status = process.wait(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)

    assert status != 0
    assert "WLT_SERVICE_NAME" in gunicorn_log.read_text()
