"""The Consul discovery backend against ConsulDouble, a test double of Consul's HTTP API."""

from __future__ import annotations

import pytest

from servicekit.config import load_settings
from servicekit.consul import (
    ConsulDiscovery,
    Registration,
    deregister_service,
    register_service,
    traefik_tags,
)
from servicekit.discovery import make_discovery
from servicekit.errors import ServiceUnavailable
from tests.conftest import free_port


def replica(number: int, name: str = "watchlist", prefix: str | None = "/watchlists"):
    """The registration of replica `number` of a service, on its own address."""
    return Registration(
        name=name,
        service_id=f"{name}-replica{number}-8000",
        address=f"10.0.0.{number}",
        port=8000,
        prefix=prefix,
    )


def register_passing(double, *registrations: Registration) -> None:
    """Register instances in the double and let their checks pass."""
    for registration in registrations:
        register_service(double.url, registration, retry_for_s=0)
        double.set_status(registration.service_id, "passing")


def test_registration_with_consul_double_sends_readiness_check_and_deregister_after(
    consul_double,
):
    register_service(consul_double.url, replica(1), retry_for_s=0)

    (service,) = consul_double.registered("watchlist")
    assert service["ID"] == "watchlist-replica1-8000"
    assert (service["Address"], service["Port"]) == ("10.0.0.1", 8000)
    (check,) = consul_double.instances["watchlist-replica1-8000"].checks
    assert check["HTTP"] == "http://10.0.0.1:8000/health/ready"
    assert check["Interval"] and check["Timeout"]
    assert check["DeregisterCriticalServiceAfter"] == "1m"
    assert ("PUT", "/v1/agent/service/register") in consul_double.requests


def test_registration_with_consul_double_carries_the_gateway_router_in_tags(consul_double):
    register_service(consul_double.url, replica(1), retry_for_s=0)

    tags = consul_double.registered("watchlist")[0]["Tags"]
    assert "traefik.enable=true" in tags
    assert (
        "traefik.http.routers.watchlist.rule=Path(`/watchlists`) || PathPrefix(`/watchlists/`)"
        in tags
    )
    middlewares = "security-headers@file,gateway-errors@file,auth@file"
    assert f"traefik.http.routers.watchlist.middlewares={middlewares}" in tags
    assert "traefik.http.routers.watchlist.entrypoints=web" in tags
    assert not any("stripprefix" in tag.lower() for tag in tags)


@pytest.mark.parametrize("prefix", [None, ""])
def test_service_without_public_prefix_is_registered_but_never_routed(prefix):
    assert traefik_tags("internal-only", prefix) == []


def test_instance_on_an_ipv6_address_gets_a_bracketed_check_url():
    registration = Registration(name="user", service_id="u1", address="fd00::5", port=8000)

    assert registration.check_url == "http://[fd00::5]:8000/health/ready"


def test_registration_retries_while_the_consul_double_has_no_leader(consul_double):
    consul_double.fail_next.extend([500, 500])

    register_service(consul_double.url, replica(1), retry_for_s=5)

    assert list(consul_double.instances) == ["watchlist-replica1-8000"]


def test_registration_rejected_by_the_consul_double_is_not_retried(consul_double):
    bad = Registration(name="", service_id="x", address="10.0.0.1", port=8000)

    with pytest.raises(Exception, match="Missing service name"):
        register_service(consul_double.url, bad, retry_for_s=5)
    assert len(consul_double.requests) == 1


def test_deregistration_with_consul_double_uses_put_and_removes_the_instance(consul_double):
    register_passing(consul_double, replica(1), replica(2))

    assert deregister_service(consul_double.url, "watchlist-replica1-8000") is True

    assert ("PUT", "/v1/agent/service/deregister/watchlist-replica1-8000") in consul_double.requests
    assert [s["ID"] for s in consul_double.registered("watchlist")] == ["watchlist-replica2-8000"]


def test_deregistration_when_consul_is_gone_is_logged_not_raised(consul_double):
    consul_double.stop()

    assert deregister_service(consul_double.url, "watchlist-replica1-8000") is False


def test_resolve_with_consul_double_returns_only_passing_instances(consul_double):
    register_passing(consul_double, replica(1))
    register_service(consul_double.url, replica(2), retry_for_s=0)  # its check never passed
    register_passing(consul_double, replica(3))
    consul_double.set_status("watchlist-replica3-8000", "critical")

    discovery = ConsulDiscovery(consul_double.url)

    assert {discovery.resolve("watchlist") for _ in range(4)} == {"http://10.0.0.1:8000"}
    assert any(
        method == "GET" and path.startswith("/v1/health/service/watchlist?") and "passing" in path
        for method, path in consul_double.requests
    )


