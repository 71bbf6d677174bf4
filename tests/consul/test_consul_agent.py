"""Registration, health, ACLs and discovery against a real Consul agent (ACLs default-deny)."""

from __future__ import annotations

import time
import uuid

import pytest
from consul.exceptions import ACLPermissionDenied

from servicekit.config import load_settings
from servicekit.consul import (
    ConsulDiscovery,
    ConsulPresence,
    Registration,
    deregister_service,
    is_registered,
    register_service,
    traefik_tags,
)
from servicekit.discovery import make_discovery
from servicekit.errors import ServiceUnavailable
from tests.consul.support import ReadyServer


def wait_for(predicate, what: str, timeout: float = 20.0):
    """Poll `predicate` until it is truthy; AssertionError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def instance(name: str, port: int, **overrides) -> Registration:
    """A registration of `name` on 127.0.0.1:`port` with a fast check, unique id."""
    fields = {
        "name": name,
        "service_id": f"{name}-test-{uuid.uuid4().hex[:8]}",
        "address": "127.0.0.1",
        "port": port,
        "prefix": f"/{name}",
        "check_interval": "1s",
        "check_timeout": "1s",
        **overrides,
    }
    return Registration(**fields)


def passing_ids(agent, name: str) -> set[str]:
    """Ids of the instances of `name` whose checks all pass."""
    entries = agent.get(f"/v1/health/service/{name}?passing=1") or []
    return {entry["Service"]["ID"] for entry in entries}


def checks_of(agent, service_id: str) -> list[dict]:
    """The agent's checks of one instance."""
    return [
        c for c in (agent.get("/v1/agent/checks") or {}).values() if c["ServiceID"] == service_id
    ]


def test_registered_instance_passes_its_readiness_check_in_the_catalog(consul_agent, ready_server):
    reg = instance("watchlist", ready_server.port)

    register_service(
        consul_agent.url, reg, retry_for_s=0, token=consul_agent.tokens.of("watchlist")
    )

    wait_for(lambda: reg.service_id in passing_ids(consul_agent, "watchlist"), "passing")
    (check,) = checks_of(consul_agent, reg.service_id)
    assert check["Type"] == "http"
    assert check["Interval"] == "1s"
    # the agent reports what it polled (the deregister-after is shown by its own test)
    assert f"GET http://127.0.0.1:{ready_server.port}/health/ready: 200" in check["Output"]
    entry = consul_agent.get("/v1/catalog/service/watchlist")
    (service,) = [s for s in entry if s["ServiceID"] == reg.service_id]
    assert service["ServiceTags"] == ["traefik.enable=true"]
    deregister_service(consul_agent.url, reg.service_id, token=consul_agent.tokens.of("watchlist"))


def test_failing_readiness_makes_the_instance_critical_and_recovering_makes_it_pass(
    consul_agent, ready_server
):
    token = consul_agent.tokens.of("user")
    reg = instance("user", ready_server.port)
    register_service(consul_agent.url, reg, retry_for_s=0, token=token)
    wait_for(lambda: reg.service_id in passing_ids(consul_agent, "user"), "passing")

    ready_server.status = 503
    wait_for(lambda: reg.service_id not in passing_ids(consul_agent, "user"), "critical")
    assert checks_of(consul_agent, reg.service_id)[0]["Status"] == "critical"

    ready_server.status = 200
    wait_for(lambda: reg.service_id in passing_ids(consul_agent, "user"), "passing again")
    deregister_service(consul_agent.url, reg.service_id, token=token)


def test_deregistration_removes_the_instance_from_the_catalog(consul_agent, ready_server):
    token = consul_agent.tokens.of("friends")
    reg = instance("friends", ready_server.port)
    register_service(consul_agent.url, reg, retry_for_s=0, token=token)

    assert deregister_service(consul_agent.url, reg.service_id, token=token) is True

    assert is_registered(consul_agent.url, reg.service_id, token=token) is False


def test_instance_critical_for_its_deregister_after_leaves_the_catalog_by_itself(
    consul_agent,
):
    # Consul's floor for DeregisterCriticalServiceAfter is one minute, reaped every 30 s.
    token = consul_agent.tokens.of("mediastatistics")
    gone = ReadyServer()
    reg = instance("mediastatistics", gone.port)
    register_service(consul_agent.url, reg, retry_for_s=0, token=token)
    wait_for(lambda: reg.service_id in passing_ids(consul_agent, "mediastatistics"), "passing")

    gone.close()  # as a killed container: nothing answers and nothing deregisters

    wait_for(
        lambda: is_registered(consul_agent.url, reg.service_id, token=token) is False,
        "the reaper to remove the critical instance",
        timeout=120,
    )


