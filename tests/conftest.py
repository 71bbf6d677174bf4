"""Fixtures every test shares: a real PostgreSQL server, a real Kafka broker, service apps.

Both servers are started once per test session from the same launchers `make run`
uses (devstack), on free ports, so tests never touch a running `make run`. To reuse
servers you already run while developing, set `WLT_TEST_POSTGRES_URL`
(e.g. `postgresql://postgres@127.0.0.1:5499`) and `WLT_TEST_KAFKA`
(e.g. `127.0.0.1:9392`).
"""

from __future__ import annotations

import importlib
import os
import secrets
from collections.abc import Callable, Iterator

import psycopg
import pytest

from devstack.ports import free_port
from tests.helpers import KEY_ENV, ROOT, TEST_GATEWAY_LIMITS, LiveServer, service_key_env


@pytest.fixture(scope="session")
def run_id() -> str:
    """Short random id that keeps this session's databases and topics apart."""
    return secrets.token_hex(4)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory) -> Iterator[str]:
    """Base URL of a real PostgreSQL server (no database name)."""
    url = os.environ.get("WLT_TEST_POSTGRES_URL")
    if url:
        yield url.rstrip("/")
        return
    from devstack.postgres import PostgresServer

    server = PostgresServer(tmp_path_factory.mktemp("pg"), free_port())
    server.start()
    try:
        yield server.url("").rstrip("/")
    finally:
        server.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory) -> Iterator[str]:
    """Bootstrap address of a real Kafka broker."""
    bootstrap = os.environ.get("WLT_TEST_KAFKA")
    if bootstrap:
        yield bootstrap
        return
    from devstack.kafka import KafkaBroker

    broker = KafkaBroker(
        tmp_path_factory.mktemp("kafka"),
        free_port(),
        free_port(),
        ROOT / "var" / "cache" / "kafka-libs",
    )
    broker.start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def topic_prefix(run_id) -> str:
    """Topic prefix of this session, so parallel sessions on one broker stay apart."""
    return f"t{run_id}."


@pytest.fixture(scope="session")
def create_database(postgres, run_id) -> Callable[[str], str]:
    """Factory: a fresh database migrated for a service package; returns its URL."""
    made: dict[str, str] = {}

    def create(package: str, suffix: str = "") -> str:
        name = f"t{run_id}_{package}{suffix}"
        if name not in made:
            with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            url = f"{postgres}/{name}"
            from servicekit.migrate import upgrade

            upgrade(package, url)
            made[name] = url
        return made[name]

    yield create
    # Best effort: on a private server the data goes with it anyway; on a shared one a
    # database left behind only costs disk.
    try:
        with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
            for name in made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error as exc:
        print(f"could not drop test databases: {exc}")


@pytest.fixture(scope="session")
def service_env(kafka_bootstrap, topic_prefix) -> dict[str, str]:
    """Environment every service under test gets (besides its database)."""
    return {
        "WLT_ENV": "test",
        **KEY_ENV,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_PREFIX": topic_prefix,
        "DISCOVERY": "static",
        "WLT_LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="session")
def make_app(create_database, service_env):
    """Factory: a service's Flask app on its own test database; `overrides` win."""

    def make(package: str, **overrides: str):
        module = importlib.import_module(package)
        name = package.removesuffix("_service")
        config = {
            **service_env,
            **service_key_env(name),
            "DATABASE_URL": create_database(package),
            **overrides,
        }
        return module.create_app(config)

    return make


@pytest.fixture
def live_server():
    """Factory: serve an app over HTTP (e.g. the real user service for a friends test)."""
    servers: list[LiveServer] = []

    def serve(app) -> LiveServer:
        server = LiveServer(app)
        servers.append(server)
        return server

    yield serve
    for server in servers:
        try:
            server.stop()
        except Exception:  # noqa: BLE001 - already stopped by the test
            pass


@pytest.fixture
def slow_server():
    """A stand-in peer that accepts connections and answers only after 3 s (a frozen service)."""
    import http.server
    import threading
    import time

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - stdlib naming
            time.sleep(3)
            self.send_response(503)
            self.end_headers()

        do_PUT = do_POST = do_DELETE = do_GET  # noqa: N815

        def log_message(self, *args):
            pass

    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Slow)
    server.daemon_threads = True
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, kafka_bootstrap, topic_prefix):
    """The whole system as `make run` starts it, on free ports, shared by the session.

    A private PostgreSQL, the session's Kafka broker under a topic prefix of its own,
    every service and worker under the supervisor, and Traefik. Tests that break things
    (tests/faults) start stacks of their own instead.
    """
    from devstack.ports import free_port_base
    from devstack.stack import LocalStack

    local = LocalStack(
        tmp_path_factory.mktemp("stack"),
        port_base=free_port_base(),
        gateway_limits=TEST_GATEWAY_LIMITS,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix + "e2e.",
        gunicorn_workers=1,
        from_environment=False,
        log=lambda *args, **kwargs: None,
    )
    local.start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="session")
def gateway(request) -> str:
    """Base URL of the public entry point: `WLT_TEST_GATEWAY` when set, else the stack's.

    `WLT_TEST_GATEWAY` (e.g. http://127.0.0.1:18000) runs the end-to-end suite against a
    gateway started elsewhere, such as docker compose's (make test-containers).
    """
    external = os.environ.get("WLT_TEST_GATEWAY")
    if external:
        return external.rstrip("/")
    return request.getfixturevalue("stack").gateway_url