def test_resolve_with_consul_double_rotates_round_robin_over_replicas(consul_double):
    register_passing(consul_double, replica(1), replica(2), replica(3))
    discovery = ConsulDiscovery(consul_double.url)

    picks = [discovery.resolve("watchlist") for _ in range(6)]

    assert picks[:3] == picks[3:]
    assert sorted(picks[:3]) == [
        "http://10.0.0.1:8000",
        "http://10.0.0.2:8000",
        "http://10.0.0.3:8000",
    ]


def test_resolve_with_consul_double_uses_node_address_when_service_has_none(consul_double):
    register_passing(
        consul_double, Registration(name="user", service_id="user-1", address="", port=8002)
    )

    assert ConsulDiscovery(consul_double.url).resolve("user") == "http://10.1.10.12:8002"


def test_resolve_asks_consul_double_once_per_cache_period(consul_double, clock):
    register_passing(consul_double, replica(1))
    discovery = ConsulDiscovery(consul_double.url, cache_ttl_s=5, clock=clock)

    def lookups() -> int:
        return sum(path.startswith("/v1/health/service/") for _, path in consul_double.requests)

    for _ in range(10):
        discovery.resolve("watchlist")
    assert lookups() == 1

    register_passing(consul_double, replica(2))
    clock.advance(5)
    picks = {discovery.resolve("watchlist") for _ in range(2)}
    assert lookups() == 2
    assert picks == {"http://10.0.0.1:8000", "http://10.0.0.2:8000"}


def test_resolve_with_no_healthy_instance_is_service_unavailable(consul_double):
    register_service(consul_double.url, replica(1), retry_for_s=0)

    with pytest.raises(ServiceUnavailable):
        ConsulDiscovery(consul_double.url).resolve("watchlist")


@pytest.mark.parametrize("outage", ["stopped", "no leader"])
def test_resolve_falls_back_to_last_healthy_list_while_consul_double_is_away(
    consul_double, clock, outage
):
    register_passing(consul_double, replica(1), replica(2))
    discovery = ConsulDiscovery(consul_double.url, cache_ttl_s=5, clock=clock)
    assert discovery.resolve("watchlist")

    if outage == "stopped":
        consul_double.stop()
    else:
        consul_double.fail_next.extend([500] * 10)
    clock.advance(60)

    picks = {discovery.resolve("watchlist") for _ in range(4)}
    assert picks == {"http://10.0.0.1:8000", "http://10.0.0.2:8000"}


def test_fallback_waits_a_cache_period_before_asking_the_stopped_double_again(consul_double, clock):
    register_passing(consul_double, replica(1))
    discovery = ConsulDiscovery(consul_double.url, cache_ttl_s=5, clock=clock)
    discovery.resolve("watchlist")
    consul_double.fail_next.extend([500] * 10)
    clock.advance(6)

    for _ in range(5):
        discovery.resolve("watchlist")

    assert sum(p.startswith("/v1/health/") for _, p in consul_double.requests) == 2


def test_resolve_recovers_fresh_list_when_consul_double_answers_again(consul_double, clock):
    register_passing(consul_double, replica(1))
    discovery = ConsulDiscovery(consul_double.url, cache_ttl_s=5, clock=clock)
    discovery.resolve("watchlist")
    consul_double.fail_next.append(500)
    clock.advance(6)
    assert discovery.resolve("watchlist") == "http://10.0.0.1:8000"

    deregister_service(consul_double.url, "watchlist-replica1-8000")
    register_passing(consul_double, replica(7))
    clock.advance(6)

    assert discovery.resolve("watchlist") == "http://10.0.0.7:8000"


def test_resolve_without_any_known_list_is_service_unavailable_when_consul_is_down():
    discovery = ConsulDiscovery(f"http://127.0.0.1:{free_port()}", timeout_s=0.5)

    with pytest.raises(ServiceUnavailable):
        discovery.resolve("watchlist")


def test_discovery_setting_consul_selects_the_consul_backend(consul_double):
    register_passing(consul_double, replica(4, name="user", prefix="/users"))
    settings = load_settings(
        "friends",
        {
            "DATABASE_URL": "postgresql://unused@127.0.0.1/unused",
            "DISCOVERY": "consul",
            "CONSUL_HTTP_ADDR": consul_double.url,
        },
    )

    discovery = make_discovery(settings)

    assert isinstance(discovery, ConsulDiscovery)
    assert discovery.resolve("user") == "http://10.0.0.4:8000"