@pytest.mark.parametrize(
    "holder, name",
    [("friends", "watchlist"), ("user", "auth"), ("traefik", "user"), ("anonymous", "user")],
)
def test_a_token_may_not_register_a_name_it_does_not_own(consul_agent, ready_server, holder, name):
    token = "" if holder == "anonymous" else consul_agent.tokens.of(holder)
    hijack = instance(name, ready_server.port, service_id=f"{name}-hijack")

    with pytest.raises(ACLPermissionDenied):
        register_service(consul_agent.url, hijack, retry_for_s=0, token=token)

    assert consul_agent.get(f"/v1/catalog/service/{name}") == [] or all(
        s["ServiceID"] != hijack.service_id for s in consul_agent.get(f"/v1/catalog/service/{name}")
    )


def test_anonymous_may_read_the_catalog_for_the_operator_ui(consul_agent, ready_server):
    token = consul_agent.tokens.of("auth")
    reg = instance("auth", ready_server.port)
    register_service(consul_agent.url, reg, retry_for_s=0, token=token)
    wait_for(lambda: reg.service_id in passing_ids(consul_agent, "auth"), "passing")

    seen = consul_agent.get("/v1/health/state/passing", token="")

    assert reg.service_id in {check["ServiceID"] for check in seen}
    deregister_service(consul_agent.url, reg.service_id, token=token)


def test_resolve_returns_only_passing_instances_round_robin(consul_agent):
    token = consul_agent.tokens.of("friendswatchlist")
    servers = [ReadyServer() for _ in range(3)]
    regs = [instance("friendswatchlist", s.port) for s in servers]
    try:
        for reg in regs:
            register_service(consul_agent.url, reg, retry_for_s=0, token=token)
        servers[2].status = 503
        wait_for(
            lambda: (
                passing_ids(consul_agent, "friendswatchlist")
                == {regs[0].service_id, regs[1].service_id}
            ),
            "two passing, one critical",
        )
        discovery = ConsulDiscovery(consul_agent.url, token=token)

        picks = [discovery.resolve("friendswatchlist") for _ in range(4)]

        expected = sorted(f"http://127.0.0.1:{s.port}" for s in servers[:2])
        assert sorted(picks[:2]) == expected
        assert picks[:2] == picks[2:]
    finally:
        for reg, server in zip(regs, servers, strict=True):
            deregister_service(consul_agent.url, reg.service_id, token=token)
            server.close()


def test_resolve_uses_the_node_address_when_the_instance_has_none(consul_agent, ready_server):
    token = consul_agent.tokens.of("watchlist")
    reg = instance("watchlist", ready_server.port, address="")
    register_service(consul_agent.url, reg, retry_for_s=0, token=token)
    try:
        # the check URL needs an address too: the node's is 127.0.0.1 here
        url = wait_for(
            lambda: next(
                (
                    f"http://{e['Node']['Address']}:{e['Service']['Port']}"
                    for e in consul_agent.get("/v1/health/service/watchlist") or []
                    if e["Service"]["ID"] == reg.service_id
                ),
                None,
            ),
            "registered",
        )
        assert url == f"http://127.0.0.1:{ready_server.port}"
    finally:
        deregister_service(consul_agent.url, reg.service_id, token=token)


def test_resolve_keeps_its_list_for_one_cache_period(consul_agent, clock):
    token = consul_agent.tokens.of("user")
    first, second = ReadyServer(), ReadyServer()
    a, b = instance("user", first.port), instance("user", second.port)
    try:
        register_service(consul_agent.url, a, retry_for_s=0, token=token)
        wait_for(lambda: a.service_id in passing_ids(consul_agent, "user"), "a passing")
        discovery = ConsulDiscovery(consul_agent.url, token=token, cache_ttl_s=5, clock=clock)
        assert discovery.resolve("user") == f"http://127.0.0.1:{first.port}"

        register_service(consul_agent.url, b, retry_for_s=0, token=token)
        wait_for(lambda: b.service_id in passing_ids(consul_agent, "user"), "b passing")
        within = {discovery.resolve("user") for _ in range(4)}
        clock.advance(5)
        after = {discovery.resolve("user") for _ in range(4)}

        assert within == {f"http://127.0.0.1:{first.port}"}
        assert after == {f"http://127.0.0.1:{first.port}", f"http://127.0.0.1:{second.port}"}
    finally:
        for reg, server in ((a, first), (b, second)):
            deregister_service(consul_agent.url, reg.service_id, token=token)
            server.close()


def test_resolve_with_no_passing_instance_is_service_unavailable(consul_agent):
    discovery = ConsulDiscovery(consul_agent.url, token=consul_agent.tokens.of("user"))

    with pytest.raises(ServiceUnavailable):
        discovery.resolve("nobody-registers-this")


def test_an_empty_answer_is_not_kept_for_the_cache_period(consul_agent, ready_server, clock):
    token = consul_agent.tokens.of("friends")
    discovery = ConsulDiscovery(consul_agent.url, token=token, cache_ttl_s=5, clock=clock)
    with pytest.raises(ServiceUnavailable):
        discovery.resolve("friends")
    reg = instance("friends", ready_server.port)
    register_service(consul_agent.url, reg, retry_for_s=0, token=token)
    try:
        wait_for(lambda: reg.service_id in passing_ids(consul_agent, "friends"), "passing")

        assert discovery.resolve("friends") == f"http://127.0.0.1:{ready_server.port}"
    finally:
        deregister_service(consul_agent.url, reg.service_id, token=token)


