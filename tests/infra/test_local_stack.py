"""LocalStack end to end with one real service (user) behind the real gateway, on free ports."""

from __future__ import annotations

import stat
import time
import urllib.error
import urllib.request

import pytest

from devstack.ports import free_port, free_port_base
from devstack.services import SERVICES, by_name
from devstack.stack import LocalStack
from tests.infra.support import assert_nothing_left


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """postgres, kafka, user-service, user-worker and traefik, started and stopped once."""
    kafka_port = free_port()
    local = LocalStack(
        tmp_path_factory.mktemp("stack"),
        port_base=free_port_base(),
        kafka_port=kafka_port,
        kafka_controller_port=free_port(),
        services=[by_name("user")],
        topic_prefix="infra.",
        from_environment=False,  # its own PostgreSQL and Kafka, whatever the shell points to
        log=lambda line: None,
    )
    local.start()
    yield local
    pids = [p.pid for p in local.supervisor.processes.values() if p.pid]
    local.stop()
    for pid in pids:
        assert_nothing_left(pid)


def test_every_process_runs_and_the_gateway_routes_to_the_service(stack):
    names = set(stack.supervisor.processes)
    assert {"postgres", "user-service", "traefik"} <= names
    assert _status(f"{stack.service_url('user')}/health/live") == 200
    # the gateway answers (without an auth service, forwardAuth fails and Traefik says 500)
    assert _status(f"{stack.gateway_url}/users/openapi.json") is not None
    assert _status(f"{stack.gateway_url}/internal/users") == 404
    assert _status(f"{stack.gateway_url}/nowhere") == 404


def test_service_environment_follows_the_contract(stack):
    env = stack.env_for("user")
    assert env["WLT_ENV"] == "development"
    assert env["DATABASE_URL"].startswith("postgresql://") and env["DATABASE_URL"].endswith(
        "/wlt_user"
    )
    assert env["DISCOVERY"] == "consul"
    assert env["CONSUL_HTTP_ADDR"] == stack.consul.url
    assert env["CONSUL_HTTP_TOKEN"] == stack.consul_tokens.of("user")
    assert stack.consul_tokens.management not in env.values()  # the bootstrap token stays out
    assert env["KAFKA_TOPIC_PREFIX"] == "infra."
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == stack.kafka_bootstrap
    for spec in SERVICES:  # peers are found through Consul, not fixed addresses
        assert spec.env_url_var not in env
    assert env["WLT_SERVICE_KEY"] and env["WLT_ASSERTION_PUBLIC_KEY"]
    assert "WLT_TOKEN_SIGNING_KEY" not in env and "WLT_ASSERTION_SIGNING_KEY" not in env
    secrets_file = stack.var_dir / "dev-secrets.env"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert env["PROMETHEUS_MULTIPROC_DIR"].endswith("run/prom/user")


def test_the_service_registers_itself_in_consul_and_the_gateway_routes_through_the_catalog(
    stack,
):
    (entry,) = stack.registered("user")
    assert entry["Service"]["Port"] == stack.port_base + by_name("user").port_offset
    router = stack.dashboard_api("/api/http/routers/user@file")
    assert router["service"] == "user@consulcatalog"
    assert router["status"] == "enabled"


def test_the_dashboard_api_needs_the_generated_login(stack):
    url = f"http://127.0.0.1:{stack.dashboard_port}/api/rawdata"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=5)

    assert refused.value.code == 401
    assert stack.dashboard_api("/api/rawdata")["routers"]


def test_static_discovery_is_an_explicit_switch_with_fixed_addresses(tmp_path):
    static = LocalStack(tmp_path, port_base=free_port_base(), discovery="static")

    env = static.env_for("user")

    assert env["DISCOVERY"] == "static"
    assert "CONSUL_HTTP_TOKEN" not in env
    for spec in SERVICES:
        assert env[spec.env_url_var] == static.service_url(spec.name)


def test_a_killed_service_is_restarted(stack):
    process = stack.process("user-service")
    killed = process.pid
    process.kill()
    deadline = time.monotonic() + 30
    while _status(f"{stack.service_url('user')}/health/live") != 200 or process.pid == killed:
        assert time.monotonic() < deadline, process.log_tail()
        time.sleep(0.2)
    assert process.restarts >= 1
    assert_nothing_left(killed)
