"""The compose gateway (traefik/compose/) mirrors the local one and loads in the real Traefik."""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest
import yaml

from devstack.ports import free_port
from devstack.services import BORROWED_ROUTES, SERVICES
from devstack.traefik import dashboard_users, dynamic_config, static_config, traefik_binary
from servicekit.consul import traefik_tags
from tests.compose.support import load
from tests.helpers import ROOT

ROUTED = [spec for spec in SERVICES if spec.prefix]


@pytest.fixture(scope="module")
def compose_static() -> dict:
    """traefik/compose/traefik.yml."""
    return load("traefik/compose/traefik.yml")


@pytest.fixture(scope="module")
def compose_dynamic() -> dict:
    """The `http:` part of traefik/compose/dynamic.yml."""
    return load("traefik/compose/dynamic.yml")["http"]


@pytest.fixture(scope="module")
def local_static() -> dict:
    """The local gateway's static config, as devstack renders it."""
    return static_config(
        gateway_port=8000,
        dashboard_port=8080,
        dynamic_file="d.yml",
        log_dir="l",
        consul=("127.0.0.1:8500", "token"),
    )


@pytest.fixture(scope="module")
def local_dynamic() -> dict:
    """The `http:` part of the local gateway's dynamic config."""
    return dynamic_config(SERVICES, port_base=8000)["http"]


def test_public_entrypoint_has_the_same_hardening_as_the_local_gateway(
    compose_static, local_static
):
    assert (
        compose_static["entryPoints"]["web"]["http"] == local_static["entryPoints"]["web"]["http"]
    )
    for name, entrypoint in compose_static["entryPoints"].items():
        assert entrypoint["http"]["aliasHeadersStrategy"] == "delete", name


def test_consul_catalog_exposes_only_tagged_passing_services(compose_static):
    catalog = compose_static["providers"]["consulCatalog"]

    assert catalog["exposedByDefault"] is False
    assert catalog["endpoint"]["address"] == "consul:8500"
    assert catalog["strictChecks"] == ["passing"]


def test_forward_auth_matches_the_local_gateway_but_calls_the_auth_verify_containers(
    compose_dynamic, local_dynamic
):
    compose_auth = dict(compose_dynamic["middlewares"]["auth"]["forwardAuth"])
    local_auth = dict(local_dynamic["middlewares"]["auth"]["forwardAuth"])

    assert compose_auth.pop("address") == "http://auth-verify:8000/verify"
    local_auth.pop("address")
    assert compose_auth == local_auth
    assert compose_auth["authResponseHeaders"] == ["X-User-Id", "X-User-Role"]


@pytest.mark.parametrize(
    "middleware",
    [
        "security-headers",
        "not-found",
        "retry",
        "unavailable",
        "rate-limit",
        "watchlist-import-body-limit",
    ],
)
def test_shared_middlewares_match_the_local_gateway(compose_dynamic, local_dynamic, middleware):
    assert compose_dynamic["middlewares"][middleware] == local_dynamic["middlewares"][middleware]


def test_cors_matches_the_local_gateway_but_takes_its_origins_from_the_environment(
    compose_dynamic, local_dynamic
):
    compose_cors = dict(compose_dynamic["middlewares"]["cors"]["headers"])
    local_cors = dict(local_dynamic["middlewares"]["cors"]["headers"])

    assert compose_cors.pop("accessControlAllowOriginList") == '{{ env "WLT_CORS_ORIGINS" }}'
    assert local_cors.pop("accessControlAllowOriginList") == []
    assert compose_cors == local_cors


@pytest.mark.parametrize("router", ["deny-internal", "catch-all", "pages"])
def test_deny_routers_match_the_local_gateway(compose_dynamic, local_dynamic, router):
    assert compose_dynamic["routers"][router] == local_dynamic["routers"][router]


@pytest.mark.parametrize("spec", ROUTED, ids=[s.name for s in ROUTED])
def test_service_routers_are_the_gateways_own_and_match_the_local_gateway(
    compose_dynamic, local_dynamic, spec
):
    assert compose_dynamic["routers"][spec.name] == local_dynamic["routers"][spec.name]
    assert compose_dynamic["routers"][spec.name]["service"] == f"{spec.name}@consulcatalog"
    unavailable = f"{spec.name}-unavailable"
    assert compose_dynamic["routers"][unavailable] == local_dynamic["routers"][unavailable]


@pytest.mark.parametrize("route", BORROWED_ROUTES, ids=[r.router for r in BORROWED_ROUTES])
def test_borrowed_routes_match_the_local_gateway(compose_dynamic, local_dynamic, route):
    for name in (route.router, f"{route.router}-unavailable"):
        assert compose_dynamic["routers"][name] == local_dynamic["routers"][name]
    assert compose_dynamic["routers"][route.router]["service"] == f"{route.service}@consulcatalog"