@pytest.mark.parametrize("outage", ["stopped", "frozen"])
def test_resolve_falls_back_to_the_last_healthy_list_while_the_agent_is_away(
    fresh_agent, ready_server, clock, outage
):
    token = fresh_agent.tokens.of("watchlist")
    reg = instance("watchlist", ready_server.port)
    register_service(fresh_agent.url, reg, retry_for_s=0, token=token)
    wait_for(lambda: reg.service_id in passing_ids(fresh_agent, "watchlist"), "passing")
    discovery = ConsulDiscovery(
        fresh_agent.url, token=token, cache_ttl_s=5, timeout_s=0.5, clock=clock
    )
    assert discovery.resolve("watchlist") == f"http://127.0.0.1:{ready_server.port}"

    fresh_agent.stop() if outage == "stopped" else fresh_agent.process.freeze()
    clock.advance(60)
    t0 = time.monotonic()
    picks = {discovery.resolve("watchlist") for _ in range(5)}
    took = time.monotonic() - t0

    assert picks == {f"http://127.0.0.1:{ready_server.port}"}
    # one lookup waited on the away agent; the others used the list without asking again
    assert took < 0.5 * 3


def test_resolve_without_any_known_list_is_service_unavailable_when_the_agent_is_down(
    fresh_agent,
):
    discovery = ConsulDiscovery(fresh_agent.url, token=fresh_agent.tokens.of("user"))
    fresh_agent.stop()

    with pytest.raises(ServiceUnavailable):
        discovery.resolve("user")


def test_presence_registers_again_when_a_restarted_agent_has_forgotten_everything(
    fresh_agent, ready_server
):
    token = fresh_agent.tokens.of("friends")
    reg = instance("friends", ready_server.port)
    presence = ConsulPresence(fresh_agent.url, reg, token=token, resync_s=0.5)
    presence.start(retry_for_s=5)
    try:
        wait_for(lambda: reg.service_id in passing_ids(fresh_agent, "friends"), "passing")

        fresh_agent.stop()
        fresh_agent.wipe()  # a new or dev-mode agent: no services, no tokens
        fresh_agent.start()

        wait_for(lambda: reg.service_id in passing_ids(fresh_agent, "friends"), "back", 15)
    finally:
        presence.leave()
    assert is_registered(fresh_agent.url, reg.service_id, token=token) is False


def test_registration_waits_for_an_agent_that_has_no_leader_yet(fresh_agent, ready_server):
    token = fresh_agent.tokens.of("user")
    fresh_agent.stop()
    fresh_agent.process.start()  # the API answers 500 "No cluster leader" for a moment
    reg = instance("user", ready_server.port)

    register_service(fresh_agent.url, reg, retry_for_s=20, token=token)

    assert is_registered(fresh_agent.url, reg.service_id, token=token) is True


def test_a_malformed_registration_is_refused_at_once_not_retried(consul_agent, ready_server):
    bad = instance("", ready_server.port)
    t0 = time.monotonic()

    with pytest.raises(Exception, match="(?i)name"):
        register_service(
            consul_agent.url, bad, retry_for_s=10, token=consul_agent.tokens.management
        )

    assert time.monotonic() - t0 < 5


@pytest.mark.parametrize("prefix", [None, ""])
def test_service_without_public_prefix_carries_no_gateway_tag(prefix):
    assert traefik_tags(prefix) == []


def test_instance_on_an_ipv6_address_gets_a_bracketed_check_url():
    registration = Registration(name="user", service_id="u1", address="fd00::5", port=8000)

    assert registration.check_url == "http://[fd00::5]:8000/health/ready"


def test_discovery_setting_consul_selects_the_consul_backend_with_its_token(
    consul_agent, ready_server
):
    token = consul_agent.tokens.of("user")
    reg = instance("user", ready_server.port)
    register_service(consul_agent.url, reg, retry_for_s=0, token=token)
    wait_for(lambda: reg.service_id in passing_ids(consul_agent, "user"), "passing")
    settings = load_settings(
        "friends",
        {
            "DATABASE_URL": "postgresql://unused@127.0.0.1/unused",
            "DISCOVERY": "consul",
            "CONSUL_HTTP_ADDR": consul_agent.url,
            "CONSUL_HTTP_TOKEN": consul_agent.tokens.of("friends"),
        },
    )

    discovery = make_discovery(settings)

    assert isinstance(discovery, ConsulDiscovery)
    assert discovery.resolve("user") == f"http://127.0.0.1:{ready_server.port}"
    deregister_service(consul_agent.url, reg.service_id, token=token)
