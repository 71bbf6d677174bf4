"""Replicas under load: one stopped, one killed (defect 3), through the compose gateway.

At about 20 requests/s of GET /watchlists (forward auth, then one of three replicas):
- `docker stop` of a replica: it deregisters, waits out Traefik's catalog refresh, then
  closes its listener, so no request fails;
- `docker kill` of a replica: only requests in flight on it may fail; requests sent to
  it afterwards fail their dial within a second and are retried on another replica.
No request may take longer than about 2 s in either case. The figures are printed.
"""

from __future__ import annotations

import time

import pytest

from tests.containers.compose import eventually
from tests.containers.load import Load
from tests.helpers import sign_up

SERVICE = "watchlist-service"
REPLICAS = 3
SLOWEST_S = 2.5  # "no request hangs more than about 2 s"
SETTLE_S = 3.0  # load before the fault
WINDOW_S = 12.0  # load after it: past Consul's check interval and Traefik's refresh


def scale(project, replicas: int) -> None:
    """`up --scale` of the watchlist web containers only, waited healthy and routed."""
    project.compose(
        "up", "-d", "--no-deps", "--wait", "--scale", f"{SERVICE}={replicas}", SERVICE, timeout=300
    )

    def routed() -> None:
        assert len(project.passing("watchlist")) == replicas
        assert len(project.routed_servers("watchlist")) == replicas

    eventually(routed, timeout=60)


@pytest.fixture
def replicas(project):
    """Three healthy, routed watchlist replicas; back to one afterwards."""
    scale(project, REPLICAS)
    yield project.containers(SERVICE)
    scale(project, 1)


@pytest.fixture
def load(project):
    """Authenticated GET /watchlists at 20 requests/s."""
    api = sign_up(project.gateway, "Loaded")
    headers = {"Authorization": f"Bearer {api.token}"}
    with Load(f"{project.gateway}/watchlists", headers, rate=20.0, workers=4) as running:
        time.sleep(SETTLE_S)
        yield running


def test_a_replica_stopped_under_load_loses_no_request(project, replicas, load):
    victim = replicas[1]
    t0 = time.monotonic()
    project.docker("stop", victim, timeout=60)
    stopped_after = time.monotonic() - t0
    time.sleep(WINDOW_S)

    during = load.between(t0 - SETTLE_S, time.monotonic())
    print(f"docker stop {victim} ({stopped_after:.1f} s): {Load.summary(during)}")
    assert during, "no load was sent"
    assert Load.failed(during) == []
    assert max(o.seconds for o in during) <= SLOWEST_S
    assert len(project.passing("watchlist")) == REPLICAS - 1


def test_a_replica_killed_under_load_loses_at_most_its_requests_in_flight(project, replicas, load):
    victim = replicas[2]
    # the container dies somewhere between the command's start and its return (the CLI's
    # round trip to the engine): a request is "in flight at the kill" if it was under way
    # at any moment of that window
    t0 = time.monotonic()
    project.docker("kill", victim)
    t1 = time.monotonic()
    in_flight = load.in_flight_during(t0, t1)
    time.sleep(WINDOW_S)

    during = load.between(t0 - SETTLE_S, time.monotonic())
    failed = Load.failed(during)
    print(
        f"docker kill {victim} ({t1 - t0:.2f} s): {Load.summary(during)}; "
        f"in flight at the kill: {in_flight}"
    )
    assert during, "no load was sent"
    assert len(failed) <= in_flight, failed
    assert all(o.started <= t1 for o in failed), "a request sent after the kill failed"
    assert max(o.seconds for o in during) <= SLOWEST_S