def test_catalog_provider_takes_no_route_from_a_registration(compose_static, local_static):
    compose = dict(compose_static["providers"]["consulCatalog"])
    local = dict(local_static["providers"]["consulCatalog"])
    compose.pop("endpoint"), local.pop("endpoint")

    assert compose == local
    assert compose["constraints"].startswith("!TagRegex(")
    assert compose_static["serversTransport"] == local_static["serversTransport"]


@pytest.mark.parametrize("spec", ROUTED, ids=[s.name for s in ROUTED])
def test_registrations_carry_no_routing_tag(spec):
    assert traefik_tags(spec.prefix) == ["traefik.enable=true"]


def get(url: str, login: tuple[str, str] | None = None) -> tuple[int, bytes]:
    """Status and body of a GET (with basic auth when `login` is given), errors included."""
    request = urllib.request.Request(url)
    if login:
        token = base64.b64encode(":".join(login).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def traefik_with_compose_config(tmp_path_factory):
    """The real Traefik on the compose static and dynamic files, moved to free loopback ports.

    Consul is not running (no Consul server exists here), so the catalog provider only
    retries; the file provider's routers and middlewares load as they will in compose.
    """
    folder = tmp_path_factory.mktemp("traefik-compose")
    static = load("traefik/compose/traefik.yml")
    ports = {name: free_port() for name in static["entryPoints"]}
    for name, entrypoint in static["entryPoints"].items():
        entrypoint["address"] = f"127.0.0.1:{ports[name]}"
        entrypoint["transport"] = {"lifeCycle": {"graceTimeOut": "0s"}}
    static["providers"]["consulCatalog"]["endpoint"]["address"] = f"127.0.0.1:{free_port()}"
    static["providers"]["file"]["filename"] = str(folder / "dynamic.yml")
    static["log"] = {"level": "INFO", "filePath": str(folder / "traefik.log")}
    static["accessLog"] = {"filePath": str(folder / "access.log")}
    (folder / "dynamic.yml").write_text((ROOT / "traefik/compose/dynamic.yml").read_text())
    (folder / "traefik.yml").write_text(yaml.safe_dump(static))
    login = ("admin", secrets.token_urlsafe(16))
    process = subprocess.Popen(
        [str(traefik_binary()), f"--configFile={folder / 'traefik.yml'}"],
        env={**os.environ, "WLT_DASHBOARD_USERS": dashboard_users(*login)[0]},
        stdout=subprocess.DEVNULL,
        stderr=(folder / "stderr.log").open("wb"),
        start_new_session=True,
    )
    api = f"http://127.0.0.1:{ports['traefik']}/api/rawdata"
    deadline = time.monotonic() + 20
    routers: dict = {}
    while time.monotonic() < deadline and "deny-internal@file" not in routers:
        if process.poll() is not None:
            pytest.fail((folder / "stderr.log").read_text() + (folder / "traefik.log").read_text())
        try:
            routers = json.loads(get(api, login)[1]).get("routers", {})
        except (OSError, ValueError):
            time.sleep(0.1)
    try:
        yield {"ports": ports, "routers": routers, "log": folder / "traefik.log", "login": login}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def test_real_traefik_loads_the_compose_config_without_errors(traefik_with_compose_config):
    routers = traefik_with_compose_config["routers"]

    for router in ("deny-internal@file", "catch-all@file", "consul-ui@file", "dashboard@file"):
        assert routers[router]["status"] == "enabled", routers.get(router)
    log = traefik_with_compose_config["log"].read_text().splitlines()
    # the only errors allowed are the catalog provider's retries while Consul is absent
    assert [line for line in log if " ERR " in line and "consulcatalog" not in line] == []


@pytest.mark.parametrize("path", ["/users/internal/users", "/internal", "/nothing-here"])
def test_compose_gateway_answers_404_for_internal_and_unknown_paths(
    traefik_with_compose_config, path
):
    port = traefik_with_compose_config["ports"]["web"]

    status, _ = get(f"http://127.0.0.1:{port}{path}")

    assert status == 404


def test_compose_dashboard_api_needs_its_login(traefik_with_compose_config):
    api = f"http://127.0.0.1:{traefik_with_compose_config['ports']['traefik']}/api/rawdata"

    assert get(api)[0] == 401
    assert get(api, ("admin", "wrong"))[0] == 401
    assert get(api, traefik_with_compose_config["login"])[0] == 200
