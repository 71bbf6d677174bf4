"""The Swarm stack: a service scaled out is routed; a rolling update under load fails nothing."""

from __future__ import annotations

import time

from tests.containers.compose import eventually
from tests.containers.load import Load
from tests.helpers import sign_up

SLOWEST_S = 2.5


def wait_routed(stack, replicas: int) -> None:
    def check() -> None:
        assert len(stack.passing("watchlist")) == replicas
        assert len(stack.routed_servers("watchlist")) == replicas

    eventually(check, timeout=180, interval=1)


def test_scaling_a_service_out_and_back_is_followed_by_consul_and_the_gateway(stack):
    wait_routed(stack, 1)
    service = stack.service("watchlist-service")
    stack.docker("service", "scale", "--detach=false", f"{service}=3")
    wait_routed(stack, 3)
    stack.docker("service", "scale", "--detach=false", f"{service}=1")
    wait_routed(stack, 1)


def test_a_rolling_update_under_load_fails_no_request(stack):
    stack.docker("service", "scale", "--detach=false", f"{stack.service('watchlist-service')}=2")
    wait_routed(stack, 2)
    before = stack.task_ids("watchlist-service")
    api = sign_up(stack.gateway, "Rolling")
    headers = {"Authorization": f"Bearer {api.token}"}
    with Load(f"{stack.gateway}/watchlists", headers, rate=20.0, workers=4) as load:
        time.sleep(3)
        t0 = time.monotonic()
        stack.docker("service", "update", "--detach=false", "--force",
                     stack.service("watchlist-service"))  # fmt: skip
        updated_after = time.monotonic() - t0
        wait_routed(stack, 2)
        time.sleep(8)
    outcomes = load.outcomes
    print(f"rolling update ({updated_after:.0f} s): {Load.summary(outcomes)}")
    assert outcomes, "no load was sent"
    assert stack.task_ids("watchlist-service").isdisjoint(before), "no task was replaced"
    assert Load.failed(outcomes) == []
    assert max(o.seconds for o in outcomes) <= SLOWEST_S
